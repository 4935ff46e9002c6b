//! Shared helpers for the storage tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use storage::postgres::{ensure_app_role, migrate};
use storage::{
    AuditSigner, MasterKey, PgOptions, PgStore, SqliteOptions, SqliteStore, StoreResult,
};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Keys fixed per test so a store can be reopened.
pub fn keys() -> (MasterKey, AuditSigner) {
    (
        MasterKey::from_bytes([11; 32]),
        AuditSigner::from_seed([22; 32]),
    )
}

/// A fresh database path under `root`.
pub fn fresh_path(root: &Path) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    root.join(format!("store-{n}")).join("rasso.db")
}

pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
    let (master_key, signer) = keys();
    SqliteStore::open(SqliteOptions {
        path: path.to_path_buf(),
        master_key,
        signer,
    })
    .await
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The application role the tests create (no BYPASSRLS, no login).
pub const APP_ROLE: &str = "rasso_test_app";

pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var("RASSO_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("skipped {test}: set RASSO_TEST_PG to a PostgreSQL URL to run it");
            None
        }
    }
}

pub fn fresh_schema() -> String {
    format!("rasso_test_{:016x}", rand::random::<u64>())
}

pub fn options(url: &str, schema: &str, role: Option<&str>) -> PgOptions {
    let (master_key, signer) = keys();
    let mut options = PgOptions::new(url, master_key, signer);
    options.schema = Some(schema.to_owned());
    options.role = role.map(str::to_owned);
    options.max_connections = 4;
    options
}

/// A store on a new schema, connected as the application role (so row-level security applies to
/// everything the store does).
pub async fn app_store(url: &str, schema: &str) -> storage::StoreResult<PgStore> {
    migrate(url, Some(schema)).await?;
    ensure_app_role(url, Some(schema), APP_ROLE).await?;
    PgStore::open(options(url, schema, Some(APP_ROLE))).await
}
