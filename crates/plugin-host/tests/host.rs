//! The host end to end: the example plugins load, verify and work; every bad plugin is refused
//! or contained while the host goes on. The plugin libraries are built by the tests themselves
//! (one cargo invocation, shared target folder).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::interchange::parse_record;
use domain::rules::FindingView;
use domain::time::Timescale;
use domain::{Case, RuleSet, Status};
use ed25519_dalek::SigningKey;
use plugin_host::dev::{library_name, source_dir, test_libraries};
use plugin_host::signing::{PublicKey, sign_folder};
use plugin_host::{HostConfig, PluginEntry, PluginHost, PluginState, Problem, Verification};

const TRUSTED_SEED: [u8; 32] = [42; 32];
const UNTRUSTED_SEED: [u8; 32] = [13; 32];

struct Kit {
    dir: tempfile::TempDir,
    key: SigningKey,
    config: HostConfig,
}

impl Kit {
    fn new() -> Self {
        let key = SigningKey::from_bytes(&TRUSTED_SEED);
        Kit {
            dir: tempfile::tempdir().expect("tempdir"),
            config: HostConfig {
                allow_unsigned: false,
                trusted_keys: vec![PublicKey(key.verifying_key())],
                plugins: Vec::new(),
            },
            key,
        }
    }

    /// Assembles a workspace plugin into a signed distribution folder and configures it.
    fn example(&mut self, package: &str) -> PathBuf {
        self.example_as(package, package)
    }

    /// As [`Kit::example`], for a package whose manifest names it `name`.
    fn example_as(&mut self, package: &str, name: &str) -> PathBuf {
        let libraries = test_libraries().expect("plugins build");
        let out = self.dir.path().join("dist").join(package);
        plugin_host::package::assemble(
            &source_dir(package),
            Some(&libraries.join(library_name(package))),
            &out,
        )
        .expect("assemble");
        sign_folder(&out, &self.key).expect("sign");
        self.config.plugins.push(PluginEntry::new(name, &out));
        out
    }

    /// Assembles a fixture library under `name` with the given source manifest, signs it and
    /// configures it with `config`.
    fn fixture(
        &mut self,
        package: &str,
        name: &str,
        manifest: &str,
        config: serde_json::Value,
    ) -> PathBuf {
        let libraries = test_libraries().expect("plugins build");
        let source = self.dir.path().join("src").join(name);
        std::fs::create_dir_all(&source).expect("mkdir");
        std::fs::write(
            source.join("plugin.toml"),
            format!("name = \"{name}\"\nversion = \"0.1.0\"\nforce = \"fixture\"\n{manifest}"),
        )
        .expect("write manifest");
        let out = self.dir.path().join("dist").join(name);
        plugin_host::package::assemble(&source, Some(&libraries.join(library_name(package))), &out)
            .expect("assemble");
        sign_folder(&out, &self.key).expect("sign");
        let mut entry = PluginEntry::new(name, &out);
        entry.config = config;
        self.config.plugins.push(entry);
        out
    }

    fn misbehave(&mut self, name: &str, mode: &str) -> PathBuf {
        self.fixture(
            "fixture-misbehave",
            name,
            "capabilities = [\"rules\"]\nrules = [\"FX-RULE\"]\n",
            serde_json::json!({"name": name, "mode": mode}),
        )
    }

    fn load(&self) -> PluginHost {
        PluginHost::load(&self.config, RuleSet::national())
    }
}

fn now() -> DateTime<Utc> {
    "2026-03-20T12:00:00Z".parse().expect("instant")
}

fn case(force: &str, reference: &str) -> Case {
    let lines = [
        r#"{"case":"REF","force":"FORCE","at":"2026-03-02T09:00:00Z","kind":"report_received","offences":["SOA2003-s1"]}"#,
        r#"{"case":"REF","force":"FORCE","at":"2026-03-02T09:05:00Z","kind":"person_added","person":"V1","role":"victim","identity":{"given_name":"Wenna","family_name":"Tregothnan"}}"#,
        r#"{"case":"REF","force":"FORCE","at":"2026-03-02T10:00:00Z","kind":"officer_allocated","officer":"5512","role":"oic"}"#,
        r#"{"case":"REF","force":"FORCE","at":"2026-03-03T08:00:00Z","kind":"supervisor_review","officer":"9001"}"#,
    ];
    Case::group(lines.iter().map(|line| {
        parse_record(&line.replace("REF", reference).replace("FORCE", force)).expect("valid line")
    }))
    .remove(0)
}

