//! Reading and validating interchange files: ONE validation for every command that reads them
//! (`check`, `import`, `report --input`, `guidance --input`), so that a file `check` accepts is a
//! file `import` stores, and a file `import` refuses is refused by `check` too.
//!
//! A file is read within limits (its size and each line's, so a huge or endless input is refused
//! with a clear error rather than held in memory), every line is parsed by the domain's own
//! parser (which bounds references, ids and person keys, and never quotes identity values), and
//! then the checks that need more than one line: a person named before being added to the case
//! (in this file, or already in the store for an import), and an event id used twice in a case
//! for different content. Loaded plugins' validators run last. Every bad line is reported as
//! `FILE:LINE: message`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Args;
use domain::interchange::document::DocumentError;
use domain::interchange::{EventData, RecordError};
use domain::{CaseKey, PersonKey, Record};
use storage::{EventReader, NewEvent};

use crate::data;

/// How many bad lines to print before summarising the rest.
pub const MAX_ERRORS_SHOWN: usize = 50;

/// How large an input may be.
#[derive(Debug, Clone, Copy, Args)]
pub struct InputLimits {
    /// The largest input accepted, in bytes (the whole file is validated in memory before
    /// anything is stored).
    #[arg(long, value_name = "BYTES", default_value_t = 2 << 30)]
    pub max_input_bytes: u64,
    /// The longest line accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_line_bytes: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_input_bytes: 2 << 30,
            max_line_bytes: 1 << 20,
        }
    }
}

/// Asked for the people already added to these cases in the store.
pub type KnownPeople<'a> = dyn FnMut(&[CaseKey]) -> Result<HashSet<(CaseKey, PersonKey)>> + 'a;

/// A whole file, read and checked.
#[derive(Debug, Default)]
pub struct Validated {
    /// The file as the user named it.
    pub name: String,
    /// Valid events with their line numbers, in file order.
    pub events: Vec<(usize, NewEvent)>,
    /// Bad lines, sorted by line.
    pub errors: Vec<DocumentError>,
    /// The raw text of every bad line, for a reject file.
    pub rejected: HashMap<usize, Vec<u8>>,
}

impl Validated {
    /// True when every line was valid.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The valid records, in file order.
    pub fn into_records(self) -> impl Iterator<Item = Record> {
        self.events.into_iter().map(|(_, event)| event.record)
    }

    fn bad(&mut self, line: usize, raw: Vec<u8>, error: RecordError) {
        self.errors.push(DocumentError {
            file: self.name.clone(),
            line,
            error,
        });
        self.rejected.insert(line, raw);
    }

    /// Moves the events on these lines to the bad lines (their raw text kept from the event).
    fn reject_events(&mut self, bad: Vec<(usize, RecordError)>) {
        if bad.is_empty() {
            return;
        }
        let lines: HashSet<usize> = bad.iter().map(|(line, _)| *line).collect();
        let mut raws: HashMap<usize, Vec<u8>> = HashMap::new();
        for (line, event) in &self.events {
            if lines.contains(line) {
                raws.insert(
                    *line,
                    serde_json::Value::Object(event.object.clone())
                        .to_string()
                        .into_bytes(),
                );
            }
        }
        for (line, error) in bad {
            let raw = raws.get(&line).cloned().unwrap_or_default();
            self.bad(line, raw, error);
        }
        self.events.retain(|(line, _)| !lines.contains(line));
    }
}

