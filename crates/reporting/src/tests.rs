use chrono::{DateTime, NaiveDate, Utc};
use domain::interchange::{EventData, parse_record};
use domain::{Case, RuleSet};
use serde_json::{Value, json};

use super::*;

fn ev(case: &str, force: &str, at: &str, kind: &str, fields: Value) -> String {
    let mut object = json!({"case": case, "force": force, "at": at, "kind": kind});
    if let (Some(target), Value::Object(extra)) = (object.as_object_mut(), fields) {
        target.extend(extra);
    }
    object.to_string()
}

/// Five cases whose figures are worked out by hand in the tests below.
fn fixture() -> Vec<Case> {
    let ex = "exampleshire";
    let lines = vec![
        // A: rape, charged 29 days after the report, closed (outcome 1) on day 30.
        ev(
            "A",
            ex,
            "2026-03-02T09:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s1"]}),
        ),
        ev(
            "A",
            ex,
            "2026-03-02T09:05:00Z",
            "person_added",
            json!({"person": "V1", "role": "victim", "identity": {"given_name": "Hepzibah", "family_name": "Crundall"}}),
        ),
        ev(
            "A",
            ex,
            "2026-03-02T09:06:00Z",
            "person_added",
            json!({"person": "S1", "role": "suspect"}),
        ),
        ev(
            "A",
            ex,
            "2026-03-02T12:00:00Z",
            "crime_recorded",
            json!({"offences": ["SOA2003-s1"]}),
        ),
        ev(
            "A",
            ex,
            "2026-03-02T13:00:00Z",
            "officer_allocated",
            json!({"officer": "4471", "role": "oic"}),
        ),
        ev(
            "A",
            ex,
            "2026-03-04T10:00:00Z",
            "victim_informed",
            json!({"person": "V1", "about": "update"}),
        ),
        ev(
            "A",
            ex,
            "2026-03-31T10:00:00+01:00",
            "suspect_charged",
            json!({"person": "S1", "offences": ["SOA2003-s1"]}),
        ),
        ev(
            "A",
            ex,
            "2026-04-01T10:00:00+01:00",
            "case_closed",
            json!({"outcome": 1, "suspect_identified": true, "victim_supports": true}),
        ),
        // B: sexual assault, closed with outcome 16 ten days after the report.
        ev(
            "B",
            ex,
            "2026-03-10T09:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s3"]}),
        ),
        ev(
            "B",
            ex,
            "2026-03-10T10:00:00Z",
            "crime_recorded",
            json!({"offences": ["SOA2003-s3"]}),
        ),
        ev(
            "B",
            ex,
            "2026-03-10T11:00:00Z",
            "officer_allocated",
            json!({"officer": "4471", "role": "oic"}),
        ),
        ev(
            "B",
            ex,
            "2026-03-20T10:00:00Z",
            "case_closed",
            json!({"outcome": 16, "suspect_identified": true, "victim_supports": false}),
        ),
        // C: still open, suspect on bail since 6 April, nothing done for the victim.
        ev(
            "C",
            ex,
            "2026-04-05T09:00:00+01:00",
            "report_received",
            json!({"offences": ["SOA2003-s1", "SOA2003-s3"]}),
        ),
        ev(
            "C",
            ex,
            "2026-04-05T09:05:00+01:00",
            "person_added",
            json!({"person": "V1", "role": "victim"}),
        ),
        ev(
            "C",
            ex,
            "2026-04-05T09:06:00+01:00",
            "person_added",
            json!({"person": "S1", "role": "suspect"}),
        ),
        ev(
            "C",
            ex,
            "2026-04-05T10:00:00+01:00",
            "officer_allocated",
            json!({"officer": "5120", "role": "oic"}),
        ),
        ev(
            "C",
            ex,
            "2026-04-06T10:00:00+01:00",
            "suspect_arrested",
            json!({"person": "S1"}),
        ),
        ev(
            "C",
            ex,
            "2026-04-06T18:00:00+01:00",
            "suspect_bailed",
            json!({"person": "S1"}),
        ),
        // D: another force. E: reported before the range.
        ev(
            "D",
            "northmoor",
            "2026-03-15T09:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s1"]}),
        ),
        ev(
            "E",
            ex,
            "2025-12-01T09:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s1"]}),
        ),
    ];
    Case::group(
        lines
            .iter()
            .map(|line| parse_record(line).expect("valid fixture")),
    )
}

