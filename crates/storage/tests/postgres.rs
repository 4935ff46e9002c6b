//! The PostgreSQL store against a real server. Runs only when `RASSO_TEST_PG` is a connection URL
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`); otherwise each test prints that it was skipped.
//! Every store gets its own schema (`rasso_test_<random>`), dropped at the end, so runs never
//! collide.

mod common;

use std::sync::Arc;

use domain::CaseKey;
use sqlx::{Connection, Row};
use storage::conformance;
use storage::postgres::{drop_schema, ensure_app_role, migrate};
use storage::{
    Access, Append, EventReader, ExpectedVersion, PgOptions, PgStore, Purpose, Store, StoreError,
};

/// The application role the tests create (no BYPASSRLS, no login).
const APP_ROLE: &str = "rasso_test_app";

fn pg_url(test: &str) -> Option<String> {
    match std::env::var("RASSO_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("skipped {test}: set RASSO_TEST_PG to a PostgreSQL URL to run it");
            None
        }
    }
}

fn fresh_schema() -> String {
    format!("rasso_test_{:016x}", rand::random::<u64>())
}

fn options(url: &str, schema: &str, role: Option<&str>) -> PgOptions {
    let (master_key, signer) = common::keys();
    let mut options = PgOptions::new(url, master_key, signer);
    options.schema = Some(schema.to_owned());
    options.role = role.map(str::to_owned);
    options.max_connections = 4;
    options
}

/// A store on a new schema, connected as the application role (so row-level security applies to
/// everything the store does).
async fn app_store(url: &str, schema: &str) -> storage::StoreResult<PgStore> {
    migrate(url, Some(schema)).await?;
    ensure_app_role(url, Some(schema), APP_ROLE).await?;
    PgStore::open(options(url, schema, Some(APP_ROLE))).await
}

#[test]
fn postgres_passes_the_conformance_suite() {
    let Some(url) = pg_url("postgres_passes_the_conformance_suite") else {
        return;
    };
    common::runtime().block_on(async {
        let schemas = std::sync::Mutex::new(Vec::new());
        let result = conformance::run_all(|| {
            let schema = fresh_schema();
            schemas.lock().expect("lock").push(schema.clone());
            let url = url.clone();
            async move {
                let store = app_store(&url, &schema).await?;
                Ok((store, common::keys().1.verifying_key()))
            }
        })
        .await;
        let schemas = std::mem::take(&mut *schemas.lock().expect("lock"));
        for schema in &schemas {
            drop_schema(&url, schema).await.expect("drop schema");
        }
        result.expect("conformance suite");
    });
}

fn event(reader: &mut EventReader, line: &str) -> storage::NewEvent {
    reader.read(line).expect("event parses")
}

fn note(reference: &str, id: &str) -> String {
    format!(
        r#"{{"case":"{reference}","force":"exampleshire","at":"2026-03-03T10:00:00Z","kind":"note","id":"{id}","text":"progress"}}"#
    )
}

fn report(reference: &str) -> String {
    format!(
        r#"{{"case":"{reference}","force":"exampleshire","at":"2026-03-02T09:15:00Z","kind":"report_received","id":"{reference}-r","channel":"101","offences":["SOA2003-s1"],"location":{{"country":"GB"}}}}"#
    )
}

fn key(reference: &str) -> CaseKey {
    CaseKey {
        force: "exampleshire".into(),
        reference: reference.into(),
    }
}

/// Appends one event to a case at the version just read, retrying on conflict; returns how many
/// conflicts it met.
async fn append_with_retry(store: &PgStore, access: &Access, reference: &str, id: &str) -> u64 {
    let mut conflicts = 0;
    loop {
        let version = store
            .read_case(access, &key(reference))
            .await
            .expect("read")
            .map_or(0, |case| case.version);
        let mut reader = EventReader::new();
        let append = Append {
            case: key(reference),
            expected: ExpectedVersion::Exact(version),
            events: vec![event(&mut reader, &note(reference, id))],
        };
        match store.append(access, vec![append]).await {
            Ok(_) => return conflicts,
            Err(StoreError::Conflict { .. }) => conflicts += 1,
            Err(error) => panic!("append failed: {error}"),
        }
    }
}

#[test]
fn concurrent_writers_on_one_database_lose_nothing_and_keep_one_chain() {
    let Some(url) = pg_url("concurrent_writers_on_one_database_lose_nothing_and_keep_one_chain")
    else {
        return;
    };
    common::runtime().block_on(async {
        let schema = fresh_schema();
        // Two stores with their own pools, as two `rasso serve` processes would have.
        let first = Arc::new(app_store(&url, &schema).await.expect("first store"));
        let second = Arc::new(
            PgStore::open(options(&url, &schema, Some(APP_ROLE)))
                .await
                .expect("second store"),
        );
        let access = Access::new("test:setup", Purpose::Investigation);
        let mut reader = EventReader::new();
        first
            .append(
                &access,
                vec![Append {
                    case: key("SHARED-1"),
                    expected: ExpectedVersion::NoCase,
                    events: vec![event(&mut reader, &report("SHARED-1"))],
                }],
            )
            .await
            .expect("seed shared case");

        const WRITERS_PER_STORE: usize = 3;
        const EVENTS_PER_WRITER: usize = 8;
        let mut tasks = Vec::new();
        for (s, store) in [first.clone(), second.clone()].into_iter().enumerate() {
            for w in 0..WRITERS_PER_STORE {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    let access = Access::new(format!("test:s{s}w{w}"), Purpose::Investigation);
                    let own = format!("OWN-{s}-{w}");
                    let mut conflicts = 0;
                    for n in 0..EVENTS_PER_WRITER {
                        conflicts += append_with_retry(
                            &store,
                            &access,
                            "SHARED-1",
                            &format!("shared-s{s}w{w}n{n}"),
                        )
                        .await;
                        // Different cases: `Any` never conflicts.
                        let mut reader = EventReader::new();
                        store
                            .append(
                                &access,
                                vec![Append {
                                    case: key(&own),
                                    expected: ExpectedVersion::Any,
                                    events: vec![event(
                                        &mut reader,
                                        &note(&own, &format!("own-{n}")),
                                    )],
                                }],
                            )
                            .await
                            .expect("append to own case");
                    }
                    conflicts
                }));
            }
        }
        let mut conflicts = 0;
        for task in tasks {
            conflicts += task.await.expect("writer task");
        }
        eprintln!("concurrent writers met {conflicts} conflicts (each retried)");

        let writers = 2 * WRITERS_PER_STORE;
        let shared = first
            .read_case(&access, &key("SHARED-1"))
            .await
            .expect("read")
            .expect("shared case exists");
        assert_eq!(
            shared.version as usize,
            1 + writers * EVENTS_PER_WRITER,
            "every acknowledged event on the shared case is stored"
        );
        assert_eq!(shared.case.events().len(), shared.version as usize);
        for s in 0..2 {
            for w in 0..WRITERS_PER_STORE {
                let own = second
                    .read_case(&access, &key(&format!("OWN-{s}-{w}")))
                    .await
                    .expect("read")
                    .expect("own case exists");
                assert_eq!(own.version as usize, EVENTS_PER_WRITER);
            }
        }
        // One chain, whichever process wrote each record.
        let trusted = common::keys().1.verifying_key();
        for store in [&first, &second] {
            let report = store.verify_audit(&trusted).await.expect("verify");
            assert!(report.is_ok(), "audit chain verifies: {:?}", report.problem);
        }
        let records = first.audit_records(0, 1_000_000).await.expect("records");
        for (index, record) in records.iter().enumerate() {
            assert_eq!(record.seq, index as i64 + 1, "no gaps or duplicates");
        }
        Arc::try_unwrap(first).expect("one owner").close().await;
        Arc::try_unwrap(second).expect("one owner").close().await;
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}

#[test]
fn row_level_security_hides_case_rows_without_the_actor_setting() {
    let Some(url) = pg_url("row_level_security_hides_case_rows_without_the_actor_setting") else {
        return;
    };
    common::runtime().block_on(async {
        let schema = fresh_schema();
        let store = app_store(&url, &schema).await.expect("store");
        let access = Access::new("test:rls", Purpose::Investigation);
        store
            .append(
                &access,
                conformance::sample_appends(ExpectedVersion::NoCase),
            )
            .await
            .expect("append sample");

        let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
        // Not a superuser and no BYPASSRLS: the role the store runs as.
        let bypass: bool = sqlx::query_scalar(
            "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = $1",
        )
        .bind(APP_ROLE)
        .fetch_one(&mut connection)
        .await
        .expect("role");
        assert!(!bypass, "the application role must not bypass row-level security");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SET search_path TO {}",
            storage::postgres::quote_ident(&schema)
        )))
        .execute(&mut connection)
        .await
        .expect("search path");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SET ROLE {}",
            storage::postgres::quote_ident(APP_ROLE)
        )))
        .execute(&mut connection)
        .await
        .expect("set role");

        for (table, sql) in [
            ("cases", "SELECT count(*) FROM cases"),
            ("events", "SELECT count(*) FROM events"),
            ("sealed", "SELECT count(*) FROM sealed"),
        ] {
            let without: i64 = sqlx::query(sql)
                .fetch_one(&mut connection)
                .await
                .expect("count without actor")
                .get(0);
            assert_eq!(without, 0, "{table}: no rows without rasso.actor");

            let mut tx = connection.begin().await.expect("begin");
            sqlx::query("SELECT set_config('rasso.actor', 'test:rls', true)")
                .execute(&mut *tx)
                .await
                .expect("set actor");
            let with: i64 = sqlx::query(sql)
                .fetch_one(&mut *tx)
                .await
                .expect("count with actor")
                .get(0);
            tx.commit().await.expect("commit");
            assert!(with > 0, "{table}: rows visible with rasso.actor");

            // The setting is per transaction: gone again after it.
            let after: i64 = sqlx::query(sql)
                .fetch_one(&mut connection)
                .await
                .expect("count after")
                .get(0);
            assert_eq!(after, 0, "{table}: hidden again after the transaction");
        }
        // Writing without the setting is refused too.
        let insert = sqlx::query(
            "INSERT INTO cases (force, reference, version, status, open_findings, people, updated_at) \
             VALUES ('exampleshire', 'SNEAK-1', 0, 'open', 0, 0, '2026-01-01T00:00:00Z')",
        )
        .execute(&mut connection)
        .await;
        assert!(insert.is_err(), "insert without rasso.actor is refused");
        connection.close().await.expect("close");
        store.close().await;
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}
