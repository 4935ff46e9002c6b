//! The PostgreSQL store: the same schema, behaviour and conformance suite as [`crate::SqliteStore`],
//! for deployments where several `rasso` processes share one database.
//!
//! - Audit appends are serialised by locking the one row of `audit_lock` (`SELECT ... FOR
//!   UPDATE`) at the start of every transaction that adds audit records, so the chain stays one
//!   chain whatever the number of writers. The lock is taken first, before any case row, so two
//!   transactions never wait on each other in opposite orders.
//! - Case appends keep optimistic concurrency: the version check runs under that lock, the
//!   projection update is conditional on the version read (`WHERE version = $old`), and
//!   `PRIMARY KEY (case_id, seq)` / `UNIQUE (case_id, event_id)` refuse a lost update outright; any
//!   of them surfaces as [`StoreError::Conflict`].
//! - Row-level security: every transaction that touches case data starts with
//!   `rasso_act_as(SECRET, ACTOR)`, which proves with the store's secret (read as the schema's
//!   owner when the store opens) that the store is acting, and binds the actor to the transaction;
//!   the policies hide every case row from a transaction without that binding (migration 0010,
//!   docs/postgres.md). Setting `rasso.actor` alone opens nothing.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use domain::CaseKey;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
// Identifiers in dynamic SQL (schema and role names) always pass through `quote_ident`.
use sqlx::{AssertSqlSafe, Postgres};

use crate::access::Access;
use crate::audit::{AuditEntry, AuditRecord, AuditSigner, HeadTrust};
use crate::chain::StateDelta;
use crate::common::Core;
use crate::error::{StoreError, StoreResult};
use crate::fault::FaultInjector;
use crate::group_commit::GroupCommit;
use crate::keys::IDENTITY_FIELD;
use crate::keys::MasterKey;
use crate::model::BackupInfo;
use crate::tx::Conn;

mod web;

/// The actor recorded in the row-level-security setting when a store transaction has no user
/// behind it (the store's own housekeeping).
const SYSTEM_ACTOR: &str = crate::common::STORE_ACTOR;
use crate::common::actor_of;

/// What opening a PostgreSQL store needs.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `postgres://user@host:port/database`.
    pub url: String,
    /// A schema to use instead of the connection's default `search_path` (created if missing).
    /// Tests give each run its own; deployments normally leave it unset.
    pub schema: Option<String>,
    /// A role every pooled connection switches to (`SET ROLE`) after connecting and after the
    /// migrations, e.g. an application role without BYPASSRLS.
    pub role: Option<String>,
    /// Connections in the pool.
    pub max_connections: u32,
    pub master_key: MasterKey,
    pub signer: AuditSigner,
}

impl PgOptions {
    /// Options with the defaults: the URL's own schema and role, eight connections.
    pub fn new(url: impl Into<String>, master_key: MasterKey, signer: AuditSigner) -> Self {
        PgOptions {
            url: url.into(),
            schema: None,
            role: None,
            max_connections: 8,
            master_key,
            signer,
        }
    }
}

/// True when `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Quotes an SQL identifier (schema or role name).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The PostgreSQL implementation of [`crate::Store`].
pub struct PgStore {
    pub(crate) pool: PgPool,
    schema: Option<String>,
    /// Proves to `rasso_act_as` that the store is acting (see the module documentation).
    secret: Arc<Vec<u8>>,
    /// Keys, audit signing, rules, plugins and faults.
    core: Core,
    /// Audit records written on their own, committed in groups.
    audit_batch: GroupCommit,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::common::debug_store(f, "PgStore", &self.schema)
    }
}

/// A transaction of the PostgreSQL store (see [`crate::tx::Tx`]): every operation passes the
/// fault injector when one is attached.
pub(crate) type PgTx<'s> = crate::tx::Tx<'s, Postgres>;

fn connect_options(url: &str, schema: Option<&str>) -> StoreResult<PgConnectOptions> {
    let mut options: PgConnectOptions = url
        .parse()
        .map_err(|_| StoreError::Invalid("the PostgreSQL URL does not parse".into()))?;
    if let Some(schema) = schema {
        options = options.options([("search_path", schema)]);
    }
    Ok(options)
}

