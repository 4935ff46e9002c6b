//! Loads rasso force plugins and gives the rest of rasso what they provide.
//!
//! Only plugins named in the [`HostConfig`] are loaded. For each one the host reads its
//! `plugin.toml`, hashes the exact bytes of every file in its folder, checks the SHA-256 of the
//! library against the manifest and the folder's ed25519 signature against the keys the force
//! trusts (unsigned plugins only with `allow_unsigned`), opens the library with `RTLD_NOW`, checks
//! the ABI, initialises the plugin, and checks that what it registers is exactly what its manifest
//! declares. Rules are merged into the national rule set: a national id is refused, and a policy
//! may only shorten a national deadline. Anything that fails refuses that plugin, with a clear
//! reason, and the host goes on with the others.
//!
//! At run time every call goes to the plugin's own worker thread and is abandoned past the
//! plugin's time limit. A plugin that panics, times out or answers with malformed JSON is disabled
//! and reported; the host keeps serving. Libraries are never unloaded.
//!
//! Native plugins are fully trusted code inside the process: the checks above decide *which* code
//! runs, not what it may do once running.

pub mod config;
pub mod content;
pub mod dev;
mod encode;
pub mod manifest;
mod native;
pub mod package;
pub mod signing;

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::interchange::{Kind, Record, parse_object};
use domain::rules::{Finding, Origin, RuleIndex, RuleInfo, RuleSetError, Scratch};
use domain::time::Timescale;
use domain::{Case, RuleSet, Status};
use plugin_abi::{
    STATUS_ERROR, STATUS_NOT_INITIALISED, STATUS_OK, STATUS_PANIC, STATUS_UNKNOWN_METHOD, method,
};
use plugin_sdk::batch::{BatchWriter, FindingsAnswer, Reads};
use plugin_sdk::{
    Capability, CaseSnapshot, ErrorBody, ExportRequest, ExportResponse, ImportRequest,
    ImportResponse, PluginFinding, Registration, RulesResponse, ValidateRequest, ValidateResponse,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use config::{ConfigError, HostConfig, PluginEntry};
pub use content::ContentPage;
pub use manifest::{MANIFEST_FILE, Manifest};
pub use native::OpenError;
use native::{CallOutcome, NativePlugin};
pub use signing::{PublicKey, SIGNATURE_FILE};

/// Why a plugin was refused at load, or disabled while running. The message names the plugin's
/// file or step; it never carries case data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("not named in the plugins configuration: only configured plugins are loaded")]
    NotConfigured,
    #[error("disabled in the plugins configuration")]
    NotEnabled,
    #[error("{path}: {message}")]
    Manifest { path: String, message: String },
    #[error("the configuration names it `{configured}` but its manifest says `{manifest}`")]
    NameMismatch {
        configured: String,
        manifest: String,
    },
    #[error("cannot read the plugin folder: {0}")]
    Files(String),
    #[error("{file}: the library named by the manifest is missing")]
    MissingLibrary { file: String },
    #[error("{file}: file hash mismatch: its SHA-256 is {found}, the manifest says {expected}")]
    HashMismatch {
        file: String,
        expected: String,
        found: String,
    },
    #[error(
        "unsigned: no {SIGNATURE_FILE}, and unsigned plugins are allowed only with `allow_unsigned = true` (development)"
    )]
    Unsigned,
    #[error("bad signature: {0}")]
    BadSignature(String),
    #[error(
        "wrong ABI version: the manifest says ABI {found}; this host loads plugins of ABI 1 and ABI 2"
    )]
    ManifestAbi { found: u32 },
    #[error("`reads`: {0}")]
    Reads(String),
    #[error("{0}")]
    Open(String),
    #[error("initialisation failed: {0}")]
    Init(String),
    #[error("panicked during `{method}`: {message}")]
    Panicked { method: String, message: String },
    #[error(
        "timed out: `{method}` took longer than its limit of {limit_ms} ms; the call was abandoned"
    )]
    TimedOut { method: String, limit_ms: u128 },
    #[error("malformed answer to `{method}`: {message}")]
    Malformed { method: String, message: String },
    #[error("the plugin's worker thread has stopped")]
    Gone,
    #[error("what it registers does not match its manifest: {}", .0.join("; "))]
    Capabilities(Vec<String>),
    #[error("rule refused: {0}")]
    Rules(String),
    #[error("content: {0}")]
    Content(String),
}

/// How a plugin's files were verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Signed by a trusted key (its fingerprint).
    Signed { key: String },
    /// No signature, accepted because the configuration allows unsigned plugins (development).
    Unsigned,
    /// Not verified: the plugin was not enabled or was refused before verification.
    NotVerified,
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verification::Signed { key } => write!(f, "signed by {key}"),
            Verification::Unsigned => f.write_str("UNSIGNED (allow_unsigned)"),
            Verification::NotVerified => f.write_str("not verified"),
        }
    }
}

/// Where a configured plugin stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginState {
    /// Loaded and serving.
    Enabled,
    /// Listed in the configuration with `enabled = false`: never loaded.
    NotEnabled,
    /// Refused at load.
    Refused(Problem),
    /// Disabled while running (panic, time limit, malformed answer).
    Disabled(Problem),
}

impl std::fmt::Display for PluginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginState::Enabled => f.write_str("enabled"),
            PluginState::NotEnabled => f.write_str("not enabled"),
            PluginState::Refused(problem) => write!(f, "REFUSED: {problem}"),
            PluginState::Disabled(problem) => write!(f, "DISABLED: {problem}"),
        }
    }
}

