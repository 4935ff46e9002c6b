//! One version of the national rule set inside a [`super::RuleSet`]: its configuration, the period
//! of triggers it judges, and its rules laid out against the rule set's table.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::time::end_of_local_day;

use super::editions::{self, DeadlineSource, Row};
use super::finding::{Finding, RuleIndex};
use super::national::Emitter;
use super::{CaseContext, RuleInfo, RuleSetConfig};

/// The triggers a version judges: at or after `from` (none: from the beginning) and before
/// `until` (none: from then on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    /// True when an instant falls in the window.
    #[inline]
    pub fn contains<Tz: TimeZone>(&self, at: &DateTime<Tz>) -> bool {
        self.from.is_none_or(|from| *at >= from) && self.until.is_none_or(|until| *at < until)
    }

    /// True when some instant from `first` to `last` falls in the window.
    pub fn overlaps<Tz: TimeZone>(&self, first: &DateTime<Tz>, last: &DateTime<Tz>) -> bool {
        self.from.is_none_or(|from| *last >= from) && self.until.is_none_or(|until| *first < until)
    }

    /// True when every instant from `first` to `last` falls in the window.
    pub fn holds<Tz: TimeZone>(&self, first: &DateTime<Tz>, last: &DateTime<Tz>) -> bool {
        self.contains(first) && self.contains(last)
    }
}

/// The first instant of a Europe/London date: the second after the end of the day before.
pub(super) fn start_of_local_day(date: NaiveDate) -> DateTime<Utc> {
    let before = date.pred_opt().unwrap_or(date);
    end_of_local_day(before) + Duration::seconds(1)
}

/// One version: its configuration, window and rules.
#[derive(Debug, Clone)]
pub struct Version {
    config: RuleSetConfig,
    window: Window,
    rows: &'static [Row],
    /// The rule set's index of each row's rule (always found: the table is built from the rows).
    indices: Vec<Option<RuleIndex>>,
}

impl Version {
    pub(super) fn new(config: RuleSetConfig, window: Window, rules: &[RuleInfo]) -> Self {
        let rows = editions::rows(config.law);
        let indices = rows
            .iter()
            .map(|row| {
                let position = rules.iter().position(|rule| rule.id == row.id)?;
                u16::try_from(position).ok().map(RuleIndex)
            })
            .collect();
        Version {
            config,
            window,
            rows,
            indices,
        }
    }

    /// The version's configuration (`id`, timescales, the date it applies from).
    pub fn config(&self) -> &RuleSetConfig {
        &self.config
    }

    /// The triggers this version judges.
    pub fn window(&self) -> Window {
        self.window
    }

    pub(super) fn rename(&mut self, suffix: &str) {
        self.config.id.push_str(suffix);
    }

    /// The ids of this version's rules, in the order they run.
    pub fn rule_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.rows.iter().map(|row| row.id)
    }

    /// True when this version has the rule.
    pub fn has(&self, rule: RuleIndex) -> bool {
        self.indices.contains(&Some(rule))
    }

    /// Where the deadline of `rule` comes from in this version; `None` for a rule without one or
    /// not in this version. A timescale a force policy tightened makes it the force's.
    pub fn deadline_source(&self, rule: RuleIndex) -> Option<DeadlineSource> {
        let position = self.indices.iter().position(|index| *index == Some(rule))?;
        let row = &self.rows[position];
        let tightened = row
            .timescales
            .iter()
            .any(|name| self.config.tightened.iter().any(|t| t == name));
        if tightened {
            Some(DeadlineSource::Force)
        } else {
            row.source
        }
    }

    /// Where the deadline of the rule with this id comes from; for `rasso rules`.
    pub fn deadline_source_of(&self, id: &str) -> Option<DeadlineSource> {
        let position = self.rows.iter().position(|row| row.id == id)?;
        self.indices
            .get(position)
            .copied()
            .flatten()
            .and_then(|index| self.deadline_source(index))
    }

    /// Runs every rule of this version, keeping findings whose trigger is in `filter`.
    pub(super) fn run(
        &self,
        context: &CaseContext<'_>,
        version: u8,
        filter: Option<Window>,
        out: &mut Vec<Finding>,
    ) {
        for (row, rule) in self.rows.iter().zip(&self.indices) {
            let Some(rule) = *rule else {
                continue;
            };
            let mut emitter = Emitter {
                rule,
                version,
                window: filter,
                out,
            };
            (row.check)(context, &mut emitter);
        }
    }
}
