//! The storage commands end to end: `rasso import`, `export`, `audit verify`, `keys rotate`,
//! `backup` and `restore`, driving the real binary on temporary data directories.

mod common;

use common::{demo_file, json_lines, rasso, text};

#[test]
fn import_then_export_round_trips_every_event_and_reimport_is_a_no_op() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let demo = demo_file();
    let first = rasso(&data, &["import", demo.to_str().expect("path")]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("imported 21 new events"),
        "{}",
        text(&first.stdout)
    );
    assert!(text(&first.stderr).contains("generated a new master key"));

    let again = rasso(&data, &["import", demo.to_str().expect("path")]);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).contains("imported 0 new events")
            && text(&again.stdout).contains("(21 already stored)"),
        "{}",
        text(&again.stdout)
    );

    let export = rasso(&data, &["export"]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let original = std::fs::read_to_string(&demo).expect("demo");
    assert_eq!(json_lines(&text(&export.stdout)), json_lines(&original));

    let out = dir.path().join("export.jsonl");
    let to_file = rasso(
        &data,
        &[
            "export",
            "--out",
            out.to_str().expect("path"),
            "--purpose",
            "disclosure",
            "--recipient",
            "cps:test",
        ],
    );
    assert!(to_file.status.success(), "{}", text(&to_file.stderr));
    assert_eq!(
        json_lines(&std::fs::read_to_string(&out).expect("out")),
        json_lines(&original)
    );

    let redacted = rasso(&data, &["export", "--without-identity"]);
    assert!(!text(&redacted.stdout).contains("identity"));

    // A later file may name people added by an earlier import.
    let later = dir.path().join("later.jsonl");
    std::fs::write(
        &later,
        r#"{"case":"EX-2026-000123","force":"exampleshire","at":"2026-03-20T10:00:00Z","kind":"needs_assessment","id":"later-1","person":"V1"}"#,
    )
    .expect("write");
    let next = rasso(&data, &["import", later.to_str().expect("path")]);
    assert!(next.status.success(), "{}", text(&next.stderr));
    assert!(text(&next.stdout).contains("imported 1 new events"));

    let verify = rasso(&data, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(text(&verify.stdout).contains("audit log verified"));
}

#[test]
fn a_bad_file_stores_nothing_and_every_bad_line_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let file = dir.path().join("bad.jsonl");
    let lines = [
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:15:00Z","kind":"report_received","id":"b1","channel":"101","offences":["SOA2003-s1"],"location":{"country":"GB"}}"#,
        r#"{"case":"B-1","force":"exampleshire","at":"not a time","kind":"note","text":"x"}"#,
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:20:00Z","kind":"person_added","id":"b2","person":"V1","role":"victim","identity":{"given_name":"Zephyrine","aliases":"Zephyrine Quillfeatherstone"}}"#,
        r#"not json"#,
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:25:00Z","kind":"needs_assessment","person":"V9"}"#,
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:30:00Z","kind":"note","text":"fine"}"#,
    ];
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let name = file.to_str().expect("path");
    let output = rasso(&data, &["import", name]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    for line in [2, 3, 4, 5] {
        assert!(
            stderr.contains(&format!("{name}:{line}: ")),
            "line {line} not reported: {stderr}"
        );
    }
    assert!(!stderr.contains(&format!("{name}:1:")) && !stderr.contains(&format!("{name}:6:")));
    assert!(stderr.contains("nothing imported"));
    assert!(
        !stderr.contains("Zephyrine") && !stderr.contains("Quillfeatherstone"),
        "identity leaked: {stderr}"
    );
    assert!(
        !data.join("rasso.db").exists(),
        "a bad file changes nothing"
    );

    let rejects = dir.path().join("rejects.jsonl");
    let skipped = rasso(
        &data,
        &[
            "import",
            name,
            "--skip-invalid",
            "--reject-file",
            rejects.to_str().expect("path"),
        ],
    );
    assert!(skipped.status.success(), "{}", text(&skipped.stderr));
    assert!(
        text(&skipped.stdout).contains("imported 2 new events"),
        "{}",
        text(&skipped.stdout)
    );
    let rejected = std::fs::read_to_string(&rejects).expect("rejects");
    let expected: String = [lines[1], lines[2], lines[3], lines[4]]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(rejected, expected, "rejected lines are written unchanged");
}

#[test]
fn backup_restore_and_key_rotation_keep_data_and_audit_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let demo = demo_file();
    assert!(
        rasso(&data, &["import", demo.to_str().expect("path")])
            .status
            .success()
    );
    let before = text(&rasso(&data, &["export"]).stdout);

    let rotate = rasso(&data, &["keys", "rotate"]);
    assert!(rotate.status.success(), "{}", text(&rotate.stderr));
    assert!(
        text(&rotate.stdout).contains("re-wrapped 1 data keys"),
        "{}",
        text(&rotate.stdout)
    );
    assert_eq!(
        text(&rasso(&data, &["export"]).stdout),
        before,
        "identity still opens after rotation"
    );

    let backup = dir.path().join("backups").join("rasso-backup.db");
    let taken = rasso(&data, &["backup", backup.to_str().expect("path")]);
    assert!(taken.status.success(), "{}", text(&taken.stderr));
    assert!(
        rasso(&data, &["backup", backup.to_str().expect("path")])
            .status
            .code()
            != Some(0)
    );

    let refused = rasso(&data, &["restore", backup.to_str().expect("path")]);
    assert!(
        !refused.status.success(),
        "restore over a database needs --force"
    );
    let restored = rasso(
        &data,
        &["restore", backup.to_str().expect("path"), "--force"],
    );
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    assert!(text(&restored.stdout).contains("audit log verified"));
    assert_eq!(
        json_lines(&text(&rasso(&data, &["export"]).stdout)),
        json_lines(&before)
    );
    assert!(rasso(&data, &["audit", "verify"]).status.success());
}

/// `rasso report` from the store (its report facts) gives the same figures as from the file it was
/// imported from (every case evaluated in full), and `rasso report rebuild-facts` changes none.
#[test]
fn report_from_the_store_equals_report_from_the_file_and_survives_a_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let demo = demo_file();
    let demo = demo.to_str().expect("path");
    assert!(rasso(&data, &["import", demo]).status.success());
    let span = [
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
        "--as-of",
        "2031-01-01T00:00:00Z",
        "--format",
        "json",
    ];
    let stored = rasso(&data, &[&["report"][..], &span[..]].concat());
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    let from_file = rasso(
        &data,
        &[&["report", "--input", demo][..], &span[..]].concat(),
    );
    assert!(from_file.status.success(), "{}", text(&from_file.stderr));
    // Repeat-suspect counts come from the store's links, so only the store's report has them.
    let mut stored_json: serde_json::Value = serde_json::from_slice(&stored.stdout).expect("json");
    let file_json: serde_json::Value = serde_json::from_slice(&from_file.stdout).expect("json");
    assert!(
        stored_json
            .as_object_mut()
            .and_then(|report| report.remove("repeat_suspects"))
            .is_some(),
        "a report from the store counts repeat suspects"
    );
    assert_eq!(stored_json, file_json);
    assert!(text(&stored.stdout).contains("\"cases\""));

    let rebuilt = rasso(&data, &["report", "rebuild-facts"]);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt.stderr));
    assert!(
        text(&rebuilt.stdout).contains("rebuilt the report facts of"),
        "{}",
        text(&rebuilt.stdout)
    );
    let again = rasso(&data, &[&["report"][..], &span[..]].concat());
    assert_eq!(text(&again.stdout), text(&stored.stdout));
}
