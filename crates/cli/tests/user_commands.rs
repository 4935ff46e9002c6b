//! `rasso user add|list|disable` end to end on a temporary data directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn rasso(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rasso"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("RASSO_MASTER_KEY")
        .env_remove("RASSO_MASTER_KEY_FILE")
        .env_remove("RASSO_AUDIT_KEY")
        .env_remove("RASSO_AUDIT_KEY_FILE")
        .env_remove("RASSO_DATABASE")
        .env("RASSO_OPERATOR", "test-operator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rasso");
    // A command refused for its arguments exits without reading its input; writing to it then
    // fails with a broken pipe if it has already gone, which is the refusal the test looks for,
    // not a failure of the test (it made this test fail now and then).
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    if let Err(error) = written {
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing to rasso: {error}"
        );
    }
    child.wait_with_output().expect("wait")
}

#[test]
fn add_list_disable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let added = rasso(
        &data,
        &[
            "user",
            "add",
            "4471",
            "--role",
            "investigator",
            "--name",
            "Test Officer",
            "--force",
            "exampleshire",
        ],
        "a long enough password\n",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let again = rasso(
        &data,
        &[
            "user",
            "add",
            "4471",
            "--role",
            "investigator",
            "--force",
            "exampleshire",
        ],
        "a long enough password\n",
    );
    assert!(!again.status.success());
    let bad_role = rasso(
        &data,
        &[
            "user",
            "add",
            "4472",
            "--role",
            "chief",
            "--force",
            "exampleshire",
        ],
        "a long enough password\n",
    );
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("--role"));
    let short = rasso(
        &data,
        &[
            "user",
            "add",
            "4473",
            "--role",
            "leader",
            "--force",
            "exampleshire",
        ],
        "short\n",
    );
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12"));
    let list = rasso(&data, &["user", "list"], "");
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(
        listed.contains("4471") && listed.contains("investigator") && !listed.contains("password")
    );
    assert!(!listed.contains("4473"));
    let disabled = rasso(&data, &["user", "disable", "4471"], "");
    assert!(disabled.status.success());
    let list = rasso(&data, &["user", "list"], "");
    assert!(String::from_utf8_lossy(&list.stdout).contains("(disabled)"));
}

/// A user belongs to one force or is explicitly national: `--force` or `--national` is required
/// (an account never becomes national by having no force), `--national` only for roles that may
/// be national, and `set-force` gives an account a force (ending its sessions).
#[test]
fn every_user_has_a_force_or_is_explicitly_national() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let password = "a long enough password\n";
    let neither = rasso(
        &data,
        &["user", "add", "5001", "--role", "investigator"],
        password,
    );
    assert!(!neither.status.success());
    assert!(
        String::from_utf8_lossy(&neither.stderr).contains("--force"),
        "{}",
        String::from_utf8_lossy(&neither.stderr)
    );
    let national_investigator = rasso(
        &data,
        &[
            "user",
            "add",
            "5002",
            "--role",
            "investigator",
            "--national",
        ],
        password,
    );
    assert!(!national_investigator.status.success());
    assert!(
        String::from_utf8_lossy(&national_investigator.stderr).contains("belongs to one force")
    );
    let both = rasso(
        &data,
        &[
            "user",
            "add",
            "5003",
            "--role",
            "analyst",
            "--national",
            "--force",
            "eastvale",
        ],
        password,
    );
    assert!(!both.status.success());
    for args in [
        &["user", "add", "nat-ana", "--role", "analyst", "--national"][..],
        &[
            "user",
            "add",
            "ev-4521",
            "--role",
            "investigator",
            "--force",
            "eastvale",
            "--officer-id",
            "4521",
        ][..],
        // The same officer identifier in another force is another person.
        &[
            "user",
            "add",
            "nm-4521",
            "--role",
            "investigator",
            "--force",
            "northmoor",
            "--officer-id",
            "4521",
        ][..],
    ] {
        let added = rasso(&data, args, password);
        assert!(
            added.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&added.stderr)
        );
    }
    // The same identifier twice in one force is refused.
    let twice = rasso(
        &data,
        &[
            "user",
            "add",
            "ev-again",
            "--role",
            "investigator",
            "--force",
            "eastvale",
            "--officer-id",
            "4521",
        ],
        password,
    );
    assert!(!twice.status.success());
    let moved = rasso(
        &data,
        &["user", "set-force", "nat-ana", "--force", "eastvale"],
        "",
    );
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let list = String::from_utf8_lossy(&rasso(&data, &["user", "list"], "").stdout).into_owned();
    let line = |name: &str| {
        list.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("nat-ana").contains("eastvale"), "{list}");
    assert!(line("nm-4521").contains("northmoor") && line("nm-4521").contains("4521"));
}

