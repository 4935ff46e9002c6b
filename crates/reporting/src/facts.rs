//! Report facts: what a report needs to know about one case, kept so that a report does not have to
//! read and evaluate every event of every case again.
//!
//! A case's facts are taken once every event of the case is visible (at its latest event) and hold
//! for any report instant at or after that event, because of two invariants of the rule engine
//! (`ARCHITECTURE.md`, invariant 3, and `docs/rules.md`): events after `now` are ignored, and
//! `now` enters a rule's result only through [`domain::Status::Due`] against
//! [`domain::Status::Overdue`] for an instance not yet done (`deadline_status`). So a finding taken
//! at the latest event keeps its instance, person, deadline and completion at every later instant,
//! and only its status moves from due to overdue once its deadline has passed
//! ([`FactFinding::status_at`]). Before the latest event the facts do not hold (some events would
//! still be in the future); reports evaluate such cases in full ([`CaseFacts::holds_at`]).
//!
//! Facts are computed with the rules in force where they are taken ([`RulesInForce`]): the
//! national rule set, or the rule set a force's plugins make with their own rules' findings. A
//! report whose rules differ (a force policy, another bank holiday list, another plugin, version or
//! build of one) must not use facts taken with other ones; [`basis`] and [`basis_with_plugins`]
//! name the rules facts were taken with, so that a store can tell.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use domain::interchange::{EventData, Kind, OfficerRole};
use domain::rules::{Finding, Scratch};
use domain::time::local_date;
use domain::{Case, Event, RuleSet, Status};

use crate::plugins::{IncludedPlugin, RulesInForce};

/// The version of the facts' shape and meaning; part of [`basis`], so that facts written by an
/// older version are rebuilt rather than misread.
/// Version 5 changes meaning, not shape (the binary [`binary::FORMAT`] stays 4): the rolling rules
/// and `FOR-WINDOW` stop at the end of the investigation (`docs/rules.md`, "What stops a rolling
/// rule"), so facts taken before it would disagree with a full evaluation. Version 4 adds the
/// counts of completed instances of the rolling rules (`SUP-REVIEW`, `RUI-REVIEW`, `VC-UPDATE`);
/// version 3 records the rule set version of each finding (`national-2021-04`,
/// `national-2026-01`); version 2 was the first binary form, version 1 JSON.
pub const FACTS_VERSION: u32 = 5;

/// The facts of one case, as a report needs them. A store keeps one per case, in the compact
/// binary form of [`binary`] ([`CaseFacts::to_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// The force the case belongs to.
    pub force: String,
    /// The UK local date of the first report (of the first event when there is no report).
    pub reported_on: NaiveDate,
    /// The latest event: the facts hold for report instants at or after it.
    pub last_event_at: DateTime<Utc>,
    /// Offence codes of the first report.
    pub offences_reported: Vec<String>,
    /// Offence codes of every `crime_recorded`, in order (a code recorded twice counts twice).
    pub offences_recorded: Vec<String>,
    /// The outcome of the latest `case_closed`; `None` while the case is open.
    pub outcome: Option<u32>,
    /// Local days from the report to the latest closure.
    pub days_to_outcome: Option<i64>,
    /// Local days from the report to the first charge (to the closure when outcome 1 was recorded
    /// without a charge event); only for outcome 1.
    pub days_to_charge: Option<i64>,
    /// Local days from the report to the first `victim_informed`.
    pub days_to_first_update: Option<i64>,
    /// The latest officer allocated as officer in case.
    pub officer: Option<String>,
    /// The rule set versions that judged the findings (their ids), each once, in the order of
    /// the rule set; [`FactFinding::rule_set`] indexes this list.
    pub rule_sets: Vec<String>,
    /// One per rule instance of the rules in force: the national rules, then any plugins' rules.
    pub findings: Vec<FactFinding>,
    /// The completed instances of the rolling rules (`SUP-REVIEW`, `RUI-REVIEW`, `VC-UPDATE`), counted by rule
    /// and version: their findings above are only the open instance
    /// ([`domain::RuleSet::completed_rolling_into`]).
    pub completed: Vec<CompletedTally>,
}

/// How many completed instances of one rolling rule one rule set version judged met and met late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedTally {
    /// The rule's id (a national rule: `SUP-REVIEW`).
    pub rule: Cow<'static, str>,
    /// The rule set version that judged them: a position in [`CaseFacts::rule_sets`].
    pub rule_set: u8,
    pub met: u32,
    pub met_late: u32,
}