fn state(host: &PluginHost, name: &str) -> PluginState {
    host.plugin(name).expect("configured").state()
}

fn refused(host: &PluginHost, name: &str) -> Problem {
    match state(host, name) {
        PluginState::Refused(problem) => problem,
        other => panic!("{name} should be refused, is {other}"),
    }
}

fn disabled(host: &PluginHost, name: &str) -> Problem {
    match state(host, name) {
        PluginState::Disabled(problem) => problem,
        other => panic!("{name} should be disabled, is {other}"),
    }
}

fn findings(host: &PluginHost, case: &Case) -> Vec<FindingView> {
    let mut out = Vec::new();
    host.evaluate_into(case, now(), &mut Default::default(), &mut out);
    out.iter()
        .map(|finding| FindingView::new(host.rules(), &case.key, finding))
        .collect()
}

/// The northmoor example still serves: proof that the host went on.
fn northmoor_serves(host: &PluginHost) {
    let views = findings(host, &case("northmoor", "NM-2026-000001"));
    assert!(
        views
            .iter()
            .any(|view| view.rule == "NM-SUP-24H" && view.status == Status::Met),
        "{views:?}"
    );
}

#[test]
fn the_examples_load_verify_and_work() {
    let mut kit = Kit::new();
    kit.example("northmoor");
    kit.example("eastvale-content");
    let host = kit.load();
    for name in ["northmoor", "eastvale-content"] {
        let plugin = host.plugin(name).expect("configured");
        assert_eq!(plugin.state(), PluginState::Enabled, "{name}");
        assert!(matches!(plugin.verification(), Verification::Signed { .. }));
    }

    // Rules: Northmoor's policy shortens national supervision; its local rule adds findings.
    assert_eq!(
        host.rules().config().supervisor_review,
        Timescale::CalendarDays(14)
    );
    assert_eq!(
        host.rules().config().first_supervisor_review,
        Timescale::CalendarDays(3)
    );
    let views = findings(&host, &case("northmoor", "NM-2026-000001"));
    let local = views
        .iter()
        .find(|view| view.rule == "NM-SUP-24H")
        .expect("local rule");
    assert_eq!(local.status, Status::Met);
    assert_eq!(local.guidance, "northmoor/supervisor-review-24h");
    assert_eq!(local.due_by.as_deref(), Some("2026-03-03T09:00:00+00:00"));
    let supervision = views
        .iter()
        .find(|view| view.rule == "SUP-REVIEW")
        .expect("national");
    assert_eq!(
        supervision.due_by.as_deref(),
        Some("2026-03-17T23:59:59+00:00"),
        "next review 14 days after the last, not 28"
    );
    // Other forces' cases get national findings only.
    let other = findings(&host, &case("exampleshire", "EX-2026-000001"));
    assert!(other.iter().all(|view| !view.rule.starts_with("NM-")));

    // Validate: Northmoor references only, on Northmoor cases only.
    let bad = parse_record(
        r#"{"case":"NM-26-1","force":"northmoor","at":"2026-03-02T09:00:00Z","kind":"note","text":"x"}"#,
    )
    .expect("valid interchange");
    let errors = host.validate(&bad);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "case");
    assert!(
        errors[0].message.contains("NM-YYYY-NNNNNN"),
        "{}",
        errors[0]
    );
    let elsewhere = parse_record(
        r#"{"case":"NM-26-1","force":"exampleshire","at":"2026-03-02T09:00:00Z","kind":"note","text":"x"}"#,
    )
    .expect("valid interchange");
    assert!(host.validate(&elsewhere).is_empty());

    // Import: a Moorlog export becomes interchange records.
    let csv = "entry,ref,occurred,event,person,detail\n\
               81,NM-2026-000777,02/04/2026 09:30,REPORT,,SOA2003-s1\n\
               82,NM-2026-000777,02/04/2026 09:40,VICTIM,V1,\n\
               83,NM-2026-000777,03/04/2026 08:00,SUP_REVIEW,,9001\n";
    let records = host
        .import("northmoor-moorlog-csv", csv.as_bytes())
        .expect("import");
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].case.reference, "NM-2026-000777");
    assert_eq!(records[0].to_json()["at"], "2026-04-02T09:30:00+01:00");
    let error = host
        .import(
            "northmoor-moorlog-csv",
            b"entry,ref,occurred,event,person,detail\n1,NM-2026-000001,xx,REPORT,,\n",
        )
        .expect_err("bad row");
    assert!(
        error.to_string().contains("line 2: column `occurred`"),
        "{error}"
    );
    let error = host.import("nope", b"").expect_err("unknown format");
    assert!(
        error.to_string().contains("known: northmoor-moorlog-csv"),
        "{error}"
    );
    assert_eq!(
        state(&host, "northmoor"),
        PluginState::Enabled,
        "refusing input is not a fault"
    );

    // Export and content.
    let report = serde_json::json!({"findings": [{"rule": "VC-NEEDS", "status": "met"}]});
    let exported = host
        .export("eastvale-partnership-csv", &report)
        .expect("export");
    assert_eq!(exported.media_type, "text/csv; charset=utf-8");
    assert_eq!(exported.bytes, b"rule,status,count\nVC-NEEDS,met,1\n");
    let pages: Vec<&str> = host.content().map(|page| page.id.as_str()).collect();
    assert!(pages.contains(&"eastvale-content/sarc"), "{pages:?}");
    assert!(pages.contains(&"eastvale-content/isva"), "{pages:?}");
    assert!(
        pages.contains(&"northmoor/supervisor-review-24h"),
        "{pages:?}"
    );
}

