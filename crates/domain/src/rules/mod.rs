//! The rule engine: a rule set (national rules first, then any registered by force plugins) turns a
//! case at `now` into findings.

pub mod config;
mod context;
mod finding;
mod national;
mod view;

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::case::Case;
use crate::time::{Calendar, Timescale};

pub use config::{BailPeriods, ForensicWindows, NATIONAL_GUIDANCE, RuleSetConfig};
pub use context::{CaseContext, Person, Scratch};
pub use finding::{Finding, RuleIndex, Status};
pub use national::{NATIONAL_RULES, NationalRule, outcome_is_consistent};
pub use view::FindingView;

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The national rule set.
    National,
    /// A force plugin, by name.
    Plugin(String),
}

/// What a rule is, for people and for findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The stable id findings, reports and guidance use: `VC-INFORM`.
    pub id: Cow<'static, str>,
    /// A one-line description of what the rule checks.
    pub title: Cow<'static, str>,
    /// The guidance page that explains the rule.
    pub guidance: String,
    pub origin: Origin,
}

/// Why a rule or a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error(
        "rule id `{0}` is already taken by a national rule: plugins add rules, they cannot replace national ones"
    )]
    NationalIdTaken(String),
    #[error("rule id `{0}` is already registered")]
    DuplicateId(String),
    #[error("rule id `{0}` is not valid: use capital letters, digits and `-`")]
    BadId(String),
    #[error("policy `{name}`: unknown timescale")]
    UnknownTimescale { name: String },
    #[error(
        "policy `{name}`: {proposed:?} is not shorter than or equal to the national {national:?}: a policy may only shorten a national deadline"
    )]
    Lengthens {
        name: String,
        national: Timescale,
        proposed: Timescale,
    },
}

/// A versioned rule set with its calendar: evaluates cases into findings.
#[derive(Debug, Clone)]
pub struct RuleSet {
    config: RuleSetConfig,
    calendar: Calendar,
    rules: Vec<RuleInfo>,
}

impl RuleSet {
    /// The national rule set `national-2021-04` with the bundled bank holidays.
    pub fn national() -> Self {
        Self::new(
            RuleSetConfig::national_2021_04(),
            Calendar::england_and_wales(),
        )
    }

    /// The national rules with this configuration and calendar.
    pub fn new(config: RuleSetConfig, calendar: Calendar) -> Self {
        let rules = NATIONAL_RULES
            .iter()
            .map(|rule| RuleInfo {
                id: Cow::Borrowed(rule.id),
                title: Cow::Borrowed(rule.title),
                guidance: config
                    .guidance
                    .get(rule.id)
                    .cloned()
                    .unwrap_or_else(|| format!("rules/{}", rule.id.to_ascii_lowercase())),
                origin: Origin::National,
            })
            .collect();
        RuleSet {
            config,
            calendar,
            rules,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &RuleSetConfig {
        &self.config
    }

    /// The working-day calendar in force.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Every rule, national first.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// The rule at `index`.
    pub fn rule(&self, index: RuleIndex) -> &RuleInfo {
        &self.rules[usize::from(index.0)]
    }

    /// The rule with this id.
    pub fn find(&self, id: &str) -> Option<RuleIndex> {
        self.rules
            .iter()
            .position(|rule| rule.id == id)
            .and_then(|position| u16::try_from(position).ok())
            .map(RuleIndex)
    }

    /// Adds a plugin's rule. National ids can never be taken, so a plugin cannot remove, rename or
    /// replace a national rule.
    pub fn register(&mut self, info: RuleInfo) -> Result<RuleIndex, RuleSetError> {
        let valid = !info.id.is_empty()
            && info
                .id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(RuleSetError::BadId(info.id.into_owned()));
        }
        if NATIONAL_RULES.iter().any(|rule| rule.id == info.id) {
            return Err(RuleSetError::NationalIdTaken(info.id.into_owned()));
        }
        if self.find(&info.id).is_some() {
            return Err(RuleSetError::DuplicateId(info.id.into_owned()));
        }
        let index = u16::try_from(self.rules.len())
            .map_err(|_| RuleSetError::DuplicateId(info.id.to_string()))?;
        self.rules.push(info);
        Ok(RuleIndex(index))
    }

    /// Applies a force policy that tightens national timescales. Every change is checked before any
    /// is applied: a policy that would lengthen one deadline changes nothing.
    pub fn tighten(&mut self, policy: &[(String, Timescale)]) -> Result<(), RuleSetError> {
        let mut config = self.config.clone();
        {
            let mut timescales = config.timescales_mut();
            for (name, proposed) in policy {
                let (_, current) = timescales
                    .iter_mut()
                    .find(|(known, _)| known == name)
                    .ok_or_else(|| RuleSetError::UnknownTimescale { name: name.clone() })?;
                if !is_no_longer(*proposed, **current) {
                    return Err(RuleSetError::Lengthens {
                        name: name.clone(),
                        national: **current,
                        proposed: *proposed,
                    });
                }
                **current = *proposed;
            }
        }
        self.config = config;
        Ok(())
    }

    /// The findings of the rules of this set for `case` at `now`.
    pub fn evaluate(&self, case: &Case, now: DateTime<Utc>) -> Vec<Finding> {
        let mut scratch = Scratch::default();
        let mut findings = Vec::new();
        self.evaluate_into(case, now, &mut scratch, &mut findings);
        findings
    }

    /// As [`RuleSet::evaluate`], appending to `out` and reusing `scratch` across cases.
    pub fn evaluate_into(
        &self,
        case: &Case,
        now: DateTime<Utc>,
        scratch: &mut Scratch,
        out: &mut Vec<Finding>,
    ) {
        let context = CaseContext::new(case, now, &self.config, &self.calendar, scratch);
        national::evaluate(&context, out);
    }
}

/// True when `proposed` is the same kind of timescale as `current` and no longer. Timescales of
/// different kinds cannot be compared for every start date, so they are refused.
fn is_no_longer(proposed: Timescale, current: Timescale) -> bool {
    use Timescale::{CalendarDays, Hours, WorkingDays};
    match (proposed, current) {
        (WorkingDays(p), WorkingDays(c))
        | (CalendarDays(p), CalendarDays(c))
        | (Hours(p), Hours(c)) => p <= c,
        // A working-day limit of N is never later than N calendar days when N is small enough for
        // no weekend to intervene; rather than reason about that, refuse mixed kinds.
        _ => false,
    }
}

#[cfg(test)]
mod tests;
