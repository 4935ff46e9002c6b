//! `cargo xtask dates`: the test suites that read the wall clock, run again as if today were
//! another day, under libfaketime.
//!
//! Why: Victims' Code and supervision deadlines are counted in working days and UK local time,
//! so a test that builds its case from `Utc::now()` can pass on a Wednesday and fail on a Sunday,
//! across a bank holiday, or at 23:30 when the UK date and the UTC date differ. CI runs on
//! whatever day it runs (one such failure: a case reported "three days ago" was not yet overdue on
//! a Sunday). This command starts the clock of each test process at chosen instants (weekdays,
//! a weekend night, Christmas and New Year, both clock changes) and reports which suites fail on
//! which. Not part of `cargo xtask ci`: it needs libfaketime (Debian's `faketime` package) and
//! runs the suites once per instant.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct DatesArgs {
    /// An instant to start the clock at, UTC, as `YYYY-MM-DD HH:MM:SS` (repeatable; default: a
    /// set of awkward ones).
    #[arg(long = "at")]
    instants: Vec<String>,
    /// libfaketime's shared library (default: Debian's multithreaded one).
    #[arg(
        long,
        default_value = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
    )]
    library: PathBuf,
    /// Seconds a suite may run at one instant before it counts as failed.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

/// Awkward instants (UTC): a Monday morning, a Friday night after the UK date has turned (in
/// summer time), a Saturday night, Christmas Eve, the bank holiday after Boxing Day, New Year's
/// morning, the Monday after the spring clock change and the night of the autumn one.
const AWKWARD: [&str; 8] = [
    "2026-12-07 08:30:00",
    "2027-06-11 23:30:00",
    "2026-12-12 23:30:00",
    "2026-12-24 16:00:00",
    "2026-12-28 10:00:00",
    "2027-01-01 00:30:00",
    "2027-03-29 00:30:00",
    "2027-10-31 01:30:00",
];

/// Packages whose suites read the clock, and targets left out: they start cargo or Chromium,
/// which do not run under a faked clock (cargo waits on its build lock for ever).
const PACKAGES: [&str; 9] = [
    "web",
    "cli",
    "tests",
    "domain",
    "reporting",
    "reports",
    "northmoor",
    "synthetic",
    "guidance",
];
const LEFT_OUT: [&str; 2] = ["browser", "plugins"];

/// One test executable: its target name, its package's folder and its path.
struct Suite {
    name: String,
    package: String,
    folder: PathBuf,
    executable: PathBuf,
}

pub fn run(args: DatesArgs) -> Result<()> {
    if !args.library.is_file() {
        bail!(
            "libfaketime not found at {} (install Debian's `faketime` package, or pass --library)",
            args.library.display()
        );
    }
    let instants: Vec<String> = if args.instants.is_empty() {
        AWKWARD.iter().map(|s| (*s).to_owned()).collect()
    } else {
        args.instants.clone()
    };
    for instant in &instants {
        chrono::NaiveDateTime::parse_from_str(instant, "%Y-%m-%d %H:%M:%S")
            .with_context(|| format!("--at `{instant}`: expected YYYY-MM-DD HH:MM:SS (UTC)"))?;
    }
    let suites = suites()?;
    println!(
        "{} suites at {} instant{} (libfaketime)",
        suites.len(),
        instants.len(),
        if instants.len() == 1 { "" } else { "s" }
    );
    let mut failed = Vec::new();
    for instant in &instants {
        let mut passed = 0;
        for suite in &suites {
            match run_at(suite, instant, &args) {
                Ok(()) => passed += 1,
                Err(why) => {
                    println!(
                        "  FAILED {}:{} at {instant}: {why}",
                        suite.package, suite.name
                    );
                    failed.push(format!("{}:{} at {instant}", suite.package, suite.name));
                }
            }
        }
        println!("{instant} UTC: {passed}/{} suites passed", suites.len());
    }
    if !failed.is_empty() {
        bail!("{} suite runs failed: {}", failed.len(), failed.join("; "));
    }
    Ok(())
}

/// Builds the test executables and picks the suites of [`PACKAGES`].
fn suites() -> Result<Vec<Suite>> {
    let output = Command::new("cargo")
        .args(["test", "--workspace", "--no-run", "--message-format=json"])
        .current_dir(crate::ci::root())
        .output()
        .context("cannot start cargo")?;
    if !output.status.success() {
        bail!(
            "building the tests failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut suites = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let (Some(executable), Some(name), Some(manifest)) = (
            message["executable"].as_str(),
            message["target"]["name"].as_str(),
            message["manifest_path"].as_str(),
        ) else {
            continue;
        };
        let folder = Path::new(manifest)
            .parent()
            .context("a manifest without a folder")?;
        let package = folder
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if PACKAGES.contains(&package.as_str()) && !LEFT_OUT.contains(&name) {
            suites.push(Suite {
                name: name.to_owned(),
                package,
                folder: folder.to_path_buf(),
                executable: PathBuf::from(executable),
            });
        }
    }
    if suites.is_empty() {
        bail!("no test suites of {} were built", PACKAGES.join(", "));
    }
    Ok(suites)
}

/// Runs one suite with its clock started at `instant`; the monotonic clock is left alone, so
/// timeouts inside the suite still work.
fn run_at(suite: &Suite, instant: &str, args: &DatesArgs) -> Result<()> {
    let mut child = Command::new(&suite.executable)
        .current_dir(&suite.folder)
        .env("LD_PRELOAD", &args.library)
        .env("FAKETIME", format!("@{instant}"))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env(
            "RASSO_OPERATOR",
            std::env::var("RASSO_OPERATOR").unwrap_or_else(|_| "ci-operator".into()),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", suite.executable.display()))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(args.timeout);
    // The output is read after the process ends; a suite's output fits the pipe buffers only if
    // it is small, so read it on threads while waiting.
    let stdout = child.stdout.take().map(read_all);
    let stderr = child.stderr.take().map(read_all);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = |reader: Option<std::thread::JoinHandle<String>>| {
        reader.and_then(|r| r.join().ok()).unwrap_or_default()
    };
    let (out, err) = (text(stdout), text(stderr));
    match status {
        None => bail!("still running after {} s", args.timeout),
        Some(status) if status.success() => Ok(()),
        Some(status) => {
            let failures: Vec<&str> = out
                .lines()
                .chain(err.lines())
                .filter(|l| l.contains("panicked at") || l.starts_with("---- "))
                .take(6)
                .collect();
            bail!("{status}\n    {}", failures.join("\n    "))
        }
    }
}

fn read_all(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).ok();
        text
    })
}