/// Applies the PostgreSQL migrations (creating `schema` first when given). Safe to run from
/// several processes at once: sqlx holds an advisory lock while migrating.
pub async fn migrate(url: &str, schema: Option<&str>) -> StoreResult<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(connect_options(url, schema)?)
        .await?;
    if let Some(schema) = schema {
        sqlx::query(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(schema)
        )))
        .execute(&pool)
        .await?;
    }
    let result = sqlx::migrate!("./migrations/postgres").run(&pool).await;
    // Tables a migration created are granted to the application role by default privileges;
    // what it must never do is taken back each time (migration 0010).
    let hardened = match result {
        Ok(()) => sqlx::query("SELECT rasso_harden_grants()")
            .execute(&pool)
            .await
            .map(|_| ())
            .map_err(StoreError::from),
        Err(error) => Err(error.into()),
    };
    pool.close().await;
    hardened
}

/// The store's secret for `rasso_act_as`, read as the URL's user (the schema's owner: the
/// application role may not read it).
async fn read_actor_secret(url: &str, schema: Option<&str>) -> StoreResult<Vec<u8>> {
    let mut connection: PgConnection =
        sqlx::ConnectOptions::connect(&connect_options(url, schema)?).await?;
    let secret: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT secret FROM actor_secret WHERE id = 1",
    )
    .fetch_optional(&mut connection)
    .await
    .map_err(|error| {
        StoreError::Refused(format!(
            "the store's secret cannot be read as the URL's user (it must own the schema): {error}"
        ))
    })?;
    sqlx::Connection::close(connection).await?;
    secret.ok_or_else(|| StoreError::Corrupt("the store's secret is missing".into()))
}

/// Creates (if missing) a login-less role without BYPASSRLS and grants it what the store needs on
/// `schema` (or `public`). Needs a superuser or CREATEROLE connection; safe to run repeatedly and
/// concurrently (a duplicate-role race is ignored).
pub async fn ensure_app_role(url: &str, schema: Option<&str>, role: &str) -> StoreResult<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(connect_options(url, None)?)
        .await?;
    let role_q = quote_ident(role);
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(role)
            .fetch_one(&pool)
            .await?;
    if !exists
        && let Err(error) = sqlx::query(AssertSqlSafe(format!(
            "CREATE ROLE {role_q} NOLOGIN NOBYPASSRLS"
        )))
        .execute(&pool)
        .await
    {
        let duplicate = error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "42710" || code == "23505");
        if !duplicate {
            return Err(error.into());
        }
    }
    sqlx::query(AssertSqlSafe(format!("ALTER ROLE {role_q} NOBYPASSRLS")))
        .execute(&pool)
        .await?;
    // Without a schema, the one the URL's search_path selects (where the migrations went).
    let schema = match schema {
        Some(schema) => schema.to_owned(),
        None => sqlx::query_scalar::<_, Option<String>>("SELECT current_schema()")
            .fetch_one(&pool)
            .await?
            .ok_or_else(|| {
                StoreError::Invalid("the connection's search_path names no existing schema".into())
            })?,
    };
    let schema_q = quote_ident(&schema);
    for statement in [
        format!("GRANT USAGE ON SCHEMA {schema_q} TO {role_q}"),
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_q} TO {role_q}"
        ),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_q} TO {role_q}"),
        // Tables later migrations create (as this connection's user) are granted too.
        format!(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role_q}"
        ),
        format!(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} GRANT USAGE, SELECT ON SEQUENCES TO {role_q}"
        ),
        // ...and what the store must never do with the role's rights is taken back: updating or
        // deleting events, sealed identity and audit records, writing the audit head and
        // checkpoints other than through the guarded functions, reading the store's secret.
        format!("SELECT {schema_q}.rasso_harden_grants()"),
    ] {
        sqlx::query(AssertSqlSafe(statement)).execute(&pool).await?;
    }
    pool.close().await;
    Ok(())
}

/// Drops a schema and everything in it (tests clean up their own schema with it).
pub async fn drop_schema(url: &str, schema: &str) -> StoreResult<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(connect_options(url, None)?)
        .await?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {} CASCADE",
        quote_ident(schema)
    )))
    .execute(&pool)
    .await?;
    pool.close().await;
    Ok(())
}

