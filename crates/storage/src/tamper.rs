//! The tamper suite (`cargo xtask tamper`, and `tests/tamper_suite.rs` in every test run): kinds
//! of change an intruder holding the database could make, each applied with plain SQL to a fresh
//! copy of a populated store (append-only triggers and foreign keys off first), then
//! `Store::verify_audit` must report a problem, naming the case where a case's data was changed.
//! Run against a SQLite file and, given a URL, a PostgreSQL schema (as its owner, a superuser in
//! the tests, with `session_replication_role = replica`, which turns triggers off).
//!
//! The populated store: three cases from the conformance sample (sealed identities for a victim
//! and a suspect), reads, checkpoints; the signed head is kept (an old head an intruder could
//! have saved); then a fourth case, a later event on the first, more reads and a checkpoint.

use std::path::{Path, PathBuf};

use sqlx::Connection;

use crate::access::{Access, Purpose};
use crate::audit::{AuditSigner, SignedHead};
use crate::conformance::sample_appends;
use crate::error::{StoreError, StoreResult};
use crate::keys::MasterKey;
use crate::model::{Append, ExpectedVersion, NewEvent};
use crate::postgres::{PgOptions, PgStore, drop_schema, quote_ident};
use crate::sqlite::{SqliteOptions, SqliteStore};
use crate::store::*;

/// The database a kind of change is spelled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// What the populated store left for the changes that need it: a signed head saved before the
/// last writes.
#[derive(Debug, Clone)]
pub struct Saved {
    pub old_head: SignedHead,
}

/// One kind of change: its name, the case verification must name (when a case's data changes),
/// and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub case: Option<&'static str>,
    pub sql: fn(Db, &Saved) -> Vec<String>,
}

/// One kind tried.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: &'static str,
    pub detected: bool,
    /// What verification said (or why the store would not open).
    pub finding: String,
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct TamperReport {
    pub outcomes: Vec<Outcome>,
}

impl TamperReport {
    pub fn tried(&self) -> usize {
        self.outcomes.len()
    }

    pub fn detected(&self) -> usize {
        self.outcomes.iter().filter(|o| o.detected).count()
    }
}

fn case(reference: &str) -> String {
    format!("(SELECT case_id FROM cases WHERE reference = '{reference}')")
}

/// An SQL expression: the hex string in `column` with its first byte changed, whatever it was
/// (`00` becomes `ff`, anything else `00`). Overwriting with a fixed byte changes nothing, and so
/// tests nothing, in the 1 run of 256 where the hash already begins with it.
pub fn flip_first_byte(column: &str) -> String {
    format!(
        "CASE WHEN substr({column}, 1, 2) = '00' THEN 'ff' ELSE '00' END || substr({column}, 3)"
    )
}

fn strings(statements: &[&str]) -> Vec<String> {
    statements.iter().map(|s| (*s).to_owned()).collect()
}

/// The old head put back as the stored head.
fn restore_head(head: &SignedHead) -> Vec<String> {
    let number = |value: Option<i64>| value.map_or("NULL".to_owned(), |v| v.to_string());
    vec![
        "DELETE FROM audit_head".to_owned(),
        format!(
            "INSERT INTO audit_head (id, seq, hash, at, records, checkpoints, last_checkpoint, \
             cases, state, public_key, signature) VALUES (1, {}, '{}', '{}', {}, {}, {}, {}, '{}', '{}', '{}')",
            head.seq,
            head.hash,
            head.at,
            number(head.records),
            number(head.checkpoints),
            number(head.last_checkpoint),
            number(head.cases),
            head.state.as_deref().unwrap_or_default(),
            head.public_key,
            head.signature
        ),
    ]
}

