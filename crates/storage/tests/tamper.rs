//! `verify_audit` finds an edited, deleted, reordered or inserted record and a truncated tail,
//! and names the first bad record. The tampering is done the way an intruder with the file would:
//! straight SQL on the database, append-only triggers dropped first.

mod common;

use std::path::Path;

use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;
use storage::prelude::*;
use storage::{Access, ExpectedVersion, Purpose};

async fn populated(root: &Path) -> std::path::PathBuf {
    let path = common::fresh_path(root);
    let store = common::open(&path).await.expect("open");
    store
        .append(
            &Access::new("user:1", Purpose::Investigation),
            storage::conformance::sample_appends(ExpectedVersion::Any),
        )
        .await
        .expect("append");
    let reader = Access::new("user:2", Purpose::Supervision);
    for reference in ["EX-1", "EX-2", "OT-1", "EX-1", "EX-2"] {
        let force = if reference == "OT-1" {
            "otherton"
        } else {
            "exampleshire"
        };
        let key = domain::CaseKey {
            force: force.into(),
            reference: reference.into(),
        };
        store.read_case(&reader, &key).await.expect("read");
    }
    let report = store
        .verify_audit(&common::keys().1.verifying_key())
        .await
        .expect("verify");
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!(report.records, 8);
    store.close().await;
    path
}

async fn tamper(path: &Path, sql: &[&str]) {
    let url = format!("sqlite://{}", path.display());
    let mut connection = SqliteConnection::connect(&url).await.expect("connect");
    for trigger in [
        "audit_append_only_update",
        "audit_append_only_delete",
        "audit_checkpoints_append_only_update",
        "audit_checkpoints_append_only_delete",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP TRIGGER IF EXISTS {trigger}"
        )))
        .execute(&mut connection)
        .await
        .expect("drop trigger");
    }
    for statement in sql {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&mut connection)
            .await
            .expect("tamper");
    }
    connection.close().await.expect("close");
}

async fn first_problem(path: &Path) -> Option<storage::verify::AuditProblem> {
    let store = common::open(path).await.expect("reopen");
    let report = store
        .verify_audit(&common::keys().1.verifying_key())
        .await
        .expect("verify");
    store.close().await;
    report.problem
}

#[test]
fn the_audit_append_only_triggers_refuse_plain_edits() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = populated(root.path()).await;
        let url = format!("sqlite://{}", path.display());
        let mut connection = SqliteConnection::connect(&url).await.expect("connect");
        let update = sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
            .execute(&mut connection)
            .await;
        assert!(update.is_err());
        let delete = sqlx::query("DELETE FROM events")
            .execute(&mut connection)
            .await;
        assert!(delete.is_err());
        // Sealed identity is never deleted in place, nor are checkpoints changed.
        for statement in [
            "DELETE FROM sealed",
            "UPDATE sealed SET person = 'S1'",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_checkpoints SET hash = 'x'",
        ] {
            let refused = sqlx::query(statement).execute(&mut connection).await;
            assert!(refused.is_err(), "refused: {statement}");
        }
    });
}

#[test]
fn each_kind_of_tampering_is_found_at_the_first_bad_record() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let checkpoint_rewritten = format!(
            "UPDATE audit_checkpoints SET hash = {}",
            storage::tamper::flip_first_byte("hash")
        );
        let cases: Vec<(&str, Vec<&str>, i64, &str)> = vec![
            (
                "edited",
                vec!["UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 4"],
                4,
                "edited",
            ),
            (
                "edited purpose",
                vec!["UPDATE audit_log SET purpose = 'reporting' WHERE seq = 2"],
                2,
                "edited",
            ),
            ("deleted", vec!["DELETE FROM audit_log WHERE seq = 5"], 5, "missing"),
            (
                "reordered",
                vec![
                    "UPDATE audit_log SET seq = 1000 WHERE seq = 3",
                    "UPDATE audit_log SET seq = 3 WHERE seq = 6",
                    "UPDATE audit_log SET seq = 6 WHERE seq = 1000",
                ],
                3,
                "",
            ),
            (
                "inserted",
                vec![
                    "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 4",
                    "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 104",
                    "INSERT INTO audit_log SELECT 4, at, actor, category, 'case:exampleshire/EX-9', purpose, reason, recipient, detail, prev_hash, hash FROM audit_log WHERE seq = 3",
                ],
                4,
                "",
            ),
            (
                "truncated",
                vec!["DELETE FROM audit_log WHERE seq >= 7"],
                7,
                "truncated",
            ),
            (
                "checkpoint rewritten",
                vec![checkpoint_rewritten.as_str()],
                3,
                "",
            ),
        ];
        for (name, sql, seq, words) in cases {
            let path = populated(root.path()).await;
            tamper(&path, &sql).await;
            let problem = first_problem(&path)
                .await
                .unwrap_or_else(|| panic!("{name}: tampering not detected"));
            assert_eq!(problem.seq, seq, "{name}: {problem}");
            assert!(problem.message.contains(words), "{name}: {problem}");
        }
    });
}

#[test]
fn checkpoints_are_signed_every_thousand_records() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        let store = common::open(&path).await.expect("open");
        // One transaction with 2,100 audit records (one per new case).
        let appends: Vec<storage::Append> = (0..2_100)
            .map(|i| {
                let line = serde_json::json!({
                    "case": format!("CP-{i}"), "force": "exampleshire", "at": "2026-03-05T10:00:00Z",
                    "kind": "note", "id": format!("cp-{i}"), "text": "x"
                })
                .to_string();
                let event = storage::NewEvent::from_line(&line, 0).expect("event");
                storage::Append {
                    case: event.case().clone(),
                    expected: ExpectedVersion::NoCase,
                    events: vec![event],
                }
            })
            .collect();
        store
            .append(&Access::new("user:1", Purpose::Import), appends)
            .await
            .expect("append");
        let report = store
            .verify_audit(&common::keys().1.verifying_key())
            .await
            .expect("verify");
        assert!(report.is_ok(), "{:?}", report.problem);
        assert_eq!(report.records, 2_100);
        // At records 1,000 and 2,000 (the time-based one is not due: one was just written);
        // the signed head covers the rest.
        assert_eq!(report.checkpoints, 2);
        store.close().await;
        tamper(&path, &["UPDATE audit_log SET object = 'case:x/y' WHERE seq = 1500"]).await;
        let problem = first_problem(&path).await.expect("detected");
        assert_eq!(problem.seq, 1500);
    });
}
