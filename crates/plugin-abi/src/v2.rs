//! ABI 2: many cases per call in a flat, read-only, columnar form, and findings back in a compact
//! binary form. `manifest`, `init`, `validate`, `import` and `export` stay JSON, as in ABI 1: they
//! are not on a hot path.
//!
//! # The case batch (host -> plugin), version [`BATCH_VERSION`]
//!
//! [`PluginTable::evaluate`] receives a [`CaseBatch`]: counts and one borrowed byte section per
//! column. Every integer is little-endian; no section needs any alignment. A batch holds only the
//! events of the kinds the plugin declares it reads (`reads` in its manifest, signed with it), the
//! fields only of the kinds it declares it reads the fields of (`reads_fields`), only events at or
//! before each case's `now`, and victim identity only when the plugin reads `person_added` fields,
//! declares the `identity` capability and the force enables it.
//!
//! | section | record | layout |
//! |---|---|---|
//! | `cases` | [`CASE_RECORD`] bytes per case | reference [`TEXT`], force [`TEXT`], now [`TIME`], first event `u32`, event count `u32` |
//! | `kinds` | 1 byte per event | the kind's position in [`KINDS`] |
//! | `times` | [`TIME`] bytes per event | when the event happened |
//! | `persons` | [`TEXT`] bytes per event | the person key (`V1`); offset [`NONE`] when the kind names nobody |
//! | `field_starts` | `u32` per event, plus one | event *i*'s fields are `fields[starts[i]..starts[i+1]]` |
//! | `fields` | [`FIELD_RECORD`] bytes per field | name [`TEXT`], tag `u32`, length `u32`, value `u64` |
//! | `text` | bytes | every string, UTF-8, referred to by offset and length |
//!
//! A case's events are `first_event .. first_event + event_count`, in time order (then arrival
//! order). A [`TEXT`] is an offset and a length (`u32`, `u32`) into `text`. A [`TIME`] is Unix
//! seconds (`i64`), nanoseconds (`u32`, below one billion) and the offset from UTC it was written
//! with, in seconds (`i32`). An event's fields are the interchange fields of its kind, any unknown
//! fields it came with, and `id` when it has one; `case`, `force`, `at` and `kind` are not fields
//! (they are the case's and the columns'). A field's tag says how to read its value:
//! [`TAG_BOOL`] (value 0 or 1), [`TAG_INT`] (value is an `i64`), [`TAG_FLOAT`] (value is an `f64`'s
//! bits), [`TAG_TEXT`] (value is an offset into `text`, length its length), [`TAG_JSON`] (the same,
//! holding the JSON text of a list or an object). Absent and null fields are left out.
//!
//! # The findings answer (plugin -> host), version [`FINDINGS_VERSION`]
//!
//! On [`crate::STATUS_OK`] the `out` buffer holds, little-endian and without padding:
//!
//! - a header of [`FINDINGS_HEADER`] bytes: [`FINDINGS_MAGIC`] `u32`, [`FINDINGS_VERSION`] `u32`,
//!   the finding count `u32`, the refusal count `u32`, the text length `u32`, zero `u32`;
//! - the findings, [`FINDING_RECORD`] bytes each: case (its position in the batch) `u32`, rule (its
//!   position in the registration's `rules`) `u32`, person [`TEXT`] (offset [`NONE`] for none),
//!   trigger kind `u8` (position in [`KINDS`]), status `u8` ([`STATUS_MET`]...), flags `u8`
//!   ([`HAS_DUE_BY`], [`HAS_DONE_AT`]), zero `u8`, zero `u32`, then trigger time, deadline and
//!   completion, a [`TIME`] each (zero when its flag is not set);
//! - the refusals, [`REFUSAL_RECORD`] bytes each: case `u32`, message [`TEXT`]: cases the plugin
//!   refused (`PluginError`); it stays enabled and those cases get no findings from it;
//! - the text the findings and refusals refer to.
//!
//! The answer's length must be exactly what its counts say. A host refuses an answer that is not
//! (a count or an offset that lies, an unknown rule, kind or status, a time that is no time, a
//! deadline status without a deadline) and disables the plugin.

use crate::{Buffer, CallFn, FreeFn, InitFn, ManifestFn, Status};

/// The ABI major version of this table.
pub const ABI_VERSION: u32 = 2;

/// The exported entry symbol, NUL-terminated.
pub const ENTRY_SYMBOL: &[u8] = b"rasso_plugin_entry_v2\0";

/// The entry symbol's name without the terminating NUL, for messages.
pub const ENTRY_SYMBOL_NAME: &str = "rasso_plugin_entry_v2";

/// The type of the entry symbol: returns the plugin's table, valid for the life of the process.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginTable;

/// The signature of `evaluate`: the findings of the plugin's rules for every case of `batch`
/// (borrowed for the call), written to `out` as a findings answer.
pub type EvaluateFn = unsafe extern "C" fn(batch: *const CaseBatch, out: *mut Buffer) -> Status;

