//! The JSON protocol between host and plugin. It is independent of the transport: the same
//! payloads could be carried to a child process or a WebAssembly module.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a native plugin can provide. `content` and `identity` are declared in `plugin.toml` only:
/// content is files, and `identity` asks the host to include victim identity in case snapshots
/// (the force must also enable it in its configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Case snapshot -> findings, and policy overrides that shorten national deadlines.
    Rules,
    /// Event -> field errors.
    Validate,
    /// A records-system export -> interchange events.
    Import,
    /// A report -> bytes and a media type.
    Export,
    /// Guidance pages and contacts, as files: no native code needed.
    Content,
    /// Victim identity in case snapshots.
    Identity,
}

impl Capability {
    /// The capability as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Rules => "rules",
            Capability::Validate => "validate",
            Capability::Import => "import",
            Capability::Export => "export",
            Capability::Content => "content",
            Capability::Identity => "identity",
        }
    }
}

/// A time allowed for an act, as the national rule set writes it: `{"calendar_days": 14}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timescale {
    WorkingDays(u32),
    CalendarDays(u32),
    Hours(u32),
}

/// A rule a plugin adds. Its id must not be a national rule's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    /// Capital letters, digits and `-`; prefix it with the force's code: `NM-SUP-24H`.
    pub id: String,
    /// One line saying what the rule checks.
    pub title: String,
    /// The guidance page that explains it (a page the plugin ships, or a national one).
    pub guidance: String,
}

/// A force policy that tightens a national timescale, by its name in the rule set configuration
/// (`supervisor_review`, `isva_offer`, ...). The host refuses one that would lengthen a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOverride {
    pub timescale: String,
    pub value: Timescale,
}

/// An export format a plugin provides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFormat {
    pub name: String,
    pub media_type: String,
}

/// What a plugin says it provides, returned by its `manifest` function. The host checks it against
/// the signed `plugin.toml`: a plugin that registers anything its manifest does not declare (or
/// declares anything it does not register) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Registration {
    pub name: String,
    pub version: String,
    /// The native capabilities: `rules`, `validate`, `import`, `export`.
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub policy: Vec<PolicyOverride>,
    #[serde(default)]
    pub import_formats: Vec<String>,
    #[serde(default)]
    pub export_formats: Vec<ExportFormat>,
    /// The event kinds the plugin's rules read (ABI 2): the host hands over only events of these
    /// kinds, and a rule asking for another kind is stopped. Empty for plugins without rules and
    /// for ABI 1 plugins, which are sent every event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<String>,
    /// The event kinds whose fields the plugin's rules read as well (ABI 2; reading a kind's fields
    /// implies reading the kind). Events of other kinds come with their kind, time and person only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads_fields: Vec<String>,
}

impl Registration {
    /// What the plugin's rules read, as declared; every event and field when it declares nothing
    /// (ABI 1). The first name that is no kind is the error.
    pub fn declared_reads(&self) -> Result<crate::batch::Reads, &str> {
        if self.reads.is_empty() && self.reads_fields.is_empty() {
            return Ok(crate::batch::Reads::ALL);
        }
        crate::batch::Reads::declared(
            self.reads.iter().map(String::as_str),
            self.reads_fields.iter().map(String::as_str),
        )
    }
}

/// The input of ABI 1's `rules`: one case at `now`, as JSON. ABI 2 plugins read cases through
/// [`crate::Case`] instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSnapshot {
    /// The force's case reference.
    pub case: String,
    /// The force code.
    pub force: String,
    /// The instant to evaluate at (RFC 3339). Events after it have already been left out.
    pub now: String,
    /// The case's events in time order, each in interchange form (`case`, `force`, `at`, `kind`,
    /// then the kind's fields). `identity` is removed from `person_added` unless the plugin
    /// declares the `identity` capability and the force enables it.
    pub events: Vec<Map<String, Value>>,
}

impl CaseSnapshot {
    /// `now` as a timestamp.
    pub fn now(&self) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(&self.now).ok()
    }

    /// The events of one kind, in time order.
    pub fn events_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Map<String, Value>> {
        self.events
            .iter()
            .filter(move |event| event.kind() == Some(kind))
    }
}

/// Convenient reads of an event in interchange form.
pub trait EventExt {
    /// `kind`.
    fn kind(&self) -> Option<&str>;
    /// `at`, parsed.
    fn at(&self) -> Option<DateTime<FixedOffset>>;
    /// A string field.
    fn text(&self, field: &str) -> Option<&str>;
    /// A boolean field; absent is `None`.
    fn flag(&self, field: &str) -> Option<bool>;
    /// `person`.
    fn person(&self) -> Option<&str> {
        self.text("person")
    }
}

impl EventExt for Map<String, Value> {
    fn kind(&self) -> Option<&str> {
        self.get("kind").and_then(Value::as_str)
    }

    fn at(&self) -> Option<DateTime<FixedOffset>> {
        self.get("at")
            .and_then(Value::as_str)
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
    }

    fn text(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }

    fn flag(&self, field: &str) -> Option<bool> {
        self.get(field).and_then(Value::as_bool)
    }
}

/// Where a finding stands: the same statuses as national findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Met,
    MetLate,
    Due,
    Overdue,
    Breached,
    Advice,
}

impl FindingStatus {
    /// Status of an act required by `due`: done at `done`, or not yet at `now`.
    pub fn for_deadline(
        done: Option<DateTime<FixedOffset>>,
        due: DateTime<FixedOffset>,
        now: DateTime<FixedOffset>,
    ) -> Self {
        match done {
            Some(at) if at <= due => FindingStatus::Met,
            Some(_) => FindingStatus::MetLate,
            None if now <= due => FindingStatus::Due,
            None => FindingStatus::Overdue,
        }
    }
}

/// One finding of an ABI 1 plugin rule (ABI 2 rules write [`crate::Finding`]s). The host fills in
/// the case, the force and the guidance page registered with the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginFinding {
    /// One of the rule ids the plugin registered.
    pub rule: String,
    pub person: Option<String>,
    /// The kind of the event that started the instance.
    pub trigger: String,
    /// RFC 3339.
    pub trigger_at: String,
    pub status: FindingStatus,
    /// RFC 3339, or null where the rule has no deadline.
    pub due_by: Option<String>,
    /// RFC 3339, or null.
    pub done_at: Option<String>,
}

/// The output of `rules`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RulesResponse {
    pub findings: Vec<PluginFinding>,
}

/// The input of `validate`: one event in interchange form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidateRequest {
    pub event: Map<String, Value>,
}

/// A problem with one field of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The output of `validate`: empty when the event is acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ValidateResponse {
    pub errors: Vec<FieldError>,
}

/// The input of `import`: the export file, base64-encoded so that any bytes can cross.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRequest {
    pub format: String,
    pub data: String,
}

/// The output of `import`: events in interchange form, in file order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImportResponse {
    pub events: Vec<Map<String, Value>>,
}

/// The input of `export`: a report as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub format: String,
    pub report: Value,
}

/// The output of `export`: the bytes, base64-encoded, and their media type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportResponse {
    pub media_type: String,
    pub data: String,
}

/// The body of an error or panic status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub message: String,
}
