//! Fault injection: fail the k-th operation of a write transaction, for every k. No partial
//! commit, and the error reaches the caller.

mod common;

use std::sync::Arc;

use storage::fault::FaultInjector;
use storage::prelude::*;
use storage::{Access, ExpectedVersion, Purpose, StoreError};

/// Every stored line and the number of data audit records (exports add disclosure records).
async fn snapshot(store: &storage::SqliteStore) -> (Vec<String>, usize) {
    let mut lines = Vec::new();
    store
        .export(
            &Access::new("test", Purpose::Export).with_recipient("test"),
            &storage::ExportOptions::default(),
            &mut |line| {
                lines.push(line.to_owned());
                Ok(())
            },
        )
        .await
        .expect("export");
    lines.sort();
    let audit = store.audit_records(0, u64::MAX).await.expect("audit");
    let data_records = audit.iter().filter(|r| r.category != "disclosure").count();
    (lines, data_records)
}

#[test]
fn a_fault_at_any_step_of_a_write_stores_nothing_and_reaches_the_caller() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        let faults = Arc::new(FaultInjector::new());
        let store = common::open(&path)
            .await
            .expect("open")
            .with_fault_injector(Arc::clone(&faults));
        let access = Access::new("user:1", Purpose::Investigation);
        let trusted = common::keys().1.verifying_key();

        // Some data first, so the faulty write extends existing cases and the chain.
        let first: Vec<_> = storage::conformance::sample_appends(ExpectedVersion::Any)
            .into_iter()
            .take(1)
            .collect();
        faults.arm(0);
        store.append(&access, first).await.expect("first append");

        // Count the operations of the write under test.
        let write = || storage::conformance::sample_appends(ExpectedVersion::Any);
        let before = snapshot(&store).await;
        faults.arm(u64::MAX);
        // Dry run on a copy of the state is not possible in place, so count on a twin store.
        let twin_path = common::fresh_path(root.path());
        let twin_faults = Arc::new(FaultInjector::new());
        let twin = common::open(&twin_path)
            .await
            .expect("twin")
            .with_fault_injector(Arc::clone(&twin_faults));
        twin.append(
            &access,
            storage::conformance::sample_appends(ExpectedVersion::Any)
                .into_iter()
                .take(1)
                .collect(),
        )
        .await
        .expect("twin first");
        twin_faults.arm(u64::MAX);
        twin.append(&access, write()).await.expect("twin write");
        let operations = twin_faults.count();
        assert!(operations >= 10, "the write has {operations} operations");
        eprintln!("failing each of the {operations} operations of an append to three cases (two of them new) in turn");

        for k in 1..=operations {
            faults.arm(k);
            let result = store.append(&access, write()).await;
            match result {
                Err(StoreError::InjectedFault(at)) => assert_eq!(at, k),
                other => panic!("fault at operation {k} did not reach the caller: {other:?}"),
            }
            faults.arm(0);
            let now = snapshot(&store).await;
            assert_eq!(now, before, "fault at operation {k} left a partial write");
            let report = store.verify_audit(&trusted).await.expect("verify");
            assert!(report.is_ok(), "fault at {k}: {:?}", report.problem);
            assert_eq!(store.integrity_check().await.expect("integrity"), "ok");
        }
        // And without a fault the same write goes through.
        faults.arm(0);
        let outcomes = store.append(&access, write()).await.expect("clean write");
        assert_eq!(outcomes.iter().map(|o| o.appended).sum::<u64>(), 4);
    });
}

#[test]
fn a_failed_audit_write_fails_the_operation() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let path = common::fresh_path(root.path());
        let store = common::open(&path).await.expect("open");
        // Make the audit table refuse inserts, as a full or broken audit store would.
        let url = format!("sqlite://{}", path.display());
        let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .expect("connect");
        sqlx::query(
            "CREATE TRIGGER audit_refuses BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END",
        )
        .execute(&mut connection)
        .await
        .expect("trigger");
        let access = Access::new("user:1", Purpose::Investigation);
        let result = store
            .append(
                &access,
                storage::conformance::sample_appends(ExpectedVersion::Any),
            )
            .await;
        assert!(matches!(result, Err(StoreError::Audit(_))), "{result:?}");
        let read = store
            .read_case(
                &access,
                &domain::CaseKey {
                    force: "exampleshire".into(),
                    reference: "EX-1".into(),
                },
            )
            .await;
        assert!(matches!(read, Err(StoreError::Audit(_))), "reads fail too");
        sqlx::query("DROP TRIGGER audit_refuses")
            .execute(&mut connection)
            .await
            .expect("drop");
        let cases = store
            .list_cases(&access, &storage::CaseFilter::default())
            .await
            .expect("list");
        assert!(cases.is_empty(), "nothing of the failed append was stored");
    });
}
