//! Support for `cargo xtask bench import`: the floor it compares the store against, plain
//! batched inserts of the same rows into a bare table with the same SQLite settings, and a
//! deterministic synthetic event generator.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use sqlx::Connection;

use crate::audit::format_time;
use crate::error::StoreResult;
use crate::model::NewEvent;

/// Deterministic synthetic interchange lines: `cases` cases of about 30 events each, with a
/// victim and a suspect whose (made-up) identities are sealed on import.
pub fn synthetic_lines(events: usize) -> Vec<String> {
    const PER_CASE: usize = 30;
    let mut lines = Vec::with_capacity(events);
    let mut case = 0usize;
    while lines.len() < events {
        let reference = format!("BN-2026-{case:06}");
        let force = ["exampleshire", "otherton", "benchford"][case % 3];
        let day = 1 + case % 27;
        for i in 0..PER_CASE.min(events - lines.len()) {
            let at = format!("2026-02-{day:02}T{:02}:{:02}:00Z", 8 + i / 6, (i * 7) % 60);
            let id = format!("{reference}-{i}");
            let base = |kind: &str| json!({"case": reference, "force": force, "at": at, "kind": kind, "id": id});
            let mut line = match i {
                0 => {
                    let mut v = base("report_received");
                    v["channel"] = json!("101");
                    v["offences"] = json!(["SOA2003-s1"]);
                    v["location"] = json!({"country": "GB"});
                    v["penetration"] = json!(["vaginal"]);
                    v
                }
                1 => {
                    let mut v = base("person_added");
                    v["person"] = json!("V1");
                    v["role"] = json!("victim");
                    v["identity"] = json!({"given_name": format!("Given{case}"), "family_name": format!("Family{case}"), "date_of_birth": "1990-05-17"});
                    v
                }
                2 => {
                    let mut v = base("person_added");
                    v["person"] = json!("S1");
                    v["role"] = json!("suspect");
                    v["identity"] = json!({"given_name": format!("Suspect{case}"), "pnc_id": format!("26/{case:07}A")});
                    v
                }
                3 => {
                    let mut v = base("crime_recorded");
                    v["offences"] = json!(["SOA2003-s1"]);
                    v
                }
                4 => {
                    let mut v = base("officer_allocated");
                    v["officer"] = json!(format!("{}", 4000 + case % 300));
                    v["role"] = json!("oic");
                    v
                }
                5 => {
                    let mut v = base("needs_assessment");
                    v["person"] = json!("V1");
                    v
                }
                6 => {
                    let mut v = base("suspect_arrested");
                    v["person"] = json!("S1");
                    v
                }
                7 => {
                    let mut v = base("victim_informed");
                    v["person"] = json!("V1");
                    v["about"] = json!("arrest");
                    v
                }
                _ => {
                    let mut v = base("note");
                    v["text"] = json!(format!("synthetic note {i} on the whole-story timeline"));
                    v
                }
            };
            if i % 10 == 9 {
                line["x_source_system"] = json!({"ref": i});
            }
            lines.push(line.to_string());
        }
        case += 1;
    }
    lines
}

/// One row of the floor: what the store's events table gets for an event.
#[derive(Debug, Clone)]
pub struct PlainRow {
    pub case: i64,
    pub seq: i64,
    pub event_id: String,
    pub at: String,
    pub kind: &'static str,
    pub person: Option<String>,
    pub body: String,
}

impl PlainRow {
    /// The row for `event`, the `seq`-th of case number `case`.
    pub fn from_event(case: i64, seq: i64, event: &NewEvent) -> Self {
        PlainRow {
            case,
            seq,
            event_id: event.id.clone(),
            at: format_time(event.record.event.at.with_timezone(&Utc)),
            kind: event.record.event.kind().as_str(),
            person: event.record.event.person().map(|p| p.to_string()),
            body: serde_json::Value::Object(event.object.clone()).to_string(),
        }
    }
}

/// Inserts `batches` of rows into a bare table in a new database at `path` (WAL,
/// `synchronous=FULL`, one transaction per batch) and returns the time taken.
pub async fn plain_inserts(path: &Path, batches: &[Vec<PlainRow>]) -> StoreResult<Duration> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .foreign_keys(true);
    let mut connection = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::query(
        "CREATE TABLE events (case_id BIGINT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL, at TEXT NOT NULL, \
         kind TEXT NOT NULL, person TEXT, body TEXT NOT NULL, PRIMARY KEY (case_id, seq))",
    )
    .execute(&mut connection)
    .await?;
    let started = Instant::now();
    for batch in batches {
        let mut tx = connection.begin().await?;
        for row in batch {
            sqlx::query(
                "INSERT INTO events (case_id, seq, event_id, at, kind, person, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(row.case)
            .bind(row.seq)
            .bind(&row.event_id)
            .bind(&row.at)
            .bind(row.kind)
            .bind(&row.person)
            .bind(&row.body)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    connection.close().await?;
    Ok(elapsed)
}

/// The PostgreSQL floor: the same plain batched inserts into a bare table, in a new schema of the
/// database at `url` (dropped afterwards), one transaction per batch, the server's default
/// durability (`synchronous_commit = on`, fsync at commit).
pub async fn plain_inserts_pg(
    url: &str,
    schema: &str,
    batches: &[Vec<PlainRow>],
) -> StoreResult<Duration> {
    use sqlx::AssertSqlSafe;
    let quoted = crate::postgres::quote_ident(schema);
    let mut connection = sqlx::PgConnection::connect(url).await?;
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {quoted}")))
        .execute(&mut connection)
        .await?;
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TABLE {quoted}.events (case_id BIGINT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL, at TEXT NOT NULL, \
         kind TEXT NOT NULL, person TEXT, body TEXT NOT NULL, PRIMARY KEY (case_id, seq))"
    )))
    .execute(&mut connection)
    .await?;
    let insert = format!(
        "INSERT INTO {quoted}.events (case_id, seq, event_id, at, kind, person, body) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    );
    let started = Instant::now();
    for batch in batches {
        let mut tx = connection.begin().await?;
        for row in batch {
            sqlx::query(AssertSqlSafe(insert.clone()))
                .bind(row.case)
                .bind(row.seq)
                .bind(&row.event_id)
                .bind(&row.at)
                .bind(row.kind)
                .bind(&row.person)
                .bind(&row.body)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {quoted} CASCADE")))
        .execute(&mut connection)
        .await?;
    connection.close().await?;
    Ok(elapsed)
}

/// The candidate lookup without its audit record, acting for `actor` (PostgreSQL's row-level
/// security): `cargo xtask bench link` times this, the work an append does for a new suspect.
/// Every store has it (the impl below, over `crate::engine`'s `Backend`).
#[async_trait::async_trait]
pub trait CandidateLookup {
    /// The stored suspects that may be the person of `identity`, best first, leaving out those of
    /// `exclude_case`.
    async fn lookup_candidates(
        &self,
        actor: &str,
        identity: &domain::interchange::Identity,
        exclude_case: Option<&domain::CaseKey>,
    ) -> StoreResult<Vec<crate::LinkMatch>>;
}

/// Implemented here, over the engine, rather than in the engine: the harness sits above the store
/// it measures, and the engine knows nothing of benchmarks.
#[async_trait::async_trait]
impl<B: crate::engine::Backend> CandidateLookup for B {
    async fn lookup_candidates(
        &self,
        actor: &str,
        identity: &domain::interchange::Identity,
        exclude_case: Option<&domain::CaseKey>,
    ) -> StoreResult<Vec<crate::LinkMatch>> {
        crate::engine::lookup_candidates(self, actor, identity, exclude_case).await
    }
}
