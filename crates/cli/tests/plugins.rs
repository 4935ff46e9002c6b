//! `rasso check`, `rasso plugin list` and `rasso plugin verify` with real, signed plugins. The
//! plugin libraries are built by the test itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ed25519_dalek::SigningKey;
use plugin_host::dev::{library_name, source_dir, test_libraries};
use plugin_host::signing::{PublicKey, parse_secret_key, sign_folder};

struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn assemble(dir: &Path, package: &str, source: &Path, key: &SigningKey) -> PathBuf {
    let libraries = test_libraries().expect("plugins build");
    let out = dir.join("dist").join(source.file_name().expect("name"));
    plugin_host::package::assemble(source, Some(&libraries.join(library_name(package))), &out)
        .expect("assemble");
    sign_folder(&out, key).expect("sign");
    out
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = parse_secret_key(&[42u8; 32]).expect("key");
    assemble(dir.path(), "northmoor", &source_dir("northmoor"), &key);
    assemble(
        dir.path(),
        "eastvale-content",
        &source_dir("eastvale-content"),
        &key,
    );
    // A plugin for Northmoor's cases that panics: `rasso check` must go on without it.
    let panicky = dir.path().join("src/panicky");
    std::fs::create_dir_all(&panicky).expect("mkdir");
    std::fs::write(
        panicky.join("plugin.toml"),
        "name = \"panicky\"\nversion = \"0.1.0\"\nforce = \"northmoor\"\ncapabilities = [\"rules\"]\nrules = [\"FX-RULE\"]\n",
    )
    .expect("manifest");
    assemble(dir.path(), "fixture-misbehave", &panicky, &key);
    let config = dir.path().join("plugins.toml");
    std::fs::write(
        &config,
        format!(
            "trusted_keys = [\"{}\"]\n\n\
             [[plugin]]\nname = \"northmoor\"\npath = \"dist/northmoor\"\n\n\
             [[plugin]]\nname = \"eastvale-content\"\npath = \"dist/eastvale-content\"\n\n\
             [[plugin]]\nname = \"panicky\"\npath = \"dist/panicky\"\n\
             [plugin.config]\nname = \"panicky\"\nmode = \"panic\"\n",
            PublicKey(key.verifying_key()).to_hex()
        ),
    )
    .expect("config");
    Setup { dir, config }
}

