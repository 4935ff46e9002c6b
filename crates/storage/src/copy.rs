//! Moving a deployment between stores (`rasso copy`): SQLite to PostgreSQL, as a deployment
//! outgrows one machine, and PostgreSQL to SQLite (to bring one back, or to take a working copy).
//! Every row of the source, in one read snapshot, goes into an empty target, in one transaction.
//! Events, sealed identity (ciphertext and the wrapped data keys as they are, so nothing is
//! decrypted on the way), users, the projections, report facts and the whole audit chain
//! (records, checkpoints, signed head) arrive unchanged, so the target verifies with the same
//! audit key; the copy itself is audited on both sides (a disclosure on the source before
//! reading, a collection on the target after the copied chain). Break-glass declarations, first
//! sign-ins and shares with partners are copied (with their ids).
//!
//! Sessions and sign-in failures are not copied: a session is a live sign-in to one deployment,
//! and copying it would let one cookie work against two deployments at once; users sign in again
//! on the target. A source table this module does not know is refused when it holds rows (rather
//! than silently left behind), so a new table must be added to [`TABLES`] or [`NOT_COPIED`].

use chrono::Utc;
use serde_json::json;
use sqlx::{Postgres, QueryBuilder, Row, Sqlite};

use crate::access::{Access, Category};
use crate::audit::AuditEntry;
use crate::engine::Backend as _;
use crate::error::{StoreError, StoreResult};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::store::*;

/// Rows copied per insert statement.
const BATCH: usize = 500;

/// A column's type, as the copy reads and writes it.
#[derive(Debug, Clone, Copy)]
pub enum Col {
    Int,
    OptInt,
    Text,
    OptText,
    Blob,
    Bool,
    Real,
}

#[derive(Debug)]
enum Val {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Vec<u8>),
    Bool(bool),
    Real(f64),
}

/// What a copy moved, table by table.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CopyReport {
    pub cases: u64,
    pub events: u64,
    pub sealed: u64,
    pub data_keys: u64,
    pub users: u64,
    pub audit_records: u64,
    pub audit_checkpoints: u64,
}

/// Tables of the source that are deliberately not copied (see the module documentation), and
/// the migrations' own bookkeeping, which each store keeps for itself.
pub const NOT_COPIED: &[&str] = &[
    "sessions",
    "sign_in_failures",
    // The sign-in history: the target keeps its own.
    "sign_ins",
    "audit_lock",
    "_sqlx_migrations",
    // Each PostgreSQL database has its own secret that binds the store's acting user.
    "actor_secret",
];

/// What opening an empty target wrote that the source's rows replace: the target's own data key
/// (it has sealed nothing with it) and its report-facts state (its absent facts marked complete).
const CLEAR_TARGET: &[&str] = &["DELETE FROM data_keys", "DELETE FROM report_facts_state"];

