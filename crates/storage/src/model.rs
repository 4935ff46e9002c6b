//! What goes into and comes out of a store.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use domain::interchange::{RecordError, parse_object};
use domain::{Case, CaseKey, Record};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::canonical::canonical_json;

/// The version a writer expects a case to be at (its number of events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the version (imports: events are idempotent by id).
    Any,
    /// The case must not exist yet.
    NoCase,
    /// The case must be at exactly this version.
    Exact(u64),
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoCase => f.write_str("0 (no case yet)"),
            ExpectedVersion::Exact(version) => write!(f, "{version}"),
        }
    }
}

/// One event ready to be stored: the parsed record, and the original JSON object (kept so that
/// export gives back exactly what came in, unknown fields included).
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The event id: the sender's, or one derived from the content (see [`NewEvent::from_line`]).
    pub id: String,
    pub record: Record,
    /// The original object, `identity` included; the store seals the identity before writing.
    pub object: Map<String, Value>,
}

impl NewEvent {
    /// An event from one line of an interchange file. Without an `id`, the id is derived from the
    /// line's content (identity excluded) and `occurrence`, the number of earlier lines of the same
    /// case with the same content, so that importing the same file twice is a no-op.
    pub fn from_line(line: &str, occurrence: u32) -> Result<NewEvent, RecordError> {
        // The line is read as JSON once: the object is kept as it came and parsed as it is.
        let object = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(object)) => object,
            Ok(_) => return Err(general("expected a JSON object".into())),
            Err(error) => return Err(general(format!("not valid JSON: {error}"))),
        };
        let record = parse_object(object.clone())?;
        Ok(NewEvent::from_parts(record, object, occurrence))
    }

    /// An event from a record built in code (no original text: the record's own JSON is kept).
    pub fn from_record(record: Record) -> NewEvent {
        let object = record.to_json();
        NewEvent::from_parts(record, object, 0)
    }

    fn from_parts(record: Record, object: Map<String, Value>, occurrence: u32) -> NewEvent {
        let id = match &record.event.id {
            Some(id) => id.to_string(),
            None => derived_id(&object, occurrence),
        };
        NewEvent { id, record, object }
    }

    /// The case the event belongs to.
    pub fn case(&self) -> &CaseKey {
        &self.record.case
    }

    /// The content digest used for derived ids (identity excluded).
    pub fn content_digest(object: &Map<String, Value>) -> String {
        let mut without = object.clone();
        without.remove("identity");
        without.remove("id");
        let mut hasher = Sha256::new();
        hasher.update(canonical_json(&Value::Object(without)).as_bytes());
        hex::encode(&hasher.finalize()[..16])
    }
}

/// An error of the line as a whole (as `domain::interchange::parse_record` words it).
fn general(message: String) -> RecordError {
    RecordError {
        field: None,
        message,
    }
}

fn derived_id(object: &Map<String, Value>, occurrence: u32) -> String {
    format!("~{}.{occurrence}", NewEvent::content_digest(object))
}

/// Reads interchange lines into events, numbering repeated id-less lines of a case so that each
/// gets its own stable derived id.
#[derive(Debug, Default)]
pub struct EventReader {
    seen: HashMap<(CaseKey, String), u32>,
}

impl EventReader {
    /// A reader with nothing seen yet.
    pub fn new() -> Self {
        EventReader::default()
    }

    /// Parses one line.
    pub fn read(&mut self, line: &str) -> Result<NewEvent, RecordError> {
        let mut event = NewEvent::from_line(line, 0)?;
        self.number(&mut event);
        Ok(event)
    }

    /// Gives an id-less event parsed with occurrence 0 its place among identical lines of its
    /// case read so far. Call in file order.
    pub fn number(&mut self, event: &mut NewEvent) {
        if event.record.event.id.is_none() {
            let digest = NewEvent::content_digest(&event.object);
            let count = self
                .seen
                .entry((event.record.case.clone(), digest))
                .or_insert(0);
            if *count > 0 {
                event.id = derived_id(&event.object, *count);
            }
            *count += 1;
        }
    }

    /// Parses many lines on all cores, then numbers id-less events in line order: the same
    /// result as [`EventReader::read`] on each line in turn.
    pub fn read_all(&mut self, lines: &[&str]) -> Vec<Result<NewEvent, RecordError>> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 16);
        let chunk = lines.len().div_ceil(threads).max(1);
        let mut results: Vec<Result<NewEvent, RecordError>> = Vec::with_capacity(lines.len());
        std::thread::scope(|scope| {
            let handles: Vec<_> = lines
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|line| NewEvent::from_line(line, 0))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                match handle.join() {
                    Ok(part) => results.extend(part),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
        for event in results.iter_mut().flatten() {
            self.number(event);
        }
        results
    }
}

/// Events to append to one case.
#[derive(Debug, Clone)]
pub struct Append {
    pub case: CaseKey,
    pub expected: ExpectedVersion,
    /// All must belong to `case`.
    pub events: Vec<NewEvent>,
}

/// What an append did to one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Events stored now (the others were already there).
    pub appended: u64,
    /// Events already stored (same id), skipped.
    pub duplicates: u64,
    /// The case's version after the append.
    pub version: u64,
}

/// Open or closed (a `case_closed` event recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Closed,
}

impl CaseStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Closed => "closed",
        }
    }

    /// From the stored form.
    pub fn parse(text: &str) -> Option<CaseStatus> {
        match text {
            "open" => Some(CaseStatus::Open),
            "closed" => Some(CaseStatus::Closed),
            _ => None,
        }
    }
}

