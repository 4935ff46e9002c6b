//! Point reads: a row or a few, found through an index, read on the caller's own thread.
//!
//! sqlx runs every SQLite statement on its connection's worker thread and sends the rows back
//! over a channel. For a read of one row by key that journey (waking the worker, then waking the
//! caller) costs several times the read itself: profiles of `cargo xtask bench http` showed half
//! of the server's CPU time in the kernel, waking threads, while SQLite's own work was under 1%.
//! The reads the web server makes on every request (its session, the case's version, the case's
//! shares, a break-glass grant, a force's change counter) therefore go through these connections
//! instead.
//!
//! What makes running them on the caller's (async) thread acceptable: each is one indexed
//! lookup of a few small rows, microseconds with the pages cached; the connections are read-only
//! and the database is in WAL mode, so a reader never waits for the writer; and a connection is
//! held only for the synchronous call, never across an `.await`. Each statement runs in its own
//! read transaction and so sees everything committed before it started, like the sqlx readers.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{StoreError, StoreResult};

/// A point read's single row, or `None` when there is none.
pub(crate) fn optional<T>(found: rusqlite::Result<T>) -> rusqlite::Result<Option<T>> {
    match found {
        Ok(value) => Ok(Some(value)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(other) => Err(other),
    }
}

/// An error from SQLite inside a point read, named by `PointReader::read`.
impl From<rusqlite::Error> for StoreError {
    fn from(source: rusqlite::Error) -> Self {
        StoreError::sqlite("", source)
    }
}

/// At most this many idle connections are kept (one per thread that reads at the same time is
/// enough: a read never yields while it holds one).
const KEEP_IDLE: usize = 8;

/// Read-only connections for point reads, opened on demand and reused.
pub(crate) struct PointReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for PointReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl PointReader {
    /// Point reads of the database at `path` (which must exist: the store has opened it).
    pub(crate) fn new(path: &Path) -> Self {
        PointReader {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection (opening one if none is idle). `what` names the read in
    /// an error from SQLite (`?` on a `rusqlite::Error` inside `read` leaves it to be named).
    pub(crate) fn read<T>(
        &self,
        what: &str,
        read: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let taken = self.idle().pop();
        let connection = match taken {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = read(&connection);
        let mut idle = self.idle();
        // A connection left inside a transaction would answer every later read from that
        // transaction's snapshot: it is closed instead.
        if idle.len() < KEEP_IDLE && connection.is_autocommit() {
            idle.push(connection);
        }
        drop(idle);
        result.map_err(|error| match error {
            StoreError::Database(error) if error.what().is_empty() => {
                StoreError::Database(error.doing(what))
            }
            other => other,
        })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A list of connections: a panic elsewhere cannot leave it half-changed.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open(&self) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags).map_err(|source| {
            StoreError::sqlite(
                format!("opening {} for point reads", self.path.display()),
                source,
            )
        })?;
        connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(|source| StoreError::sqlite("setting the busy timeout", source))?;
        Ok(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database holding table `t (k, v)` with `rows` run on it, its writing connection,
    /// and a point reader of it (the directory lives as long as the first value).
    fn database(rows: &str) -> (tempfile::TempDir, Connection, PointReader) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("points.db");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER); {rows}"
            ))
            .expect("schema");
        let reader = PointReader::new(&path);
        (dir, writer, reader)
    }

    #[test]
    fn reads_what_another_connection_committed_and_reuses_connections() {
        let (_dir, writer, reader) = database("");
        let read = |key: &str| {
            reader.read("t", |c| {
                let found = c
                    .prepare_cached("SELECT v FROM t WHERE k = ?1")?
                    .query_row([key], |row| row.get::<_, i64>(0));
                Ok(optional(found)?)
            })
        };
        assert_eq!(read("a").expect("read"), None);
        writer
            .execute("INSERT INTO t VALUES ('a', 7)", [])
            .expect("insert");
        assert_eq!(read("a").expect("read"), Some(7));
        assert_eq!(reader.idle().len(), 1, "the one connection is reused");
    }

    #[test]
    fn a_connection_left_inside_a_transaction_is_closed_not_reused() {
        let (_dir, _writer, reader) = database("INSERT INTO t VALUES ('a', 1);");
        reader
            .read("t", |db| {
                db.execute_batch("BEGIN; SELECT v FROM t;")?;
                Ok(())
            })
            .expect("read");
        assert!(
            reader.idle().is_empty(),
            "its snapshot would answer later reads"
        );
        reader.read("t", |_| Ok(())).expect("read");
        assert_eq!(reader.idle().len(), 1, "a connection outside one is kept");
    }

    #[test]
    fn an_error_names_the_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("points.db");
        Connection::open(&path).expect("create");
        let reader = PointReader::new(&path);
        let error = reader
            .read("the session", |c| {
                Ok(c.query_row("SELECT x FROM no_such_table", [], |r| r.get::<_, i64>(0))?)
            })
            .expect_err("no table");
        let text = error.to_string();
        assert!(text.contains("the session"), "{text}");
        assert!(text.contains("no_such_table"), "{text}");
    }
}
