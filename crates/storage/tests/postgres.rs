//! The PostgreSQL store against a real server. Runs only when `RASSO_TEST_PG` is a connection URL
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`); otherwise each test prints that it was skipped.
//! Every store gets its own schema (`rasso_test_<random>`), dropped at the end, so runs never
//! collide.

mod common;

use std::sync::Arc;

use domain::CaseKey;
use sqlx::{Connection, Row};
use storage::conformance;
use storage::postgres::{drop_schema, migrate};
use storage::prelude::*;
use storage::{Access, Append, EventReader, ExpectedVersion, PgStore, Purpose, StoreError};

#[test]
fn postgres_keeps_force_plugins_findings_in_report_facts() {
    let Some(url) = common::pg_url("postgres_keeps_force_plugins_findings_in_report_facts") else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        let result = async {
            let plugin = Arc::new(conformance::TestPlugin::new());
            let mut store = common::app_store(&url, &schema).await?;
            store.attach_plugin_rules(plugin.clone()).await?;
            conformance::plugin_report_facts(&store, &plugin).await?;
            conformance::check_audit(&store, &common::keys().1.verifying_key()).await?;
            store.close().await;
            Ok::<(), StoreError>(())
        }
        .await;
        drop_schema(&url, &schema).await.expect("drop schema");
        result.expect("plugin facts");
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
    let Some(url) =
        common::pg_url("concurrent_writers_on_one_database_lose_nothing_and_keep_one_chain")
    else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        // Two stores with their own pools, as two `rasso serve` processes would have.
        let first = Arc::new(common::app_store(&url, &schema).await.expect("first store"));
        let second = Arc::new(
            PgStore::open(common::options(&url, &schema, Some(common::APP_ROLE)))
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

/// A connection as the test's superuser in `schema`, switched to the application role: what a
/// psql session, a reporting tool or injected SQL running as that role could do.
async fn app_role_connection(url: &str, schema: &str) -> sqlx::PgConnection {
    let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
    for statement in [
        format!(
            "SET search_path TO {}",
            storage::postgres::quote_ident(schema)
        ),
        format!(
            "SET ROLE {}",
            storage::postgres::quote_ident(common::APP_ROLE)
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut connection)
            .await
            .expect("set up the session");
    }
    connection
}

/// The store's secret, read as the schema's owner (the application role may not read it).
async fn store_secret(url: &str, schema: &str) -> Vec<u8> {
    let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
    let secret = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT secret FROM {}.actor_secret WHERE id = 1",
        storage::postgres::quote_ident(schema)
    )))
    .fetch_one(&mut connection)
    .await
    .expect("secret");
    connection.close().await.expect("close");
    secret
}

async fn count_in(tx: &mut sqlx::PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(tx)
        .await
        .expect("count")
}

#[test]
fn row_level_security_opens_only_for_the_stores_own_binding_never_for_a_session_setting_the_actor()
{
    let Some(url) = common::pg_url(
        "row_level_security_opens_only_for_the_stores_own_binding_never_for_a_session_setting_the_actor",
    ) else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        let store = common::app_store(&url, &schema).await.expect("store");
        let access = Access::new("test:rls", Purpose::Investigation);
        store
            .append(
                &access,
                conformance::sample_appends(ExpectedVersion::NoCase),
            )
            .await
            .expect("append sample");
        let secret = store_secret(&url, &schema).await;

        let mut connection = app_role_connection(&url, &schema).await;
        // Not a superuser and no BYPASSRLS: the role the store runs as.
        let bypass: bool = sqlx::query_scalar(
            "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&mut connection)
        .await
        .expect("role");
        assert!(!bypass, "the application role must not bypass row-level security");
        // The role cannot read the secret that binds the store's actor.
        assert!(
            sqlx::query("SELECT secret FROM actor_secret")
                .fetch_all(&mut connection)
                .await
                .is_err(),
            "the application role reads the store's secret"
        );

        for (table, sql) in [
            ("cases", "SELECT count(*) FROM cases"),
            ("events", "SELECT count(*) FROM events"),
            ("sealed", "SELECT count(*) FROM sealed"),
        ] {
            assert_eq!(count_in(&mut connection, sql).await, 0, "{table}: no actor");

            // Setting the actor itself (and a made-up token) opens nothing.
            let mut tx = connection.begin().await.expect("begin");
            sqlx::query("SELECT set_config('rasso.actor', 'test:rls', true), set_config('rasso.actor_token', 'x', true)")
                .execute(&mut *tx)
                .await
                .expect("set actor");
            assert_eq!(
                count_in(&mut tx, sql).await,
                0,
                "{table}: a session that sets rasso.actor itself sees no rows"
            );
            tx.rollback().await.expect("rollback");

            // A wrong secret is refused.
            let mut tx = connection.begin().await.expect("begin");
            let wrong = sqlx::query("SELECT rasso_act_as($1, 'test:rls')")
                .bind(vec![0u8; 32])
                .execute(&mut *tx)
                .await;
            assert!(wrong.is_err(), "{table}: a wrong secret binds nothing");
            tx.rollback().await.expect("rollback");

            // The store's binding opens the rows, for its own transaction only.
            let mut tx = connection.begin().await.expect("begin");
            sqlx::query("SELECT rasso_act_as($1, 'test:rls')")
                .bind(&secret)
                .execute(&mut *tx)
                .await
                .expect("bind");
            assert!(count_in(&mut tx, sql).await > 0, "{table}: rows with the binding");
            let token: String =
                sqlx::query_scalar("SELECT current_setting('rasso.actor_token')")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("token");
            tx.commit().await.expect("commit");
            assert_eq!(count_in(&mut connection, sql).await, 0, "{table}: hidden after");

            // A token seen once is no good in another transaction.
            let mut tx = connection.begin().await.expect("begin");
            sqlx::query("SELECT set_config('rasso.actor', 'test:rls', true), set_config('rasso.actor_token', $1, true)")
                .bind(&token)
                .execute(&mut *tx)
                .await
                .expect("replay");
            assert_eq!(count_in(&mut tx, sql).await, 0, "{table}: a replayed token");
            tx.rollback().await.expect("rollback");
        }
        // Writing with a self-set actor is refused too.
        let mut tx = connection.begin().await.expect("begin");
        sqlx::query("SELECT set_config('rasso.actor', 'test:rls', true)")
            .execute(&mut *tx)
            .await
            .expect("set actor");
        let insert = sqlx::query(
            "INSERT INTO cases (force, reference, version, status, open_findings, people, updated_at) \
             VALUES ('exampleshire', 'SNEAK-1', 0, 'open', 0, 0, '2026-01-01T00:00:00Z')",
        )
        .execute(&mut *tx)
        .await;
        assert!(insert.is_err(), "insert with a self-set rasso.actor is refused");
        tx.rollback().await.expect("rollback");
        connection.close().await.expect("close");
        store.close().await;
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}

#[test]
fn the_application_role_cannot_delete_sealed_identity_rewrite_audit_records_or_move_the_head_back()
{
    let Some(url) = common::pg_url(
        "the_application_role_cannot_delete_sealed_identity_rewrite_audit_records_or_move_the_head_back",
    ) else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        let store = common::app_store(&url, &schema).await.expect("store");
        let access = Access::new("test:grants", Purpose::Investigation);
        store
            .append(
                &access,
                conformance::sample_appends(ExpectedVersion::NoCase),
            )
            .await
            .expect("append sample");
        store.audit_checkpoint().await.expect("checkpoint");
        let old_head = store.audit_head().await.expect("head").expect("a head");
        let old_checkpoint_seq = old_head.seq;
        for reference in ["EX-1", "EX-2"] {
            store
                .read_case(&access, &key(reference))
                .await
                .expect("read");
        }
        let secret = store_secret(&url, &schema).await;
        let mut connection = app_role_connection(&url, &schema).await;
        // Even inside a transaction bound as the store binds its own (the worst case: SQL run in
        // the store's session), none of these is allowed.
        let forbidden = [
            "DELETE FROM sealed",
            "UPDATE sealed SET person = 'S1'",
            "DELETE FROM events",
            "UPDATE events SET body = '{}'",
            "UPDATE audit_log SET actor = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "UPDATE audit_head SET seq = 1",
            "DELETE FROM audit_head",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_checkpoints SET hash = 'x'",
            "INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) VALUES (1, 'x', 'x', 'x', 'x')",
        ];
        for statement in forbidden {
            let mut tx = connection.begin().await.expect("begin");
            sqlx::query("SELECT rasso_act_as($1, 'test:grants')")
                .bind(&secret)
                .execute(&mut *tx)
                .await
                .expect("bind");
            let done = sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await;
            assert!(done.is_err(), "the application role may not: {statement}");
            tx.rollback().await.expect("rollback");
        }
        // The guarded paths: the head moves only to the chain's real last record, never back;
        // a checkpoint only after the last one.
        let mut tx = connection.begin().await.expect("begin");
        let back = sqlx::query(
            "SELECT rasso_write_head($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(old_head.seq)
        .bind(&old_head.hash)
        .bind(&old_head.at)
        .bind(old_head.records)
        .bind(old_head.checkpoints)
        .bind(old_head.last_checkpoint)
        .bind(old_head.cases)
        .bind(&old_head.state)
        .bind(&old_head.public_key)
        .bind(&old_head.signature)
        .execute(&mut *tx)
        .await;
        assert!(back.is_err(), "the head may not be moved back to an older record");
        tx.rollback().await.expect("rollback");
        let mut tx = connection.begin().await.expect("begin");
        let again = sqlx::query("SELECT rasso_add_checkpoint($1, $2, 'x', 1, 0, 'x', 'x')")
            .bind(old_checkpoint_seq)
            .bind(&old_head.hash)
            .execute(&mut *tx)
            .await;
        assert!(again.is_err(), "a checkpoint may not go behind the last one");
        tx.rollback().await.expect("rollback");
        connection.close().await.expect("close");

        let trusted = common::keys().1.verifying_key();
        let report = store.verify_audit(&trusted).await.expect("verify");
        assert!(report.is_ok(), "untouched: {:?}", report.problem);
        assert_eq!(report.cases, 3);
        store.close().await;
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}

/// Tables that hold no case data, so carry no row-level security: the audit log (it names case
/// objects but is read whole by verification), keys (wrapped), users and sessions, the lock row
/// and the migrations' own bookkeeping. Every other table of the schema is case-scoped and must
/// have row-level security enabled and forced: a new table is caught here until it has both or
/// is added to this list with a reason.
const NOT_CASE_SCOPED: &[&str] = &[
    "_sqlx_migrations",
    // One row: the secret that binds the store's acting user (owner-only, no grants).
    "actor_secret",
    "audit_checkpoints",
    // Per-force change counters: a force code and a number, no case data.
    "case_changes",
    "audit_head",
    "audit_lock",
    "audit_log",
    "data_keys",
    // Per-user sign-in state: usernames and times, no case data.
    "first_sign_ins",
    // One row: the rule-set basis the report facts were built under.
    "report_facts_state",
    "sessions",
    "sign_in_failures",
    // Attempts to sign in: usernames, times and outcomes, no case data.
    "sign_ins",
    "users",
];

#[test]
fn every_case_scoped_table_has_forced_row_level_security_and_hides_rows_without_an_actor() {
    let Some(url) = common::pg_url(
        "every_case_scoped_table_has_forced_row_level_security_and_hides_rows_without_an_actor",
    ) else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        let store = common::app_store(&url, &schema).await.expect("store");
        let access = Access::new("test:rls-tables", Purpose::Investigation);
        store
            .append(
                &access,
                conformance::sample_appends(ExpectedVersion::NoCase),
            )
            .await
            .expect("append sample");

        let secret = store_secret(&url, &schema).await;
        let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
        let tables: Vec<(String, bool, bool)> = sqlx::query(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        )
        .bind(&schema)
        .fetch_all(&mut connection)
        .await
        .expect("tables")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
        let case_scoped: Vec<&(String, bool, bool)> = tables
            .iter()
            .filter(|(name, _, _)| !NOT_CASE_SCOPED.contains(&name.as_str()))
            .collect();
        for known in ["cases", "events", "sealed"] {
            assert!(
                case_scoped.iter().any(|(name, _, _)| name == known),
                "{known} is among the case-scoped tables: {tables:?}"
            );
        }
        for (name, enabled, forced) in &case_scoped {
            assert!(
                *enabled && *forced,
                "table {name} holds case data but row-level security is not enabled and forced \
                 (ENABLE and FORCE ROW LEVEL SECURITY, and a policy on rasso_actor_set()), or add \
                 it to NOT_CASE_SCOPED if it holds none"
            );
        }

        // As the application role, without the store's binding of its actor, each shows nothing;
        // with it, the tables the sample filled show their rows.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SET search_path TO {}",
            storage::postgres::quote_ident(&schema)
        )))
        .execute(&mut connection)
        .await
        .expect("search path");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SET ROLE {}",
            storage::postgres::quote_ident(common::APP_ROLE)
        )))
        .execute(&mut connection)
        .await
        .expect("set role");
        for (name, _, _) in &case_scoped {
            let count = format!(
                "SELECT count(*) FROM {}",
                storage::postgres::quote_ident(name)
            );
            let without: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone()))
                .fetch_one(&mut connection)
                .await
                .expect("count without actor");
            assert_eq!(without, 0, "{name}: no rows without rasso.actor");
            let mut tx = connection.begin().await.expect("begin");
            sqlx::query("SELECT rasso_act_as($1, 'test:rls-tables')")
                .bind(&secret)
                .execute(&mut *tx)
                .await
                .expect("bind the actor");
            let with: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
                .fetch_one(&mut *tx)
                .await
                .expect("count with actor");
            tx.rollback().await.expect("rollback");
            if ["cases", "events", "sealed"].contains(&name.as_str()) {
                assert!(
                    with > 0,
                    "{name}: the sample's rows are visible with rasso.actor"
                );
            }
        }
        connection.close().await.expect("close");
        store.close().await;
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}

#[test]
fn a_store_refuses_an_application_role_that_bypasses_row_level_security() {
    let Some(url) =
        common::pg_url("a_store_refuses_an_application_role_that_bypasses_row_level_security")
    else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        migrate(&url, Some(&schema)).await.expect("migrate");
        // The test connection's own user is a superuser: acting as it would bypass the policies.
        let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
        let me: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut connection)
            .await
            .expect("current user");
        let bypasses: bool =
            sqlx::query_scalar("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = $1")
                .bind(&me)
                .fetch_one(&mut connection)
                .await
                .expect("role");
        connection.close().await.expect("close");
        if bypasses {
            let refused = PgStore::open(common::options(&url, &schema, Some(&me))).await;
            assert!(
                matches!(refused, Err(StoreError::Refused(_))),
                "a bypassing role is refused: {refused:?}"
            );
        } else {
            eprintln!(
                "note: the test user {me} does not bypass row-level security; nothing to refuse"
            );
        }
        let accepted = common::app_store(&url, &schema)
            .await
            .expect("the application role");
        accepted.close().await;
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}

#[test]
fn copy_from_postgres_to_sqlite_keeps_cases_users_and_the_chain_and_leaves_sessions_behind() {
    let Some(url) = common::pg_url(
        "copy_from_postgres_to_sqlite_keeps_cases_users_and_the_chain_and_leaves_sessions_behind",
    ) else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        let source = common::app_store(&url, &schema).await.expect("store");
        let access = Access::new("test:copy", Purpose::Administration);
        source
            .append(
                &access,
                conformance::sample_appends(ExpectedVersion::NoCase),
            )
            .await
            .expect("append sample");
        source
            .add_user(
                &access,
                &storage::User {
                    username: "copied".into(),
                    display_name: "Copied User".into(),
                    role: "investigator".into(),
                    force: Some("exampleshire".into()),
                    national: false,
                    officer_id: "5120".into(),
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
                    disabled: false,
                    created_at: "2026-11-01T09:00:00Z".parse().expect("time"),
                },
            )
            .await
            .expect("add user");
        source
            .create_session(&storage::Session {
                token_hash: "a".repeat(64),
                username: "copied".into(),
                csrf_token: "b".repeat(64),
                created_at: "2026-11-01T09:00:00Z".parse().expect("time"),
                last_seen_at: "2026-11-01T09:00:00Z".parse().expect("time"),
            })
            .await
            .expect("session");

        let dir = tempfile::tempdir().expect("tempdir");
        let target = common::open(&common::fresh_path(dir.path()))
            .await
            .expect("sqlite target");
        let copy_access = Access {
            recipient: Some("sqlite".into()),
            ..Access::new("test:copy", Purpose::Administration)
        };
        let report = storage::copy::postgres_to_sqlite(&source, &target, &copy_access)
            .await
            .expect("copy");
        assert!(report.cases > 0 && report.events > 0 && report.sealed > 0);
        assert_eq!(report.users, 1);

        let trusted = common::keys().1.verifying_key();
        let verified = target.verify_audit(&trusted).await.expect("verify");
        assert!(
            verified.is_ok(),
            "copied chain verifies: {:?}",
            verified.problem
        );
        let source_records = source.audit_records(0, 1_000_000).await.expect("records");
        let target_records = target.audit_records(0, 1_000_000).await.expect("records");
        assert_eq!(
            &target_records[..source_records.len()],
            &source_records[..],
            "the source's chain, record for record"
        );
        assert_eq!(target_records.len(), source_records.len() + 1);
        assert_eq!(
            target_records.last().map(|r| r.object.as_str()),
            Some("database")
        );

        assert!(target.user("copied").await.expect("user").is_some());
        assert!(
            target
                .session(&"a".repeat(64))
                .await
                .expect("session")
                .is_none(),
            "sessions stay with the deployment they were made on"
        );
        // The same events, identity included (the copied data keys open in the target).
        let mut from_lines = Vec::new();
        let mut to_lines = Vec::new();
        let disclose = Access {
            recipient: Some("test".into()),
            ..Access::new("test:copy", Purpose::Administration)
        };
        source
            .export(&disclose, &Default::default(), &mut |line| {
                from_lines.push(line.to_owned());
                Ok(())
            })
            .await
            .expect("export source");
        target
            .export(&disclose, &Default::default(), &mut |line| {
                to_lines.push(line.to_owned());
                Ok(())
            })
            .await
            .expect("export target");
        from_lines.sort();
        to_lines.sort();
        assert_eq!(from_lines, to_lines);
        assert!(to_lines.iter().any(|line| line.contains("\"identity\":{")));

        // A second copy into the now occupied target is refused and changes nothing.
        let again = storage::copy::postgres_to_sqlite(&source, &target, &copy_access).await;
        assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
        target.close().await;
        source.close().await;
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}

#[test]
fn a_postgres_store_written_before_case_chains_is_upgraded_on_opening() {
    let Some(url) =
        common::pg_url("a_postgres_store_written_before_case_chains_is_upgraded_on_opening")
    else {
        return;
    };
    common::runtime().block_on(async {
        let schema = common::fresh_schema();
        let (_, signer) = common::keys();
        let trusted = signer.verifying_key();
        let store = common::app_store(&url, &schema).await.expect("store");
        let access = Access::new("test:upgrade", Purpose::Investigation);
        store
            .append(
                &access,
                conformance::sample_appends(ExpectedVersion::NoCase),
            )
            .await
            .expect("append sample");
        store.audit_checkpoint().await.expect("checkpoint");
        let mut records = store.audit_records(0, u64::MAX).await.expect("records");
        store.close().await;
        // The records as the version before case chains wrote them (no heads), chained again.
        let mut prev = storage::audit::GENESIS_HASH.to_owned();
        for record in &mut records {
            if let Some(detail) = record.detail.as_object_mut() {
                detail.remove("head");
            }
            record.prev_hash = prev;
            record.hash = record.compute_hash();
            prev = record.hash.clone();
        }

        // Put the schema back as that version left it.
        let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
        let schema_q = storage::postgres::quote_ident(&schema);
        for statement in [
            format!("SET search_path TO {schema_q}"),
            "SET session_replication_role = replica".to_owned(),
            "DELETE FROM audit_log".to_owned(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut connection)
                .await
                .expect("set up");
        }
        for record in &records {
            sqlx::query("INSERT INTO audit_log (seq, at, actor, category, object, purpose, reason, recipient, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(record.seq)
                .bind(&record.at)
                .bind(&record.actor)
                .bind(&record.category)
                .bind(&record.object)
                .bind(&record.purpose)
                .bind(&record.reason)
                .bind(&record.recipient)
                .bind(record.detail.to_string())
                .bind(&record.prev_hash)
                .bind(&record.hash)
                .execute(&mut connection)
                .await
                .expect("record");
        }
        let checkpoints: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, at FROM audit_checkpoints")
                .fetch_all(&mut connection)
                .await
                .expect("checkpoints");
        sqlx::query("DELETE FROM audit_checkpoints")
            .execute(&mut connection)
            .await
            .expect("clear");
        for (seq, at) in checkpoints {
            let old = signer.sign_legacy_checkpoint(seq, &records[seq as usize - 1].hash, &at);
            sqlx::query("INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5)")
                .bind(old.seq)
                .bind(&old.hash)
                .bind(&old.at)
                .bind(&old.public_key)
                .bind(&old.signature)
                .execute(&mut connection)
                .await
                .expect("checkpoint");
        }
        let last = records.last().expect("records");
        let head = signer.sign_legacy_head(last.seq, &last.hash, chrono::Utc::now());
        sqlx::query("DELETE FROM audit_head")
            .execute(&mut connection)
            .await
            .expect("clear");
        sqlx::query("INSERT INTO audit_head (id, seq, hash, at, public_key, signature) VALUES (1, $1, $2, $3, $4, $5)")
            .bind(head.seq)
            .bind(&head.hash)
            .bind(&head.at)
            .bind(&head.public_key)
            .bind(&head.signature)
            .execute(&mut connection)
            .await
            .expect("head");
        let app = storage::postgres::quote_ident(common::APP_ROLE);
        for statement in [
            "DROP INDEX cases_without_head".to_owned(),
            "ALTER TABLE cases DROP COLUMN head".to_owned(),
            "ALTER TABLE audit_head DROP COLUMN records, DROP COLUMN checkpoints, DROP COLUMN last_checkpoint, DROP COLUMN cases, DROP COLUMN state".to_owned(),
            "ALTER TABLE audit_checkpoints DROP COLUMN ordinal, DROP COLUMN prev_seq".to_owned(),
            "DROP TRIGGER sealed_append_only_delete ON sealed".to_owned(),
            "DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints".to_owned(),
            "DROP FUNCTION rasso_act_as(bytea, text), rasso_write_head(bigint, text, text, bigint, bigint, bigint, bigint, text, text, text), \
             rasso_add_checkpoint(bigint, text, text, bigint, bigint, text, text), rasso_harden_grants()".to_owned(),
            "CREATE OR REPLACE FUNCTION rasso_actor_set() RETURNS boolean LANGUAGE sql STABLE AS \
             $$ SELECT coalesce(current_setting('rasso.actor', true), '') <> '' $$".to_owned(),
            "DROP TABLE actor_secret".to_owned(),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_q} TO {app}"),
            "DELETE FROM _sqlx_migrations WHERE version IN (9, 10)".to_owned(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut connection)
                .await
                .unwrap_or_else(|error| panic!("{statement}: {error}"));
        }
        let events_before: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT case_id, seq, at, body FROM events ORDER BY case_id, seq",
        )
        .fetch_all(&mut connection)
        .await
        .expect("events");
        connection.close().await.expect("close");

        // Opening (migrations 9 and 10, then the store) upgrades it.
        let store = common::app_store(&url, &schema).await.expect("upgraded store");
        let report = store.verify_audit(&trusted).await.expect("verify");
        assert!(report.is_ok(), "{:?}", report.problem);
        assert_eq!((report.cases, report.events), (3, 10));
        let upgraded = store.audit_records(0, u64::MAX).await.expect("records");
        assert_eq!(&upgraded[..records.len()], &records[..], "earlier records kept");
        let objects: Vec<&str> = upgraded[records.len()..]
            .iter()
            .map(|r| r.object.as_str())
            .collect();
        assert_eq!(
            objects,
            vec![
                "case:exampleshire/EX-1",
                "case:exampleshire/EX-2",
                "case:otherton/OT-1",
                "audit:chains"
            ]
        );
        store.close().await;

        let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!("SET search_path TO {schema_q}")))
            .execute(&mut connection)
            .await
            .expect("search path");
        let events_after: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT case_id, seq, at, body FROM events ORDER BY case_id, seq",
        )
        .fetch_all(&mut connection)
        .await
        .expect("events");
        assert_eq!(events_after, events_before, "events were not rewritten");
        // The grants the earlier version gave are taken back.
        let may_delete: bool =
            sqlx::query_scalar("SELECT has_table_privilege($1, 'sealed', 'DELETE')")
                .bind(common::APP_ROLE)
                .fetch_one(&mut connection)
                .await
                .expect("privilege");
        assert!(!may_delete, "the application role may no longer delete sealed rows");
        connection.close().await.expect("close");
        drop_schema(&url, &schema).await.expect("drop schema");
    });
}
