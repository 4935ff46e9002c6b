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
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rasso");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
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
        &["user", "add", "4471", "--role", "investigator"],
        "a long enough password\n",
    );
    assert!(!again.status.success());
    let bad_role = rasso(
        &data,
        &["user", "add", "4472", "--role", "chief"],
        "a long enough password\n",
    );
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("--role"));
    let short = rasso(
        &data,
        &["user", "add", "4473", "--role", "leader"],
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
