//! Performance and compliance figures for supervisors and leaders (Operation Soteria's data pillar).
//!
//! A [`ReportBuilder`] takes cases one at a time (so a national report streams through millions of
//! cases in bounded memory: every figure is a counter or a histogram), evaluates the rule set on
//! each, and [`ReportBuilder::finish`] gives a [`Report`]. Reports render as JSON, CSV and a
//! self-contained HTML page with hand-written SVG charts. A report marked for sharing outside the
//! force suppresses small numbers and leaves out officer-level figures. No victim identity is ever
//! read: figures come from event kinds, dates and rule findings only.

mod csv;
pub mod facts;
mod histogram;
mod html;
mod metrics;
pub mod plugins;
mod repeat;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use facts::{CaseFacts, CompletedTally, FactFinding};
pub use histogram::{DayHistogram, Percentiles};
pub use metrics::ReportBuilder;
pub use plugins::{IncludedPlugin, PluginRules, RulesInForce};
pub use repeat::RepeatSuspects;

/// One case for a report: its facts, or (when its facts do not hold at the report's instant,
/// because some of its events are later) the case itself, to be evaluated in full
/// ([`ReportBuilder::add_input`]). A store's facts read streams these.
#[derive(Debug)]
pub enum ReportInput {
    Facts(CaseFacts),
    Case(domain::Case),
}

/// What a report covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// One force, or all forces when `None`.
    pub force: Option<String>,
    /// Cases reported on or after this local date...
    pub from: NaiveDate,
    /// ...and on or before this one.
    pub to: NaiveDate,
    /// The instant the figures describe (findings are evaluated at it).
    pub as_of: DateTime<Utc>,
    /// The rule set that produced the compliance figures: its versions and the dates they apply
    /// from (`RuleSet::label`).
    pub rule_set: String,
    /// True for a report to be shared outside the force: small numbers are suppressed and officer
    /// figures left out.
    pub shared: bool,
}

/// Compliance with one rule of one rule set version over the cases in scope: a finding counts
/// under the version that judged it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCompliance {
    pub rule: String,
    /// The rule set version (`national-2026-01`).
    pub rule_set: String,
    pub title: String,
    pub instances: u64,
    pub met: u64,
    pub met_late: u64,
    pub due: u64,
    pub overdue: u64,
    pub breached: u64,
    pub advice: u64,
}

impl RuleCompliance {
    /// Met on time as a share of the instances that have been decided one way or the other (met,
    /// met late, overdue or breached). `due` and `advice` are not yet decided. `None` when nothing
    /// is decided.
    pub fn on_time_rate(&self) -> Option<f64> {
        let decided = self.met + self.met_late + self.overdue + self.breached;
        ratio(self.met, decided)
    }
}

/// One officer's load: open cases where they are officer in case, and their open overdue findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficerLoad {
    pub officer: String,
    pub open_cases: u64,
    pub overdue_findings: u64,
}

/// How long suspects have been on bail or released under investigation, as at the report's instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ageing {
    /// Counts for 0–90 days, 91–180, 181–270, 271–365 and over 365 days.
    pub buckets: [u64; 5],
}

impl Ageing {
    pub const LABELS: [&'static str; 5] = [
        "0-90 days",
        "91-180 days",
        "181-270 days",
        "271-365 days",
        "over 365 days",
    ];

    fn add(&mut self, days: i64) {
        let bucket = match days {
            ..=90 => 0,
            91..=180 => 1,
            181..=270 => 2,
            271..=365 => 3,
            _ => 4,
        };
        self.buckets[bucket] += 1;
    }

