//! A whole interchange file: every line parsed, every bad line reported as `FILE:LINE: message`,
//! and the checks that need more than one line (a person named before being added to the case).

use std::collections::{HashMap, HashSet};

use super::{CaseKey, EventData, PersonKey, Record, RecordError, parse_record};

/// A bad line of an interchange file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {error}")]
pub struct DocumentError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    pub error: RecordError,
}

/// The valid records of a file, each with its line number, and the errors of the invalid lines.
#[derive(Debug, Clone, Default)]
pub struct ParsedDocument {
    pub records: Vec<(usize, Record)>,
    pub errors: Vec<DocumentError>,
}

impl ParsedDocument {
    /// True when every line was valid.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The line numbers of the invalid lines, in order.
    pub fn rejected_lines(&self) -> Vec<usize> {
        let mut lines: Vec<usize> = self.errors.iter().map(|error| error.line).collect();
        lines.sort_unstable();
        lines.dedup();
        lines
    }
}

/// Reads a document line by line, so that large files need not be held twice in memory.
#[derive(Debug)]
pub struct DocumentParser {
    file: String,
    document: ParsedDocument,
}

impl DocumentParser {
    /// A parser for the file named `file` (used only in error messages).
    pub fn new(file: impl Into<String>) -> Self {
        DocumentParser {
            file: file.into(),
            document: ParsedDocument::default(),
        }
    }

    /// Parses one line; `line` is its 1-based number. Blank lines are allowed and skipped.
    pub fn push_line(&mut self, line: usize, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        match parse_record(text) {
            Ok(record) => self.document.records.push((line, record)),
            Err(error) => self.error(line, error),
        }
    }

    /// Records a line that could not even be read as text (for example, not UTF-8).
    pub fn push_invalid(&mut self, line: usize, message: &str) {
        self.error(line, RecordError::general(message));
    }

    fn error(&mut self, line: usize, error: RecordError) {
        self.document.errors.push(DocumentError {
            file: self.file.clone(),
            line,
            error,
        });
    }

    /// Finishes the document: checks that every person named by an event is added to its case,
    /// in this file or among `known_people` (people a store already holds).
    pub fn finish(mut self, known_people: &dyn Fn(&CaseKey, &PersonKey) -> bool) -> ParsedDocument {
        let mut added: HashMap<&CaseKey, HashSet<&PersonKey>> = HashMap::new();
        for (_, record) in &self.document.records {
            if let EventData::PersonAdded(person) = &record.event.data {
                added
                    .entry(&record.case)
                    .or_default()
                    .insert(&person.person);
            }
        }
        let mut unknown = Vec::new();
        for (line, record) in &self.document.records {
            let EventData::PersonAdded(_) = &record.event.data else {
                if let Some(person) = record.event.person() {
                    let in_file = added
                        .get(&record.case)
                        .is_some_and(|people| people.contains(person));
                    if !in_file && !known_people(&record.case, person) {
                        unknown.push((*line, person.clone(), record.case.reference.clone()));
                    }
                }
                continue;
            };
        }
        for (line, person, case) in unknown {
            self.error(
                line,
                RecordError::field(
                    "person",
                    format!("`{person}` is not added to case `{case}` (no person_added event)"),
                ),
            );
        }
        let rejected: HashSet<usize> = self.document.errors.iter().map(|e| e.line).collect();
        self.document
            .records
            .retain(|(line, _)| !rejected.contains(line));
        self.document.errors.sort_by_key(|error| error.line);
        self.document
    }
}

/// Parses a whole file held in memory; `file` names it in error messages.
pub fn parse_document(file: &str, text: &str) -> ParsedDocument {
    let mut parser = DocumentParser::new(file);
    for (index, line) in text.lines().enumerate() {
        parser.push_line(index + 1, line);
    }
    parser.finish(&|_, _| false)
}