/// Opens `path` (`-` for standard input), with a progress bar over a file's bytes.
pub fn open(path: &Path) -> Result<(Box<dyn BufRead>, Option<indicatif::ProgressBar>)> {
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

/// Reads and validates a whole file with no store behind it (`check`, `report --input`,
/// `guidance --input`): the same validation as an import into an empty store.
pub fn read_document(
    path: &Path,
    limits: InputLimits,
    host: Option<&plugin_host::PluginHost>,
) -> Result<Validated> {
    let (reader, bar) = open(path)?;
    let validated = validate(
        &path.display().to_string(),
        reader,
        limits,
        &mut |_| Ok(HashSet::new()),
        host,
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    validated
}

/// Reads every line of `reader` within `limits` and validates the file (see the module
/// documentation). `known_people` is asked about people the file names but does not add.
pub fn validate(
    name: &str,
    reader: impl BufRead,
    limits: InputLimits,
    known_people: &mut KnownPeople<'_>,
    host: Option<&plugin_host::PluginHost>,
) -> Result<Validated> {
    let mut validated = Validated {
        name: name.to_owned(),
        ..Validated::default()
    };
    let raws = read_lines(name, reader, limits, &mut validated)?;
    parse_lines(&raws, &mut validated);
    drop(raws);
    let missing = people_not_added(&validated.events, known_people)?;
    validated.reject_events(missing);
    let conflicts = ids_used_twice(&validated.events);
    validated.reject_events(conflicts);
    if let Some(host) = host {
        let refused = refused_by_plugins(host, &validated.events);
        validated.reject_events(refused);
    }
    validated.errors.sort_by_key(|error| error.line);
    Ok(validated)
}

/// Every line's bytes (empty for lines already reported, such as over-long ones), checking the
/// input's size as it is read.
fn read_lines(
    name: &str,
    mut reader: impl BufRead,
    limits: InputLimits,
    validated: &mut Validated,
) -> Result<Vec<Vec<u8>>> {
    let mut raws = Vec::new();
    let mut total: u64 = 0;
    loop {
        let mut line = Vec::new();
        let (read, too_long) = read_bounded_line(&mut reader, &mut line, limits.max_line_bytes)
            .with_context(|| format!("cannot read {name}"))?;
        if read == 0 {
            break;
        }
        total += read as u64;
        if total > limits.max_input_bytes {
            bail!(
                "{name}: larger than {} bytes (--max-input-bytes); nothing was read into the store",
                limits.max_input_bytes
            );
        }
        let number = raws.len() + 1;
        if too_long {
            validated.bad(
                number,
                Vec::new(),
                RecordError {
                    field: None,
                    message: format!(
                        "the line is longer than {} bytes (--max-line-bytes)",
                        limits.max_line_bytes
                    ),
                },
            );
            raws.push(Vec::new());
        } else {
            raws.push(line);
        }
    }
    Ok(raws)
}

/// Reads one line (without its `\n`) into `line`, keeping at most `max` bytes: a longer line is
/// read to its end and dropped. Returns the bytes consumed and whether the line was too long.
fn read_bounded_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok((consumed, too_long));
        }
        let (part, done) = match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => (&buffer[..end], end + 1),
            None => (buffer, buffer.len()),
        };
        if !too_long {
            if line.len() + part.len() > max {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(part);
            }
        }
        let found_end = done > part.len();
        reader.consume(done);
        consumed += done;
        if found_end {
            return Ok((consumed, too_long));
        }
    }
}