/// One rule finding, as taken at the case's latest event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactFinding {
    /// The rule's id (`VC-INFORM`); borrowed for the national rules, owned for a plugin's.
    pub rule: Cow<'static, str>,
    /// The rule set version that judged it: a position in [`CaseFacts::rule_sets`].
    pub rule_set: u8,
    /// The person of the instance (a key such as `V1`, never a name).
    pub person: Option<String>,
    /// The status at the latest event. `due` and `overdue` mean "not done"; which of the two holds
    /// at a report's instant is decided by [`FactFinding::status_at`].
    pub status: Status,
    /// The UK local date of the triggering event (for the ageing of bail and RUI).
    pub trigger_on: NaiveDate,
    /// The deadline, where the rule has one.
    pub due_by: Option<DateTime<Utc>>,
    /// When the completing event happened (Unix seconds), where there is one.
    pub done_at: Option<i64>,
}

impl FactFinding {
    /// The status at `as_of` (at or after the case's latest event): an instance not done is due
    /// until its deadline (inclusive) and overdue after it; every other status is final.
    pub fn status_at(&self, as_of: DateTime<Utc>) -> Status {
        match (self.status, self.due_by) {
            (Status::Due | Status::Overdue, Some(due)) if as_of <= due => Status::Due,
            (Status::Due | Status::Overdue, Some(_)) => Status::Overdue,
            (status, _) => status,
        }
    }
}

impl CaseFacts {
    /// The facts of `case` with every event visible (taken at its latest event). `None` for a case
    /// without events.
    pub fn of<'r>(case: &Case, rules: impl Into<RulesInForce<'r>>) -> Option<CaseFacts> {
        let last = case.events().iter().map(|event| event.at).max()?;
        let mut scratch = Scratch::default();
        let mut findings = Vec::new();
        Self::observe(
            case,
            rules,
            last.with_timezone(&Utc),
            &mut scratch,
            &mut findings,
        )
    }

    /// The facts of `case` as seen at `now`: events after `now` are left out and findings are
    /// evaluated at `now`. `None` when no event is visible. `scratch` and `findings` are reused
    /// buffers.
    pub fn observe<'r>(
        case: &Case,
        rules: impl Into<RulesInForce<'r>>,
        now: DateTime<Utc>,
        scratch: &mut Scratch,
        findings: &mut Vec<Finding>,
    ) -> Option<CaseFacts> {
        let visible = &case.events()[..case.events().partition_point(|e| e.at <= now)];
        let opened = visible
            .iter()
            .find(|e| e.kind() == Kind::ReportReceived)
            .or_else(|| visible.first())?;
        let last_event_at = visible.iter().map(|event| event.at).max()?;
        let reported_on = local_date(&opened.at);
        let mut facts = CaseFacts {
            force: case.key.force.to_string(),
            reported_on,
            last_event_at: last_event_at.with_timezone(&Utc),
            offences_reported: Vec::new(),
            offences_recorded: Vec::new(),
            outcome: None,
            days_to_outcome: None,
            days_to_charge: None,
            days_to_first_update: None,
            officer: None,
            rule_sets: Vec::new(),
            findings: Vec::new(),
            completed: Vec::new(),
        };
        if let EventData::ReportReceived(report) = &opened.data {
            facts.offences_reported = report.offences.iter().map(|o| o.to_string()).collect();
        }
        facts.take_events(visible);
        findings.clear();
        let rules = rules.into();
        rules.evaluate_into(case, now, scratch, findings);
        // Rolling rules' findings name only their next instance; a report counts the ones done
        // too, or reviews and updates made on time would never show as met. They are final, so
        // a count of them by rule and version is all a report needs.
        let open = findings.len();
        rules
            .rule_set()
            .completed_rolling_into(case, now, scratch, findings);
        // The versions that judged a finding, each once, in the rule set's order.
        let mut used = [false; 256];
        for finding in findings.iter() {
            used[usize::from(finding.version)] = true;
        }
        let mut position_of = [0u8; 256];
        let rule_set = rules.rule_set();
        for (version, config) in rule_set.versions().iter().enumerate() {
            if used.get(version).copied().unwrap_or(false) {
                position_of[version] = facts.rule_sets.len() as u8;
                facts.rule_sets.push(config.config().id.clone());
            }
        }
        for finding in &findings[open..] {
            let rule = rule_set.rule(finding.rule).id.clone();
            let version = position_of[usize::from(finding.version)];
            let tally = match facts
                .completed
                .iter_mut()
                .find(|tally| tally.rule == rule && tally.rule_set == version)
            {
                Some(tally) => tally,
                None => {
                    facts.completed.push(CompletedTally {
                        rule,
                        rule_set: version,
                        met: 0,
                        met_late: 0,
                    });
                    let last = facts.completed.len() - 1;
                    &mut facts.completed[last]
                }
            };
            match finding.status {
                Status::Met => tally.met += 1,
                _ => tally.met_late += 1,
            }
        }
        findings.truncate(open);
        facts.findings = findings
            .iter()
            .map(|finding| FactFinding {
                rule: rule_set.rule(finding.rule).id.clone(),
                rule_set: position_of[usize::from(finding.version)],
                person: finding.person.as_ref().map(|p| p.to_string()),
                status: finding.status,
                trigger_on: local_date(&finding.trigger_at),
                due_by: finding.due_by,
                done_at: finding.done_at.map(|at| at.timestamp()),
            })
            .collect();
        Some(facts)
    }

    fn take_events(&mut self, events: &[Event]) {
        let reported = self.reported_on;
        let days_after = |event: &Event| (local_date(&event.at) - reported).num_days();
        let mut closed = None;
        let mut charged_at = None;
        let mut first_update = None;
        for event in events {
            match &event.data {
                EventData::CrimeRecorded(recorded) => self
                    .offences_recorded
                    .extend(recorded.offences.iter().map(|o| o.to_string())),
                EventData::CaseClosed(closure) => closed = Some((event, closure.outcome)),
                EventData::SuspectCharged(_) if charged_at.is_none() => charged_at = Some(event),
                EventData::VictimInformed(_) if first_update.is_none() => {
                    first_update = Some(event)
                }
                EventData::OfficerAllocated(allocated) if allocated.role == OfficerRole::Oic => {
                    self.officer = Some(allocated.officer.to_string());
                }
                _ => {}
            }
        }
        self.days_to_first_update = first_update.map(days_after);
        if let Some((event, outcome)) = closed {
            self.outcome = Some(outcome);
            self.days_to_outcome = Some(days_after(event));
            if outcome == 1 {
                self.days_to_charge = Some(days_after(charged_at.unwrap_or(event)));
            }
        }
    }

    /// The id of the rule set version that judged `finding`.
    pub fn rule_set_of(&self, finding: &FactFinding) -> &str {
        self.rule_sets
            .get(usize::from(finding.rule_set))
            .map_or("", String::as_str)
    }

    /// True when these facts describe the case at `as_of`: no event of it is later.
    pub fn holds_at(&self, as_of: DateTime<Utc>) -> bool {
        self.last_event_at <= as_of
    }

    /// The facts as stored ([`binary`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        binary::encode(self)
    }

    /// Facts read back from [`CaseFacts::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<CaseFacts, binary::DecodeError> {
        binary::decode(bytes)
    }
}

