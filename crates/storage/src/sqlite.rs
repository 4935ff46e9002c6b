//! The SQLite store: WAL, `synchronous=FULL`, foreign keys on, one writer connection and a few
//! read-only readers.

mod link;

#[doc(hidden)]
pub use link::BulkSuspect;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::interchange::Identity;
use domain::{Case, CaseKey, Event, PersonKey, RuleSet};
use serde_json::{Map, Value, json};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use crate::access::{Access, Category};
use crate::audit::{
    AuditEntry, AuditRecord, AuditSigner, Checkpoint, HeadTrust, SignedHead, VerifyReport,
    append_detail, checkpoint_now, extend_chain, format_time,
};
use crate::chain::{CaseChainer, CaseHead, GENESIS, StateDelta};
use crate::common::{
    IDENTITY_FIELD, KeyRing, PAGE, case_object, identity_from_plaintext, lock_poisoned, parse_body,
    project,
};
use crate::error::{StoreError, StoreResult};
use crate::facts::{FactsQuery, FactsSink};
use crate::fault::FaultInjector;
use crate::keys::{DataKey, MasterKey, SealBinding};
use crate::linking::{
    CaseLink, LinkDecision, LinkMatch, ProgressSink, RelinkReport, RepeatSuspects,
};
use crate::model::{
    Append, AppendOutcome, BackupInfo, CaseFilter, CaseSummary, ExpectedVersion, ExportOptions,
    Session, StoredCase, User,
};
use crate::row_maps::{head_from_row, record_from_row, summaries, user_from_row};
use crate::server_state::{BreakGlassDeclaration, CaseRead, CaseShare, NewShare};
use crate::store::{
    AccountStore, AdminStore, AuditStore, CaseSink, CaseStore, FactsStore, LineSink, LinkageStore,
    SharingStore,
};

