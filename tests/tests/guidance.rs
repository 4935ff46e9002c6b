//! `rasso guidance` end to end: search, show and context from the binary, with the embedded content
//! and a force's extra content folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The `rasso` binary of this build (target/<profile>/rasso), built if missing.
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("target/<profile>");
    let binary = profile_dir.join("rasso");
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--package", "cli", "--bin", "rasso"])
            .current_dir(root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "could not build the rasso binary");
    }
    binary
}

/// Runs `rasso guidance ARGS` from an empty folder (the content must come from the binary).
fn guidance(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(binary())
        .arg("guidance")
        .args(args)
        .current_dir(dir.path())
        .env_remove("RASSO_LOG")
        .env_remove("RASSO_CONTENT")
        .output()
        .expect("rasso runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn search_finds_bail_conditions_for_an_investigator() {
    let output = guidance(&["search", "bail conditions", "--role", "investigator"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    let first = out.lines().next().expect("a result");
    assert!(first.contains("Bail conditions"), "{out}");
    assert!(
        out.contains("rasso guidance show suspect/bail-conditions"),
        "{out}"
    );
}

#[test]
fn show_renders_a_page_with_its_sources() {
    let output = guidance(&["show", "suspect/pre-charge-bail", "--role", "investigator"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.starts_with("Pre-charge bail"), "{out}");
    assert!(out.contains("Sources\n-------\n[1] "), "{out}");
    assert!(out.contains("https://www.legislation.gov.uk/"), "{out}");
    assert!(
        out.lines()
            .all(|l| l.contains("://") || l.chars().count() <= 80)
    );
}

#[test]
fn partners_never_see_restricted_pages() {
    let output = guidance(&["show", "investigation/plan", "--role", "partner"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("no guidance page `investigation/plan`"));
    let output = guidance(&[
        "search",
        "investigation plan",
        "--role",
        "partner",
        "--limit",
        "50",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(!out.contains("investigation/plan"), "{out}");
    assert!(!out.contains("(restricted"), "{out}");
    let output = guidance(&["show", "investigation/plan", "--role", "supervisor"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("RESTRICTED: police personnel only"));
}

#[test]
fn bad_input_is_a_clear_error() {
    let output = guidance(&["search", "bail", "--role", "detective"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("unknown role `detective`"));
    let output = guidance(&["search", "\"\"", "--role", "investigator"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("no words to search for"));
    let output = guidance(&["search", "NEAR(bail \"", "--role", "investigator"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn context_for_a_case_abroad_shows_the_checklist_and_signpost() {
    let output = guidance(&[
        "context",
        "--stage",
        "report",
        "--finding",
        "JUR-ABROAD",
        "--country",
        "ES",
        "--role",
        "first_responder",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains("JUR-ABROAD"), "{out}");
    assert!(out.contains("[offences-abroad/actions]"), "{out}");
    assert!(
        out.contains("Actions for offences committed abroad"),
        "{out}"
    );
}

#[test]
fn a_force_content_folder_adds_local_pages_and_is_validated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("pages/local/exampleshire");
    std::fs::create_dir_all(&pages).expect("mkdir");
    let page = "+++
id = \"local/exampleshire/sarc\"
title = \"Exampleshire SARC referrals\"
summary = \"How to refer a victim to the Exampleshire sexual assault referral centre.\"
roles = [\"first_responder\", \"investigator\"]
stages = [\"first_response\"]
sources = [
  { title = \"NHS England: sexual assault referral centres\", url = \"https://www.england.nhs.uk/\" },
]
version = 1
reviewed = 2026-11-01
+++
Phone the centre before you travel [1]. See [SARCs](page:support/sarc).
";
    std::fs::write(pages.join("sarc.md"), page).expect("write");
    let folder = dir.path().display().to_string();
    let output = guidance(&[
        "search",
        "Exampleshire",
        "--content",
        &folder,
        "--role",
        "first_responder",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains("Exampleshire SARC referrals (local)"), "{out}");

    std::fs::write(
        pages.join("sarc.md"),
        page.replace("page:support/sarc", "page:support/nowhere"),
    )
    .expect("write");
    let output = guidance(&["search", "Exampleshire", "--content", &folder]);
    assert!(!output.status.success());
    let err = text(&output.stderr);
    assert!(
        err.contains("sarc.md:13: error: body: broken internal link"),
        "{err}"
    );
}
