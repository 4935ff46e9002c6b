//! The SQLite store: WAL, `synchronous=FULL`, foreign keys on, one writer connection and a few
//! read-only readers.

#[cfg(any(test, feature = "harness"))]
mod link;

#[cfg(any(test, feature = "harness"))]
#[doc(hidden)]
pub use link::BulkSuspect;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::CaseKey;
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use crate::access::{Access, Category};
use crate::audit::{AuditEntry, AuditRecord, AuditSigner, HeadTrust};
use crate::common::Core;
use crate::error::{StoreError, StoreResult};
use crate::fault::FaultInjector;
use crate::keys::MasterKey;
use crate::model::{BackupInfo, ForceChanges, Session};
use crate::row_maps::SessionRow;
use crate::rows::{INSERT_EVENTS, INSERT_SEALED, SealedRow, push_event, push_sealed};
use crate::server_state::CaseShare;
use crate::sql::{Run, Values};
use crate::tx::Conn;

mod audit_writer;
mod files;
mod point_read;
mod web;

use audit_writer::{AuditWriter, WriteGate};
use point_read::{PointReader, optional};

/// What opening a SQLite store needs.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file.
    pub path: PathBuf,
    pub master_key: MasterKey,
    pub signer: AuditSigner,
}

/// The SQLite implementation of [`crate::Store`].
pub struct SqliteStore {
    path: PathBuf,
    writer: SqlitePool,
    pub(crate) reader: SqlitePool,
    /// Reads of a row or two by key, on the caller's thread (see [`point_read`]).
    points: PointReader,
    /// Keys, audit signing, rules, plugins and faults (the head trust is shared with the audit
    /// writer).
    core: Core,
    /// Audit records written on their own, committed in groups by a thread of their own.
    audit_writer: AuditWriter,
    /// Taken by every write transaction begun here and by the audit writer (see [`WriteGate`]).
    gate: WriteGate,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::common::debug_store(f, "SqliteStore", &self.path)
    }
}

/// A write transaction of the SQLite store (see [`crate::tx::Tx`]): every operation passes the
/// fault injector, and it holds the store's turn at the write gate.
pub(crate) type WriteTx<'s> = crate::tx::Tx<'s, Sqlite>;

fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `options.path`, runs migrations, and loads the
    /// data keys with the master key (creating the first data key for a new database).
    pub async fn open(options: SqliteOptions) -> StoreResult<SqliteStore> {
        if let Some(parent) = options.path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        files::owner_only_database(&options.path)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(connect_options(&options.path).create_if_missing(true))
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(connect_options(&options.path).read_only(true))
            .await?;
        let keys =
            crate::engine::load_keys::<Sqlite>(&mut *writer.acquire().await?, &options.master_key)
                .await?;
        let gate = WriteGate::default();
        let trust = Arc::new(HeadTrust::new(options.signer.verifying_key()));
        let audit_writer = AuditWriter::start(
            &options.path,
            options.signer.clone(),
            Arc::clone(&trust),
            Arc::clone(&gate),
            None,
        )?;
        let store = SqliteStore {
            points: PointReader::new(&options.path),
            path: options.path,
            audit_writer,
            gate,
            writer,
            reader,
            core: Core::new(keys, options.signer, trust),
        };
        crate::engine::mark_empty_store(&store).await?;
        crate::engine::upgrade_chains(&store).await?;
        files::owner_only_side_files(&store.path)?;
        Ok(store)
    }

    /// The same store with a fault injector on every write transaction (tests only).
    #[cfg(any(test, feature = "harness"))]
    pub fn with_fault_injector(mut self, faults: Arc<FaultInjector>) -> Self {
        match AuditWriter::start(
            &self.path,
            self.core.signer.clone(),
            Arc::clone(&self.core.trust),
            Arc::clone(&self.gate),
            Some(Arc::clone(&faults)),
        ) {
            Ok(writer) => self.audit_writer = writer,
            // Tests only: the store keeps its writer without faults, and the test sees why.
            Err(error) => tracing::error!(%error, "cannot restart the audit writer with faults"),
        }
        self.core.faults = Some(faults);
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores new cases in bulk, for benchmarks only: the rows are those [`crate::CaseStore::append`]
    /// writes, but the write is not durable until the next checkpoint of the file (see
    /// `crate::bulk`). Returns the number of cases stored.
    #[cfg(any(test, feature = "harness"))]
    #[doc(hidden)]
    pub async fn bulk_load(&self, access: &Access, batch: Vec<crate::Append>) -> StoreResult<u64> {
        // `synchronous` is the connection's setting: off for the load only.
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(&self.writer)
            .await?;
        let result = crate::bulk::load(self, access, batch, None).await;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&self.writer)
            .await?;
        result
    }

    /// Closes the pools, checkpointing the WAL.
    pub async fn close(self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// SQLite's `PRAGMA integrity_check`: `ok`, or the problems found.
    pub async fn integrity_check(&self) -> StoreResult<String> {
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&self.writer)
            .await?;
        let lines: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
        Ok(lines.join("\n"))
    }

    /// Replaces the database at `db_path` with the backup at `backup` (the store must be closed).
    /// The copy is made durable before it takes the database's place.
    pub fn restore(backup: &Path, db_path: &Path) -> StoreResult<()> {
        if !backup.is_file() {
            return Err(StoreError::NotFound(format!(
                "backup {} does not exist",
                backup.display()
            )));
        }
        if let Some(parent) = db_path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        let temporary = db_path.with_extension("restoring");
        std::fs::copy(backup, &temporary).map_err(|e| {
            StoreError::io(
                format!(
                    "cannot copy {} to {}",
                    backup.display(),
                    temporary.display()
                ),
                e,
            )
        })?;
        // `fs::copy` gives the copy the backup's mode: the database is owner-only whatever it was.
        files::restrict(&temporary)?;
        std::fs::File::open(&temporary)
            .and_then(|file| file.sync_all())
            .map_err(|e| StoreError::io(format!("cannot sync {}", temporary.display()), e))?;
        for suffix in ["-wal", "-shm"] {
            let mut side = db_path.as_os_str().to_owned();
            side.push(suffix);
            let side = PathBuf::from(side);
            if side.exists() {
                std::fs::remove_file(&side)
                    .map_err(|e| StoreError::io(format!("cannot remove {}", side.display()), e))?;
            }
        }
        std::fs::rename(&temporary, db_path)
            .map_err(|e| StoreError::io(format!("cannot replace {}", db_path.display()), e))?;
        Ok(())
    }

    pub(crate) async fn begin_write(&self) -> StoreResult<WriteTx<'_>> {
        begin_write_on(&self.writer, &self.gate, self.core.faults.as_deref()).await
    }
}