/// One configured plugin, loaded or not.
#[derive(Debug)]
pub struct LoadedPlugin {
    name: String,
    path: PathBuf,
    manifest: Option<Manifest>,
    registration: Option<Registration>,
    verification: Verification,
    /// See [`VerifiedFolder::signature`]; empty until verified.
    signature: String,
    refused: Option<Problem>,
    not_enabled: bool,
    disabled: OnceLock<Problem>,
    native: Option<NativePlugin>,
    timeout: Duration,
    identity: bool,
    config: Value,
    content: Vec<ContentPage>,
    /// ABI 2: what of a case its rules read (the kinds of events, the kinds whose fields).
    reads: Reads,
    /// Its rules' indexes in the host's rule set, in registration order.
    rule_map: Vec<RuleIndex>,
    /// ABI 2: the last batch sent, back from the plugin, to write the next one in (writing into
    /// fresh memory for every batch cost as much as the plugin's rule).
    spare: std::sync::Mutex<Option<plugin_sdk::batch::OwnedBatch>>,
}

impl LoadedPlugin {
    fn new(entry: &PluginEntry) -> Self {
        LoadedPlugin {
            name: entry.name.clone(),
            path: entry.path.clone(),
            manifest: None,
            registration: None,
            verification: Verification::NotVerified,
            signature: String::new(),
            refused: None,
            not_enabled: !entry.enabled,
            disabled: OnceLock::new(),
            native: None,
            timeout: entry.timeout,
            identity: entry.identity,
            config: entry.config.clone(),
            content: Vec::new(),
            reads: Reads::default(),
            rule_map: Vec::new(),
            spare: std::sync::Mutex::new(None),
        }
    }

    /// What of a case its rules are sent: what its manifest declares in `reads` and
    /// `reads_fields` (everything for an ABI 1 plugin).
    pub fn reads(&self) -> Reads {
        self.reads
    }

    /// The ABI major version of its library, once loaded (`None` for content-only plugins and
    /// plugins refused before loading).
    pub fn abi(&self) -> Option<u32> {
        self.native.as_ref().map(NativePlugin::abi)
    }

    /// The name the configuration gives it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its manifest, when it could be read.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// What it registered, for a native plugin that got that far.
    pub fn registration(&self) -> Option<&Registration> {
        self.registration.as_ref()
    }

    /// How its files were verified.
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// What names this exact build: its signature (hex), or `unsigned:` and the SHA-256 of its
    /// folder's digest (see [`VerifiedFolder::signature`]).
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Its content pages.
    pub fn content(&self) -> &[ContentPage] {
        &self.content
    }

    /// Where it stands now.
    pub fn state(&self) -> PluginState {
        if self.not_enabled {
            PluginState::NotEnabled
        } else if let Some(problem) = &self.refused {
            PluginState::Refused(problem.clone())
        } else if let Some(problem) = self.disabled.get() {
            PluginState::Disabled(problem.clone())
        } else {
            PluginState::Enabled
        }
    }

    /// True while it is loaded and serving.
    pub fn is_enabled(&self) -> bool {
        self.state() == PluginState::Enabled
    }

    fn has(&self, capability: Capability) -> bool {
        self.registration
            .as_ref()
            .is_some_and(|registration| registration.capabilities.contains(&capability))
    }

    fn applies_to(&self, force: &str) -> bool {
        self.manifest
            .as_ref()
            .is_some_and(|manifest| manifest.force == force)
    }

    fn sees_identity(&self) -> bool {
        self.identity
            && self
                .manifest
                .as_ref()
                .is_some_and(|manifest| manifest.capabilities.contains(&Capability::Identity))
    }

    fn disable(&self, problem: Problem) -> Problem {
        if self.disabled.set(problem.clone()).is_ok() {
            tracing::error!(plugin = %self.name, problem = %problem, "plugin disabled; the host goes on without it");
        }
        problem
    }
}

/// A call into a plugin that did not give a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The plugin is not serving (refused, not enabled, or disabled earlier).
    #[error("plugin `{plugin}` is not enabled: {state}")]
    NotServing { plugin: String, state: String },
    /// The plugin refused the input: its message. The plugin stays enabled.
    #[error("plugin `{plugin}`: {message}")]
    Refused { plugin: String, message: String },
    /// The plugin failed and has been disabled.
    #[error("plugin `{plugin}` disabled: {problem}")]
    Fault { plugin: String, problem: Problem },
}

/// One problem with one field of an event, found by a plugin's validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub plugin: String,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "field `{}`: {} (plugin `{}`)",
            self.field, self.message, self.plugin
        )
    }
}

/// Why an import through a plugin failed. Nothing is imported then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("no enabled plugin provides import format `{format}` (known: {})", if .known.is_empty() { "none".to_owned() } else { .known.join(", ") })]
    UnknownFormat { format: String, known: Vec<String> },
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("plugin `{plugin}`, event {index}: {message}")]
    BadEvent {
        plugin: String,
        index: usize,
        message: String,
    },
}

/// An exported document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// Why an export through a plugin failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("no enabled plugin provides export format `{format}` (known: {})", if .known.is_empty() { "none".to_owned() } else { .known.join(", ") })]
    UnknownFormat { format: String, known: Vec<String> },
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("plugin `{plugin}`: export data is not base64")]
    BadData { plugin: String },
}

/// The loaded plugins and the rule set they make with the national rules.
#[derive(Debug)]
pub struct PluginHost {
    rules: RuleSet,
    plugins: Vec<LoadedPlugin>,
}