mod audit_writer;
mod bulk_load;
pub(crate) mod chains;
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
    keys: RwLock<KeyRing>,
    signer: AuditSigner,
    /// The signed head last checked or written, shared with the audit writer (see [`HeadTrust`]).
    trust: Arc<HeadTrust>,
    rules: RuleSet,
    /// Force plugins whose findings report facts include (none unless attached).
    facts_plugins: crate::facts::FactsPlugins,
    faults: Option<Arc<FaultInjector>>,
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
            keys: RwLock::new(keys),
            signer: options.signer,
            trust,
            rules: RuleSet::national(),
            facts_plugins: Default::default(),
            faults: None,
        };
        report_facts::mark_empty_store(&store).await?;
        store.upgrade_chains().await?;
        files::owner_only_side_files(&store.path)?;
        Ok(store)
    }

    /// The same store with a fault injector on every write transaction (tests only).
    pub fn with_fault_injector(mut self, faults: Arc<FaultInjector>) -> Self {
        match AuditWriter::start(
            &self.path,
            self.signer.clone(),
            Arc::clone(&self.trust),
            Arc::clone(&self.gate),
            Some(Arc::clone(&faults)),
        ) {
            Ok(writer) => self.audit_writer = writer,
            // Tests only: the store keeps its writer without faults, and the test sees why.
            Err(error) => tracing::error!(%error, "cannot restart the audit writer with faults"),
        }
        self.faults = Some(faults);
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
        begin_write_on(&self.writer, &self.gate, self.faults.as_deref()).await
    }

    fn active_key(&self) -> StoreResult<(i64, DataKey)> {
        self.keys.read().map_err(|_| lock_poisoned())?.active_key()
    }

    fn data_key(&self, key_id: i64) -> StoreResult<DataKey> {
        self.keys
            .read()
            .map_err(|_| lock_poisoned())?
            .data_key(key_id)
    }

    /// Appends audit records for `entries` inside `tx`: chained, checkpointed when due, and the
    /// signed head moved to the last one (no case moved).
    pub(crate) async fn write_audit(
        &self,
        tx: &mut WriteTx<'_>,
        entries: &[AuditEntry],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AuditRecord>> {
        self.write_audit_moving(tx, entries, &StateDelta::default(), now)
            .await
    }

    /// [`SqliteStore::write_audit`] for a transaction that moved cases' chain heads: the signed
    /// head's state digest moves by `delta`.
    pub(crate) async fn write_audit_moving(
        &self,
        tx: &mut WriteTx<'_>,
        entries: &[AuditEntry],
        delta: &StateDelta,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AuditRecord>> {
        write_audit_signed(&self.signer, &self.trust, tx, entries, delta, now, false).await
    }

    /// Writes audit records in a transaction of their own (for reads: before the data is read;
    /// a case read looks up only which version there is before), grouped with those of concurrent callers into one commit (see [`crate::group_commit`]).
    /// Returns once the records are durable.
    async fn audit_alone(&self, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
        self.audit_writer.submit(entries.to_vec()).await
    }

    async fn append_one(
        &self,
        tx: &mut WriteTx<'_>,
        append: Append,
        key: &(i64, DataKey),
        now: DateTime<Utc>,
        next_audit_seq: i64,
        delta: &mut StateDelta,
    ) -> StoreResult<(AppendOutcome, Option<AuditEntry>)> {
        let force = append.case.force.as_str();
        let reference = append.case.reference.as_str();
        if let Some(stray) = append
            .events
            .iter()
            .find(|event| event.case() != &append.case)
        {
            return Err(StoreError::Invalid(format!(
                "event {} belongs to case {}/{}, not {force}/{reference}",
                stray.id,
                stray.case().force,
                stray.case().reference
            )));
        }
        tx.op()?;
        let row = sqlx::query(
            "SELECT case_id, version, head FROM cases WHERE force = $1 AND reference = $2",
        )
        .bind(force)
        .bind(reference)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let (case_id, version, head) = match row {
            Some(row) => (
                Some(row.try_get::<i64, _>(0)?),
                row.try_get::<i64, _>(1)? as u64,
                row.try_get::<Option<String>, _>(2)?,
            ),
            None => (None, 0, None),
        };
        let mut held = HashMap::new();
        let mut order = Vec::new();
        if let Some(case_id) = case_id {
            tx.op()?;
            let rows = sqlx::query(crate::rows::HELD_EVENTS)
                .bind(case_id)
                .fetch_all(&mut *tx.tx)
                .await?;
            for row in &rows {
                let (seq, event_id, held_event) = crate::row_maps::held_from_row(row)?;
                order.push((seq, event_id.clone()));
                held.insert(event_id, held_event);
            }
        }
        let (fresh, duplicates) =
            crate::rows::new_events(force, reference, append.events, &held, &|key_id| {
                self.data_key(key_id)
            })?;
        if fresh.is_empty() {
            return Ok((
                AppendOutcome {
                    appended: 0,
                    duplicates,
                    version,
                },
                None,
            ));
        }
        let expected_ok = match append.expected {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoCase => version == 0,
            ExpectedVersion::Exact(expected) => version == expected,
        };
        if !expected_ok {
            return Err(StoreError::Conflict {
                force: force.to_owned(),
                reference: reference.to_owned(),
                expected: append.expected,
                actual: version,
            });
        }
        let old_head = crate::rows::chain_head(force, reference, version, head.as_deref())?;
        let case_id = match case_id {
            Some(id) => id,
            None => {
                tx.op()?;
                sqlx::query(
                    "INSERT INTO cases (force, reference, version, status, officer, open_findings, people, reported_at, last_event_at, updated_at) \
                     VALUES ($1, $2, 0, 'open', NULL, 0, 0, NULL, NULL, $3) RETURNING case_id",
                )
                .bind(force)
                .bind(reference)
                .bind(format_time(now))
                .fetch_one(&mut *tx.tx)
                .await?
                .try_get(0)?
            }
        };
        // Earlier events, for the projection.
        let mut events: Vec<Event> = Vec::with_capacity(order.len() + fresh.len());
        for (seq, event_id) in &order {
            if let Some(held_event) = held.get(event_id) {
                events.push(parse_body(&held_event.body, force, reference, *seq)?.event);
            }
        }
        let appended = fresh.len() as u64;
        let mut chainer =
            CaseChainer::resume(version, old_head.as_ref().map_or(GENESIS, |h| h.head));
        let mut suspects = Vec::new();
        let mut rows = Vec::with_capacity(fresh.len());
        for (index, new) in fresh.into_iter().enumerate() {
            let seq = (version + index as u64 + 1) as i64;
            suspects.extend(crate::rows::suspect_identity(&new));
            let (row, event) = crate::rows::event_row(new, seq, force, reference, key)?;
            row.chain_onto(&mut chainer, force, reference);
            rows.push(row);
            events.push(event);
        }
        insert_event_rows(tx, case_id, next_audit_seq, &rows).await?;
        // Linkage runs after the case's rows are in, in the same transaction.
        let mut suggestions = 0u64;
        for (person, identity) in &suspects {
            suggestions += self
                .link_suspect(tx, key, case_id, force, reference, person, identity, now)
                .await?;
        }
        let new_version = version + appended;
        let new_head = chainer.head();
        let case = Case::new(append.case.clone(), events);
        let projection = project(&case, &self.rules, now);
        report_facts::write(tx, case_id, &case, &self.rules, &self.facts_plugins).await?;
        tx.op()?;
        sqlx::query(
            "UPDATE cases SET version = $1, status = $2, officer = $3, open_findings = $4, people = $5, reported_at = $6, \
             last_event_at = $7, updated_at = $8, head = $9 WHERE case_id = $10",
        )
        .bind(new_version as i64)
        .bind(projection.status.as_str())
        .bind(projection.officer)
        .bind(projection.open_findings as i64)
        .bind(projection.people as i64)
        .bind(projection.reported_at)
        .bind(projection.last_event_at)
        .bind(format_time(now))
        .bind(crate::chain::to_hex(&new_head))
        .bind(case_id)
        .execute(&mut *tx.tx)
        .await?;
        tx.op()?;
        sqlx::query(crate::case_changes::COUNT_CHANGES)
            .bind(force)
            .bind(1_i64)
            .execute(&mut *tx.tx)
            .await?;
        delta.push(
            old_head,
            CaseHead {
                force: force.to_owned(),
                reference: reference.to_owned(),
                version: new_version,
                head: new_head,
            },
        );
        let category = if version == 0 {
            Category::Collection
        } else {
            Category::Alteration
        };
        let mut entry = AuditEntry {
            actor: String::new(),
            category,
            object: case_object(force, reference),
            purpose: String::new(),
            reason: None,
            recipient: None,
            detail: append_detail(appended, version, new_version, &new_head),
        };
        if suggestions > 0 {
            // Suggestions read other suspects' sealed profiles: say so on the record.
            entry.detail["link_suggestions"] = json!(suggestions);
        }
        Ok((
            AppendOutcome {
                appended,
                duplicates,
                version: new_version,
            },
            Some(entry),
        ))
    }

    async fn case_rows(
        &self,
        after: i64,
        force: Option<&str>,
    ) -> StoreResult<Vec<(i64, String, String, i64)>> {
        let rows = match force {
            Some(force) => {
                sqlx::query(
                    "SELECT case_id, force, reference, version FROM cases WHERE case_id > $1 AND force = $2 ORDER BY case_id LIMIT $3",
                )
                .bind(after)
                .bind(force)
                .bind(PAGE)
                .fetch_all(&self.reader)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT case_id, force, reference, version FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT $2",
                )
                .bind(after)
                .bind(PAGE)
                .fetch_all(&self.reader)
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                ))
            })
            .collect()
    }
}

