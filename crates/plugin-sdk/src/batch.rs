//! ABI 2's compact forms, read and written in safe Rust: the case batch the host hands a plugin
//! ([`Batch`], [`Case`], [`Event`]; written by [`BatchWriter`]) and the findings answer the plugin
//! hands back ([`Findings`] and [`FindingsWriter`]; read and checked by [`FindingsAnswer`]). The
//! layouts are documented in `plugin_abi::v2`. Host and plugin use this one implementation, so the
//! two sides cannot drift apart.
//!
//! Reading is lazy: a rule pays for the events and fields it looks at, not for the whole batch.

use chrono::{DateTime, FixedOffset};
use plugin_abi::v2::{
    CASE_RECORD, FIELD_RECORD, FINDING_RECORD, FINDINGS_HEADER, FINDINGS_MAGIC, FINDINGS_VERSION,
    HAS_DONE_AT, HAS_DUE_BY, KINDS, NONE, REFUSAL_RECORD, STATUS_ADVICE, STATUS_BREACHED,
    STATUS_DUE, STATUS_MET, STATUS_MET_LATE, STATUS_OVERDUE, TAG_BOOL, TAG_FLOAT, TAG_INT,
    TAG_JSON, TAG_TEXT, TEXT, TIME,
};
use serde_json::Value;

use crate::FindingStatus;

macro_rules! kinds {
    ($( $variant:ident = $name:literal, )*) => {
        /// The kind of an event: the interchange kinds, in the order of `plugin_abi::v2::KINDS`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Kind { $( $variant, )* }

        impl Kind {
            /// Every kind, in code order.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            /// The kind's name in the interchange format: `report_received`.
            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $name, )* }
            }

            /// The kind with this interchange name.
            pub fn from_name(name: &str) -> Option<Kind> {
                match name { $( $name => Some(Kind::$variant), )* _ => None }
            }
        }
    };
}

kinds! {
    ReportReceived = "report_received",
    CrimeRecorded = "crime_recorded",
    PersonAdded = "person_added",
    OfficerAllocated = "officer_allocated",
    SupervisorReview = "supervisor_review",
    NeedsAssessment = "needs_assessment",
    WrittenConfirmationSent = "written_confirmation_sent",
    SupportReferral = "support_referral",
    IsvaOffered = "isva_offered",
    UpdateCadenceAgreed = "update_cadence_agreed",
    VictimInformed = "victim_informed",
    SuspectArrested = "suspect_arrested",
    SuspectInterviewed = "suspect_interviewed",
    SuspectBailed = "suspect_bailed",
    BailExtended = "bail_extended",
    BailVaried = "bail_varied",
    BailEnded = "bail_ended",
    SuspectReleasedRui = "suspect_released_rui",
    SuspectReleasedNfa = "suspect_released_nfa",
    DecisionNotToInvestigate = "decision_not_to_investigate",
    VictimInterviewed = "victim_interviewed",
    StatementTaken = "statement_taken",
    ForensicExamOffered = "forensic_exam_offered",
    DeviceExtraction = "device_extraction",
    ThirdPartyRequest = "third_party_request",
    ChargingDecision = "charging_decision",
    SuspectCharged = "suspect_charged",
    VrrRequested = "vrr_requested",
    VrrAcknowledged = "vrr_acknowledged",
    VrrDecided = "vrr_decided",
    JurisdictionAssessed = "jurisdiction_assessed",
    CaseClosed = "case_closed",
    DecisionRecorded = "decision_recorded",
    Note = "note",
    InformationNoticeGiven = "information_notice_given",
    EarlyAdvice = "early_advice",
    InterviewPlanned = "interview_planned",
    SpecialMeasuresApplied = "special_measures_applied",
    VictimWithdrawal = "victim_withdrawal",
    PropertyTaken = "property_taken",
    PropertyReturned = "property_returned",
    PropertyRetained = "property_retained",
}

impl Kind {
    /// The kind's code in batches and answers: its position in `plugin_abi::v2::KINDS`.
    #[inline]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind with this code.
    #[inline]
    pub fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.get(usize::from(code)).copied()
    }

    /// The kind's bit in a set of kinds (`kinds_read`).
    #[inline]
    pub fn bit(self) -> u64 {
        1 << self.code()
    }

    /// The set of kinds named, as bits; the first name that is no kind is the error.
    pub fn set_of<'n>(names: impl IntoIterator<Item = &'n str>) -> Result<u64, &'n str> {
        names.into_iter().try_fold(0u64, |set, name| {
            Kind::from_name(name)
                .map(|kind| set | kind.bit())
                .ok_or(name)
        })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every kind, as a set of bits.
pub const ALL_KINDS: u64 = (1 << KINDS.len()) - 1;

/// What of a case a plugin's rules read, as sets of kinds ([`Kind::bit`]): the events of `kinds`
/// (their kind, time and person), and the fields of the events of `fields` (a subset of `kinds`).
/// A host sends nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reads {
    pub kinds: u64,
    pub fields: u64,
}

impl Reads {
    /// Everything: every event with its fields.
    pub const ALL: Reads = Reads {
        kinds: ALL_KINDS,
        fields: ALL_KINDS,
    };

    /// What a registration declares (`reads`, `reads_fields`); the first name that is no kind is
    /// the error. Reading a kind's fields implies reading the kind.
    pub fn declared<'n>(
        kinds: impl IntoIterator<Item = &'n str>,
        fields: impl IntoIterator<Item = &'n str>,
    ) -> Result<Reads, &'n str> {
        let fields = Kind::set_of(fields)?;
        Ok(Reads {
            kinds: Kind::set_of(kinds)? | fields,
            fields,
        })
    }

    /// True when nothing is read.
    pub fn is_empty(&self) -> bool {
        self.kinds == 0
    }
}

/// A time as the ABI writes it: Unix seconds, nanoseconds and the offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Time {
    pub seconds: i64,
    pub nanos: u32,
    /// Seconds east of UTC.
    pub offset: i32,
}