/// Every copied table, parents before children, with its columns.
pub const TABLES: &[(&str, &[(&str, Col)])] = &[
    (
        "data_keys",
        &[
            ("key_id", Col::Int),
            ("master_key_id", Col::Text),
            ("nonce", Col::Blob),
            ("wrapped", Col::Blob),
            ("active", Col::Bool),
            ("created_at", Col::Text),
        ],
    ),
    (
        "cases",
        &[
            ("case_id", Col::Int),
            ("force", Col::Text),
            ("reference", Col::Text),
            ("version", Col::Int),
            ("status", Col::Text),
            ("officer", Col::OptText),
            ("open_findings", Col::Int),
            ("people", Col::Int),
            ("reported_at", Col::OptText),
            ("last_event_at", Col::OptText),
            ("updated_at", Col::Text),
            ("head", Col::OptText),
        ],
    ),
    (
        "events",
        &[
            ("case_id", Col::Int),
            ("seq", Col::Int),
            ("event_id", Col::Text),
            ("at", Col::Text),
            ("kind", Col::Text),
            ("person", Col::OptText),
            ("body", Col::Text),
            ("audit_seq", Col::OptInt),
        ],
    ),
    (
        "sealed",
        &[
            ("case_id", Col::Int),
            ("seq", Col::Int),
            ("field", Col::Text),
            ("person", Col::Text),
            ("key_id", Col::Int),
            ("nonce", Col::Blob),
            ("ciphertext", Col::Blob),
        ],
    ),
    // Report facts travel as they are, with the basis they were taken under (none: the target's
    // reports evaluate in full until `rasso report rebuild-facts`).
    (
        "report_facts",
        &[
            ("case_id", Col::Int),
            ("force", Col::Text),
            ("reported_on", Col::Text),
            ("last_event_at", Col::Text),
            ("facts", Col::Blob),
        ],
    ),
    (
        "case_changes",
        &[("force", Col::Text), ("changes", Col::Int)],
    ),
    (
        "report_facts_state",
        &[
            ("id", Col::Int),
            ("basis", Col::Text),
            ("built_at", Col::Text),
        ],
    ),
    (
        "users",
        &[
            ("username", Col::Text),
            ("display_name", Col::Text),
            ("role", Col::Text),
            ("force", Col::OptText),
            ("national", Col::Bool),
            ("officer_id", Col::Text),
            ("password_hash", Col::Text),
            ("disabled", Col::Bool),
            ("created_at", Col::Text),
        ],
    ),
    (
        "audit_log",
        &[
            ("seq", Col::Int),
            ("at", Col::Text),
            ("actor", Col::Text),
            ("category", Col::Text),
            ("object", Col::Text),
            ("purpose", Col::Text),
            ("reason", Col::OptText),
            ("recipient", Col::OptText),
            ("detail", Col::Text),
            ("prev_hash", Col::Text),
            ("hash", Col::Text),
        ],
    ),
    (
        "audit_checkpoints",
        &[
            ("seq", Col::Int),
            ("hash", Col::Text),
            ("at", Col::Text),
            ("ordinal", Col::OptInt),
            ("prev_seq", Col::OptInt),
            ("public_key", Col::Text),
            ("signature", Col::Text),
        ],
    ),
    (
        "audit_head",
        &[
            ("seq", Col::Int),
            ("hash", Col::Text),
            ("at", Col::Text),
            ("records", Col::OptInt),
            ("checkpoints", Col::OptInt),
            ("last_checkpoint", Col::OptInt),
            ("cases", Col::OptInt),
            ("state", Col::OptText),
            ("public_key", Col::Text),
            ("signature", Col::Text),
        ],
    ),
    // The web server's shared state (migration 0003/0004); sign-in failures are transient and
    // not copied.
    (
        "first_sign_ins",
        &[
            ("username", Col::Text),
            ("session", Col::Text),
            ("at", Col::Text),
        ],
    ),
    (
        "break_glass",
        &[
            ("id", Col::Int),
            ("force", Col::Text),
            ("reference", Col::Text),
            ("session", Col::Text),
            ("actor", Col::Text),
            ("reason", Col::Text),
            ("at", Col::Text),
        ],
    ),
    (
        "case_shares",
        &[
            ("id", Col::Int),
            ("force", Col::Text),
            ("reference", Col::Text),
            ("partner", Col::Text),
            ("shared_by", Col::Text),
            ("items", Col::Text),
            ("reason", Col::Text),
            ("at", Col::Text),
            ("revoked_at", Col::OptText),
            ("revoked_by", Col::OptText),
        ],
    ),
    // Suspect linkage: sealed match profiles, the keyed blind index (the linkage key derives from
    // the first data key, copied above, so the tokens stay valid) and the candidate links with
    // their decisions.
    (
        "link_people",
        &[
            ("person_id", Col::Int),
            ("case_id", Col::Int),
            ("person", Col::Text),
            ("key_id", Col::Int),
            ("nonce", Col::Blob),
            ("profile", Col::Blob),
            ("updated_at", Col::Text),
        ],
    ),
    (
        "link_tokens",
        &[("token", Col::Int), ("person_id", Col::Int)],
    ),
    (
        "link_candidates",
        &[
            ("link_id", Col::Int),
            ("person_a", Col::Int),
            ("person_b", Col::Int),
            ("score", Col::Real),
            ("reasons", Col::Text),
            ("status", Col::Text),
            ("suggested_at", Col::Text),
            ("decided_by", Col::OptText),
            ("decided_at", Col::OptText),
            ("rationale", Col::OptText),
        ],
    ),
];

/// The columns a SQLite source table is paged by (integers): its rowid, or for a table declared
/// WITHOUT ROWID its primary key or another unique key.
fn sqlite_page_key(table: &str) -> &'static [&'static str] {
    match table {
        "link_tokens" => &["token", "person_id"],
        "report_facts" => &["case_id"],
        _ => &["rowid"],
    }
}

