//! `rasso report` end to end.

use serde_json::Value;
use tests::{rasso, root, stderr, stdout};

#[test]
fn json_report_over_the_example_file() {
    let output = rasso(
        &root(),
        &[
            "report",
            "--input",
            "examples/demo-cases.jsonl",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--as-of",
            "2026-06-01T12:00:00Z",
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(report["cases"], 2);
    assert_eq!(report["outcomes"]["open"], 2);
    assert_eq!(report["reports_by_month"]["2026-05"], 1);
    // The year reaches both versions: a row per rule and version, findings under the version in
    // force at their trigger (every event of the example is from March 2026 on).
    let digital = |rule_set: &str| {
        report["compliance"]
            .as_array()
            .expect("rules")
            .iter()
            .find(|r| r["rule"] == "DIG-SAFEGUARDS" && r["rule_set"] == rule_set)
            .cloned()
            .expect("rule")
    };
    assert_eq!(digital("national-2026-01")["breached"], 1);
    assert_eq!(digital("national-2021-04")["instances"], 0);
}

#[test]
fn shared_html_report_to_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.html");
    let example = root().join("examples/demo-cases.jsonl");
    let output = rasso(
        dir.path(),
        &[
            "report",
            "--input",
            &example.display().to_string(),
            "--force",
            "exampleshire",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--as-of",
            "2026-06-01T12:00:00Z",
            "--shared",
            "--out",
            &out.display().to_string(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let html = std::fs::read_to_string(&out).expect("report written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("&lt;5"));
    assert!(
        !html.contains("Tamsin") && !html.contains("Quarrell"),
        "no victim identity"
    );
    assert!(!html.contains("<script"));
}

#[test]
fn a_backwards_range_is_refused() {
    let output = rasso(
        &root(),
        &[
            "report",
            "--input",
            "examples/demo-cases.jsonl",
            "--from",
            "2026-12-31",
            "--to",
            "2026-01-01",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--from 2026-12-31 is after --to 2026-01-01"));
}

#[test]
fn a_report_from_the_store_matches_the_report_from_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data").display().to_string();
    let example = root()
        .join("examples/demo-cases.jsonl")
        .display()
        .to_string();
    let imported = rasso(dir.path(), &["import", &example, "--data", &data]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let common = [
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--as-of",
        "2026-06-01T12:00:00Z",
        "--format",
        "json",
    ];
    let mut from_store = vec!["report", "--data", &data];
    from_store.extend_from_slice(&common);
    let mut from_file = vec!["report", "--input", &example];
    from_file.extend_from_slice(&common);
    let store_output = rasso(dir.path(), &from_store);
    assert!(store_output.status.success(), "{}", stderr(&store_output));
    let mut stored: Value = serde_json::from_str(&stdout(&store_output)).expect("json");
    let file: Value = serde_json::from_str(&stdout(&rasso(dir.path(), &from_file))).expect("json");
    // Repeat-suspect counts come from the store's links, so only the store's report has them.
    let repeat = stored
        .as_object_mut()
        .and_then(|report| report.remove("repeat_suspects"))
        .expect("a report from the store counts repeat suspects");
    assert_eq!(repeat["confirmed_links"], 0);
    assert!(file.get("repeat_suspects").is_none());
    assert_eq!(stored, file);
    assert_eq!(stored["cases"], 2);
    // The store recorded the read for reporting in its audit log, and the chain still verifies.
    let verified = rasso(dir.path(), &["audit", "verify", "--data", &data]);
    assert!(verified.status.success(), "{}", stderr(&verified));
}
