//! Streaming computation of a report: one case (or one case's facts) at a time, counters only.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use domain::rules::{Finding, RuleIndex, Scratch};
use domain::time::local_date;
use domain::{Case, RuleSet, Status};

use crate::facts::CaseFacts;
use crate::plugins::{IncludedPlugin, RulesInForce};
use crate::{Ageing, DayHistogram, OfficerLoad, Report, ReportInput, RuleCompliance, Scope};

/// Builds a [`Report`] from cases given one at a time.
#[derive(Debug)]
pub struct ReportBuilder<'r> {
    rules: RulesInForce<'r>,
    /// The plugins included when the report began.
    plugins: Vec<IncludedPlugin>,
    scope: Scope,
    scratch: Scratch,
    findings: Vec<Finding>,
    bail_rule: Option<RuleIndex>,
    rui_rule: Option<RuleIndex>,
    cases: u64,
    reports_by_offence: BTreeMap<String, u64>,
    recorded_by_offence: BTreeMap<String, u64>,
    /// By (year, month) while counting; named `YYYY-MM` in the report.
    reports_by_month: BTreeMap<(i32, u32), u64>,
    outcomes: Vec<u64>,
    other_outcomes: u64,
    charged: u64,
    to_charge: DayHistogram,
    to_outcome: DayHistogram,
    to_first_update: DayHistogram,
    /// Counts by status for each (version, rule): `version * rules + rule`.
    by_rule: Vec<[u64; 6]>,
    /// For the case being counted: the rule set's version of each of its facts' rule sets.
    versions_of_case: Vec<Option<usize>>,
    officers: BTreeMap<String, (u64, u64)>,
    bail: Ageing,
    rui: Ageing,
}

impl<'r> ReportBuilder<'r> {
    /// A builder for `scope`, evaluating cases with `rules` (a rule set, or force plugins' rules
    /// with the rule set they make) at `scope.as_of`.
    pub fn new(rules: impl Into<RulesInForce<'r>>, scope: Scope) -> Self {
        let rules = rules.into();
        let rule_set: &'r RuleSet = rules.rule_set();
        ReportBuilder {
            rules,
            plugins: rules.included(),
            scope,
            scratch: Scratch::default(),
            findings: Vec::new(),
            bail_rule: rule_set.find("BAIL-PERIOD"),
            rui_rule: rule_set.find("RUI-REVIEW"),
            cases: 0,
            reports_by_offence: BTreeMap::new(),
            recorded_by_offence: BTreeMap::new(),
            reports_by_month: BTreeMap::new(),
            outcomes: vec![0; 23],
            other_outcomes: 0,
            charged: 0,
            to_charge: DayHistogram::default(),
            to_outcome: DayHistogram::default(),
            to_first_update: DayHistogram::default(),
            by_rule: vec![[0; 6]; rule_set.rules().len() * rule_set.versions().len()],
            versions_of_case: Vec::new(),
            officers: BTreeMap::new(),
            bail: Ageing::default(),
            rui: Ageing::default(),
        }
    }

    /// Adds a case if it is in scope; returns whether it was. The case is evaluated in full at the
    /// report's instant.
    pub fn add(&mut self, case: &Case) -> bool {
        match CaseFacts::observe(
            case,
            self.rules,
            self.scope.as_of,
            &mut self.scratch,
            &mut self.findings,
        ) {
            Some(facts) => self.add_facts(&facts),
            None => false,
        }
    }

    /// Adds one case as a store's facts read hands it over: by its facts, or in full.
    pub fn add_input(&mut self, input: &ReportInput) -> bool {
        match input {
            ReportInput::Facts(facts) => self.add_facts(facts),
            ReportInput::Case(case) => self.add(case),
        }
    }

    /// Adds a case by its facts if it is in scope; returns whether it was. The facts must hold at
    /// the report's instant ([`CaseFacts::holds_at`]): stored facts of a case with events after it
    /// are refused (`false`), and the caller evaluates that case with [`ReportBuilder::add`].
    pub fn add_facts(&mut self, facts: &CaseFacts) -> bool {
        let in_force = self
            .scope
            .force
            .as_deref()
            .is_none_or(|force| facts.force == force);
        let reported = facts.reported_on;
        if !in_force
            || reported < self.scope.from
            || reported > self.scope.to
            || !facts.holds_at(self.scope.as_of)
        {
            return false;
        }
        self.cases += 1;
        *self
            .reports_by_month
            .entry((reported.year(), reported.month()))
            .or_default() += 1;
        self.count_case(facts);
        self.count_findings(facts);
        true
    }

