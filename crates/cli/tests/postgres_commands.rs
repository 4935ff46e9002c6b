//! The store commands on PostgreSQL, end to end with the real binary: `rasso migrate`, `rasso copy`
//! from SQLite, then `audit verify`, `export` and `import` with `--database postgres://...`.
//! Runs only when `RASSO_TEST_PG` is set; each run creates its own database and drops it.

use sqlx::Connection;

mod common;

use common::{demo_file, json_lines, rasso, text};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A new database next to the one `url` names; returns its URL.
fn create_database(url: &str, name: &str) -> String {
    runtime().block_on(async {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut connection)
            .await
            .expect("create database");
        connection.close().await.expect("close");
    });
    let base = url.split('?').next().unwrap_or(url);
    let cut = base.rfind('/').expect("URL has a database path");
    format!("{}/{name}", &base[..cut])
}

fn drop_database(url: &str, name: &str) {
    runtime().block_on(async {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut connection)
        .await
        .expect("drop database");
        connection.close().await.expect("close");
    });
}

#[test]
fn copy_from_sqlite_to_postgres_keeps_events_identity_and_a_verifiable_chain() {
    let Ok(url) = std::env::var("RASSO_TEST_PG") else {
        eprintln!("skipped: set RASSO_TEST_PG to a PostgreSQL URL to run the PostgreSQL CLI test");
        return;
    };
    let name = format!("rasso_cli_{:016x}", rand_suffix());
    let pg = create_database(&url, &name);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let demo = demo_file();

    let imported = rasso(&data, &["import", demo.to_str().expect("path")]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let sqlite_export = rasso(&data, &["export"]);
    assert!(
        sqlite_export.status.success(),
        "{}",
        text(&sqlite_export.stderr)
    );

    let migrated = rasso(&data, &["migrate", "--database", &pg]);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));

    let db = data.join("rasso.db");
    let from = format!("sqlite:{}", db.display());
    let copied = rasso(&data, &["copy", "--from", &from, "--to", &pg]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert!(
        text(&copied.stdout).contains("target audit chain verified"),
        "{}",
        text(&copied.stdout)
    );

    // A second copy into the same (now full) database is refused.
    let again = rasso(&data, &["copy", "--from", &from, "--to", &pg]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );

    let verified = rasso(&data, &["audit", "verify", "--database", &pg]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("audit log verified"));

    // Every event, with the sealed identity opened by the copied data keys.
    let pg_export = rasso(&data, &["export", "--database", &pg]);
    assert!(pg_export.status.success(), "{}", text(&pg_export.stderr));
    assert_eq!(
        json_lines(&text(&pg_export.stdout)),
        json_lines(&text(&sqlite_export.stdout))
    );

    // The same import against PostgreSQL is a no-op (ids already stored).
    let reimport = rasso(
        &data,
        &["import", demo.to_str().expect("path"), "--database", &pg],
    );
    assert!(reimport.status.success(), "{}", text(&reimport.stderr));
    assert!(
        text(&reimport.stdout).contains("imported 0 new events"),
        "{}",
        text(&reimport.stdout)
    );
    let verified = rasso(&data, &["audit", "verify", "--database", &pg]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));

    // And back: PostgreSQL to a new SQLite file, users included, the chain still verifying.
    let added = add_user(&data, &pg, "copied-user");
    assert!(added.status.success(), "{}", text(&added.stderr));
    let back = dir.path().join("back").join("rasso.db");
    let back_url = format!("sqlite:{}", back.display());
    let copied = rasso(&data, &["copy", "--from", &pg, "--to", &back_url]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert!(
        text(&copied.stdout).contains("target audit chain verified"),
        "{}",
        text(&copied.stdout)
    );
    let verified = rasso(&data, &["audit", "verify", "--database", &back_url]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    // The copy is on record in the target's chain, after the copied records.
    let records = rasso(
        &data,
        &["audit", "verify", "--json", "--database", &back_url],
    );
    let pg_records = rasso(&data, &["audit", "verify", "--json", "--database", &pg]);
    let count = |output: &std::process::Output| {
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("json")["records"]
            .as_u64()
            .expect("records")
    };
    // The source gained its disclosure record; the target has all of them plus its collection.
    assert_eq!(count(&records), count(&pg_records) + 1);
    let back_export = rasso(&data, &["export", "--database", &back_url]);
    assert!(
        back_export.status.success(),
        "{}",
        text(&back_export.stderr)
    );
    assert_eq!(
        json_lines(&text(&back_export.stdout)),
        json_lines(&text(&sqlite_export.stdout))
    );
    let users = rasso(&data, &["user", "list", "--database", &back_url]);
    assert!(users.status.success(), "{}", text(&users.stderr));
    assert!(text(&users.stdout).contains("copied-user"));
    // A second copy into the (now full) SQLite file is refused.
    let again = rasso(&data, &["copy", "--from", &pg, "--to", &back_url]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );

    drop_database(&url, &name);
}

/// `rasso user add NAME` on `database`, the password on standard input.
fn add_user(data: &std::path::Path, database: &str, name: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rasso"))
        .args([
            "user",
            "add",
            name,
            "--role",
            "investigator",
            "--force",
            "exampleshire",
            "--database",
            database,
        ])
        .env("RASSO_OPERATOR", "test-operator")
        .arg("--data")
        .arg(data)
        .env_remove("RASSO_MASTER_KEY")
        .env_remove("RASSO_MASTER_KEY_FILE")
        .env_remove("RASSO_AUDIT_KEY")
        .env_remove("RASSO_AUDIT_KEY_FILE")
        .env_remove("RASSO_DATABASE")
        .env_remove("RASSO_APP_ROLE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run rasso");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"synthetic-password-copy\n")
        .expect("password");
    child.wait_with_output().expect("output")
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}