fn scope(shared: bool) -> Scope {
    Scope {
        force: Some("exampleshire".into()),
        from: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 4, 30).expect("date"),
        as_of: DateTime::parse_from_rfc3339("2026-05-01T00:00:00Z")
            .expect("instant")
            .with_timezone(&Utc),
        rule_set: RuleSet::national().label(),
        shared,
    }
}

fn build(shared: bool) -> Report {
    let rules = RuleSet::national();
    let mut builder = ReportBuilder::new(&rules, scope(shared));
    let included: Vec<bool> = fixture().iter().map(|case| builder.add(case)).collect();
    assert_eq!(included, [true, true, true, false, false]);
    builder.finish()
}

#[test]
fn headline_figures_match_the_hand_computed_answers() {
    let report = build(false);
    assert_eq!(report.cases, 3);
    assert_eq!(
        report.reports_by_offence,
        [("SOA2003-s1".to_owned(), 2), ("SOA2003-s3".to_owned(), 2)].into()
    );
    assert_eq!(
        report.recorded_by_offence,
        [("SOA2003-s1".to_owned(), 1), ("SOA2003-s3".to_owned(), 1)].into()
    );
    assert_eq!(
        report.reports_by_month,
        [("2026-03".to_owned(), 2), ("2026-04".to_owned(), 1)].into()
    );
    assert_eq!(
        (report.outcomes[0], report.outcomes[1], report.outcomes[16]),
        (1, 1, 1)
    );
    assert_eq!(report.closed(), 2);
    assert_eq!(report.charged, 1);
    assert_eq!(report.charge_rate(), Some(1.0 / 3.0));
    assert_eq!(report.victim_does_not_support_share(), Some(0.5));
    assert_eq!(
        report.days_to_charge,
        Percentiles {
            count: 1,
            median: Some(29),
            p90: Some(29)
        }
    );
    // Outcomes after 30 and 10 days: nearest-rank median 10, 90th percentile 30.
    assert_eq!(
        report.days_to_outcome,
        Percentiles {
            count: 2,
            median: Some(10),
            p90: Some(30)
        }
    );
    assert_eq!(
        report.days_to_first_update,
        Percentiles {
            count: 1,
            median: Some(2),
            p90: Some(2)
        }
    );
}

#[test]
fn compliance_ageing_and_officer_load_match_the_hand_computed_answers() {
    let report = build(false);
    // Crime recorded within 24 hours in A and B; never in C.
    let recording = report.rule("REC-24H").expect("rule");
    assert_eq!(
        (recording.instances, recording.met, recording.overdue),
        (3, 2, 1)
    );
    assert_eq!(recording.on_time_rate(), Some(2.0 / 3.0));
    // C's victim was not told of the arrest or the bail, and A's was not told of the charge.
    let inform = report.rule("VC-INFORM").expect("rule");
    assert_eq!((inform.instances, inform.overdue), (3, 3));
    // One suspect on bail for 25 days.
    assert_eq!(report.bail_ageing.buckets, [1, 0, 0, 0, 0]);
    assert_eq!(report.rui_ageing.total(), 0);
    // Only C is open. Its overdue findings: REC-24H, VC-CONFIRM, VC-NEEDS, VC-REFERRAL, ISVA-OFFER,
    // VC-INFORM twice and SUP-REVIEW.
    assert_eq!(
        report.officers,
        [OfficerLoad {
            officer: "5120".into(),
            open_cases: 1,
            overdue_findings: 8
        }]
    );
}

#[test]
fn shared_reports_suppress_small_numbers_and_leave_out_officers() {
    let report = build(true);
    assert!(report.officers.is_empty());
    let json = report.to_json();
    assert_eq!(json["cases"], "<5");
    assert_eq!(json["outcomes"]["open"], "<5");
    assert_eq!(json["outcomes"]["2"], 0);
    assert_eq!(json["charge_rate"], Value::Null);
    let csv = report.to_csv();
    assert!(csv.contains("summary,cases,count,<5\n"), "{csv}");
    let html = report.to_html();
    assert!(html.contains("counts from 1 to 4 are shown as &lt;5"));
    assert!(!html.contains("5120"));
    // The internal report shows the real numbers.
    let internal = build(false).to_json();
    assert_eq!(internal["cases"], 3);
    assert_eq!(internal["charge_rate"], 0.3333);
}

