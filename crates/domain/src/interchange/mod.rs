//! The case interchange format, version 1: JSON Lines, one event of one case per line.
//!
//! Parsing keeps every field this version does not know (`extra`) so that a file imported and
//! exported again is unchanged in meaning. Errors name the field and, through [`document`], the
//! file and line.

pub mod document;
mod fields;
pub mod kinds;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use compact_str::CompactString;
use serde_json::{Map, Value};

pub use document::DocumentError;
pub use fields::variant_names;
pub use kinds::*;

/// An instant with the offset it was written with.
pub type Timestamp = DateTime<FixedOffset>;

/// A case as the force knows it: the force code and the force's own case reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseKey {
    pub force: CompactString,
    pub reference: CompactString,
}

/// One event of one case, as read from a line of an interchange file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub case: CaseKey,
    pub event: Event,
}

/// One event of a case's story.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// The sender's id for the event, which makes re-imports no-ops.
    pub id: Option<Box<str>>,
    /// What happened.
    pub data: EventData,
    /// Fields this version does not know, kept and exported unchanged.
    pub extra: Option<Box<Map<String, Value>>>,
}

impl Event {
    /// An event with no id and no extra fields.
    pub fn new(at: Timestamp, data: EventData) -> Self {
        Event {
            at,
            id: None,
            data,
            extra: None,
        }
    }

    /// The kind of event.
    #[inline]
    pub fn kind(&self) -> Kind {
        self.data.kind()
    }

    /// The person the event is about, for kinds that name one.
    #[inline]
    pub fn person(&self) -> Option<&PersonKey> {
        self.data.person()
    }
}

/// Why a line is not a valid event. `field` names the offending field where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", field_prefix(.field))]
pub struct RecordError {
    pub field: Option<String>,
    pub message: String,
}

fn field_prefix(field: &Option<String>) -> String {
    match field {
        Some(name) => format!("field `{name}`: "),
        None => String::new(),
    }
}

impl RecordError {
    pub(crate) fn field(name: &str, message: impl Into<String>) -> Self {
        RecordError {
            field: Some(name.to_owned()),
            message: message.into(),
        }
    }

    pub(crate) fn general(message: impl Into<String>) -> Self {
        RecordError {
            field: None,
            message: message.into(),
        }
    }
}

macro_rules! person_of {
    (person, $payload:expr) => {
        Some(&$payload.person)
    };
    (none, $payload:expr) => {
        None
    };
}

macro_rules! event_kinds {
    ($( $variant:ident ( $payload:ty ) = $name:literal, $person:ident; )*) => {
        /// The kind of an event, without its fields.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Kind { $( $variant, )* }

        impl Kind {
            /// Every kind, in the order of the interchange document.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];
            /// How many kinds there are.
            pub const COUNT: usize = Self::ALL.len();

            /// The kind's name in the interchange format.
            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $name, )* }
            }

            /// The kind with this interchange name.
            pub fn from_name(name: &str) -> Option<Kind> {
                match name { $( $name => Some(Kind::$variant), )* _ => None }
            }

            /// A dense index, for tables keyed by kind.
            #[inline]
            pub fn index(self) -> usize {
                self as usize
            }

            /// The kind's own fields (its payload's, envelope excluded), in order, as serde's
            /// derive lists them: what a form for the kind must offer or fill.
            pub fn fields(self) -> &'static [&'static str] {
                match self { $( Kind::$variant => fields::struct_fields::<$payload>(), )* }
            }
        }

        /// What happened, with the kind's fields.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventData { $( $variant($payload), )* }

        impl EventData {
            /// The kind of event.
            #[inline]
            pub fn kind(&self) -> Kind {
                match self { $( EventData::$variant(_) => Kind::$variant, )* }
            }

            /// The person the event is about, for kinds that name one.
            #[inline]
            pub fn person(&self) -> Option<&PersonKey> {
                match self { $( EventData::$variant(_payload) => person_of!($person, _payload), )* }
            }

            fn from_fields(kind: Kind, fields: Map<String, Value>) -> Result<(Self, Map<String, Value>), RecordError> {
                match kind {
                    $( Kind::$variant => {
                        let (payload, extra) = fields::split_and_parse::<$payload>(fields)?;
                        Ok((EventData::$variant(payload), extra))
                    } )*
                }
            }

            /// Writes the kind's fields (its payload) with `serializer`, as the interchange form
            /// writes them: for readers that want the fields without building JSON.
            pub fn serialize_fields<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self { $( EventData::$variant(payload) => serde::Serialize::serialize(payload, serializer), )* }
            }

            fn to_fields(&self) -> Map<String, Value> {
                match self { $( EventData::$variant(payload) => fields::to_map(payload), )* }
            }
        }
    };
}

