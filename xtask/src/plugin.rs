//! `cargo xtask plugin new|build|sign|verify|keygen`: the life of a force plugin.
//!
//! Key files hold 32 bytes as 64 hexadecimal characters (or raw): an ed25519 seed for signing, a
//! public key for verifying. `keygen` writes both.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use plugin_host::signing::{PublicKey, parse_public_key, parse_secret_key, read_file, sign_folder};
use plugin_host::{HostConfig, Manifest, PluginEntry};

use crate::ci::root;

#[derive(Debug, Args)]
pub struct PluginArgs {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Scaffold `plugins/NAME`: a rules plugin of ABI 2 that builds and passes its own test at
    /// once.
    New {
        /// Plugin name: lowercase letters, digits and `-`.
        name: String,
        /// The force code whose cases it applies to (default: the name).
        #[arg(long)]
        force: Option<String>,
    },
    /// Build plugins (release) and assemble `target/plugins/NAME/` ready to sign.
    Build {
        /// Plugins under `plugins/` (default: all).
        names: Vec<String>,
        /// Build with the dev profile instead of release.
        #[arg(long)]
        debug: bool,
    },
    /// Sign an assembled plugin folder with a secret key file: writes `plugin.sig`.
    Sign {
        /// A plugin name (`target/plugins/NAME`) or a folder.
        plugin: String,
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Verify an assembled plugin folder's hash and signature against a public key file.
    Verify {
        /// A plugin name (`target/plugins/NAME`) or a folder.
        plugin: String,
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Make a new signing key: writes FILE (secret, hex) and FILE.pub (public, hex).
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub fn run(args: PluginArgs) -> Result<()> {
    match args.command {
        PluginCommand::New { name, force } => {
            let dir = scaffold(
                &root().join("plugins"),
                &name,
                force.as_deref().unwrap_or(&name),
            )?;
            println!("Created {}.", dir.display());
            println!("Next: cargo test -p {name} && cargo xtask plugin build {name}");
            Ok(())
        }
        PluginCommand::Build { names, debug } => {
            for dir in build(&names, !debug)? {
                println!("Assembled {}", dir.display());
            }
            Ok(())
        }
        PluginCommand::Sign { plugin, key } => {
            let dir = plugin_dir(&plugin);
            let secret = parse_secret_key(&read_file(&key)?)
                .with_context(|| format!("{}: not a secret key file", key.display()))?;
            sign_folder(&dir, &secret)?;
            println!(
                "Signed {} with key {}",
                dir.display(),
                PublicKey(secret.verifying_key()).fingerprint()
            );
            Ok(())
        }
        PluginCommand::Verify { plugin, key } => {
            let dir = plugin_dir(&plugin);
            let public = parse_public_key(&read_file(&key)?)
                .with_context(|| format!("{}: not a public key file", key.display()))?;
            verify(&dir, public)
        }
        PluginCommand::Keygen { out } => keygen(&out),
    }
}

fn plugin_dir(plugin: &str) -> PathBuf {
    let path = Path::new(plugin);
    if path.is_dir() {
        path.to_path_buf()
    } else {
        root().join("target/plugins").join(plugin)
    }
}

/// Builds and assembles plugins; returns their folders.
pub fn build(names: &[String], release: bool) -> Result<Vec<PathBuf>> {
    let names: Vec<String> = if names.is_empty() {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(root().join("plugins")).context("cannot list plugins/")? {
            let path = entry?.path();
            if path.join("plugin.toml").is_file() {
                if let Some(name) = path.file_name().and_then(|name| name.to_str()) {
                    all.push(name.to_owned());
                }
            }
        }
        all.sort();
        all
    } else {
        names.to_vec()
    };
    let native: Vec<&str> = names
        .iter()
        .filter(|name| {
            root()
                .join("plugins")
                .join(name)
                .join("Cargo.toml")
                .is_file()
        })
        .map(String::as_str)
        .collect();
    let target = root().join("target");
    let out_dir = if native.is_empty() {
        target.join(if release { "release" } else { "debug" })
    } else {
        plugin_host::dev::build(&native, &target, release).map_err(anyhow::Error::msg)?
    };
    let mut folders = Vec::new();
    for name in &names {
        let source = root().join("plugins").join(name);
        if !source.join("plugin.toml").is_file() {
            bail!("{}: no plugin.toml", source.display());
        }
        let library = native
            .contains(&name.as_str())
            .then(|| out_dir.join(plugin_host::dev::library_name(name)));
        let dir = plugin_host::package::assemble(
            &source,
            library.as_deref(),
            &target.join("plugins").join(name),
        )?;
        folders.push(dir);
    }
    Ok(folders)
}

fn verify(dir: &Path, key: PublicKey) -> Result<()> {
    let manifest_path = dir.join(plugin_host::MANIFEST_FILE);
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest = Manifest::parse(&text)
        .map_err(|message| anyhow::anyhow!("{}: {message}", manifest_path.display()))?;
    let config = HostConfig {
        allow_unsigned: false,
        trusted_keys: vec![key],
        plugins: vec![PluginEntry::new(&manifest.name, dir)],
    };
    match plugin_host::verify_folder(&config, dir, Some(&manifest.name)) {
        Ok(verified) => {
            println!(
                "{}: ok: `{}` {} ({})",
                dir.display(),
                manifest.name,
                manifest.version,
                verified.verification
            );
            Ok(())
        }
        Err(problem) => bail!("{}: REFUSED: {problem}", dir.display()),
    }
}

fn keygen(out: &Path) -> Result<()> {
    let seed: [u8; 32] = rand::random();
    let secret = parse_secret_key(&seed)?;
    let public = PublicKey(secret.verifying_key());
    write_private(out, &format!("{}\n", hex_encode(&seed)))?;
    let public_path = PathBuf::from(format!("{}.pub", out.display()));
    std::fs::write(&public_path, format!("{}\n", public.to_hex()))
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    println!(
        "Secret key: {} (keep it out of the repository)",
        out.display()
    );
    println!(
        "Public key: {} = {}",
        public_path.display(),
        public.to_hex()
    );
    println!(
        "Trust it in the plugins configuration: trusted_keys = [\"{}\"]",
        public.to_hex()
    );
    Ok(())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a new plugin crate `NAME` under `plugins_dir`.
pub fn scaffold(plugins_dir: &Path, name: &str, force: &str) -> Result<PathBuf> {
    let valid = |text: &str| {
        !text.is_empty()
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if !valid(name) {
        bail!(
            "`{name}` is not a plugin name: lowercase letters, digits and `-`, starting with a letter"
        );
    }
    if !valid(force) {
        bail!("`{force}` is not a force code");
    }
    let dir = plugins_dir.join(name);
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    let rule_id = format!("{}-ISVA-24H", name.to_ascii_uppercase());
    let type_name: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{force}}", force)
            .replace("{{rule}}", &rule_id)
            .replace("{{Type}}", &type_name)
    };
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("content"))?;
    std::fs::write(dir.join("Cargo.toml"), fill(CARGO_TOML))?;
    std::fs::write(dir.join("plugin.toml"), fill(PLUGIN_TOML))?;
    std::fs::write(dir.join("src/lib.rs"), fill(LIB_RS))?;
    std::fs::write(dir.join("content/isva-24h.md"), fill(PAGE_MD))?;
    Ok(dir)
}

const CARGO_TOML: &str = r#"[package]
name = "{{name}}"
description = "rasso force plugin for {{force}}."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
chrono.workspace = true
plugin-sdk.workspace = true
serde_json.workspace = true

[lints]
workspace = true
"#;

const PLUGIN_TOML: &str = r#"# Source manifest: `cargo xtask plugin build {{name}}` adds the library, its SHA-256 and the ABI.
name = "{{name}}"
version = "0.1.0"
force = "{{force}}"
description = "Local rules for {{force}}."
capabilities = ["rules", "content"]
rules = ["{{rule}}"]
# The event kinds the rules read (the host sends no others), and those whose fields they read too.
reads = ["report_received", "isva_offered"]
reads_fields = []
content = "content"
"#;

const PAGE_MD: &str = r#"---
title: An ISVA is offered within 24 hours ({{force}})
kind: local-rule
rule: {{rule}}
---
Explain the local rule here, in your own words, with the source of each fact.
"#;

const LIB_RS: &str = r#"//! rasso force plugin for {{force}}: ordinary safe Rust; `declare_plugin!` does the rest (ABI 2:
//! the host hands the rules many cases per call, with only the events of the kinds in `READS`).

use chrono::Duration;
use plugin_sdk::{
    Capability, Case, Finding, FindingStatus, Findings, Kind, PluginError, Registration, RuleSpec,
    declare_plugin,
};
use serde_json::Value;

/// The local rule's id: prefixed with the plugin's name so it cannot collide.
pub const RULE: &str = "{{rule}}";

/// The event kinds the rule reads: the registration's `reads` (and `plugin.toml`'s). The host sends
/// no other events, and no fields of these (the rule reads when they happened, nothing else).
pub const READS: [Kind; 2] = [Kind::ReportReceived, Kind::IsvaOffered];

/// The plugin.
#[derive(Debug, Default)]
pub struct {{Type}};

impl plugin_sdk::Plugin for {{Type}} {
    fn init(_config: &Value) -> Result<Self, PluginError> {
        Ok({{Type}})
    }

    fn registration(&self) -> Registration {
        Registration {
            name: "{{name}}".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![Capability::Rules],
            rules: vec![RuleSpec {
                id: RULE.into(),
                title: "An ISVA is offered within 24 hours of the report".into(),
                guidance: "{{name}}/isva-24h".into(),
            }],
            reads: READS.iter().map(|kind| kind.as_str().into()).collect(),
            ..Registration::default()
        }
    }

    fn rules(&self, case: &Case<'_>, findings: &mut Findings<'_>) -> Result<(), PluginError> {
        evaluate(case, findings);
        Ok(())
    }
}

declare_plugin!({{Type}});

/// One finding per case with a report: `isva_offered` within 24 hours of the first report. Events
/// come in time order, up to the case's `now`.
pub fn evaluate(case: &Case<'_>, findings: &mut Findings<'_>) {
    let Some(report) = case.first_of(Kind::ReportReceived) else {
        return;
    };
    let reported_at = report.at();
    let due = reported_at + Duration::hours(24);
    let done = case
        .events_of(Kind::IsvaOffered)
        .map(|offer| offer.at())
        .find(|at| *at >= reported_at);
    findings.push(Finding {
        rule: RULE,
        person: None,
        trigger: Kind::ReportReceived,
        trigger_at: reported_at,
        status: FindingStatus::for_deadline(done, due, case.now()),
        due_by: Some(due),
        done_at: done,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_sdk::Plugin as _;
    use plugin_sdk::testing::{Cases, FindingRecord};
    use serde_json::json;

    /// The rule's findings for one case, read through the same batch the host hands over.
    fn found(events: Value, now: &str) -> Vec<FindingRecord> {
        let mut cases = Cases::new(&{{Type}}.registration()).expect("reads are event kinds");
        cases
            .case("REF-1", "{{force}}", now, &events)
            .expect("a valid case");
        cases.findings(|case, findings| {
            evaluate(case, findings);
            Ok(())
        })
    }

    #[test]
    fn an_offer_within_24_hours_is_met_and_none_goes_overdue() {
        let report = json!({"kind": "report_received", "at": "2026-03-02T09:00:00Z"});
        let offer = json!({"kind": "isva_offered", "at": "2026-03-02T15:00:00Z", "person": "V1"});
        let met = found(json!([report, offer]), "2026-03-05T00:00:00Z");
        assert_eq!(met[0].status, FindingStatus::Met);
        let overdue = found(json!([report]), "2026-03-05T00:00:00Z");
        assert_eq!(overdue[0].status, FindingStatus::Overdue);
    }

    #[test]
    fn the_registration_names_the_rule() {
        let plugin = {{Type}}::init(&Value::Null).expect("init");
        let registration = plugin.registration();
        assert_eq!(registration.name, "{{name}}");
        assert_eq!(registration.rules[0].id, RULE);
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaffold_is_a_plugin_crate_with_a_matching_manifest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plugin = scaffold(dir.path(), "westmarch", "westmarch").expect("scaffold");
        let cargo: toml::Table =
            toml::from_str(&std::fs::read_to_string(plugin.join("Cargo.toml")).expect("read"))
                .expect("Cargo.toml is TOML");
        assert_eq!(cargo["package"]["name"].as_str(), Some("westmarch"));
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(plugin.join("plugin.toml")).expect("read"))
                .expect("plugin.toml is TOML");
        assert_eq!(manifest["rules"][0].as_str(), Some("WESTMARCH-ISVA-24H"));
        assert_eq!(
            manifest["reads"].as_array().map(Vec::len),
            Some(2),
            "the kinds its rule reads"
        );
        let lib = std::fs::read_to_string(plugin.join("src/lib.rs")).expect("read");
        assert!(lib.contains("declare_plugin!(Westmarch);"));
        assert!(!lib.contains("{{"), "every placeholder is filled");
        assert!(
            scaffold(dir.path(), "westmarch", "westmarch").is_err(),
            "never overwrites"
        );
        assert!(scaffold(dir.path(), "Bad Name", "x").is_err());
    }

    /// The scaffold as an author gets it: in a scratch copy of the workspace settings (so the real
    /// workspace is never touched), `cargo test` on it passes, and the built library loads in the
    /// host and gives findings. It shares the running tests' target folder, so only the small
    /// crates are compiled.
    #[test]
    fn a_scaffolded_plugin_builds_passes_its_test_and_loads() {
        let scratch = tempfile::tempdir().expect("tempdir");
        let workspace = scratch.path();
        let mut manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).expect("read"))
                .expect("root manifest");
        let settings = manifest
            .get_mut("workspace")
            .and_then(toml::Value::as_table_mut)
            .expect("[workspace]");
        settings.insert(
            "members".into(),
            toml::Value::Array(vec!["plugins/*".into()]),
        );
        settings.remove("exclude");
        if let Some(dependencies) = settings
            .get_mut("dependencies")
            .and_then(toml::Value::as_table_mut)
        {
            for (_, dependency) in dependencies.iter_mut() {
                if let Some(path) = dependency.get_mut("path") {
                    let absolute = root().join(path.as_str().expect("path"));
                    *path = absolute.display().to_string().into();
                }
            }
        }
        std::fs::write(
            workspace.join("Cargo.toml"),
            toml::to_string(&manifest).expect("toml"),
        )
        .expect("write manifest");
        std::fs::copy(root().join("Cargo.lock"), workspace.join("Cargo.lock")).expect("lock");
        let plugin =
            scaffold(&workspace.join("plugins"), "westmarch", "westmarch").expect("scaffold");

        let target = plugin_host::dev::current_target_dir();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = std::process::Command::new(&cargo)
            .current_dir(workspace)
            .args(["test", "--quiet", "-p", "westmarch", "--target-dir"])
            .arg(&target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the scaffolded plugin's own tests pass");
        let status = std::process::Command::new(&cargo)
            .current_dir(workspace)
            .args(["build", "--quiet", "-p", "westmarch", "--target-dir"])
            .arg(&target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the scaffolded plugin builds");

        let dist = workspace.join("dist/westmarch");
        plugin_host::package::assemble(
            &plugin,
            Some(
                &target
                    .join("debug")
                    .join(plugin_host::dev::library_name("westmarch")),
            ),
            &dist,
        )
        .expect("assembles");
        let key = parse_secret_key(&[3u8; 32]).expect("key");
        sign_folder(&dist, &key).expect("signs");
        let config = HostConfig {
            allow_unsigned: false,
            trusted_keys: vec![PublicKey(key.verifying_key())],
            plugins: vec![PluginEntry::new("westmarch", &dist)],
        };
        let host = plugin_host::PluginHost::load(&config, domain::RuleSet::national());
        let loaded = host.plugin("westmarch").expect("configured");
        assert_eq!(loaded.state(), plugin_host::PluginState::Enabled);
        assert_eq!(loaded.abi(), Some(2), "a scaffold is a plugin of ABI 2");
        let record = domain::interchange::parse_record(
            r#"{"case":"WM-1","force":"westmarch","at":"2026-03-02T09:00:00Z","kind":"report_received"}"#,
        )
        .expect("record");
        let case = domain::Case::group([record]).remove(0);
        let now = "2026-03-05T00:00:00Z".parse().expect("instant");
        let mut findings = Vec::new();
        host.plugin_findings_into(&case, now, &mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(host.rules().rule(findings[0].rule).id, "WESTMARCH-ISVA-24H");
        assert_eq!(findings[0].status, domain::Status::Overdue);
    }
}