/// A case's projection row: what lists show without reading the events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseSummary {
    pub force: String,
    pub reference: String,
    /// Number of events.
    pub version: u64,
    pub status: CaseStatus,
    /// The officer in case (the latest `officer_allocated` with role `oic`).
    pub officer: Option<String>,
    /// Open findings of the national rule set when the case was last written.
    pub open_findings: u64,
    /// People added to the case.
    pub people: u64,
    /// Time of the first `report_received`, RFC 3339 UTC.
    pub reported_at: Option<String>,
    /// Time of the latest event, RFC 3339 UTC.
    pub last_event_at: Option<String>,
}

impl CaseSummary {
    /// The case key.
    pub fn key(&self) -> CaseKey {
        CaseKey {
            force: self.force.as_str().into(),
            reference: self.reference.as_str().into(),
        }
    }
}

/// Which cases to list. Empty filter: every case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct CaseFilter {
    pub force: Option<String>,
    pub officer: Option<String>,
    pub status: Option<CaseStatus>,
    /// `Some(true)`: only cases with open findings; `Some(false)`: only cases without.
    pub open_findings: Option<bool>,
    /// At most this many (default: no limit).
    pub limit: Option<u64>,
    pub offset: u64,
}

/// A case as read back: the domain case (identity sealed, not included) and its version.
#[derive(Debug, Clone)]
pub struct StoredCase {
    pub case: Case,
    pub version: u64,
}

/// How to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Leave the sealed `identity` objects out (for recipients outside the case team).
    pub without_identity: bool,
    /// Only this force's cases.
    pub force: Option<String>,
}

/// A user of the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub display_name: String,
    /// One of the roles of the design (`investigator`, `supervisor`, ...).
    pub role: String,
    /// The force the user belongs to. `None` for a national user, and for an account that was
    /// never given a force (which reaches no case data): see [`User::scope`].
    pub force: Option<String>,
    /// Explicitly national (for example a national analyst): never together with a force.
    pub national: bool,
    /// How the user's force names them in its records (collar or staff number, as
    /// `officer_allocated` does). Meaningful only within `force`: two forces may each have an
    /// officer `4521`, and they are different people.
    pub officer_id: String,
    /// An argon2id PHC string; never logged.
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// What became of one attempt to sign in as a known user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInOutcome {
    /// The user signed in.
    SignedIn,
    /// A wrong password, or a disabled account.
    Refused,
    /// Refused because the account or the client address was locked out.
    Locked,
}

impl SignInOutcome {
    /// The value stored in the `sign_ins` table.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInOutcome::SignedIn => "signed_in",
            SignInOutcome::Refused => "refused",
            SignInOutcome::Locked => "locked",
        }
    }

    /// The outcome of a stored value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "signed_in" => Some(SignInOutcome::SignedIn),
            "refused" => Some(SignInOutcome::Refused),
            "locked" => Some(SignInOutcome::Locked),
            _ => None,
        }
    }
}

/// One attempt to sign in as a known user, for the administrators' page. Attempts at unknown
/// usernames are not kept: what a person types in the username field may be anything.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignIn {
    pub username: String,
    pub at: DateTime<Utc>,
    pub outcome: SignInOutcome,
}

/// How long the sign-in history is kept (older attempts are deleted as new ones are noted).
pub const SIGN_IN_HISTORY_DAYS: i64 = 90;

/// Where a user may work: one force, every force (national), or nowhere yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserScope<'a> {
    /// A user of this force.
    Force(&'a str),
    /// An explicitly national user.
    National,
    /// An account with no force and not national: it reaches no case data. Accounts made before
    /// forces were recorded are like this until an administrator gives them a force; an account
    /// without a force never silently becomes national.
    Unassigned,
}

impl User {
    /// The user's scope (see [`UserScope`]).
    pub fn scope(&self) -> UserScope<'_> {
        match (&self.force, self.national) {
            (Some(force), false) => UserScope::Force(force),
            (None, true) => UserScope::National,
            // National and a force at once is refused when stored; read as neither, to be safe.
            _ => UserScope::Unassigned,
        }
    }

    /// Whether the user belongs to `force` (a national user belongs to none).
    pub fn is_of_force(&self, force: &str) -> bool {
        self.scope() == UserScope::Force(force)
    }

    /// Checks the scope before a user is stored: national or one force, not both; a force code
    /// is lowercase letters, digits and hyphens.
    pub fn check_scope(&self) -> Result<(), String> {
        if self.national && self.force.is_some() {
            return Err(format!(
                "user `{}`: a user is national or of one force, not both",
                self.username
            ));
        }
        if let Some(force) = &self.force
            && (force.is_empty()
                || force.len() > 64
                || !force
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            return Err(format!(
                "user `{}`: the force code must be lowercase letters, digits and hyphens",
                self.username
            ));
        }
        if self.officer_id.is_empty() || self.officer_id.len() > 64 {
            return Err(format!(
                "user `{}`: the officer identifier must be 1 to 64 characters",
                self.username
            ));
        }
        Ok(())
    }
}

/// A signed-in session, stored server-side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie token (the token itself is never stored).
    pub token_hash: String,
    pub username: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The change counter of a session's user's force, read with the session
/// ([`crate::AccountStore::session_with_force_changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForceChanges {
    pub force: String,
    /// As [`crate::CaseStore::case_changes`] of the force.
    pub changes: u64,
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub path: std::path::PathBuf,
    pub bytes: u64,
    /// Audit records in the copy.
    pub audit_records: u64,
}

impl std::str::FromStr for CaseStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CaseStatus::parse(text)
            .ok_or_else(|| format!("unknown case status `{text}` (open or closed)"))
    }
}