/// Refuses to run as an application role that row-level security would not apply to (a
/// superuser or a role with BYPASSRLS): the point of the role is that it cannot see case rows
/// outside a store transaction.
async fn refuse_bypassing_role(connection: &mut PgConnection, role: &str) -> StoreResult<()> {
    let bypasses: bool = sqlx::query_scalar(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_optional(&mut *connection)
    .await?
    .unwrap_or(true);
    if bypasses {
        return Err(StoreError::Refused(format!(
            "the application role `{role}` is a superuser or has BYPASSRLS, so row-level \
             security would not apply (ALTER ROLE ... NOSUPERUSER NOBYPASSRLS)"
        )));
    }
    Ok(())
}

/// PostgreSQL's SQLSTATE for a unique key refusing a row.
const UNIQUE_VIOLATION: &str = "23505";

/// The rows one case append adds, column by column, for [`NewRows::insert`].
#[derive(Default)]
struct NewRows {
    seq: Vec<i64>,
    event_id: Vec<String>,
    at: Vec<String>,
    kind: Vec<String>,
    person: Vec<Option<String>>,
    body: Vec<String>,
    sealed_seq: Vec<i64>,
    sealed_person: Vec<String>,
    sealed_nonce: Vec<Vec<u8>>,
    sealed_ciphertext: Vec<Vec<u8>>,
}

impl NewRows {
    fn with_capacity(events: usize) -> Self {
        NewRows {
            seq: Vec::with_capacity(events),
            event_id: Vec::with_capacity(events),
            at: Vec::with_capacity(events),
            kind: Vec::with_capacity(events),
            person: Vec::with_capacity(events),
            body: Vec::with_capacity(events),
            ..NewRows::default()
        }
    }

    /// Adds one event's rows (built by [`crate::rows::event_row`], as every backend does).
    fn push(&mut self, row: crate::rows::EventRow) {
        if let Some(sealed) = row.sealed {
            self.sealed_seq.push(row.seq);
            self.sealed_person.push(sealed.person);
            self.sealed_nonce.push(sealed.nonce);
            self.sealed_ciphertext.push(sealed.ciphertext);
        }
        self.seq.push(row.seq);
        self.event_id.push(row.event_id);
        self.at.push(row.at);
        self.kind.push(row.kind.to_owned());
        self.person.push(row.person);
        self.body.push(row.body);
    }

    /// Inserts the events, then their sealed fields, each as one statement over arrays.
    async fn insert(
        self,
        tx: &mut PgTx<'_>,
        case_id: i64,
        audit_seq: i64,
        key_id: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO events (case_id, seq, event_id, at, kind, person, body, audit_seq) \
             SELECT $1, e.seq, e.event_id, e.at, e.kind, e.person, e.body, $8 \
             FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) \
             AS e (seq, event_id, at, kind, person, body)",
        )
        .bind(case_id)
        .bind(self.seq)
        .bind(self.event_id)
        .bind(self.at)
        .bind(self.kind)
        .bind(self.person)
        .bind(self.body)
        .bind(audit_seq)
        .execute(tx.next()?)
        .await?;
        if self.sealed_seq.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO sealed (case_id, seq, field, person, key_id, nonce, ciphertext) \
             SELECT $1, s.seq, $2, s.person, $3, s.nonce, s.ciphertext \
             FROM UNNEST($4::bigint[], $5::text[], $6::bytea[], $7::bytea[]) \
             AS s (seq, person, nonce, ciphertext)",
        )
        .bind(case_id)
        .bind(IDENTITY_FIELD)
        .bind(key_id)
        .bind(self.sealed_seq)
        .bind(self.sealed_person)
        .bind(self.sealed_nonce)
        .bind(self.sealed_ciphertext)
        .execute(tx.next()?)
        .await?;
        Ok(())
    }
}

