//! The stored form of [`CaseFacts`]: a compact binary encoding.
//!
//! A national report reads the facts of hundreds of thousands of cases. As JSON (format 1) a case's
//! facts took about 900 bytes, mostly rule ids, keys and RFC 3339 instants, and reading them was
//! most of a national report's time at 2,000,000 stored cases (`docs/reporting.md`). This form
//! keeps the same values in under a third of the space (about 250 bytes a generated case in format 4) and is read without a parser:
//!
//! - every number is a LEB128 varint, signed ones zigzag-encoded, so small numbers take one byte;
//! - dates are days, instants are seconds and nanoseconds, and the dates and instants of findings
//!   are written as differences from the case's report date and latest event, which are small;
//! - a national rule is written as its position in `domain::rules::NATIONAL_RULES` (which the
//!   facts' basis pins, so the position means the same rule for every reader of the same basis);
//!   any other rule by its id;
//! - which optional values are present is one byte of flags;
//! - the rule set versions that judged the case's findings are listed once (their ids), and a
//!   finding names its version by position in that list; the first is implied (a flag bit).
//!
//! The first byte is [`FORMAT`]: a reader meeting any other value reports the facts as corrupt
//! rather than misreading them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::Status;
use domain::rules::NATIONAL_RULES;

use std::borrow::Cow;

use super::{CaseFacts, CompletedTally, FactFinding};

/// The first byte of every encoded facts value. Format 4 added the counts of completed rolling
/// instances; format 3 the rule set versions.
pub const FORMAT: u8 = 4;

/// Why stored facts could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("facts cannot be read at byte {at}: {what}")]
pub struct DecodeError {
    /// The offset in the encoded value.
    pub at: usize,
    /// What was wrong there.
    pub what: &'static str,
}

// Flags of a case's optional values.
const OUTCOME: u8 = 1;
const DAYS_TO_OUTCOME: u8 = 1 << 1;
const DAYS_TO_CHARGE: u8 = 1 << 2;
const DAYS_TO_FIRST_UPDATE: u8 = 1 << 3;
const OFFICER: u8 = 1 << 4;

// Flags of a finding's optional values; the status is in the bits above them.
const PERSON: u8 = 1;
const DUE_BY: u8 = 1 << 1;
const DONE_AT: u8 = 1 << 2;
const STATUS_SHIFT: u32 = 3;
const STATUS_MASK: u8 = 0b111;
/// The finding's rule set is not the case's first: its position follows the flags.
const RULE_SET: u8 = 1 << 6;

/// Encodes `facts`.
pub fn encode(facts: &CaseFacts) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 16 * facts.findings.len());
    out.push(FORMAT);
    put_str(&mut out, &facts.force);
    let reported = days(facts.reported_on);
    put_signed(&mut out, reported);
    let last = facts.last_event_at.timestamp();
    put_signed(&mut out, last);
    put_unsigned(
        &mut out,
        u64::from(facts.last_event_at.timestamp_subsec_nanos()),
    );
    put_strs(&mut out, &facts.offences_reported);
    put_strs(&mut out, &facts.offences_recorded);
    let flags = flag(facts.outcome.is_some(), OUTCOME)
        | flag(facts.days_to_outcome.is_some(), DAYS_TO_OUTCOME)
        | flag(facts.days_to_charge.is_some(), DAYS_TO_CHARGE)
        | flag(facts.days_to_first_update.is_some(), DAYS_TO_FIRST_UPDATE)
        | flag(facts.officer.is_some(), OFFICER);
    out.push(flags);
    if let Some(outcome) = facts.outcome {
        put_unsigned(&mut out, u64::from(outcome));
    }
    for days in [
        facts.days_to_outcome,
        facts.days_to_charge,
        facts.days_to_first_update,
    ]
    .into_iter()
    .flatten()
    {
        put_signed(&mut out, days);
    }
    if let Some(officer) = &facts.officer {
        put_str(&mut out, officer);
    }
    put_strs(&mut out, &facts.rule_sets);
    put_unsigned(&mut out, facts.findings.len() as u64);
    for finding in &facts.findings {
        put_finding(&mut out, finding, reported, last);
    }
    put_unsigned(&mut out, facts.completed.len() as u64);
    for tally in &facts.completed {
        put_rule(&mut out, &tally.rule);
        put_unsigned(&mut out, u64::from(tally.rule_set));
        put_unsigned(&mut out, u64::from(tally.met));
        put_unsigned(&mut out, u64::from(tally.met_late));
    }
    out
}

