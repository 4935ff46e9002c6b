//! Cases for a plugin's own tests (and for benchmarks): events written as JSON, the way the
//! interchange format writes them, read by rules through the very batch a host hands over.
//!
//! ```ignore
//! let mut cases = plugin_sdk::testing::Cases::new(&MyForce.registration())?;
//! cases.case("REF-1", "myforce", "2026-03-05T00:00:00Z", &json!([
//!     {"kind": "report_received", "at": "2026-03-02T09:00:00Z"},
//! ]))?;
//! let found = cases.findings(|case, findings| rules::evaluate(case, findings));
//! assert_eq!(found[0].status, FindingStatus::Overdue);
//! ```

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::batch::{BatchWriter, FindingsAnswer, FindingsWriter, OwnedBatch, Reads, Time};
use crate::{Case, FindingStatus, Findings, Kind, PluginError, Registration};

/// A batch of test cases, written as a host writes them: only events of the kinds the plugin
/// reads, only events up to each case's `now`, in time order.
#[derive(Debug)]
pub struct Cases {
    rules: Vec<String>,
    reads: Reads,
    writer: BatchWriter,
    batch: Option<OwnedBatch>,
}

/// A finding read back from an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRecord {
    /// The case's position in the batch.
    pub case: usize,
    pub rule: String,
    pub person: Option<String>,
    pub trigger: Kind,
    pub trigger_at: DateTime<FixedOffset>,
    pub status: FindingStatus,
    pub due_by: Option<DateTime<FixedOffset>>,
    pub done_at: Option<DateTime<FixedOffset>>,
}

/// The findings of a batch and the cases the rules refused (with their messages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub findings: Vec<FindingRecord>,
    pub refused: Vec<(usize, String)>,
}

impl Cases {
    /// Cases for a plugin with this registration: its `reads` and `reads_fields` decide which
    /// events and fields are kept (everything when it declares none), its rules which rule ids
    /// findings may name.
    pub fn new(registration: &Registration) -> Result<Cases, String> {
        let reads = registration
            .declared_reads()
            .map_err(|name| format!("`reads`: `{name}` is not an event kind"))?;
        Ok(Cases {
            rules: registration
                .rules
                .iter()
                .map(|rule| rule.id.clone())
                .collect(),
            reads,
            writer: BatchWriter::new(reads),
            batch: None,
        })
    }

    /// Adds a case evaluated at `now` (RFC 3339) with `events`, a JSON list of events in
    /// interchange form (`kind`, `at`, then the kind's fields; `case` and `force` may be left
    /// out).
    pub fn case(
        &mut self,
        reference: &str,
        force: &str,
        now: &str,
        events: &Value,
    ) -> Result<&mut Self, String> {
        if self.batch.is_some() {
            return Err("cases cannot be added once the batch has been read".into());
        }
        let now = parse_time("now", now)?;
        let mut parsed = Vec::new();
        for (position, event) in events
            .as_array()
            .ok_or("events: expected a list")?
            .iter()
            .enumerate()
        {
            let object = event
                .as_object()
                .ok_or_else(|| format!("event {position}: expected an object"))?;
            let text = |field: &str| {
                object
                    .get(field)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("event {position}: `{field}` is required"))
            };
            let kind = Kind::from_name(text("kind")?)
                .ok_or_else(|| format!("event {position}: unknown `kind`"))?;
            let at = parse_time("at", text("at")?)?;
            parsed.push((at, kind, object));
        }
        // A stable sort: same-instant events keep their order, as a case's do.
        parsed.sort_by_key(|(at, _, _)| *at);
        let writer = &mut self.writer;
        writer.begin_case(reference, force, Time::of(&now));
        for (at, kind, object) in parsed {
            if at > now || self.reads.kinds & kind.bit() == 0 {
                continue;
            }
            writer.event(
                kind,
                Time::of(&at),
                object.get("person").and_then(Value::as_str),
            );
            if self.reads.fields & kind.bit() == 0 {
                continue;
            }
            for (name, value) in object {
                if !matches!(name.as_str(), "case" | "force" | "at" | "kind" | "person") {
                    writer.value_field(name, value);
                }
            }
        }
        Ok(self)
    }

    /// The batch as written so far.
    pub fn batch(&mut self) -> &OwnedBatch {
        let writer = &mut self.writer;
        self.batch
            .get_or_insert_with(|| std::mem::take(writer).finish())
    }

    /// Runs `rules` over every case, as the host's call would, and reads the answer back.
    pub fn answer(
        &mut self,
        rules: impl Fn(&Case<'_>, &mut Findings<'_>) -> Result<(), PluginError>,
    ) -> Result<Answer, String> {
        let ids = self.rules.clone();
        let batch = self.batch();
        let view = batch.view().map_err(|error| error.to_string())?;
        let mut writer = FindingsWriter::with_capacity(view.len());
        for case in view.cases() {
            let mark = writer.mark();
            if let Err(error) = rules(&case, &mut writer.sink(case.index(), &ids)) {
                writer.roll_back(mark);
                writer.refusal(case.index(), &error.message);
            }
        }
        let bytes = writer.finish();
        let answer = FindingsAnswer::parse(&bytes, view.len(), ids.len())?;
        let mut out = Answer::default();
        for index in 0..answer.finding_count() {
            let finding = answer
                .finding(index)
                .map_err(|error| format!("finding {}: {error}", index + 1))?;
            out.findings.push(FindingRecord {
                case: finding.case,
                rule: ids[finding.rule].clone(),
                person: finding.person.map(str::to_owned),
                trigger: finding.trigger,
                trigger_at: finding.trigger_at,
                status: finding.status,
                due_by: finding.due_by,
                done_at: finding.done_at,
            });
        }
        for index in 0..answer.refusal_count() {
            let refusal = answer.refusal(index)?;
            out.refused.push((refusal.case, refusal.message.to_owned()));
        }
        Ok(out)
    }

    /// The findings of `rules` over every case; panics (this is for tests) when a case is refused
    /// or the answer is malformed.
    pub fn findings(
        &mut self,
        rules: impl Fn(&Case<'_>, &mut Findings<'_>) -> Result<(), PluginError>,
    ) -> Vec<FindingRecord> {
        match self.answer(rules) {
            Ok(answer) if answer.refused.is_empty() => answer.findings,
            Ok(answer) => panic!("cases refused: {:?}", answer.refused),
            Err(error) => panic!("malformed answer: {error}"),
        }
    }
}

fn parse_time(field: &str, text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|error| format!("`{field}`: {error}"))
}
