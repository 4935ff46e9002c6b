//! The tamper suite (`storage::tamper`, also `cargo xtask tamper`): every kind of change to the
//! SQLite file, and to a PostgreSQL schema when `RASSO_TEST_PG` is set, must fail verification,
//! naming the case where a case's data was changed.

mod common;

fn check(database: &str, report: &storage::tamper::TamperReport) {
    for outcome in &report.outcomes {
        eprintln!(
            "{database}: [{}] {}: {}",
            if outcome.detected { "x" } else { " " },
            outcome.name,
            outcome.finding
        );
    }
    eprintln!(
        "{database}: {} of {} kinds of change detected",
        report.detected(),
        report.tried()
    );
    assert!(report.tried() >= 25, "at least 25 kinds of change");
    let missed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| !o.detected)
        .map(|o| o.name)
        .collect();
    assert!(missed.is_empty(), "{database}: not detected: {missed:?}");
}

#[test]
fn every_kind_of_change_to_a_sqlite_file_fails_verification() {
    let root = tempfile::tempdir().expect("tempdir");
    let report = common::runtime()
        .block_on(storage::tamper::run_sqlite(root.path()))
        .expect("tamper suite");
    check("SQLite", &report);
}

#[test]
fn every_kind_of_change_to_a_postgres_database_fails_verification() {
    let Some(url) =
        common::pg_url("every_kind_of_change_to_a_postgres_database_fails_verification")
    else {
        return;
    };
    let report = common::runtime()
        .block_on(storage::tamper::run_postgres(&url))
        .expect("tamper suite");
    check("PostgreSQL", &report);
}

/// A change that leaves the database as it was (here an update of an actor to itself).
fn no_change() -> storage::tamper::Kind {
    storage::tamper::Kind {
        name: "set an audit record's actor to itself",
        case: None,
        sql: |_, _| vec!["UPDATE audit_log SET actor = actor WHERE seq = 3".to_owned()],
    }
}

#[test]
fn a_kind_that_changes_nothing_is_refused_not_counted() {
    let root = tempfile::tempdir().expect("tempdir");
    let error = common::runtime()
        .block_on(storage::tamper::run_sqlite_kinds(
            root.path(),
            &[no_change()],
        ))
        .expect_err("a change that changes nothing tests nothing");
    assert!(error.to_string().contains("would test nothing"), "{error}");
}

#[test]
fn a_kind_that_changes_nothing_in_postgres_is_refused_not_counted() {
    let Some(url) =
        common::pg_url("a_kind_that_changes_nothing_in_postgres_is_refused_not_counted")
    else {
        return;
    };
    let error = common::runtime()
        .block_on(storage::tamper::run_postgres_kinds(&url, &[no_change()]))
        .expect_err("a change that changes nothing tests nothing");
    assert!(error.to_string().contains("would test nothing"), "{error}");
}