/// Every kind of change the suite tries.
pub fn kinds() -> Vec<Kind> {
    vec![
        // ---- The audit log ----------------------------------------------------------------
        Kind {
            name: "edit an audit record",
            case: None,
            sql: |_, _| {
                strings(&["UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 3"])
            },
        },
        Kind {
            name: "edit the case binding in an append's audit record",
            case: None,
            sql: |_, _| {
                strings(&[
                    "UPDATE audit_log SET detail = replace(detail, '\"to_version\":6', '\"to_version\":5') WHERE seq = 1",
                ])
            },
        },
        Kind {
            name: "delete an audit record",
            case: None,
            sql: |_, _| strings(&["DELETE FROM audit_log WHERE seq = 5"]),
        },
        Kind {
            name: "reorder audit records",
            case: None,
            sql: |_, _| {
                strings(&[
                    "UPDATE audit_log SET seq = 1000 WHERE seq = 4",
                    "UPDATE audit_log SET seq = 4 WHERE seq = 6",
                    "UPDATE audit_log SET seq = 6 WHERE seq = 1000",
                ])
            },
        },
        Kind {
            name: "insert an audit record",
            case: None,
            sql: |_, _| {
                strings(&[
                    "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 4",
                    "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1004",
                    "INSERT INTO audit_log SELECT 4, at, actor, category, 'case:exampleshire/EX-9', purpose, reason, recipient, detail, prev_hash, hash FROM audit_log WHERE seq = 3",
                ])
            },
        },
        Kind {
            name: "truncate the log's tail",
            case: None,
            sql: |_, _| {
                strings(&["DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 3 FROM audit_log)"])
            },
        },
        Kind {
            name: "truncate the tail and move the head to the new last record",
            case: None,
            sql: |_, _| {
                strings(&[
                    "DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 3 FROM audit_log)",
                    "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_log), records = (SELECT max(seq) FROM audit_log), \
                     hash = (SELECT hash FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log))",
                ])
            },
        },
        Kind {
            name: "roll the log back to an older signed head (newer case data kept)",
            case: None,
            sql: |_, saved| {
                let old = &saved.old_head;
                let mut sql = vec![
                    format!("DELETE FROM audit_log WHERE seq > {}", old.seq),
                    format!(
                        "DELETE FROM audit_checkpoints WHERE seq > {}",
                        old.last_checkpoint.unwrap_or_default()
                    ),
                ];
                sql.extend(restore_head(old));
                sql
            },
        },
        Kind {
            name: "put an older signed head back (log kept)",
            case: None,
            sql: |_, saved| restore_head(&saved.old_head),
        },
        Kind {
            name: "erase the whole log (records, checkpoints, head)",
            case: None,
            sql: |_, _| {
                strings(&[
                    "DELETE FROM audit_log",
                    "DELETE FROM audit_checkpoints",
                    "DELETE FROM audit_head",
                ])
            },
        },
        Kind {
            name: "erase the records, keep checkpoints and head",
            case: None,
            sql: |_, _| strings(&["DELETE FROM audit_log"]),
        },
        Kind {
            name: "remove the first checkpoint",
            case: None,
            sql: |_, _| {
                strings(&[
                    "DELETE FROM audit_checkpoints WHERE seq = (SELECT min(seq) FROM audit_checkpoints)",
                ])
            },
        },
        Kind {
            name: "remove the last checkpoint",
            case: None,
            sql: |_, _| {
                strings(&[
                    "DELETE FROM audit_checkpoints WHERE seq = (SELECT max(seq) FROM audit_checkpoints)",
                ])
            },
        },
        Kind {
            name: "rewrite a checkpoint's hash",
            case: None,
            sql: |_, _| {
                vec![format!(
                    "UPDATE audit_checkpoints SET hash = {} WHERE seq = (SELECT min(seq) FROM audit_checkpoints)",
                    flip_first_byte("hash")
                )]
            },
        },
        Kind {
            name: "edit the head's record count",
            case: None,
            sql: |_, _| strings(&["UPDATE audit_head SET records = records - 1"]),
        },
        Kind {
            name: "edit the head's checkpoint count",
            case: None,
            sql: |_, _| strings(&["UPDATE audit_head SET checkpoints = checkpoints - 1"]),
        },
        Kind {
            name: "edit the head's case count",
            case: None,
            sql: |_, _| strings(&["UPDATE audit_head SET cases = cases - 1"]),
        },
        Kind {
            name: "edit the head's state digest",
            case: None,
            sql: |_, _| {
                vec![format!(
                    "UPDATE audit_head SET state = {}",
                    flip_first_byte("state")
                )]
            },
        },
        Kind {
            name: "delete the signed head",
            case: None,
            sql: |_, _| strings(&["DELETE FROM audit_head"]),
        },
        // ---- Events -----------------------------------------------------------------------
        Kind {
            name: "edit an event's body",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE events SET body = replace(body, 'call back', 'no answer') WHERE case_id = {} AND seq = 5",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "backdate an event's time",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE events SET at = '2026-03-01T11:00:00.000000Z' WHERE case_id = {} AND seq = 4",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "backdate the time inside an event's body",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE events SET body = replace(body, '2026-03-02T11:00:00Z', '2026-03-01T11:00:00Z') WHERE case_id = {} AND seq = 4",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "change an event's kind",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE events SET kind = 'note' WHERE case_id = {} AND seq = 4",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "change an event's person",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE events SET person = 'S1' WHERE case_id = {} AND seq = 2",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "delete a case's last event (and its version)",
            case: Some("exampleshire/EX-2"),
            sql: |_, _| {
                vec![
                    format!(
                        "DELETE FROM events WHERE case_id = {} AND seq = 3",
                        case("EX-2")
                    ),
                    "UPDATE cases SET version = 2 WHERE reference = 'EX-2'".to_owned(),
                ]
            },
        },
        Kind {
            name: "delete an event in the middle (renumbering the rest)",
            case: Some("exampleshire/EX-2"),
            sql: |_, _| {
                vec![
                    format!(
                        "DELETE FROM events WHERE case_id = {} AND seq = 2",
                        case("EX-2")
                    ),
                    format!(
                        "UPDATE events SET seq = 2 WHERE case_id = {} AND seq = 3",
                        case("EX-2")
                    ),
                    "UPDATE cases SET version = 2 WHERE reference = 'EX-2'".to_owned(),
                ]
            },
        },
        Kind {
            name: "insert an event at the end (and the version)",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![
                    format!(
                        "INSERT INTO events (case_id, seq, event_id, at, kind, person, body, audit_seq) \
                         SELECT case_id, 8, 'forged-1', at, kind, person, body, audit_seq FROM events WHERE case_id = {} AND seq = 7",
                        case("EX-1")
                    ),
                    "UPDATE cases SET version = 8 WHERE reference = 'EX-1'".to_owned(),
                ]
            },
        },
        Kind {
            name: "insert an event in the middle",
            case: Some("exampleshire/EX-2"),
            sql: |_, _| {
                vec![
                    format!(
                        "UPDATE events SET seq = seq + 10 WHERE case_id = {} AND seq >= 2",
                        case("EX-2")
                    ),
                    format!(
                        "UPDATE events SET seq = seq - 9 WHERE case_id = {} AND seq >= 12",
                        case("EX-2")
                    ),
                    format!(
                        "INSERT INTO events (case_id, seq, event_id, at, kind, person, body, audit_seq) \
                         SELECT case_id, 2, 'forged-2', at, kind, person, body, audit_seq FROM events WHERE case_id = {} AND seq = 1",
                        case("EX-2")
                    ),
                    "UPDATE cases SET version = 4 WHERE reference = 'EX-2'".to_owned(),
                ]
            },
        },
        Kind {
            name: "reorder a case's events",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![
                    format!(
                        "UPDATE events SET seq = 100 WHERE case_id = {} AND seq = 5",
                        case("EX-1")
                    ),
                    format!(
                        "UPDATE events SET seq = 5 WHERE case_id = {} AND seq = 7",
                        case("EX-1")
                    ),
                    format!(
                        "UPDATE events SET seq = 7 WHERE case_id = {} AND seq = 100",
                        case("EX-1")
                    ),
                ]
            },
        },
        Kind {
            name: "move an event to another case",
            case: Some("exampleshire/EX-2"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE events SET case_id = {}, seq = 2 WHERE case_id = {} AND seq = 3",
                    case("OT-1"),
                    case("EX-2")
                )]
            },
        },
        Kind {
            name: "delete a whole case",
            case: Some("otherton/OT-1"),
            sql: |_, _| {
                vec![
                    format!("DELETE FROM report_facts WHERE case_id = {}", case("OT-1")),
                    format!("DELETE FROM events WHERE case_id = {}", case("OT-1")),
                    "DELETE FROM cases WHERE reference = 'OT-1'".to_owned(),
                ]
            },
        },
        Kind {
            name: "rename a case",
            case: Some("exampleshire/EX-2-B"),
            sql: |_, _| {
                strings(&["UPDATE cases SET reference = 'EX-2-B' WHERE reference = 'EX-2'"])
            },
        },
        Kind {
            name: "add a case outside the store",
            case: Some("otherton/EX-SNEAK"),
            sql: |_, _| {
                vec![
                    "INSERT INTO cases (force, reference, version, status, open_findings, people, updated_at, head) \
                     SELECT force, 'EX-SNEAK', version, status, open_findings, people, updated_at, head FROM cases WHERE reference = 'OT-1'"
                        .to_owned(),
                    format!(
                        "INSERT INTO events (case_id, seq, event_id, at, kind, person, body, audit_seq) \
                         SELECT {}, seq, event_id, at, kind, person, replace(body, 'OT-1', 'EX-SNEAK'), audit_seq FROM events WHERE case_id = {}",
                        case("EX-SNEAK"),
                        case("OT-1")
                    ),
                ]
            },
        },
        // ---- Sealed identity --------------------------------------------------------------
        Kind {
            name: "delete a sealed identity",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "DELETE FROM sealed WHERE case_id = {} AND person = 'V1'",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "swap sealed identities between people",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![
                    format!(
                        "CREATE TEMP TABLE swapped AS SELECT seq, nonce, ciphertext FROM sealed WHERE case_id = {}",
                        case("EX-1")
                    ),
                    format!(
                        "UPDATE sealed SET nonce = (SELECT s.nonce FROM swapped s WHERE s.seq = 5 - sealed.seq), \
                         ciphertext = (SELECT s.ciphertext FROM swapped s WHERE s.seq = 5 - sealed.seq) \
                         WHERE case_id = {} AND seq IN (2, 3)",
                        case("EX-1")
                    ),
                ]
            },
        },
        Kind {
            name: "relabel a sealed identity as another person's",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE sealed SET person = 'S9' WHERE case_id = {} AND person = 'V1'",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "replace a sealed ciphertext",
            case: Some("exampleshire/EX-1"),
            sql: |db, _| {
                let empty = match db {
                    Db::Sqlite => "zeroblob(48)",
                    Db::Postgres => "decode(repeat('00', 48), 'hex')",
                };
                vec![format!(
                    "UPDATE sealed SET ciphertext = {empty} WHERE case_id = {} AND person = 'S1'",
                    case("EX-1")
                )]
            },
        },
        Kind {
            name: "add a sealed row to an event",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "INSERT INTO sealed (case_id, seq, field, person, key_id, nonce, ciphertext) \
                     SELECT case_id, 1, field, person, key_id, nonce, ciphertext FROM sealed WHERE case_id = {} AND seq = 2",
                    case("EX-1")
                )]
            },
        },
        // ---- The case row -----------------------------------------------------------------
        Kind {
            name: "edit a case's head",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| {
                vec![format!(
                    "UPDATE cases SET head = {} WHERE reference = 'EX-1'",
                    flip_first_byte("head")
                )]
            },
        },
        Kind {
            name: "edit a case's version",
            case: Some("exampleshire/EX-1"),
            sql: |_, _| strings(&["UPDATE cases SET version = 5 WHERE reference = 'EX-1'"]),
        },
        Kind {
            name: "clear a case's head",
            case: Some("exampleshire/EX-2"),
            sql: |_, _| strings(&["UPDATE cases SET head = NULL WHERE reference = 'EX-2'"]),
        },
        Kind {
            name: "roll a case back to an earlier head (its last event deleted)",
            case: Some("exampleshire/EX-1"),
            sql: |db, _| {
                let bound = match db {
                    Db::Sqlite => "json_extract(detail, '$.head')",
                    Db::Postgres => "(detail::json ->> 'head')",
                };
                vec![
                    format!(
                        "DELETE FROM events WHERE case_id = {} AND seq = 7",
                        case("EX-1")
                    ),
                    format!(
                        "UPDATE cases SET version = 6, head = (SELECT {bound} FROM audit_log \
                         WHERE object = 'case:exampleshire/EX-1' ORDER BY seq LIMIT 1) WHERE reference = 'EX-1'"
                    ),
                ]
            },
        },
    ]
}

