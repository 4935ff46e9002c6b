//! A bad line of an interchange file, reported as `FILE:LINE: message`. Reading a whole file
//! (and the checks that need more than one line) is done once, at the edge that reads files:
//! the command line's `input` module.

use super::RecordError;

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