impl PgStore {
    /// Connects, applies the migrations, and loads the data keys with the master key (creating
    /// the first data key for a new database).
    pub async fn open(options: PgOptions) -> StoreResult<PgStore> {
        migrate(&options.url, options.schema.as_deref()).await?;
        let secret = Arc::new(read_actor_secret(&options.url, options.schema.as_deref()).await?);
        let connect = connect_options(&options.url, options.schema.as_deref())?;
        let role = options.role.clone();
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .after_connect(move |connection, _meta| {
                let role = role.clone();
                Box::pin(async move {
                    if let Some(role) = role {
                        sqlx::query(AssertSqlSafe(format!("SET ROLE {}", quote_ident(&role))))
                            .execute(&mut *connection)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        if let Some(role) = &options.role {
            refuse_bypassing_role(&mut *pool.acquire().await?, role).await?;
        }
        let keys =
            crate::engine::load_keys::<Postgres>(&mut *pool.acquire().await?, &options.master_key)
                .await?;
        let trust = Arc::new(HeadTrust::new(options.signer.verifying_key()));
        let audit_batch = audit_committer(
            pool.clone(),
            options.signer.clone(),
            Arc::clone(&trust),
            Arc::clone(&secret),
            None,
        );
        let store = PgStore {
            audit_batch,
            pool,
            schema: options.schema,
            secret,
            core: Core::new(keys, options.signer, trust),
        };
        crate::engine::mark_empty_store(&store).await?;
        crate::engine::upgrade_chains(&store).await?;
        Ok(store)
    }

    /// The same store with a fault injector on every transaction, its own and the group
    /// committer's (tests only).
    #[cfg(any(test, feature = "harness"))]
    pub fn with_fault_injector(mut self, faults: Arc<FaultInjector>) -> Self {
        self.audit_batch = audit_committer(
            self.pool.clone(),
            self.core.signer.clone(),
            Arc::clone(&self.core.trust),
            Arc::clone(&self.secret),
            Some(Arc::clone(&faults)),
        );
        self.core.faults = Some(faults);
        self
    }

    /// Stores new cases in bulk, for benchmarks only: the rows are those [`crate::CaseStore::append`]
    /// writes, committed without waiting for the write-ahead log to reach disk (see
    /// `crate::bulk`). Returns the number of cases stored.
    #[cfg(any(test, feature = "harness"))]
    #[doc(hidden)]
    pub async fn bulk_load(&self, access: &Access, batch: Vec<crate::Append>) -> StoreResult<u64> {
        let relaxed = "SET LOCAL synchronous_commit = off";
        crate::bulk::load(self, access, batch, Some(relaxed)).await
    }

    /// Closes the pool.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// The pool (tests run raw queries through it).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begins a transaction acting for `actor` (the row-level-security setting), and, with
    /// `audit`, takes the audit lock first.
    pub(crate) async fn begin(&self, actor: &str, audit: bool) -> StoreResult<PgTx<'_>> {
        self.begin_as("BEGIN", actor, audit).await
    }

    async fn begin_as(
        &self,
        statement: &'static str,
        actor: &str,
        audit: bool,
    ) -> StoreResult<PgTx<'_>> {
        begin_on(
            &self.pool,
            &self.secret,
            self.core.faults.as_deref(),
            statement,
            actor,
            audit,
        )
        .await
    }

    /// A read-only, repeatable-read transaction acting for `actor`: one snapshot for a whole
    /// stream or export.
    pub(crate) async fn begin_snapshot(&self, actor: &str) -> StoreResult<PgTx<'_>> {
        self.begin_as(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            actor,
            false,
        )
        .await
    }
}

/// Begins a transaction on `pool` acting for `actor` (the row-level-security setting), and, with
/// `audit`, takes the audit lock first.
async fn begin_on<'s>(
    pool: &PgPool,
    secret: &[u8],
    faults: Option<&'s FaultInjector>,
    statement: &'static str,
    actor: &str,
    audit: bool,
) -> StoreResult<PgTx<'s>> {
    let mut tx = PgTx::begin(pool, statement, faults, None).await?;
    sqlx::query("SELECT rasso_act_as($1, $2)")
        .bind(secret)
        .bind(actor)
        .execute(tx.next()?)
        .await?;
    if audit {
        sqlx::query("SELECT id FROM audit_lock WHERE id = 1 FOR UPDATE")
            .execute(tx.next()?)
            .await
            .map_err(|error| StoreError::Audit(format!("cannot take the audit lock: {error}")))?;
    }
    Ok(tx)
}

/// The group committer of audit records written on their own: one transaction, one turn on the
/// audit lock and one commit for every caller waiting. The row-level-security actor of the
/// transaction is the first caller's (the audit tables carry no policy; each record names its own
/// actor).
fn audit_committer(
    pool: PgPool,
    signer: AuditSigner,
    trust: Arc<HeadTrust>,
    secret: Arc<Vec<u8>>,
    faults: Option<Arc<FaultInjector>>,
) -> GroupCommit {
    GroupCommit::new(Arc::new(move |entries: Vec<AuditEntry>| {
        let pool = pool.clone();
        let signer = signer.clone();
        let trust = Arc::clone(&trust);
        let secret = Arc::clone(&secret);
        let faults = faults.clone();
        Box::pin(async move {
            let actor = entries
                .first()
                .map(|entry| entry.actor.as_str())
                .filter(|actor| !actor.trim().is_empty())
                .unwrap_or(SYSTEM_ACTOR)
                .to_owned();
            let mut tx = begin_on(&pool, &secret, faults.as_deref(), "BEGIN", &actor, true).await?;
            let records = crate::engine::write_audit_signed::<PgStore>(
                &signer,
                &trust,
                &mut tx,
                &entries,
                &StateDelta::default(),
                Utc::now(),
                false,
            )
            .await?;
            tx.commit().await?;
            Ok(records)
        })
    }))
}