/// The guarded function a PostgreSQL target writes `table` through (its columns in the
/// function's argument order), where the application role may not insert itself.
fn guarded_function(table: &str) -> Option<&'static str> {
    match table {
        "audit_checkpoints" => Some("rasso_add_checkpoint"),
        "audit_head" => Some("rasso_write_head"),
        _ => None,
    }
}

/// Identity and serial columns whose PostgreSQL sequence must move past the copied ids.
const SEQUENCES: &[(&str, &str)] = &[
    ("break_glass", "id"),
    ("case_shares", "id"),
    ("link_people", "person_id"),
    ("link_candidates", "link_id"),
];

fn decode(row: &sqlx::sqlite::SqliteRow, index: usize, col: Col) -> StoreResult<Val> {
    Ok(match col {
        Col::Int => Val::Int(Some(row.try_get::<i64, _>(index)?)),
        Col::OptInt => Val::Int(row.try_get::<Option<i64>, _>(index)?),
        Col::Text => Val::Text(Some(row.try_get::<String, _>(index)?)),
        Col::OptText => Val::Text(row.try_get::<Option<String>, _>(index)?),
        Col::Blob => Val::Blob(row.try_get::<Vec<u8>, _>(index)?),
        Col::Bool => Val::Bool(row.try_get::<bool, _>(index)?),
        Col::Real => Val::Real(row.try_get::<f64, _>(index)?),
    })
}

fn decode_pg(row: &sqlx::postgres::PgRow, index: usize, col: Col) -> StoreResult<Val> {
    Ok(match col {
        Col::Int => Val::Int(Some(row.try_get::<i64, _>(index)?)),
        Col::OptInt => Val::Int(row.try_get::<Option<i64>, _>(index)?),
        Col::Text => Val::Text(Some(row.try_get::<String, _>(index)?)),
        Col::OptText => Val::Text(row.try_get::<Option<String>, _>(index)?),
        Col::Blob => Val::Blob(row.try_get::<Vec<u8>, _>(index)?),
        Col::Bool => Val::Bool(row.try_get::<bool, _>(index)?),
        Col::Real => Val::Real(row.try_get::<f64, _>(index)?),
    })
}

fn count(report: &mut CopyReport, table: &str, copied: u64) {
    match table {
        "data_keys" => report.data_keys = copied,
        "cases" => report.cases = copied,
        "events" => report.events = copied,
        "sealed" => report.sealed = copied,
        "users" => report.users = copied,
        "audit_log" => report.audit_records = copied,
        "audit_checkpoints" => report.audit_checkpoints = copied,
        _ => {}
    }
}

/// The tables of `present` that are neither copied nor deliberately left out.
fn unknown(present: Vec<String>) -> Vec<String> {
    present
        .into_iter()
        .filter(|name| {
            !TABLES.iter().any(|(known, _)| known == name) && !NOT_COPIED.contains(&name.as_str())
        })
        .collect()
}

fn refuse_unknown(tables: Vec<String>) -> StoreResult<()> {
    if tables.is_empty() {
        return Ok(());
    }
    Err(StoreError::Refused(format!(
        "the source has data in tables the copy does not know ({}); nothing was copied",
        tables.join(", ")
    )))
}