/// Names the rule set facts are taken with: the facts' version, every version's configuration
/// (with the date it applies from), the bank holidays and the national rule catalogue, hashed
/// (FNV-1a, 64 bits: a fingerprint to tell rule sets apart, not a security measure). Facts taken
/// under one basis must not feed a report under another.
pub fn basis(rules: &RuleSet) -> String {
    // Guidance pages do not change findings; timescales, windows, versions and holidays do.
    let config: Vec<String> = rules
        .versions()
        .iter()
        .map(|version| {
            let mut config = version.config().clone();
            config.guidance.clear();
            serde_json::to_string(&config).unwrap_or_default()
        })
        .collect();
    let config = config.join(";");
    let holidays: Vec<String> = rules
        .calendar()
        .holidays()
        .iter()
        .map(|holiday| holiday.date.to_string())
        .collect();
    // Plugin rules are not part of facts (reports count national rules only), so only the national
    // catalogue enters the basis.
    let national: Vec<&str> = domain::rules::NATIONAL_RULES
        .iter()
        .map(|rule| rule.id)
        .collect();
    let text = format!(
        "{FACTS_VERSION}|{config}|{}|{}",
        holidays.join(","),
        national.join(",")
    );
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let ids: Vec<&str> = rules
        .versions()
        .iter()
        .map(|version| version.config().id.as_str())
        .collect();
    format!("{}-v{FACTS_VERSION}-{hash:016x}", ids.join("+"))
}

/// The basis of facts taken with `rules` and the findings of `plugins` (each named by its name,
/// version, signature, rules and policy): [`basis`] when there are no plugins (so a store without
/// plugins keeps its facts), otherwise [`basis`] with a fingerprint of the plugins appended. A
/// plugin added, removed, upgraded or rebuilt gives another basis, so facts taken before are stale
/// as after a change of rule set.
pub fn basis_with_plugins(rules: &RuleSet, plugins: &[IncludedPlugin]) -> String {
    plugins_basis(&basis(rules), plugins)
}

/// [`basis_with_plugins`] from the rule set's [`basis`], worked out beforehand.
pub fn plugins_basis(base: &str, plugins: &[IncludedPlugin]) -> String {
    if plugins.is_empty() {
        return base.to_owned();
    }
    let text: Vec<String> = plugins
        .iter()
        .map(|plugin| {
            format!(
                "{}|{}|{}|{}|{}",
                plugin.name,
                plugin.version,
                plugin.signature,
                plugin.rules.join(","),
                plugin.policy.join(",")
            )
        })
        .collect();
    format!("{base}+plugins-{:016x}", fnv1a(&text.join("\n")))
}

/// FNV-1a, 64 bits: a fingerprint to tell rule sets apart, not a security measure.
fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

pub mod binary;
#[cfg(test)]
mod tests;