impl Time {
    /// The time of a timestamp, keeping its offset.
    pub fn of(at: &DateTime<FixedOffset>) -> Time {
        Time {
            seconds: at.timestamp(),
            nanos: at.timestamp_subsec_nanos(),
            offset: at.offset().local_minus_utc(),
        }
    }

    /// The timestamp, or `None` when these numbers are no time (nanoseconds of a second or more,
    /// an offset of a day or more, or seconds out of range).
    pub fn to_datetime(self) -> Option<DateTime<FixedOffset>> {
        if self.nanos >= 1_000_000_000 {
            return None;
        }
        let offset = FixedOffset::east_opt(self.offset)?;
        Some(DateTime::from_timestamp(self.seconds, self.nanos)?.with_timezone(&offset))
    }

    #[inline]
    fn read(bytes: &[u8], at: usize) -> Option<Time> {
        let record: &[u8; TIME] = bytes.get(at..at.checked_add(TIME)?)?.try_into().ok()?;
        let [
            s0,
            s1,
            s2,
            s3,
            s4,
            s5,
            s6,
            s7,
            n0,
            n1,
            n2,
            n3,
            o0,
            o1,
            o2,
            o3,
        ] = *record;
        Some(Time {
            seconds: i64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]),
            nanos: u32::from_le_bytes([n0, n1, n2, n3]),
            offset: i32::from_le_bytes([o0, o1, o2, o3]),
        })
    }

    fn write(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seconds.to_le_bytes());
        out.extend_from_slice(&self.nanos.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
    }
}

#[inline]
fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[inline]
fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[inline]
fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// A `u32` offset or length; batches and answers are far below 4 GiB (the host cuts batches by
/// size), so a larger one is a bug worth stopping on.
fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Why a batch cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError(pub String);

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed case batch: {}", self.0)
    }
}

impl std::error::Error for BatchError {}

/// The sections of a batch, as borrowed byte slices.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sections<'a> {
    pub cases: &'a [u8],
    pub kinds: &'a [u8],
    pub times: &'a [u8],
    pub persons: &'a [u8],
    pub field_starts: &'a [u8],
    pub fields: &'a [u8],
    pub text: &'a [u8],
}

/// A batch of cases: read-only, borrowed for one call.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    reads: Reads,
    case_count: usize,
    field_count: usize,
    sections: Sections<'a>,
    text: &'a str,
}

impl<'a> Batch<'a> {
    /// A batch over its sections. Every section's length is checked against the counts, each
    /// case's range of events against the events, and the text for UTF-8; records are read (and
    /// checked) only when a rule asks for them.
    pub fn new(
        reads: Reads,
        case_count: usize,
        event_count: usize,
        field_count: usize,
        sections: Sections<'a>,
    ) -> Result<Batch<'a>, BatchError> {
        let expect = |name: &str, found: usize, records: usize, size: usize| {
            let expected = records.checked_mul(size);
            if expected == Some(found) {
                Ok(())
            } else {
                Err(BatchError(format!(
                    "section `{name}` holds {found} bytes, not {records} records of {size}"
                )))
            }
        };
        expect("cases", sections.cases.len(), case_count, CASE_RECORD)?;
        expect("kinds", sections.kinds.len(), event_count, 1)?;
        expect("times", sections.times.len(), event_count, TIME)?;
        expect("persons", sections.persons.len(), event_count, TEXT)?;
        expect(
            "field_starts",
            sections.field_starts.len(),
            event_count.saturating_add(1),
            4,
        )?;
        expect("fields", sections.fields.len(), field_count, FIELD_RECORD)?;
        let text = std::str::from_utf8(sections.text)
            .map_err(|error| BatchError(format!("section `text` is not UTF-8: {error}")))?;
        let batch = Batch {
            reads,
            case_count,
            field_count,
            sections,
            text,
        };
        for index in 0..case_count {
            let (first, count) = batch.case_events(index);
            if first.checked_add(count).is_none_or(|end| end > event_count) {
                return Err(BatchError(format!(
                    "case {index}: events {first}..+{count} are not among the batch's {event_count}"
                )));
            }
        }
        Ok(batch)
    }

    /// How many cases.
    pub fn len(&self) -> usize {
        self.case_count
    }

    /// True when the batch holds no case.
    pub fn is_empty(&self) -> bool {
        self.case_count == 0
    }

    /// What the batch holds of its cases.
    pub fn reads(&self) -> Reads {
        self.reads
    }

    /// The case at `index` (its position in the batch).
    pub fn case(&'a self, index: usize) -> Option<Case<'a>> {
        if index >= self.case_count {
            return None;
        }
        let (first, count) = self.case_events(index);
        Some(Case {
            batch: self,
            index,
            first,
            end: first + count,
        })
    }

    /// Every case, in batch order.
    pub fn cases(&'a self) -> impl Iterator<Item = Case<'a>> + 'a {
        (0..self.case_count).filter_map(move |index| self.case(index))
    }

    fn case_events(&self, index: usize) -> (usize, usize) {
        let at = index * CASE_RECORD + 2 * TEXT + TIME;
        let first = u32_at(self.sections.cases, at).unwrap_or(0) as usize;
        let count = u32_at(self.sections.cases, at + 4).unwrap_or(0) as usize;
        (first, count)
    }

    /// The text at a reference; `None` for [`NONE`]. A reference outside the text is a host bug:
    /// it stops the call (the host then disables the plugin and shows this message).
    fn text_at(&self, bytes: &[u8], at: usize, what: &str) -> Option<&'a str> {
        let offset = u32_at(bytes, at)?;
        if offset == NONE {
            return None;
        }
        let len = u32_at(bytes, at + 4)? as usize;
        let start = offset as usize;
        match self.text.get(start..start.saturating_add(len)) {
            Some(text) => Some(text),
            None => malformed(&format!(
                "{what}: text {start}..+{len} is outside the batch's text"
            )),
        }
    }
}