#[test]
fn a_case_snapshot_carries_no_identity_unless_declared_and_enabled() {
    let snapshot = plugin_host::snapshot(&case("northmoor", "NM-2026-000001"), now(), false);
    let text = serde_json::to_string(&snapshot).expect("json");
    assert!(
        !text.contains("Wenna") && !text.contains("identity"),
        "{text}"
    );
    let with = plugin_host::snapshot(&case("northmoor", "NM-2026-000001"), now(), true);
    assert!(
        serde_json::to_string(&with)
            .expect("json")
            .contains("Wenna")
    );
}

#[test]
fn only_configured_and_enabled_plugins_are_loaded() {
    let mut kit = Kit::new();
    kit.example("northmoor");
    let eastvale = kit.example("eastvale-content");
    kit.config.plugins.retain(|entry| entry.name == "northmoor");
    let host = kit.load();
    assert_eq!(host.plugins().len(), 1);
    assert!(host.plugin("eastvale-content").is_none());
    let problem = plugin_host::verify_folder(&kit.config, &eastvale, None).expect_err("unlisted");
    assert_eq!(problem, Problem::NotConfigured);

    kit.config.plugins[0].enabled = false;
    let host = kit.load();
    assert_eq!(state(&host, "northmoor"), PluginState::NotEnabled);
    assert_eq!(
        host.rules().config().supervisor_review,
        Timescale::CalendarDays(28)
    );
}

#[test]
fn a_library_whose_hash_differs_from_the_manifest_is_refused() {
    let mut kit = Kit::new();
    let dir = kit.example("northmoor");
    let library = dir.join(library_name("northmoor"));
    let mut bytes = std::fs::read(&library).expect("read");
    bytes.push(0);
    std::fs::write(&library, bytes).expect("tamper");
    kit.example("eastvale-content");
    let host = kit.load();
    let problem = refused(&host, "northmoor");
    assert!(matches!(problem, Problem::HashMismatch { .. }), "{problem}");
    assert!(
        problem.to_string().contains("file hash mismatch"),
        "{problem}"
    );
    assert_eq!(
        state(&host, "eastvale-content"),
        PluginState::Enabled,
        "the host goes on"
    );
    assert_eq!(
        host.rules().config().supervisor_review,
        Timescale::CalendarDays(28)
    );
}

#[test]
fn missing_or_bad_signatures_are_refused() {
    let mut kit = Kit::new();
    let dir = kit.example("northmoor");
    std::fs::remove_file(dir.join("plugin.sig")).expect("unsign");
    assert_eq!(refused(&kit.load(), "northmoor"), Problem::Unsigned);

    kit.config.allow_unsigned = true;
    let host = kit.load();
    assert_eq!(state(&host, "northmoor"), PluginState::Enabled);
    assert_eq!(
        host.plugin("northmoor").expect("loaded").verification(),
        &Verification::Unsigned
    );
    kit.config.allow_unsigned = false;

    sign_folder(&dir, &SigningKey::from_bytes(&UNTRUSTED_SEED)).expect("sign");
    let problem = refused(&kit.load(), "northmoor");
    assert!(matches!(problem, Problem::BadSignature(_)), "{problem}");

    sign_folder(&dir, &kit.key).expect("sign");
    assert_eq!(state(&kit.load(), "northmoor"), PluginState::Enabled);
    std::fs::write(
        dir.join("content/supervisor-review-24h.md"),
        "---\ntitle: changed\n---\n",
    )
    .expect("tamper content");
    let problem = refused(&kit.load(), "northmoor");
    assert!(matches!(problem, Problem::BadSignature(_)), "{problem}");

    std::fs::write(dir.join("plugin.sig"), "not hex").expect("garbage");
    let problem = refused(&kit.load(), "northmoor");
    assert!(
        problem.to_string().contains("signature is not 64 bytes"),
        "{problem}"
    );
}