impl PluginHost {
    /// No plugins: the national rules as given.
    pub fn none(rules: RuleSet) -> Self {
        PluginHost {
            rules,
            plugins: Vec::new(),
        }
    }

    /// Loads every plugin the configuration names and enables, merging their rules into `rules`.
    /// A plugin that fails any check is refused (see [`LoadedPlugin::state`]); the others load.
    pub fn load(config: &HostConfig, rules: RuleSet) -> Self {
        let mut host = PluginHost::none(rules);
        for entry in &config.plugins {
            let mut plugin = LoadedPlugin::new(entry);
            if entry.enabled {
                if let Err(problem) = host.load_one(config, &mut plugin) {
                    tracing::error!(plugin = %plugin.name, problem = %problem, "plugin refused; the host goes on without it");
                    plugin.refused = Some(problem);
                    plugin.native = None;
                }
            }
            host.plugins.push(plugin);
        }
        // Every plugin's rules are registered now: map each plugin's rule positions (how its
        // findings name rules) to the final rule set's indexes.
        for plugin in &mut host.plugins {
            if let Some(registration) = &plugin.registration {
                plugin.rule_map = registration
                    .rules
                    .iter()
                    .filter_map(|rule| host.rules.find(&rule.id))
                    .collect();
            }
        }
        host
    }

    fn load_one(&mut self, config: &HostConfig, plugin: &mut LoadedPlugin) -> Result<(), Problem> {
        let verified = verify_folder(config, &plugin.path, Some(&plugin.name))?;
        plugin.verification = verified.verification.clone();
        plugin.signature = verified.signature.clone();
        let manifest = verified.manifest.clone();
        plugin.manifest = Some(manifest.clone());
        if let Some(dir) = &manifest.content {
            plugin.content =
                content::pages(&plugin.name, dir, &verified.files).map_err(Problem::Content)?;
        }
        let Some(library) = verified.library else {
            return Ok(());
        };
        let abi = manifest.abi.unwrap_or(plugin_abi::ABI_VERSION);
        if abi == plugin_abi::v2::ABI_VERSION && !encode::kinds_match() {
            return Err(Problem::Open(
                "a kind of this host has no code in ABI 2's table; it cannot load ABI 2 plugins"
                    .into(),
            ));
        }
        let native = native::open(&plugin.name, &library, abi)
            .map_err(|error| Problem::Open(error.to_string()))?;
        let config_json = serde_json::to_vec(&plugin.config).unwrap_or_default();
        let limit = plugin.timeout;
        match native.init(config_json, limit) {
            CallOutcome::Answered(STATUS_OK, _) => {}
            CallOutcome::Answered(STATUS_PANIC, bytes) => {
                return Err(Problem::Panicked {
                    method: "init".into(),
                    message: error_message(&bytes),
                });
            }
            CallOutcome::Answered(_, bytes) => return Err(Problem::Init(error_message(&bytes))),
            CallOutcome::TimedOut => {
                return Err(Problem::TimedOut {
                    method: "init".into(),
                    limit_ms: limit.as_millis(),
                });
            }
            CallOutcome::Gone => return Err(Problem::Gone),
        }
        let registration: Registration = match native.manifest(limit) {
            CallOutcome::Answered(STATUS_OK, bytes) => {
                serde_json::from_slice(&bytes).map_err(|error| Problem::Malformed {
                    method: "manifest".into(),
                    message: error.to_string(),
                })?
            }
            CallOutcome::Answered(STATUS_PANIC, bytes) => {
                return Err(Problem::Panicked {
                    method: "manifest".into(),
                    message: error_message(&bytes),
                });
            }
            CallOutcome::Answered(_, bytes) => {
                return Err(Problem::Malformed {
                    method: "manifest".into(),
                    message: error_message(&bytes),
                });
            }
            CallOutcome::TimedOut => {
                return Err(Problem::TimedOut {
                    method: "manifest".into(),
                    limit_ms: limit.as_millis(),
                });
            }
            CallOutcome::Gone => return Err(Problem::Gone),
        };
        let mismatches = manifest.mismatches(&registration);
        if !mismatches.is_empty() {
            return Err(Problem::Capabilities(mismatches));
        }
        plugin.reads = declared_reads(&registration, abi)?;
        if registration.capabilities.contains(&Capability::Rules) {
            self.rules = merge_rules(&self.rules, &plugin.name, &registration)?;
        }
        plugin.registration = Some(registration);
        plugin.native = Some(native);
        tracing::info!(plugin = %plugin.name, verification = %plugin.verification, "plugin loaded");
        Ok(())
    }

    /// Every configured plugin, in configuration order.
    pub fn plugins(&self) -> &[LoadedPlugin] {
        &self.plugins
    }

    /// The plugin with this name.
    pub fn plugin(&self, name: &str) -> Option<&LoadedPlugin> {
        self.plugins.iter().find(|plugin| plugin.name == name)
    }

    /// The national rules with the plugins' rules registered and their policies applied.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The content pages of every enabled plugin.
    pub fn content(&self) -> impl Iterator<Item = &ContentPage> {
        self.plugins
            .iter()
            .filter(|plugin| plugin.is_enabled())
            .flat_map(|plugin| plugin.content.iter())
    }

    /// National and plugin findings for `case` at `now`, appended to `out`. Findings of a plugin
    /// that fails are left out and the plugin is disabled (see [`PluginHost::plugins`]).
    pub fn evaluate_into(
        &self,
        case: &Case,
        now: DateTime<Utc>,
        scratch: &mut Scratch,
        out: &mut Vec<Finding>,
    ) {
        self.rules.evaluate_into(case, now, scratch, out);
        self.plugin_findings_into(case, now, out);
    }