fn event(line: serde_json::Value) -> StoreResult<NewEvent> {
    NewEvent::from_line(&line.to_string(), 0)
        .map_err(|error| StoreError::Invalid(format!("tamper suite sample: {error}")))
}

fn key(force: &str, reference: &str) -> domain::CaseKey {
    domain::CaseKey {
        force: force.into(),
        reference: reference.into(),
    }
}

/// Fills a new store (see the module documentation); returns the signed head saved before the
/// last writes. The store must verify afterwards.
pub async fn populate<S: Store>(store: &S, signer: &AuditSigner) -> StoreResult<Saved> {
    let officer = Access::new("user:4471", Purpose::Investigation);
    store
        .append(&officer, sample_appends(ExpectedVersion::NoCase))
        .await?;
    let cases = [
        key("exampleshire", "EX-1"),
        key("exampleshire", "EX-2"),
        key("otherton", "OT-1"),
    ];
    for case in &cases {
        store.read_case(&officer, case).await?;
    }
    store.audit_checkpoint().await?;
    for case in &cases {
        store.read_case(&officer, case).await?;
    }
    store.audit_checkpoint().await?;
    let old_head = store
        .audit_head()
        .await?
        .ok_or_else(|| StoreError::Audit("no signed head after writing".into()))?;
    let at = "2026-03-06T10:00:00Z";
    store
        .append(
            &officer,
            vec![
                Append {
                    case: key("exampleshire", "EX-1"),
                    expected: ExpectedVersion::Exact(6),
                    events: vec![event(serde_json::json!({
                        "case": "EX-1", "force": "exampleshire", "at": at, "kind": "note",
                        "id": "ex1-7", "text": "later"
                    }))?],
                },
                Append {
                    case: key("exampleshire", "EX-5"),
                    expected: ExpectedVersion::NoCase,
                    events: vec![
                        event(serde_json::json!({
                            "case": "EX-5", "force": "exampleshire", "at": at,
                            "kind": "report_received", "id": "ex5-1", "channel": "101",
                            "offences": ["SOA2003-s1"], "location": {"country": "GB"}
                        }))?,
                        event(serde_json::json!({
                            "case": "EX-5", "force": "exampleshire", "at": at, "kind": "note",
                            "id": "ex5-2", "text": "first contact"
                        }))?,
                    ],
                },
            ],
        )
        .await?;
    for case in &cases {
        store.read_case(&officer, case).await?;
    }
    store.audit_checkpoint().await?;
    store.read_case(&officer, &cases[0]).await?;
    let report = store.verify_audit(&signer.verifying_key()).await?;
    if let Some(problem) = report.problem {
        return Err(StoreError::Audit(format!(
            "the populated store does not verify before any change: {problem}"
        )));
    }
    Ok(Saved { old_head })
}