    /// How many in all.
    pub fn total(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// The figures of one report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub scope: Scope,
    /// Cases whose first report falls in the range.
    pub cases: u64,
    /// Reports by offence code (a report listing two offences counts under both).
    pub reports_by_offence: BTreeMap<String, u64>,
    /// Crimes recorded by offence code, for the cases in scope.
    pub recorded_by_offence: BTreeMap<String, u64>,
    /// Reports by month (`YYYY-MM`), for the trend chart.
    pub reports_by_month: BTreeMap<String, u64>,
    /// Cases by Home Office outcome type; index 0 counts cases still open.
    pub outcomes: Vec<u64>,
    /// Cases closed with an outcome outside 1-22 (flagged by `OUT-VALID`).
    pub other_outcomes: u64,
    /// Cases charged or summonsed (outcome 1).
    pub charged: u64,
    /// Days from report to charge, for charged cases.
    pub days_to_charge: Percentiles,
    /// Days from report to outcome, for closed cases.
    pub days_to_outcome: Percentiles,
    /// Days from report to the first time the victim was told anything.
    pub days_to_first_update: Percentiles,
    /// Compliance with each rule, national first, then the plugins' rules.
    pub compliance: Vec<RuleCompliance>,
    /// Load by officer in case (left out of shared reports).
    pub officers: Vec<OfficerLoad>,
    pub bail_ageing: Ageing,
    pub rui_ageing: Ageing,
    /// The force plugins whose rules the report includes (their rules are among `compliance`);
    /// empty for a report of the national rules.
    pub plugins: Vec<IncludedPlugin>,
    /// Plugins of `plugins` disabled while the report was built (a panic, a time-out, a
    /// malformed answer): their rules' figures are incomplete.
    pub plugins_disabled: Vec<String>,
    /// Repeat suspects from the store's confirmed links; added by the caller after
    /// [`ReportBuilder::finish`] (`None` leaves the report as it was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_suspects: Option<RepeatSuspects>,
}

impl Report {
    /// Cases closed with any outcome.
    pub fn closed(&self) -> u64 {
        self.outcomes.iter().skip(1).sum::<u64>() + self.other_outcomes
    }

    /// Charged or summonsed as a share of cases in scope.
    pub fn charge_rate(&self) -> Option<f64> {
        ratio(self.charged, self.cases)
    }

    /// Outcomes 14 and 16 (evidential difficulties, victim does not support) as a share of outcomes.
    pub fn victim_does_not_support_share(&self) -> Option<f64> {
        let not_supporting = self.outcomes.get(14).copied().unwrap_or(0)
            + self.outcomes.get(16).copied().unwrap_or(0);
        ratio(not_supporting, self.closed())
    }

    /// Compliance with one rule, every version's instances added together (`rule_set` lists the
    /// versions). `None` when no row has the rule.
    pub fn rule(&self, id: &str) -> Option<RuleCompliance> {
        let mut rows = self.compliance.iter().filter(|rule| rule.rule == id);
        let mut total = rows.next()?.clone();
        for row in rows {
            total.rule_set = format!("{}+{}", total.rule_set, row.rule_set);
            total.instances += row.instances;
            total.met += row.met;
            total.met_late += row.met_late;
            total.due += row.due;
            total.overdue += row.overdue;
            total.breached += row.breached;
            total.advice += row.advice;
        }
        Some(total)
    }

    /// Compliance with one rule under one rule set version.
    pub fn rule_in(&self, rule_set: &str, id: &str) -> Option<&RuleCompliance> {
        self.compliance
            .iter()
            .find(|rule| rule.rule == id && rule.rule_set == rule_set)
    }

    /// The report as JSON; a shared report suppresses small numbers.
    pub fn to_json(&self) -> serde_json::Value {
        csv::json(self)
    }

    /// The report as CSV: one row per figure (`section,key,measure,value`).
    pub fn to_csv(&self) -> String {
        csv::csv(self)
    }

    /// The report as one self-contained, printable HTML page with SVG charts.
    pub fn to_html(&self) -> String {
        html::page(self)
    }

    /// The same content without the document around it or its stylesheet, inside
    /// `<div class="rasso-report">`, for a page with a layout of its own.
    pub fn to_html_fragment(&self) -> String {
        html::fragment(self)
    }
}

/// `numerator / denominator`, or `None` for an empty denominator.
pub fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// How a count is shown: counts from 1 to 4 are shown as `<5` in reports shared outside the force,
/// so that no one can be identified from small numbers.
pub fn shown(count: u64, shared: bool) -> String {
    if shared && (1..5).contains(&count) {
        "<5".to_owned()
    } else {
        count.to_string()
    }
}

#[cfg(test)]
mod tests;
