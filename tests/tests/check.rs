//! `rasso check` end to end: the binary on good and bad interchange files.

use std::path::Path;

use serde_json::Value;
use tests::{rasso, root, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path.display().to_string()
}

const NOW: &str = "2026-06-01T12:00:00Z";

#[test]
fn json_findings_for_the_example_file() {
    let example = root().join("examples/demo-cases.jsonl");
    let output = rasso(
        &root(),
        &[
            "check",
            "--input",
            &example.display().to_string(),
            "--now",
            NOW,
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let findings: Vec<Value> = serde_json::from_str(&stdout(&output)).expect("one JSON array");
    assert_eq!(findings.len(), 21);
    let inform: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "VC-INFORM")
        .collect();
    assert_eq!(inform.len(), 3);
    assert_eq!(inform[0]["status"], "met");
    assert_eq!(inform[0]["due_by"], "2026-03-09T23:59:59+00:00");
    assert_eq!(inform[0]["guidance"], "victims-code/right-6");
    for finding in &findings {
        let keys: Vec<&str> = finding
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "case",
                "force",
                "rule",
                "person",
                "trigger",
                "trigger_at",
                "status",
                "due_by",
                "done_at",
                "guidance",
                "rule_set",
                "deadline_source"
            ]
        );
        // Every event of the example is from March 2026 on: judged by `national-2026-01`.
        assert_eq!(finding["rule_set"], "national-2026-01");
    }
    assert_eq!(inform[0]["deadline_source"], "victims_code");
    let confirm = findings
        .iter()
        .find(|f| f["rule"] == "VC-CONFIRM")
        .expect("VC-CONFIRM");
    assert_eq!(confirm["deadline_source"], "rasso_default");
    assert!(
        findings
            .iter()
            .filter(|f| f["due_by"].is_null())
            .all(|f| f["deadline_source"].is_null())
    );
}

#[test]
fn open_keeps_only_findings_that_need_attention() {
    let example = root().join("examples/demo-cases.jsonl");
    let output = rasso(
        &root(),
        &[
            "check",
            "--input",
            &example.display().to_string(),
            "--now",
            NOW,
            "--format",
            "json",
            "--open",
        ],
    );
    let findings: Vec<Value> = serde_json::from_str(&stdout(&output)).expect("one JSON array");
    assert_eq!(findings.len(), 12);
    assert!(findings.iter().all(|f| {
        ["due", "overdue", "breached", "advice"].contains(&f["status"].as_str().unwrap_or_default())
    }));
}

