//! The SQLite store: WAL, `synchronous=FULL`, foreign keys on, one writer connection and a few
//! read-only readers.

mod link;

#[cfg(any(test, feature = "harness"))]
#[doc(hidden)]
pub use link::BulkSuspect;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use domain::CaseKey;
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use crate::access::{Access, Category};
use crate::audit::{AuditEntry, AuditRecord, AuditSigner, HeadTrust, format_time};
use crate::common::{Core, IDENTITY_FIELD, KeyRing, case_object, lock_poisoned};
use crate::error::{StoreError, StoreResult};
use crate::fault::FaultInjector;
use crate::keys::{DataKey, MasterKey};
use crate::model::{BackupInfo, Session};
use crate::server_state::{CaseRead, CaseShare};
use crate::tx::Conn;

mod audit_writer;
#[cfg(any(test, feature = "harness"))]
mod bulk_load;
mod files;
mod point_read;
mod report_facts;
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

/// The SQLite implementation of [`Store`].
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
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
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
        let keys = load_keys(&writer, &options.master_key).await?;
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
        report_facts::mark_empty_store(&store).await?;
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

    #[cfg(any(test, feature = "harness"))]
    fn active_key(&self) -> StoreResult<(i64, DataKey)> {
        self.core
            .keys
            .read()
            .map_err(|_| lock_poisoned())?
            .active_key()
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

async fn load_keys(pool: &SqlitePool, master: &MasterKey) -> StoreResult<KeyRing> {
    let rows = sqlx::query("SELECT key_id, nonce, wrapped, active FROM data_keys ORDER BY key_id")
        .fetch_all(pool)
        .await?;
    let mut keys = HashMap::new();
    let mut active = None;
    for row in &rows {
        let key_id: i64 = row.try_get(0)?;
        let nonce: Vec<u8> = row.try_get(1)?;
        let wrapped: Vec<u8> = row.try_get(2)?;
        keys.insert(key_id, master.unwrap_key(key_id, &nonce, &wrapped)?);
        if row.try_get::<bool, _>(3)? {
            active = Some(key_id);
        }
    }
    let active = match active {
        Some(active) => active,
        None => {
            let data_key = DataKey::generate();
            let key_id = rows.len() as i64 + 1;
            let (nonce, wrapped) = master.wrap(key_id, &data_key)?;
            sqlx::query(
                "INSERT INTO data_keys (key_id, master_key_id, nonce, wrapped, active, created_at) VALUES ($1, $2, $3, $4, TRUE, $5)",
            )
            .bind(key_id)
            .bind(master.id())
            .bind(nonce.to_vec())
            .bind(wrapped)
            .bind(format_time(Utc::now()))
            .execute(pool)
            .await?;
            keys.insert(key_id, data_key);
            key_id
        }
    };
    Ok(KeyRing {
        master: master.clone(),
        keys,
        active,
    })
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
        let records = self.audit_alone(&[entry]).await?;
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
        let rows = &rows;
        for chunk in rows.chunks(EVENT_ROWS_PER_INSERT) {
            tx.op()?;
            let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (case_id, seq, event_id, at, kind, person, body, audit_seq) ",
            );
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(case_id)
                    .push_bind(row.seq)
                    .push_bind(&row.event_id)
                    .push_bind(&row.at)
                    .push_bind(row.kind)
                    .push_bind(&row.person)
                    .push_bind(&row.body)
                    .push_bind(audit_seq);
            });
            insert.build().execute(&mut *tx.tx).await?;
        }
        let sealed: Vec<(i64, &crate::rows::SealedRow)> = rows
            .iter()
            .filter_map(|row| row.sealed.as_ref().map(|sealed| (row.seq, sealed)))
            .collect();
        for chunk in sealed.chunks(EVENT_ROWS_PER_INSERT) {
            tx.op()?;
            let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO sealed (case_id, seq, field, person, key_id, nonce, ciphertext) ",
            );
            insert.push_values(chunk, |mut values, (seq, sealed)| {
                values
                    .push_bind(case_id)
                    .push_bind(*seq)
                    .push_bind(IDENTITY_FIELD)
                    .push_bind(&sealed.person)
                    .push_bind(sealed.key_id)
                    .push_bind(&sealed.nonce)
                    .push_bind(&sealed.ciphertext);
            });
            insert.build().execute(&mut *tx.tx).await?;
        }
        Ok(())
    }

    async fn snapshot(&self, _actor: &str) -> StoreResult<Conn<'_, Sqlite>> {
        Ok(Conn::Pooled(self.reader.acquire().await?))
    }

    async fn case_changes(&self, force: Option<&str>) -> StoreResult<u64> {
        let changes: Option<i64> = self.points.read("the change counter", |db| {
            let found = match force {
                Some(force) => db
                    .prepare_cached(crate::case_changes::CHANGES_OF_FORCE)?
                    .query_row([force], |row| row.get(0)),
                None => db
                    .prepare_cached(crate::case_changes::CHANGES_OF_ALL)?
                    .query_row([], |row| row.get(0)),
            };
            Ok(optional(found)?)
        })?;
        Ok(changes.unwrap_or(0).max(0) as u64)
    }

    async fn read_case_if_changed(
        &self,
        access: &Access,
        key: &CaseKey,
        known: Option<u64>,
    ) -> StoreResult<CaseRead> {
        self.web_read_case_if_changed(access, key, known).await
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

    async fn audit_alone(&self, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
        self.audit_writer.submit(entries.to_vec()).await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        self.points.read("the session", |db| {
            let found = db
                .prepare_cached(
                    "SELECT token_hash, username, csrf_token, created_at, last_seen_at \
                     FROM sessions WHERE token_hash = $1",
                )?
                .query_row([token_hash], |row| {
                    Ok(Session {
                        token_hash: row.get(0)?,
                        username: row.get(1)?,
                        csrf_token: row.get(2)?,
                        created_at: row.get(3)?,
                        last_seen_at: row.get(4)?,
                    })
                });
            Ok(optional(found)?)
        })
    }

    async fn break_glass_grant(&self, session: &str, key: &CaseKey) -> StoreResult<Option<String>> {
        self.point_break_glass_grant(session, key)
    }

    async fn case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
        self.point_case_shares(key)
    }
}