/// Rows per multi-row insert of an append's events (8 values a row) and sealed fields (7): well
/// inside SQLite's limit of 32,766 bound values.
const EVENT_ROWS_PER_INSERT: usize = 500;

/// Begins a write transaction on the writer connection (`BEGIN IMMEDIATE`: the write lock is
/// taken at once), every operation of it passing the fault injector.
async fn begin_write_on<'s>(
    writer: &SqlitePool,
    gate: &WriteGate,
    faults: Option<&'s FaultInjector>,
) -> StoreResult<WriteTx<'s>> {
    let turn = Arc::clone(gate).lock_owned().await;
    WriteTx::begin(writer, "BEGIN IMMEDIATE", faults, Some(turn)).await
}

#[async_trait]
impl crate::engine::Backend for SqliteStore {
    type Db = Sqlite;
    const USERS_BY_NAME: &'static str = "SELECT * FROM users ORDER BY username";
    // Each statement is a round trip to the connection's thread: a batch's records go in a few
    // (SQLite's limit is 32,766 bound values).
    const AUDIT_ROWS_PER_INSERT: usize = 64;
    const ADD_CHECKPOINT: &'static str = crate::audit_sql::INSERT_CHECKPOINT;
    const WRITE_HEAD: &'static str = crate::audit_sql::UPSERT_HEAD;
    const REBUILD_CASES: &'static str = crate::facts_sql::REBUILD_CASES;
    const DATA_KEYS_TO_ROTATE: &'static str =
        "SELECT key_id, nonce, wrapped FROM data_keys ORDER BY key_id";
    const CASES_IN_ORDER: &'static str = " ORDER BY force, reference";
    const CASE_FOR_APPEND: &'static str =
        "SELECT case_id, version, head FROM cases WHERE force = $1 AND reference = $2";

    fn core(&self) -> &Core {
        &self.core
    }

