//! One version of the national rule set inside a [`super::RuleSet`]: its configuration, the period
//! of triggers it judges, and its rules laid out against the rule set's table.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::time::end_of_local_day;

use super::editions::{self, DeadlineSource, Row};
use super::finding::RuleIndex;
use super::national::CheckFn;
use super::{RuleInfo, RuleSetConfig};

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

    /// This version's rules with their indices in the rule set's table.
    pub(super) fn checks(&self) -> impl Iterator<Item = (&'static Row, RuleIndex)> + '_ {
        self.rows
            .iter()
            .zip(&self.indices)
            .filter_map(|(row, index)| index.map(|index| (row, index)))
    }
}

/// One run of one rule's check for consecutive versions `first..=last` that check it alike: the
/// same check reading equal configuration. A case whose events span those versions runs it once.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub(super) rule: RuleIndex,
    pub(super) check: CheckFn,
    pub(super) triggers: &'static [crate::interchange::Kind],
    pub(super) first: usize,
    pub(super) last: usize,
}

/// The steps of `versions`, in order: every row of every version, a row joining the step of the
/// version before when it checks the rule alike.
pub(super) fn plan(versions: &[Version]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for (position, version) in versions.iter().enumerate() {
        for (row, rule) in version.checks() {
            let continued = position.checked_sub(1).and_then(|before| {
                let earlier = &versions[before];
                let alike = earlier.checks().any(|(other, index)| {
                    index == rule
                        && same_check(other.check, row.check)
                        && reads_alike(&earlier.config, &version.config, row.timescales)
                });
                if !alike {
                    return None;
                }
                steps
                    .iter_mut()
                    .find(|step| step.rule == rule && step.last == before)
            });
            match continued {
                Some(step) => step.last = position,
                None => steps.push(Step {
                    rule,
                    check: row.check,
                    triggers: row.triggers,
                    first: position,
                    last: position,
                }),
            }
        }
    }
    steps
}

/// True when two checks are the same function. Addresses are compared: two copies of one function
/// are merely run apart (never wrong), and two functions merged for having the same body behave
/// the same.
fn same_check(a: CheckFn, b: CheckFn) -> bool {
    a as usize == b as usize
}

/// True when two configurations hold the same values for every key a rule reads.
fn reads_alike(a: &RuleSetConfig, b: &RuleSetConfig, keys: &[&str]) -> bool {
    let (Ok(a), Ok(b)) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return false;
    };
    keys.iter().all(|key| {
        let pick = |value: &serde_json::Value| {
            key.split('.')
                .try_fold(value, |value, part| value.get(part))
                .cloned()
        };
        pick(&a) == pick(&b)
    })
}