// ---- Copying a deployment into this store (`crate::copy`) -------------------------------------

impl SqliteStore {
    /// Reads the data keys inside `tx` with this store's master key (an error if they do not
    /// open with it), to be installed with [`SqliteStore::install_keys`] once `tx` commits.
    pub(crate) async fn keys_in(&self, tx: &mut WriteTx<'_>) -> StoreResult<KeyRing> {
        let master = self
            .core
            .keys
            .read()
            .map_err(|_| lock_poisoned())?
            .master
            .clone();
        let rows =
            sqlx::query("SELECT key_id, nonce, wrapped, active FROM data_keys ORDER BY key_id")
                .fetch_all(&mut *tx.tx)
                .await?;
        let mut keys = HashMap::new();
        let mut active = None;
        for row in &rows {
            let key_id: i64 = row.try_get(0)?;
            let nonce: Vec<u8> = row.try_get(1)?;
            let wrapped: Vec<u8> = row.try_get(2)?;
            keys.insert(key_id, master.unwrap_key(key_id, &nonce, &wrapped)?);
            if row.try_get::<bool, _>(3)? {
                active = Some(key_id);
            }
        }
        let active = active.ok_or_else(|| StoreError::Key("no active data key".into()))?;
        Ok(KeyRing {
            master,
            keys,
            active,
        })
    }

    /// Uses `ring` from now on.
    pub(crate) fn install_keys(&self, ring: KeyRing) -> StoreResult<()> {
        *self.core.keys.write().map_err(|_| lock_poisoned())? = ring;
        Ok(())
    }
}
