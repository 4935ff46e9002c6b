//! Reading interchange files: from a path or standard input (`-`), line by line.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result};
use domain::interchange::document::{DocumentParser, ParsedDocument};
use domain::interchange::{CaseKey, PersonKey};

/// How many bad lines to print before summarising the rest.
pub const MAX_ERRORS_SHOWN: usize = 50;

/// Reads and parses a whole interchange file. Lines that are not UTF-8 are reported like any other
/// bad line; only failing to open or read the file is an error here.
pub fn read_document(
    path: &Path,
    known_people: &dyn Fn(&CaseKey, &PersonKey) -> bool,
) -> Result<ParsedDocument> {
    let name = path.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(BufReader::new(io::stdin().lock()))
    } else {
        let file = File::open(path).with_context(|| format!("cannot open {name}"))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let mut parser = DocumentParser::new(name.clone());
    for (index, line) in reader.split(b'\n').enumerate() {
        let bytes = line.with_context(|| format!("cannot read {name}"))?;
        let number = index + 1;
        match std::str::from_utf8(&bytes) {
            Ok(text) => parser.push_line(number, text.strip_suffix('\r').unwrap_or(text)),
            Err(_) => parser.push_invalid(number, "not valid UTF-8"),
        }
    }
    Ok(parser.finish(known_people))
}

/// Prints the document's errors as `FILE:LINE: message`, at most [`MAX_ERRORS_SHOWN`] of them.
pub fn report_errors(document: &ParsedDocument) {
    for error in document.errors.iter().take(MAX_ERRORS_SHOWN) {
        eprintln!("{error}");
    }
    let more = document.errors.len().saturating_sub(MAX_ERRORS_SHOWN);
    if more > 0 {
        eprintln!("... and {more} more invalid lines");
    }
}