#[test]
fn a_plugin_built_for_another_abi_is_refused() {
    let mut kit = Kit::new();
    kit.fixture(
        "fixture-wrong-abi",
        "wrong-abi",
        "capabilities = [\"rules\"]\nrules = [\"FX-RULE\"]\n",
        serde_json::Value::Null,
    );
    let dir = kit.example("northmoor");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).expect("read");
    let mut host = kit.load();
    let problem = refused(&host, "wrong-abi");
    assert!(
        problem.to_string().contains("wrong ABI version"),
        "{problem}"
    );
    assert!(problem.to_string().contains("ABI 99"), "{problem}");
    northmoor_serves(&host);

    std::fs::write(
        dir.join("plugin.toml"),
        manifest.replace("abi = 2", "abi = 3"),
    )
    .expect("write");
    sign_folder(&dir, &kit.key).expect("re-sign");
    host = kit.load();
    assert_eq!(
        refused(&host, "northmoor"),
        Problem::ManifestAbi { found: 3 }
    );

    // An ABI 2 library whose manifest claims ABI 1 is refused by the entry symbol ABI 1 needs.
    std::fs::write(
        dir.join("plugin.toml"),
        manifest.replace("abi = 2", "abi = 1"),
    )
    .expect("write");
    sign_folder(&dir, &kit.key).expect("re-sign");
    let problem = refused(&kit.load(), "northmoor");
    assert!(
        problem
            .to_string()
            .contains("no entry symbol `rasso_plugin_entry_v1`, which its manifest's ABI 1 needs"),
        "{problem}"
    );
}

#[test]
fn a_library_without_the_entry_symbol_is_refused() {
    let mut kit = Kit::new();
    kit.fixture(
        "fixture-no-entry",
        "no-entry",
        "capabilities = [\"rules\"]\nrules = [\"FX-RULE\"]\n",
        serde_json::Value::Null,
    );
    kit.example("northmoor");
    let host = kit.load();
    let problem = refused(&host, "no-entry");
    assert!(
        problem
            .to_string()
            .contains("no entry symbol `rasso_plugin_entry_v2`"),
        "{problem}"
    );
    northmoor_serves(&host);
}

#[test]
fn a_plugin_registering_what_its_manifest_does_not_declare_is_refused() {
    let mut kit = Kit::new();
    kit.misbehave("sneaky", "mismatch");
    kit.example("northmoor");
    let host = kit.load();
    let problem = refused(&host, "sneaky");
    assert!(
        problem
            .to_string()
            .contains("registers capabilities its manifest does not declare: import"),
        "{problem}"
    );
    assert!(
        host.rules().find("FX-RULE").is_none(),
        "nothing of a refused plugin is kept"
    );
    northmoor_serves(&host);
}

#[test]
fn a_plugin_cannot_relax_or_replace_a_national_rule() {
    let mut kit = Kit::new();
    kit.fixture(
        "fixture-misbehave",
        "relaxer",
        "capabilities = [\"rules\"]\nrules = [\"FX-RULE\"]\npolicy = [\"supervisor_review\"]\n",
        serde_json::json!({"name": "relaxer", "mode": "relax"}),
    );
    kit.fixture(
        "fixture-misbehave",
        "usurper",
        "capabilities = [\"rules\"]\nrules = [\"SUP-REVIEW\"]\n",
        serde_json::json!({"name": "usurper", "mode": "national-id"}),
    );
    kit.example("northmoor");
    let host = kit.load();
    let problem = refused(&host, "relaxer");
    assert!(
        problem.to_string().contains("may only shorten"),
        "{problem}"
    );
    let problem = refused(&host, "usurper");
    assert!(
        problem
            .to_string()
            .contains("already taken by a national rule"),
        "{problem}"
    );
    // Northmoor's tightening applies; the relaxer's lengthening does not.
    assert_eq!(
        host.rules().config().supervisor_review,
        Timescale::CalendarDays(14)
    );
    assert!(host.rules().find("FX-RULE").is_none());
    northmoor_serves(&host);
}

