//! Streaming computation of a report: one case at a time, counters only.

use std::collections::BTreeMap;

use domain::interchange::{EventData, Kind, OfficerRole};
use domain::rules::{Finding, RuleIndex, Scratch};
use domain::time::local_date;
use domain::{Case, Event, RuleSet, Status};

use crate::{Ageing, DayHistogram, OfficerLoad, Report, RuleCompliance, Scope};

/// Builds a [`Report`] from cases given one at a time.
#[derive(Debug)]
pub struct ReportBuilder<'r> {
    rules: &'r RuleSet,
    scope: Scope,
    scratch: Scratch,
    findings: Vec<Finding>,
    bail_rule: Option<RuleIndex>,
    rui_rule: Option<RuleIndex>,
    cases: u64,
    reports_by_offence: BTreeMap<String, u64>,
    recorded_by_offence: BTreeMap<String, u64>,
    reports_by_month: BTreeMap<String, u64>,
    outcomes: Vec<u64>,
    other_outcomes: u64,
    charged: u64,
    to_charge: DayHistogram,
    to_outcome: DayHistogram,
    to_first_update: DayHistogram,
    by_rule: Vec<[u64; 6]>,
    officers: BTreeMap<String, (u64, u64)>,
    bail: Ageing,
    rui: Ageing,
}

impl<'r> ReportBuilder<'r> {
    /// A builder for `scope`, evaluating cases with `rules` at `scope.as_of`.
    pub fn new(rules: &'r RuleSet, scope: Scope) -> Self {
        ReportBuilder {
            rules,
            scope,
            scratch: Scratch::default(),
            findings: Vec::new(),
            bail_rule: rules.find("BAIL-PERIOD"),
            rui_rule: rules.find("RUI-REVIEW"),
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
            by_rule: vec![[0; 6]; rules.rules().len()],
            officers: BTreeMap::new(),
            bail: Ageing::default(),
            rui: Ageing::default(),
        }
    }

    /// Adds a case if it is in scope; returns whether it was.
    pub fn add(&mut self, case: &Case) -> bool {
        let as_of = self.scope.as_of;
        let visible = &case.events()[..case.events().partition_point(|e| e.at <= as_of)];
        let Some(opened) = visible
            .iter()
            .find(|e| e.kind() == Kind::ReportReceived)
            .or_else(|| visible.first())
        else {
            return false;
        };
        let reported = local_date(&opened.at);
        let in_force = self
            .scope
            .force
            .as_deref()
            .is_none_or(|force| case.key.force == force);
        if !in_force || reported < self.scope.from || reported > self.scope.to {
            return false;
        }
        self.cases += 1;
        *self
            .reports_by_month
            .entry(reported.format("%Y-%m").to_string())
            .or_default() += 1;
        self.count_events(visible, opened, reported);
        self.count_findings(case, visible);
        true
    }

    fn count_events(&mut self, events: &[Event], opened: &Event, reported: chrono::NaiveDate) {
        let days_after = |event: &Event| (local_date(&event.at) - reported).num_days();
        if let EventData::ReportReceived(report) = &opened.data {
            for offence in &report.offences {
                *self
                    .reports_by_offence
                    .entry(offence.to_string())
                    .or_default() += 1;
            }
        }
        let mut closed = None;
        let mut charged_at = None;
        let mut first_update = None;
        for event in events {
            match &event.data {
                EventData::CrimeRecorded(recorded) => {
                    for offence in &recorded.offences {
                        *self
                            .recorded_by_offence
                            .entry(offence.to_string())
                            .or_default() += 1;
                    }
                }
                EventData::CaseClosed(closure) => closed = Some((event, closure.outcome)),
                EventData::SuspectCharged(_) if charged_at.is_none() => charged_at = Some(event),
                EventData::VictimInformed(_) if first_update.is_none() => {
                    first_update = Some(event)
                }
                _ => {}
            }
        }
        if let Some(update) = first_update {
            self.to_first_update.add(days_after(update));
        }
        match closed {
            None => self.outcomes[0] += 1,
            Some((event, outcome)) => {
                match usize::try_from(outcome)
                    .ok()
                    .filter(|o| (1..=22).contains(o))
                {
                    Some(index) => self.outcomes[index] += 1,
                    None => self.other_outcomes += 1,
                }
                self.to_outcome.add(days_after(event));
                if outcome == 1 {
                    self.charged += 1;
                    self.to_charge.add(days_after(charged_at.unwrap_or(event)));
                }
            }
        }
    }

    fn count_findings(&mut self, case: &Case, events: &[Event]) {
        self.findings.clear();
        self.rules.evaluate_into(
            case,
            self.scope.as_of,
            &mut self.scratch,
            &mut self.findings,
        );
        let as_of_date = local_date(&self.scope.as_of);
        let mut overdue = 0;
        for finding in &self.findings {
            self.by_rule[usize::from(finding.rule.0)][finding.status as usize] += 1;
            if finding.status == Status::Overdue {
                overdue += 1;
            }
            if matches!(finding.status, Status::Due | Status::Overdue) {
                let age = (as_of_date - local_date(&finding.trigger_at)).num_days();
                if Some(finding.rule) == self.bail_rule {
                    self.bail.add(age);
                } else if Some(finding.rule) == self.rui_rule {
                    self.rui.add(age);
                }
            }
        }
        let open = !events.iter().any(|e| e.kind() == Kind::CaseClosed);
        let officer = events.iter().rev().find_map(|event| match &event.data {
            EventData::OfficerAllocated(allocated) if allocated.role == OfficerRole::Oic => {
                Some(allocated.officer.as_str())
            }
            _ => None,
        });
        if let (Some(officer), true) = (officer, open) {
            let load = self.officers.entry(officer.to_owned()).or_default();
            load.0 += 1;
            load.1 += overdue;
        }
    }

    /// The report.
    pub fn finish(self) -> Report {
        let compliance = self
            .rules
            .rules()
            .iter()
            .zip(&self.by_rule)
            .map(|(rule, counts)| RuleCompliance {
                rule: rule.id.to_string(),
                title: rule.title.to_string(),
                instances: counts.iter().sum(),
                met: counts[Status::Met as usize],
                met_late: counts[Status::MetLate as usize],
                due: counts[Status::Due as usize],
                overdue: counts[Status::Overdue as usize],
                breached: counts[Status::Breached as usize],
                advice: counts[Status::Advice as usize],
            })
            .collect();
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
        Report {
            scope: self.scope,
            cases: self.cases,
            reports_by_offence: self.reports_by_offence,
            recorded_by_offence: self.recorded_by_offence,
            reports_by_month: self.reports_by_month,
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
            repeat_suspects: None,
        }
    }
}