/// A national rule as its position in the catalogue plus one; any other as 0 and its id.
fn put_rule(out: &mut Vec<u8>, rule: &str) {
    match NATIONAL_RULES.iter().position(|r| r.id == rule) {
        Some(position) => put_unsigned(out, position as u64 + 1),
        None => {
            put_unsigned(out, 0);
            put_str(out, rule);
        }
    }
}

fn put_finding(out: &mut Vec<u8>, finding: &FactFinding, reported: i64, last: i64) {
    put_rule(out, &finding.rule);
    let flags = flag(finding.person.is_some(), PERSON)
        | flag(finding.due_by.is_some(), DUE_BY)
        | flag(finding.done_at.is_some(), DONE_AT)
        | flag(finding.rule_set != 0, RULE_SET)
        | ((finding.status as u8) << STATUS_SHIFT);
    out.push(flags);
    if finding.rule_set != 0 {
        put_unsigned(out, u64::from(finding.rule_set));
    }
    if let Some(person) = &finding.person {
        put_str(out, person);
    }
    put_signed(out, days(finding.trigger_on).wrapping_sub(reported));
    if let Some(due) = finding.due_by {
        put_signed(out, due.timestamp().wrapping_sub(last));
        put_unsigned(out, u64::from(due.timestamp_subsec_nanos()));
    }
    if let Some(done) = finding.done_at {
        put_signed(out, done.wrapping_sub(last));
    }
}

/// Decodes facts written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<CaseFacts, DecodeError> {
    let mut input = Input { bytes, at: 0 };
    if input.byte()? != FORMAT {
        return Err(input.error("not facts of format 4"));
    }
    let force = input.string()?;
    let reported = input.signed()?;
    let reported_on = date(reported).ok_or_else(|| input.error("report date out of range"))?;
    let last = input.signed()?;
    let last_event_at = input.instant(last)?;
    let offences_reported = input.strings()?;
    let offences_recorded = input.strings()?;
    let flags = input.byte()?;
    let outcome = if flags & OUTCOME != 0 {
        Some(u32::try_from(input.unsigned()?).map_err(|_| input.error("outcome too large"))?)
    } else {
        None
    };
    let days_to_outcome = input.optional_signed(flags & DAYS_TO_OUTCOME != 0)?;
    let days_to_charge = input.optional_signed(flags & DAYS_TO_CHARGE != 0)?;
    let days_to_first_update = input.optional_signed(flags & DAYS_TO_FIRST_UPDATE != 0)?;
    let officer = if flags & OFFICER != 0 {
        Some(input.string()?)
    } else {
        None
    };
    let rule_sets = input.strings()?;
    let count = input.length()?;
    let mut findings = Vec::with_capacity(count);
    for _ in 0..count {
        findings.push(input.finding(reported, last)?);
    }
    let count = input.length()?;
    let mut completed = Vec::with_capacity(count);
    for _ in 0..count {
        completed.push(input.tally()?);
    }
    if input.at != bytes.len() {
        return Err(input.error("bytes left after the facts"));
    }
    if findings
        .iter()
        .any(|finding| usize::from(finding.rule_set) >= rule_sets.len())
    {
        return Err(input.error("a finding names no listed rule set"));
    }
    if completed
        .iter()
        .any(|tally| usize::from(tally.rule_set) >= rule_sets.len())
    {
        return Err(input.error("a count of completed instances names no listed rule set"));
    }
    Ok(CaseFacts {
        force,
        reported_on,
        last_event_at,
        offences_reported,
        offences_recorded,
        outcome,
        days_to_outcome,
        days_to_charge,
        days_to_first_update,
        officer,
        rule_sets,
        findings,
        completed,
    })
}

fn flag(present: bool, bit: u8) -> u8 {
    if present { bit } else { 0 }
}

fn days(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

fn date(days: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).ok()?)
}

