//! `cargo xtask tamper [--pg URL]`: the tamper suite (`storage::tamper`). Each kind of change an
//! intruder holding the database could make is applied with plain SQL to a fresh copy of a
//! populated SQLite store, and to a PostgreSQL schema when a URL is given (or `RASSO_TEST_PG` is
//! set); verification must find every one, naming the case where a case's data changed. Prints
//! detected / tried and fails unless every change was detected. `tests/tamper_suite.rs` in the
//! storage crate runs the same suite in every test run.

use anyhow::{Context, Result, bail};
use clap::Args;
use storage::tamper::TamperReport;

#[derive(Debug, Args)]
pub struct TamperArgs {
    /// Also run against PostgreSQL at this URL (each change in a schema of its own, dropped
    /// afterwards).
    #[arg(long, value_name = "URL", env = "RASSO_TEST_PG")]
    pg: Option<String>,
}

fn print(database: &str, report: &TamperReport) {
    println!("tamper: {database}");
    for outcome in &report.outcomes {
        println!(
            "  [{}] {:<62} {}",
            if outcome.detected { "x" } else { " " },
            outcome.name,
            outcome.finding
        );
    }
    println!(
        "tamper: {database}: {} of {} kinds of change detected",
        report.detected(),
        report.tried()
    );
}

pub fn run(args: TamperArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let mut reports = vec![(
        "SQLite",
        runtime
            .block_on(storage::tamper::run_sqlite(dir.path()))
            .context("the SQLite tamper suite")?,
    )];
    match args.pg.as_deref().filter(|url| !url.trim().is_empty()) {
        Some(url) => reports.push((
            "PostgreSQL",
            runtime
                .block_on(storage::tamper::run_postgres(url))
                .context("the PostgreSQL tamper suite")?,
        )),
        None => println!("tamper: PostgreSQL skipped (give --pg URL or set RASSO_TEST_PG)"),
    }
    let (mut detected, mut tried) = (0, 0);
    for (database, report) in &reports {
        print(database, report);
        detected += report.detected();
        tried += report.tried();
    }
    println!("tamper: {detected} of {tried} changes detected");
    if detected != tried {
        bail!("{} changes went undetected", tried - detected);
    }
    Ok(())
}
