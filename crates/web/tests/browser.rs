//! Browser test in headless Chromium (Node + playwright-core + axe-core from
//! `crates/web/browser/`): every role walks through opening a case, adding people, recording
//! every kind of event with a past date and seeing findings turn met, break-glass, sharing with a
//! partner and the report (see `browser/check.mjs`); axe-core finds no WCAG 2.2 A/AA violations
//! at 1280 px and 320 px, and no page scrolls sideways at 320 px. Screenshots of the case page,
//! the caseload and the report are saved in `target/browser-screenshots/`.
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
async fn every_role_walks_through_the_daily_work() {
    if let Some(reason) = missing() {
        eprintln!("NOTICE: browser tests were NOT run: {reason}");
        println!("NOTICE: browser tests were NOT run: {reason}");
        return;
    }
    let server = common::start().await;
    // Chromium treats localhost as a secure context, so `Secure` `__Host-` cookies work over http.
    let base = server.base.replace("127.0.0.1", "localhost");
    // Screenshots are kept under the workspace's target folder (a CI artefact).
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    let output = tokio::process::Command::new("node")
        .current_dir(browser_dir())
        .arg("check.mjs")
        .arg(&base)
        .arg(common::PASSWORD)
        .arg(&shots)
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