#[test]
fn no_victim_identity_in_any_output() {
    let report = build(false);
    for output in [
        report.to_json().to_string(),
        report.to_csv(),
        report.to_html(),
    ] {
        assert!(!output.contains("Hepzibah") && !output.contains("Crundall"));
    }
}

#[test]
fn csv_has_one_row_per_figure() {
    let csv = build(false).to_csv();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("section,key,measure,value"));
    assert!(csv.contains("outcomes,16,count,1\n"));
    assert!(csv.contains("compliance,national-2026-01/REC-24H,on_time_rate,0.6667\n"));
    assert!(csv.contains("officers,5120,overdue_findings,8\n"));
    assert!(csv.contains("days_to_outcome,p90_days,days,30\n"));
    assert!(lines.all(|line| line.split(',').count() == 4), "{csv}");
}

#[test]
fn html_report_snapshot() {
    insta::assert_snapshot!("html_fixture", build(false).to_html());
}

#[test]
fn figures_agree_with_an_independent_count_over_generated_cases() {
    let settings = synthetic::Settings::new(11, 3);
    let cases: Vec<Case> = synthetic::cases(&settings, 3000).collect();
    let rules = RuleSet::national();
    let scope = Scope {
        force: None,
        from: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"),
        as_of: settings.until,
        rule_set: rules.config().id.clone(),
        shared: false,
    };
    let mut builder = ReportBuilder::new(&rules, scope.clone());
    for case in &cases {
        builder.add(case);
    }
    let report = builder.finish();
    // Independently: straight over the events, without the builder.
    let in_scope: Vec<&Case> = cases
        .iter()
        .filter(|case| {
            let reported = domain::time::local_date(&case.events()[0].at);
            reported >= scope.from && reported <= scope.to
        })
        .collect();
    let closed_with = |outcome: u32| {
        in_scope
            .iter()
            .filter(|case| {
                case.events()
                    .iter()
                    .any(|e| matches!(&e.data, EventData::CaseClosed(c) if c.outcome == outcome))
            })
            .count() as u64
    };
    assert_eq!(report.cases, in_scope.len() as u64);
    assert!(report.cases > 1000);
    for outcome in [1, 14, 15, 16, 18, 21] {
        assert_eq!(
            report.outcomes[outcome as usize],
            closed_with(outcome),
            "outcome {outcome}"
        );
    }
    assert_eq!(report.charged, closed_with(1));
    // Every finding, and every completed instance of a rolling rule (which reports count too).
    let findings: u64 = in_scope
        .iter()
        .map(|case| {
            let mut completed = Vec::new();
            rules.completed_rolling_into(
                case,
                settings.until,
                &mut domain::rules::Scratch::default(),
                &mut completed,
            );
            (rules.evaluate(case, settings.until).len() + completed.len()) as u64
        })
        .sum();
    assert_eq!(
        report
            .compliance
            .iter()
            .map(|rule| rule.instances)
            .sum::<u64>(),
        findings
    );
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let mut report = build(false);
    // Officer identifiers come from force records: one that looks like a formula must reach a
    // spreadsheet as text.
    for (officer, written) in [
        (
            "=HYPERLINK(\"http://example.invalid\",\"x\")",
            "officers,\"'=HYPERLINK(",
        ),
        ("@SUM(A1)", "officers,'@SUM(A1),"),
        ("+1-2", "officers,'+1-2,"),
        ("-cmd", "officers,'-cmd,"),
    ] {
        report.officers[0].officer = officer.into();
        let csv = report.to_csv();
        for line in csv.lines() {
            for cell in line.split(',') {
                let cell = cell.trim_start_matches('"');
                assert!(
                    !cell.starts_with(['=', '+', '@', '-', '\t', '\r']),
                    "a cell a spreadsheet would run: {line}"
                );
            }
        }
        assert!(csv.contains(written), "{csv}");
    }
    let csv = report.to_csv();
    // Numbers stay numbers.
    assert!(csv.contains("compliance,national-2026-01/REC-24H,on_time_rate,0.6667\n"));
}