event_kinds! {
    ReportReceived(Box<ReportReceived>) = "report_received", none;
    CrimeRecorded(CrimeRecorded) = "crime_recorded", none;
    PersonAdded(Box<PersonAdded>) = "person_added", person;
    OfficerAllocated(OfficerAllocated) = "officer_allocated", none;
    SupervisorReview(Box<SupervisorReview>) = "supervisor_review", none;
    NeedsAssessment(NeedsAssessment) = "needs_assessment", person;
    WrittenConfirmationSent(WrittenConfirmationSent) = "written_confirmation_sent", person;
    SupportReferral(SupportReferral) = "support_referral", person;
    IsvaOffered(IsvaOffered) = "isva_offered", person;
    UpdateCadenceAgreed(UpdateCadenceAgreed) = "update_cadence_agreed", person;
    VictimInformed(VictimInformed) = "victim_informed", person;
    SuspectArrested(SuspectArrested) = "suspect_arrested", person;
    SuspectInterviewed(SuspectInterviewed) = "suspect_interviewed", person;
    SuspectBailed(SuspectBailed) = "suspect_bailed", person;
    BailExtended(BailExtended) = "bail_extended", person;
    BailVaried(BailVaried) = "bail_varied", person;
    BailEnded(BailEnded) = "bail_ended", person;
    SuspectReleasedRui(SuspectReleasedRui) = "suspect_released_rui", person;
    SuspectReleasedNfa(SuspectReleasedNfa) = "suspect_released_nfa", person;
    DecisionNotToInvestigate(Box<DecisionNotToInvestigate>) = "decision_not_to_investigate", none;
    VictimInterviewed(VictimInterviewed) = "victim_interviewed", person;
    StatementTaken(StatementTaken) = "statement_taken", person;
    ForensicExamOffered(ForensicExamOffered) = "forensic_exam_offered", person;
    DeviceExtraction(Box<DeviceExtraction>) = "device_extraction", person;
    ThirdPartyRequest(Box<ThirdPartyRequest>) = "third_party_request", person;
    ChargingDecision(Box<ChargingDecision>) = "charging_decision", person;
    SuspectCharged(SuspectCharged) = "suspect_charged", person;
    VrrRequested(VrrRequested) = "vrr_requested", person;
    VrrAcknowledged(VrrAcknowledged) = "vrr_acknowledged", person;
    VrrDecided(VrrDecided) = "vrr_decided", person;
    JurisdictionAssessed(Box<JurisdictionAssessed>) = "jurisdiction_assessed", none;
    CaseClosed(CaseClosed) = "case_closed", none;
    InformationNoticeGiven(Box<InformationNoticeGiven>) = "information_notice_given", person;
    EarlyAdvice(Box<EarlyAdvice>) = "early_advice", none;
    InterviewPlanned(InterviewPlanned) = "interview_planned", person;
    SpecialMeasuresApplied(SpecialMeasuresApplied) = "special_measures_applied", person;
    VictimWithdrawal(VictimWithdrawal) = "victim_withdrawal", person;
    PropertyTaken(Box<PropertyTaken>) = "property_taken", person;
    PropertyReturned(Box<PropertyReturned>) = "property_returned", person;
    PropertyRetained(Box<PropertyRetained>) = "property_retained", person;
    DecisionRecorded(Box<DecisionRecorded>) = "decision_recorded", none;
    Note(Box<Note>) = "note", none;
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields every event carries, in the order they are written.
const ENVELOPE: [&str; 5] = ["case", "force", "at", "kind", "id"];

/// Parses one line of an interchange file. Blank lines are the caller's to skip.
pub fn parse_record(line: &str) -> Result<Record, RecordError> {
    let value: Value = serde_json::from_str(line)
        .map_err(|error| RecordError::general(format!("not valid JSON: {error}")))?;
    let Value::Object(object) = value else {
        return Err(RecordError::general("expected a JSON object"));
    };
    parse_object(object)
}

/// Parses one event already read as a JSON object (what [`parse_record`] does after reading the
/// line): for callers that hold the object, so that it is not written out as text and read again.
pub fn parse_object(mut object: Map<String, Value>) -> Result<Record, RecordError> {
    let reference = take_string(&mut object, "case")?;
    check_length("case", &reference, limits::REFERENCE)?;
    if reference.chars().any(char::is_control) {
        return Err(RecordError::field(
            "case",
            "the case reference holds a control character",
        ));
    }
    let force = take_string(&mut object, "force")?;
    check_length("force", &force, limits::FORCE)?;
    if !force
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(RecordError::field(
            "force",
            format!("`{force}` is not a force code (lowercase letters, digits and `-`)"),
        ));
    }
    let at_text = take_string(&mut object, "at")?;
    let at = DateTime::parse_from_rfc3339(&at_text).map_err(|error| {
        RecordError::field(
            "at",
            format!("`{at_text}` is not an RFC 3339 timestamp with an offset: {error}"),
        )
    })?;
    let kind_name = take_string(&mut object, "kind")?;
    let kind = Kind::from_name(&kind_name)
        .ok_or_else(|| RecordError::field("kind", format!("unknown kind `{kind_name}`")))?;
    let id = match object.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => {
            check_length("id", &id, limits::ID)?;
            Some(id.into_boxed_str())
        }
        Some(_) => return Err(RecordError::field("id", "expected a string")),
    };
    let (data, extra) = EventData::from_fields(kind, object)?;
    if let Some(person) = data.person() {
        check_length("person", person, limits::PERSON)?;
    }
    Ok(Record {
        case: CaseKey {
            force: force.into(),
            reference: reference.into(),
        },
        event: Event {
            at,
            id,
            data,
            extra: (!extra.is_empty()).then(|| Box::new(extra)),
        },
    })
}