    /// Only the plugins' findings for `case` at `now`, appended to `out`.
    pub fn plugin_findings_into(&self, case: &Case, now: DateTime<Utc>, out: &mut Vec<Finding>) {
        let mut found = Vec::new();
        self.plugin_findings_batch(std::slice::from_ref(case), now, &mut found);
        out.extend(found.into_iter().map(|(_, finding)| finding));
    }

    /// The plugins' findings for many cases at `now`, appended to `out` with the position of
    /// their case in `cases`. An ABI 2 plugin gets the cases of its force in batches (one call per
    /// batch, each within its time limit); an ABI 1 plugin one case per call. Findings of a
    /// plugin that fails are left out, and the plugin is disabled.
    pub fn plugin_findings_batch<C: Borrow<Case>>(
        &self,
        cases: &[C],
        now: DateTime<Utc>,
        out: &mut Vec<(usize, Finding)>,
    ) {
        for plugin in &self.plugins {
            if !plugin.has(Capability::Rules) || !plugin.is_enabled() {
                continue;
            }
            let theirs = cases
                .iter()
                .map(Borrow::borrow)
                .enumerate()
                .filter(|(_, case)| plugin.applies_to(&case.key.force));
            if plugin.abi() == Some(plugin_abi::v2::ABI_VERSION) {
                self.evaluate_v2(plugin, theirs, now, out);
            } else {
                for (position, case) in theirs {
                    let mut found = Vec::new();
                    match self.plugin_findings(plugin, case, now, &mut found) {
                        Ok(()) => out.extend(found.into_iter().map(|finding| (position, finding))),
                        // A refused case gets no findings; the plugin goes on with the others.
                        Err(CallError::Refused { message, .. }) => {
                            tracing::warn!(plugin = %plugin.name, message = %message, "plugin refused a case; it gets no findings from this plugin");
                        }
                        Err(_) => break,
                    }
                }
            }
        }
    }

    /// ABI 2: writes the cases into batches of at most [`MAX_BATCH_CASES`] cases (or about
    /// [`MAX_BATCH_BYTES`]) and calls the plugin once per batch.
    fn evaluate_v2<'c>(
        &self,
        plugin: &LoadedPlugin,
        cases: impl Iterator<Item = (usize, &'c Case)>,
        now: DateTime<Utc>,
        out: &mut Vec<(usize, Finding)>,
    ) {
        let identity = plugin.sees_identity();
        let spare = || plugin.spare.lock().ok().and_then(|mut spare| spare.take());
        let writer_for = |spare: Option<plugin_sdk::batch::OwnedBatch>| match spare {
            Some(batch) => BatchWriter::reusing(plugin.reads, batch),
            None => BatchWriter::new(plugin.reads),
        };
        let mut writer = writer_for(spare());
        let mut positions = Vec::new();
        for (position, case) in cases {
            encode::write_case(&mut writer, case, now, plugin.reads, identity);
            positions.push(position);
            if writer.case_count() >= MAX_BATCH_CASES || writer.bytes() >= MAX_BATCH_BYTES {
                let full = std::mem::take(&mut writer).finish();
                let (result, returned) = self.call_v2(plugin, full, &positions, out);
                if !carry_on(plugin, result) {
                    return;
                }
                writer = writer_for(returned);
                positions.clear();
            }
        }
        let returned = if positions.is_empty() {
            Some(writer.finish())
        } else {
            let (result, returned) = self.call_v2(plugin, writer.finish(), &positions, out);
            carry_on(plugin, result);
            returned
        };
        if let (Some(batch), Ok(mut spare)) = (returned, plugin.spare.lock()) {
            *spare = Some(batch);
        }
    }

    /// One `evaluate` call, and the batch back (to write the next one in) when the plugin has
    /// returned. The answer is checked in full before any of its findings is kept.
    fn call_v2(
        &self,
        plugin: &LoadedPlugin,
        batch: plugin_sdk::batch::OwnedBatch,
        positions: &[usize],
        out: &mut Vec<(usize, Finding)>,
    ) -> (Result<(), CallError>, Option<plugin_sdk::batch::OwnedBatch>) {
        let native = match self.serving(plugin) {
            Ok(native) => native,
            Err(error) => return (Err(error), Some(batch)),
        };
        let (outcome, returned) = native.evaluate(batch, plugin.timeout);
        let result = self
            .answer(plugin, plugin_abi::method::EVALUATE, outcome)
            .and_then(|bytes| self.take_findings(plugin, &bytes, positions, out));
        (result, returned)
    }

    /// Checks a findings answer in full, then keeps its findings (with their cases' positions).
    fn take_findings(
        &self,
        plugin: &LoadedPlugin,
        bytes: &[u8],
        positions: &[usize],
        out: &mut Vec<(usize, Finding)>,
    ) -> Result<(), CallError> {
        let method = plugin_abi::method::EVALUATE;
        let malformed = |message: String| CallError::Fault {
            plugin: plugin.name.clone(),
            problem: plugin.disable(Problem::Malformed {
                method: method.into(),
                message,
            }),
        };
        let answer = FindingsAnswer::parse(bytes, positions.len(), plugin.rule_map.len())
            .map_err(malformed)?;
        let mut refused = BTreeSet::new();
        for index in 0..answer.refusal_count() {
            let refusal = answer
                .refusal(index)
                .map_err(|message| malformed(format!("refusal {}: {message}", index + 1)))?;
            refused.insert(refusal.case);
            tracing::warn!(plugin = %plugin.name, message = %refusal.message, "plugin refused a case; it gets no findings from this plugin");
        }
        let start = out.len();
        for index in 0..answer.finding_count() {
            let finding = answer
                .finding(index)
                .and_then(|finding| {
                    encode::host_finding(&finding, &plugin.rule_map, &self.rules)
                        .map(|f| (finding.case, f))
                })
                .map_err(|message| {
                    out.truncate(start);
                    malformed(format!("finding {}: {message}", index + 1))
                })?;
            if !refused.contains(&finding.0) {
                out.push((positions[finding.0], finding.1));
            }
        }
        Ok(())
    }

