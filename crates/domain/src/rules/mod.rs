//! The rule engine: a rule set (national rules first, then any registered by force plugins) turns a
//! case at `now` into findings.

pub mod config;
mod context;
mod editions;
mod finding;
mod national;
mod national_2026;
mod rolling;
mod versions;
mod view;

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::case::Case;
use crate::time::{Calendar, Timescale};

pub use config::{BailPeriods, ForensicWindows, Law, NATIONAL_GUIDANCE, RuleSetConfig};
pub use context::{CaseContext, KindEvents, Person, Scratch};
pub use editions::DeadlineSource;
pub use finding::{Finding, RuleIndex, Status};
pub use national::{NATIONAL_RULES, NationalRule, outcome_is_consistent};

/// The kinds of event that end an investigation (the first of them ends it): a closure, or a
/// decision not to investigate.
pub const INVESTIGATION_ENDS: [crate::interchange::Kind; 2] = [
    crate::interchange::Kind::CaseClosed,
    crate::interchange::Kind::DecisionNotToInvestigate,
];

/// The rules that stop when the investigation ends (the first `case_closed` or
/// `decision_not_to_investigate`, [`CaseContext::investigation_ended`]): after it their open
/// instances are only those already missed at the end, which nothing recorded later can clear
/// (`docs/rules.md`, "What stops a rolling rule").
pub const STOPPED_AT_INVESTIGATION_END: [&str; 4] =
    ["SUP-REVIEW", "RUI-REVIEW", "VC-UPDATE", "FOR-WINDOW"];
pub use versions::{Version, Window};
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

/// The national rule set with its versions and calendar: evaluates cases into findings. Each
/// finding is judged by the version in force at its triggering event (`docs/rules.md`, "Which
/// version judges a finding").
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Oldest first; never empty. Their windows follow one another without gap or overlap.
    versions: Vec<Version>,
    /// Each version's window, by position.
    windows: Vec<Window>,
    /// How a case is evaluated: every rule of every version, once for consecutive versions that
    /// check it alike.
    steps: Vec<versions::Step>,
    calendar: Calendar,
    rules: Vec<RuleInfo>,
}

impl RuleSet {
    /// The national rule set: `national-2021-04` before 12 January 2026 and `national-2026-01`
    /// from then, with the bundled bank holidays.
    pub fn national() -> Self {
        Self::new(
            RuleSetConfig::national_2021_04(),
            Calendar::england_and_wales(),
        )
        .with_version(RuleSetConfig::national_2026_01())
    }

    /// The national rules of one version, applied to every instant, with this calendar.
    pub fn new(config: RuleSetConfig, calendar: Calendar) -> Self {
        let mut set = RuleSet {
            versions: Vec::new(),
            windows: Vec::new(),
            steps: Vec::new(),
            calendar,
            rules: Vec::new(),
        };
        set.rebuild(vec![config], Vec::new());
        set
    }

    /// This rule set with one more version, applying from its `in_force_from` date (a version with
    /// the same date replaces the one there). Plugin rules are kept.
    pub fn with_version(mut self, config: RuleSetConfig) -> Self {
        let mut configs: Vec<RuleSetConfig> = self
            .versions
            .iter()
            .map(|version| version.config().clone())
            .filter(|existing| existing.in_force_from != config.in_force_from)
            .collect();
        configs.push(config);
        let plugins = self.plugin_rules();
        self.rebuild(configs, plugins);
        self
    }

    /// The same rules and versions with another calendar.
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// The same rule set with `suffix` added to every version's id: a force policy's rule set
    /// says whose it is (`national-2026-01+northmoor`).
    pub fn renamed(mut self, suffix: &str) -> Self {
        for version in &mut self.versions {
            version.rename(suffix);
        }
        self
    }

    fn plugin_rules(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .filter(|rule| rule.origin != Origin::National)
            .cloned()
            .collect()
    }

    /// Lays out versions (oldest first) and the rule table: national rules of any version in
    /// catalogue order, then `plugins`.
    fn rebuild(&mut self, mut configs: Vec<RuleSetConfig>, plugins: Vec<RuleInfo>) {
        configs.sort_by_key(|config| config.in_force_from);
        let newest_guidance = |id: &str| {
            configs
                .iter()
                .rev()
                .find_map(|config| config.guidance.get(id).cloned())
                .unwrap_or_else(|| format!("rules/{}", id.to_ascii_lowercase()))
        };
        let in_any = |id: &str| {
            configs
                .iter()
                .any(|config| editions::rows(config.law).iter().any(|row| row.id == id))
        };
        self.rules = NATIONAL_RULES
            .iter()
            .filter(|rule| in_any(rule.id))
            .map(|rule| RuleInfo {
                id: Cow::Borrowed(rule.id),
                title: Cow::Borrowed(rule.title),
                guidance: newest_guidance(rule.id),
                origin: Origin::National,
            })
            .chain(plugins)
            .collect();
        let starts: Vec<Option<DateTime<Utc>>> = configs
            .iter()
            .enumerate()
            .map(|(position, config)| {
                (position > 0).then(|| versions::start_of_local_day(config.in_force_from))
            })
            .collect();
        self.versions = configs
            .into_iter()
            .enumerate()
            .map(|(position, config)| {
                let window = Window {
                    from: starts[position],
                    until: starts.get(position + 1).copied().flatten(),
                };
                Version::new(config, window, &self.rules)
            })
            .collect();
        self.windows = self.versions.iter().map(Version::window).collect();
        self.steps = versions::plan(&self.versions);
    }

