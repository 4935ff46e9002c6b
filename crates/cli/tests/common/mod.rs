//! Helpers shared by the store command tests: the real `rasso` binary on a data directory, with no
//! key or database settings inherited from the environment.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The synthetic example cases shipped in the repository.
pub fn demo_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-cases.jsonl")
}

/// Runs `rasso ARGS --data DATA`.
pub fn rasso(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rasso"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("RASSO_MASTER_KEY")
        .env_remove("RASSO_MASTER_KEY_FILE")
        .env_remove("RASSO_AUDIT_KEY")
        .env_remove("RASSO_AUDIT_KEY_FILE")
        .env_remove("RASSO_DATABASE")
        .env_remove("RASSO_APP_ROLE")
        .env("RASSO_LOG", "warn")
        .env("RASSO_OPERATOR", "test-operator")
        .output()
        .expect("run rasso")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON lines of an export, normalised, as a set (export order is not part of the contract).
pub fn json_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .expect("json line")
                .to_string()
        })
        .collect()
}
