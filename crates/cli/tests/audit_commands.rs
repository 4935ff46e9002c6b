//! `rasso audit verify` and `rasso audit anchor` end to end on a data directory, and the files the
//! store writes: the real binary, changes made with plain SQL on the database file.

mod common;

use std::path::Path;

use common::{demo_file, rasso, text};
use sqlx::Connection;

fn run_sql(db: &Path, statements: &[&str]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = format!("sqlite://{}", db.display());
        let mut connection = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("connect");
        // As an intruder would: the append-only triggers dropped first.
        let triggers: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                .fetch_all(&mut connection)
                .await
                .expect("triggers");
        for trigger in triggers {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER \"{trigger}\"")))
                .execute(&mut connection)
                .await
                .expect("drop trigger");
        }
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&mut connection)
                .await
                .expect("change");
        }
        connection.close().await.expect("close");
    });
}

fn imported() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let out = rasso(&data, &["import", demo_file().to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (dir, data)
}

#[test]
fn verify_checks_every_case_and_names_the_case_whose_event_was_backdated_in_the_file() {
    let (_dir, data) = imported();
    let ok = rasso(&data, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("cases (21 events) match the log"),
        "{}",
        text(&ok.stdout)
    );
    run_sql(
        &data.join("rasso.db"),
        &["UPDATE events SET at = '2026-02-01T09:15:00.000000Z' \
           WHERE event_id = 'ex-123-1'"],
    );
    let failed = rasso(&data, &["audit", "verify"]);
    assert!(!failed.status.success(), "a backdated event must fail");
    let stderr = text(&failed.stderr);
    assert!(
        stderr.contains("case exampleshire/EX-2026-000123"),
        "the case is named: {stderr}"
    );
}

#[test]
fn verify_fails_when_a_case_is_deleted_or_the_whole_log_erased() {
    let (_dir, data) = imported();
    let db = data.join("rasso.db");
    run_sql(
        &db,
        &[
            "DELETE FROM sealed WHERE case_id = (SELECT case_id FROM cases WHERE reference = 'EX-2026-000123')",
            "DELETE FROM report_facts WHERE case_id = (SELECT case_id FROM cases WHERE reference = 'EX-2026-000123')",
            "DELETE FROM link_people WHERE case_id = (SELECT case_id FROM cases WHERE reference = 'EX-2026-000123')",
            "DELETE FROM events WHERE case_id = (SELECT case_id FROM cases WHERE reference = 'EX-2026-000123')",
            "DELETE FROM cases WHERE reference = 'EX-2026-000123'",
        ],
    );
    let failed = rasso(&data, &["audit", "verify"]);
    assert!(!failed.status.success(), "a deleted case must fail");
    assert!(
        text(&failed.stderr).contains("EX-2026-000123"),
        "{}",
        text(&failed.stderr)
    );

    let (_dir, data) = imported();
    run_sql(
        &data.join("rasso.db"),
        &[
            "DELETE FROM audit_log",
            "DELETE FROM audit_checkpoints",
            "DELETE FROM audit_head",
        ],
    );
    let erased = rasso(&data, &["audit", "verify"]);
    assert!(!erased.status.success(), "an erased log must fail");
    assert!(
        text(&erased.stderr).contains("erased"),
        "{}",
        text(&erased.stderr)
    );
}

#[test]
fn an_anchor_refuses_a_database_rolled_back_to_an_older_copy_of_itself() {
    let (dir, data) = imported();
    let backup = dir.path().join("older.db");
    let out = rasso(&data, &["backup", backup.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // More work after the backup: every export is a disclosure in the log.
    for n in 0..3 {
        let file = dir.path().join(format!("export-{n}.jsonl"));
        let out = rasso(&data, &["export", "--out", file.to_str().expect("path")]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let anchor = dir.path().join("anchor.json");
    let out = rasso(
        &data,
        &["audit", "anchor", "--out", anchor.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&anchor).expect("anchor")).expect("json");
    assert_eq!(written["format"], "rasso-audit-anchor-v1");
    for field in [
        "seq",
        "hash",
        "records",
        "checkpoints",
        "cases",
        "state",
        "signature",
    ] {
        assert!(
            !written[field].is_null(),
            "the anchor has {field}: {written}"
        );
    }
    // Standard output works too, and the log goes on extending the anchor.
    let printed = rasso(&data, &["audit", "anchor"]);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    assert!(text(&printed.stdout).contains("rasso-audit-anchor-v1"));
    let anchor_arg = anchor.to_str().expect("path");
    let extended = rasso(&data, &["audit", "verify", "--anchor", anchor_arg]);
    assert!(extended.status.success(), "{}", text(&extended.stderr));
    assert!(
        text(&extended.stdout).contains("extends the anchor"),
        "{}",
        text(&extended.stdout)
    );

    // The whole database rolled back to the older copy: consistent in itself, so verify alone
    // passes; against the anchor it fails.
    let out = rasso(
        &data,
        &["restore", backup.to_str().expect("path"), "--force"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let alone = rasso(&data, &["audit", "verify"]);
    assert!(alone.status.success(), "{}", text(&alone.stderr));
    let against = rasso(&data, &["audit", "verify", "--anchor", anchor_arg]);
    assert!(!against.status.success(), "a rolled-back log must fail");
    assert!(
        text(&against.stderr).contains("older than the anchor"),
        "{}",
        text(&against.stderr)
    );

    // An anchor that is not one is refused clearly.
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, "{\"format\": \"something-else\"}").expect("write");
    let refused = rasso(
        &data,
        &["audit", "verify", "--anchor", bogus.to_str().expect("path")],
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("anchor"),
        "{}",
        text(&refused.stderr)
    );
}

#[cfg(unix)]
#[test]
fn the_database_and_its_backups_are_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, data) = imported();
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&data.join("rasso.db")), 0o600, "the database");
    for side in ["rasso.db-wal", "rasso.db-shm"] {
        let path = data.join(side);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{side}");
        }
    }
    let backup = dir.path().join("copy.db");
    let out = rasso(&data, &["backup", backup.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&backup), 0o600, "the backup");

    // A database an earlier version left readable by others is made owner-only on opening.
    std::fs::set_permissions(
        data.join("rasso.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let out = rasso(&data, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&data.join("rasso.db")), 0o600, "tightened on opening");

    // A restore puts an owner-only file in place whatever the backup's mode.
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = rasso(
        &data,
        &["restore", backup.to_str().expect("path"), "--force"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&data.join("rasso.db")), 0o600, "restored");

    // What the command line writes out of the record is owner-only too, even over a file that was
    // readable by others before (opening with mode 0600 alone would leave its mode as it was).
    for (name, args) in [
        ("export.jsonl", vec!["export", "--out"]),
        ("anchor.json", vec!["audit", "anchor", "--out"]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, "left by an earlier run").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut args = args;
        args.push(path.to_str().expect("path"));
        let out = rasso(&data, &args);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert_eq!(mode(&path), 0o600, "{name} written over a readable file");
        let written = std::fs::read_to_string(&path).expect("read");
        assert!(
            !written.contains("left by an earlier run"),
            "{name} truncated"
        );
    }
}