    /// The configuration of the newest version (the one in force from its date on).
    pub fn config(&self) -> &RuleSetConfig {
        self.newest().config()
    }

    fn newest(&self) -> &Version {
        // Never empty: every constructor lays out at least one version.
        &self.versions[self.versions.len() - 1]
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// The position of the version judging a trigger at `at`.
    pub fn version_at<Tz: TimeZone>(&self, at: &DateTime<Tz>) -> u8 {
        let position = self
            .versions
            .iter()
            .position(|version| version.window().contains(at))
            .unwrap_or(0);
        u8::try_from(position).unwrap_or(u8::MAX)
    }

    /// The version in force on a (Europe/London) date.
    pub fn version_on(&self, date: NaiveDate) -> &Version {
        self.versions
            .iter()
            .rev()
            .find(|version| version.config().in_force_from <= date)
            .unwrap_or(&self.versions[0])
    }

    /// The version at `position` (as a finding's `version`); the newest for a position out of
    /// range.
    pub fn version(&self, position: u8) -> &Version {
        self.versions
            .get(usize::from(position))
            .unwrap_or_else(|| self.newest())
    }

    /// The versions' ids, oldest first, with the dates they apply from: for reports and pages.
    pub fn label(&self) -> String {
        let mut label = String::new();
        for (position, version) in self.versions.iter().enumerate() {
            if position > 0 {
                label.push_str("; ");
            }
            label.push_str(&version.config().id);
            if position > 0 {
                label.push_str(&format!(" from {}", version.config().in_force_from));
            } else if self.versions.len() > 1 {
                label.push_str(&format!(
                    " before {}",
                    self.versions[1].config().in_force_from
                ));
            }
        }
        label
    }

    /// Where the deadline of `finding` comes from; `None` when it has none.
    pub fn deadline_source(&self, finding: &Finding) -> Option<DeadlineSource> {
        finding.due_by?;
        let rule = self.rule(finding.rule);
        if rule.origin != Origin::National {
            return Some(DeadlineSource::Force);
        }
        self.version(finding.version).deadline_source(finding.rule)
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

    /// Applies a force policy that tightens national timescales, in every version that has them.
    /// Every change is checked before any is applied: a policy that would lengthen one deadline of
    /// one version changes nothing.
    pub fn tighten(&mut self, policy: &[(String, Timescale)]) -> Result<(), RuleSetError> {
        let mut configs: Vec<RuleSetConfig> = self
            .versions
            .iter()
            .map(|version| version.config().clone())
            .collect();
        for (name, proposed) in policy {
            let mut known = false;
            for config in &mut configs {
                let mut timescales = config.timescales_mut();
                let Some((_, current)) = timescales.iter_mut().find(|(known, _)| known == name)
                else {
                    continue;
                };
                known = true;
                if !is_no_longer(*proposed, **current) {
                    return Err(RuleSetError::Lengthens {
                        name: name.clone(),
                        national: **current,
                        proposed: *proposed,
                    });
                }
                **current = *proposed;
                drop(timescales);
                if !config.tightened.contains(name) {
                    config.tightened.push(name.clone());
                }
            }
            if !known {
                return Err(RuleSetError::UnknownTimescale { name: name.clone() });
            }
        }
        let plugins = self.plugin_rules();
        self.rebuild(configs, plugins);
        Ok(())
    }

    /// The findings of the rules of this set for `case` at `now`.
    pub fn evaluate(&self, case: &Case, now: DateTime<Utc>) -> Vec<Finding> {
        let mut scratch = Scratch::default();
        let mut findings = Vec::new();
        self.evaluate_into(case, now, &mut scratch, &mut findings);
        findings
    }

    /// As [`RuleSet::evaluate`], appending to `out` and reusing `scratch` across cases. The case
    /// is indexed once; each version whose period holds any of its visible events runs its rules,
    /// keeping the findings whose trigger falls in its period.
    pub fn evaluate_into(
        &self,
        case: &Case,
        now: DateTime<Utc>,
        scratch: &mut Scratch,
        out: &mut Vec<Finding>,
    ) {
        let context = CaseContext::new(
            case,
            now,
            self.versions[0].config(),
            &self.calendar,
            scratch,
        );
        let (Some(first), Some(last)) = (context.events.first(), context.events.last()) else {
            return;
        };
        // The versions whose periods hold any visible event: consecutive, as the periods are.
        let reached = |window: &Window| window.overlaps(&first.at, &last.at);
        let Some(lowest) = self.windows.iter().position(reached) else {
            return;
        };
        let highest = self.windows.iter().rposition(reached).unwrap_or(lowest);
        for step in &self.steps {
            if !step.triggers.iter().any(|kind| context.has(*kind)) {
                continue;
            }
            let from = step.first.max(lowest);
            let to = step.last.min(highest);
            if from > to {
                continue;
            }
            let mut emitter = national::Emitter {
                rule: step.rule,
                version: u8::try_from(from).unwrap_or(u8::MAX),
                periods: &self.windows[from..=to],
                // Every trigger is one of the case's events, and the periods cover all time one
                // after another: the first event is in the lowest version reached and the last in
                // the highest, so periods from the one to the other hold every trigger.
                filter: from != lowest || to != highest,
                triggers: step.triggers,
                out,
            };
            (step.check)(
                &context.with_config(self.versions[from].config()),
                &mut emitter,
            );
        }
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
#[cfg(test)]
mod tests_2026;
