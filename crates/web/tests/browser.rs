//! Browser test in headless Chromium (Node + playwright-core + axe-core from
//! `crates/web/browser/`): sign in, caseload, case, record that the victim was informed, see the
//! finding turn met; axe-core finds no WCAG 2.2 A/AA violations on the pages visited.
//!
//! Skipped, with a notice printed, when Chromium, Node or the npm packages are missing
//! (`.ci/run` installs them: `apt-get install chromium` and `npm ci` in `crates/web/browser`).

mod common;

use std::path::{Path, PathBuf};

fn missing() -> Option<String> {
    let chromium = std::env::var("RASSO_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ));
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("no `node` on PATH".into());
    }
    if !browser_dir().join("node_modules/playwright-core").exists()
        || !browser_dir().join("node_modules/axe-core").exists()
    {
        return Some("npm packages missing (run `npm ci` in crates/web/browser)".into());
    }
    None
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_record_victim_informed_and_axe() {
    if let Some(reason) = missing() {
        eprintln!("NOTICE: browser tests were NOT run: {reason}");
        println!("NOTICE: browser tests were NOT run: {reason}");
        return;
    }
    let server = common::start().await;
    // Chromium treats localhost as a secure context, so `Secure` `__Host-` cookies work over http.
    let base = server.base.replace("127.0.0.1", "localhost");
    let output = tokio::process::Command::new("node")
        .current_dir(browser_dir())
        .arg("check.mjs")
        .arg(&base)
        .arg("inv")
        .arg(common::PASSWORD)
        .arg("/cases/testshire/TS-1")
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
}