#[test]
fn a_panicking_plugin_is_disabled_and_the_host_goes_on() {
    let mut kit = Kit::new();
    kit.misbehave("panicky", "panic");
    kit.misbehave("panicky-init", "init-panic");
    kit.example("northmoor");
    let host = kit.load();
    let problem = refused(&host, "panicky-init");
    assert!(
        problem.to_string().contains("panicked during `init`"),
        "{problem}"
    );
    assert_eq!(state(&host, "panicky"), PluginState::Enabled);
    let views = findings(&host, &case("fixture", "FX-1"));
    assert!(views.iter().all(|view| view.rule != "FX-RULE"));
    assert!(
        views.iter().any(|view| view.rule == "SUP-REVIEW"),
        "national findings still come"
    );
    let problem = disabled(&host, "panicky");
    assert!(
        problem.to_string().contains("fixture panics in rules"),
        "{problem}"
    );
    northmoor_serves(&host);
}

#[test]
fn a_plugin_answering_malformed_json_is_disabled() {
    let mut kit = Kit::new();
    kit.fixture(
        "fixture-raw",
        "raw-malformed",
        "capabilities = [\"rules\"]\nrules = [\"RAW-RULE\"]\n",
        serde_json::Value::Null,
    );
    kit.misbehave("liar", "bad-finding");
    kit.example("northmoor");
    let host = kit.load();
    assert_eq!(state(&host, "raw-malformed"), PluginState::Enabled);
    let views = findings(&host, &case("fixture", "FX-1"));
    assert!(
        views
            .iter()
            .all(|view| view.rule != "RAW-RULE" && view.rule != "FX-RULE")
    );
    let problem = disabled(&host, "raw-malformed");
    assert!(
        problem.to_string().contains("malformed answer to `rules`"),
        "{problem}"
    );
    let problem = disabled(&host, "liar");
    assert!(
        problem.to_string().contains("finding 1: `trigger`"),
        "{problem}"
    );
    northmoor_serves(&host);
}

#[test]
fn a_plugin_past_its_time_limit_is_disabled_and_abandoned() {
    let mut kit = Kit::new();
    kit.misbehave("sleepy", "slow");
    kit.config.plugins[0].timeout = Duration::from_millis(200);
    kit.example("northmoor");
    let host = kit.load();
    assert_eq!(state(&host, "sleepy"), PluginState::Enabled);
    let views = findings(&host, &case("fixture", "FX-1"));
    assert!(views.iter().all(|view| view.rule != "FX-RULE"));
    let problem = disabled(&host, "sleepy");
    assert!(problem.to_string().contains("timed out"), "{problem}");
    assert!(problem.to_string().contains("200 ms"), "{problem}");
    // Later cases do not wait for it again.
    let views = findings(&host, &case("fixture", "FX-2"));
    assert!(views.iter().all(|view| view.rule != "FX-RULE"));
    northmoor_serves(&host);
}

#[test]
fn content_only_plugins_need_no_library() {
    let mut kit = Kit::new();
    let dir = kit.dir.path().join("content-only");
    std::fs::create_dir_all(dir.join("pages")).expect("mkdir");
    std::fs::write(
        dir.join("plugin.toml"),
        "name = \"pages\"\nversion = \"1.0.0\"\nforce = \"eastvale\"\ncapabilities = [\"content\"]\ncontent = \"pages\"\n",
    )
    .expect("manifest");
    std::fs::write(
        dir.join("pages/sarc.md"),
        "---\ntitle: A SARC\n---\nText.\n",
    )
    .expect("page");
    sign_folder(&dir, &kit.key).expect("sign");
    kit.config.plugins.push(PluginEntry::new("pages", &dir));
    let host = kit.load();
    assert_eq!(state(&host, "pages"), PluginState::Enabled);
    assert_eq!(
        host.content()
            .map(|page| page.id.as_str())
            .collect::<Vec<_>>(),
        ["pages/sarc"]
    );

    std::fs::write(
        dir.join("plugin.toml"),
        "name = \"pages\"\nversion = \"1.0.0\"\nforce = \"eastvale\"\ncapabilities = [\"content\", \"rules\"]\ncontent = \"pages\"\n",
    )
    .expect("manifest");
    sign_folder(&dir, &kit.key).expect("sign");
    let problem = refused(&kit.load(), "pages");
    assert!(
        problem.to_string().contains("need a native `library`"),
        "{problem}"
    );
}