#[test]
fn the_table_lists_open_findings_most_urgent_first() {
    let example = root().join("examples/demo-cases.jsonl");
    let output = rasso(
        &root(),
        &[
            "check",
            "--input",
            "examples/demo-cases.jsonl",
            "--now",
            NOW,
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(example.exists());
    insta::assert_snapshot!("table_demo_cases", stdout(&output));
}

#[test]
fn the_table_says_so_when_nothing_is_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(
        dir.path(),
        "quiet.jsonl",
        r#"{"case":"Q-1","force":"exampleshire","at":"2026-03-02T09:00:00Z","kind":"note","text":"first contact"}"#,
    );
    let output = rasso(dir.path(), &["check", "--input", &file, "--now", NOW]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "No open findings in 1 case.\n");
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_nothing_on_stdout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = [
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:00:00Z","kind":"person_added","person":"V1","role":"victim","identity":{"given_name":"Marisol","family_name":"Threadgold"}}"#,
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:00:00Z","kind":"needs_assessment","person":"V1"}"#,
        r#"{"case":"B-1","force":"exampleshire","at":"yesterday","kind":"needs_assessment","person":"V1"}"#,
        "",
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:00:00Z","kind":"victim_informed","person":"V1","about":"rumour"}"#,
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:00:00Z","kind":"suspect_arrested","person":"S7"}"#,
        r#"{"case":"B-1","force":"exampleshire","at":"2026-03-02T09:00:00Z","kind":"levitation"}"#,
        "{not json",
    ]
    .join("\n");
    let file = write(dir.path(), "bad.jsonl", &text);
    let output = rasso(
        dir.path(),
        &["check", "--input", &file, "--now", NOW, "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "", "nothing on stdout");
    let errors = stderr(&output);
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines.len(), 5, "{errors}");
    assert!(
        lines[0].starts_with(&format!("{file}:3: field `at`:")),
        "{errors}"
    );
    assert!(
        lines[1].starts_with(&format!("{file}:5: field `about`:")),
        "{errors}"
    );
    assert_eq!(
        lines[2],
        format!(
            "{file}:6: field `person`: `S7` is not added to case `B-1` (no person_added event)"
        )
    );
    assert_eq!(
        lines[3],
        format!("{file}:7: field `kind`: unknown kind `levitation`")
    );
    assert!(
        lines[4].starts_with(&format!("{file}:8: not valid JSON")),
        "{errors}"
    );
    // The victim's name appears in no error message.
    assert!(!errors.contains("Marisol") && !errors.contains("Threadgold"));
}

#[test]
fn long_lists_of_errors_are_cut_short() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "{}\n".repeat(120);
    let file = write(dir.path(), "many.jsonl", &text);
    let output = rasso(dir.path(), &["check", "--input", &file]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert_eq!(errors.lines().count(), 51);
    assert!(
        errors.ends_with("... and 70 more invalid lines\n"),
        "{errors}"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = rasso(dir.path(), &["check", "--input", "no-such-file.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot open no-such-file.jsonl"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_bad_now_is_refused_by_name() {
    let output = rasso(
        &root(),
        &[
            "check",
            "--input",
            "examples/demo-cases.jsonl",
            "--now",
            "tomorrow",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--now"), "{}", stderr(&output));
}

#[test]
fn a_newer_bank_holiday_list_changes_deadlines_without_a_rebuild() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = [
        r#"{"case":"H-1","force":"exampleshire","at":"2026-03-06T10:00:00Z","kind":"person_added","person":"V1","role":"victim"}"#,
        r#"{"case":"H-1","force":"exampleshire","at":"2026-03-06T10:00:00Z","kind":"person_added","person":"S1","role":"suspect"}"#,
        r#"{"case":"H-1","force":"exampleshire","at":"2026-03-06T10:00:00Z","kind":"suspect_arrested","person":"S1"}"#,
    ]
    .join("\n");
    let file = write(dir.path(), "case.jsonl", &case);
    // An invented one-off bank holiday on Monday 9 March 2026 pushes the deadline to Tuesday.
    let holidays = write(
        dir.path(),
        "holidays.json",
        r#"{"england-and-wales": {"division": "england-and-wales", "events": [{"title": "Invented holiday", "date": "2026-03-09", "notes": "", "bunting": false}]}}"#,
    );
    let due = |extra: &[&str]| {
        let mut args = vec!["check", "--input", &file, "--now", NOW, "--format", "json"];
        args.extend_from_slice(extra);
        let output = rasso(dir.path(), &args);
        assert!(output.status.success(), "{}", stderr(&output));
        let findings: Vec<Value> = serde_json::from_str(&stdout(&output)).expect("json");
        findings[0]["due_by"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(due(&[]), "2026-03-09T23:59:59+00:00");
    assert_eq!(
        due(&["--bank-holidays", &holidays]),
        "2026-03-10T23:59:59+00:00"
    );
}

#[test]
fn rules_lists_every_national_rule_of_the_version_in_force_on_a_date() {
    let rule_lines = |text: &str| {
        text.lines()
            .filter(|line| line.contains("(guidance: "))
            .count()
    };
    let output = rasso(&root(), &["rules", "--at", "2026-01-11"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("Rule set national-2021-04 (in force on 2026-01-11)\n"),
        "{text}"
    );
    assert_eq!(rule_lines(&text), 23);
    let output = rasso(&root(), &["rules", "--at", "2026-01-12"]);
    let text = stdout(&output);
    assert!(
        text.starts_with("Rule set national-2026-01 (in force on 2026-01-12)\n"),
        "{text}"
    );
    assert_eq!(rule_lines(&text), 35);
    // Timescales the Victims' Code does not set say so.
    assert!(
        text.lines()
            .any(|line| line.contains("VC-CONFIRM") && line.contains("rasso default")),
        "{text}"
    );
    assert!(
        text.contains("  property_return            24 hours\n"),
        "{text}"
    );
    let output = rasso(&root(), &["rules", "--config", "--at", "2025-06-01"]);
    let config: Value = serde_json::from_str(&stdout(&output)).expect("json config");
    assert_eq!(config["id"], "national-2021-04");
    assert_eq!(
        config["written_confirmation"],
        serde_json::json!({"working_days": 5})
    );
    let output = rasso(&root(), &["rules", "--at", "12 January"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not a date"),
        "{}",
        stderr(&output)
    );
}
