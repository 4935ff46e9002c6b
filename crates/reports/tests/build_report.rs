//! `build_report` reads the store's facts when they were taken with the report's rules and
//! evaluates every case otherwise, with the same figures either way.

use chrono::{NaiveDate, TimeZone, Utc};
use domain::RuleSet;
use reporting::{RulesInForce, Scope};
use reports::{ReportPath, build_report};
use storage::conformance::{TestPlugin, bulk_sample, full_report};
use storage::prelude::*;
use storage::{Access, AuditSigner, MasterKey, Purpose, SqliteOptions, SqliteStore};

fn scope(rules: RulesInForce<'_>) -> Scope {
    Scope {
        force: None,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2030, 12, 31).expect("date"),
        as_of: Utc
            .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
            .single()
            .expect("time"),
        rule_set: rules.rule_set().config().id.clone(),
        shared: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_when_they_match_the_rules_full_evaluation_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(SqliteOptions {
        path: dir.path().join("rasso.db"),
        master_key: MasterKey::from_bytes([11; 32]),
        signer: AuditSigner::from_seed([22; 32]),
    })
    .await
    .expect("store");
    store
        .append(&Access::new("user:4471", Purpose::Import), bulk_sample())
        .await
        .expect("append");
    let access = Access::new("report:test", Purpose::Reporting);
    let national = RuleSet::national();
    let rules = RulesInForce::from(&national);
    let expected = full_report(&store, &access, rules, scope(rules))
        .await
        .expect("full report");
    assert!(expected.cases > 0, "the sample has cases in range");
    let (report, path) = build_report(&store, &access, rules, scope(rules))
        .await
        .expect("report");
    assert_eq!(path, ReportPath::Facts, "facts taken with the same rules");
    assert_eq!(report, expected);

    // A force plugin's rules make another basis: the facts are not read, every case is.
    let plugin = TestPlugin::new();
    let with = RulesInForce::Plugins(&plugin);
    let (report, path) = build_report(&store, &access, with, scope(with))
        .await
        .expect("report");
    assert_eq!(path, ReportPath::FullEvaluation);
    assert_eq!(
        report,
        full_report(&store, &access, with, scope(with))
            .await
            .expect("full report")
    );
    store.close().await;
}