#[test]
fn the_configuration_file_is_read_with_paths_relative_to_it() {
    let kit = Kit::new();
    let path = kit.dir.path().join("rasso-plugins.toml");
    std::fs::write(
        &path,
        format!(
            "trusted_keys = [\"{}\"]\n[[plugin]]\nname = \"northmoor\"\npath = \"dist/northmoor\"\ntimeout_ms = 500\n",
            PublicKey(kit.key.verifying_key()).to_hex()
        ),
    )
    .expect("write");
    let config = HostConfig::read(&path).expect("valid");
    assert_eq!(
        config.plugins[0].path,
        kit.dir.path().join("dist/northmoor")
    );
    assert_eq!(config.trusted_keys.len(), 1);
    let missing: &Path = &kit.dir.path().join("nope.toml");
    let error = HostConfig::read(missing).expect_err("missing");
    assert!(error.to_string().contains("nope.toml"), "{error}");
}

impl Kit {
    /// An ABI 2 fixture (`fixture-v2-misbehave` or `fixture-v2-raw`) under `name`, misbehaving as
    /// `mode` says.
    fn v2(&mut self, package: &str, name: &str, rule: &str, mode: &str) -> PathBuf {
        self.fixture(
            package,
            name,
            &format!(
                "capabilities = [\"rules\"]\nrules = [\"{rule}\"]\nreads = [\"report_received\"]\n"
            ),
            serde_json::json!({"name": name, "rule": rule, "mode": mode}),
        )
    }
}

fn manifest_abi(dir: &Path) -> String {
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).expect("manifest");
    manifest
        .lines()
        .find(|line| line.starts_with("abi = "))
        .expect("abi line")
        .to_owned()
}

#[test]
fn abi_1_plugins_still_load_and_give_the_same_findings_as_abi_2() {
    let mut v1 = Kit::new();
    let dir = v1.example_as("fixture-northmoor-v1", "northmoor");
    assert_eq!(manifest_abi(&dir), "abi = 1", "built for ABI 1");
    let old = v1.load();
    assert_eq!(state(&old, "northmoor"), PluginState::Enabled);
    assert_eq!(old.plugin("northmoor").and_then(|p| p.abi()), Some(1));

    let mut v2 = Kit::new();
    let dir = v2.example("northmoor");
    assert_eq!(manifest_abi(&dir), "abi = 2");
    let new = v2.load();
    assert_eq!(new.plugin("northmoor").and_then(|p| p.abi()), Some(2));

    let cases = [
        case("northmoor", "NM-2026-000001"),
        case("exampleshire", "EX-2026-000001"),
    ];
    for case in &cases {
        assert_eq!(findings(&old, case), findings(&new, case));
    }
    northmoor_serves(&old);
}

#[test]
fn many_cases_go_in_one_batch_and_findings_come_back_to_their_cases() {
    let mut kit = Kit::new();
    kit.example("northmoor");
    let host = kit.load();
    let cases: Vec<Case> = (0..2_500)
        .map(|index| {
            let force = if index % 3 == 0 {
                "exampleshire"
            } else {
                "northmoor"
            };
            case(force, &format!("NM-2026-{index:06}"))
        })
        .collect();
    let mut out = Vec::new();
    host.plugin_findings_batch(&cases, now(), &mut out);
    let expected: Vec<usize> = (0..2_500).filter(|index| index % 3 != 0).collect();
    let positions: Vec<usize> = out.iter().map(|(position, _)| *position).collect();
    assert_eq!(
        positions, expected,
        "one finding per Northmoor case, in order"
    );
    for (position, finding) in &out {
        let mut one = Vec::new();
        host.plugin_findings_into(&cases[*position], now(), &mut one);
        assert_eq!(one, vec![finding.clone()]);
    }
}

