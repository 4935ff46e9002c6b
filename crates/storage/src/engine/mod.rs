//! One store over thin database dialects. [`Backend`] holds only what differs between SQLite and
//! PostgreSQL (how a transaction begins, locks and acts for a user, where reads go, how audit
//! records written on their own are committed, the point reads SQLite answers on the caller's
//! thread); each concern's trait of [`crate::store`] is implemented once, for every backend, in
//! this module's files, with the SQL written once over [`crate::sql::SqlDb`].

use std::path::Path;
use std::sync::RwLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{CaseKey, RuleSet};

use crate::access::Access;
use crate::common::{Core, KeyRing};
use crate::facts::FactsPlugins;
use crate::rows::EventRow;

use crate::audit::{AuditEntry, AuditRecord, AuditSigner, HeadTrust};
use crate::chain::StateDelta;
use crate::common::STORE_ACTOR;
use crate::error::{DatabaseError, StoreResult};
use crate::model::{BackupInfo, ForceChanges, Session};
use crate::row_maps::RowExt;
use crate::server_state::CaseShare;
use crate::sql::{Param, Run, SqlDb, stmt};
use crate::tx::{Conn, Tx};

mod accounts;
mod audit;
mod cases;
mod chains;
mod facts;
mod links;
mod open;
mod sharing;

pub(crate) use audit::write_audit_signed;
pub(crate) use chains::upgrade_chains;
#[cfg(any(test, feature = "harness"))]
pub(crate) use links::linkage_key;
#[cfg(any(test, feature = "harness"))]
pub(crate) use links::lookup_candidates;
pub(crate) use open::{keys_in, load_keys, mark_empty_store};

/// What [`Backend::audited_version`] found: the case's id and version (`None`: no such case),
/// the connection to read its events on where they must be read there, and the case's shares
/// where the backend read them with the version.
pub struct AuditedVersion<'c, Db: SqlDb> {
    pub found: Option<(i64, i64)>,
    pub conn: Option<Conn<'c, Db>>,
    pub shares: Option<Vec<CaseShare>>,
}

impl<Db: SqlDb> std::fmt::Debug for AuditedVersion<'_, Db> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditedVersion")
            .field("found", &self.found)
            .field("conn", &self.conn.is_some())
            .field("shares", &self.shares)
            .finish()
    }
}

