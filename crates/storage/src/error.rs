//! The one error type of the store. Messages name what and where (case, table, record) and never
//! carry victim identity: sealed values are never formatted into an error.

use crate::model::ExpectedVersion;

/// Why a store operation failed. When any of these is returned from a write, nothing of the
/// operation was stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Optimistic concurrency: the case moved on since the caller read it.
    #[error(
        "conflict on case {force}/{reference}: expected version {expected}, but the case is at version {actual}"
    )]
    Conflict {
        force: String,
        reference: String,
        expected: ExpectedVersion,
        actual: u64,
    },
    /// An event id the case already holds, sent again with different content. An event id names
    /// one event, so this is refused rather than skipped (the same id with the same content is an
    /// idempotent no-op). Names the case and the id, never a value of the event.
    #[error(
        "event {event_id} of case {force}/{reference} is already stored with different content (an event id names one event: send a correction as a new event with a new id)"
    )]
    EventIdReused {
        force: String,
        reference: String,
        event_id: String,
    },
    /// The operation was asked for without what it needs (for example a disclosure without a
    /// recipient).
    #[error("refused: {0}")]
    Refused(String),
    /// Input the store cannot accept.
    #[error("invalid: {0}")]
    Invalid(String),
    /// No such object.
    #[error("not found: {0}")]
    NotFound(String),
    /// Key material is missing, malformed, or does not open this database's keys.
    #[error("keys: {0}")]
    Key(String),
    /// A sealed field did not decrypt: wrong key, or a ciphertext moved to another row.
    #[error("sealed field {0} does not open with its keys (tampered with or moved)")]
    Unseal(String),
    /// Stored data that does not read back as written.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The audit record could not be written or read.
    #[error("audit: {0}")]
    Audit(String),
    /// A test fault injected by [`crate::fault::FaultInjector`].
    #[error("injected fault at operation {0}")]
    InjectedFault(u64),
    /// The database reported an error (through sqlx, or through rusqlite for SQLite's point
    /// reads and audit writer thread). Which library reported it is not part of the contract.
    #[error("database: {0}")]
    Database(DatabaseError),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(DatabaseError),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// An error the database reported, with what the store was doing when it names it. Its source is
/// the driver's error, for the chain of causes; its SQLSTATE code, where the database gives one,
/// is [`DatabaseError::code`].
#[derive(Debug)]
pub struct DatabaseError {
    what: String,
    code: Option<String>,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl DatabaseError {
    /// An error of `source` while doing `what` (empty: not named).
    pub(crate) fn new(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        DatabaseError {
            what: what.into(),
            code: None,
            source: Box::new(source),
        }
    }

    /// The database's own code for the error (SQLSTATE on PostgreSQL), if it gave one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// What the store was doing, if named.
    pub(crate) fn what(&self) -> &str {
        &self.what
    }

    /// The same error, naming what the store was doing.
    pub(crate) fn doing(mut self, what: impl Into<String>) -> Self {
        self.what = what.into();
        self
    }
}

impl std::fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.what.is_empty() {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}: {}", self.what, self.source)
        }
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let code = error
            .as_database_error()
            .and_then(|database| database.code())
            .map(|code| code.into_owned());
        let mut wrapped = DatabaseError::new("", error);
        wrapped.code = code;
        StoreError::Database(wrapped)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(DatabaseError::new("", error))
    }
}

impl StoreError {
    /// A rusqlite error while doing `what`.
    pub(crate) fn sqlite(what: impl Into<String>, source: rusqlite::Error) -> Self {
        StoreError::Database(DatabaseError::new(what, source))
    }

    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    /// True for a concurrency conflict (the caller may re-read and retry).
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}

/// Results of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
