//! `rasso import FILE`: validate a whole interchange file, then store it, durably and audited.
//!
//! With any invalid line nothing is stored and every bad line is reported as `FILE:LINE: message`;
//! `--skip-invalid` stores the valid lines and writes the rejected ones, unchanged, to a reject
//! file. Events are idempotent by id (derived from the content for id-less lines), so importing
//! the same file again is a no-op.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use domain::CaseKey;
use storage::{Access, Append, ExpectedVersion, NewEvent, Purpose, StoreError};

use crate::data::{self, DataArgs};
use crate::input::{self, InputLimits, Validated};

/// Events per transaction: whole cases are kept together.
const BATCH_EVENTS: usize = 2_000;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The interchange file (JSON Lines); `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Store the valid lines and write the invalid ones, unchanged, to the reject file.
    #[arg(long)]
    skip_invalid: bool,
    /// Where `--skip-invalid` writes rejected lines (default: FILE.rejects).
    #[arg(long, value_name = "FILE", requires = "skip_invalid")]
    reject_file: Option<PathBuf>,
    /// The file's format: `interchange` (default), or an import format of a loaded plugin (a force
    /// records-system export, converted by the plugin to interchange events).
    #[arg(long, default_value = "interchange")]
    format: String,
    /// Force plugins configuration (TOML): their validators check every event, and their importers
    /// provide extra formats.
    #[arg(long, value_name = "FILE", env = "RASSO_PLUGINS_CONFIG")]
    plugins_config: Option<PathBuf>,
    #[command(flatten)]
    limits: InputLimits,
    #[command(flatten)]
    data: DataArgs,
}

/// Groups events by case, in order of each case's first appearance.
fn by_case(events: Vec<NewEvent>) -> Vec<Append> {
    let mut order: Vec<CaseKey> = Vec::new();
    let mut by_case: HashMap<CaseKey, Vec<NewEvent>> = HashMap::new();
    for event in events {
        let key = event.case().clone();
        by_case
            .entry(key)
            .or_insert_with_key(|key| {
                order.push(key.clone());
                Vec::new()
            })
            .push(event);
    }
    order
        .into_iter()
        .map(|case| {
            let events = by_case.remove(&case).unwrap_or_default();
            Append {
                case,
                expected: ExpectedVersion::Any,
                events,
            }
        })
        .collect()
}

/// Whole cases in batches of about [`BATCH_EVENTS`] events, one transaction each.
fn batches(appends: Vec<Append>) -> Vec<Vec<Append>> {
    let mut batches = Vec::new();
    let mut current: Vec<Append> = Vec::new();
    let mut size = 0;
    for append in appends {
        size += append.events.len();
        current.push(append);
        if size >= BATCH_EVENTS {
            batches.push(std::mem::take(&mut current));
            size = 0;
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

fn write_rejects(path: &Path, parsed: &Validated) -> Result<()> {
    let mut out = io::BufWriter::new(data::create_private_file(path)?);
    let mut lines: Vec<(&usize, &Vec<u8>)> = parsed.rejected.iter().collect();
    lines.sort();
    for (_, raw) in lines {
        out.write_all(raw)?;
        if !raw.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
    }
    out.flush()
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn run(args: ImportArgs) -> Result<ExitCode> {
    let runtime = data::runtime()?;
    runtime.block_on(import(args))
}

/// A plugin importer's output as interchange lines; an error if the plugin refuses the file.
fn converted(host: &plugin_host::PluginHost, format: &str, path: &Path) -> Result<Vec<u8>> {
    if !host.import_formats().contains_key(format) {
        let known: Vec<String> = host.import_formats().into_keys().collect();
        anyhow::bail!(
            "unknown import format `{format}`: use interchange{}",
            known.iter().map(|k| format!(", {k}")).collect::<String>()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let records = host.import(format, &bytes).with_context(|| {
        format!(
            "{}: the `{format}` importer refused the file; nothing imported",
            path.display()
        )
    })?;
    let mut lines = Vec::new();
    for record in records {
        lines.extend_from_slice(record.to_line().as_bytes());
        lines.push(b'\n');
    }
    Ok(lines)
}

async fn import(args: ImportArgs) -> Result<ExitCode> {
    // Errors in a converted file count the converted events, not the lines of the original.
    let name = if args.format == "interchange" {
        args.file.display().to_string()
    } else {
        format!("{} (converted by {})", args.file.display(), args.format)
    };
    let host = std::sync::Arc::new(super::plugin::load_host(
        args.plugins_config.as_deref(),
        domain::RuleSet::national(),
    )?);
    let (input, validating): (Box<dyn BufRead>, _) = if args.format == "interchange" {
        input::open(&args.file)?
    } else {
        let lines = converted(&host, &args.format, &args.file)?;
        (Box::new(io::Cursor::new(lines)), None)
    };
    let access = Access::new(args.data.actor()?, Purpose::Import);
    // An existing store is opened first (people already added there count); a new one is created
    // only once the file is known to be good, so a bad file changes nothing at all.
    let mut opened = if args.data.exists()? {
        Some(args.data.open(false).await?)
    } else {
        None
    };
    let handle = tokio::runtime::Handle::current();
    // The same validation as `rasso check` (crate::input), with the store's people counted.
    let parsed = tokio::task::block_in_place(|| {
        input::validate(
            &name,
            input,
            args.limits,
            &mut |cases| match &opened {
                Some(opened) => handle
                    .block_on(opened.store.known_people(&access, cases))
                    .context("cannot read people already in the store"),
                None => Ok(HashSet::new()),
            },
            Some(host.as_ref()),
        )
    })?;
    if let Some(bar) = validating {
        bar.finish_and_clear();
    }
    super::plugin::report_disabled(&host);
    if !parsed.is_valid() {
        input::report_errors(&parsed);
        if !args.skip_invalid {
            eprintln!(
                "{name}: {} invalid lines; nothing imported (fix them, or use --skip-invalid)",
                parsed.rejected.len()
            );
            return Ok(ExitCode::FAILURE);
        }
        let reject_file = args
            .reject_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{name}.rejects")));
        write_rejects(&reject_file, &parsed)?;
        eprintln!(
            "{name}: {} invalid lines written to {}",
            parsed.rejected.len(),
            reject_file.display()
        );
    }
    let lines: HashMap<(CaseKey, String), usize> = parsed
        .events
        .iter()
        .map(|(line, event)| ((event.case().clone(), event.id.clone()), *line))
        .collect();
    let total = parsed.events.len() as u64;
    let appends = by_case(parsed.events.into_iter().map(|(_, event)| event).collect());
    // What the store itself would refuse (an id its case already holds for another event) is
    // found before anything is stored: a file refused by import stores nothing.
    if let Some(opened) = &opened {
        match opened.store.check_append(&access, &appends).await {
            Ok(()) => {}
            Err(StoreError::EventIdReused {
                force,
                reference,
                event_id,
            }) => {
                let case = CaseKey {
                    force: force.as_str().into(),
                    reference: reference.as_str().into(),
                };
                let line = lines.get(&(case, event_id.clone())).copied().unwrap_or(0);
                eprintln!(
                    "{name}:{line}: field `id`: `{event_id}` is already stored in case `{reference}` for another event (an id names one event: send a correction as a new event with a new id)"
                );
                eprintln!("{name}: refused; nothing imported");
                return Ok(ExitCode::FAILURE);
            }
            Err(error) => {
                return Err(error).context("cannot check the file against the store");
            }
        }
    }
    let mut opened = match opened.take() {
        Some(opened) => opened,
        None => args.data.open(true).await?,
    };
    if args.plugins_config.is_some() {
        // The report facts of what is imported include the plugins' rules (docs/reporting.md).
        opened.store.attach_plugin_rules(host.clone()).await?;
    }
    let store = &opened.store;
    let batches = batches(appends);
    let bar = data::progress(total, "importing");
    let (mut appended, mut duplicates, mut cases) = (0, 0, 0);
    for batch in batches {
        let events: u64 = batch.iter().map(|append| append.events.len() as u64).sum();
        let outcomes = store
            .append(&access, batch)
            .await
            .context("import failed; this batch was not stored (re-run the import: it resumes)")?;
        for outcome in outcomes {
            appended += outcome.appended;
            duplicates += outcome.duplicates;
            cases += 1;
        }
        bar.inc(events);
    }
    bar.finish_and_clear();
    println!("imported {appended} new events into {cases} cases ({duplicates} already stored)");
    opened.store.close().await;
    Ok(ExitCode::SUCCESS)
}
