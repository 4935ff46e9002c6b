//! `rasso link`: suggestions made on import, a case's links, a decision with a reason, a full
//! re-link that keeps it, and the repeat-suspect figure in the report.

mod common;

use common::{rasso, text};

const CASES: &str = r#"{"case":"A-1","force":"exampleshire","at":"2026-03-01T09:00:00Z","kind":"officer_allocated","id":"a1-1","officer":"4471","role":"oic"}
{"case":"A-1","force":"exampleshire","at":"2026-03-01T09:10:00Z","kind":"person_added","id":"a1-2","person":"S1","role":"suspect","identity":{"given_name":"Idris","family_name":"Penhallow","date_of_birth":"1988-03-11"}}
{"case":"B-1","force":"otherton","at":"2026-03-02T09:00:00Z","kind":"officer_allocated","id":"b1-1","officer":"8120","role":"oic"}
{"case":"B-1","force":"otherton","at":"2026-03-02T09:10:00Z","kind":"person_added","id":"b1-2","person":"S1","role":"suspect","identity":{"given_name":"Penhalow","family_name":"Idriss","date_of_birth":"1988-03-11"}}
"#;

#[test]
fn links_are_suggested_on_import_decided_with_a_reason_and_counted_in_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, CASES).expect("write cases");
    let file = file.to_str().expect("utf-8 path");
    assert!(rasso(&data, &["import", file]).status.success());

    let listed = rasso(&data, &["link", "list", "--case", "exampleshire/A-1"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let out = text(&listed.stdout);
    assert!(
        out.contains("suggested") && out.contains("otherton/B-1"),
        "{out}"
    );
    assert!(out.contains("names_swapped"), "{out}");
    assert!(
        !out.contains("Idris") && !out.contains("Penhal"),
        "no identity in output"
    );

    let bad = rasso(&data, &["link", "list", "--case", "no-slash"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("FORCE/REFERENCE"));

    let confirmed = rasso(
        &data,
        &[
            "link",
            "confirm",
            "1",
            "--reason",
            "custody photographs agree",
        ],
    );
    assert!(confirmed.status.success(), "{}", text(&confirmed.stderr));
    assert!(text(&confirmed.stdout).contains("confirmed"));

    let relinked = rasso(&data, &["link", "--all"]);
    assert!(relinked.status.success(), "{}", text(&relinked.stderr));
    assert!(text(&relinked.stdout).contains("re-linked 2 suspects"));
    let out = text(&rasso(&data, &["link", "list", "--case", "otherton/B-1"]).stdout);
    assert!(
        out.contains("confirmed") && out.contains("exampleshire/A-1"),
        "{out}"
    );

    let report = rasso(
        &data,
        &[
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "csv",
        ],
    );
    assert!(report.status.success(), "{}", text(&report.stderr));
    let csv = text(&report.stdout);
    assert!(
        csv.contains("repeat_suspects,linked_suspects,count,2"),
        "{csv}"
    );
    assert!(
        csv.contains("repeat_suspects,confirmed_links,count,1"),
        "{csv}"
    );

    let verified = rasso(&data, &["audit", "verify"]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
}