/// The keys every store of the suite is opened with.
fn keys() -> (MasterKey, AuditSigner) {
    (
        MasterKey::from_bytes([31; 32]),
        AuditSigner::from_seed([32; 32]),
    )
}

async fn outcome<S: Store>(
    kind: &Kind,
    opened: StoreResult<S>,
    signer: &AuditSigner,
) -> StoreResult<(Outcome, Option<S>)> {
    let store = match opened {
        Ok(store) => store,
        // A store that will not open on the changed data fails `rasso audit verify` too.
        Err(error) => {
            return Ok((
                Outcome {
                    name: kind.name,
                    detected: true,
                    finding: format!("the store refuses to open: {error}"),
                },
                None,
            ));
        }
    };
    let report = store.verify_audit(&signer.verifying_key()).await?;
    let outcome = match report.problem {
        None => Outcome {
            name: kind.name,
            detected: false,
            finding: "verify found nothing".into(),
        },
        Some(problem) => {
            let named = kind
                .case
                .is_none_or(|case| problem.case.as_deref() == Some(case));
            Outcome {
                name: kind.name,
                detected: named,
                finding: if named {
                    problem.to_string()
                } else {
                    format!(
                        "{problem} (but the changed case, {}, is not the one named)",
                        kind.case.unwrap_or_default()
                    )
                },
            }
        }
    };
    Ok((outcome, Some(store)))
}

