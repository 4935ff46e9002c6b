use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{Case, RuleSet, Status};

use super::*;
use crate::{ReportBuilder, Scope};

fn generated() -> (synthetic::Settings, Vec<Case>) {
    let settings = synthetic::Settings::new(23, 3);
    let cases = synthetic::cases(&settings, 1500).collect();
    (settings, cases)
}

/// Report instants around the end of the generated data: before it (many cases have later
/// events), at it, and after it (deadlines pass with no new events).
fn instants(until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    vec![
        until - Duration::days(400),
        until - Duration::days(30),
        until,
        until + Duration::days(3),
        until + Duration::days(45),
        until + Duration::days(800),
    ]
}

/// The invariant facts rest on, rule by rule: a finding taken at a case's latest event, brought to
/// any later instant by `status_at`, equals the finding of a full evaluation at that instant.
#[test]
fn findings_taken_at_the_latest_event_hold_at_every_later_instant() {
    let (settings, cases) = generated();
    let rules = RuleSet::national();
    let mut turned_overdue: BTreeSet<String> = BTreeSet::new();
    let mut checked = 0;
    for case in &cases {
        let Some(facts) = CaseFacts::of(case, &rules) else {
            continue;
        };
        for now in instants(settings.until) {
            if !facts.holds_at(now) {
                continue;
            }
            let full =
                CaseFacts::observe(case, &rules, now, &mut Scratch::default(), &mut Vec::new())
                    .expect("a case with events");
            let brought: Vec<FactFinding> = facts
                .findings
                .iter()
                .map(|finding| FactFinding {
                    status: finding.status_at(now),
                    ..finding.clone()
                })
                .collect();
            assert_eq!(brought, full.findings, "case {:?} at {now}", case.key);
            assert_eq!(
                CaseFacts {
                    findings: Vec::new(),
                    ..full.clone()
                },
                CaseFacts {
                    findings: Vec::new(),
                    ..facts.clone()
                },
                "case figures of {:?} at {now}",
                case.key
            );
            for (taken, later) in facts.findings.iter().zip(&full.findings) {
                if taken.status == Status::Due && later.status == Status::Overdue {
                    turned_overdue.insert(taken.rule.clone());
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 3000, "only {checked} case instants checked");
    // The rolling and bail rules are among those whose findings moved from due to overdue.
    for rule in [
        "VC-UPDATE",
        "SUP-REVIEW",
        "RUI-REVIEW",
        "BAIL-PERIOD",
        "VC-INFORM",
    ] {
        assert!(
            turned_overdue.contains(rule),
            "no {rule} finding turned overdue: {turned_overdue:?}"
        );
    }
}

/// The report from facts (full evaluation only for cases with events after the instant) equals the
/// report from full evaluation of every case, for one force and for all, at several instants.
#[test]
fn reports_from_facts_equal_reports_from_full_evaluation() {
    let (settings, cases) = generated();
    let rules = RuleSet::national();
    let facts: Vec<Option<CaseFacts>> = cases.iter().map(|c| CaseFacts::of(c, &rules)).collect();
    let forces = synthetic::force_codes(3);
    for now in instants(settings.until) {
        for force in [None, forces.first().cloned()] {
            let scope = Scope {
                force: force.clone(),
                from: NaiveDate::from_ymd_opt(2024, 3, 1).expect("date"),
                to: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
                as_of: now,
                rule_set: rules.config().id.clone(),
                shared: false,
            };
            let mut full = ReportBuilder::new(&rules, scope.clone());
            let mut from_facts = ReportBuilder::new(&rules, scope);
            let mut by_facts = 0;
            for (case, facts) in cases.iter().zip(&facts) {
                full.add(case);
                match facts {
                    Some(facts) if facts.holds_at(now) => {
                        by_facts += u64::from(from_facts.add_facts(facts));
                    }
                    _ => {
                        from_facts.add(case);
                    }
                }
            }
            let (full, from_facts) = (full.finish(), from_facts.finish());
            assert!(full.cases > 0);
            assert_eq!(full, from_facts, "at {now}, force {force:?}");
            if now >= settings.until {
                assert_eq!(by_facts, full.cases, "every case by its facts at {now}");
            }
        }
    }
}

#[test]
fn facts_read_back_as_written_and_refuse_an_earlier_instant() {
    let (settings, cases) = generated();
    let rules = RuleSet::national();
    for case in cases.iter().take(200) {
        let facts = CaseFacts::of(case, &rules).expect("a case with events");
        assert_eq!(CaseFacts::from_json(&facts.to_json()).expect("json"), facts);
        let before = facts.last_event_at - Duration::seconds(1);
        assert!(!facts.holds_at(before));
        let mut builder = ReportBuilder::new(
            &rules,
            Scope {
                force: None,
                from: NaiveDate::MIN,
                to: NaiveDate::MAX,
                as_of: before,
                rule_set: rules.config().id.clone(),
                shared: false,
            },
        );
        assert!(
            !builder.add_facts(&facts),
            "facts used before their last event"
        );
        assert!(facts.holds_at(settings.until));
    }
}

#[test]
fn the_basis_tells_rule_sets_apart() {
    let national = RuleSet::national();
    assert_eq!(basis(&national), basis(&RuleSet::national()));
    let mut tightened = RuleSet::national();
    tightened
        .tighten(&[(
            "written_confirmation".to_owned(),
            domain::time::Timescale::WorkingDays(3),
        )])
        .expect("a shorter timescale");
    assert_ne!(basis(&national), basis(&tightened));
}