/// Stops the call on a batch that breaks the layout: only a host bug can cause it, and a silent
/// default would give wrong findings.
#[cold]
fn malformed(message: &str) -> ! {
    panic!("malformed case batch from the host: {message}")
}

/// One case of a batch, as a rule sees it: events in time order, up to `now`.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    batch: &'a Batch<'a>,
    index: usize,
    first: usize,
    end: usize,
}

impl<'a> Case<'a> {
    /// The case's position in its batch.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The force's case reference.
    pub fn reference(&self) -> &'a str {
        self.batch
            .text_at(self.batch.sections.cases, self.index * CASE_RECORD, "case")
            .unwrap_or_default()
    }

    /// The force code.
    pub fn force(&self) -> &'a str {
        self.batch
            .text_at(
                self.batch.sections.cases,
                self.index * CASE_RECORD + TEXT,
                "case",
            )
            .unwrap_or_default()
    }

    /// The instant the case is evaluated at. Events after it have already been left out.
    pub fn now(&self) -> DateTime<FixedOffset> {
        let at = self.index * CASE_RECORD + 2 * TEXT;
        match Time::read(self.batch.sections.cases, at).and_then(Time::to_datetime) {
            Some(now) => now,
            None => malformed(&format!("case {}: `now` is no time", self.index)),
        }
    }

    /// How many events the batch holds for this case (of the kinds the plugin reads).
    pub fn len(&self) -> usize {
        self.end - self.first
    }

    /// True when the case has no event of a kind the plugin reads.
    pub fn is_empty(&self) -> bool {
        self.end == self.first
    }

    /// The events, in time order.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = Event<'a>> + 'a {
        let batch = self.batch;
        (self.first..self.end).map(move |index| Event { batch, index })
    }

    /// The events of one kind, in time order. Asking for a kind the plugin's registration does not
    /// declare in `reads` stops the call with a message saying so: the host sends only the kinds
    /// declared, so the answer would silently be wrong.
    pub fn events_of(&self, kind: Kind) -> impl DoubleEndedIterator<Item = Event<'a>> + 'a {
        if self.batch.reads.kinds & kind.bit() == 0 {
            undeclared(kind);
        }
        let batch = self.batch;
        let code = kind.code();
        let kinds = batch
            .sections
            .kinds
            .get(self.first..self.end)
            .unwrap_or_default();
        let first = self.first;
        kinds
            .iter()
            .enumerate()
            .filter(move |(_, found)| **found == code)
            .map(move |(position, _)| Event {
                batch,
                index: first + position,
            })
    }

    /// The first event of one kind (see [`Case::events_of`]).
    pub fn first_of(&self, kind: Kind) -> Option<Event<'a>> {
        self.events_of(kind).next()
    }
}

#[cold]
fn undeclared(kind: Kind) -> ! {
    panic!(
        "a rule asked for `{kind}` events, which the plugin does not declare in `reads` (registration and plugin.toml): the host sends only the kinds declared"
    )
}

#[cold]
fn fields_undeclared(kind: Kind) -> ! {
    panic!(
        "a rule asked for the fields of `{kind}` events, which the plugin does not declare in `reads_fields` (registration and plugin.toml): the host sends no fields for them"
    )
}

/// One event of a case.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    batch: &'a Batch<'a>,
    index: usize,
}

/// A field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
    /// The JSON text of a list or an object.
    Json(&'a str),
}

impl<'a> FieldValue<'a> {
    /// The value as JSON.
    pub fn to_json(self) -> Value {
        match self {
            FieldValue::Bool(value) => Value::Bool(value),
            FieldValue::Int(value) => Value::from(value),
            FieldValue::Float(value) => Value::from(value),
            FieldValue::Text(text) => Value::String(text.to_owned()),
            FieldValue::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        }
    }
}

impl<'a> Event<'a> {
    /// The event's kind.
    pub fn kind(&self) -> Kind {
        let code = self.batch.sections.kinds.get(self.index).copied();
        match code.and_then(Kind::from_code) {
            Some(kind) => kind,
            None => malformed(&format!("event {}: unknown kind code", self.index)),
        }
    }

    /// When it happened, with the offset it was written with.
    pub fn at(&self) -> DateTime<FixedOffset> {
        match self.time().to_datetime() {
            Some(at) => at,
            None => malformed(&format!("event {}: its time is no time", self.index)),
        }
    }

    /// When it happened, as the ABI writes it.
    pub fn time(&self) -> Time {
        Time::read(self.batch.sections.times, self.index * TIME).unwrap_or_default()
    }

    /// The person the event is about (`V1`), for kinds that name one.
    pub fn person(&self) -> Option<&'a str> {
        self.batch
            .text_at(self.batch.sections.persons, self.index * TEXT, "person")
    }

    /// Every field, in the order the interchange form writes them. Asking for the fields of a
    /// kind whose fields the plugin does not declare in `reads_fields` stops the call with a
    /// message saying so: the host sends no fields for it.
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, FieldValue<'a>)> + 'a {
        let batch = self.batch;
        let kind = self.kind();
        if batch.reads.fields & kind.bit() == 0 {
            fields_undeclared(kind);
        }
        let starts = batch.sections.field_starts;
        let start = u32_at(starts, self.index * 4).unwrap_or(0) as usize;
        let end = u32_at(starts, self.index * 4 + 4).unwrap_or(0) as usize;
        if start > end || end > batch.field_count {
            malformed(&format!("event {}: fields {start}..{end}", self.index));
        }
        (start..end).map(move |field| read_field(batch, field))
    }

    /// A field by name.
    pub fn field(&self, name: &str) -> Option<FieldValue<'a>> {
        self.fields()
            .find(|(found, _)| *found == name)
            .map(|(_, value)| value)
    }

    /// A text field (enumerations such as `role` are text).
    pub fn text(&self, name: &str) -> Option<&'a str> {
        match self.field(name)? {
            FieldValue::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A boolean field; absent is `None`.
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.field(name)? {
            FieldValue::Bool(value) => Some(value),
            _ => None,
        }
    }

    /// A whole-number field.
    pub fn number(&self, name: &str) -> Option<i64> {
        match self.field(name)? {
            FieldValue::Int(value) => Some(value),
            _ => None,
        }
    }

    /// Any field as JSON (lists and objects such as `offences` or `location` included).
    pub fn json(&self, name: &str) -> Option<Value> {
        self.field(name).map(FieldValue::to_json)
    }

    /// The sender's id for the event, when it has one.
    pub fn id(&self) -> Option<&'a str> {
        self.text("id")
    }
}