#[test]
fn an_abi_2_plugin_that_panics_or_hangs_is_disabled_and_the_host_goes_on() {
    let mut kit = Kit::new();
    kit.v2("fixture-v2-misbehave", "panicky", "FX-PANIC", "panic");
    kit.v2("fixture-v2-misbehave", "sleepy", "FX-SLOW", "slow");
    kit.v2("fixture-v2-raw", "stuck", "RAW-HANG", "hang");
    for entry in &mut kit.config.plugins {
        entry.timeout = Duration::from_millis(200);
    }
    kit.example("northmoor");
    let host = kit.load();
    for name in ["panicky", "sleepy", "stuck"] {
        assert_eq!(state(&host, name), PluginState::Enabled, "{name}");
        assert_eq!(host.plugin(name).and_then(|p| p.abi()), Some(2));
    }
    let views = findings(&host, &case("fixture", "FX-1"));
    assert!(
        views
            .iter()
            .all(|view| !view.rule.starts_with("FX-") && !view.rule.starts_with("RAW-"))
    );
    assert!(views.iter().any(|view| view.rule == "SUP-REVIEW"));
    let problem = disabled(&host, "panicky");
    assert!(
        problem
            .to_string()
            .contains("panicked during `evaluate`: plugin panicked: fixture panics in rules"),
        "{problem}"
    );
    for name in ["sleepy", "stuck"] {
        let problem = disabled(&host, name);
        assert!(
            problem
                .to_string()
                .contains("timed out: `evaluate` took longer than its limit of 200 ms"),
            "{problem}"
        );
    }
    northmoor_serves(&host);
}

#[test]
fn an_abi_2_answer_that_lies_is_refused_and_the_plugin_disabled() {
    let cases = [
        ("count", "counts 2 findings, 0 refusals and 0 bytes of text"),
        (
            "offset",
            "finding 1: `person` is text 4..+2, outside the answer's 2 bytes",
        ),
        ("utf8", "finding 1: `person` is not UTF-8"),
        (
            "case",
            "finding 1: `case` is 1, but the batch holds 1 cases",
        ),
        ("rule", "finding 1: `rule` is 7, not one of the 1 rules"),
        (
            "kind",
            "finding 1: `trigger` is kind code 200, which is no event kind",
        ),
        ("status", "finding 1: `status` is 9, which is no status"),
        ("time", "finding 1: `trigger_at` is no time"),
        ("magic", "does not start with the findings magic"),
    ];
    let mut kit = Kit::new();
    for (mode, _) in cases {
        let rule = format!("RAW-{}", mode.to_ascii_uppercase());
        kit.v2("fixture-v2-raw", &format!("raw-{mode}"), &rule, mode);
    }
    kit.v2("fixture-v2-raw", "raw-honest", "RAW-HONEST", "honest");
    kit.v2(
        "fixture-v2-misbehave",
        "unknown-rule",
        "FX-UNKNOWN",
        "unknown-rule",
    );
    kit.v2(
        "fixture-v2-misbehave",
        "no-deadline",
        "FX-NO-DEADLINE",
        "no-deadline",
    );
    kit.example("northmoor");
    let host = kit.load();
    let views = findings(&host, &case("fixture", "FX-1"));
    let plugin_rules: Vec<&str> = views
        .iter()
        .map(|view| view.rule.as_str())
        .filter(|rule| rule.starts_with("RAW-") || rule.starts_with("FX-"))
        .collect();
    assert_eq!(
        plugin_rules,
        ["RAW-HONEST"],
        "only the honest answer's finding is kept"
    );
    assert_eq!(state(&host, "raw-honest"), PluginState::Enabled);
    for (mode, expected) in cases {
        let problem = disabled(&host, &format!("raw-{mode}"));
        let text = problem.to_string();
        assert!(
            text.contains("malformed answer to `evaluate`"),
            "{mode}: {text}"
        );
        assert!(text.contains(expected), "{mode}: {text}");
    }
    let problem = disabled(&host, "unknown-rule");
    assert!(
        problem
            .to_string()
            .contains("`rule` is an id it did not register"),
        "{problem}"
    );
    let problem = disabled(&host, "no-deadline");
    assert!(
        problem
            .to_string()
            .contains("`due_by`: a finding with a deadline status needs a deadline"),
        "{problem}"
    );
    northmoor_serves(&host);
}