/// Runs every kind against SQLite files under `dir`.
pub async fn run_sqlite(dir: &Path) -> StoreResult<TamperReport> {
    run_sqlite_kinds(dir, &kinds()).await
}

/// Runs `kinds` against SQLite files under `dir`. A kind whose SQL leaves the database as it was
/// is an error, not an outcome: it would test nothing.
pub async fn run_sqlite_kinds(dir: &Path, kinds: &[Kind]) -> StoreResult<TamperReport> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::io(format!("cannot create {}", dir.display()), e))?;
    let (master_key, signer) = keys();
    let open = |path: PathBuf| {
        SqliteStore::open(SqliteOptions {
            path,
            master_key: master_key.clone(),
            signer: signer.clone(),
        })
    };
    let base = dir.join("populated.db");
    let store = open(base.clone()).await?;
    let saved = populate(&store, &signer).await?;
    store.close().await;
    let url = |path: &Path| format!("sqlite://{}", path.display());
    let mut report = TamperReport::default();
    for (index, kind) in kinds.iter().enumerate() {
        let path = dir.join(format!("changed-{index}.db"));
        // A consistent copy of the populated store, triggers and all.
        let mut source = sqlx::SqliteConnection::connect(&url(&base)).await?;
        sqlx::query("VACUUM INTO $1")
            .bind(path.display().to_string())
            .execute(&mut source)
            .await?;
        source.close().await?;
        let mut connection = sqlx::SqliteConnection::connect(&url(&path)).await?;
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut connection)
            .await?;
        let triggers: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                .fetch_all(&mut connection)
                .await?;
        for trigger in triggers {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP TRIGGER \"{}\"",
                trigger.replace('"', "\"\"")
            )))
            .execute(&mut connection)
            .await?;
        }
        let before = sqlite_contents(&mut connection).await?;
        for statement in (kind.sql)(Db::Sqlite, &saved) {
            sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut connection)
                .await
                .map_err(|error| {
                    StoreError::Invalid(format!("{}: `{statement}`: {error}", kind.name))
                })?;
        }
        changed_something(kind, &before, &sqlite_contents(&mut connection).await?)?;
        connection.close().await?;
        let (found, store) = outcome(kind, open(path.clone()).await, &signer).await?;
        if let Some(store) = store {
            store.close().await;
        }
        report.outcomes.push(found);
    }
    Ok(report)
}