    fn plugin_findings(
        &self,
        plugin: &LoadedPlugin,
        case: &Case,
        now: DateTime<Utc>,
        out: &mut Vec<Finding>,
    ) -> Result<(), CallError> {
        let snapshot = snapshot(case, now, plugin.sees_identity());
        let input = serde_json::to_vec(&snapshot).unwrap_or_default();
        let response: RulesResponse = self.call(plugin, method::RULES, input)?;
        let start = out.len();
        for (position, finding) in response.findings.iter().enumerate() {
            match self.finding(plugin, finding) {
                Ok(finding) => out.push(finding),
                Err(message) => {
                    out.truncate(start);
                    return Err(CallError::Fault {
                        plugin: plugin.name.clone(),
                        problem: plugin.disable(Problem::Malformed {
                            method: method::RULES.into(),
                            message: format!("finding {}: {message}", position + 1),
                        }),
                    });
                }
            }
        }
        Ok(())
    }

    fn finding(&self, plugin: &LoadedPlugin, finding: &PluginFinding) -> Result<Finding, String> {
        let owns = plugin.registration.as_ref().is_some_and(|registration| {
            registration
                .rules
                .iter()
                .any(|rule| rule.id == finding.rule)
        });
        if !owns {
            return Err(format!(
                "`rule`: `{}` is not a rule this plugin registered",
                finding.rule
            ));
        }
        let rule = self
            .rules
            .find(&finding.rule)
            .ok_or_else(|| format!("`rule`: `{}` is not registered", finding.rule))?;
        let trigger = Kind::from_name(&finding.trigger)
            .ok_or_else(|| format!("`trigger`: unknown kind `{}`", finding.trigger))?;
        let instant = |field: &str, text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map_err(|error| format!("`{field}`: `{text}` is not RFC 3339: {error}"))
        };
        let trigger_at = instant("trigger_at", &finding.trigger_at)?;
        let due_by = finding
            .due_by
            .as_deref()
            .map(|due| instant("due_by", due).map(|due| due.with_timezone(&Utc)))
            .transpose()?;
        let done_at = finding
            .done_at
            .as_deref()
            .map(|done| instant("done_at", done))
            .transpose()?;
        let status = encode::host_status(finding.status);
        let needs_deadline = matches!(
            status,
            Status::Met | Status::MetLate | Status::Due | Status::Overdue
        );
        if needs_deadline && due_by.is_none() {
            return Err(format!("`due_by`: a `{status}` finding needs a deadline"));
        }
        Ok(Finding {
            rule,
            // A plugin's finding is read under the version in force at its trigger.
            version: self.rules.version_at(&trigger_at),
            person: finding.person.as_deref().map(Into::into),
            trigger,
            trigger_at,
            status,
            due_by,
            done_at,
        })
    }

    /// Field errors the enabled validators of the record's force find in it; empty when it passes.
    /// A validator that fails is disabled and reported, and the record is then not checked by it.
    pub fn validate(&self, record: &Record) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        for plugin in &self.plugins {
            if !plugin.has(Capability::Validate)
                || !plugin.applies_to(&record.case.force)
                || !plugin.is_enabled()
            {
                continue;
            }
            let mut event = record.to_json();
            strip_identity(&mut event, plugin.sees_identity());
            let input = serde_json::to_vec(&ValidateRequest { event }).unwrap_or_default();
            if let Ok(response) = self.call::<ValidateResponse>(plugin, method::VALIDATE, input) {
                errors.extend(response.errors.into_iter().map(|error| ValidationError {
                    plugin: plugin.name.clone(),
                    field: error.field,
                    message: error.message,
                }));
            }
        }
        errors
    }

    /// The import formats enabled plugins provide, with the plugin providing each.
    pub fn import_formats(&self) -> BTreeMap<String, String> {
        self.plugins
            .iter()
            .filter(|plugin| plugin.is_enabled())
            .filter_map(|plugin| plugin.registration.as_ref().map(|r| (plugin, r)))
            .flat_map(|(plugin, registration)| {
                registration
                    .import_formats
                    .iter()
                    .map(|format| (format.clone(), plugin.name.clone()))
            })
            .collect()
    }

    /// The export formats enabled plugins provide, with their media types.
    pub fn export_formats(&self) -> BTreeMap<String, String> {
        self.plugins
            .iter()
            .filter(|plugin| plugin.is_enabled())
            .filter_map(|plugin| plugin.registration.as_ref())
            .flat_map(|registration| {
                registration
                    .export_formats
                    .iter()
                    .map(|format| (format.name.clone(), format.media_type.clone()))
            })
            .collect()
    }

    /// Converts an export of a force's records system into interchange records through the plugin
    /// that provides `format`. Every event the plugin produces is parsed as interchange (errors
    /// name the event) and passed through the validators of its force; any error fails the whole
    /// import, so nothing half-converted is stored.
    pub fn import(&self, format: &str, bytes: &[u8]) -> Result<Vec<Record>, ImportError> {
        let plugin = self
            .plugins
            .iter()
            .filter(|plugin| plugin.is_enabled())
            .find(|plugin| {
                plugin.registration.as_ref().is_some_and(|registration| {
                    registration.import_formats.iter().any(|f| f == format)
                })
            })
            .ok_or_else(|| ImportError::UnknownFormat {
                format: format.to_owned(),
                known: self.import_formats().into_keys().collect(),
            })?;
        let input = serde_json::to_vec(&ImportRequest {
            format: format.to_owned(),
            data: plugin_sdk::encode_base64(bytes),
        })
        .unwrap_or_default();
        let response: ImportResponse = self.call(plugin, method::IMPORT, input)?;
        let mut records = Vec::with_capacity(response.events.len());
        for (position, event) in response.events.into_iter().enumerate() {
            let index = position + 1;
            let bad = |message: String| ImportError::BadEvent {
                plugin: plugin.name.clone(),
                index,
                message,
            };
            // The plugin's object is parsed as it is, not written out as text and read again.
            let record = parse_object(event).map_err(|error| bad(error.to_string()))?;
            if !plugin.applies_to(&record.case.force) {
                return Err(bad(format!(
                    "field `force`: `{}` is not this plugin's force",
                    record.case.force
                )));
            }
            if let Some(error) = self.validate(&record).into_iter().next() {
                return Err(bad(format!("case `{}`: {error}", record.case.reference)));
            }
            records.push(record);
        }
        Ok(records)
    }

    /// Renders a report (JSON) in an export format a plugin provides.
    pub fn export(&self, format: &str, report: &Value) -> Result<Exported, ExportError> {
        let plugin = self
            .plugins
            .iter()
            .filter(|plugin| plugin.is_enabled())
            .find(|plugin| {
                plugin.registration.as_ref().is_some_and(|registration| {
                    registration.export_formats.iter().any(|f| f.name == format)
                })
            })
            .ok_or_else(|| ExportError::UnknownFormat {
                format: format.to_owned(),
                known: self.export_formats().into_keys().collect(),
            })?;
        let input = serde_json::to_vec(&ExportRequest {
            format: format.to_owned(),
            report: report.clone(),
        })
        .unwrap_or_default();
        let response: ExportResponse = self.call(plugin, method::EXPORT, input)?;
        let bytes =
            plugin_sdk::decode_base64(&response.data).map_err(|_| ExportError::BadData {
                plugin: plugin.name.clone(),
            })?;
        Ok(Exported {
            media_type: response.media_type,
            bytes,
        })
    }

    /// Calls a method and decodes its JSON answer. Panics, time-outs and malformed answers disable
    /// the plugin.
    fn call<T: DeserializeOwned>(
        &self,
        plugin: &LoadedPlugin,
        method: &'static str,
        input: Vec<u8>,
    ) -> Result<T, CallError> {
        let native = self.serving(plugin)?;
        let bytes = self.answer(plugin, method, native.call(method, input, plugin.timeout))?;
        serde_json::from_slice(&bytes).map_err(|error| CallError::Fault {
            plugin: plugin.name.clone(),
            problem: plugin.disable(Problem::Malformed {
                method: method.into(),
                message: format!("not the expected JSON: {error}"),
            }),
        })
    }

    /// The plugin's native side, while it is serving.
    fn serving<'p>(&self, plugin: &'p LoadedPlugin) -> Result<&'p NativePlugin, CallError> {
        match (&plugin.native, plugin.state()) {
            (Some(native), PluginState::Enabled) => Ok(native),
            (_, state) => Err(CallError::NotServing {
                plugin: plugin.name.clone(),
                state: state.to_string(),
            }),
        }
    }

    /// The bytes of a successful answer; a refusal is passed on, and a panic, a time-out or an
    /// unknown status disables the plugin.
    fn answer(
        &self,
        plugin: &LoadedPlugin,
        method: &'static str,
        outcome: CallOutcome,
    ) -> Result<Vec<u8>, CallError> {
        let fault = |problem: Problem| CallError::Fault {
            plugin: plugin.name.clone(),
            problem: plugin.disable(problem),
        };
        let malformed = |message: String| {
            fault(Problem::Malformed {
                method: method.into(),
                message,
            })
        };
        match outcome {
            CallOutcome::Answered(STATUS_OK, bytes) => Ok(bytes),
            CallOutcome::Answered(STATUS_ERROR | STATUS_UNKNOWN_METHOD, bytes) => {
                match serde_json::from_slice::<ErrorBody>(&bytes) {
                    Ok(body) => Err(CallError::Refused {
                        plugin: plugin.name.clone(),
                        message: body.message,
                    }),
                    Err(error) => Err(malformed(format!("error body is not JSON: {error}"))),
                }
            }
            CallOutcome::Answered(STATUS_PANIC, bytes) => Err(fault(Problem::Panicked {
                method: method.into(),
                message: error_message(&bytes),
            })),
            CallOutcome::Answered(STATUS_NOT_INITIALISED, _) => {
                Err(malformed("the plugin says it is not initialised".into()))
            }
            CallOutcome::Answered(status, _) => Err(malformed(format!("unknown status {status}"))),
            CallOutcome::TimedOut => Err(fault(Problem::TimedOut {
                method: method.into(),
                limit_ms: plugin.timeout.as_millis(),
            })),
            CallOutcome::Gone => Err(fault(Problem::Gone)),
        }
    }
}

