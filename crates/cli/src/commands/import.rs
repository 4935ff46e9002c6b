//! `rasso import FILE`: validate a whole interchange file, then store it, durably and audited.
//!
//! With any invalid line nothing is stored and every bad line is reported as `FILE:LINE: message`;
//! `--skip-invalid` stores the valid lines and writes the rejected ones, unchanged, to a reject
//! file. Events are idempotent by id (derived from the content for id-less lines), so importing
//! the same file again is a no-op.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use domain::interchange::document::DocumentError;
use domain::interchange::{EventData, RecordError};
use domain::{CaseKey, PersonKey};
use storage::{Access, Append, EventReader, ExpectedVersion, NewEvent, Purpose};

use crate::data::{self, DataArgs};
use crate::input::MAX_ERRORS_SHOWN;

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
    data: DataArgs,
}

/// A whole file, parsed and checked.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Valid events with their line numbers.
    pub events: Vec<(usize, NewEvent)>,
    /// Bad lines, sorted by line.
    pub errors: Vec<DocumentError>,
    /// The raw text of every bad line, for the reject file.
    pub rejected: HashMap<usize, Vec<u8>>,
}

/// Asked for the people already added to these cases in the store.
pub type KnownPeople<'a> = dyn FnMut(&[CaseKey]) -> Result<HashSet<(CaseKey, PersonKey)>> + 'a;

/// Identity values must not reach an error message: the domain's message may quote the value.
fn without_identity(error: RecordError) -> RecordError {
    match &error.field {
        Some(field) if field == "identity" || field.starts_with("identity.") => RecordError {
            field: error.field,
            message: "not a valid identity (the value is not shown: identity is sealed)".into(),
        },
        _ => error,
    }
}

/// Reads and checks every line; `known_people` is asked about people the file names but does not
/// add (they may be in the store already).
pub fn parse_file(
    name: &str,
    reader: impl BufRead,
    known_people: &mut KnownPeople<'_>,
) -> Result<Parsed> {
    let mut parsed = Parsed::default();
    let mut events = EventReader::new();
    let bad = |parsed: &mut Parsed, line: usize, raw: &[u8], error: RecordError| {
        parsed.errors.push(DocumentError {
            file: name.to_owned(),
            line,
            error: without_identity(error),
        });
        parsed.rejected.insert(line, raw.to_vec());
    };
    let mut raws: Vec<Vec<u8>> = Vec::new();
    for line in reader.split(b'\n') {
        raws.push(line.with_context(|| format!("cannot read {name}"))?);
    }
    let mut numbers = Vec::with_capacity(raws.len());
    let mut texts = Vec::with_capacity(raws.len());
    for (index, raw) in raws.iter().enumerate() {
        let number = index + 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            bad(
                &mut parsed,
                number,
                raw,
                RecordError {
                    field: None,
                    message: "not valid UTF-8".into(),
                },
            );
            continue;
        };
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            continue;
        }
        numbers.push(number);
        texts.push(text);
    }
    // Parsing is the costly part: all cores, then numbered in line order.
    for (number, result) in numbers.into_iter().zip(events.read_all(&texts)) {
        match result {
            Ok(event) => parsed.events.push((number, event)),
            Err(error) => bad(&mut parsed, number, &raws[number - 1], error),
        }
    }
    // People named before being added: in this file, or already in the store.
    let mut added: HashSet<(&CaseKey, &PersonKey)> = HashSet::new();
    for (_, event) in &parsed.events {
        if let EventData::PersonAdded(person) = &event.record.event.data {
            added.insert((event.case(), &person.person));
        }
    }
    let mut missing: Vec<(usize, CaseKey, PersonKey)> = Vec::new();
    for (line, event) in &parsed.events {
        if matches!(event.record.event.data, EventData::PersonAdded(_)) {
            continue;
        }
        if let Some(person) = event.record.event.person()
            && !added.contains(&(event.case(), person))
        {
            missing.push((*line, event.case().clone(), person.clone()));
        }
    }
    if !missing.is_empty() {
        let cases: Vec<CaseKey> = missing
            .iter()
            .map(|(_, case, _)| case.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let known = known_people(&cases)?;
        let mut raw_lines: HashMap<usize, Vec<u8>> = HashMap::new();
        for (line, case, person) in missing {
            if known.contains(&(case.clone(), person.clone())) {
                continue;
            }
            if let Some((_, event)) = parsed.events.iter().find(|(l, _)| *l == line) {
                raw_lines.insert(
                    line,
                    serde_json::Value::Object(event.object.clone())
                        .to_string()
                        .into_bytes(),
                );
            }
            parsed.errors.push(DocumentError {
                file: name.to_owned(),
                line,
                error: RecordError {
                    field: Some("person".into()),
                    message: format!(
                        "`{person}` is not added to case `{}` (no person_added event)",
                        case.reference
                    ),
                },
            });
        }
        for (line, raw) in raw_lines {
            parsed.rejected.insert(line, raw);
        }
        parsed
            .events
            .retain(|(line, _)| !parsed.rejected.contains_key(line));
    }
    parsed.errors.sort_by_key(|error| error.line);
    Ok(parsed)
}

