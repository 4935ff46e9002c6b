//! The conformance suite, one test per check and backend: `sqlite::<check>` always, and
//! `postgres::<check>` against a real server when `RASSO_TEST_PG` is a connection URL (ignored
//! otherwise). The checks are the suite's own list (`storage::conformance::checks`), so a check
//! added there is a test here on both backends. Each runs on a fresh store; a PostgreSQL store
//! gets its own schema, dropped afterwards.

mod common;

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use storage::conformance::{self, Check};
use storage::postgres::drop_schema;
use storage::{FactsStore as _, PgStore, SqliteStore, StoreResult};

fn main() {
    let arguments = Arguments::from_args();
    let pg = std::env::var("RASSO_TEST_PG")
        .ok()
        .filter(|url| !url.trim().is_empty());
    let mut trials = Vec::new();
    for check in conformance::checks::<SqliteStore>() {
        trials.push(Trial::test(format!("sqlite::{}", check.name), move || {
            sqlite(&check)
        }));
    }
    trials.push(Trial::test(
        "sqlite::plugin_report_facts",
        sqlite_plugin_facts,
    ));
    for check in conformance::checks::<PgStore>() {
        let name = format!("postgres::{}", check.name);
        trials.push(match &pg {
            Some(url) => {
                let url = url.clone();
                Trial::test(name, move || postgres(&check, &url))
            }
            None => Trial::test(name, || Ok(())).with_ignored_flag(true),
        });
    }
    libtest_mimic::run(&arguments, trials).exit();
}

fn outcome(result: StoreResult<()>) -> Result<(), Failed> {
    result.map_err(|error| Failed::from(error.to_string()))
}

fn sqlite(check: &Check<SqliteStore>) -> Result<(), Failed> {
    let root = tempfile::tempdir().map_err(|error| Failed::from(error.to_string()))?;
    outcome(
        common::runtime().block_on(conformance::run_check(check, || async {
            let store = common::open(&common::fresh_path(root.path())).await?;
            Ok((store, common::keys().1.verifying_key()))
        })),
    )
}

fn postgres(check: &Check<PgStore>, url: &str) -> Result<(), Failed> {
    let schema = common::fresh_schema();
    outcome(common::runtime().block_on(async {
        let result = conformance::run_check(check, || async {
            let store = common::app_store(url, &schema).await?;
            Ok((store, common::keys().1.verifying_key()))
        })
        .await;
        drop_schema(url, &schema).await?;
        result
    }))
}

/// Force plugins' findings in report facts (a check of its own: it needs a plugin attached).
fn sqlite_plugin_facts() -> Result<(), Failed> {
    let root = tempfile::tempdir().map_err(|error| Failed::from(error.to_string()))?;
    outcome(common::runtime().block_on(async {
        let plugin = Arc::new(conformance::TestPlugin::new());
        let mut store = common::open(&common::fresh_path(root.path())).await?;
        store.attach_plugin_rules(plugin.clone()).await?;
        conformance::plugin_report_facts(&store, &plugin).await?;
        conformance::check_audit(&store, &common::keys().1.verifying_key()).await
    }))
}
