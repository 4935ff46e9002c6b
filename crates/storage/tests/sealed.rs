//! Sealed identity: nothing of a victim's name in the database file, its WAL or a backup; a
//! ciphertext moved to another row does not open; a wrong master key is refused.

mod common;

use std::path::Path;

use domain::{CaseKey, PersonKey};
use sqlx::Connection;
use storage::conformance::{PLANTED_FAMILY_NAME, PLANTED_GIVEN_NAME};
use storage::prelude::*;
use storage::{
    Access, ExpectedVersion, MasterKey, Purpose, SqliteOptions, SqliteStore, StoreError,
};

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

fn assert_clean(path: &Path) {
    if !path.exists() {
        return;
    }
    let bytes = std::fs::read(path).expect("read raw file");
    // The victim's name and date of birth, and the suspect's name, from the sample.
    for name in [
        PLANTED_GIVEN_NAME,
        PLANTED_FAMILY_NAME,
        "1999-04-01",
        "Orrin",
        "Blackthorne",
    ] {
        assert!(
            !contains(&bytes, name),
            "{} contains a planted identity value",
            path.display()
        );
    }
}

fn side(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

fn ex1() -> CaseKey {
    CaseKey {
        force: "exampleshire".into(),
        reference: "EX-1".into(),
    }
}

#[test]
fn a_planted_victim_name_is_not_in_the_database_its_wal_or_a_backup() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        let store = common::open(&path).await.expect("open");
        let access = Access::new("user:1", Purpose::Investigation);
        store
            .append(
                &access,
                storage::conformance::sample_appends(ExpectedVersion::Any),
            )
            .await
            .expect("append");
        // The identity is there, sealed.
        let identity = store
            .read_identity(
                &access.clone().with_reason("check"),
                &ex1(),
                &PersonKey::from("V1"),
            )
            .await
            .expect("unseal");
        assert_eq!(
            identity.and_then(|i| i.given_name).as_deref(),
            Some(PLANTED_GIVEN_NAME)
        );
        // While open: the WAL holds the recent writes.
        assert!(side(&path, "-wal").exists());
        assert_clean(&path);
        assert_clean(&side(&path, "-wal"));
        let backup = root.path().join("backup.db");
        store
            .backup(&Access::new("cli:admin", Purpose::Administration), &backup)
            .await
            .expect("backup");
        assert_clean(&backup);
        store.close().await;
        assert_clean(&path);
        assert_clean(&side(&path, "-wal"));
    });
}

#[test]
fn a_ciphertext_copied_to_another_row_does_not_open_and_the_error_shows_no_identity() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        let store = common::open(&path).await.expect("open");
        let access = Access::new("user:1", Purpose::Investigation).with_reason("check");
        store
            .append(
                &access,
                storage::conformance::sample_appends(ExpectedVersion::Any),
            )
            .await
            .expect("append");
        let url = format!("sqlite://{}", path.display());
        let mut raw = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("connect");
        sqlx::query("DROP TRIGGER sealed_append_only_update")
            .execute(&mut raw)
            .await
            .expect("drop trigger");
        // Put the victim's sealed identity on the suspect's row.
        sqlx::query(
            "UPDATE sealed SET nonce = (SELECT nonce FROM sealed WHERE person = 'V1'), \
             ciphertext = (SELECT ciphertext FROM sealed WHERE person = 'V1') WHERE person = 'S1'",
        )
        .execute(&mut raw)
        .await
        .expect("copy");
        raw.close().await.expect("close");
        let result = store
            .read_identity(&access, &ex1(), &PersonKey::from("S1"))
            .await;
        let Err(error) = result else {
            panic!("a moved ciphertext opened");
        };
        assert!(matches!(error, StoreError::Unseal(_)), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("S1") && message.contains("EX-1"),
            "{message}"
        );
        assert!(!message.contains(PLANTED_GIVEN_NAME) && !message.contains("Orrin"));
        // The victim's own row still opens.
        assert!(
            store
                .read_identity(&access, &ex1(), &PersonKey::from("V1"))
                .await
                .expect("V1")
                .is_some()
        );
    });
}

#[test]
fn a_wrong_master_key_is_refused_clearly() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        common::open(&path).await.expect("open").close().await;
        let error = SqliteStore::open(SqliteOptions {
            path: path.clone(),
            master_key: MasterKey::from_bytes([99; 32]),
            signer: common::keys().1,
        })
        .await
        .expect_err("wrong key must be refused");
        assert!(matches!(error, StoreError::Key(_)), "{error}");
        assert!(error.to_string().contains("does not open"), "{error}");
    });
}

#[test]
fn backup_while_writing_then_restore_verifies() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        let store = std::sync::Arc::new(common::open(&path).await.expect("open"));
        let access = Access::new("user:1", Purpose::Investigation);
        store
            .append(&access, storage::conformance::sample_appends(ExpectedVersion::Any))
            .await
            .expect("append");
        // A writer keeps appending while the backup is taken.
        let writer = {
            let store = std::sync::Arc::clone(&store);
            let access = access.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    let line = serde_json::json!({
                        "case": format!("BK-{}", i / 6), "force": "exampleshire",
                        "at": "2026-03-05T10:00:00Z", "kind": "note", "id": format!("bk-{i}"), "text": "x"
                    })
                    .to_string();
                    let event = storage::NewEvent::from_line(&line, 0).expect("event");
                    store
                        .append(
                            &access,
                            vec![storage::Append {
                                case: event.case().clone(),
                                expected: ExpectedVersion::Any,
                                events: vec![event],
                            }],
                        )
                        .await
                        .expect("append during backup");
                }
            })
        };
        let backup = root.path().join("copies").join("backup.db");
        let info = store
            .backup(&Access::new("cli:admin", Purpose::Administration), &backup)
            .await
            .expect("backup");
        assert!(info.bytes > 0);
        writer.await.expect("writer");
        assert!(
            store
                .backup(&Access::new("cli:admin", Purpose::Administration), &backup)
                .await
                .is_err(),
            "a backup never overwrites"
        );

        let restored = common::fresh_path(root.path());
        SqliteStore::restore(&backup, &restored).expect("restore");
        let copy = common::open(&restored).await.expect("open restored");
        let report = copy
            .verify_audit(&common::keys().1.verifying_key())
            .await
            .expect("verify");
        assert!(report.is_ok(), "{:?}", report.problem);
        assert_eq!(copy.integrity_check().await.expect("integrity"), "ok");
        let cases = copy
            .list_cases(&access, &storage::CaseFilter::default())
            .await
            .expect("list");
        assert!(cases.len() >= 3, "the backup holds at least the first cases");
        let identity = copy
            .read_identity(&access.clone().with_reason("check"), &ex1(), &PersonKey::from("V1"))
            .await
            .expect("unseal in the copy");
        assert!(identity.is_some());
    });
}