/// Rows per multi-row insert of an append's events (8 values a row) and sealed fields (7): well
/// inside SQLite's limit of 32,766 bound values.
const EVENT_ROWS_PER_INSERT: usize = 500;

/// Inserts an append's new events and their sealed fields, many rows per statement (each
/// statement is a round trip to the connection's thread; one per event was most of an append's
/// time for a new case).
async fn insert_event_rows(
    tx: &mut WriteTx<'_>,
    case_id: i64,
    audit_seq: i64,
    rows: &[crate::rows::EventRow],
) -> StoreResult<()> {
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

/// Appends audit records for `entries` inside `tx`: chained, checkpointed when due, and the
/// signed head moved to the last one, with the state digest moved by `delta`. With `upgrade`, a
/// head of the first format is extended (the store's upgrade, [`SqliteStore::upgrade_chains`]).
pub(crate) async fn write_audit_signed(
    signer: &AuditSigner,
    trust: &HeadTrust,
    tx: &mut WriteTx<'_>,
    entries: &[AuditEntry],
    delta: &StateDelta,
    now: DateTime<Utc>,
    upgrade: bool,
) -> StoreResult<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    tx.op()?;
    let tail = crate::audit_sql::read_chain_tail::<Sqlite>(&mut tx.tx, trust, upgrade).await?;
    let extension = extend_chain(signer, tail, entries, delta, now);
    insert_audit_records(tx, &extension.records).await?;
    for checkpoint in &extension.checkpoints {
        insert_checkpoint(tx, checkpoint).await?;
    }
    write_head(tx, &extension.head).await?;
    trust.wrote(&extension.head);
    Ok(extension.records)
}

/// Audit records per `INSERT` statement: a batch's records go in a few statements rather than
/// one each (each statement is a round trip to the connection's thread), well inside SQLite's
/// limit of 32,766 bound values (11 a record).
const AUDIT_ROWS_PER_INSERT: usize = 64;

async fn insert_audit_records(tx: &mut WriteTx<'_>, records: &[AuditRecord]) -> StoreResult<()> {
    for chunk in records.chunks(AUDIT_ROWS_PER_INSERT) {
        tx.op()?;
        crate::audit_sql::insert_records::<Sqlite>(&mut tx.tx, chunk, AUDIT_ROWS_PER_INSERT)
            .await?;
    }
    Ok(())
}