impl reporting::PluginRules for PluginHost {
    fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Every enabled plugin that adds rules or tightens a timescale, by name, version and
    /// signature.
    fn included(&self) -> Vec<reporting::IncludedPlugin> {
        self.plugins
            .iter()
            .filter(|plugin| plugin.is_enabled() && plugin.has(Capability::Rules))
            .filter_map(|plugin| {
                let registration = plugin.registration.as_ref()?;
                Some(reporting::IncludedPlugin {
                    name: plugin.name.clone(),
                    // The signed manifest's version, not what the code says of itself.
                    version: plugin.manifest.as_ref()?.version.clone(),
                    signature: plugin.signature.clone(),
                    rules: registration
                        .rules
                        .iter()
                        .map(|rule| rule.id.clone())
                        .collect(),
                    policy: registration
                        .policy
                        .iter()
                        .map(|policy| policy.timescale.clone())
                        .collect(),
                })
            })
            .collect()
    }

    fn findings_batch(&self, cases: &[&Case], now: DateTime<Utc>, out: &mut Vec<(usize, Finding)>) {
        self.plugin_findings_batch(cases, now, out);
    }
}

/// After a call of a batch: true to go on with the next batch. A batch the plugin refuses as a
/// whole gets no findings (the message is logged) and the plugin goes on; after a fault the
/// plugin is disabled.
fn carry_on(plugin: &LoadedPlugin, result: Result<(), CallError>) -> bool {
    match result {
        Ok(()) => true,
        Err(CallError::Refused { message, .. }) => {
            tracing::warn!(plugin = %plugin.name, message = %message, "plugin refused a batch of cases; they get no findings from this plugin");
            true
        }
        Err(_) => false,
    }
}