/// Copies the SQLite store `source` into the empty PostgreSQL store `target`. Both must be open
/// with the same master key and audit signing key. Returns what was copied; afterwards the target
/// holds the same cases and the same (verifiable) audit chain, plus one record of the copy.
pub async fn sqlite_to_postgres(
    source: &SqliteStore,
    target: &PgStore,
    access: &Access,
) -> StoreResult<CopyReport> {
    let mut tx = target.begin(&access.actor, true).await?;
    let occupied: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM cases) + (SELECT count(*) FROM users)",
    )
    .fetch_one(&mut *tx.tx)
    .await?;
    if occupied > 0 {
        return Err(StoreError::Refused(
            "the target database is not empty (copy only into a new database)".into(),
        ));
    }
    let mut unknown_with_rows = Vec::new();
    {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&source.reader)
        .await?;
        for table in unknown(tables) {
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM \"{}\"",
                table.replace('"', "\"\"")
            )))
            .fetch_one(&source.reader)
            .await?;
            if rows > 0 {
                unknown_with_rows.push(table);
            }
        }
    }
    refuse_unknown(unknown_with_rows)?;
    // The disclosure is recorded on the source before anything is read, so it travels too.
    source
        .record_audit(
            AuditEntry::new(access, Category::Disclosure, "database")
                .with_detail(json!({"copy_to": "postgres"})),
        )
        .await?;
    for statement in CLEAR_TARGET {
        sqlx::query(*statement).execute(&mut *tx.tx).await?;
    }
    let mut read = source.reader.begin().await?;
    let mut report = CopyReport::default();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let page_key = sqlite_page_key(table);
        let placeholders: Vec<String> = (1..=page_key.len()).map(|n| format!("${n}")).collect();
        let select = format!(
            "SELECT {keys}, {} FROM {table} WHERE ({keys}) > ({}) ORDER BY {keys} LIMIT {BATCH}",
            names.join(", "),
            placeholders.join(", "),
            keys = page_key.join(", "),
        );
        let mut after = vec![i64::MIN; page_key.len()];
        let mut copied = 0u64;
        loop {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(select.clone()));
            for value in &after {
                query = query.bind(*value);
            }
            let rows = query.fetch_all(&mut *read).await?;
            let Some(last) = rows.last() else {
                break;
            };
            for (index, value) in after.iter_mut().enumerate() {
                *value = last.try_get(index)?;
            }
            let mut values = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut row_values = Vec::with_capacity(columns.len());
                for (index, (_, col)) in columns.iter().enumerate() {
                    row_values.push(decode(row, index + page_key.len(), *col)?);
                }
                values.push(row_values);
            }
            if let Some(function) = guarded_function(table) {
                // The application role may not write these tables: the guarded functions check
                // each row against the copied records (migration 0010).
                for row in values {
                    let mut call = QueryBuilder::<Postgres>::new(format!("SELECT {function}("));
                    let mut arguments = call.separated(", ");
                    for value in row {
                        match value {
                            Val::Int(v) => arguments.push_bind(v),
                            Val::Text(v) => arguments.push_bind(v),
                            Val::Blob(v) => arguments.push_bind(v),
                            Val::Bool(v) => arguments.push_bind(v),
                            Val::Real(v) => arguments.push_bind(v),
                        };
                    }
                    call.push(")");
                    call.build().execute(&mut *tx.tx).await.map_err(|error| {
                        StoreError::Invalid(format!("copying {table}: {error}"))
                    })?;
                    copied += 1;
                }
                continue;
            }
            let overriding = if *table == "cases" {
                " OVERRIDING SYSTEM VALUE"
            } else {
                ""
            };
            let mut insert = QueryBuilder::<Postgres>::new(format!(
                "INSERT INTO {table} ({}){overriding} ",
                names.join(", ")
            ));
            insert.push_values(values, |mut builder, row| {
                for value in row {
                    match value {
                        Val::Int(v) => builder.push_bind(v),
                        Val::Text(v) => builder.push_bind(v),
                        Val::Blob(v) => builder.push_bind(v),
                        Val::Bool(v) => builder.push_bind(v),
                        Val::Real(v) => builder.push_bind(v),
                    };
                }
            });
            let done = insert
                .build()
                .execute(&mut *tx.tx)
                .await
                .map_err(|error| StoreError::Invalid(format!("copying {table}: {error}")))?;
            copied += done.rows_affected();
        }
        count(&mut report, table, copied);
    }
    read.rollback().await?;
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('cases', 'case_id'), GREATEST((SELECT COALESCE(MAX(case_id), 0) FROM cases), 1), (SELECT COUNT(*) > 0 FROM cases))",
    )
    .execute(&mut *tx.tx)
    .await?;
    for (table, column) in SEQUENCES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), GREATEST((SELECT COALESCE(MAX({column}), 0) FROM {table}), 1), (SELECT COUNT(*) > 0 FROM {table}))"
        )))
        .execute(&mut *tx.tx)
        .await?;
    }
    let entry = AuditEntry::new(access, Category::Collection, "database").with_detail(json!({
        "copied_from": "sqlite",
        "cases": report.cases,
        "events": report.events,
        "audit_records": report.audit_records,
    }));
    target.write_audit(&mut tx, &[entry], Utc::now()).await?;
    // The copied data keys must open with the target's master key, or nothing is kept.
    let ring = crate::engine::keys_in(target, &mut tx).await?;
    tx.tx.commit().await?;
    target.core().install_keys(ring)?;
    tracing::info!(
        cases = report.cases,
        events = report.events,
        audit_records = report.audit_records,
        "copied SQLite store to PostgreSQL"
    );
    Ok(report)
}