    fn count_case(&mut self, facts: &CaseFacts) {
        for offence in &facts.offences_reported {
            add_to(&mut self.reports_by_offence, offence, |count| *count += 1);
        }
        for offence in &facts.offences_recorded {
            add_to(&mut self.recorded_by_offence, offence, |count| *count += 1);
        }
        if let Some(days) = facts.days_to_first_update {
            self.to_first_update.add(days);
        }
        match facts.outcome {
            None => self.outcomes[0] += 1,
            Some(outcome) => {
                match usize::try_from(outcome)
                    .ok()
                    .filter(|o| (1..=22).contains(o))
                {
                    Some(index) => self.outcomes[index] += 1,
                    None => self.other_outcomes += 1,
                }
                if let Some(days) = facts.days_to_outcome {
                    self.to_outcome.add(days);
                }
                if outcome == 1 {
                    self.charged += 1;
                    if let Some(days) = facts.days_to_charge {
                        self.to_charge.add(days);
                    }
                }
            }
        }
    }

    fn count_findings(&mut self, facts: &CaseFacts) {
        let as_of = self.scope.as_of;
        let as_of_date = local_date(&as_of);
        let mut overdue = 0;
        let mut hint = 0;
        // Facts name versions by id, once a case: which of this rule set's versions each is.
        self.versions_of_case.clear();
        for id in &facts.rule_sets {
            let version = self
                .rules
                .rule_set()
                .versions()
                .iter()
                .position(|version| version.config().id == *id);
            self.versions_of_case.push(version);
        }
        let rules = self.rules.rule_set().rules().len();
        for finding in &facts.findings {
            // Facts name rules by id; a rule or version this rule set does not have is not counted.
            let Some(rule) = self.rule_index(&finding.rule, hint) else {
                continue;
            };
            let Some(version) = self
                .versions_of_case
                .get(usize::from(finding.rule_set))
                .copied()
                .flatten()
            else {
                continue;
            };
            hint = usize::from(rule.0);
            let status = finding.status_at(as_of);
            self.by_rule[version * rules + usize::from(rule.0)][status as usize] += 1;
            if status == Status::Overdue {
                overdue += 1;
            }
            if matches!(status, Status::Due | Status::Overdue) {
                let age = (as_of_date - finding.trigger_on).num_days();
                if Some(rule) == self.bail_rule {
                    self.bail.add(age);
                } else if Some(rule) == self.rui_rule {
                    self.rui.add(age);
                }
            }
        }
        for tally in &facts.completed {
            let (Some(rule), Some(version)) = (
                self.rule_index(&tally.rule, hint),
                self.versions_of_case
                    .get(usize::from(tally.rule_set))
                    .copied()
                    .flatten(),
            ) else {
                continue;
            };
            let counts = &mut self.by_rule[version * rules + usize::from(rule.0)];
            counts[Status::Met as usize] += u64::from(tally.met);
            counts[Status::MetLate as usize] += u64::from(tally.met_late);
        }
        if let (Some(officer), None) = (&facts.officer, facts.outcome) {
            add_to(&mut self.officers, officer, |load| {
                load.0 += 1;
                load.1 += overdue;
            });
        }
    }

    /// The index of a rule of this rule set by its id. A case's findings come in the rule set's
    /// order, several to a rule, so the rule at `hint` (the previous finding's) or the next one
    /// almost always is it: that saves comparing the id with every rule's, for every finding of
    /// every case of a national report.
    fn rule_index(&self, id: &str, hint: usize) -> Option<RuleIndex> {
        let rules = self.rules.rule_set().rules();
        for position in [hint, hint + 1] {
            if rules.get(position).is_some_and(|rule| rule.id == id) {
                return u16::try_from(position).ok().map(RuleIndex);
            }
        }
        self.rules.rule_set().find(id)
    }

    /// Rows of compliance: for each version the report's period reaches (from the start of its
    /// first report date to its instant) or that judged any finding counted, each of its national
    /// rules; then each plugin rule once, its counts summed over every version (a plugin rule is
    /// the same rule whichever national version judged the trigger's instant), under the newest
    /// version shown.
    fn compliance(&self) -> Vec<RuleCompliance> {
        let rules = self.rules.rule_set().rules();
        let versions = self.rules.rule_set().versions();
        // The first instant of the first report date.
        let from =
            domain::time::end_of_local_day(self.scope.from.pred_opt().unwrap_or(self.scope.from))
                + chrono::Duration::seconds(1);
        let mut rows = Vec::new();
        let mut newest_shown = None;
        for (version_index, version) in versions.iter().enumerate() {
            let counts = self.counts_of(version_index);
            let reached = version.window().overlaps(&from, &self.scope.as_of);
            if !reached && counts.iter().all(|c| c.iter().all(|n| *n == 0)) {
                continue;
            }
            newest_shown = Some(version);
            for (position, (rule, counts)) in rules.iter().zip(counts).enumerate() {
                let index = domain::RuleIndex(position as u16);
                if rule.origin == domain::rules::Origin::National && version.has(index) {
                    rows.push(row(version.config().id.clone(), rule, counts));
                }
            }
        }
        let label = newest_shown
            .or(versions.last())
            .map(|version| version.config().id.clone())
            .unwrap_or_default();
        for (position, rule) in rules.iter().enumerate() {
            if rule.origin == domain::rules::Origin::National {
                continue;
            }
            let mut total = [0u64; 6];
            for version_index in 0..versions.len() {
                for (sum, n) in total
                    .iter_mut()
                    .zip(self.counts_of(version_index)[position])
                {
                    *sum += n;
                }
            }
            rows.push(row(label.clone(), rule, &total));
        }
        rows
    }

