//! ABI 2 in the host: cases written into a batch (without JSON: each kind's fields go through a
//! serde serializer straight into the batch's columns), and a plugin's findings answer turned
//! into the host's findings.

use chrono::{DateTime, Utc};
use domain::interchange::{Event, Kind as HostKind};
use domain::rules::{Finding, RuleIndex};
use domain::{Case, Status};
use plugin_sdk::FindingStatus;
use plugin_sdk::batch::{AnsweredFinding, BatchWriter, Reads, Time};
use serde::Serialize;
use serde::ser::{self, Impossible, SerializeStruct};

/// The envelope of an interchange event: in a batch these are the case's and the columns', never
/// fields.
const ENVELOPE: [&str; 4] = ["case", "force", "at", "kind"];

/// True when the host's kinds are the ABI's, code for code (they are both the interchange
/// document's list; a test keeps them so, and the host refuses ABI 2 plugins if they ever differ).
pub(crate) fn kinds_match() -> bool {
    abi_kinds().iter().all(Option::is_some)
}

/// The ABI code of every host kind, by the host kind's position: looked up by name once, because
/// the ABI's table is its own contract (only appended to) and the host's kinds are in the order
/// of the interchange document.
fn abi_kinds() -> &'static [Option<plugin_sdk::Kind>] {
    static TABLE: std::sync::OnceLock<Vec<Option<plugin_sdk::Kind>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        HostKind::ALL
            .iter()
            .map(|kind| plugin_sdk::Kind::from_name(kind.as_str()))
            .collect()
    })
}

/// The ABI's kind for a host kind (the same name, see [`kinds_match`]).
#[inline]
fn abi_kind(kind: HostKind) -> Option<plugin_sdk::Kind> {
    abi_kinds().get(kind.index()).copied().flatten()
}

/// The host's kind for an ABI kind.
#[inline]
pub(crate) fn host_kind(kind: plugin_sdk::Kind) -> Option<HostKind> {
    HostKind::from_name(kind.as_str())
}

/// Writes `case` at `now` into `writer`: its events up to `now` of the kinds `reads` says, with
/// their fields where it reads them (victim identity only when `identity`).
pub(crate) fn write_case(
    writer: &mut BatchWriter,
    case: &Case,
    now: DateTime<Utc>,
    reads: Reads,
    identity: bool,
) {
    let now_time = Time {
        seconds: now.timestamp(),
        nanos: now.timestamp_subsec_nanos(),
        offset: 0,
    };
    writer.begin_case(&case.key.reference, &case.key.force, now_time);
    // Events are in time order, so those after `now` are a tail: the walk stops at the first
    // event read that is after `now` (later events of kinds not read are skipped anyway). Walking
    // measured faster than a binary search, which jumps about a case not yet in the cache, and
    // only the events read have their time looked at.
    for event in case.events() {
        let Some(kind) = abi_kind(event.kind()) else {
            continue;
        };
        if reads.kinds & kind.bit() != 0 {
            if event.at > now {
                break;
            }
            writer.event(
                kind,
                Time::of(&event.at),
                event.person().map(|person| person.as_str()),
            );
            // A kind's fields are behind a pointer of their own: not reading them when the rules
            // do not spares a memory access per event as well as the copying.
            if reads.fields & kind.bit() != 0 {
                write_fields(writer, event, identity);
            }
        }
    }
}

fn write_fields(writer: &mut BatchWriter, event: &Event, identity: bool) {
    if let Some(id) = &event.id {
        writer.text_field("id", id);
    }
    // Payloads are plain structs; the serializer cannot fail on them (a field it cannot write as
    // a value is written as JSON).
    let _ = event.data.serialize_fields(Fields { writer, identity });
    if let Some(extra) = &event.extra {
        for (name, value) in extra.iter() {
            if ENVELOPE.contains(&name.as_str()) || name == "person" {
                continue;
            }
            if name == "identity" && !identity {
                continue;
            }
            writer.value_field(name, value);
        }
    }
}

/// Why a value could not be written as one field value: it is a list or an object (written as
/// JSON instead), or serde said something else went wrong.
#[derive(Debug)]
enum Unwritable {
    Compound,
    Custom,
}

impl std::fmt::Display for Unwritable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unwritable::Compound => "a list or an object",
            Unwritable::Custom => "not a field value",
        })
    }
}

impl std::error::Error for Unwritable {}

impl ser::Error for Unwritable {
    fn custom<T: std::fmt::Display>(_message: T) -> Self {
        Unwritable::Custom
    }
}

/// Writes a payload struct's fields into the batch, one field per struct field.
struct Fields<'w> {
    writer: &'w mut BatchWriter,
    identity: bool,
}