fn put_unsigned(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_signed(out: &mut Vec<u8>, value: i64) {
    put_unsigned(out, ((value << 1) ^ (value >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_unsigned(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn put_strs(out: &mut Vec<u8>, texts: &[String]) {
    put_unsigned(out, texts.len() as u64);
    for text in texts {
        put_str(out, text);
    }
}

/// Encoded bytes being read, and where.
struct Input<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn error(&self, what: &'static str) -> DecodeError {
        DecodeError { at: self.at, what }
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| self.error("ends too soon"))?;
        self.at += 1;
        Ok(byte)
    }

    fn unsigned(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error("number too long"))
    }

    fn signed(&mut self) -> Result<i64, DecodeError> {
        let raw = self.unsigned()?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    /// A value written as its difference from `base`.
    fn offset(&mut self, base: i64) -> Result<i64, DecodeError> {
        // Wrapping, as the difference was taken (`wrapping_sub`): exact for every pair of values.
        Ok(base.wrapping_add(self.signed()?))
    }

    fn optional_signed(&mut self, present: bool) -> Result<Option<i64>, DecodeError> {
        present.then(|| self.signed()).transpose()
    }

    /// A count of items that follow, each at least a byte long (so a corrupt count cannot ask for
    /// a huge allocation).
    fn length(&mut self) -> Result<usize, DecodeError> {
        let length = self.unsigned()?;
        usize::try_from(length)
            .ok()
            .filter(|length| *length <= self.bytes.len() - self.at)
            .ok_or_else(|| self.error("length longer than the facts"))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let length = self.length()?;
        let bytes = &self.bytes[self.at..self.at + length];
        let text = std::str::from_utf8(bytes).map_err(|_| self.error("text not UTF-8"))?;
        self.at += length;
        Ok(text.to_owned())
    }

    fn strings(&mut self) -> Result<Vec<String>, DecodeError> {
        let count = self.length()?;
        (0..count).map(|_| self.string()).collect()
    }

    fn instant(&mut self, seconds: i64) -> Result<DateTime<Utc>, DecodeError> {
        let nanos = u32::try_from(self.unsigned()?).map_err(|_| self.error("bad nanoseconds"))?;
        DateTime::from_timestamp(seconds, nanos).ok_or_else(|| self.error("instant out of range"))
    }

    fn rule(&mut self) -> Result<Cow<'static, str>, DecodeError> {
        match self.unsigned()? {
            0 => Ok(Cow::Owned(self.string()?)),
            position => NATIONAL_RULES
                .get(position as usize - 1)
                .map(|rule| Cow::Borrowed(rule.id))
                .ok_or_else(|| self.error("no national rule at this position")),
        }
    }

    fn count(&mut self) -> Result<u32, DecodeError> {
        u32::try_from(self.unsigned()?).map_err(|_| self.error("count too large"))
    }

    fn tally(&mut self) -> Result<CompletedTally, DecodeError> {
        let rule = self.rule()?;
        let rule_set = u8::try_from(self.unsigned()?)
            .map_err(|_| self.error("rule set position too large"))?;
        Ok(CompletedTally {
            rule,
            rule_set,
            met: self.count()?,
            met_late: self.count()?,
        })
    }

    fn finding(&mut self, reported: i64, last: i64) -> Result<FactFinding, DecodeError> {
        let rule = self.rule()?;
        let flags = self.byte()?;
        if flags & 0x80 != 0 {
            return Err(self.error("unknown finding flag"));
        }
        let status = *Status::ALL
            .get(usize::from((flags >> STATUS_SHIFT) & STATUS_MASK))
            .ok_or_else(|| self.error("unknown status"))?;
        let rule_set = if flags & RULE_SET != 0 {
            u8::try_from(self.unsigned()?).map_err(|_| self.error("rule set position too large"))?
        } else {
            0
        };
        let person = if flags & PERSON != 0 {
            Some(self.string()?)
        } else {
            None
        };
        let trigger = self.offset(reported)?;
        let trigger_on = date(trigger).ok_or_else(|| self.error("trigger date out of range"))?;
        let due_by = if flags & DUE_BY != 0 {
            let seconds = self.offset(last)?;
            Some(self.instant(seconds)?)
        } else {
            None
        };
        let done_at = if flags & DONE_AT != 0 {
            Some(self.offset(last)?)
        } else {
            None
        };
        Ok(FactFinding {
            rule,
            rule_set,
            person,
            status,
            trigger_on,
            due_by,
            done_at,
        })
    }
}