/// What differs between the databases; implemented by [`crate::SqliteStore`] and
/// [`crate::PgStore`] only (the module is private, so no one else can).
#[async_trait]
pub trait Backend: Sized + Send + Sync + std::fmt::Debug + 'static {
    /// The sqlx database.
    type Db: SqlDb;

    /// Every user, ordered by name in byte order (dialect text: PostgreSQL needs a collation).
    const USERS_BY_NAME: &'static str;
    /// Audit records per multi-row insert (well inside the database's limit of bound values,
    /// 11 a record).
    const AUDIT_ROWS_PER_INSERT: usize;
    /// Adds a signed checkpoint (the values of [`crate::audit_sql::INSERT_CHECKPOINT`]): an
    /// insert on SQLite, a guarded function on PostgreSQL (migration 0010).
    const ADD_CHECKPOINT: &'static str;
    /// Moves the signed head (the values of [`crate::audit_sql::UPSERT_HEAD`]): an upsert on
    /// SQLite, a guarded function on PostgreSQL.
    const WRITE_HEAD: &'static str;
    /// The data keys a rotation re-wraps (`key_id, nonce, wrapped`), locked where the database
    /// locks rows.
    const DATA_KEYS_TO_ROTATE: &'static str;
    /// A page of cases to rebuild the facts of (as [`crate::facts_sql::REBUILD_CASES`]), locked
    /// where the database locks rows, so that a rebuild orders with appends to the same cases.
    const REBUILD_CASES: &'static str;
    /// The order of case lists, by force and reference in byte order.
    const CASES_IN_ORDER: &'static str;
    /// The case row an append reads (`$1` force, `$2` reference: id, version, head), locked
    /// for the transaction where the database locks rows (PostgreSQL's `FOR UPDATE`).
    const CASE_FOR_APPEND: &'static str;

    /// What every store holds besides its connections (see [`Core`]).
    fn core(&self) -> &Core;
    /// The same, to change (attaching plugins).
    fn core_mut(&mut self) -> &mut Core;

    /// The key ring (master key and data keys).
    fn keys(&self) -> &RwLock<KeyRing> {
        &self.core().keys
    }
    /// The national rule set the store evaluates cases under.
    fn rules(&self) -> &RuleSet {
        &self.core().rules
    }
    /// Force plugins whose findings report facts include.
    fn facts_plugins(&self) -> &FactsPlugins {
        &self.core().facts_plugins
    }
    /// The audit signing key.
    fn signer(&self) -> &AuditSigner {
        &self.core().signer
    }
    /// The signed head last checked or written (see [`HeadTrust`]).
    fn trust(&self) -> &HeadTrust {
        &self.core().trust
    }

    /// A read-only transaction over one snapshot of the whole database, acting for `actor`: for
    /// verification and reports from facts.
    async fn snapshot_tx(&self, actor: &str) -> StoreResult<Tx<'_, Self::Db>>;

    /// Takes a consistent online copy into `dest` ([`crate::AdminStore::backup`]).
    async fn backup(&self, access: &Access, dest: &Path) -> StoreResult<BackupInfo>;

    /// Inserts an append's new events and their sealed identities inside `tx`, many rows per
    /// statement (the multi-row insert is dialect: value lists on SQLite, arrays on PostgreSQL).
    async fn insert_events(
        &self,
        tx: &mut Tx<'_, Self::Db>,
        case_id: i64,
        audit_seq: i64,
        key_id: i64,
        rows: Vec<EventRow>,
    ) -> StoreResult<()>;

    /// Whether a database error is a unique key refusing a row another writer added first (a
    /// concurrency conflict; only PostgreSQL has concurrent writers).
    fn is_unique_violation(_error: &DatabaseError) -> bool {
        false
    }

    /// One read snapshot acting for `actor`, for a stream or an export (a repeatable-read
    /// transaction on PostgreSQL; a read-only connection on SQLite).
    async fn snapshot(&self, actor: &str) -> StoreResult<Conn<'_, Self::Db>>;

    /// How many case changes the store has seen for `force` (see [`crate::case_changes`]).
    async fn case_changes(&self, force: Option<&str>) -> StoreResult<u64>;

    /// The id and version of the case `key` for [`crate::CaseStore::read_case_if_changed`], with
    /// its audit record `entry` committed: the two databases order the lookup and the record
    /// differently (see each backend). Returns the connection the lookup read in when the events
    /// must be read in it too (PostgreSQL's snapshot); otherwise the events are read on
    /// [`Backend::read_cases`]. With `with_shares`, a backend may read the case's shares with the
    /// version (SQLite does, in the same read transaction); one that does not leaves them to the
    /// caller.
    async fn audited_version(
        &self,
        access: &Access,
        key: &CaseKey,
        entry: AuditEntry,
        with_shares: bool,
    ) -> StoreResult<AuditedVersion<'_, Self::Db>>;

    /// A transaction acting for `actor` (PostgreSQL's row-level security; SQLite has none),
    /// holding the audit chain's lock first when `audit` (PostgreSQL; SQLite's write transactions
    /// hold the whole database).
    async fn begin(&self, actor: &str, audit: bool) -> StoreResult<Tx<'_, Self::Db>>;

    /// A connection reading case data as `actor` (a transaction bound to the actor on
    /// PostgreSQL, so that row-level security applies; a read-only connection on SQLite).
    async fn read_cases(&self, actor: &str) -> StoreResult<Conn<'_, Self::Db>>;

    /// A connection reading what holds no case data (users, sessions, sign-in state, the audit
    /// log): a pooled connection.
    async fn read_plain(&self) -> StoreResult<Conn<'_, Self::Db>>;

    /// A connection writing what holds no case data and is not audited (sessions, sign-in
    /// state): a pooled connection on PostgreSQL; a write transaction on SQLite, which takes the
    /// write gate in turn.
    async fn write_plain(&self) -> StoreResult<Conn<'_, Self::Db>>;

    /// Writes audit records in a transaction of their own, grouped with concurrent callers' into
    /// one commit; returns once they are durable.
    async fn audit_alone(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>>;

    /// Appends audit records for `entries` inside `tx`: chained, checkpointed when due, and the
    /// signed head moved to the last one, with the state digest moved by `delta`.
    async fn write_audit_moving(
        &self,
        tx: &mut Tx<'_, Self::Db>,
        entries: &[AuditEntry],
        delta: &StateDelta,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AuditRecord>> {
        audit::write_audit_signed::<Self>(
            self.signer(),
            self.trust(),
            tx,
            entries,
            delta,
            now,
            false,
        )
        .await
    }

    /// [`Backend::write_audit_moving`] for a transaction that moved no case.
    async fn write_audit(
        &self,
        tx: &mut Tx<'_, Self::Db>,
        entries: &[AuditEntry],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AuditRecord>> {
        self.write_audit_moving(tx, entries, &StateDelta::default(), now)
            .await
    }

    // ---- Point reads: SQLite answers these on the caller's thread (`sqlite/point_read.rs`) ----

    /// A session by token hash.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let mut conn = self.read_plain().await?;
        let row = stmt::<Self::Db>(crate::row_maps::SESSION_BY_TOKEN)
            .param(token_hash)
            .optional(conn.next()?)
            .await?;
        conn.finish().await?;
        row.map(|row| crate::row_maps::session_from_row(&row))
            .transpose()
    }

    /// A session with the change counter of its user's force
    /// ([`crate::AccountStore::session_with_force_changes`]), in one statement.
    async fn session_with_force_changes(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, Option<ForceChanges>)>> {
        let mut conn = self.read_plain().await?;
        let row = stmt::<Self::Db>(crate::case_changes::SESSION_WITH_FORCE_CHANGES)
            .param(token_hash)
            .optional(conn.next()?)
            .await?;
        conn.finish().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let session = crate::row_maps::session_from_row(&row)?;
        let changes = crate::case_changes::force_changes_of(row.col(5)?, row.col(6)?);
        Ok(Some((session, changes)))
    }

    /// The reason `session` declared for break-glass access to a case, if it did.
    async fn break_glass_grant(&self, session: &str, key: &CaseKey) -> StoreResult<Option<String>> {
        // break_glass is case-scoped (row-level security): read as the store.
        let mut conn = self.read_cases(STORE_ACTOR).await?;
        let row = stmt::<Self::Db>(
            "SELECT reason FROM break_glass WHERE session = $1 AND force = $2 AND reference = $3 \
             ORDER BY id DESC LIMIT 1",
        )
        .param(session)
        .param(key.force.as_str())
        .param(key.reference.as_str())
        .optional(conn.next()?)
        .await?;
        conn.finish().await?;
        Ok(row.map(|row| row.col(0)).transpose()?)
    }

    /// Every share of a case, revoked ones included, oldest first.
    async fn case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
        let mut conn = self.read_cases(STORE_ACTOR).await?;
        let rows = stmt::<Self::Db>(
            "SELECT * FROM case_shares WHERE force = $1 AND reference = $2 ORDER BY id",
        )
        .param(key.force.as_str())
        .param(key.reference.as_str())
        .all(conn.next()?)
        .await?;
        conn.finish().await?;
        rows.iter().map(crate::row_maps::share_from_row).collect()
    }
}
