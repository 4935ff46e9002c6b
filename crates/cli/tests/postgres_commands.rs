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

    drop_database(&url, &name);
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