fn read_field<'a>(batch: &'a Batch<'a>, field: usize) -> (&'a str, FieldValue<'a>) {
    let fields = batch.sections.fields;
    let at = field * FIELD_RECORD;
    let name = batch.text_at(fields, at, "field name").unwrap_or_default();
    let tag = u32_at(fields, at + TEXT).unwrap_or(0);
    let len = u32_at(fields, at + TEXT + 4).unwrap_or(0) as usize;
    let raw = u64_at(fields, at + TEXT + 8).unwrap_or(0);
    let text = |what: &str| {
        let start = raw as usize;
        match batch.text.get(start..start.saturating_add(len)) {
            Some(text) => text,
            None => malformed(&format!("field `{name}`: {what} outside the batch's text")),
        }
    };
    let value = match tag {
        TAG_BOOL => FieldValue::Bool(raw != 0),
        TAG_INT => FieldValue::Int(raw as i64),
        TAG_FLOAT => FieldValue::Float(f64::from_bits(raw)),
        TAG_TEXT => FieldValue::Text(text("text")),
        TAG_JSON => FieldValue::Json(text("JSON")),
        other => malformed(&format!("field `{name}`: unknown tag {other}")),
    };
    (name, value)
}

/// Writes a batch: cases one after another, each followed by its events, each event by its
/// fields. The host writes its cases with it; tests write theirs ([`crate::testing`]).
#[derive(Debug, Default)]
pub struct BatchWriter {
    reads: Reads,
    case_count: usize,
    event_count: usize,
    field_count: usize,
    /// The record of the case being written, and its first event.
    open: Option<(usize, usize)>,
    cases: Vec<u8>,
    kinds: Vec<u8>,
    times: Vec<u8>,
    persons: Vec<u8>,
    field_starts: Vec<u8>,
    fields: Vec<u8>,
    text: Vec<u8>,
}

impl BatchWriter {
    /// A writer for a batch holding what `reads` says. The writer does not filter: the caller
    /// writes only events of those kinds, and fields only for the kinds whose fields are read.
    pub fn new(reads: Reads) -> Self {
        BatchWriter {
            reads,
            ..BatchWriter::default()
        }
    }

    /// A writer with room for a batch the size of `like` (the previous one), so that writing
    /// many batches does not grow every section from nothing each time.
    pub fn sized_like(reads: Reads, like: &OwnedBatch) -> Self {
        BatchWriter {
            reads,
            cases: Vec::with_capacity(like.cases.len()),
            kinds: Vec::with_capacity(like.kinds.len()),
            times: Vec::with_capacity(like.times.len()),
            persons: Vec::with_capacity(like.persons.len()),
            field_starts: Vec::with_capacity(like.field_starts.len()),
            fields: Vec::with_capacity(like.fields.len()),
            text: Vec::with_capacity(like.text.len()),
            ..BatchWriter::default()
        }
    }

    /// A writer that writes into the sections of a batch already used (emptied, keeping their
    /// room).
    pub fn reusing(reads: Reads, batch: OwnedBatch) -> Self {
        let mut sections = [
            batch.cases,
            batch.kinds,
            batch.times,
            batch.persons,
            batch.field_starts,
            batch.fields,
            batch.text,
        ];
        for section in &mut sections {
            section.clear();
        }
        let [cases, kinds, times, persons, field_starts, fields, text] = sections;
        BatchWriter {
            reads,
            cases,
            kinds,
            times,
            persons,
            field_starts,
            fields,
            text,
            ..BatchWriter::default()
        }
    }

    /// What the batch holds of its cases.
    pub fn reads(&self) -> Reads {
        self.reads
    }

    /// How many cases are written so far.
    pub fn case_count(&self) -> usize {
        self.case_count
    }

    /// Bytes written so far, roughly: for cutting batches by size.
    pub fn bytes(&self) -> usize {
        self.cases.len()
            + self.kinds.len()
            + self.times.len()
            + self.persons.len()
            + self.field_starts.len()
            + self.fields.len()
            + self.text.len()
    }

    /// Starts a case; its events follow.
    pub fn begin_case(&mut self, reference: &str, force: &str, now: Time) {
        self.end_case();
        let record = self.cases.len();
        self.put_text_ref(Target::Cases, reference);
        self.put_text_ref(Target::Cases, force);
        now.write(&mut self.cases);
        put_u32(&mut self.cases, to_u32(self.event_count));
        put_u32(&mut self.cases, 0);
        self.open = Some((record, self.event_count));
        self.case_count += 1;
    }

    /// Adds an event to the open case; its fields follow.
    pub fn event(&mut self, kind: Kind, at: Time, person: Option<&str>) {
        self.kinds.push(kind.code());
        at.write(&mut self.times);
        match person {
            Some(person) => self.put_text_ref(Target::Persons, person),
            None => {
                put_u32(&mut self.persons, NONE);
                put_u32(&mut self.persons, 0);
            }
        }
        put_u32(&mut self.field_starts, to_u32(self.field_count));
        self.event_count += 1;
    }

    fn field_header(&mut self, name: &str, tag: u32, len: usize, value: u64) {
        self.put_text_ref(Target::Fields, name);
        put_u32(&mut self.fields, tag);
        put_u32(&mut self.fields, to_u32(len));
        self.fields.extend_from_slice(&value.to_le_bytes());
        self.field_count += 1;
    }

    /// A boolean field of the last event.
    pub fn bool_field(&mut self, name: &str, value: bool) {
        self.field_header(name, TAG_BOOL, 0, u64::from(value));
    }

