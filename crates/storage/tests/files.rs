//! The database, its WAL and shared-memory files and backups are owner-only (0600), like the
//! keys: they hold case data and sealed identity.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use storage::prelude::*;
use storage::{Access, ExpectedVersion, Purpose};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_database_wal_shared_memory_and_backup_files_are_owner_only() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        let store = common::open(&path).await.expect("open");
        store
            .append(
                &Access::new("user:1", Purpose::Investigation),
                storage::conformance::sample_appends(ExpectedVersion::NoCase),
            )
            .await
            .expect("append");
        // While the store is open, all three files exist.
        let side = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::path::PathBuf::from(name)
        };
        for file in [path.clone(), side("-wal"), side("-shm")] {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
        let backup = root.path().join("backup.db");
        store
            .backup(
                &Access::new("admin", Purpose::Administration).with_recipient("backup"),
                &backup,
            )
            .await
            .expect("backup");
        assert_eq!(mode(&backup), 0o600, "the backup");
        store.close().await;
    });
}