fn rasso(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rasso"))
        .args(args)
        .env("RASSO_OPERATOR", "test-operator")
        .output()
        .expect("rasso runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const CASE: &str = r#"{"case":"NM-2026-000042","force":"northmoor","at":"2026-03-02T09:00:00Z","kind":"report_received","offences":["SOA2003-s1"]}
{"case":"NM-2026-000042","force":"northmoor","at":"2026-03-02T09:05:00Z","kind":"person_added","person":"V1","role":"victim","identity":{"given_name":"Morwenna","family_name":"Trelawny"}}
{"case":"NM-2026-000042","force":"northmoor","at":"2026-03-02T10:00:00Z","kind":"officer_allocated","officer":"5512","role":"oic"}
{"case":"NM-2026-000042","force":"northmoor","at":"2026-03-04T08:00:00Z","kind":"supervisor_review","officer":"9001"}
"#;

#[test]
fn check_merges_plugin_findings_and_policies_and_survives_a_panicking_plugin() {
    let setup = setup();
    let input = setup.dir.path().join("case.jsonl");
    std::fs::write(&input, CASE).expect("input");
    let output = rasso(&[
        "check",
        "--input",
        input.to_str().expect("utf-8"),
        "--now",
        "2026-03-20T12:00:00Z",
        "--format",
        "json",
        "--plugins-config",
        setup.config.to_str().expect("utf-8"),
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let findings: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("a JSON array");
    let rule = |id: &str| {
        findings
            .iter()
            .find(|finding| finding["rule"] == id)
            .unwrap_or_else(|| panic!("no {id} finding in {findings:?}"))
    };
    assert_eq!(rule("NM-SUP-24H")["status"], "met_late");
    assert_eq!(
        rule("NM-SUP-24H")["guidance"],
        "northmoor/supervisor-review-24h"
    );
    // Northmoor's policy: the next supervisor review 14 days after the last (national: 28).
    assert_eq!(rule("SUP-REVIEW")["due_by"], "2026-03-18T23:59:59+00:00");
    assert_eq!(rule("SUP-REVIEW")["status"], "overdue");
    assert!(findings.iter().all(|finding| finding["rule"] != "FX-RULE"));
    assert!(
        stderr.contains("warning: plugin `panicky` was disabled: panicked during `rules`"),
        "{stderr}"
    );
    assert!(!stderr.contains("Morwenna") && !text(&output.stdout).contains("Morwenna"));
}

#[test]
fn check_reports_what_a_plugin_validator_refuses_as_file_line_field() {
    let setup = setup();
    let input = setup.dir.path().join("bad.jsonl");
    std::fs::write(&input, CASE.replace("NM-2026-000042", "NM-42")).expect("input");
    let output = rasso(&[
        "check",
        "--input",
        input.to_str().expect("utf-8"),
        "--plugins-config",
        setup.config.to_str().expect("utf-8"),
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    let expected = format!(
        "{}:1: field `case`: `NM-42` is not a Northmoor case reference",
        input.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("(plugin `northmoor`)"), "{stderr}");
}

#[test]
fn plugin_list_shows_what_is_loaded_verified_and_enabled() {
    let setup = setup();
    let output = rasso(&[
        "plugin",
        "list",
        "--plugins-config",
        setup.config.to_str().expect("utf-8"),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains("northmoor 0.1.0 (native, ABI 2)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reads:     report_received, supervisor_review"),
        "{stdout}"
    );
    assert!(
        stdout.contains("panicky 0.1.0 (native, ABI 1)"),
        "an ABI 1 plugin still loads: {stdout}"
    );
    assert!(stdout.contains("verified:  signed by"), "{stdout}");
    assert!(stdout.contains("state:     enabled"), "{stdout}");
    assert!(stdout.contains("rule:      NM-SUP-24H"), "{stdout}");
    assert!(
        stdout.contains("import:    northmoor-moorlog-csv"),
        "{stdout}"
    );
    assert!(
        stdout.contains("export:    eastvale-partnership-csv"),
        "{stdout}"
    );
    assert!(
        stdout.contains("page:      eastvale-content/sarc"),
        "{stdout}"
    );
}

#[test]
fn plugin_verify_checks_folders_without_running_them() {
    let setup = setup();
    let config = setup.config.to_str().expect("utf-8");
    let northmoor = setup.dir.path().join("dist/northmoor");
    let output = rasso(&[
        "plugin",
        "verify",
        "--plugins-config",
        config,
        northmoor.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("ok: `northmoor` 0.1.0 (signed by"));

    // A folder the configuration does not name is refused.
    let unlisted = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        unlisted.path().join("plugin.toml"),
        "name = \"stranger\"\nversion = \"1\"\nforce = \"x\"\ncapabilities = [\"content\"]\ncontent = \"c\"\n",
    )
    .expect("manifest");
    let output = rasso(&[
        "plugin",
        "verify",
        "--plugins-config",
        config,
        unlisted.path().to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    assert!(text(&output.stdout).contains("REFUSED: not named in the plugins configuration"));
}

#[test]
fn plugin_convert_turns_a_records_system_export_into_interchange_that_check_reads() {
    let setup = setup();
    let config = setup.config.to_str().expect("utf-8");
    let csv = setup.dir.path().join("moorlog.csv");
    std::fs::write(
        &csv,
        "entry,ref,occurred,event,person,detail\n\
         1,NM-2026-000300,30/03/2026 22:40,REPORT,,SOA2003-s1\n\
         2,NM-2026-000300,30/03/2026 22:45,VICTIM,V1,\n\
         3,NM-2026-000300,31/03/2026 09:30,SUP_REVIEW,,9001\n",
    )
    .expect("csv");
    let output = rasso(&[
        "plugin",
        "convert",
        "--plugins-config",
        config,
        "--format",
        "northmoor-moorlog-csv",
        "--input",
        csv.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lines = text(&output.stdout);
    assert_eq!(lines.lines().count(), 3, "{lines}");
    assert!(
        lines.contains(r#""at":"2026-03-30T22:40:00+01:00""#),
        "{lines}"
    );
    let events = setup.dir.path().join("events.jsonl");
    std::fs::write(&events, &lines).expect("events");
    let output = rasso(&[
        "check",
        "--input",
        events.to_str().expect("utf-8"),
        "--now",
        "2026-04-02T00:00:00Z",
        "--format",
        "json",
        "--plugins-config",
        config,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("json");
    let local = findings
        .iter()
        .find(|finding| finding["rule"] == "NM-SUP-24H")
        .expect("local rule");
    assert_eq!(local["status"], "met");

    std::fs::write(
        &csv,
        "entry,ref,occurred,event,person,detail\n1,NM-2026-000300,31/02/2026 09:00,REPORT,,\n",
    )
    .expect("csv");
    let output = rasso(&[
        "plugin",
        "convert",
        "--plugins-config",
        config,
        "--format",
        "northmoor-moorlog-csv",
        "--input",
        csv.to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("line 2: column `occurred`"),
        "{}",
        text(&output.stderr)
    );
    assert!(
        output.stdout.is_empty(),
        "nothing is written from a bad file"
    );
}

#[test]
fn a_plugin_exporter_is_an_extra_report_format() {
    let setup = setup();
    let input = setup.dir.path().join("cases.jsonl");
    std::fs::write(&input, CASE).expect("input");
    let output = rasso(&[
        "report",
        "--input",
        input.to_str().expect("utf-8"),
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--as-of",
        "2026-06-01T00:00:00Z",
        "--plugins-config",
        setup.config.to_str().expect("utf-8"),
        "--format",
        "eastvale-partnership-csv",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let csv = text(&output.stdout);
    assert!(csv.starts_with("rule,status,count\n"), "{csv}");
    assert!(csv.contains("SUP-REVIEW,overdue,1\n"), "{csv}");
    let unknown = rasso(&[
        "report",
        "--input",
        input.to_str().expect("utf-8"),
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--plugins-config",
        setup.config.to_str().expect("utf-8"),
        "--format",
        "spreadsheet",
    ]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("unknown format `spreadsheet`"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn import_uses_plugin_importers_and_validators() {
    let setup = setup();
    let config = setup.config.to_str().expect("utf-8");
    let data = setup.dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    let csv = format!(
        "{}/../../examples/northmoor-moorlog.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = rasso(&[
        "import",
        &csv,
        "--format",
        "northmoor-moorlog-csv",
        "--plugins-config",
        config,
        "--data",
        data,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("into 1 cases"),
        "{}",
        text(&output.stdout)
    );
    let exported = rasso(&["export", "--data", data]);
    assert!(text(&exported.stdout).contains("NM-2026-000201"));

    // A case reference Northmoor's validator refuses: reported as FILE:LINE, nothing stored.
    let bad = setup.dir.path().join("bad.jsonl");
    std::fs::write(&bad, CASE.replace("NM-2026-000042", "NM-42")).expect("input");
    let fresh = setup.dir.path().join("fresh");
    let output = rasso(&[
        "import",
        bad.to_str().expect("utf-8"),
        "--plugins-config",
        config,
        "--data",
        fresh.to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:1: field `case`: `NM-42` is not a Northmoor case reference",
            bad.display()
        )),
        "{stderr}"
    );
    assert!(
        !fresh.join("rasso.db").exists(),
        "a refused file creates nothing"
    );

    // An unknown format is refused by name.
    let output = rasso(&[
        "import",
        &csv,
        "--format",
        "niche-xml",
        "--plugins-config",
        config,
        "--data",
        data,
    ]);
    assert!(
        text(&output.stderr).contains("unknown import format `niche-xml`"),
        "{}",
        text(&output.stderr)
    );
}

/// A configuration with Northmoor only.
fn northmoor_only(setup: &Setup) -> PathBuf {
    let config = setup.dir.path().join("northmoor-only.toml");
    let full = std::fs::read_to_string(&setup.config).expect("config");
    let trusted = full.lines().next().expect("trusted keys line");
    std::fs::write(
        &config,
        format!("{trusted}\n\n[[plugin]]\nname = \"northmoor\"\npath = \"dist/northmoor\"\n"),
    )
    .expect("config");
    config
}

#[test]
fn reports_count_and_name_plugin_rules_from_facts_taken_with_the_plugins() {
    let setup = setup();
    let config = northmoor_only(&setup);
    let config = config.to_str().expect("utf-8");
    let input = setup.dir.path().join("case.jsonl");
    std::fs::write(&input, CASE).expect("input");
    let input = input.to_str().expect("utf-8");
    let data = setup.dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    let output = rasso(&["import", input, "--data", data, "--plugins-config", config]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    // A report that cannot use the stored facts says so (a warning on standard error).
    const FULL: &str = "evaluating every case";
    let report_and_log = |extra: &[&str]| -> (serde_json::Value, String) {
        let mut args = vec![
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--as-of",
            "2026-03-20T12:00:00Z",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let output = rasso(&args);
        assert!(output.status.success(), "{}", text(&output.stderr));
        (
            serde_json::from_slice(&output.stdout).expect("JSON report"),
            text(&output.stderr),
        )
    };
    let report = |extra: &[&str]| report_and_log(extra).0;
    let (stored, log) = report_and_log(&["--data", data, "--plugins-config", config]);
    assert!(
        !log.contains(FULL),
        "read from the facts taken on import: {log}"
    );
    let plugins = stored["plugins"]
        .as_array()
        .expect("the report names its plugins");
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0]["name"], "northmoor");
    assert_eq!(plugins[0]["version"], "0.1.0");
    assert_eq!(plugins[0]["rules"], serde_json::json!(["NM-SUP-24H"]));
    assert_eq!(
        plugins[0]["signature"].as_str().map(str::len),
        Some(128),
        "an ed25519 signature, hex"
    );
    let rule = stored["compliance"]
        .as_array()
        .and_then(|rules| rules.iter().find(|rule| rule["rule"] == "NM-SUP-24H"))
        .expect("the plugin's rule is counted");
    assert_eq!(
        (rule["instances"].clone(), rule["met_late"].clone()),
        (1.into(), 1.into())
    );
    // The same figures as evaluating the file in full with the plugins.
    let evaluated = report(&["--input", input, "--plugins-config", config]);
    assert_eq!(stored["compliance"], evaluated["compliance"]);
    assert_eq!(stored["plugins"], evaluated["plugins"]);
    // Without the plugins: national rules only, and no plugin named; the facts (taken with the
    // plugin) are not used.
    let (national, log) = report_and_log(&["--data", data]);
    assert!(log.contains(FULL), "{log}");
    assert!(national.get("plugins").is_none(), "{national}");
    assert!(
        national["compliance"]
            .as_array()
            .is_some_and(|rules| rules.iter().all(|rule| rule["rule"] != "NM-SUP-24H"))
    );
    let csv = rasso(&[
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--as-of",
        "2026-03-20T12:00:00Z",
        "--format",
        "csv",
        "--data",
        data,
        "--plugins-config",
        config,
    ]);
    assert!(
        text(&csv.stdout).contains("plugins,northmoor,rule,NM-SUP-24H"),
        "{}",
        text(&csv.stdout)
    );
    // An import without the plugins writes facts without their findings: the facts are stale
    // until they are rebuilt with the plugins.
    let more = setup.dir.path().join("more.jsonl");
    std::fs::write(&more, CASE.replace("NM-2026-000042", "NM-2026-000043")).expect("input");
    let output = rasso(&["import", more.to_str().expect("utf-8"), "--data", data]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (stale, log) = report_and_log(&["--data", data, "--plugins-config", config]);
    assert!(log.contains(FULL), "{log}");
    let output = rasso(&[
        "report",
        "rebuild-facts",
        "--data",
        data,
        "--plugins-config",
        config,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (rebuilt, log) = report_and_log(&["--data", data, "--plugins-config", config]);
    assert!(!log.contains(FULL), "{log}");
    assert_eq!(rebuilt, stale, "the same figures from the rebuilt facts");
    assert_eq!(rebuilt["cases"], 2);
}