/// Copies the PostgreSQL store `source` into the empty SQLite store `target` (the other way from
/// [`sqlite_to_postgres`], with the same guarantees). The source is read in one repeatable-read
/// snapshot acting for `access` (so row-level security lets the copy see the case rows) after
/// the disclosure is recorded there; the target gets every row in one transaction, then the
/// record of the copy, and keeps nothing unless the copied data keys open with its master key.
pub async fn postgres_to_sqlite(
    source: &PgStore,
    target: &SqliteStore,
    access: &Access,
) -> StoreResult<CopyReport> {
    let mut tx = target.begin_write().await?;
    let occupied: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM cases) + (SELECT count(*) FROM users)",
    )
    .fetch_one(&mut *tx.tx)
    .await?;
    if occupied > 0 {
        return Err(StoreError::Refused(
            "the target database is not empty (copy only into a new database)".into(),
        ));
    }
    source
        .record_audit(
            AuditEntry::new(access, Category::Disclosure, "database")
                .with_detail(json!({"copy_to": "sqlite"})),
        )
        .await?;
    let mut read = source.begin_snapshot(&access.actor).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *read.tx)
    .await?;
    let mut unknown_with_rows = Vec::new();
    for table in unknown(tables) {
        let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {})",
            crate::postgres::quote_ident(&table)
        )))
        .fetch_one(&mut *read.tx)
        .await?;
        if any {
            unknown_with_rows.push(table);
        }
    }
    refuse_unknown(unknown_with_rows)?;
    for statement in CLEAR_TARGET {
        sqlx::query(*statement).execute(&mut *tx.tx).await?;
    }
    let mut report = CopyReport::default();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        // Integers are read as BIGINT whatever their declared width.
        let selected: Vec<String> = columns
            .iter()
            .map(|(name, col)| match col {
                Col::Int | Col::OptInt => format!("{name}::bigint"),
                _ => (*name).to_owned(),
            })
            .collect();
        // A cursor pages through the snapshot without re-running the query per page. One cursor
        // name per table: a prepared FETCH keeps the row description of the cursor it was
        // prepared for, so the statement text must differ from table to table.
        let cursor = format!("rasso_copy_{table}");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DECLARE {cursor} NO SCROLL CURSOR FOR SELECT {} FROM {table} ORDER BY 1",
            selected.join(", ")
        )))
        .execute(&mut *read.tx)
        .await?;
        let mut copied = 0u64;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("FETCH {BATCH} FROM {cursor}")))
                .persistent(false)
                .fetch_all(&mut *read.tx)
                .await?;
            if rows.is_empty() {
                break;
            }
            let mut values = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut row_values = Vec::with_capacity(columns.len());
                for (index, (_, col)) in columns.iter().enumerate() {
                    row_values.push(decode_pg(row, index, *col)?);
                }
                values.push(row_values);
            }
            let mut insert =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO {table} ({}) ", names.join(", ")));
            insert.push_values(values, |mut builder, row| {
                for value in row {
                    match value {
                        Val::Int(v) => builder.push_bind(v),
                        Val::Text(v) => builder.push_bind(v),
                        Val::Blob(v) => builder.push_bind(v),
                        Val::Bool(v) => builder.push_bind(v),
                        Val::Real(v) => builder.push_bind(v),
                    };
                }
            });
            let done = insert
                .build()
                .execute(&mut *tx.tx)
                .await
                .map_err(|error| StoreError::Invalid(format!("copying {table}: {error}")))?;
            copied += done.rows_affected();
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("CLOSE {cursor}")))
            .execute(&mut *read.tx)
            .await?;
        count(&mut report, table, copied);
    }
    read.tx.rollback().await?;
    let entry = AuditEntry::new(access, Category::Collection, "database").with_detail(json!({
        "copied_from": "postgres",
        "cases": report.cases,
        "events": report.events,
        "audit_records": report.audit_records,
    }));
    target.write_audit(&mut tx, &[entry], Utc::now()).await?;
    // The copied data keys must open with the target's master key, or nothing is kept.
    let ring = crate::engine::keys_in(target, &mut tx).await?;
    tx.tx.commit().await?;
    target.core().install_keys(ring)?;
    tracing::info!(
        cases = report.cases,
        events = report.events,
        audit_records = report.audit_records,
        "copied PostgreSQL store to SQLite"
    );
    Ok(report)
}