    /// A whole-number field of the last event.
    pub fn int_field(&mut self, name: &str, value: i64) {
        self.field_header(name, TAG_INT, 0, value as u64);
    }

    /// A number field of the last event.
    pub fn float_field(&mut self, name: &str, value: f64) {
        self.field_header(name, TAG_FLOAT, 0, value.to_bits());
    }

    /// A text field of the last event.
    pub fn text_field(&mut self, name: &str, value: &str) {
        let offset = self.text.len();
        self.text.extend_from_slice(value.as_bytes());
        self.field_header(name, TAG_TEXT, value.len(), offset as u64);
    }

    /// A list or object field of the last event, as JSON text written by `write` (which must
    /// write valid JSON and nothing else).
    pub fn json_field<E>(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let offset = self.text.len();
        if let Err(error) = write(&mut self.text) {
            self.text.truncate(offset);
            return Err(error);
        }
        let len = self.text.len() - offset;
        self.field_header(name, TAG_JSON, len, offset as u64);
        Ok(())
    }

    /// A field of the last event from a JSON value (null is left out, as in the interchange form).
    pub fn value_field(&mut self, name: &str, value: &Value) {
        match value {
            Value::Null => {}
            Value::Bool(value) => self.bool_field(name, *value),
            Value::Number(number) => match number.as_i64() {
                Some(whole) => self.int_field(name, whole),
                None => self.float_field(name, number.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(text) => self.text_field(name, text),
            Value::Array(_) | Value::Object(_) => {
                let _ = self.json_field(name, |out| serde_json::to_writer(out, value));
            }
        }
    }

    fn end_case(&mut self) {
        if let Some((record, first)) = self.open.take() {
            let count = to_u32(self.event_count - first).to_le_bytes();
            let at = record + 2 * TEXT + TIME + 4;
            self.cases[at..at + 4].copy_from_slice(&count);
        }
    }

    fn put_text_ref(&mut self, target: Target, text: &str) {
        let offset = to_u32(self.text.len());
        self.text.extend_from_slice(text.as_bytes());
        let out = match target {
            Target::Cases => &mut self.cases,
            Target::Persons => &mut self.persons,
            Target::Fields => &mut self.fields,
        };
        put_u32(out, offset);
        put_u32(out, to_u32(text.len()));
    }

    /// The finished batch.
    pub fn finish(mut self) -> OwnedBatch {
        self.end_case();
        put_u32(&mut self.field_starts, to_u32(self.field_count));
        OwnedBatch {
            reads: self.reads,
            case_count: self.case_count,
            event_count: self.event_count,
            field_count: self.field_count,
            cases: self.cases,
            kinds: self.kinds,
            times: self.times,
            persons: self.persons,
            field_starts: self.field_starts,
            fields: self.fields,
            text: self.text,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Cases,
    Persons,
    Fields,
}

/// A written batch, owning its sections.
#[derive(Debug, Clone, Default)]
pub struct OwnedBatch {
    pub reads: Reads,
    pub case_count: usize,
    pub event_count: usize,
    pub field_count: usize,
    pub cases: Vec<u8>,
    pub kinds: Vec<u8>,
    pub times: Vec<u8>,
    pub persons: Vec<u8>,
    pub field_starts: Vec<u8>,
    pub fields: Vec<u8>,
    pub text: Vec<u8>,
}

impl OwnedBatch {
    /// The sections, borrowed.
    pub fn sections(&self) -> Sections<'_> {
        Sections {
            cases: &self.cases,
            kinds: &self.kinds,
            times: &self.times,
            persons: &self.persons,
            field_starts: &self.field_starts,
            fields: &self.fields,
            text: &self.text,
        }
    }

    /// The batch, read as a plugin reads it.
    pub fn view(&self) -> Result<Batch<'_>, BatchError> {
        Batch::new(
            self.reads,
            self.case_count,
            self.event_count,
            self.field_count,
            self.sections(),
        )
    }
}

/// One finding of a plugin rule, as a rule writes it ([`Findings::push`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding<'f> {
    /// One of the rule ids the plugin registered.
    pub rule: &'f str,
    /// The person of the instance (`V1`), never a name.
    pub person: Option<&'f str>,
    /// The kind of the event that started the instance.
    pub trigger: Kind,
    pub trigger_at: DateTime<FixedOffset>,
    pub status: FindingStatus,
    /// The deadline, where the rule has one (every status but `breached` and `advice` needs one).
    pub due_by: Option<DateTime<FixedOffset>>,
    pub done_at: Option<DateTime<FixedOffset>>,
}

fn status_code(status: FindingStatus) -> u8 {
    match status {
        FindingStatus::Met => STATUS_MET,
        FindingStatus::MetLate => STATUS_MET_LATE,
        FindingStatus::Due => STATUS_DUE,
        FindingStatus::Overdue => STATUS_OVERDUE,
        FindingStatus::Breached => STATUS_BREACHED,
        FindingStatus::Advice => STATUS_ADVICE,
    }
}

fn status_of(code: u8) -> Option<FindingStatus> {
    Some(match code {
        STATUS_MET => FindingStatus::Met,
        STATUS_MET_LATE => FindingStatus::MetLate,
        STATUS_DUE => FindingStatus::Due,
        STATUS_OVERDUE => FindingStatus::Overdue,
        STATUS_BREACHED => FindingStatus::Breached,
        STATUS_ADVICE => FindingStatus::Advice,
        _ => return None,
    })
}

/// Writes a findings answer.
#[derive(Debug)]
pub struct FindingsWriter {
    findings: Vec<u8>,
    refusals: Vec<u8>,
    text: Vec<u8>,
    finding_count: usize,
    refusal_count: usize,
}

impl Default for FindingsWriter {
    fn default() -> Self {
        FindingsWriter::with_capacity(0)
    }
}

/// A point to roll a [`FindingsWriter`] back to.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    findings: usize,
    text: usize,
    count: usize,
}