/// The longest values an interchange line may give the envelope and person keys, in bytes.
/// Lines come from other systems; these bound what one line can make a store, an index or an
/// address hold (the web addresses cases and people by them), and are generous for real data.
pub mod limits {
    /// A force's case reference (`case`).
    pub const REFERENCE: usize = 64;
    /// A force code (`force`).
    pub const FORCE: usize = 64;
    /// An event id (`id`).
    pub const ID: usize = 128;
    /// A person key (`person`), such as `V1`.
    pub const PERSON: usize = 32;
}

fn check_length(field: &str, value: &str, limit: usize) -> Result<(), RecordError> {
    if value.len() > limit {
        return Err(RecordError::field(
            field,
            format!(
                "is {} bytes long; at most {limit} are accepted",
                value.len()
            ),
        ));
    }
    Ok(())
}

fn take_string(object: &mut Map<String, Value>, field: &str) -> Result<String, RecordError> {
    match object.remove(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text),
        Some(Value::String(_)) => Err(RecordError::field(field, "must not be empty")),
        Some(_) => Err(RecordError::field(field, "expected a string")),
        None => Err(RecordError::field(field, "missing required field")),
    }
}

impl Record {
    /// The event as a JSON object in interchange form: envelope first, then the kind's fields,
    /// then any fields kept from the input.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("case".into(), self.case.reference.as_str().into());
        object.insert("force".into(), self.case.force.as_str().into());
        object.insert("at".into(), format_timestamp(&self.event.at).into());
        object.insert("kind".into(), self.event.kind().as_str().into());
        if let Some(id) = &self.event.id {
            object.insert("id".into(), Value::String(id.to_string()));
        }
        for (key, value) in self.event.data.to_fields() {
            object.insert(key, value);
        }
        if let Some(extra) = &self.event.extra {
            for (key, value) in extra.iter() {
                if !ENVELOPE.contains(&key.as_str()) {
                    object.insert(key.clone(), value.clone());
                }
            }
        }
        object
    }

    /// The event as one line of an interchange file, without the newline.
    pub fn to_line(&self) -> String {
        Value::Object(self.to_json()).to_string()
    }
}

/// RFC 3339 with the timestamp's own offset, `Z` for UTC, and fractional seconds only when present.
pub fn format_timestamp(at: &Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests;