/// The most cases one `evaluate` call gets: a batch is one call, within the plugin's time limit.
pub const MAX_BATCH_CASES: usize = 1024;
/// About the most bytes one batch holds (a batch is cut once it passes this).
pub const MAX_BATCH_BYTES: usize = 16 << 20;

/// What an ABI 2 plugin's rules read. A plugin with rules must declare it; ABI 1 plugins are sent
/// every event and field and declare nothing.
fn declared_reads(registration: &Registration, abi: u32) -> Result<Reads, Problem> {
    let reads = registration
        .declared_reads()
        .map_err(|name| Problem::Reads(format!("`{name}` is not an event kind")))?;
    let declares = !registration.reads.is_empty() || !registration.reads_fields.is_empty();
    if abi == plugin_abi::v1::ABI_VERSION {
        if declares {
            return Err(Problem::Reads(
                "an ABI 1 plugin is sent every event; `reads` is for ABI 2".into(),
            ));
        }
        return Ok(Reads::ALL);
    }
    if !registration.rules.is_empty() && !declares {
        return Err(Problem::Reads(
            "a plugin with rules must declare the event kinds its rules read".into(),
        ));
    }
    Ok(reads)
}

/// The message of an error body, kept short; never more than 300 characters.
fn error_message(bytes: &[u8]) -> String {
    let message = serde_json::from_slice::<ErrorBody>(bytes)
        .map(|body| body.message)
        .unwrap_or_else(|_| "(no readable message)".to_owned());
    let mut short: String = message.chars().take(300).collect();
    if short.len() < message.len() {
        short.push('…');
    }
    short
}

/// Registers a plugin's rules and applies its policy on a copy of `rules`; either all of it is
/// accepted or none.
fn merge_rules(
    rules: &RuleSet,
    plugin: &str,
    registration: &Registration,
) -> Result<RuleSet, Problem> {
    let mut merged = rules.clone();
    let policy: Vec<(String, Timescale)> = registration
        .policy
        .iter()
        .map(|policy| {
            let value = match policy.value {
                plugin_sdk::Timescale::WorkingDays(n) => Timescale::WorkingDays(n),
                plugin_sdk::Timescale::CalendarDays(n) => Timescale::CalendarDays(n),
                plugin_sdk::Timescale::Hours(n) => Timescale::Hours(n),
            };
            (policy.timescale.clone(), value)
        })
        .collect();
    merged
        .tighten(&policy)
        .map_err(|error: RuleSetError| Problem::Rules(error.to_string()))?;
    if !policy.is_empty() {
        // A tightened rule set is no longer the national one: its id says whose policy applies,
        // so reports never present a force's figures as national ones.
        merged = merged.renamed(&format!("+{plugin}"));
    }
    for rule in &registration.rules {
        merged
            .register(RuleInfo {
                id: rule.id.clone().into(),
                title: rule.title.clone().into(),
                guidance: rule.guidance.clone(),
                origin: Origin::Plugin(plugin.to_owned()),
            })
            .map_err(|error| Problem::Rules(error.to_string()))?;
    }
    Ok(merged)
}

/// The case as a plugin sees it: events up to `now` in interchange form, identity removed unless
/// allowed.
pub fn snapshot(case: &Case, now: DateTime<Utc>, identity: bool) -> CaseSnapshot {
    let events = case
        .events()
        .iter()
        .filter(|event| event.at <= now)
        .map(|event| {
            let mut json = Record {
                case: case.key.clone(),
                event: event.clone(),
            }
            .to_json();
            strip_identity(&mut json, identity);
            json
        })
        .collect();
    CaseSnapshot {
        case: case.key.reference.to_string(),
        force: case.key.force.to_string(),
        now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        events,
    }
}