impl FindingsWriter {
    /// A writer with room for about `findings` findings.
    pub fn with_capacity(findings: usize) -> Self {
        // The records are written after room for the header, so that the answer is finished
        // without copying them.
        let mut records = Vec::with_capacity(FINDINGS_HEADER + findings * FINDING_RECORD + 64);
        records.resize(FINDINGS_HEADER, 0);
        FindingsWriter {
            findings: records,
            refusals: Vec::new(),
            text: Vec::new(),
            finding_count: 0,
            refusal_count: 0,
        }
    }

    /// Where the writer is now.
    pub fn mark(&self) -> Mark {
        Mark {
            findings: self.findings.len(),
            text: self.text.len(),
            count: self.finding_count,
        }
    }

    /// Drops every finding written since `mark`.
    pub fn roll_back(&mut self, mark: Mark) {
        self.findings.truncate(mark.findings);
        self.text.truncate(mark.text);
        self.finding_count = mark.count;
    }

    /// The sink a rule writes the findings of case `case` to; `rules` are the registered rule ids,
    /// in registration order.
    pub fn sink<'w>(&'w mut self, case: usize, rules: &'w [String]) -> Findings<'w> {
        Findings {
            writer: self,
            case: to_u32(case),
            rules,
        }
    }

    /// Writes one finding record as it stands: nothing is checked here (the host checks).
    #[allow(clippy::too_many_arguments)]
    pub fn raw_finding(
        &mut self,
        case: u32,
        rule: u32,
        person: Option<&str>,
        trigger: u8,
        status: u8,
        flags: u8,
        times: [Time; 3],
    ) {
        put_u32(&mut self.findings, case);
        put_u32(&mut self.findings, rule);
        match person {
            Some(person) => {
                put_u32(&mut self.findings, to_u32(self.text.len()));
                put_u32(&mut self.findings, to_u32(person.len()));
                self.text.extend_from_slice(person.as_bytes());
            }
            None => {
                put_u32(&mut self.findings, NONE);
                put_u32(&mut self.findings, 0);
            }
        }
        self.findings
            .extend_from_slice(&[trigger, status, flags, 0]);
        put_u32(&mut self.findings, 0);
        for time in times {
            time.write(&mut self.findings);
        }
        self.finding_count += 1;
    }

    /// Records that the plugin refused case `case`, with its message.
    pub fn refusal(&mut self, case: usize, message: &str) {
        put_u32(&mut self.refusals, to_u32(case));
        put_u32(&mut self.refusals, to_u32(self.text.len()));
        put_u32(&mut self.refusals, to_u32(message.len()));
        self.text.extend_from_slice(message.as_bytes());
        self.refusal_count += 1;
    }

    /// The answer's bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut out = self.findings;
        let mut header = Vec::with_capacity(FINDINGS_HEADER);
        put_u32(&mut header, FINDINGS_MAGIC);
        put_u32(&mut header, FINDINGS_VERSION);
        put_u32(&mut header, to_u32(self.finding_count));
        put_u32(&mut header, to_u32(self.refusal_count));
        put_u32(&mut header, to_u32(self.text.len()));
        put_u32(&mut header, 0);
        out[..FINDINGS_HEADER].copy_from_slice(&header);
        out.extend_from_slice(&self.refusals);
        out.extend_from_slice(&self.text);
        out
    }
}

/// Where a rule writes its findings for one case.
#[derive(Debug)]
pub struct Findings<'w> {
    writer: &'w mut FindingsWriter,
    case: u32,
    rules: &'w [String],
}

impl Findings<'_> {
    /// Adds a finding. A rule id the plugin did not register is passed on as such, and the host
    /// refuses the answer (and disables the plugin), as it would any malformed answer.
    pub fn push(&mut self, finding: Finding<'_>) {
        let rule = self
            .rules
            .iter()
            .position(|id| id == finding.rule)
            .map_or(NONE, to_u32);
        let flags = if finding.due_by.is_some() {
            HAS_DUE_BY
        } else {
            0
        } | if finding.done_at.is_some() {
            HAS_DONE_AT
        } else {
            0
        };
        let time =
            |at: Option<DateTime<FixedOffset>>| at.as_ref().map(Time::of).unwrap_or_default();
        self.writer.raw_finding(
            self.case,
            rule,
            finding.person,
            finding.trigger.code(),
            status_code(finding.status),
            flags,
            [
                Time::of(&finding.trigger_at),
                time(finding.due_by),
                time(finding.done_at),
            ],
        );
    }
}

/// One finding of an answer, read and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnsweredFinding<'a> {
    /// The case's position in the batch.
    pub case: usize,
    /// The rule's position in the registration's `rules`.
    pub rule: usize,
    pub person: Option<&'a str>,
    pub trigger: Kind,
    pub trigger_at: DateTime<FixedOffset>,
    pub status: FindingStatus,
    pub due_by: Option<DateTime<FixedOffset>>,
    pub done_at: Option<DateTime<FixedOffset>>,
}

/// One refused case of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal<'a> {
    pub case: usize,
    pub message: &'a str,
}

/// A findings answer, with its header and its size checked; each finding is checked as it is read
/// ([`FindingsAnswer::finding`]).
#[derive(Debug, Clone, Copy)]
pub struct FindingsAnswer<'a> {
    finding_count: usize,
    refusal_count: usize,
    findings: &'a [u8],
    refusals: &'a [u8],
    text: &'a [u8],
    case_count: usize,
    rule_count: usize,
}