/// Groups events by case (in order of first appearance) into batches of whole cases.
pub fn batches(events: Vec<NewEvent>) -> Vec<Vec<Append>> {
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
    let mut batches = Vec::new();
    let mut current: Vec<Append> = Vec::new();
    let mut size = 0;
    for case in order {
        let events = by_case.remove(&case).unwrap_or_default();
        size += events.len();
        current.push(Append {
            case,
            expected: ExpectedVersion::Any,
            events,
        });
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

/// The input, with a progress bar over its bytes while it is validated (files only).
fn open_input(path: &Path) -> Result<(Box<dyn BufRead>, Option<indicatif::ProgressBar>)> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(BufReader::new(io::stdin().lock())), None));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = data::progress(size, "validating");
    let reader = bar.wrap_read(file);
    Ok((
        Box::new(BufReader::with_capacity(1 << 16, reader)),
        Some(bar),
    ))
}

fn write_rejects(path: &Path, parsed: &Parsed) -> Result<()> {
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

/// Runs the plugins' validators on every parsed event; refused events become bad lines.
fn validate_with_plugins(host: &plugin_host::PluginHost, name: &str, parsed: &mut Parsed) {
    let mut refused = Vec::new();
    for (line, event) in &parsed.events {
        for problem in host.validate(&event.record) {
            parsed.errors.push(DocumentError {
                file: name.to_owned(),
                line: *line,
                error: RecordError {
                    field: Some(problem.field.clone()),
                    message: format!("{} (plugin `{}`)", problem.message, problem.plugin),
                },
            });
            refused.push((
                *line,
                serde_json::Value::Object(event.object.clone()).to_string(),
            ));
        }
    }
    for (line, raw) in refused {
        parsed.rejected.insert(line, raw.into_bytes());
    }
    parsed
        .events
        .retain(|(line, _)| !parsed.rejected.contains_key(line));
    parsed.errors.sort_by_key(|error| error.line);
}

async fn import(args: ImportArgs) -> Result<ExitCode> {
    // Errors in a converted file count the converted events, not the lines of the original.
    let name = if args.format == "interchange" {
        args.file.display().to_string()
    } else {
        format!("{} (converted by {})", args.file.display(), args.format)
    };
    let host =
        super::plugin::load_host(args.plugins_config.as_deref(), domain::RuleSet::national())?;
    let (input, validating): (Box<dyn BufRead>, _) = if args.format == "interchange" {
        open_input(&args.file)?
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
    let parsed = tokio::task::block_in_place(|| {
        parse_file(&name, input, &mut |cases| match &opened {
            Some(opened) => handle
                .block_on(opened.store.known_people(&access, cases))
                .context("cannot read people already in the store"),
            None => Ok(HashSet::new()),
        })
    })?;
    if let Some(bar) = validating {
        bar.finish_and_clear();
    }
    let mut parsed = parsed;
    validate_with_plugins(&host, &name, &mut parsed);
    super::plugin::report_disabled(&host);
    if !parsed.errors.is_empty() {
        for error in parsed.errors.iter().take(MAX_ERRORS_SHOWN) {
            eprintln!("{error}");
        }
        let more = parsed.errors.len().saturating_sub(MAX_ERRORS_SHOWN);
        if more > 0 {
            eprintln!("... and {more} more invalid lines");
        }
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
    let opened = match opened.take() {
        Some(opened) => opened,
        None => args.data.open(true).await?,
    };
    let store = &opened.store;
    let total = parsed.events.len() as u64;
    let batches = batches(parsed.events.into_iter().map(|(_, event)| event).collect());
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
