//! The validator refuses each kind of bad content with a message naming the file, line and field;
//! plugin folders load with the same checks and are marked local.

use chrono::NaiveDate;
use guidance::{Loader, Origin, Problem, Role, Severity, Viewer};

fn local() -> Origin {
    Origin::Local {
        source: "exampleshire".to_owned(),
    }
}

/// A valid page with `id`, front matter lines replaced by `edit`.
fn page(id: &str, edit: impl Fn(String) -> String) -> String {
    edit(format!(
        "+++
id = \"{id}\"
title = \"Local SARC referral\"
summary = \"How to refer to the Exampleshire SARC.\"
roles = [\"first_responder\", \"investigator\"]
stages = [\"first_response\"]
rules = []
sources = [
  {{ title = \"NHS England: SARCs\", url = \"https://www.england.nhs.uk/\" }},
]
version = 1
reviewed = 2026-06-01
+++
Call the SARC first [1]. See [ISVAs](page:support/isva).
"
    ))
}

/// Loads national content plus one local file; returns the problems.
fn problems(relative: &str, text: &str) -> Vec<Problem> {
    let (_, report) = Loader::new()
        .today(NaiveDate::from_ymd_opt(2026, 11, 29).expect("date"))
        .add_embedded()
        .add_text(local(), relative, text)
        .load();
    report.problems
}

fn only_error(problems: &[Problem]) -> &Problem {
    let errors: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{problems:#?}");
    errors[0]
}

#[test]
fn a_valid_local_page_loads_and_is_marked_local() {
    let text = page("local/exampleshire/sarc", |t| t);
    let (library, report) = Loader::new()
        .add_embedded()
        .add_text(local(), "pages/local/exampleshire/sarc.md", &text)
        .load();
    assert!(!report.has_errors(), "{report}");
    let page = library
        .page("local/exampleshire/sarc", Viewer::new(Role::Investigator))
        .expect("loaded");
    assert!(page.is_local());
    assert!(
        !library
            .page("support/isva", Viewer::public())
            .expect("national")
            .is_local()
    );
}

#[test]
fn missing_id() {
    let text = page("local/a", |t| t.replace("id = \"local/a\"\n", ""));
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert!(error.message.contains("missing field `id`"), "{error}");
    assert_eq!(error.file, "pages/local/a.md");
}

#[test]
fn duplicate_id_with_a_national_page() {
    let text = page("support/isva", |t| t);
    let problems = problems("pages/support/isva.md", &text);
    let error = only_error(&problems);
    assert!(
        error.message.contains("duplicate page id `support/isva`"),
        "{error}"
    );
    assert_eq!(error.field.as_deref(), Some("id"));
    assert_eq!(error.line, Some(2));
}

#[test]
fn id_must_match_the_path() {
    let text = page("local/a", |t| t);
    let error = only_error(&problems("pages/local/b.md", &text)).clone();
    assert!(error.message.contains("expected `local/b`"), "{error}");
}

#[test]
fn unknown_role() {
    let text = page("local/a", |t| {
        t.replace("\"investigator\"]", "\"detective\"]")
    });
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert!(
        error.message.contains("unknown variant `detective`"),
        "{error}"
    );
    assert_eq!(error.line, Some(5), "{error}");
    assert_eq!(error.field.as_deref(), Some("roles"));
    assert_eq!(
        error.to_string(),
        format!("pages/local/a.md:5: error: roles: {}", error.message)
    );
}

#[test]
fn unknown_stage() {
    let text = page("local/a", |t| {
        t.replace("[\"first_response\"]", "[\"arrest\"]")
    });
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert!(
        error.message.contains("unknown variant `arrest`"),
        "{error}"
    );
    assert_eq!(error.line, Some(6));
    assert_eq!(error.field.as_deref(), Some("stages"));
}

#[test]
fn page_without_sources() {
    let text = page("local/a", |t| {
        t.replace(
            "sources = [\n  { title = \"NHS England: SARCs\", url = \"https://www.england.nhs.uk/\" },\n]\n",
            "",
        )
        .replace(" [1]", "")
    });
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert_eq!(error.field.as_deref(), Some("sources"));
    assert!(
        error.message.contains("at least one public source"),
        "{error}"
    );
}

#[test]
fn citation_without_a_source() {
    let text = page("local/a", |t| t.replace("first [1]", "first [2]"));
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert!(
        error.message.contains("citation [2] has no source"),
        "{error}"
    );
    assert_eq!(error.line, Some(14));
}

#[test]
fn broken_internal_link() {
    let text = page("local/a", |t| {
        t.replace("page:support/isva", "page:support/nowhere")
    });
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert!(
        error
            .message
            .contains("broken internal link to `page:support/nowhere`"),
        "{error}"
    );
    assert_eq!(error.line, Some(14));
}

#[test]
fn page_naming_an_unknown_rule() {
    let text = page("local/a", |t| {
        t.replace("rules = []", "rules = [\"VC-NOPE\"]")
    });
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert!(
        error.message.contains("unknown rule id `VC-NOPE`"),
        "{error}"
    );
    assert_eq!(error.line, Some(7));
}

#[test]
fn plugin_rule_is_known_when_declared_and_then_needs_a_page() {
    let text = page("local/a", |t| {
        t.replace("rules = []", "rules = [\"EXS-LOCAL-REF\"]")
    });
    let (_, report) = Loader::new()
        .known_rules(["EXS-LOCAL-REF".to_owned()])
        .add_embedded()
        .add_text(local(), "pages/local/a.md", &text)
        .load();
    assert!(!report.has_errors(), "{report}");
    let (_, report) = Loader::new()
        .known_rules(["EXS-OTHER".to_owned()])
        .add_embedded()
        .load();
    assert!(
        report
            .errors()
            .any(|p| p.message.contains("rule EXS-OTHER has no page")),
        "{report}"
    );
}

#[test]
fn a_rule_with_no_page() {
    // Only some national pages: the rules whose pages are missing are reported.
    let text = page("local/a", |t| t);
    let (_, report) = Loader::new()
        .add_text(
            Origin::National,
            "pages/local/a.md",
            &text.replace("page:support/isva", "page:local/a"),
        )
        .load();
    let missing: Vec<&Problem> = report
        .errors()
        .filter(|p| p.message.contains("has no page"))
        .collect();
    assert_eq!(
        missing.len(),
        domain::rules::NATIONAL_GUIDANCE.len(),
        "{report}"
    );
    assert!(
        missing.iter().any(|p| p
            .message
            .contains("rule BAIL-PERIOD has no page: expected `pages/suspect/pre-charge-bail.md`"))
    );
}

#[test]
fn a_rule_page_must_list_its_rule() {
    let loader = Loader::new();
    // Replace the national ISVA page with one that forgets its rule.
    let text = page("support/isva", |t| t);
    let (_, report) = loader
        .add_text(Origin::National, "pages/support/isva.md", &text)
        .load();
    assert!(
        report.errors().any(|p| p
            .message
            .contains("the page for rule ISVA-OFFER must list it")),
        "{report}"
    );
}

#[test]
fn page_past_its_review_date_is_a_warning() {
    let text = page("local/a", |t| {
        t.replace("reviewed = 2026-06-01", "reviewed = 2025-06-01")
    });
    let problems = problems("pages/local/a.md", &text);
    assert!(
        problems.iter().all(|p| p.severity == Severity::Warning),
        "{problems:#?}"
    );
    let warning = problems
        .iter()
        .find(|p| p.field.as_deref() == Some("reviewed"))
        .expect("a warning");
    assert!(warning.message.contains("more than a year"), "{warning}");
    assert_eq!(warning.line, Some(12));
}

#[test]
fn bad_toml_names_the_line() {
    let text = page("local/a", |t| t.replace("version = 1", "version = one"));
    let problems = problems("pages/local/a.md", &text);
    let error = only_error(&problems);
    assert_eq!(error.line, Some(11), "{error}");
}

#[test]
fn missing_front_matter() {
    let problems = problems("pages/local/a.md", "# Just markdown\n");
    let error = only_error(&problems);
    assert_eq!(error.line, Some(1));
    assert!(error.message.contains("+++"), "{error}");
}

#[test]
fn signpost_problems() {
    let text = "[[signpost]]
id = \"local-sarc\"
title = \"Exampleshire SARC\"
url = \"https://sarc.example.invalid/\"
summary = \"Open all hours.\"
audience = [\"first_responder\"]
contact = \"0100 000 0000\"
when = { stages = [\"first_response\"] }

[[signpost]]
id = \"local-sarc\"
title = \"Again\"
url = \"https://again.example.invalid/\"
summary = \"Wrong.\"
audience = [\"first_responder\"]
when = { rules = [\"NOPE\"] }

[[signpost]]
id = \"never\"
title = \"Never shown\"
url = \"http://insecure.example.invalid/\"
summary = \"No conditions.\"
audience = [\"partner\"]
when = {}
";
    let problems = problems("signposts.toml", text);
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        messages.iter().any(|m| m.contains("needs an https://")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("never applies")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("signposts.toml:11: error: id: duplicate signpost id `local-sarc`")),
        "{messages:#?}"
    );
    let unknown = problems
        .iter()
        .find(|p| p.message.contains("unknown rule id `NOPE`"))
        .expect("unknown rule");
    assert_eq!(unknown.line, Some(11));
}

#[test]
fn signpost_with_unknown_audience_names_the_line() {
    let text = "[[signpost]]\nid = \"x\"\ntitle = \"X\"\nurl = \"https://x.example.invalid/\"\nsummary = \"X\"\naudience = [\"chief\"]\nwhen = { always = true }\n";
    let problems = problems("signposts.toml", text);
    let error = only_error(&problems);
    assert_eq!(error.line, Some(6), "{error}");
    assert!(error.message.contains("unknown variant `chief`"), "{error}");
}

#[test]
fn a_plugin_folder_on_disk_loads_local_pages_and_contacts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("pages/local/exampleshire");
    std::fs::create_dir_all(&pages).expect("mkdir");
    std::fs::write(
        pages.join("sarc.md"),
        page("local/exampleshire/sarc", |t| t),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("signposts.toml"),
        "[[signpost]]\nid = \"exampleshire-sarc\"\ntitle = \"Exampleshire SARC\"\nurl = \"https://sarc.example.invalid/\"\nsummary = \"Referrals any time.\"\naudience = [\"first_responder\", \"investigator\"]\ncontact = \"0100 000 0000\"\nwhen = { stages = [\"first_response\"] }\n",
    )
    .expect("write");
    let (library, report) = Loader::new()
        .add_embedded()
        .add_dir(dir.path(), local())
        .expect("folder reads")
        .load_strict()
        .expect("valid");
    assert!(!report.has_errors());
    let viewer = Viewer::new(Role::FirstResponder);
    assert!(
        library
            .page("local/exampleshire/sarc", viewer)
            .expect("page")
            .is_local()
    );
    let signpost = library
        .all_signposts()
        .iter()
        .find(|s| s.id == "exampleshire-sarc")
        .expect("signpost");
    assert!(signpost.origin.is_local());
    assert_eq!(signpost.contact.as_deref(), Some("0100 000 0000"));

    // A broken page in the folder fails the whole load, naming the file.
    std::fs::write(
        pages.join("bad.md"),
        page("local/exampleshire/bad", |t| t.replace("[1]", "[9]")),
    )
    .expect("write");
    let error = Loader::new()
        .add_embedded()
        .add_dir(dir.path(), local())
        .expect("folder reads")
        .load_strict()
        .expect_err("invalid");
    let message = error.to_string();
    assert!(
        message.contains("bad.md:14: error: body: citation [9]"),
        "{message}"
    );
}

#[test]
fn a_missing_folder_is_a_clear_error() {
    let error = Loader::new()
        .add_dir(std::path::Path::new("/nonexistent/rasso-content"), local())
        .expect_err("missing");
    assert!(
        error.to_string().contains("/nonexistent/rasso-content"),
        "{error}"
    );
}