#[test]
fn a_rule_reading_a_kind_or_fields_it_did_not_declare_is_stopped_and_named() {
    let mut kit = Kit::new();
    kit.v2("fixture-v2-misbehave", "nosy", "FX-NOSY", "undeclared");
    kit.v2(
        "fixture-v2-misbehave",
        "nosier",
        "FX-NOSIER",
        "undeclared-fields",
    );
    let host = kit.load();
    let _ = findings(&host, &case("fixture", "FX-1"));
    let problem = disabled(&host, "nosy");
    assert!(
        problem
            .to_string()
            .contains("asked for `note` events, which the plugin does not declare in `reads`"),
        "{problem}"
    );
    let problem = disabled(&host, "nosier");
    assert!(
        problem.to_string().contains(
            "asked for the fields of `report_received` events, which the plugin does not declare in `reads_fields`"
        ),
        "{problem}"
    );
}

#[test]
fn a_refused_case_gets_no_findings_and_the_plugin_stays_enabled() {
    let mut kit = Kit::new();
    kit.v2("fixture-v2-misbehave", "choosy", "FX-CHOOSY", "refuse");
    let host = kit.load();
    let cases = [case("fixture", "FX-1"), case("fixture", "FX-2")];
    let mut out = Vec::new();
    host.plugin_findings_batch(&cases, now(), &mut out);
    let positions: Vec<usize> = out.iter().map(|(position, _)| *position).collect();
    assert_eq!(
        positions,
        [0],
        "FX-2 is refused, with the finding written before"
    );
    assert_eq!(state(&host, "choosy"), PluginState::Enabled);
}

#[test]
fn a_batch_refused_as_a_whole_gets_no_findings_and_the_plugin_stays_enabled() {
    let mut kit = Kit::new();
    kit.v2("fixture-v2-raw", "refuser", "RAW-REFUSER", "refuse");
    let host = kit.load();
    let cases: Vec<Case> = (0..1_500)
        .map(|index| case("fixture", &format!("FX-{index}")))
        .collect();
    let mut out = Vec::new();
    host.plugin_findings_batch(&cases, now(), &mut out);
    assert!(out.is_empty());
    assert_eq!(state(&host, "refuser"), PluginState::Enabled);
}

#[test]
fn what_an_abi_2_plugin_reads_is_declared_signed_and_checked() {
    // Declared in the manifest but not registered (and the other way round).
    let mut kit = Kit::new();
    kit.fixture(
        "fixture-v2-misbehave",
        "undeclared",
        "capabilities = [\"rules\"]\nrules = [\"FX-RULE\"]\n",
        serde_json::json!({"name": "undeclared", "rule": "FX-RULE", "mode": "honest"}),
    );
    kit.fixture(
        "fixture-v2-misbehave",
        "greedy",
        "capabilities = [\"rules\"]\nrules = [\"FX-GREEDY\"]\nreads = [\"report_received\", \"person_added\"]\n",
        serde_json::json!({"name": "greedy", "rule": "FX-GREEDY", "mode": "honest"}),
    );
    kit.fixture(
        "fixture-v2-misbehave",
        "silent",
        "capabilities = [\"rules\"]\nrules = [\"FX-SILENT\"]\n",
        serde_json::json!({"name": "silent", "rule": "FX-SILENT", "mode": "no-reads"}),
    );
    let host = kit.load();
    let problem = refused(&host, "silent");
    assert!(
        problem
            .to_string()
            .contains("`reads`: a plugin with rules must declare the event kinds its rules read"),
        "{problem}"
    );
    let problem = refused(&host, "undeclared");
    assert!(
        problem
            .to_string()
            .contains("registers reads its manifest does not declare: report_received"),
        "{problem}"
    );
    let problem = refused(&host, "greedy");
    assert!(
        problem
            .to_string()
            .contains("does not register reads its manifest declares: person_added"),
        "{problem}"
    );

    let mut kit = Kit::new();
    let dir = kit.fixture(
        "fixture-v2-misbehave",
        "typo",
        "capabilities = [\"rules\"]\nrules = [\"FX-RULE\"]\nreads = [\"report_received\"]\n",
        serde_json::json!({"name": "typo", "rule": "FX-RULE", "mode": "honest"}),
    );
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).expect("manifest");
    std::fs::write(
        dir.join("plugin.toml"),
        manifest.replace(
            "reads = [\"report_received\"]",
            "reads = [\"repot_received\"]",
        ),
    )
    .expect("write");
    sign_folder(&dir, &kit.key).expect("sign");
    let problem = refused(&kit.load(), "typo");
    assert!(
        problem
            .to_string()
            .contains("`reads`: `repot_received` is not an event kind"),
        "{problem}"
    );
}
