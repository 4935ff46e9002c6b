//! Opening a SQLite store written before report facts became binary (format 2): the migration
//! drops the JSON facts of format 1 and their basis, so reports evaluate every case in full (the
//! facts no longer hold) until `rasso report rebuild-facts`, and after it they read the new facts
//! and give the same figures.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use domain::RuleSet;
use reporting::Scope;
use sqlx::Row;
use storage::conformance::bulk_sample;
use storage::{Access, Purpose, ReportPath, Store, build_report};

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
        let (expected, used) = build_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(used, ReportPath::Facts);
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
        let (full, used) = build_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(used, ReportPath::FullEvaluation, "old facts are not read");
        assert_eq!(full, expected);
        let admin = Access::new("admin:test", Purpose::Administration);
        assert_eq!(
            store.rebuild_report_facts(&admin).await.expect("rebuild"),
            cases.len() as u64
        );
        let (rebuilt, used) = build_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(used, ReportPath::Facts);
        assert_eq!(rebuilt, expected);
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
        let (expected, used) = build_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(used, ReportPath::Facts);
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
        let (full, used) = build_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(used, ReportPath::FullEvaluation, "old facts are not read");
        assert_eq!(full, expected);
        let admin = Access::new("admin:test", Purpose::Administration);
        store.rebuild_report_facts(&admin).await.expect("rebuild");
        let (rebuilt, used) = build_report(&store, &reader, &rules, scope(&rules))
            .await
            .expect("report");
        assert_eq!(used, ReportPath::Facts);
        assert_eq!(rebuilt, expected);
        store.close().await;
    });
}