async fn insert_checkpoint(tx: &mut WriteTx<'_>, checkpoint: &Checkpoint) -> StoreResult<()> {
    tx.op()?;
    crate::audit_sql::write_checkpoint::<Sqlite>(
        &mut tx.tx,
        crate::audit_sql::INSERT_CHECKPOINT,
        checkpoint,
    )
    .await
}

async fn write_head(tx: &mut WriteTx<'_>, head: &SignedHead) -> StoreResult<()> {
    tx.op()?;
    crate::audit_sql::write_head::<Sqlite>(&mut tx.tx, crate::audit_sql::UPSERT_HEAD, head).await
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
impl CaseStore for SqliteStore {
    async fn append(&self, access: &Access, batch: Vec<Append>) -> StoreResult<Vec<AppendOutcome>> {
        let now = Utc::now();
        let key = self.active_key()?;
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let next_audit_seq: i64 =
            sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
                .fetch_one(&mut *tx.tx)
                .await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut entries = Vec::new();
        let mut delta = StateDelta::default();
        for append in batch {
            let audit_seq = next_audit_seq + entries.len() as i64 + 1;
            let (outcome, entry) = self
                .append_one(&mut tx, append, &key, now, audit_seq, &mut delta)
                .await?;
            outcomes.push(outcome);
            if let Some(mut entry) = entry {
                entry.actor = access.actor.clone();
                entry.purpose = access.purpose.as_str().to_owned();
                entry.reason = access.reason.clone();
                entry.recipient = access.recipient.clone();
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            // Nothing new: leave the database untouched.
            return Ok(outcomes);
        }
        self.write_audit_moving(&mut tx, &entries, &delta, now)
            .await?;
        tx.commit().await?;
        tracing::debug!(
            cases = entries.len(),
            events = outcomes.iter().map(|o| o.appended).sum::<u64>(),
            purpose = access.purpose.as_str(),
            "append committed"
        );
        Ok(outcomes)
    }

    async fn read_case(&self, access: &Access, key: &CaseKey) -> StoreResult<Option<StoredCase>> {
        // A read is a conditional read of a caller that holds no version: one copy of the SQL.
        self.web_read_case_if_changed(access, key, None)
            .await?
            .into_stored()
    }

    async fn read_identity(
        &self,
        access: &Access,
        key: &CaseKey,
        person: &PersonKey,
    ) -> StoreResult<Option<Identity>> {
        let entry = AuditEntry::new(
            access,
            Category::Consultation,
            format!("identity:{}/{}/{}", key.force, key.reference, person),
        );
        self.audit_alone(&[entry]).await?;
        let row = sqlx::query(
            "SELECT s.key_id, s.nonce, s.ciphertext FROM sealed s JOIN cases c ON c.case_id = s.case_id \
             WHERE c.force = $1 AND c.reference = $2 AND s.person = $3 AND s.field = $4 ORDER BY s.seq DESC LIMIT 1",
        )
        .bind(key.force.as_str())
        .bind(key.reference.as_str())
        .bind(person.to_string())
        .bind(IDENTITY_FIELD)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let key_id: i64 = row.try_get(0)?;
        let nonce: Vec<u8> = row.try_get(1)?;
        let ciphertext: Vec<u8> = row.try_get(2)?;
        let person_text = person.to_string();
        let binding = SealBinding {
            force: &key.force,
            reference: &key.reference,
            person: &person_text,
            field: IDENTITY_FIELD,
            key_id,
        };
        let plaintext = self.data_key(key_id)?.open(&binding, &nonce, &ciphertext)?;
        let value = identity_from_plaintext(&plaintext, &binding.describe())?;
        let identity: Identity = serde_json::from_value(value).map_err(|_| {
            StoreError::Corrupt(format!("sealed {} is not an identity", binding.describe()))
        })?;
        Ok(Some(identity))
    }

    async fn list_cases(
        &self,
        access: &Access,
        filter: &CaseFilter,
    ) -> StoreResult<Vec<CaseSummary>> {
        self.audit_alone(&[crate::store::list_audit_entry(access, filter)])
            .await?;
        let mut query = sqlx::QueryBuilder::<Sqlite>::new(
            "SELECT force, reference, version, status, officer, open_findings, people, reported_at, last_event_at \
             FROM cases WHERE 1 = 1",
        );
        if let Some(force) = &filter.force {
            query.push(" AND force = ").push_bind(force.clone());
        }
        if let Some(officer) = &filter.officer {
            query.push(" AND officer = ").push_bind(officer.clone());
        }
        if let Some(status) = filter.status {
            query.push(" AND status = ").push_bind(status.as_str());
        }
        match filter.open_findings {
            Some(true) => {
                query.push(" AND open_findings > 0");
            }
            Some(false) => {
                query.push(" AND open_findings = 0");
            }
            None => {}
        }
        query.push(" ORDER BY force, reference");
        query.push(" LIMIT ").push_bind(
            filter
                .limit
                .map_or(i64::MAX, |limit| limit.min(i64::MAX as u64) as i64),
        );
        query.push(" OFFSET ").push_bind(filter.offset as i64);
        let rows = query.build().fetch_all(&self.reader).await?;
        summaries(&rows)
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

    async fn stream_cases(
        &self,
        access: &Access,
        force: Option<&str>,
        sink: &mut CaseSink<'_>,
    ) -> StoreResult<u64> {
        let entry = AuditEntry::new(access, Category::Combination, "cases")
            .with_detail(json!({"force": force}));
        self.audit_alone(&[entry]).await?;
        let mut after = 0;
        let mut count = 0;
        loop {
            let cases = self.case_rows(after, force).await?;
            let (Some(first), Some(last)) = (cases.first(), cases.last()) else {
                break;
            };
            after = last.0;
            // Only the page's own cases: with a force named, the id range also spans other
            // forces' cases, whose events would otherwise be read into memory and dropped.
            let rows = sqlx::query(
                "SELECT e.case_id, e.seq, e.body FROM events e JOIN cases c ON c.case_id = e.case_id \
                 WHERE e.case_id >= $1 AND e.case_id <= $2 AND ($3 IS NULL OR c.force = $3) ORDER BY e.case_id, e.seq",
            )
            .bind(first.0)
            .bind(last.0)
            .bind(force)
            .fetch_all(&self.reader)
            .await?;
            let mut by_case: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
            let names: HashMap<i64, (&str, &str, i64)> = cases
                .iter()
                .map(|(id, force, reference, version)| {
                    (*id, (force.as_str(), reference.as_str(), *version))
                })
                .collect();
            for row in rows {
                let case_id: i64 = row.try_get(0)?;
                let seq: i64 = row.try_get(1)?;
                let Some((force, reference, version)) = names.get(&case_id) else {
                    continue;
                };
                if seq > *version {
                    continue;
                }
                let body: String = row.try_get(2)?;
                by_case
                    .entry(case_id)
                    .or_default()
                    .push(parse_body(&body, force, reference, seq)?.event);
            }
            for (case_id, force, reference, version) in &cases {
                let events = by_case.remove(case_id).unwrap_or_default();
                let key = CaseKey {
                    force: force.as_str().into(),
                    reference: reference.as_str().into(),
                };
                sink(StoredCase {
                    case: Case::new(key, events),
                    version: *version as u64,
                })?;
                count += 1;
            }
        }
        Ok(count)
    }

    async fn check_append(&self, access: &Access, batch: &[Append]) -> StoreResult<()> {
        self.audit_alone(&[crate::rows::check_append_entry(access, batch.len())])
            .await?;
        for append in batch {
            let (force, reference) = (append.case.force.as_str(), append.case.reference.as_str());
            let rows = sqlx::query(crate::rows::HELD_EVENTS_BY_KEY)
                .bind(force)
                .bind(reference)
                .fetch_all(&self.reader)
                .await?;
            if rows.is_empty() {
                continue;
            }
            let mut held = HashMap::new();
            for row in &rows {
                let (_, event_id, held_event) = crate::row_maps::held_from_row(row)?;
                held.insert(event_id, held_event);
            }
            crate::rows::new_events(force, reference, append.events.clone(), &held, &|key_id| {
                self.data_key(key_id)
            })?;
        }
        Ok(())
    }

    async fn known_people(
        &self,
        access: &Access,
        cases: &[CaseKey],
    ) -> StoreResult<HashSet<(CaseKey, PersonKey)>> {
        let entry = AuditEntry::new(access, Category::Consultation, "cases:people")
            .with_detail(json!({"cases": cases.len()}));
        self.audit_alone(&[entry]).await?;
        let mut known = HashSet::new();
        for key in cases {
            let rows = sqlx::query(
                "SELECT DISTINCT e.person FROM events e JOIN cases c ON c.case_id = e.case_id \
                 WHERE c.force = $1 AND c.reference = $2 AND e.kind = 'person_added'",
            )
            .bind(key.force.as_str())
            .bind(key.reference.as_str())
            .fetch_all(&self.reader)
            .await?;
            for row in rows {
                let person: Option<String> = row.try_get(0)?;
                if let Some(person) = person {
                    known.insert((key.clone(), PersonKey::from(person.as_str())));
                }
            }
        }
        Ok(known)
    }

    async fn export(
        &self,
        access: &Access,
        options: &ExportOptions,
        sink: &mut LineSink<'_>,
    ) -> StoreResult<u64> {
        let Some(recipient) = access.recipient.as_deref().filter(|r| !r.trim().is_empty()) else {
            return Err(StoreError::Refused(
                "an export is a disclosure and must name its recipient".into(),
            ));
        };
        let entry = AuditEntry::new(access, Category::Disclosure, "cases").with_detail(json!({
            "force": options.force,
            "identity": if options.without_identity { "withheld" } else { "included" },
            "recipient": recipient,
        }));
        self.audit_alone(&[entry]).await?;
        let mut after = 0;
        let mut lines = 0;
        loop {
            let cases = self.case_rows(after, options.force.as_deref()).await?;
            let (Some(first), Some(last)) = (cases.first(), cases.last()) else {
                break;
            };
            after = last.0;
            let names: HashMap<i64, (&str, &str, i64)> = cases
                .iter()
                .map(|(id, force, reference, version)| {
                    (*id, (force.as_str(), reference.as_str(), *version))
                })
                .collect();
            let rows = sqlx::query(
                "SELECT e.case_id, e.seq, e.body, s.person, s.key_id, s.nonce, s.ciphertext FROM events e \
                 LEFT JOIN sealed s ON s.case_id = e.case_id AND s.seq = e.seq AND s.field = 'identity' \
                 WHERE e.case_id >= $1 AND e.case_id <= $2 ORDER BY e.case_id, e.seq",
            )
            .bind(first.0)
            .bind(last.0)
            .fetch_all(&self.reader)
            .await?;
            for row in rows {
                let case_id: i64 = row.try_get(0)?;
                let seq: i64 = row.try_get(1)?;
                let Some((force, reference, version)) = names.get(&case_id) else {
                    continue;
                };
                if seq > *version {
                    continue;
                }
                let body: String = row.try_get(2)?;
                let person: Option<String> = row.try_get(3)?;
                let Some(person) = person else {
                    sink(&body)?;
                    lines += 1;
                    continue;
                };
                let mut object: Map<String, Value> = serde_json::from_str(&body).map_err(|_| {
                    StoreError::Corrupt(format!("case {force}/{reference} event {seq} is not JSON"))
                })?;
                if options.without_identity {
                    object.remove(IDENTITY_FIELD);
                } else {
                    let key_id: i64 = row.try_get(4)?;
                    let nonce: Vec<u8> = row.try_get(5)?;
                    let ciphertext: Vec<u8> = row.try_get(6)?;
                    let binding = SealBinding {
                        force,
                        reference,
                        person: &person,
                        field: IDENTITY_FIELD,
                        key_id,
                    };
                    let plaintext = self.data_key(key_id)?.open(&binding, &nonce, &ciphertext)?;
                    let identity = identity_from_plaintext(&plaintext, &binding.describe())?;
                    object.insert(IDENTITY_FIELD.to_owned(), identity);
                }
                sink(&Value::Object(object).to_string())?;
                lines += 1;
            }
        }
        Ok(lines)
    }

    async fn read_case_if_changed(
        &self,
        access: &Access,
        key: &CaseKey,
        known: Option<u64>,
    ) -> StoreResult<CaseRead> {
        self.web_read_case_if_changed(access, key, known).await
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit(&self, entry: AuditEntry) -> StoreResult<AuditRecord> {
        crate::audit::refuse_binding(&entry)?;
        let mut records = self.audit_alone(&[entry]).await?;
        records
            .pop()
            .ok_or_else(|| StoreError::Audit("no record written".into()))
    }

    async fn audit_records(&self, after: i64, limit: u64) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit.min(i64::MAX as u64) as i64)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn audit_checkpoint(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let tail =
            crate::audit_sql::read_chain_tail::<Sqlite>(&mut tx.tx, &self.trust, false).await?;
        let Some((checkpoint, head)) = checkpoint_now(&self.signer, tail, Utc::now()) else {
            return Ok(());
        };
        insert_checkpoint(&mut tx, &checkpoint).await?;
        write_head(&mut tx, &head).await?;
        tx.commit().await?;
        self.trust.wrote(&head);
        Ok(())
    }

    async fn audit_head(&self) -> StoreResult<Option<SignedHead>> {
        let row = sqlx::query("SELECT * FROM audit_head WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(head_from_row).transpose()
    }

    async fn verify_audit_against(
        &self,
        trusted: &ed25519_dalek::VerifyingKey,
        anchor: Option<&SignedHead>,
    ) -> StoreResult<VerifyReport> {
        self.verify_chains(trusted, anchor).await
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn add_user(&self, access: &Access, user: &User) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        user.check_scope().map_err(StoreError::Invalid)?;
        if let Some(force) = &user.force {
            self.check_officer_free(&mut tx, force, &user.officer_id, &user.username)
                .await?;
        }
        tx.op()?;
        let result = sqlx::query(
            "INSERT INTO users (username, display_name, role, force, national, officer_id, password_hash, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (username) DO NOTHING",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.role)
        .bind(&user.force)
        .bind(user.national)
        .bind(&user.officer_id)
        .bind(&user.password_hash)
        .bind(user.disabled)
        .bind(&user.created_at)
        .execute(&mut *tx.tx)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::Invalid(format!(
                "user `{}` already exists",
                user.username
            )));
        }
        let entry = AuditEntry::new(
            access,
            Category::Collection,
            format!("user:{}", user.username),
        )
        .with_detail(json!({"role": user.role}));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await
    }

    async fn user(&self, username: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self, access: &Access) -> StoreResult<Vec<User>> {
        self.audit_alone(&[AuditEntry::new(access, Category::Consultation, "users")])
            .await?;
        let rows = sqlx::query("SELECT * FROM users ORDER BY username")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn set_user_scope(
        &self,
        access: &Access,
        username: &str,
        force: Option<&str>,
        national: bool,
    ) -> StoreResult<()> {
        let Some(mut user) = self.user(username).await? else {
            return Err(StoreError::NotFound(format!("user `{username}`")));
        };
        user.force = force.map(str::to_owned);
        user.national = national;
        user.check_scope().map_err(StoreError::Invalid)?;
        let mut tx = self.begin_write().await?;
        tx.op()?;
        if let Some(force) = force {
            self.check_officer_free(&mut tx, force, &user.officer_id, username)
                .await?;
        }
        tx.op()?;
        sqlx::query("UPDATE users SET force = $1, national = $2 WHERE username = $3")
            .bind(force)
            .bind(national)
            .bind(username)
            .execute(&mut *tx.tx)
            .await?;
        tx.op()?;
        sqlx::query("DELETE FROM sessions WHERE username = $1")
            .bind(username)
            .execute(&mut *tx.tx)
            .await?;
        let entry = AuditEntry::new(access, Category::Alteration, format!("user:{username}"))
            .with_detail(json!({"force": force, "national": national}));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await
    }

    async fn set_user_disabled(
        &self,
        access: &Access,
        username: &str,
        disabled: bool,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let result = sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
            .bind(disabled)
            .bind(username)
            .execute(&mut *tx.tx)
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user `{username}`")));
        }
        if disabled {
            tx.op()?;
            sqlx::query("DELETE FROM sessions WHERE username = $1")
                .bind(username)
                .execute(&mut *tx.tx)
                .await?;
        }
        let entry = AuditEntry::new(access, Category::Alteration, format!("user:{username}"))
            .with_detail(json!({"disabled": disabled}));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, username, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(&session.username)
        .bind(&session.csrf_token)
        .bind(&session.created_at)
        .bind(&session.last_seen_at)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
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

    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let at = &format_time(at);
        let mut tx = self.begin_write().await?;
        tx.op()?;
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }

    async fn expire_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let idle_before = &format_time(idle_before);
        let created_before = &format_time(created_before);
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let result = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(result.rows_affected())
    }

    async fn note_sign_in_failure(
        &self,
        username: &str,
        at: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let at = &format_time(at);
        let window_start = &format_time(window_start);
        self.web_note_sign_in_failure(username, at, window_start)
            .await
    }

    async fn sign_in_failures(
        &self,
        username: &str,
        window_start: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let window_start = &format_time(window_start);
        self.web_sign_in_failures(username, window_start).await
    }

    async fn clear_sign_in_failures(&self, username: &str) -> StoreResult<()> {
        self.web_clear_sign_in_failures(username).await
    }

    async fn record_first_sign_in(
        &self,
        username: &str,
        session: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let at = &format_time(at);
        self.web_record_first_sign_in(username, session, at).await
    }

    async fn first_sign_in_session(&self, username: &str) -> StoreResult<Option<String>> {
        self.web_first_sign_in_session(username).await
    }
}

#[async_trait]
impl SharingStore for SqliteStore {
    async fn declare_break_glass(
        &self,
        access: &Access,
        key: &CaseKey,
        session: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<BreakGlassDeclaration> {
        let at = &format_time(at);
        self.web_declare_break_glass(access, key, session, at).await
    }

    async fn break_glass_grant(&self, session: &str, key: &CaseKey) -> StoreResult<Option<String>> {
        self.web_break_glass_grant(session, key).await
    }

    async fn break_glass_on(&self, key: &CaseKey) -> StoreResult<Vec<BreakGlassDeclaration>> {
        self.web_break_glass_on(key).await
    }

    async fn share_case(&self, access: &Access, share: &NewShare) -> StoreResult<CaseShare> {
        self.web_share_case(access, share).await
    }

    async fn revoke_share(
        &self,
        access: &Access,
        key: &CaseKey,
        id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<CaseShare> {
        let at = &format_time(at);
        self.web_revoke_share(access, key, id, at).await
    }

    async fn case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
        self.web_case_shares(key).await
    }

    async fn shares_with(&self, partner: &str) -> StoreResult<Vec<CaseShare>> {
        self.web_shares_with(partner).await
    }
}

#[async_trait]
impl LinkageStore for SqliteStore {
    async fn link_candidates(
        &self,
        access: &Access,
        identity: &Identity,
        exclude_case: Option<&CaseKey>,
    ) -> StoreResult<Vec<LinkMatch>> {
        self.link_candidates_impl(access, identity, exclude_case)
            .await
    }

    async fn case_links(&self, access: &Access, case: &CaseKey) -> StoreResult<Vec<CaseLink>> {
        self.case_links_impl(access, case).await
    }

    async fn decide_link(
        &self,
        access: &Access,
        link_id: i64,
        decision: LinkDecision,
        rationale: &str,
    ) -> StoreResult<CaseLink> {
        self.decide_link_impl(access, link_id, decision, rationale)
            .await
    }

    async fn relink_all(
        &self,
        access: &Access,
        progress: &mut ProgressSink<'_>,
    ) -> StoreResult<RelinkReport> {
        self.relink_all_impl(access, progress).await
    }

    async fn repeat_suspects(
        &self,
        access: &Access,
        force: Option<&str>,
    ) -> StoreResult<RepeatSuspects> {
        self.repeat_suspects_impl(access, force).await
    }
}

#[async_trait]
impl FactsStore for SqliteStore {
    async fn report_facts(
        &self,
        access: &Access,
        query: &FactsQuery,
        sink: &mut FactsSink<'_>,
    ) -> StoreResult<Option<u64>> {
        self.read_report_facts(access, query, sink).await
    }

    async fn rebuild_report_facts(&self, access: &Access) -> StoreResult<u64> {
        self.rebuild_facts(access).await
    }
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn rotate_master_key(&self, access: &Access, new_master: &MasterKey) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let rows = sqlx::query("SELECT key_id, nonce, wrapped FROM data_keys ORDER BY key_id")
            .fetch_all(&mut *tx.tx)
            .await?;
        let current = self
            .keys
            .read()
            .map_err(|_| lock_poisoned())?
            .master
            .clone();
        let mut count = 0;
        for row in rows {
            let key_id: i64 = row.try_get(0)?;
            let nonce: Vec<u8> = row.try_get(1)?;
            let wrapped: Vec<u8> = row.try_get(2)?;
            let data_key = current.unwrap_key(key_id, &nonce, &wrapped)?;
            let (nonce, wrapped) = new_master.wrap(key_id, &data_key)?;
            tx.op()?;
            sqlx::query(
                "UPDATE data_keys SET nonce = $1, wrapped = $2, master_key_id = $3 WHERE key_id = $4",
            )
            .bind(nonce.to_vec())
            .bind(wrapped)
            .bind(new_master.id())
            .bind(key_id)
            .execute(&mut *tx.tx)
            .await?;
            count += 1;
        }
        let entry = AuditEntry::new(access, Category::Alteration, "keys:data").with_detail(json!({
            "rewrapped": count,
            "from_master": current.id(),
            "to_master": new_master.id(),
        }));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await?;
        self.keys.write().map_err(|_| lock_poisoned())?.master = new_master.clone();
        tracing::info!(rewrapped = count, master = %new_master.id(), "master key rotated");
        Ok(count)
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
}

// ---- Copying a deployment into this store (`crate::copy`) -------------------------------------

impl SqliteStore {
    /// Reads the data keys inside `tx` with this store's master key (an error if they do not
    /// open with it), to be installed with [`SqliteStore::install_keys`] once `tx` commits.
    pub(crate) async fn keys_in(&self, tx: &mut WriteTx<'_>) -> StoreResult<KeyRing> {
        let master = self
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
        *self.keys.write().map_err(|_| lock_poisoned())? = ring;
        Ok(())
    }
}