/// Parses every non-blank line (on all cores), numbering id-less events in line order.
fn parse_lines(raws: &[Vec<u8>], validated: &mut Validated) {
    let mut numbers = Vec::with_capacity(raws.len());
    let mut texts = Vec::with_capacity(raws.len());
    for (index, raw) in raws.iter().enumerate() {
        let number = index + 1;
        if validated.rejected.contains_key(&number) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(raw) else {
            validated.bad(
                number,
                raw.clone(),
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
    for (number, result) in numbers.into_iter().zip(EventReader::new().read_all(&texts)) {
        match result {
            Ok(event) => validated.events.push((number, event)),
            Err(error) => validated.bad(number, raws[number - 1].clone(), error),
        }
    }
}

/// Events naming a person not added to their case, in this file or (asked once, for the cases
/// concerned) in the store.
fn people_not_added(
    events: &[(usize, NewEvent)],
    known_people: &mut KnownPeople<'_>,
) -> Result<Vec<(usize, RecordError)>> {
    let mut added: HashSet<(&CaseKey, &PersonKey)> = HashSet::new();
    for (_, event) in events {
        if let EventData::PersonAdded(person) = &event.record.event.data {
            added.insert((event.case(), &person.person));
        }
    }
    let missing: Vec<(usize, &CaseKey, &PersonKey)> = events
        .iter()
        .filter(|(_, event)| !matches!(event.record.event.data, EventData::PersonAdded(_)))
        .filter_map(|(line, event)| {
            let person = event.record.event.person()?;
            (!added.contains(&(event.case(), person))).then_some((*line, event.case(), person))
        })
        .collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let cases: Vec<CaseKey> = missing
        .iter()
        .map(|(_, case, _)| (*case).clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let known = known_people(&cases)?;
    Ok(missing
        .into_iter()
        .filter(|(_, case, person)| !known.contains(&((*case).clone(), (*person).clone())))
        .map(|(line, case, person)| {
            (
                line,
                RecordError {
                    field: Some("person".into()),
                    message: format!(
                        "`{person}` is not added to case `{}` (no person_added event)",
                        case.reference
                    ),
                },
            )
        })
        .collect())
}

/// Events whose id an earlier line of the same case already used for different content. The same
/// id with the same content is the same event given twice, which storing treats as one.
fn ids_used_twice(events: &[(usize, NewEvent)]) -> Vec<(usize, RecordError)> {
    let mut first: HashMap<(&CaseKey, &str), (usize, String)> = HashMap::new();
    let mut conflicts = Vec::new();
    for (line, event) in events {
        if event.record.event.id.is_none() {
            continue;
        }
        let content = content_of(&event.object);
        match first.get(&(event.case(), event.id.as_str())) {
            None => {
                first.insert((event.case(), event.id.as_str()), (*line, content));
            }
            Some((earlier, seen)) if *seen != content => conflicts.push((
                *line,
                RecordError {
                    field: Some("id".into()),
                    message: format!(
                        "`{}` is already the id of line {earlier} of case `{}`, with different content",
                        event.id,
                        event.case().reference
                    ),
                },
            )),
            Some(_) => {}
        }
    }
    conflicts
}

/// An event's content for comparing two events with one id: everything but the id, identity
/// included (two different people under one id are two events), in canonical form.
fn content_of(object: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut without = object.clone();
    without.remove("id");
    storage::canonical_json(&serde_json::Value::Object(without))
}

/// Events a loaded plugin's validator refuses (for example a force's case reference format).
fn refused_by_plugins(
    host: &plugin_host::PluginHost,
    events: &[(usize, NewEvent)],
) -> Vec<(usize, RecordError)> {
    let mut refused = Vec::new();
    for (line, event) in events {
        for problem in host.validate(&event.record) {
            refused.push((
                *line,
                RecordError {
                    field: Some(problem.field.clone()),
                    message: format!("{} (plugin `{}`)", problem.message, problem.plugin),
                },
            ));
        }
    }
    refused
}

/// Prints the errors as `FILE:LINE: message`, at most [`MAX_ERRORS_SHOWN`] of them.
pub fn report_errors(validated: &Validated) {
    for error in validated.errors.iter().take(MAX_ERRORS_SHOWN) {
        eprintln!("{error}");
    }
    let more = validated.errors.len().saturating_sub(MAX_ERRORS_SHOWN);
    if more > 0 {
        eprintln!("... and {more} more invalid lines");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str, max: usize) -> Vec<(Vec<u8>, bool)> {
        let mut reader = io::BufReader::with_capacity(4, text.as_bytes());
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            let (read, too_long) = read_bounded_line(&mut reader, &mut line, max).expect("read");
            if read == 0 {
                return out;
            }
            out.push((line, too_long));
        }
    }

    fn line(fields: serde_json::Value) -> String {
        let mut object = serde_json::json!({"case": "EX-1", "force": "exampleshire", "at": "2026-03-06T10:00:00Z"});
        if let (Some(target), serde_json::Value::Object(extra)) = (object.as_object_mut(), fields) {
            target.extend(extra);
        }
        object.to_string()
    }

    fn validate_text(text: &str, limits: InputLimits) -> Result<Validated> {
        validate(
            "cases.jsonl",
            text.as_bytes(),
            limits,
            &mut |_| Ok(HashSet::new()),
            None,
        )
    }

    fn messages(validated: &Validated) -> Vec<String> {
        validated.errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn bad_lines_are_reported_by_file_and_line_with_people_not_added() {
        let text = [
            line(serde_json::json!({"kind": "person_added", "person": "V1", "role": "victim"})),
            String::new(),
            line(serde_json::json!({"kind": "needs_assessment", "person": "V1"})),
            line(serde_json::json!({"kind": "needs_assessment", "person": "V9"})),
            "not json".to_owned(),
            line(serde_json::json!({"kind": "suspect_arrested", "person": "S1"})),
            line(serde_json::json!({"kind": "person_added", "person": "S1", "role": "suspect"})),
        ]
        .join("\n");
        let validated = validate_text(&text, InputLimits::default()).expect("read");
        assert_eq!(
            messages(&validated),
            [
                "cases.jsonl:4: field `person`: `V9` is not added to case `EX-1` (no person_added event)",
                "cases.jsonl:5: not valid JSON: expected ident at line 1 column 2",
            ]
        );
        // A person added on a later line of the same case is fine: files need not be in time order.
        assert_eq!(validated.events.len(), 4);
        assert_eq!(
            validated
                .rejected
                .keys()
                .copied()
                .collect::<std::collections::BTreeSet<_>>(),
            [4, 5].into()
        );
    }

    #[test]
    fn one_id_for_two_different_events_of_a_case_is_refused() {
        let first = line(serde_json::json!({"kind": "note", "id": "n-1", "text": "first"}));
        let text = [
            first.clone(),
            // The same event again: one event, stored once.
            first,
            line(serde_json::json!({"kind": "note", "id": "n-1", "text": "something else"})),
            // The same id in another case is another event.
            line(serde_json::json!({"kind": "note", "id": "n-1", "text": "x", "case": "EX-2"})),
        ]
        .join("\n");
        let validated = validate_text(&text, InputLimits::default()).expect("read");
        assert_eq!(
            messages(&validated),
            [
                "cases.jsonl:3: field `id`: `n-1` is already the id of line 1 of case `EX-1`, with different content"
            ]
        );
        assert_eq!(validated.events.len(), 3);
    }

    #[test]
    fn inputs_and_lines_over_their_limits_are_refused_without_holding_them() {
        let note = line(serde_json::json!({"kind": "note", "text": "a".repeat(200)}));
        let text = format!(
            "{note}\n{}\n",
            line(serde_json::json!({"kind": "note", "text": "ok"}))
        );
        let limits = InputLimits {
            max_input_bytes: 1 << 20,
            max_line_bytes: 150,
        };
        let validated = validate_text(&text, limits).expect("read");
        assert_eq!(
            messages(&validated),
            ["cases.jsonl:1: the line is longer than 150 bytes (--max-line-bytes)"]
        );
        let tiny = InputLimits {
            max_input_bytes: 100,
            max_line_bytes: 1 << 20,
        };
        let error = validate_text(&text, tiny)
            .expect_err("too large")
            .to_string();
        assert!(error.contains("larger than 100 bytes"), "{error}");
    }

    #[test]
    fn lines_are_read_within_their_limit_across_buffer_boundaries() {
        let lines = lines_of("short\nmuch too long a line\n\nlast", 8);
        assert_eq!(
            lines,
            [
                (b"short".to_vec(), false),
                (Vec::new(), true),
                (Vec::new(), false),
                (b"last".to_vec(), false),
            ]
        );
    }
}