impl SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = Unwritable;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        // The person is a column of its own; identity only when the plugin may see it.
        if key == "person" || (key == "identity" && !self.identity) {
            return Ok(());
        }
        match value.serialize(Scalar {
            writer: self.writer,
            name: key,
        }) {
            Err(Unwritable::Compound) => {
                let _ = self
                    .writer
                    .json_field(key, |out| serde_json::to_writer(out, value));
                Ok(())
            }
            Ok(()) | Err(Unwritable::Custom) => Ok(()),
        }
    }

    fn end(self) -> Result<(), Unwritable> {
        Ok(())
    }
}

macro_rules! only_structs {
    ($( $method:ident ( $($arg:ty),* ) -> $ret:ty; )*) => {
        $( fn $method(self, $(_: $arg),*) -> Result<$ret, Unwritable> { Err(Unwritable::Custom) } )*
    };
}

impl<'w> ser::Serializer for Fields<'w> {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Impossible<(), Unwritable>;
    type SerializeTuple = Impossible<(), Unwritable>;
    type SerializeTupleStruct = Impossible<(), Unwritable>;
    type SerializeTupleVariant = Impossible<(), Unwritable>;
    type SerializeMap = Impossible<(), Unwritable>;
    type SerializeStruct = Fields<'w>;
    type SerializeStructVariant = Impossible<(), Unwritable>;

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, Unwritable> {
        Ok(self)
    }

    only_structs! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<(), Unwritable> {
        Err(Unwritable::Custom)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<(), Unwritable> {
        Err(Unwritable::Custom)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unwritable> {
        Err(Unwritable::Custom)
    }
}

/// Writes one field's value: booleans, numbers, text and enumerations (as their interchange name)
/// directly; `None` not at all (as the interchange form leaves it out); lists and objects are
/// refused as [`Unwritable::Compound`], before anything is written, for the caller to write as
/// JSON.
struct Scalar<'w> {
    writer: &'w mut BatchWriter,
    name: &'static str,
}

macro_rules! compound {
    ($( $method:ident ( $($arg:ty),* ) -> $ret:ty; )*) => {
        $( fn $method(self, $(_: $arg),*) -> Result<$ret, Unwritable> { Err(Unwritable::Compound) } )*
    };
}

impl ser::Serializer for Scalar<'_> {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Impossible<(), Unwritable>;
    type SerializeTuple = Impossible<(), Unwritable>;
    type SerializeTupleStruct = Impossible<(), Unwritable>;
    type SerializeTupleVariant = Impossible<(), Unwritable>;
    type SerializeMap = Impossible<(), Unwritable>;
    type SerializeStruct = Impossible<(), Unwritable>;
    type SerializeStructVariant = Impossible<(), Unwritable>;

