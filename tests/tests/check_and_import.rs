//! `rasso check` and `rasso import` run one validation: a file `check` accepts imports, and a
//! file `import` refuses is refused by `check` with the same `FILE:LINE` errors; a refused
//! import stores nothing; no error ever prints an identity value.

use std::path::Path;

use tests::{rasso, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path.display().to_string()
}

fn event(case: &str, extra: serde_json::Value) -> String {
    let mut object =
        serde_json::json!({"case": case, "force": "exampleshire", "at": "2026-03-02T09:00:00Z"});
    if let (Some(target), serde_json::Value::Object(extra)) = (object.as_object_mut(), extra) {
        target.extend(extra);
    }
    object.to_string()
}

/// A valid case of `n` notes, each line with its own id.
fn case_lines(case: &str, notes: usize) -> Vec<String> {
    let mut lines = vec![
        event(
            case,
            serde_json::json!({"kind": "report_received", "channel": "101", "offences": ["SOA2003-s1"]}),
        ),
        event(
            case,
            serde_json::json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": {"given_name": "Ottoline", "family_name": "Brackenbury"}}),
        ),
    ];
    for n in 0..notes {
        lines.push(event(
            case,
            serde_json::json!({"kind": "note", "id": format!("{case}-n{n}"), "text": format!("note {n}")}),
        ));
    }
    lines
}

fn import(dir: &Path, data: &Path, file: &str) -> std::process::Output {
    rasso(
        dir,
        &["import", file, "--data", &data.display().to_string()],
    )
}

fn export(dir: &Path, data: &Path) -> String {
    let output = rasso(dir, &["export", "--data", &data.display().to_string()]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn check_and_import_accept_and_refuse_the_same_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // Thousands of valid events, then (far past the first 2,000) problems that only a look across
    // lines finds: an id used again in its case for other content, a person never added.
    let mut lines: Vec<String> = Vec::new();
    for case in 0..30 {
        lines.extend(case_lines(&format!("EX-{case}"), 100));
    }
    let good = write(dir.path(), "good.jsonl", &lines.join("\n"));
    lines.push(event(
        "EX-29",
        serde_json::json!({"kind": "note", "id": "EX-29-n5", "text": "rewritten"}),
    ));
    lines.push(event(
        "EX-29",
        serde_json::json!({"kind": "needs_assessment", "person": "V7"}),
    ));
    let bad = write(dir.path(), "bad.jsonl", &lines.join("\n"));
    let total = lines.len();

    let checked = rasso(
        dir.path(),
        &["check", "--input", &bad, "--now", "2026-06-01T12:00:00Z"],
    );
    let imported = import(dir.path(), &data, &bad);
    assert!(!checked.status.success() && !imported.status.success());
    let errors = |output: &std::process::Output| -> Vec<String> {
        stderr(output)
            .lines()
            .filter(|line| {
                line.strip_prefix(&format!("{bad}:"))
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        errors(&checked),
        errors(&imported),
        "the same errors from both"
    );
    assert_eq!(errors(&checked).len(), 2, "{}", stderr(&checked));
    assert!(errors(&checked)[0].contains(&format!(":{}: field `id`", total - 1)));
    assert!(errors(&checked)[1].contains(&format!(":{total}: field `person`")));
    // Nothing of the refused file was stored: not even the store was created.
    assert!(!data.join("rasso.db").exists());

    // The good file passes both, and is stored whole.
    let checked = rasso(
        dir.path(),
        &["check", "--input", &good, "--now", "2026-06-01T12:00:00Z"],
    );
    assert!(checked.status.success(), "{}", stderr(&checked));
    let imported = import(dir.path(), &data, &good);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let stored = export(dir.path(), &data);
    assert_eq!(stored.lines().count(), 30 * 102);
    // The bad file against the store is still refused, and changes nothing.
    let again = import(dir.path(), &data, &bad);
    assert!(!again.status.success());
    assert_eq!(export(dir.path(), &data), stored);
    // A file that only the store can refuse: thousands of new events, then a stored event's id
    // used for something else. It is refused before anything of it is stored.
    let mut late: Vec<String> = Vec::new();
    for case in 30..60 {
        late.extend(case_lines(&format!("EX-{case}"), 100));
    }
    late.push(event(
        "EX-3",
        serde_json::json!({"kind": "note", "id": "EX-3-n5", "text": "not what was stored"}),
    ));
    let late_file = write(dir.path(), "late.jsonl", &late.join("\n"));
    let refused = import(dir.path(), &data, &late_file);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains(&format!("{late_file}:{}: field `id`", late.len())),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        export(dir.path(), &data),
        stored,
        "nothing of the refused file stored"
    );
    // Sent again as it was (a re-run), the good file changes nothing.
    let rerun = import(dir.path(), &data, &good);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert_eq!(export(dir.path(), &data), stored);
}

#[test]
fn errors_never_print_identity_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let lines = [
        event(
            "EX-1",
            serde_json::json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": {"given_name": "Ottoline", "aliases": "Ottoline Brackenbury-Vane"}}),
        ),
        event(
            "EX-1",
            serde_json::json!({"kind": "person_added", "person": "S1", "role": "suspect", "identity": "Quillon Marchbanks"}),
        ),
    ];
    let file = write(dir.path(), "identity.jsonl", &lines.join("\n"));
    for output in [
        rasso(dir.path(), &["check", "--input", &file]),
        import(dir.path(), &data, &file),
    ] {
        assert!(!output.status.success());
        let shown = format!("{}{}", stdout(&output), stderr(&output));
        assert!(shown.contains(":1: field `identity.aliases`"), "{shown}");
        assert!(shown.contains(":2: field `identity`"), "{shown}");
        for name in ["Ottoline", "Brackenbury", "Quillon", "Marchbanks"] {
            assert!(!shown.contains(name), "{name} printed: {shown}");
        }
    }
}

#[test]
fn oversized_input_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let long_note = event(
        "EX-1",
        serde_json::json!({"kind": "note", "text": "z".repeat(4096)}),
    );
    let file = write(dir.path(), "long.jsonl", &long_note);
    for output in [
        rasso(
            dir.path(),
            &["check", "--input", &file, "--max-line-bytes", "1024"],
        ),
        rasso(
            dir.path(),
            &[
                "import",
                &file,
                "--max-line-bytes",
                "1024",
                "--data",
                &data.display().to_string(),
            ],
        ),
    ] {
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains(":1: the line is longer than 1024 bytes"),
            "{}",
            stderr(&output)
        );
    }
    let output = rasso(
        dir.path(),
        &["check", "--input", &file, "--max-input-bytes", "100"],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("larger than 100 bytes"),
        "{}",
        stderr(&output)
    );
    let reference = event(
        &"R".repeat(65),
        serde_json::json!({"kind": "note", "text": "x"}),
    );
    let file = write(dir.path(), "reference.jsonl", &reference);
    let output = rasso(dir.path(), &["check", "--input", &file]);
    assert!(
        stderr(&output).contains(":1: field `case`: is 65 bytes long; at most 64"),
        "{}",
        stderr(&output)
    );
    assert!(!data.join("rasso.db").exists());
}