/// The cases as an ABI 2 plugin is handed them, in one batch: events up to `now` of the kinds
/// `reads` says, with fields only for the kinds whose fields it reads
/// ([`LoadedPlugin::reads`]), victim identity only when `identity`.
pub fn batch<C: Borrow<Case>>(
    cases: &[C],
    now: DateTime<Utc>,
    reads: Reads,
    identity: bool,
) -> plugin_sdk::batch::OwnedBatch {
    let mut writer = BatchWriter::new(reads);
    write_cases(&mut writer, cases, now, identity);
    writer.finish()
}

/// Writes the cases into `writer` as [`batch`] does (what of them, by the writer's `reads`): for
/// callers that reuse a batch's memory ([`BatchWriter::reusing`]), as the host does between calls.
pub fn write_cases<C: Borrow<Case>>(
    writer: &mut BatchWriter,
    cases: &[C],
    now: DateTime<Utc>,
    identity: bool,
) {
    let reads = writer.reads();
    for case in cases {
        encode::write_case(writer, case.borrow(), now, reads, identity);
    }
}

fn strip_identity(event: &mut serde_json::Map<String, Value>, identity: bool) {
    if !identity {
        event.remove("identity");
    }
}

/// A plugin folder whose files have been read once and verified.
#[derive(Debug)]
pub struct VerifiedFolder {
    pub manifest: Manifest,
    pub verification: Verification,
    /// What names this exact build of the plugin: its signature (hex), or `unsigned:` and the
    /// SHA-256 of its folder's digest when it has none. Reports and report facts name plugins by it.
    pub signature: String,
    /// The library's bytes, exactly as hashed, for native plugins.
    pub library: Option<Vec<u8>>,
    /// Every file of the folder (relative path -> bytes), as hashed.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Reads a plugin folder once and checks it: listed in the configuration (under `expected_name`
/// when given), manifest valid, library hash as the manifest says, signature by a trusted key (or
/// unsigned with `allow_unsigned`), ABI version in the manifest. Nothing is loaded.
pub fn verify_folder(
    config: &HostConfig,
    dir: &Path,
    expected_name: Option<&str>,
) -> Result<VerifiedFolder, Problem> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut files =
        signing::folder_files(dir).map_err(|error| Problem::Files(error.to_string()))?;
    let manifest_text = files
        .get(MANIFEST_FILE)
        .ok_or_else(|| Problem::Manifest {
            path: manifest_path.display().to_string(),
            message: "missing".into(),
        })
        .and_then(|bytes| {
            std::str::from_utf8(bytes).map_err(|_| Problem::Manifest {
                path: manifest_path.display().to_string(),
                message: "not UTF-8".into(),
            })
        })?;
    let manifest = Manifest::parse(manifest_text).map_err(|message| Problem::Manifest {
        path: manifest_path.display().to_string(),
        message,
    })?;
    match expected_name {
        Some(configured) if configured != manifest.name => {
            return Err(Problem::NameMismatch {
                configured: configured.to_owned(),
                manifest: manifest.name.clone(),
            });
        }
        _ => {}
    }
    if !config
        .plugins
        .iter()
        .any(|entry| entry.name == manifest.name)
    {
        return Err(Problem::NotConfigured);
    }
    if let (Some(library), Some(expected)) = (&manifest.library, &manifest.sha256) {
        let file = dir.join(library).display().to_string();
        let bytes = files
            .get(library)
            .ok_or_else(|| Problem::MissingLibrary { file: file.clone() })?;
        let found = signing::sha256_hex(bytes);
        if !found.eq_ignore_ascii_case(expected.trim()) {
            return Err(Problem::HashMismatch {
                file,
                expected: expected.clone(),
                found,
            });
        }
    }
    let signature_path = dir.join(SIGNATURE_FILE);
    let digest = signing::digest_text(&files);
    let mut identity = format!("unsigned:{}", signing::sha256_hex(digest.as_bytes()));
    let verification = match std::fs::read(&signature_path) {
        Ok(text) => {
            let signature = signing::parse_signature(&text, &signature_path)
                .map_err(|error| Problem::BadSignature(error.to_string()))?;
            match signing::trusted_signer(&digest, &signature, &config.trusted_keys) {
                Some(key) => {
                    identity = hex::encode(signature.to_bytes());
                    Verification::Signed {
                        key: key.fingerprint(),
                    }
                }
                None => {
                    return Err(Problem::BadSignature(format!(
                        "{} does not verify under any of the {} trusted key(s): the folder was changed after signing, or signed by a key this force does not trust",
                        signature_path.display(),
                        config.trusted_keys.len()
                    )));
                }
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if !config.allow_unsigned {
                return Err(Problem::Unsigned);
            }
            tracing::warn!(plugin = %manifest.name, "loading an UNSIGNED plugin: allow_unsigned is for development only");
            Verification::Unsigned
        }
        Err(error) => {
            return Err(Problem::Files(format!(
                "{}: {error}",
                signature_path.display()
            )));
        }
    };
    if let Some(abi) = manifest.abi {
        let known = [plugin_abi::v1::ABI_VERSION, plugin_abi::v2::ABI_VERSION];
        if manifest.library.is_some() && !known.contains(&abi) {
            return Err(Problem::ManifestAbi { found: abi });
        }
    }
    let library = manifest
        .library
        .as_ref()
        .and_then(|library| files.remove(library));
    Ok(VerifiedFolder {
        manifest,
        verification,
        signature: identity,
        library,
        files,
    })
}

/// The host is shared by the web server's worker threads.
#[allow(dead_code)]
fn assert_host_is_shareable() {
    fn shareable<T: Send + Sync>() {}
    shareable::<PluginHost>();
}