/// The table an ABI 2 plugin's entry symbol returns. Its first six fields are ABI 1's.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginTable {
    /// Must equal [`ABI_VERSION`].
    pub abi_version: u32,
    /// `size_of::<PluginTable>()` as the plugin was built; the host reads no field beyond it.
    pub size: usize,
    /// The plugin's registration (JSON).
    pub manifest: ManifestFn,
    /// Initialisation with the host's callbacks and the plugin's configuration (JSON).
    pub init: InitFn,
    /// `validate`, `import` and `export`, JSON in and out.
    pub call: CallFn,
    /// Frees a buffer this plugin returned.
    pub free: FreeFn,
    /// The plugin's rules over a batch of cases.
    pub evaluate: EvaluateFn,
}

/// One borrowed byte section of a [`CaseBatch`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub ptr: *const u8,
    pub len: usize,
}

impl Section {
    /// An empty section.
    pub const EMPTY: Section = Section {
        ptr: core::ptr::null(),
        len: 0,
    };
}

/// A batch of cases, borrowed by the plugin for one `evaluate` call. See the module documentation
/// for the layout of each section.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CaseBatch {
    /// Must equal [`BATCH_VERSION`].
    pub version: u32,
    /// `size_of::<CaseBatch>()` as the host was built; a plugin reads no field beyond it.
    pub size: u32,
    /// The kinds of events the batch holds, as bits (bit *i* is `KINDS[i]`): the kinds the plugin
    /// declared it reads. Events of other kinds were left out, so a rule asking for them is told.
    pub kinds_read: u64,
    /// The kinds whose events come with their fields, as bits: the kinds the plugin declared it
    /// reads the fields of. Events of the other kinds have no fields here.
    pub fields_read: u64,
    pub case_count: u32,
    pub event_count: u32,
    pub field_count: u32,
    /// Zero.
    pub reserved: u32,
    pub cases: Section,
    pub kinds: Section,
    pub times: Section,
    pub persons: Section,
    pub field_starts: Section,
    pub fields: Section,
    pub text: Section,
}

/// The version of the case batch's layout.
pub const BATCH_VERSION: u32 = 1;
/// The version of the findings answer's layout.
pub const FINDINGS_VERSION: u32 = 1;
/// The first four bytes of a findings answer: `RFA2`, little-endian.
pub const FINDINGS_MAGIC: u32 = u32::from_le_bytes(*b"RFA2");

/// Bytes of a text reference: offset `u32`, length `u32`.
pub const TEXT: usize = 8;
/// Bytes of a time: seconds `i64`, nanoseconds `u32`, offset from UTC in seconds `i32`.
pub const TIME: usize = 16;
/// Bytes of one case record.
pub const CASE_RECORD: usize = TEXT + TEXT + TIME + 4 + 4;
/// Bytes of one field record.
pub const FIELD_RECORD: usize = TEXT + 4 + 4 + 8;
/// Bytes of the findings answer's header.
pub const FINDINGS_HEADER: usize = 24;
/// Bytes of one finding record.
pub const FINDING_RECORD: usize = 4 + 4 + TEXT + 4 + 4 + 3 * TIME;
/// Bytes of one refusal record.
pub const REFUSAL_RECORD: usize = 4 + TEXT;
/// The offset of a text reference that refers to nothing (an event or finding without a person).
pub const NONE: u32 = u32::MAX;

/// Field tags.
pub const TAG_BOOL: u32 = 1;
pub const TAG_INT: u32 = 2;
pub const TAG_FLOAT: u32 = 3;
pub const TAG_TEXT: u32 = 4;
pub const TAG_JSON: u32 = 5;

/// Finding statuses.
pub const STATUS_MET: u8 = 0;
pub const STATUS_MET_LATE: u8 = 1;
pub const STATUS_DUE: u8 = 2;
pub const STATUS_OVERDUE: u8 = 3;
pub const STATUS_BREACHED: u8 = 4;
pub const STATUS_ADVICE: u8 = 5;

/// Finding flags.
pub const HAS_DUE_BY: u8 = 1;
pub const HAS_DONE_AT: u8 = 2;

/// The event kinds of the interchange format: an event's kind is written as its position here.
/// Only ever appended to (the kinds rule set `national-2026-01` brought follow `note`), so a
/// plugin built against an earlier table still reads every code it knows the same way. The host
/// maps its own kinds to these codes by name, never by position.
pub const KINDS: [&str; 42] = [
    "report_received",
    "crime_recorded",
    "person_added",
    "officer_allocated",
    "supervisor_review",
    "needs_assessment",
    "written_confirmation_sent",
    "support_referral",
    "isva_offered",
    "update_cadence_agreed",
    "victim_informed",
    "suspect_arrested",
    "suspect_interviewed",
    "suspect_bailed",
    "bail_extended",
    "bail_varied",
    "bail_ended",
    "suspect_released_rui",
    "suspect_released_nfa",
    "decision_not_to_investigate",
    "victim_interviewed",
    "statement_taken",
    "forensic_exam_offered",
    "device_extraction",
    "third_party_request",
    "charging_decision",
    "suspect_charged",
    "vrr_requested",
    "vrr_acknowledged",
    "vrr_decided",
    "jurisdiction_assessed",
    "case_closed",
    "decision_recorded",
    "note",
    "information_notice_given",
    "early_advice",
    "interview_planned",
    "special_measures_applied",
    "victim_withdrawal",
    "property_taken",
    "property_returned",
    "property_retained",
];