#[async_trait]
impl crate::engine::Backend for PgStore {
    type Db = Postgres;
    // PostgreSQL sorts text by the database collation; SQLite by bytes. "C" makes them agree.
    const USERS_BY_NAME: &'static str = "SELECT * FROM users ORDER BY username COLLATE \"C\"";
    // Well inside PostgreSQL's limit of 65,535 bound values.
    const AUDIT_ROWS_PER_INSERT: usize = 500;
    const ADD_CHECKPOINT: &'static str = crate::audit_sql::PG_ADD_CHECKPOINT;
    const WRITE_HEAD: &'static str = crate::audit_sql::PG_WRITE_HEAD;
    const REBUILD_CASES: &'static str = "SELECT case_id, force, reference, version FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT $2 FOR UPDATE";
    const DATA_KEYS_TO_ROTATE: &'static str =
        "SELECT key_id, nonce, wrapped FROM data_keys ORDER BY key_id FOR UPDATE";
    const CASES_IN_ORDER: &'static str = " ORDER BY force COLLATE \"C\", reference COLLATE \"C\"";
    const CASE_FOR_APPEND: &'static str =
        "SELECT case_id, version, head FROM cases WHERE force = $1 AND reference = $2 FOR UPDATE";

    fn core(&self) -> &Core {
        &self.core
    }

    async fn snapshot_tx(&self, actor: &str) -> StoreResult<PgTx<'_>> {
        // One repeatable-read snapshot, so the log, checkpoints, head and cases agree.
        self.begin_snapshot(actor).await
    }

    async fn backup(&self, _access: &Access, _dest: &Path) -> StoreResult<BackupInfo> {
        Err(StoreError::Refused(
            "a PostgreSQL database is backed up with PostgreSQL's own tools (pg_dump, or base \
             backups with WAL archiving); `rasso copy` can also copy it"
                .into(),
        ))
    }

    async fn insert_events(
        &self,
        tx: &mut PgTx<'_>,
        case_id: i64,
        audit_seq: i64,
        key_id: i64,
        rows: Vec<crate::rows::EventRow>,
    ) -> StoreResult<()> {
        // Two multi-row inserts (arrays unnested on the server): two round trips per case
        // instead of one or two per event.
        let mut new = NewRows::with_capacity(rows.len());
        for row in rows {
            new.push(row);
        }
        new.insert(tx, case_id, audit_seq, key_id).await
    }

    fn is_unique_violation(error: &crate::error::DatabaseError) -> bool {
        error.code() == Some(UNIQUE_VIOLATION)
    }

    async fn snapshot(&self, actor: &str) -> StoreResult<Conn<'_, Postgres>> {
        Ok(Conn::Tx(self.begin_snapshot(actor).await?))
    }

    async fn case_changes(&self, force: Option<&str>) -> StoreResult<u64> {
        crate::case_changes::read_postgres(&self.pool, force).await
    }

    async fn audited_version(
        &self,
        access: &Access,
        key: &CaseKey,
        entry: AuditEntry,
        _with_shares: bool,
    ) -> StoreResult<crate::engine::AuditedVersion<'_, Postgres>> {
        // The shares are left to the caller: read here, in this snapshot, they would be read as
        // the acting user under row-level security, which the shares' own read does not use.
        let (found, tx) = self.web_audited_version(access, key, entry).await?;
        Ok(crate::engine::AuditedVersion {
            found,
            conn: Some(Conn::Tx(tx)),
            shares: None,
        })
    }

    async fn begin(&self, actor: &str, audit: bool) -> StoreResult<PgTx<'_>> {
        self.begin_as("BEGIN", actor, audit).await
    }

    async fn read_cases(&self, actor: &str) -> StoreResult<Conn<'_, Postgres>> {
        Ok(Conn::Tx(self.begin_as("BEGIN", actor, false).await?))
    }

    async fn read_plain(&self) -> StoreResult<Conn<'_, Postgres>> {
        Ok(Conn::Pooled(self.pool.acquire().await?))
    }

    async fn write_plain(&self) -> StoreResult<Conn<'_, Postgres>> {
        Ok(Conn::Pooled(self.pool.acquire().await?))
    }

    async fn audit_alone(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        self.audit_batch.submit(entries).await
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
}
