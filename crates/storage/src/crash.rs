//! The crash-safety campaign: start a writer process, kill it with SIGKILL at a random moment,
//! again and again; then check that every write it acknowledged is stored, SQLite's integrity
//! check passes and the audit chain verifies. Used by this crate's tests (50+ kills) and by
//! `cargo xtask crash --runs N`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rand::{Rng, SeedableRng};

use crate::access::{Access, Purpose};
use crate::error::{StoreError, StoreResult};
use crate::keys::KeySource;
use crate::sqlite::{SqliteOptions, SqliteStore};
use crate::store::*;

/// The key sources the crash writer and the checker share (files inside the test directory).
pub fn key_sources(dir: &Path) -> (KeySource, KeySource) {
    let source = |name: &str, variable| KeySource {
        file: None,
        value: None,
        value_name: variable,
        default_file: dir.join(name),
        generate: true,
    };
    (
        source("master.key", "RASSO_MASTER_KEY"),
        source("audit-signing.key", "RASSO_AUDIT_KEY"),
    )
}

/// Opens the campaign's store in `dir`.
pub async fn open_store(dir: &Path) -> StoreResult<SqliteStore> {
    let (master, audit) = key_sources(dir);
    let (master_key, _) = master.master_key()?;
    let (signer, _) = audit.audit_signer()?;
    SqliteStore::open(SqliteOptions {
        path: dir.join("rasso.db"),
        master_key,
        signer,
    })
    .await
}

/// What a campaign did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrashReport {
    /// Writer processes killed.
    pub kills: u32,
    /// Writes the writers acknowledged before being killed.
    pub acknowledged: usize,
    /// Events found in the store afterwards (at least `acknowledged`).
    pub stored: usize,
    /// Audit records verified.
    pub audit_records: u64,
}

/// A campaign's settings.
#[derive(Debug, Clone)]
pub struct CrashConfig {
    /// The `storage-crash-writer` binary.
    pub writer: PathBuf,
    /// A directory for the database and keys (created if missing).
    pub dir: PathBuf,
    pub runs: u32,
    /// For the random kill moments.
    pub seed: u64,
    /// Kill between `min_delay` and `max_delay` after starting the writer.
    pub min_delay: Duration,
    pub max_delay: Duration,
}

fn complete_lines(output: impl std::io::Read, sink: Arc<Mutex<Vec<String>>>) {
    let mut reader = BufReader::new(output);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                // A line cut by the kill has no newline: it was not acknowledged.
                if line.ends_with(b"\n")
                    && let Ok(text) = std::str::from_utf8(&line[..line.len() - 1])
                    && let Ok(mut lines) = sink.lock()
                {
                    lines.push(text.to_owned());
                }
            }
        }
    }
}

/// Runs the campaign and checks the store. Errors say what was lost or broken.
pub fn run_campaign(config: &CrashConfig) -> Result<CrashReport, String> {
    std::fs::create_dir_all(&config.dir)
        .map_err(|e| format!("cannot create {}: {e}", config.dir.display()))?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    let mut acknowledged: Vec<String> = Vec::new();
    let mut report = CrashReport::default();
    for run in 0..config.runs {
        let mut child = Command::new(&config.writer)
            .arg(&config.dir)
            .arg(run.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", config.writer.display()))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| "the writer has no stdout".to_owned())?;
        let reader = {
            let lines = Arc::clone(&lines);
            thread::spawn(move || complete_lines(stdout, lines))
        };
        // Every other run, the clock starts at the first acknowledged write, so that kills land
        // mid-stream even on a loaded machine where start-up is slow; the other runs may also
        // kill during start-up and migrations.
        if run % 2 == 0 {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while std::time::Instant::now() < deadline
                && lines.lock().map(|lines| lines.is_empty()).unwrap_or(false)
                && child.try_wait().ok().flatten().is_none()
            {
                thread::sleep(Duration::from_millis(2));
            }
        }
        let min = config.min_delay.as_micros() as u64;
        let max = config.max_delay.as_micros().max(min as u128 + 1) as u64;
        thread::sleep(Duration::from_micros(rng.random_range(min..max)));
        // `Child::kill` sends SIGKILL on Unix: no destructor, no flush, no WAL checkpoint.
        let exited_early = child
            .try_wait()
            .map_err(|e| format!("cannot query the writer: {e}"))?;
        if let Some(status) = exited_early {
            return Err(format!(
                "the writer exited by itself ({status}) in run {run}"
            ));
        }
        child
            .kill()
            .map_err(|e| format!("cannot kill the writer: {e}"))?;
        child
            .wait()
            .map_err(|e| format!("cannot wait for the writer: {e}"))?;
        report.kills += 1;
        reader
            .join()
            .map_err(|_| "the output reader panicked".to_owned())?;
        let lines = lines
            .lock()
            .map_err(|_| "the output lock is poisoned".to_owned())?;
        acknowledged.extend(lines.iter().cloned());
    }
    report.acknowledged = acknowledged.len();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let (stored, audit_records) = runtime
        .block_on(check_store(&config.dir))
        .map_err(|e| format!("checking the store after the kills: {e}"))?;
    report.stored = stored.len();
    report.audit_records = audit_records;
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    if !lost.is_empty() {
        return Err(format!(
            "{} acknowledged writes are missing after SIGKILL, first {:?}",
            lost.len(),
            lost.first()
        ));
    }
    Ok(report)
}

async fn check_store(dir: &Path) -> StoreResult<(HashSet<String>, u64)> {
    let store = open_store(dir).await?;
    let integrity = store.integrity_check().await?;
    if integrity != "ok" {
        return Err(StoreError::Corrupt(format!("integrity check: {integrity}")));
    }
    let (_, audit) = key_sources(dir);
    let (signer, _) = audit.audit_signer()?;
    let verified = store.verify_audit(&signer.verifying_key()).await?;
    if let Some(problem) = verified.problem {
        return Err(StoreError::Audit(problem.to_string()));
    }
    let mut ids = HashSet::new();
    let access = Access::new("test:crash", Purpose::Administration);
    store
        .stream_cases(&access, None, &mut |case| {
            for event in case.case.events() {
                if let Some(id) = &event.id {
                    ids.insert(id.to_string());
                }
            }
            Ok(())
        })
        .await?;
    store.close().await;
    Ok((ids, verified.records))
}