/// Runs every kind against PostgreSQL at `url`, each in a schema of its own (dropped afterwards).
pub async fn run_postgres(url: &str) -> StoreResult<TamperReport> {
    run_postgres_kinds(url, &kinds()).await
}

/// Runs `kinds` against PostgreSQL at `url` (as [`run_sqlite_kinds`]: a kind that changes
/// nothing is an error).
pub async fn run_postgres_kinds(url: &str, kinds: &[Kind]) -> StoreResult<TamperReport> {
    let (master_key, signer) = keys();
    let mut report = TamperReport::default();
    for kind in kinds {
        let schema = format!("rasso_tamper_{:016x}", rand::random::<u64>());
        let result = run_postgres_kind(url, &schema, kind, &master_key, &signer).await;
        drop_schema(url, &schema).await?;
        report.outcomes.push(result?);
    }
    Ok(report)
}

async fn run_postgres_kind(
    url: &str,
    schema: &str,
    kind: &Kind,
    master_key: &MasterKey,
    signer: &AuditSigner,
) -> StoreResult<Outcome> {
    let options = || {
        let mut options = PgOptions::new(url, master_key.clone(), signer.clone());
        options.schema = Some(schema.to_owned());
        options.max_connections = 2;
        options
    };
    let store = PgStore::open(options()).await?;
    let saved = populate(&store, signer).await?;
    store.close().await;
    let mut connection = sqlx::PgConnection::connect(url).await?;
    for statement in [
        format!("SET search_path TO {}", quote_ident(schema)),
        // Triggers (append-only, and the foreign keys' own) are off for this session.
        "SET session_replication_role = replica".to_owned(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut connection)
            .await?;
    }
    let before = postgres_contents(&mut connection, schema).await?;
    for statement in (kind.sql)(Db::Postgres, &saved) {
        sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut connection)
            .await
            .map_err(|error| {
                StoreError::Invalid(format!("{}: `{statement}`: {error}", kind.name))
            })?;
    }
    changed_something(
        kind,
        &before,
        &postgres_contents(&mut connection, schema).await?,
    )?;
    connection.close().await?;
    let (found, store) = outcome(kind, PgStore::open(options()).await, signer).await?;
    if let Some(store) = store {
        store.close().await;
    }
    Ok(found)
}

