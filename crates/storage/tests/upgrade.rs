//! Opening a SQLite store written before report facts became binary (format 2): the migration
//! drops the JSON facts of format 1 and their basis, so reports evaluate every case in full (the
//! facts no longer hold) until `rasso report rebuild-facts`, and after it they read the new facts
//! and give the same figures.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use domain::RuleSet;
use reporting::Scope;
use sqlx::Row;
use storage::conformance::{bulk_sample, facts_report, full_report};
use storage::prelude::*;
use storage::{Access, Purpose};

/// The report facts table as migration 0004 made it, with JSON facts.
const FORMAT_1_TABLE: &str = "CREATE TABLE report_facts (\
    case_id INTEGER PRIMARY KEY REFERENCES cases (case_id), force TEXT NOT NULL, \
    reported_on TEXT NOT NULL, last_event_at TEXT NOT NULL, facts TEXT NOT NULL)";

fn scope(rules: &RuleSet) -> Scope {
    Scope {
        force: None,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2030, 12, 31).expect("date"),
        as_of: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        rule_set: rules.config().id.clone(),
        shared: false,
    }
}

#[test]
fn facts_of_format_1_are_dropped_on_upgrade_and_rebuilt_on_demand() {
    let root = tempfile::tempdir().expect("tempdir");
    let path = common::fresh_path(root.path());
    let rules = RuleSet::national();
    let reader = Access::new("report:test", Purpose::Reporting);
    common::runtime().block_on(async {
        let store = common::open(&path).await.expect("store");
        store
            .append(&Access::new("user:4471", Purpose::Import), bulk_sample())
            .await
            .expect("append");
        let expected = facts_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report")
            .expect("facts are kept from the first append");
        store.close().await;

        // Put the store back as the previous version left it: JSON facts under their basis, and
        // migration 0006 not yet applied.
        let url = format!("sqlite://{}", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
        let cases: Vec<i64> = sqlx::query_scalar("SELECT case_id FROM cases")
            .fetch_all(&pool)
            .await
            .expect("cases");
        sqlx::query("DROP TABLE report_facts").execute(&pool).await.expect("drop");
        sqlx::query(FORMAT_1_TABLE).execute(&pool).await.expect("old table");
        for case_id in &cases {
            sqlx::query("INSERT INTO report_facts VALUES ($1, 'exampleshire', '2026-02-01', '2026-02-02T00:00:00Z', '{\"f\":\"exampleshire\"}')")
                .bind(case_id)
                .execute(&pool)
                .await
                .expect("old facts");
        }
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 6")
            .execute(&pool)
            .await
            .expect("unapply");
        let basis: String = sqlx::query_scalar("SELECT basis FROM report_facts_state")
            .fetch_one(&pool)
            .await
            .expect("basis");
        let current = format!("-v{}-", reporting::facts::FACTS_VERSION);
        assert!(basis.contains(&current), "{basis}");
        sqlx::query("UPDATE report_facts_state SET basis = replace(basis, $1, '-v1-')")
            .bind(&current)
            .execute(&pool)
            .await
            .expect("old basis");
        pool.close().await;

        let store = common::open(&path).await.expect("upgraded store");
        let old = facts_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(old, None, "old facts are not read");
        let full = full_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(full, expected);
        let admin = Access::new("admin:test", Purpose::Administration);
        assert_eq!(
            store.rebuild_report_facts(&admin).await.expect("rebuild"),
            cases.len() as u64
        );
        let rebuilt = facts_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(rebuilt, Some(expected));
        store.close().await;

        // Every facts row is of the current format now.
        let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
        let rows = sqlx::query("SELECT facts FROM report_facts")
            .fetch_all(&pool)
            .await
            .expect("facts");
        assert_eq!(rows.len(), cases.len());
        for row in rows {
            let bytes: Vec<u8> = row.get(0);
            assert_eq!(bytes[0], reporting::facts::binary::FORMAT);
        }
        pool.close().await;
    });
}

/// Facts of format 2 (taken before findings recorded their rule set version, under one version's
/// basis) are not read after the upgrade to format 3: reports evaluate in full until the rebuild,
/// and give the same figures.
#[test]
fn facts_taken_before_rule_set_versions_are_not_read_until_rebuilt() {
    let root = tempfile::tempdir().expect("tempdir");
    let path = common::fresh_path(root.path());
    let rules = RuleSet::national();
    let reader = Access::new("report:test", Purpose::Reporting);
    common::runtime().block_on(async {
        let store = common::open(&path).await.expect("store");
        store
            .append(&Access::new("user:4471", Purpose::Import), bulk_sample())
            .await
            .expect("append");
        let expected = facts_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report")
            .expect("facts are kept from the first append");
        store.close().await;

        // As the previous version left it: format-2 rows under a format-2 basis of one version.
        let url = format!("sqlite://{}", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
        sqlx::query("UPDATE report_facts SET facts = X'02'")
            .execute(&pool)
            .await
            .expect("old rows");
        sqlx::query("UPDATE report_facts_state SET basis = 'national-2021-04-v2-0123456789abcdef'")
            .execute(&pool)
            .await
            .expect("old basis");
        pool.close().await;

        let store = common::open(&path).await.expect("upgraded store");
        let old = facts_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(old, None, "old facts are not read");
        let full = full_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(full, expected);
        let admin = Access::new("admin:test", Purpose::Administration);
        store.rebuild_report_facts(&admin).await.expect("rebuild");
        let rebuilt = facts_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(rebuilt, Some(expected));
        store.close().await;
    });
}

/// The events and sealed rows, as stored, in order.
async fn stored_rows(pool: &sqlx::SqlitePool) -> Vec<String> {
    let events = sqlx::query(
        "SELECT case_id, seq, event_id, at, kind, person, body, audit_seq FROM events ORDER BY case_id, seq",
    )
    .fetch_all(pool)
    .await
    .expect("events");
    let sealed = sqlx::query("SELECT case_id, seq, field, person, key_id, hex(nonce), hex(ciphertext) FROM sealed ORDER BY case_id, seq")
        .fetch_all(pool)
        .await
        .expect("sealed");
    let mut rows = Vec::new();
    for row in events {
        rows.push(format!(
            "{}|{}|{}|{}|{}|{:?}|{}|{}",
            row.get::<i64, _>(0),
            row.get::<i64, _>(1),
            row.get::<String, _>(2),
            row.get::<String, _>(3),
            row.get::<String, _>(4),
            row.get::<Option<String>, _>(5),
            row.get::<String, _>(6),
            row.get::<i64, _>(7)
        ));
    }
    for row in sealed {
        rows.push(format!(
            "{}|{}|{}|{}|{}|{}|{}",
            row.get::<i64, _>(0),
            row.get::<i64, _>(1),
            row.get::<String, _>(2),
            row.get::<String, _>(3),
            row.get::<i64, _>(4),
            row.get::<String, _>(5),
            row.get::<String, _>(6)
        ));
    }
    rows
}

/// The records as a store before case chains wrote them: appends named no head, so each such
/// record loses its `head` and the chain is computed again over what is left.
fn records_before_chains(mut records: Vec<storage::AuditRecord>) -> Vec<storage::AuditRecord> {
    let mut prev = storage::audit::GENESIS_HASH.to_owned();
    for record in &mut records {
        if let Some(detail) = record.detail.as_object_mut() {
            detail.remove("head");
        }
        record.prev_hash = prev;
        record.hash = record.compute_hash();
        prev = record.hash.clone();
    }
    records
}

#[test]
fn a_store_written_before_case_chains_is_upgraded_on_opening_without_rewriting_events() {
    let root = tempfile::tempdir().expect("tempdir");
    let path = common::fresh_path(root.path());
    let (_, signer) = common::keys();
    let trusted = signer.verifying_key();
    let officer = Access::new("user:4471", Purpose::Investigation);
    common::runtime().block_on(async {
        let store = common::open(&path).await.expect("store");
        store
            .append(&officer, storage::conformance::sample_appends(storage::ExpectedVersion::NoCase))
            .await
            .expect("append");
        store.audit_checkpoint().await.expect("checkpoint");
        let key = domain::CaseKey {
            force: "exampleshire".into(),
            reference: "EX-1".into(),
        };
        store.read_case(&officer, &key).await.expect("read");
        let records = records_before_chains(store.audit_records(0, u64::MAX).await.expect("records"));
        store.close().await;

        // Put the file back as the version before case chains left it: records without heads,
        // a checkpoint and a head of the first format, no chain columns, triggers or migration 7.
        let url = format!("sqlite://{}", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
        for statement in [
            "DROP TRIGGER audit_append_only_update",
            "DROP TRIGGER audit_append_only_delete",
            "DROP TRIGGER audit_checkpoints_append_only_update",
            "DROP TRIGGER audit_checkpoints_append_only_delete",
            "DROP TRIGGER sealed_append_only_delete",
            "DELETE FROM audit_log",
        ] {
            sqlx::query(statement).execute(&pool).await.expect(statement);
        }
        for record in &records {
            sqlx::query("INSERT INTO audit_log (seq, at, actor, category, object, purpose, reason, recipient, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(record.seq)
                .bind(&record.at)
                .bind(&record.actor)
                .bind(&record.category)
                .bind(&record.object)
                .bind(&record.purpose)
                .bind(&record.reason)
                .bind(&record.recipient)
                .bind(record.detail.to_string())
                .bind(&record.prev_hash)
                .bind(&record.hash)
                .execute(&pool)
                .await
                .expect("record");
        }
        let checkpoints: Vec<(i64, String)> = sqlx::query_as("SELECT seq, at FROM audit_checkpoints")
            .fetch_all(&pool)
            .await
            .expect("checkpoints");
        assert!(!checkpoints.is_empty());
        sqlx::query("DELETE FROM audit_checkpoints").execute(&pool).await.expect("clear");
        for (seq, at) in checkpoints {
            let hash = &records[seq as usize - 1].hash;
            let old = signer.sign_legacy_checkpoint(seq, hash, &at);
            sqlx::query("INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5)")
                .bind(old.seq)
                .bind(&old.hash)
                .bind(&old.at)
                .bind(&old.public_key)
                .bind(&old.signature)
                .execute(&pool)
                .await
                .expect("checkpoint");
        }
        let last = records.last().expect("records");
        let head = signer.sign_legacy_head(last.seq, &last.hash, Utc::now());
        sqlx::query("DELETE FROM audit_head").execute(&pool).await.expect("clear");
        sqlx::query("INSERT INTO audit_head (id, seq, hash, at, public_key, signature) VALUES (1, $1, $2, $3, $4, $5)")
            .bind(head.seq)
            .bind(&head.hash)
            .bind(&head.at)
            .bind(&head.public_key)
            .bind(&head.signature)
            .execute(&pool)
            .await
            .expect("head");
        for statement in [
            "DROP INDEX cases_without_head",
            "ALTER TABLE cases DROP COLUMN head",
            "ALTER TABLE audit_head DROP COLUMN records",
            "ALTER TABLE audit_head DROP COLUMN checkpoints",
            "ALTER TABLE audit_head DROP COLUMN last_checkpoint",
            "ALTER TABLE audit_head DROP COLUMN cases",
            "ALTER TABLE audit_head DROP COLUMN state",
            "ALTER TABLE audit_checkpoints DROP COLUMN ordinal",
            "ALTER TABLE audit_checkpoints DROP COLUMN prev_seq",
            "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "DELETE FROM _sqlx_migrations WHERE version = 7",
        ] {
            sqlx::query(statement).execute(&pool).await.expect(statement);
        }
        let before = stored_rows(&pool).await;
        pool.close().await;

        // Opening upgrades it: heads back-filled and bound, one record each, a closing record.
        let store = common::open(&path).await.expect("upgraded store");
        let report = store.verify_audit(&trusted).await.expect("verify");
        assert!(report.is_ok(), "{:?}", report.problem);
        assert_eq!((report.cases, report.events), (3, 10));
        let upgraded = store.audit_records(0, u64::MAX).await.expect("records");
        assert_eq!(&upgraded[..records.len()], &records[..], "earlier records kept");
        let added = &upgraded[records.len()..];
        let objects: Vec<&str> = added.iter().map(|r| r.object.as_str()).collect();
        assert_eq!(
            objects,
            vec![
                "case:exampleshire/EX-1",
                "case:exampleshire/EX-2",
                "case:otherton/OT-1",
                "audit:chains"
            ]
        );
        assert!(added[..3].iter().all(|r| r.actor == "rasso:store"
            && r.detail["chain"] == "back-filled"
            && r.detail["head"].as_str().map(str::len) == Some(64)));
        let head = store.audit_head().await.expect("head").expect("a head");
        assert_eq!(head.cases, Some(3));
        store.close().await;

        // Reopening changes nothing more, and the events were never rewritten.
        let store = common::open(&path).await.expect("reopened");
        assert_eq!(
            store.audit_records(0, u64::MAX).await.expect("records").len(),
            upgraded.len()
        );
        store.close().await;
        let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
        assert_eq!(stored_rows(&pool).await, before, "events and sealed rows as they were");
        // From now on a change to those events is found.
        sqlx::query("DROP TRIGGER events_append_only_update").execute(&pool).await.expect("drop");
        sqlx::query("UPDATE events SET body = replace(body, '\"101\"', '\"999\"') WHERE event_id = 'ex1-1'")
            .execute(&pool)
            .await
            .expect("edit");
        pool.close().await;
        let store = common::open(&path).await.expect("store");
        let problem = store
            .verify_audit(&trusted)
            .await
            .expect("verify")
            .problem
            .expect("the edit is found");
        assert_eq!(problem.case.as_deref(), Some("exampleshire/EX-1"));
        store.close().await;
    });
}