/// Rolling rules count every completed instance, not only the open one (issue #18: leaders saw
/// supervisor reviews at 0% on time while the timeline showed them done). One case, reported 2
/// March 2026, report as of 1 June:
/// - SUP-REVIEW: officer in case 2 March, first review due 9 March, done 6 March (met); next due
///   28 days later, 3 April, done 10 April (met late); next due 8 May, not done (overdue).
///   3 instances, on time 1 of 3.
/// - VC-UPDATE: agreed 3 March every 14 days; updates 10 March (due 17 March, met), 20 March (due
///   24 March, met), 15 April (due 3 April, met late); next due 29 April, not done (overdue).
///   4 instances, on time 2 of 4.
#[test]
fn rolling_rules_count_completed_instances_with_hand_worked_figures() {
    let case = |lines: &[String]| {
        Case::group(lines.iter().map(|line| parse_record(line).expect("valid")))
            .pop()
            .expect("one case")
    };
    let r = |at: &str, kind: &str, fields: Value| ev("R", "rollshire", at, kind, fields);
    let lines = vec![
        r(
            "2026-03-02T09:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s1"]}),
        ),
        r(
            "2026-03-02T09:05:00Z",
            "person_added",
            json!({"person": "V1", "role": "victim"}),
        ),
        r(
            "2026-03-02T13:00:00Z",
            "officer_allocated",
            json!({"officer": "4471", "role": "oic"}),
        ),
        r(
            "2026-03-03T10:00:00Z",
            "update_cadence_agreed",
            json!({"person": "V1", "every_days": 14, "channel": "phone"}),
        ),
        r(
            "2026-03-06T10:00:00Z",
            "supervisor_review",
            json!({"officer": "9001"}),
        ),
        r(
            "2026-03-10T10:00:00Z",
            "victim_informed",
            json!({"person": "V1", "about": "update"}),
        ),
        r(
            "2026-03-20T10:00:00Z",
            "victim_informed",
            json!({"person": "V1", "about": "update"}),
        ),
        r(
            "2026-04-10T10:00:00+01:00",
            "supervisor_review",
            json!({"officer": "9001"}),
        ),
        r(
            "2026-04-15T10:00:00+01:00",
            "victim_informed",
            json!({"person": "V1", "about": "update"}),
        ),
    ];
    let case = case(&lines);
    let rules = RuleSet::national();
    let scope = Scope {
        force: Some("rollshire".into()),
        from: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
        as_of: DateTime::parse_from_rfc3339("2026-06-01T00:00:00+01:00")
            .expect("instant")
            .with_timezone(&Utc),
        rule_set: rules.label(),
        shared: false,
    };
    let mut from_events = ReportBuilder::new(&rules, scope.clone());
    assert!(from_events.add(&case));
    let mut from_facts = ReportBuilder::new(&rules, scope);
    let facts = CaseFacts::of(&case, &rules).expect("facts");
    assert!(from_facts.add_facts(&facts));
    for report in [from_events.finish(), from_facts.finish()] {
        let reviews = report.rule("SUP-REVIEW").expect("SUP-REVIEW");
        assert_eq!(
            (
                reviews.instances,
                reviews.met,
                reviews.met_late,
                reviews.overdue
            ),
            (3, 1, 1, 1)
        );
        assert_eq!(reviews.on_time_rate(), Some(1.0 / 3.0));
        let updates = report.rule("VC-UPDATE").expect("VC-UPDATE");
        assert_eq!(
            (
                updates.instances,
                updates.met,
                updates.met_late,
                updates.overdue
            ),
            (4, 2, 1, 1)
        );
        assert_eq!(updates.on_time_rate(), Some(0.5));
    }
}

/// A month without any report is a zero in the figures (and a point at zero on the chart), not a
/// gap that joins the months either side; months after the report's instant are not shown.
#[test]
fn months_without_reports_count_zero() {
    let rules = RuleSet::national();
    let scope = Scope {
        force: Some("exampleshire".into()),
        from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
        as_of: DateTime::parse_from_rfc3339("2026-05-01T00:00:00Z")
            .expect("instant")
            .with_timezone(&Utc),
        rule_set: rules.label(),
        shared: false,
    };
    let mut builder = ReportBuilder::new(&rules, scope);
    for case in fixture() {
        builder.add(&case);
    }
    let report = builder.finish();
    assert_eq!(
        report.reports_by_month,
        [
            ("2026-01".to_owned(), 0),
            ("2026-02".to_owned(), 0),
            ("2026-03".to_owned(), 2),
            ("2026-04".to_owned(), 1),
            ("2026-05".to_owned(), 0),
        ]
        .into()
    );
    let html = report.to_html();
    assert!(
        html.contains(">Feb 2026<") || html.contains(">Jan 2026<"),
        "{html}"
    );
}