impl<'a> FindingsAnswer<'a> {
    /// Reads the header of an answer to a batch of `case_count` cases from a plugin that
    /// registered `rule_count` rules: its magic, version and counts, and that the answer is
    /// exactly as long as they say.
    pub fn parse(bytes: &'a [u8], case_count: usize, rule_count: usize) -> Result<Self, String> {
        let header = |at: usize| u32_at(bytes, at).map(|value| value as usize);
        let (Some(magic), Some(version), Some(findings), Some(refusals), Some(text)) = (
            u32_at(bytes, 0),
            u32_at(bytes, 4),
            header(8),
            header(12),
            header(16),
        ) else {
            return Err(format!(
                "the answer is {} bytes, shorter than its {FINDINGS_HEADER}-byte header",
                bytes.len()
            ));
        };
        if magic != FINDINGS_MAGIC {
            return Err("the answer does not start with the findings magic `RFA2`".into());
        }
        if version != FINDINGS_VERSION {
            return Err(format!(
                "the answer is of version {version}; this host reads version {FINDINGS_VERSION}"
            ));
        }
        let expected = findings
            .checked_mul(FINDING_RECORD)
            .and_then(|size| size.checked_add(refusals.checked_mul(REFUSAL_RECORD)?))
            .and_then(|size| size.checked_add(text))
            .and_then(|size| size.checked_add(FINDINGS_HEADER));
        if expected != Some(bytes.len()) {
            return Err(format!(
                "the answer's header counts {findings} findings, {refusals} refusals and {text} bytes of text, but the answer is {} bytes",
                bytes.len()
            ));
        }
        let refusals_at = FINDINGS_HEADER + findings * FINDING_RECORD;
        let text_at = refusals_at + refusals * REFUSAL_RECORD;
        Ok(FindingsAnswer {
            finding_count: findings,
            refusal_count: refusals,
            findings: &bytes[FINDINGS_HEADER..refusals_at],
            refusals: &bytes[refusals_at..text_at],
            text: &bytes[text_at..],
            case_count,
            rule_count,
        })
    }

    /// How many findings.
    pub fn finding_count(&self) -> usize {
        self.finding_count
    }

    /// How many refused cases.
    pub fn refusal_count(&self) -> usize {
        self.refusal_count
    }

