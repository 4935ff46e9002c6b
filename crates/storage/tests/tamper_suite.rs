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
    let url = match std::env::var("RASSO_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            eprintln!(
                "skipped every_kind_of_change_to_a_postgres_database_fails_verification: set RASSO_TEST_PG to a PostgreSQL URL to run it"
            );
            return;
        }
    };
    let report = common::runtime()
        .block_on(storage::tamper::run_postgres(&url))
        .expect("tamper suite");
    check("PostgreSQL", &report);
}