    fn serialize_bool(self, value: bool) -> Result<(), Unwritable> {
        self.writer.bool_field(self.name, value);
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), Unwritable> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_i16(self, value: i16) -> Result<(), Unwritable> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_i32(self, value: i32) -> Result<(), Unwritable> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_i64(self, value: i64) -> Result<(), Unwritable> {
        self.writer.int_field(self.name, value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<(), Unwritable> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_u16(self, value: u16) -> Result<(), Unwritable> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_u32(self, value: u32) -> Result<(), Unwritable> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_u64(self, value: u64) -> Result<(), Unwritable> {
        match i64::try_from(value) {
            Ok(value) => self.serialize_i64(value),
            // As JSON reads it back: a number too large for an i64 is a float.
            Err(_) => self.serialize_f64(value as f64),
        }
    }

    fn serialize_f32(self, value: f32) -> Result<(), Unwritable> {
        self.serialize_f64(f64::from(value))
    }

    fn serialize_f64(self, value: f64) -> Result<(), Unwritable> {
        self.writer.float_field(self.name, value);
        Ok(())
    }

    fn serialize_char(self, value: char) -> Result<(), Unwritable> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> Result<(), Unwritable> {
        self.writer.text_field(self.name, value);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Unwritable> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Unwritable> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unwritable> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unwritable> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unwritable> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unwritable> {
        Err(Unwritable::Compound)
    }

    compound! {
        serialize_bytes(&[u8]) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

/// The host's finding for a checked finding of a plugin's answer; `rules` maps the plugin's rule
/// positions to the host rule set's.
pub(crate) fn host_finding(
    finding: &AnsweredFinding<'_>,
    rules: &[RuleIndex],
    rule_set: &domain::RuleSet,
) -> Result<Finding, String> {
    let rule = rules
        .get(finding.rule)
        .copied()
        .ok_or_else(|| format!("`rule` {} is not registered", finding.rule))?;
    let trigger = host_kind(finding.trigger).ok_or_else(|| {
        format!(
            "`trigger`: `{}` is not a kind of this host",
            finding.trigger
        )
    })?;
    Ok(Finding {
        rule,
        person: finding.person.map(Into::into),
        trigger,
        trigger_at: finding.trigger_at,
        // A plugin's finding is read under the rule set version in force at its trigger, as the
        // ABI 1 path does.
        version: rule_set.version_at(&finding.trigger_at),
        status: host_status(finding.status),
        due_by: finding.due_by.map(|due| due.with_timezone(&Utc)),
        done_at: finding.done_at,
    })
}

/// The host's status for a plugin's.
pub(crate) fn host_status(status: FindingStatus) -> Status {
    match status {
        FindingStatus::Met => Status::Met,
        FindingStatus::MetLate => Status::MetLate,
        FindingStatus::Due => Status::Due,
        FindingStatus::Overdue => Status::Overdue,
        FindingStatus::Breached => Status::Breached,
        FindingStatus::Advice => Status::Advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::interchange::parse_record;
    use plugin_sdk::Kind;
    use plugin_sdk::batch::ALL_KINDS;

    fn all_but_notes() -> Reads {
        Reads {
            kinds: ALL_KINDS & !Kind::Note.bit(),
            fields: ALL_KINDS & !Kind::Note.bit(),
        }
    }

    #[test]
    fn the_hosts_kinds_are_the_abis() {
        assert!(kinds_match());
        for kind in HostKind::ALL {
            let abi = abi_kind(*kind).expect("every host kind has a code");
            assert_eq!(abi.as_str(), kind.as_str());
            assert_eq!(host_kind(abi), Some(*kind));
        }
    }

    fn case(lines: &[&str]) -> Case {
        Case::group(
            lines
                .iter()
                .map(|line| parse_record(line).expect("valid line")),
        )
        .remove(0)
    }

    #[test]
    fn a_case_is_written_with_the_fields_of_its_interchange_form() {
        let case = case(&[
            r#"{"case":"R","force":"f","at":"2026-03-02T10:00:00+01:00","kind":"report_received","id":"e-1","channel":"101","offences":["SOA2003-s1"],"custom":{"a":1}}"#,
            r#"{"case":"R","force":"f","at":"2026-03-02T09:05:00Z","kind":"person_added","person":"V1","role":"victim","age_at_offence":19,"identity":{"given_name":"Morwenna"}}"#,
            r#"{"case":"R","force":"f","at":"2026-03-02T09:10:00Z","kind":"note","text":"x"}"#,
            r#"{"case":"R","force":"f","at":"2026-03-09T09:10:00Z","kind":"supervisor_review","officer":"9001"}"#,
        ]);
        let now: DateTime<Utc> = "2026-03-05T00:00:00Z".parse().expect("instant");
        let reads = all_but_notes();
        let mut writer = BatchWriter::new(reads);
        write_case(&mut writer, &case, now, reads, false);
        let owned = writer.finish();
        let batch = owned.view().expect("valid");
        let view = batch.case(0).expect("case");
        assert_eq!(
            view.len(),
            2,
            "the note is not read; the review is after now"
        );
        let events: Vec<_> = view.events().collect();
        assert_eq!(events[0].kind(), Kind::ReportReceived);
        assert_eq!(
            events[0].at(),
            chrono::DateTime::parse_from_rfc3339("2026-03-02T10:00:00+01:00").expect("time")
        );
        assert_eq!(events[0].id(), Some("e-1"));
        assert_eq!(events[0].text("channel"), Some("101"));
        assert_eq!(
            events[0].json("offences"),
            Some(serde_json::json!(["SOA2003-s1"]))
        );
        assert_eq!(events[0].json("custom"), Some(serde_json::json!({"a": 1})));
        assert_eq!(events[1].person(), Some("V1"));
        assert_eq!(events[1].text("role"), Some("victim"));
        assert_eq!(events[1].number("age_at_offence"), Some(19));
        assert_eq!(events[1].field("identity"), None, "identity left out");
        assert_eq!(events[1].field("person"), None, "the person is a column");

        let mut writer = BatchWriter::new(reads);
        write_case(&mut writer, &case, now, reads, true);
        let owned = writer.finish();
        let batch = owned.view().expect("valid");
        let view = batch.case(0).expect("case");
        let person = view.first_of(Kind::PersonAdded).expect("person");
        assert_eq!(
            person.json("identity"),
            Some(serde_json::json!({"given_name": "Morwenna"}))
        );

        // Kinds read without their fields: time and person only.
        let reads = Reads {
            kinds: reads.kinds,
            fields: 0,
        };
        let mut writer = BatchWriter::new(reads);
        write_case(&mut writer, &case, now, reads, true);
        let owned = writer.finish();
        assert_eq!(owned.field_count, 0);
        let batch = owned.view().expect("valid");
        let person = batch
            .case(0)
            .and_then(|case| case.first_of(Kind::PersonAdded))
            .expect("person");
        assert_eq!(person.person(), Some("V1"));
    }
}