/// Refuses a kind whose SQL left the database as it was: verification would pass or fail for
/// reasons of its own, and the suite would count a change that never happened (an overwrite of a
/// hash's first byte with the byte it already had did this once in 256 runs).
fn changed_something(kind: &Kind, before: &str, after: &str) -> StoreResult<()> {
    if before == after {
        return Err(StoreError::Invalid(format!(
            "{}: the change left the database as it was, so it would test nothing",
            kind.name
        )));
    }
    Ok(())
}

fn quote_sqlite(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every row of every table of the SQLite database, as text, tables by name and rows in the order
/// of their text.
async fn sqlite_contents(connection: &mut sqlx::SqliteConnection) -> StoreResult<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut contents = String::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(&table)
                .fetch_all(&mut *connection)
                .await?;
        let row = columns
            .iter()
            .map(|column| format!("quote({})", quote_sqlite(column)))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT group_concat(r, char(10)) FROM (SELECT {row} AS r FROM {} ORDER BY r)",
            quote_sqlite(&table)
        )))
        .fetch_one(&mut *connection)
        .await?;
        contents.push_str(&format!("{table}\n{}\n", rows.unwrap_or_default()));
    }
    Ok(contents)
}

/// Every row of every table in `schema`, as text (as [`sqlite_contents`]).
async fn postgres_contents(
    connection: &mut sqlx::PgConnection,
    schema: &str,
) -> StoreResult<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(&mut *connection)
    .await?;
    let mut contents = String::new();
    for table in tables {
        let rows: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM {}.{} t",
            quote_ident(schema),
            quote_ident(&table)
        )))
        .fetch_one(&mut *connection)
        .await?;
        contents.push_str(&format!("{table}\n{}\n", rows.unwrap_or_default()));
    }
    Ok(contents)
}
