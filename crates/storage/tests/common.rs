//! Shared helpers for the storage tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use storage::{AuditSigner, MasterKey, SqliteOptions, SqliteStore, StoreResult};

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