    fn text(&self, at: u32, len: u32, what: &str) -> Result<&'a str, String> {
        let start = at as usize;
        let bytes = self
            .text
            .get(start..start.saturating_add(len as usize))
            .ok_or_else(|| {
                format!(
                    "`{what}` is text {start}..+{len}, outside the answer's {} bytes of text",
                    self.text.len()
                )
            })?;
        std::str::from_utf8(bytes).map_err(|_| format!("`{what}` is not UTF-8"))
    }

    fn case(&self, case: u32) -> Result<usize, String> {
        let case = case as usize;
        if case >= self.case_count {
            return Err(format!(
                "`case` is {case}, but the batch holds {} cases",
                self.case_count
            ));
        }
        Ok(case)
    }

    /// Finding `index` (from 0), checked: the case is in the batch, the rule registered, the
    /// person text, the kind and status known, every time a time, and a deadline present where
    /// the status needs one. The error says what is wrong, without the finding's values.
    pub fn finding(&self, index: usize) -> Result<AnsweredFinding<'a>, String> {
        let at = index * FINDING_RECORD;
        let record = self
            .findings
            .get(at..at + FINDING_RECORD)
            .ok_or_else(|| format!("there is no finding {index}"))?;
        let word = |at: usize| u32_at(record, at).unwrap_or(0);
        let case = self.case(word(0))?;
        let rule = word(4) as usize;
        if rule >= self.rule_count {
            return Err(format!(
                "`rule` is {}, not one of the {} rules the plugin registered",
                if word(4) == NONE {
                    "an id it did not register".to_owned()
                } else {
                    rule.to_string()
                },
                self.rule_count
            ));
        }
        let person = match word(8) {
            NONE => None,
            offset => Some(self.text(offset, word(12), "person")?),
        };
        let (trigger, status, flags) = (record[16], record[17], record[18]);
        let trigger = Kind::from_code(trigger)
            .ok_or_else(|| format!("`trigger` is kind code {trigger}, which is no event kind"))?;
        let status =
            status_of(status).ok_or_else(|| format!("`status` is {status}, which is no status"))?;
        if flags & !(HAS_DUE_BY | HAS_DONE_AT) != 0 {
            return Err(format!("unknown flags {flags:#04x}"));
        }
        let time = |field: &str, at: usize| {
            Time::read(record, at)
                .and_then(Time::to_datetime)
                .ok_or_else(|| format!("`{field}` is no time"))
        };
        let trigger_at = time("trigger_at", 24)?;
        let due_by = (flags & HAS_DUE_BY != 0)
            .then(|| time("due_by", 40))
            .transpose()?;
        let done_at = (flags & HAS_DONE_AT != 0)
            .then(|| time("done_at", 56))
            .transpose()?;
        let needs_deadline = matches!(
            status,
            FindingStatus::Met
                | FindingStatus::MetLate
                | FindingStatus::Due
                | FindingStatus::Overdue
        );
        if needs_deadline && due_by.is_none() {
            return Err("`due_by`: a finding with a deadline status needs a deadline".into());
        }
        Ok(AnsweredFinding {
            case,
            rule,
            person,
            trigger,
            trigger_at,
            status,
            due_by,
            done_at,
        })
    }

    /// Refusal `index` (from 0), checked.
    pub fn refusal(&self, index: usize) -> Result<Refusal<'a>, String> {
        let at = index * REFUSAL_RECORD;
        let record = self
            .refusals
            .get(at..at + REFUSAL_RECORD)
            .ok_or_else(|| format!("there is no refusal {index}"))?;
        let word = |at: usize| u32_at(record, at).unwrap_or(0);
        Ok(Refusal {
            case: self.case(word(0))?,
            message: self.text(word(4), word(8), "message")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_are_the_abi_table_in_order() {
        let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(names, KINDS);
        for (code, kind) in Kind::ALL.iter().enumerate() {
            assert_eq!(usize::from(kind.code()), code);
            assert_eq!(Kind::from_name(kind.as_str()), Some(*kind));
        }
        assert_eq!(Kind::set_of(["note", "nope"]), Err("nope"));
    }

    fn time(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("time")
    }

    #[test]
    fn a_batch_reads_back_what_was_written() {
        let mut writer = BatchWriter::new(Reads {
            kinds: Kind::ReportReceived.bit() | Kind::PersonAdded.bit(),
            fields: Kind::ReportReceived.bit() | Kind::PersonAdded.bit(),
        });
        writer.begin_case(
            "REF-1",
            "northmoor",
            Time::of(&time("2026-03-10T00:00:00Z")),
        );
        writer.event(
            Kind::ReportReceived,
            Time::of(&time("2026-03-02T09:00:00.5+01:00")),
            None,
        );
        writer.text_field("channel", "101");
        writer.value_field("offences", &serde_json::json!(["SOA2003-s1"]));
        writer.event(
            Kind::PersonAdded,
            Time::of(&time("2026-03-02T09:05:00Z")),
            Some("V1"),
        );
        writer.text_field("role", "victim");
        writer.int_field("age_at_offence", 19);
        writer.bool_field("enhanced_rights", true);
        writer.begin_case(
            "REF-2",
            "northmoor",
            Time::of(&time("2026-03-11T00:00:00Z")),
        );
        let owned = writer.finish();
        let batch = owned.view().expect("valid");
        assert_eq!(batch.len(), 2);
        let case = batch.case(0).expect("case");
        assert_eq!(case.reference(), "REF-1");
        assert_eq!(case.force(), "northmoor");
        assert_eq!(case.now(), time("2026-03-10T00:00:00Z"));
        let report = case.first_of(Kind::ReportReceived).expect("report");
        assert_eq!(report.at(), time("2026-03-02T09:00:00.5+01:00"));
        assert_eq!(report.at().offset().local_minus_utc(), 3600);
        assert_eq!(report.text("channel"), Some("101"));
        assert_eq!(
            report.json("offences"),
            Some(serde_json::json!(["SOA2003-s1"]))
        );
        assert_eq!(report.person(), None);
        let person = case.first_of(Kind::PersonAdded).expect("person");
        assert_eq!(person.person(), Some("V1"));
        assert_eq!(person.number("age_at_offence"), Some(19));
        assert_eq!(person.flag("enhanced_rights"), Some(true));
        assert_eq!(person.flag("missing"), None);
        let empty = batch.case(1).expect("case");
        assert!(empty.is_empty());
        assert_eq!(empty.reference(), "REF-2");
    }

    #[test]
    #[should_panic(expected = "does not declare in `reads`")]
    fn asking_for_a_kind_not_read_stops_the_call() {
        let mut writer = BatchWriter::new(Reads {
            kinds: Kind::ReportReceived.bit(),
            fields: 0,
        });
        writer.begin_case("REF-1", "x", Time::default());
        let owned = writer.finish();
        let batch = owned.view().expect("valid");
        let case = batch.case(0).expect("case");
        let _ = case.events_of(Kind::Note).count();
    }

    #[test]
    #[should_panic(expected = "does not declare in `reads_fields`")]
    fn asking_for_fields_not_read_stops_the_call() {
        let mut writer = BatchWriter::new(Reads {
            kinds: Kind::ReportReceived.bit(),
            fields: 0,
        });
        writer.begin_case("REF-1", "x", Time::default());
        writer.event(Kind::ReportReceived, Time::default(), None);
        let owned = writer.finish();
        let batch = owned.view().expect("valid");
        let case = batch.case(0).expect("case");
        let report = case.first_of(Kind::ReportReceived).expect("report");
        let _ = report.text("channel");
    }

    #[test]
    fn sections_that_disagree_with_the_counts_are_refused() {
        let mut writer = BatchWriter::new(Reads::ALL);
        writer.begin_case("REF-1", "x", Time::default());
        writer.event(Kind::Note, Time::default(), None);
        let mut owned = writer.finish();
        owned.event_count = 2;
        let error = owned.view().expect_err("counts lie");
        assert!(error.to_string().contains("section `kinds`"), "{error}");
        owned.event_count = 1;
        owned.cases[2 * TEXT + TIME + 4] = 9;
        let error = owned.view().expect_err("case range lies");
        assert!(
            error.to_string().contains("case 0: events 0..+9"),
            "{error}"
        );
    }

    #[test]
    fn an_answer_reads_back_and_lies_are_named() {
        let rules = vec!["NM-SUP-24H".to_owned()];
        let mut writer = FindingsWriter::with_capacity(1);
        writer.sink(0, &rules).push(Finding {
            rule: "NM-SUP-24H",
            person: Some("V1"),
            trigger: Kind::ReportReceived,
            trigger_at: time("2026-03-02T09:00:00+01:00"),
            status: FindingStatus::Met,
            due_by: Some(time("2026-03-03T09:00:00+01:00")),
            done_at: None,
        });
        writer.refusal(1, "no report");
        let bytes = writer.finish();
        let answer = FindingsAnswer::parse(&bytes, 2, 1).expect("valid");
        let finding = answer.finding(0).expect("finding");
        assert_eq!(finding.person, Some("V1"));
        assert_eq!(finding.trigger_at, time("2026-03-02T09:00:00+01:00"));
        assert_eq!(finding.done_at, None);
        assert_eq!(answer.refusal(0).expect("refusal").message, "no report");

        let error = FindingsAnswer::parse(&bytes, 1, 1)
            .and_then(|answer| answer.refusal(0))
            .expect_err("case out of range");
        assert!(error.contains("the batch holds 1 cases"), "{error}");
        let mut lying = bytes.clone();
        lying[8] = 2;
        let error = FindingsAnswer::parse(&lying, 2, 1).expect_err("count lies");
        assert!(error.contains("counts 2 findings"), "{error}");
        let mut lying = bytes.clone();
        lying[FINDINGS_HEADER + 8] = 200;
        let error = FindingsAnswer::parse(&lying, 2, 1)
            .and_then(|answer| answer.finding(0))
            .expect_err("offset lies");
        assert!(error.contains("`person` is text 200..+2"), "{error}");
        let error = FindingsAnswer::parse(&bytes, 2, 0)
            .and_then(|answer| answer.finding(0))
            .expect_err("rule unknown");
        assert!(error.contains("`rule`"), "{error}");
    }
}