    async fn snapshot_tx(&self, _actor: &str) -> StoreResult<WriteTx<'_>> {
        // A read transaction on a reader: one snapshot, and writers carry on meanwhile.
        WriteTx::begin(&self.reader, "BEGIN", None, None).await
    }

    async fn backup(&self, access: &Access, dest: &Path) -> StoreResult<BackupInfo> {
        if dest.exists() {
            return Err(StoreError::Refused(format!(
                "{} already exists; a backup never overwrites",
                dest.display()
            )));
        }
        if let Some(parent) = dest.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        let entry = AuditEntry::new(access, Category::Disclosure, "database")
            .with_detail(json!({"backup": dest.display().to_string()}));
        let records = self.audit_alone(vec![entry]).await?;
        // Created empty and owner-only first: VACUUM INTO fills an empty file, keeping its mode.
        files::create_owner_only(dest)?;
        // VACUUM INTO reads one snapshot (a read transaction), so writers carry on meanwhile.
        let mut connection = sqlx::ConnectOptions::connect(&connect_options(&self.path)).await?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest.display().to_string())
            .execute(&mut connection)
            .await?;
        sqlx::Connection::close(connection).await?;
        let file = std::fs::File::open(dest)
            .map_err(|e| StoreError::io(format!("cannot open {}", dest.display()), e))?;
        file.sync_all()
            .map_err(|e| StoreError::io(format!("cannot sync {}", dest.display()), e))?;
        let bytes = file
            .metadata()
            .map_err(|e| StoreError::io(format!("cannot stat {}", dest.display()), e))?
            .len();
        tracing::info!(bytes, path = %dest.display(), "backup written");
        Ok(BackupInfo {
            path: dest.to_path_buf(),
            bytes,
            audit_records: records.last().map_or(0, |record| record.seq as u64),
        })
    }

    async fn insert_events(
        &self,
        tx: &mut WriteTx<'_>,
        case_id: i64,
        audit_seq: i64,
        _key_id: i64,
        rows: Vec<crate::rows::EventRow>,
    ) -> StoreResult<()> {
        for chunk in rows.chunks(EVENT_ROWS_PER_INSERT) {
            let mut insert = Values::<Sqlite>::new(INSERT_EVENTS);
            for row in chunk {
                push_event(&mut insert, case_id, audit_seq, row);
            }
            insert.finish("").build().run(tx.next()?).await?;
        }
        let sealed: Vec<(i64, &SealedRow)> = rows
            .iter()
            .filter_map(|row| row.sealed.as_ref().map(|sealed| (row.seq, sealed)))
            .collect();
        for chunk in sealed.chunks(EVENT_ROWS_PER_INSERT) {
            let mut insert = Values::<Sqlite>::new(INSERT_SEALED);
            for (seq, sealed) in chunk {
                push_sealed(&mut insert, case_id, *seq, sealed);
            }
            insert.finish("").build().run(tx.next()?).await?;
        }
        Ok(())
    }

    async fn snapshot(&self, _actor: &str) -> StoreResult<Conn<'_, Sqlite>> {
        Ok(Conn::Pooled(self.reader.acquire().await?))
    }

    async fn case_changes(&self, force: Option<&str>) -> StoreResult<u64> {
        self.points
            .read("the change counter", |db| force_changes(db, force))
    }

    async fn audited_version(
        &self,
        _access: &Access,
        key: &CaseKey,
        entry: AuditEntry,
        with_shares: bool,
    ) -> StoreResult<crate::engine::AuditedVersion<'_, Sqlite>> {
        let (found, shares) = self.web_audited_version(key, entry, with_shares).await?;
        Ok(crate::engine::AuditedVersion {
            found,
            conn: None,
            shares,
        })
    }

    async fn begin(&self, _actor: &str, _audit: bool) -> StoreResult<WriteTx<'_>> {
        self.begin_write().await
    }

    async fn read_cases(&self, _actor: &str) -> StoreResult<Conn<'_, Sqlite>> {
        Ok(Conn::Pooled(self.reader.acquire().await?))
    }

    async fn read_plain(&self) -> StoreResult<Conn<'_, Sqlite>> {
        Ok(Conn::Pooled(self.reader.acquire().await?))
    }

    async fn write_plain(&self) -> StoreResult<Conn<'_, Sqlite>> {
        Ok(Conn::Tx(self.begin_write().await?))
    }

    async fn audit_alone(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        self.audit_writer.submit(entries).await
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let row = self
            .points
            .read("the session", |db| session_row(db, token_hash))?;
        row.map(Session::try_from).transpose()
    }

    async fn session_with_force_changes(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, Option<ForceChanges>)>> {
        let found = self
            .points
            .read("the session and its force's change counter", |db| {
                let found = db
                    .prepare_cached(crate::case_changes::SESSION_WITH_FORCE_CHANGES)?
                    .query_row([token_hash], |row| {
                        let changes =
                            crate::case_changes::force_changes_of(row.get(5)?, row.get(6)?);
                        Ok((session_from_row(row)?, changes))
                    });
                Ok(optional(found)?)
            })?;
        found
            .map(|(row, changes)| Ok((Session::try_from(row)?, changes)))
            .transpose()
    }

    async fn break_glass_grant(&self, session: &str, key: &CaseKey) -> StoreResult<Option<String>> {
        self.point_break_glass_grant(session, key)
    }

    async fn case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
        self.point_case_shares(key)
    }
}

/// A session's row by token hash (a point read).
fn session_row(db: &rusqlite::Connection, token_hash: &str) -> StoreResult<Option<SessionRow>> {
    let found = db
        .prepare_cached(crate::row_maps::SESSION_BY_TOKEN)?
        .query_row([token_hash], session_from_row);
    Ok(optional(found)?)
}

/// The session columns of a row (the first five, in the order of `row_maps::SESSION_BY_TOKEN`).
fn session_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        token_hash: row.get(0)?,
        username: row.get(1)?,
        csrf_token: row.get(2)?,
        created_at: row.get(3)?,
        last_seen_at: row.get(4)?,
    })
}

/// The change counter of `force` (every force's together when `None`): 0 before any change.
fn force_changes(db: &rusqlite::Connection, force: Option<&str>) -> StoreResult<u64> {
    let found: rusqlite::Result<i64> = match force {
        Some(force) => db
            .prepare_cached(crate::case_changes::CHANGES_OF_FORCE)?
            .query_row([force], |row| row.get(0)),
        None => db
            .prepare_cached(crate::case_changes::CHANGES_OF_ALL)?
            .query_row([], |row| row.get(0)),
    };
    Ok(crate::case_changes::changes_or_zero(optional(found)?))
}