/// `set-role` changes a role; an unknown role or user is refused, and a national user keeps only
/// a role that may be national.
#[test]
fn set_role_changes_a_role_within_the_national_rule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let password = "a long enough password\n";
    for args in [
        &["user", "add", "nat-lead", "--role", "leader", "--national"][..],
        &[
            "user",
            "add",
            "ev-1",
            "--role",
            "investigator",
            "--force",
            "eastvale",
        ][..],
    ] {
        assert!(rasso(&data, args, password).status.success(), "{args:?}");
    }
    let promoted = rasso(&data, &["user", "set-role", "ev-1", "supervisor"], "");
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    let list = String::from_utf8_lossy(&rasso(&data, &["user", "list"], "").stdout).into_owned();
    assert!(
        list.lines()
            .any(|l| l.starts_with("ev-1") && l.contains("supervisor")),
        "{list}"
    );
    let national_investigator = rasso(&data, &["user", "set-role", "nat-lead", "investigator"], "");
    assert!(!national_investigator.status.success());
    assert!(
        String::from_utf8_lossy(&national_investigator.stderr).contains("national"),
        "{}",
        String::from_utf8_lossy(&national_investigator.stderr)
    );
    assert!(
        !rasso(&data, &["user", "set-role", "ev-1", "chief"], "")
            .status
            .success()
    );
    assert!(
        !rasso(&data, &["user", "set-role", "nobody", "analyst"], "")
            .status
            .success()
    );
    let list = String::from_utf8_lossy(&rasso(&data, &["user", "list"], "").stdout).into_owned();
    assert!(
        list.lines()
            .any(|l| l.starts_with("nat-lead") && l.contains("leader")),
        "a refused change changes nothing: {list}"
    );
}

/// The audit actor of a command is the configured operator, never the shell's `$USER`; with no
/// operator configured, a command that writes audit records refuses to run.
#[test]
fn the_audit_actor_is_the_configured_operator() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let run = |args: &[&str], operator: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rasso"));
        command
            .args(args)
            .arg("--data")
            .arg(&data)
            .env_remove("RASSO_MASTER_KEY")
            .env_remove("RASSO_MASTER_KEY_FILE")
            .env_remove("RASSO_AUDIT_KEY")
            .env_remove("RASSO_AUDIT_KEY_FILE")
            .env_remove("RASSO_DATABASE")
            .env("USER", "whoever-the-shell-says")
            .env("LOGNAME", "whoever-the-shell-says")
            .env_remove("RASSO_OPERATOR")
            .stdin(Stdio::null());
        if let Some(operator) = operator {
            command.env("RASSO_OPERATOR", operator);
        }
        command.output().expect("run rasso")
    };
    let refused = run(&["user", "list"], None);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--operator"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let bad = run(&["user", "list"], Some("not a name; DROP"));
    assert!(!bad.status.success());
    let listed = run(&["user", "list"], Some("j.okafor"));
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    // The data directory's operator file works too.
    std::fs::write(data.join("operator"), "a.admin\n").expect("operator file");
    assert!(run(&["user", "list"], None).status.success());
    let exported = run(&["export"], Some("j.okafor"));
    assert!(exported.status.success());
    let exported = run(&["export"], None);
    assert!(exported.status.success());
    // The audit log names the operators, never the shell's user.
    let db = data.join("rasso.db");
    let connection = rusqlite::Connection::open(&db).expect("open");
    let mut statement = connection
        .prepare("SELECT DISTINCT actor FROM audit_log")
        .expect("prepare");
    let actors: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .expect("query")
        .map(|actor| actor.expect("actor"))
        .collect();
    assert!(actors.contains(&"cli:j.okafor".to_owned()), "{actors:?}");
    assert!(actors.contains(&"cli:a.admin".to_owned()), "{actors:?}");
    assert!(!actors.iter().any(|a| a.contains("whoever")), "{actors:?}");
}