    /// The counts of every rule as judged under one version of the rule set.
    fn counts_of(&self, version_index: usize) -> &[[u64; 6]] {
        let rules = self.rules.rule_set().rules().len();
        &self.by_rule[version_index * rules..(version_index + 1) * rules]
    }

    /// The report.
    pub fn finish(self) -> Report {
        let compliance = self.compliance();
        let mut officers: Vec<OfficerLoad> = if self.scope.shared {
            Vec::new()
        } else {
            self.officers
                .into_iter()
                .map(|(officer, (open_cases, overdue_findings))| OfficerLoad {
                    officer,
                    open_cases,
                    overdue_findings,
                })
                .collect()
        };
        officers.sort_by(|a, b| {
            b.open_cases
                .cmp(&a.open_cases)
                .then_with(|| a.officer.cmp(&b.officer))
        });
        // Every month of the period up to the report's instant, those without a report as 0: a
        // chart over months must not join the months either side of an empty one.
        let mut reports_by_month = self.reports_by_month;
        let last = self.scope.to.min(local_date(&self.scope.as_of));
        let mut month = (self.scope.from.year(), self.scope.from.month());
        while month <= (last.year(), last.month()) {
            reports_by_month.entry(month).or_insert(0);
            month = if month.1 == 12 {
                (month.0 + 1, 1)
            } else {
                (month.0, month.1 + 1)
            };
        }
        Report {
            scope: self.scope,
            cases: self.cases,
            reports_by_offence: self.reports_by_offence,
            recorded_by_offence: self.recorded_by_offence,
            reports_by_month: reports_by_month
                .into_iter()
                .map(|((year, month), count)| (month_name(year, month), count))
                .collect(),
            outcomes: self.outcomes,
            other_outcomes: self.other_outcomes,
            charged: self.charged,
            days_to_charge: self.to_charge.summary(),
            days_to_outcome: self.to_outcome.summary(),
            days_to_first_update: self.to_first_update.summary(),
            compliance,
            officers,
            bail_ageing: self.bail,
            rui_ageing: self.rui,
            plugins_disabled: disabled_since(&self.plugins, &self.rules.included()),
            plugins: self.plugins,
            repeat_suspects: None,
        }
    }
}

/// One row of compliance.
fn row(rule_set: String, rule: &domain::rules::RuleInfo, counts: &[u64; 6]) -> RuleCompliance {
    RuleCompliance {
        rule: rule.id.to_string(),
        rule_set,
        title: rule.title.to_string(),
        instances: counts.iter().sum(),
        met: counts[Status::Met as usize],
        met_late: counts[Status::MetLate as usize],
        due: counts[Status::Due as usize],
        overdue: counts[Status::Overdue as usize],
        breached: counts[Status::Breached as usize],
        advice: counts[Status::Advice as usize],
    }
}

/// The plugins of `began` no longer in `now`: disabled while the report was built, so their rules'
/// figures are incomplete.
fn disabled_since(began: &[IncludedPlugin], now: &[IncludedPlugin]) -> Vec<String> {
    began
        .iter()
        .filter(|plugin| !now.iter().any(|still| still.name == plugin.name))
        .map(|plugin| plugin.name.clone())
        .collect()
}

/// Changes the counts kept under `name` with `change`, copying the name only the first time it is
/// seen (`entry` would copy it for every case of a report).
fn add_to<V: Default>(counts: &mut BTreeMap<String, V>, name: &str, change: impl FnOnce(&mut V)) {
    match counts.get_mut(name) {
        Some(value) => change(value),
        None => change(counts.entry(name.to_owned()).or_default()),
    }
}

/// `YYYY-MM`, as chrono writes the month of a date.
fn month_name(year: i32, month: u32) -> String {
    NaiveDate::from_ymd_opt(year, month, 1)
        .map(|first| first.format("%Y-%m").to_string())
        .unwrap_or_default()
}
