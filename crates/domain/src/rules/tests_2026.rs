//! `national-2026-01`: every corrected and new rule, worked by hand from its source, and the choice
//! of version by the trigger's instant (a case spanning 12 January 2026).
//!
//! Dates: Friday 6 March 2026 is the base report (`tests::base`); March 2026 is GMT until the
//! 29th. Working days skip weekends only here (no bank holiday falls in the weeks used).

use serde_json::{Value, json};

use super::tests::{Seen, base, case, ev, instant, s, with};
use super::*;
use crate::time::Calendar;

fn only(config: RuleSetConfig) -> RuleSet {
    RuleSet::new(config, Calendar::england_and_wales())
}

/// The findings of one rule under `rules`, with the version that judged each.
fn judged(rules: &RuleSet, rule: &str, lines: &[String], now: &str) -> Vec<(Seen, String)> {
    let case = case(lines);
    rules
        .evaluate(&case, instant(now))
        .iter()
        .map(|finding| FindingView::new(rules, &case.key, finding))
        .filter(|view| view.rule == rule)
        .map(|view| {
            (
                (view.status, view.person, view.due_by, view.done_at),
                view.rule_set,
            )
        })
        .collect()
}

/// The findings of one rule under the national rule set (both versions).
fn check(rule: &str, lines: &[String], now: &str) -> Vec<Seen> {
    judged(&RuleSet::national(), rule, lines, now)
        .into_iter()
        .map(|(seen, _)| seen)
        .collect()
}

fn statuses(rule: &str, lines: &[String], now: &str) -> Vec<Status> {
    check(rule, lines, now).into_iter().map(|f| f.0).collect()
}

const LATER: &str = "2027-06-01T00:00:00Z";

// ---- Choosing the version ----------------------------------------------------------------------

/// A report on Friday 9 January 2026; third-party requests on each side of midnight at the start
/// of Monday 12 January (GMT, so the local and UTC instants agree); interviews on 10 and 13 January.
fn spanning() -> Vec<String> {
    let request = |at: &str| {
        ev(
            at,
            "third_party_request",
            json!({"person": "V1", "holder": "GP", "expected": "e", "line_of_enquiry": "l",
                "necessity": "n", "victim_informed": true}),
        )
    };
    vec![
        ev(
            "2026-01-09T10:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s1"]}),
        ),
        ev(
            "2026-01-09T10:05:00Z",
            "person_added",
            json!({"person": "V1", "role": "victim"}),
        ),
        ev(
            "2026-01-10T12:00:00Z",
            "victim_interviewed",
            json!({"person": "V1", "gender_preference_asked": true}),
        ),
        request("2026-01-11T23:59:59Z"),
        request("2026-01-12T00:00:00Z"),
        ev(
            "2026-01-13T12:00:00Z",
            "victim_interviewed",
            json!({"person": "V1", "gender_preference_asked": false}),
        ),
    ]
}

const V2021: &str = "national-2021-04";
const V2026: &str = "national-2026-01";

#[test]
fn each_finding_is_judged_by_the_version_in_force_at_its_trigger() {
    let lines = spanning();
    let now = "2026-02-01T00:00:00Z";
    let national = RuleSet::national();
    let met_at = |at: &str| (Status::Met, s("V1"), None, s(at));
    // The request a second before the date: 2021 (all three reasons and the victim told).
    // The request at the first second of 12 January: 2026 (line of enquiry and expectation).
    assert_eq!(
        judged(&national, "TPM-RATIONALE", &lines, now),
        vec![
            (met_at("2026-01-11T23:59:59Z"), V2021.to_owned()),
            (met_at("2026-01-12T00:00:00Z"), V2026.to_owned()),
        ]
    );
    // Rules only 2026 has judge only the later request.
    assert_eq!(
        judged(&national, "TPM-HELD", &lines, now),
        vec![((Status::Breached, s("V1"), None, None), V2026.to_owned())]
    );
    assert_eq!(
        judged(&national, "TPM-NOTICE", &lines, now),
        vec![(
            (
                Status::Overdue,
                s("V1"),
                s("2026-01-12T23:59:59+00:00"),
                None
            ),
            V2026.to_owned()
        )]
    );
    // Interviewer gender: 2021 judges the first interview (10 January), 2026 every interview from
    // 12 January on, so the second one (13 January, not asked) is breached and the first is not
    // judged twice.
    assert_eq!(
        judged(&national, "VC-GENDER", &lines, now),
        vec![
            (
                (Status::Met, s("V1"), None, s("2026-01-10T12:00:00Z")),
                V2021.to_owned()
            ),
            ((Status::Breached, s("V1"), None, None), V2026.to_owned()),
        ]
    );
    // The report's rules: the report is before the date.
    assert!(
        judged(&national, "REC-24H", &lines, now)
            .iter()
            .all(|(_, version)| version == V2021)
    );
}

#[test]
fn the_spanning_case_under_each_version_alone() {
    let lines = spanning();
    let now = "2026-02-01T00:00:00Z";
    // Judged by 2021 throughout: both requests met, no 2026 rule, the first interview only.
    let v2021 = only(RuleSetConfig::national_2021_04());
    assert_eq!(
        judged(&v2021, "TPM-RATIONALE", &lines, now)
            .iter()
            .map(|((status, ..), _)| *status)
            .collect::<Vec<_>>(),
        [Status::Met, Status::Met]
    );
    assert!(judged(&v2021, "TPM-HELD", &lines, now).is_empty());
    assert_eq!(judged(&v2021, "VC-GENDER", &lines, now).len(), 1);
    // Judged by 2026 throughout: both requests lack the held reason and a notice; the notice of
    // the Sunday request was due by the end of that Sunday.
    let v2026 = only(RuleSetConfig::national_2026_01());
    assert_eq!(
        judged(&v2026, "TPM-HELD", &lines, now)
            .iter()
            .map(|((status, ..), _)| *status)
            .collect::<Vec<_>>(),
        [Status::Breached, Status::Breached]
    );
    assert_eq!(
        judged(&v2026, "TPM-NOTICE", &lines, now)
            .iter()
            .map(|((_, _, due, _), _)| due.clone())
            .collect::<Vec<_>>(),
        [
            s("2026-01-11T23:59:59+00:00"),
            s("2026-01-12T23:59:59+00:00")
        ]
    );
    assert_eq!(
        judged(&v2026, "VC-GENDER", &lines, now)
            .iter()
            .map(|((status, ..), _)| *status)
            .collect::<Vec<_>>(),
        [Status::Met, Status::Breached]
    );
}

#[test]
fn versions_apply_from_the_start_of_their_local_day() {
    let national = RuleSet::national();
    let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).expect("instant");
    assert_eq!(national.version_at(&at("2026-01-11T23:59:59Z")), 0);
    assert_eq!(national.version_at(&at("2026-01-12T00:00:00Z")), 1);
    // Written with another offset, the same instant.
    assert_eq!(national.version_at(&at("2026-01-12T01:00:00+01:00")), 1);
    assert_eq!(national.version_at(&at("2026-01-11T23:30:00-01:00")), 1);
    // Before the first version's date, the first version still judges (no earlier one exists).
    assert_eq!(national.version_at(&at("2020-01-01T00:00:00Z")), 0);
    let on = |y, m, d| {
        national
            .version_on(chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date"))
            .config()
            .id
            .clone()
    };
    assert_eq!(on(2026, 1, 11), V2021);
    assert_eq!(on(2026, 1, 12), V2026);
    assert_eq!(on(2019, 6, 1), V2021);
    assert_eq!(national.rules().len(), NATIONAL_RULES.len());
    assert_eq!(national.versions().len(), 2);
    assert_eq!(
        national.label(),
        "national-2021-04 before 2026-01-12; national-2026-01 from 2026-01-12"
    );
}

// ---- Victims' Code ---------------------------------------------------------------------------

#[test]
fn vc_inform_also_when_bail_conditions_are_cancelled() {
    // Friday 15:00, enhanced rights: told by the end of Monday 9 March.
    let cancelled = |told: Option<&str>| {
        let mut lines = with(
            base(),
            &[ev(
                "2026-03-06T15:00:00Z",
                "bail_varied",
                json!({"person": "S1", "victim_views_sought": true, "conditions_cancelled": true}),
            )],
        );
        if let Some(about) = told {
            lines.push(ev(
                "2026-03-09T11:00:00Z",
                "victim_informed",
                json!({"person": "V1", "about": about}),
            ));
        }
        lines
    };
    let due = s("2026-03-09T23:59:59+00:00");
    for about in ["bail_conditions_cancelled", "bail_varied"] {
        assert_eq!(
            check("VC-INFORM", &cancelled(Some(about)), LATER),
            vec![(Status::Met, s("V1"), due.clone(), s("2026-03-09T11:00:00Z"))],
            "{about}"
        );
    }
    assert_eq!(
        statuses("VC-INFORM", &cancelled(None), "2026-03-10T00:00:00Z"),
        [Status::Overdue]
    );
    // 2021 reads every variation as `bail_varied`: telling of the cancellation by that name alone
    // does not complete it there.
    let v2021 = only(RuleSetConfig::national_2021_04());
    assert_eq!(
        judged(
            &v2021,
            "VC-INFORM",
            &cancelled(Some("bail_conditions_cancelled")),
            LATER
        )[0]
        .0
        .0,
        Status::Overdue
    );
}

#[test]
fn vc_gender_applies_to_every_interview() {
    let interview = |at: &str, asked: bool| {
        ev(
            at,
            "victim_interviewed",
            json!({"person": "V1", "gender_preference_asked": asked}),
        )
    };
    let lines = with(
        base(),
        &[
            interview("2026-03-07T10:00:00Z", true),
            interview("2026-03-20T10:00:00Z", false),
            interview("2026-04-02T10:00:00Z", true),
        ],
    );
    assert_eq!(
        statuses("VC-GENDER", &lines, LATER),
        [Status::Met, Status::Breached, Status::Met]
    );
}

#[test]
fn vrr_inform_with_a_decision_not_to_charge() {
    let interviewed = ev(
        "2026-03-09T10:00:00Z",
        "suspect_interviewed",
        json!({"person": "S1", "under_caution": true}),
    );
    let decided = ev(
        "2026-03-10T12:00:00Z",
        "charging_decision",
        json!({"person": "S1", "by": "cps", "decision": "no_further_action", "offences": ["SOA2003-s1"]}),
    );
    let told = |at: &str| {
        ev(
            at,
            "victim_informed",
            json!({"person": "V1", "about": "vrr"}),
        )
    };
    // Tuesday 12:00, enhanced rights: by the end of Wednesday 11 March.
    let due = s("2026-03-11T23:59:59+00:00");
    let lines = with(
        base(),
        &[
            interviewed.clone(),
            decided.clone(),
            told("2026-03-11T16:00:00Z"),
        ],
    );
    assert_eq!(
        check("VRR-INFORM", &lines, LATER),
        vec![(Status::Met, s("V1"), due, s("2026-03-11T16:00:00Z"))]
    );
    // Standard rights: five working days, to the end of Tuesday 17 March.
    let standard = with(
        base(),
        &[
            ev(
                "2026-03-06T10:07:00Z",
                "person_added",
                json!({"person": "V1", "role": "victim", "enhanced_rights": false}),
            ),
            interviewed.clone(),
            decided.clone(),
        ],
    );
    assert_eq!(
        check("VRR-INFORM", &standard, LATER)[0].2,
        s("2026-03-17T23:59:59+00:00")
    );
    // Told before the decision does not count.
    let early = with(
        base(),
        &[
            interviewed.clone(),
            told("2026-03-10T11:00:00Z"),
            decided.clone(),
        ],
    );
    assert_eq!(statuses("VRR-INFORM", &early, LATER), [Status::Overdue]);
    // Outside the schemes: no interview under caution, or the victim withdrew first.
    assert!(
        check(
            "VRR-INFORM",
            &with(base(), std::slice::from_ref(&decided)),
            LATER
        )
        .is_empty()
    );
    let withdrew = with(
        base(),
        &[
            interviewed.clone(),
            ev(
                "2026-03-09T15:00:00Z",
                "victim_withdrawal",
                json!({"person": "V1"}),
            ),
            decided.clone(),
        ],
    );
    assert!(check("VRR-INFORM", &withdrew, LATER).is_empty());
    // A release with no further action is the decision only when no charging decision recorded
    // it already: one instance, not two.
    let released = ev(
        "2026-03-10T13:00:00Z",
        "suspect_released_nfa",
        json!({"person": "S1"}),
    );
    let both = with(
        base(),
        &[interviewed.clone(), decided.clone(), released.clone()],
    );
    assert_eq!(check("VRR-INFORM", &both, LATER).len(), 1);
    let release_only = with(base(), &[interviewed, released]);
    assert_eq!(
        check("VRR-INFORM", &release_only, LATER)[0].2,
        s("2026-03-11T23:59:59+00:00")
    );
}

// ---- Bail ------------------------------------------------------------------------------------

fn bailed_with(extensions: &[(&str, &str, Value)]) -> Vec<String> {
    let mut lines = with(
        base(),
        &[
            ev(
                "2026-03-06T11:00:00Z",
                "suspect_arrested",
                json!({"person": "S1"}),
            ),
            ev(
                "2026-03-06T20:00:00Z",
                "suspect_bailed",
                json!({"person": "S1", "conditions": true, "victim_views_sought": true}),
            ),
        ],
    );
    for (at, until, authority) in extensions {
        let mut fields = json!({"person": "S1", "until": until});
        if let (Some(target), Value::Object(more)) = (fields.as_object_mut(), authority.clone()) {
            target.extend(more);
        }
        lines.push(ev(at, "bail_extended", fields));
    }
    lines
}

#[test]
fn bail_extensions_follow_the_statutory_order() {
    // Arrest Friday 6 March: bail start date Saturday 7 March. 3 months end 6 June (BST), 6 months
    // 6 September, 9 months 6 December, 12 months 6 March 2027.
    assert_eq!(
        check("BAIL-PERIOD", &bailed_with(&[]), "2026-04-01T00:00:00Z")[0].2,
        s("2026-06-06T23:59:59+01:00")
    );
    let inspector = (
        "2026-06-01T10:00:00Z",
        "2026-09-06",
        json!({"authorised_by": "inspector"}),
    );
    let superintendent = (
        "2026-09-01T10:00:00Z",
        "2026-12-06",
        json!({"authorised_by": "superintendent"}),
    );
    let acc = |until: &'static str, designated: bool| {
        (
            "2026-12-01T10:00:00Z",
            until,
            json!({"authorised_by": "assistant_chief_constable", "designated_case": designated}),
        )
    };
    let now = "2027-01-01T00:00:00Z";
    // In order and within each limit: due at the last extension's date.
    let in_order = bailed_with(&[
        inspector.clone(),
        superintendent.clone(),
        acc("2027-03-06", true),
    ]);
    assert_eq!(
        check("BAIL-PERIOD", &in_order, now),
        vec![(Status::Due, s("S1"), s("2027-03-06T23:59:59+00:00"), None)]
    );
    // s47ZDA only after s47ZD: a superintendent's extension with no inspector's first.
    let skipped = bailed_with(&[(
        "2026-06-01T10:00:00Z",
        "2026-09-06",
        json!({"authorised_by": "superintendent"}),
    )]);
    assert_eq!(statuses("BAIL-PERIOD", &skipped, now), [Status::Breached]);
    // 2021 allowed it (within 9 months): not breached, only overdue since 6 September.
    let v2021 = only(RuleSetConfig::national_2021_04());
    assert_eq!(
        judged(&v2021, "BAIL-PERIOD", &skipped, now)[0].0,
        (
            Status::Overdue,
            s("S1"),
            s("2026-09-06T23:59:59+01:00"),
            None
        )
    );
    // s47ZE: designated cases only, and not beyond 12 months.
    let undesignated = bailed_with(&[
        inspector.clone(),
        superintendent.clone(),
        acc("2027-03-06", false),
    ]);
    assert_eq!(
        statuses("BAIL-PERIOD", &undesignated, now),
        [Status::Breached]
    );
    let too_far = bailed_with(&[
        inspector.clone(),
        superintendent.clone(),
        acc("2027-03-07", true),
    ]);
    assert_eq!(statuses("BAIL-PERIOD", &too_far, now), [Status::Breached]);
    // A court only after s47ZDA or s47ZE.
    let court = |before: Vec<(&'static str, &'static str, Value)>| {
        let mut extensions = before;
        extensions.push((
            "2026-08-01T10:00:00Z",
            "2027-01-06",
            json!({"authorised_by": "court"}),
        ));
        extensions.sort_by_key(|(at, ..)| *at);
        bailed_with(&extensions)
    };
    assert_eq!(
        statuses("BAIL-PERIOD", &court(vec![inspector.clone()]), now),
        [Status::Breached]
    );
    let after_superintendent = bailed_with(&[
        inspector.clone(),
        superintendent.clone(),
        (
            "2026-12-01T10:00:00Z",
            "2027-03-06",
            json!({"authorised_by": "court"}),
        ),
    ]);
    assert_eq!(
        statuses("BAIL-PERIOD", &after_superintendent, now),
        [Status::Due]
    );
}

#[test]
fn bail_views_if_practicable() {
    let bailed = |fields: Value| {
        with(
            base(),
            &[ev("2026-03-06T20:00:00Z", "suspect_bailed", fields)],
        )
    };
    let not_practicable = bailed(json!({"person": "S1", "conditions": true,
        "views_not_practicable": "victim in hospital and not able to be contacted"}));
    assert_eq!(
        check("BAIL-VIEWS", &not_practicable, LATER),
        vec![(Status::Met, s("S1"), None, s("2026-03-06T20:00:00Z"))]
    );
    let neither =
        bailed(json!({"person": "S1", "conditions": true, "views_not_practicable": "  "}));
    assert_eq!(statuses("BAIL-VIEWS", &neither, LATER), [Status::Breached]);
    // 2021 accepted only views sought.
    let v2021 = only(RuleSetConfig::national_2021_04());
    assert_eq!(
        judged(&v2021, "BAIL-VIEWS", &not_practicable, LATER)[0].0.0,
        Status::Breached
    );
}

// ---- Digital devices ---------------------------------------------------------------------------

fn extraction(person: &str, overrides: Value) -> String {
    let mut fields = json!({"person": person, "notice_given": true, "agreement_recorded": true,
        "no_undue_pressure": true, "confirmation_recorded": true, "copy_given": true,
        "rationale": {"relevance": "messages after the offence", "necessity": "only record",
            "proportionality": "two days only", "less_intrusive": "no other source"}});
    if let (Some(target), Value::Object(more)) = (fields.as_object_mut(), overrides) {
        target.extend(more);
    }
    ev("2026-03-09T10:00:00Z", "device_extraction", fields)
}

#[test]
fn digital_safeguards_in_section_39_and_for_children() {
    let one = |line: String| statuses("DIG-SAFEGUARDS", &with(base(), &[line]), LATER);
    assert_eq!(one(extraction("V1", json!({}))), [Status::Met]);
    for missing in [
        "no_undue_pressure",
        "confirmation_recorded",
        "copy_given",
        "notice_given",
        "agreement_recorded",
    ] {
        assert_eq!(
            one(extraction("V1", json!({ missing: false }))),
            [Status::Breached],
            "{missing}"
        );
    }
    // Without capacity, or a child (section 38): who agreed must be recorded.
    assert_eq!(
        one(extraction("V1", json!({"lacks_capacity": true}))),
        [Status::Breached]
    );
    assert_eq!(
        one(extraction(
            "V1",
            json!({"lacks_capacity": true, "agreed_by": "responsible_adult"})
        )),
        [Status::Met]
    );
    let child = |overrides: Value| {
        let lines = with(
            base(),
            &[
                ev(
                    "2026-03-06T10:07:00Z",
                    "person_added",
                    json!({"person": "W1", "role": "witness", "age_at_offence": 15}),
                ),
                extraction("W1", overrides),
            ],
        );
        statuses("DIG-SAFEGUARDS", &lines, LATER)
    };
    assert_eq!(child(json!({})), [Status::Breached]);
    assert_eq!(
        child(json!({"agreed_by": "parent_or_guardian"})),
        [Status::Met]
    );
    // The 2021 reading: notice, agreement and the four reasons were enough.
    let v2021 = only(RuleSetConfig::national_2021_04());
    let lines = with(
        base(),
        &[extraction(
            "V1",
            json!({"no_undue_pressure": false, "confirmation_recorded": false, "copy_given": false}),
        )],
    );
    assert_eq!(
        judged(&v2021, "DIG-SAFEGUARDS", &lines, LATER)[0].0.0,
        Status::Met
    );
}

// ---- Victim information requests -------------------------------------------------------------

fn request(person: &str, overrides: Value) -> String {
    let mut fields = json!({"person": person, "holder": "Example GP surgery",
        "expected": "record of the disclosure to the GP", "line_of_enquiry": "first account",
        "necessity": "no other record of it; only the one consultation",
        "held_because": "the victim said they told their GP"});
    if let (Some(target), Value::Object(more)) = (fields.as_object_mut(), overrides) {
        target.extend(more);
    }
    ev("2026-03-09T10:00:00Z", "third_party_request", fields)
}

fn notice(at: &str, holder: &str, content: Value) -> String {
    ev(
        at,
        "information_notice_given",
        json!({"person": "V1", "holder": holder, "content": content}),
    )
}

const ALL_CONTENT: &str = r#"["information_sought", "reason", "handling"]"#;

fn all_content() -> Value {
    serde_json::from_str(ALL_CONTENT).expect("content")
}

#[test]
fn victim_information_requests_record_each_element() {
    let notified = |request_line: String| {
        with(
            base(),
            &[
                notice("2026-03-09T09:00:00Z", "example gp surgery", all_content()),
                request_line,
            ],
        )
    };
    let rules = ["TPM-RATIONALE", "TPM-NECESSITY", "TPM-HELD", "TPM-NOTICE"];
    let all = notified(request("V1", json!({})));
    for rule in rules {
        assert_eq!(statuses(rule, &all, LATER), [Status::Met], "{rule}");
    }
    // No counselling, no counselling finding.
    assert!(check("TPM-COUNSELLING", &all, LATER).is_empty());
    // Each missing element gives its own finding, and only its own.
    for (field, rule) in [
        ("line_of_enquiry", "TPM-RATIONALE"),
        ("expected", "TPM-RATIONALE"),
        ("necessity", "TPM-NECESSITY"),
        ("held_because", "TPM-HELD"),
    ] {
        let lines = notified(request("V1", json!({ field: " " })));
        for other in rules {
            let expected = if other == rule {
                Status::Breached
            } else {
                Status::Met
            };
            assert_eq!(
                statuses(other, &lines, LATER),
                [expected],
                "{field}: {other}"
            );
        }
    }
    // Counselling records: the stricter test (substantial probative value).
    let counselling = notified(request("V1", json!({"counselling": true})));
    assert_eq!(
        statuses("TPM-COUNSELLING", &counselling, LATER),
        [Status::Breached]
    );
    let justified = notified(request(
        "V1",
        json!({"counselling": true, "probative_value": "the only account given within days"}),
    ));
    assert_eq!(
        statuses("TPM-COUNSELLING", &justified, LATER),
        [Status::Met]
    );
    // About a witness: Chapter 3A does not apply; the disclosure reasons still do.
    let witness = with(
        base(),
        &[
            ev(
                "2026-03-06T10:07:00Z",
                "person_added",
                json!({"person": "W1", "role": "witness"}),
            ),
            request("W1", json!({"held_because": ""})),
        ],
    );
    assert!(check("TPM-HELD", &witness, LATER).is_empty());
    assert!(check("TPM-NOTICE", &witness, LATER).is_empty());
    assert_eq!(statuses("TPM-RATIONALE", &witness, LATER), [Status::Met]);
}

#[test]
fn victim_information_notice_on_or_before_the_day_of_the_request() {
    // Request Monday 9 March 10:00: notice due by the end of that day.
    let due = s("2026-03-09T23:59:59+00:00");
    let lines = |notices: &[String]| {
        let mut lines = with(base(), notices);
        lines.push(request("V1", json!({})));
        lines
    };
    let same_day_after = lines(&[notice("2026-03-09T17:00:00Z", "", all_content())]);
    assert_eq!(
        check("TPM-NOTICE", &same_day_after, LATER),
        vec![(Status::Met, s("V1"), due.clone(), s("2026-03-09T17:00:00Z"))]
    );
    let next_day = lines(&[notice("2026-03-10T09:00:00Z", "", all_content())]);
    assert_eq!(statuses("TPM-NOTICE", &next_day, LATER), [Status::MetLate]);
    let none = lines(&[]);
    assert_eq!(
        statuses("TPM-NOTICE", &none, "2026-03-09T23:00:00Z"),
        [Status::Due]
    );
    assert_eq!(
        statuses("TPM-NOTICE", &none, "2026-03-10T00:00:00Z"),
        [Status::Overdue]
    );
    // A notice without what, why and how does not count; nor one for another holder.
    let partial = lines(&[notice(
        "2026-03-09T09:00:00Z",
        "",
        json!(["information_sought", "reason"]),
    )]);
    assert_eq!(statuses("TPM-NOTICE", &partial, LATER), [Status::Overdue]);
    let elsewhere = lines(&[notice(
        "2026-03-09T09:00:00Z",
        "Example counselling service",
        all_content(),
    )]);
    assert_eq!(statuses("TPM-NOTICE", &elsewhere, LATER), [Status::Overdue]);
    // The exception of s44B(5), with its reason recorded.
    let withheld = with(
        base(),
        &[request(
            "V1",
            json!({"notice_withheld_reason": "notice would alert the suspect, who lives with the victim"}),
        )],
    );
    assert_eq!(
        check("TPM-NOTICE", &withheld, LATER),
        vec![(Status::Met, s("V1"), None, s("2026-03-09T10:00:00Z"))]
    );
}

// ---- Charging --------------------------------------------------------------------------------

fn decision(by: &str, offences: Value, extra: Value) -> String {
    let mut fields = json!({"person": "S1", "by": by, "decision": "charge", "test": "full_code", "offences": offences});
    if let (Some(target), Value::Object(more)) = (fields.as_object_mut(), extra) {
        target.extend(more);
    }
    ev("2026-04-01T10:00:00Z", "charging_decision", fields)
}

#[test]
fn the_cps_decides_indictable_only_and_child_sexual_offences() {
    let one = |line: String, victim_age: Option<u32>| {
        let mut lines = base();
        if let Some(age) = victim_age {
            lines.push(ev(
                "2026-03-06T10:07:00Z",
                "person_added",
                json!({"person": "V1", "role": "victim", "age_at_offence": age}),
            ));
        }
        lines.push(line);
        statuses("CHG-CPS", &lines, LATER)
    };
    // Indictable only: rape of a child under 13 (s5) is not in the 2021 list.
    assert_eq!(
        one(decision("police", json!(["SOA2003-s5"]), json!({})), None),
        [Status::Breached]
    );
    assert_eq!(
        one(decision("cps", json!(["SOA2003-s1"]), json!({})), None),
        [Status::Met]
    );
    // Sexual assault (either way) of a 16-year-old: the CPS decides.
    assert_eq!(
        one(
            decision("police", json!(["SOA2003-s3"]), json!({})),
            Some(16)
        ),
        [Status::Breached]
    );
    // Of an adult: the police may charge only in the cases DG6 allows, which rasso cannot see.
    assert_eq!(
        one(
            decision("police", json!(["SOA2003-s3"]), json!({})),
            Some(30)
        ),
        [Status::Advice]
    );
    assert!(one(decision("cps", json!(["SOA2003-s3"]), json!({})), Some(30)).is_empty());
    // Not a charge: no instance.
    assert!(
        one(
            decision(
                "police",
                json!(["SOA2003-s1"]),
                json!({"decision": "no_further_action"})
            ),
            None
        )
        .is_empty()
    );
}

#[test]
fn early_advice_is_recorded_before_a_cps_decision() {
    let advice = ev(
        "2026-03-20T10:00:00Z",
        "early_advice",
        json!({"summary": "lines of enquiry agreed"}),
    );
    let cps = decision("cps", json!(["SOA2003-s1"]), json!({}));
    assert_eq!(
        check(
            "CHG-EARLY-ADVICE",
            &with(base(), &[advice.clone(), cps.clone()]),
            LATER
        ),
        vec![(Status::Met, s("S1"), None, s("2026-03-20T10:00:00Z"))]
    );
    assert_eq!(
        statuses("CHG-EARLY-ADVICE", &with(base(), &[cps]), LATER),
        [Status::Advice]
    );
    // Police decisions and cases the police may decide: no instance.
    let police = decision("police", json!(["SOA2003-s1"]), json!({}));
    assert!(check("CHG-EARLY-ADVICE", &with(base(), &[police]), LATER).is_empty());
}

#[test]
fn threshold_test_in_full() {
    let threshold = |conditions: Value| {
        with(
            base(),
            &[decision(
                "cps",
                json!(["SOA2003-s1"]),
                json!({"test": "threshold", "threshold_conditions": conditions}),
            )],
        )
    };
    let four = json!([
        "insufficient_now",
        "further_evidence_expected",
        "seriousness",
        "bail_grounds"
    ]);
    assert_eq!(
        statuses("CHG-THRESHOLD", &threshold(four.clone()), LATER),
        [Status::Breached]
    );
    let full = json!([
        "insufficient_now",
        "further_evidence_expected",
        "seriousness",
        "bail_grounds",
        "reasonable_suspicion",
        "realistic_prospect",
        "public_interest"
    ]);
    assert_eq!(
        statuses("CHG-THRESHOLD", &threshold(full), LATER),
        [Status::Met]
    );
    let v2021 = only(RuleSetConfig::national_2021_04());
    assert_eq!(
        judged(&v2021, "CHG-THRESHOLD", &threshold(four), LATER)[0]
            .0
            .0,
        Status::Met
    );
}

// ---- Offences outside England and Wales ------------------------------------------------------

#[test]
fn scotland_and_northern_ireland_are_other_jurisdictions() {
    let reported = |location: Value| {
        vec![ev(
            "2026-03-06T10:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s1"], "location": location}),
        )]
    };
    for (location, expected) in [
        (
            json!({"country": "GB", "nation": "scotland"}),
            vec![Status::Advice],
        ),
        (
            json!({"country": "GB", "nation": "northern_ireland"}),
            vec![Status::Advice],
        ),
        (json!({"country": "GB", "nation": "wales"}), vec![]),
        (json!({"country": "GB", "nation": "england"}), vec![]),
        (json!({"country": "GB"}), vec![]),
        (json!({"country": "FR"}), vec![Status::Advice]),
    ] {
        assert_eq!(
            statuses("JUR-ABROAD", &reported(location.clone()), LATER),
            expected,
            "{location}"
        );
    }
    let assessed = with(
        reported(json!({"country": "GB", "nation": "scotland"})),
        &[ev(
            "2026-03-07T10:00:00Z",
            "jurisdiction_assessed",
            json!({"decision": "foreign", "basis": "Scottish courts"}),
        )],
    );
    assert_eq!(statuses("JUR-ABROAD", &assessed, LATER), [Status::Met]);
    // The 2021 reading saw only the country code.
    let v2021 = only(RuleSetConfig::national_2021_04());
    assert!(
        judged(
            &v2021,
            "JUR-ABROAD",
            &reported(json!({"country": "GB", "nation": "scotland"})),
            LATER
        )
        .is_empty()
    );
}

// ---- The victim's evidence -------------------------------------------------------------------

fn interviewed(at: &str, reason: &str) -> String {
    ev(
        at,
        "victim_interviewed",
        json!({"person": "V1", "mode": "abe", "gender_preference_asked": true, "further_interview_reason": reason}),
    )
}

fn planned(at: &str, intermediary: bool) -> String {
    ev(
        at,
        "interview_planned",
        json!({"person": "V1", "mode": "abe", "intermediary_considered": intermediary}),
    )
}

#[test]
fn the_first_interview_is_planned_with_an_intermediary_considered() {
    let first = interviewed("2026-03-10T10:00:00Z", "");
    let both = |lines: &[String]| {
        let lines = with(base(), lines);
        (
            statuses("EVD-ABE-PLAN", &lines, LATER),
            statuses("EVD-INTERMEDIARY", &lines, LATER),
        )
    };
    assert_eq!(
        both(&[planned("2026-03-09T10:00:00Z", true), first.clone()]),
        (vec![Status::Met], vec![Status::Met])
    );
    assert_eq!(
        both(&[planned("2026-03-09T10:00:00Z", false), first.clone()]),
        (vec![Status::Met], vec![Status::Breached])
    );
    assert_eq!(
        both(std::slice::from_ref(&first)),
        (vec![Status::Breached], vec![Status::Breached])
    );
    // Planned only afterwards: not planned.
    assert_eq!(
        both(&[first, planned("2026-03-11T10:00:00Z", true)]),
        (vec![Status::Breached], vec![Status::Breached])
    );
    // No interview, no instance.
    assert_eq!(both(&[]), (vec![], vec![]));
}

#[test]
fn further_interviews_say_why() {
    let lines = with(
        base(),
        &[
            interviewed("2026-03-10T10:00:00Z", ""),
            interviewed("2026-03-20T10:00:00Z", ""),
            interviewed(
                "2026-04-20T10:00:00Z",
                "new disclosure about a second offence",
            ),
        ],
    );
    assert_eq!(
        check("EVD-INTERVIEWS", &lines, LATER),
        vec![
            (Status::Advice, s("V1"), None, None),
            (Status::Met, s("V1"), None, s("2026-04-20T10:00:00Z")),
        ]
    );
}

#[test]
fn special_measures_once_a_suspect_is_charged() {
    let charged = ev(
        "2026-05-01T10:00:00Z",
        "suspect_charged",
        json!({"person": "S1", "offences": ["SOA2003-s1"]}),
    );
    assert!(check("EVD-SPECIAL-MEASURES", &base(), LATER).is_empty());
    assert_eq!(
        statuses(
            "EVD-SPECIAL-MEASURES",
            &with(base(), std::slice::from_ref(&charged)),
            LATER
        ),
        [Status::Advice]
    );
    for applied in [
        json!({"person": "V1", "measures": ["video_recorded_interview", "pre_recorded_cross_examination"]}),
        json!({"person": "V1", "opted_out": true}),
    ] {
        let lines = with(
            base(),
            &[
                charged.clone(),
                ev("2026-05-10T10:00:00Z", "special_measures_applied", applied),
            ],
        );
        assert_eq!(
            check("EVD-SPECIAL-MEASURES", &lines, LATER),
            vec![(Status::Met, s("V1"), None, s("2026-05-10T10:00:00Z"))]
        );
    }
}

#[test]
fn outcome_16_needs_the_withdrawal_and_a_review_after_it() {
    let closed = |outcome: u32| {
        ev(
            "2026-06-01T10:00:00Z",
            "case_closed",
            json!({"outcome": outcome, "suspect_identified": true, "victim_supports": outcome == 15}),
        )
    };
    let withdrawal = ev(
        "2026-05-01T10:00:00Z",
        "victim_withdrawal",
        json!({"person": "V1", "retraction": false}),
    );
    let review = |at: &str| {
        ev(
            at,
            "supervisor_review",
            json!({"officer": "9001", "note": "withdrawal reviewed"}),
        )
    };
    assert_eq!(
        statuses("EVD-WITHDRAWAL", &with(base(), &[closed(16)]), LATER),
        [Status::Breached]
    );
    assert_eq!(
        statuses(
            "EVD-WITHDRAWAL",
            &with(base(), &[withdrawal.clone(), closed(16)]),
            LATER
        ),
        [Status::Breached]
    );
    assert_eq!(
        statuses(
            "EVD-WITHDRAWAL",
            &with(
                base(),
                &[
                    review("2026-04-01T10:00:00Z"),
                    withdrawal.clone(),
                    closed(16)
                ]
            ),
            LATER
        ),
        [Status::Breached]
    );
    assert_eq!(
        check(
            "EVD-WITHDRAWAL",
            &with(
                base(),
                &[
                    withdrawal.clone(),
                    review("2026-05-20T10:00:00Z"),
                    closed(16)
                ]
            ),
            LATER
        ),
        vec![(Status::Met, None, None, s("2026-05-20T10:00:00Z"))]
    );
    assert!(check("EVD-WITHDRAWAL", &with(base(), &[closed(15)]), LATER).is_empty());
}

// ---- Property (right 10) ---------------------------------------------------------------------

#[test]
fn a_victims_device_is_returned_or_kept_with_a_reason() {
    let taken = |person: &str, device: bool| {
        ev(
            "2026-03-06T10:30:00Z",
            "property_taken",
            json!({"person": person, "item": "PH-1", "device": device}),
        )
    };
    // 24 hours exactly (rasso default).
    let due = s("2026-03-07T10:30:00+00:00");
    let returned = with(
        base(),
        &[
            taken("V1", true),
            ev(
                "2026-03-07T09:00:00Z",
                "property_returned",
                json!({"person": "V1", "item": "PH-1"}),
            ),
        ],
    );
    assert_eq!(
        check("PROP-RETURN", &returned, LATER),
        vec![(Status::Met, s("V1"), due, s("2026-03-07T09:00:00Z"))]
    );
    let kept = |reason: &str| {
        with(
            base(),
            &[
                taken("V1", true),
                ev(
                    "2026-03-06T18:00:00Z",
                    "property_retained",
                    json!({"person": "V1", "item": "ph-1", "reason": reason}),
                ),
            ],
        )
    };
    assert_eq!(
        statuses("PROP-RETURN", &kept("download not yet complete"), LATER),
        [Status::Met]
    );
    assert_eq!(
        statuses("PROP-RETURN", &kept(" "), LATER),
        [Status::Overdue]
    );
    let another_item = with(
        base(),
        &[
            taken("V1", true),
            ev(
                "2026-03-06T18:00:00Z",
                "property_returned",
                json!({"person": "V1", "item": "PH-2"}),
            ),
        ],
    );
    assert_eq!(
        statuses("PROP-RETURN", &another_item, "2026-03-07T10:30:00Z"),
        [Status::Due]
    );
    assert_eq!(
        statuses("PROP-RETURN", &another_item, "2026-03-07T10:30:01Z"),
        [Status::Overdue]
    );
    // Not a device, or not the victim's: no instance.
    assert!(check("PROP-RETURN", &with(base(), &[taken("V1", false)]), LATER).is_empty());
    assert!(check("PROP-RETURN", &with(base(), &[taken("S1", true)]), LATER).is_empty());
}

// ---- Labels and policies ---------------------------------------------------------------------

#[test]
fn findings_say_where_their_deadline_comes_from() {
    let rules = RuleSet::national();
    let lines = with(
        base(),
        &[ev(
            "2026-03-06T20:00:00Z",
            "suspect_bailed",
            json!({"person": "S1", "conditions": true}),
        )],
    );
    let case = case(&lines);
    let sources = |rules: &RuleSet| -> Vec<(String, Option<String>, String)> {
        rules
            .evaluate(&case, instant(LATER))
            .iter()
            .map(|finding| FindingView::new(rules, &case.key, finding))
            .map(|view| (view.rule, view.deadline_source, view.rule_set))
            .collect()
    };
    let found = sources(&rules);
    let source_of = |found: &[(String, Option<String>, String)], rule: &str| {
        found
            .iter()
            .find(|(id, ..)| id == rule)
            .map(|(_, source, _)| source.clone())
            .unwrap_or_else(|| panic!("no {rule}"))
    };
    assert_eq!(source_of(&found, "VC-CONFIRM"), s("rasso_default"));
    assert_eq!(source_of(&found, "VC-NEEDS"), s("rasso_default"));
    assert_eq!(source_of(&found, "ISVA-OFFER"), s("rasso_default"));
    assert_eq!(source_of(&found, "VC-REFERRAL"), s("victims_code"));
    assert_eq!(source_of(&found, "VC-INFORM"), s("victims_code"));
    assert_eq!(source_of(&found, "BAIL-PERIOD"), s("law"));
    assert_eq!(source_of(&found, "REC-24H"), s("national_guidance"));
    assert_eq!(source_of(&found, "BAIL-VIEWS"), None);
    assert!(found.iter().all(|(.., version)| version == V2026));
    // A force policy that shortens a timescale makes those deadlines the force's, in both versions.
    let mut tightened = RuleSet::national();
    tightened
        .tighten(&[("needs_assessment".to_owned(), Timescale::WorkingDays(1))])
        .expect("shorter");
    let found = sources(&tightened);
    assert_eq!(source_of(&found, "VC-NEEDS"), s("force"));
    assert_eq!(source_of(&found, "VC-CONFIRM"), s("rasso_default"));
    for version in tightened.versions() {
        assert_eq!(version.config().needs_assessment, Timescale::WorkingDays(1));
    }
}

#[test]
fn policies_reach_every_version_that_has_the_timescale() {
    let mut rules = RuleSet::national();
    // Only 2026 has `property_return`: known, and tightened there alone.
    rules
        .tighten(&[("property_return".to_owned(), Timescale::Hours(12))])
        .expect("shorter");
    assert_eq!(rules.versions()[0].config().property_return, None);
    assert_eq!(
        rules.versions()[1].config().property_return,
        Some(Timescale::Hours(12))
    );
    assert!(matches!(
        rules.tighten(&[("property_return".to_owned(), Timescale::Hours(48))]),
        Err(RuleSetError::Lengthens { .. })
    ));
    // Renamed for the force in every version.
    let renamed = rules.renamed("+northmoor");
    assert_eq!(
        renamed
            .versions()
            .iter()
            .map(|version| version.config().id.as_str())
            .collect::<Vec<_>>(),
        ["national-2021-04+northmoor", "national-2026-01+northmoor"]
    );
}

#[test]
fn rules_checked_alike_run_once_for_both_versions() {
    // 23 rules of 2021 and 35 of 2026, 14 of them checked alike: 44 runs for a spanning case.
    let national = RuleSet::national();
    assert_eq!(national.steps.len(), 44);
    assert_eq!(
        national.steps.iter().filter(|s| s.first != s.last).count(),
        14
    );
    // A later version that reads a timescale differently is not shared for that rule, and judges
    // its own triggers with its own value.
    let mut later = RuleSetConfig::national_2026_01();
    later.written_confirmation = Timescale::WorkingDays(3);
    let rules = only(RuleSetConfig::national_2021_04()).with_version(later);
    assert_eq!(rules.steps.len(), 45);
    // Friday 6 March + 3 working days: Wednesday 11 March.
    assert_eq!(
        judged(&rules, "VC-CONFIRM", &base(), LATER)[0].0.2,
        s("2026-03-11T23:59:59+00:00")
    );
    let spanning = spanning();
    assert_eq!(
        judged(&rules, "VC-CONFIRM", &spanning, LATER)[0],
        (
            (
                Status::Overdue,
                s("V1"),
                s("2026-01-16T23:59:59+00:00"),
                None
            ),
            V2021.to_owned()
        )
    );
}

// ---- The end of the investigation (a modelling correction, the same in both versions) -----------

/// `national-2026-01` stops the same rules at a closure or a decision not to investigate as
/// `national-2021-04` (`tests.rs` has the same cases under 2021 alone): the cases are dated March
/// 2026, so the national rule set judges them by 2026.
#[test]
fn the_end_of_the_investigation_stops_the_same_rules_in_2026() {
    use super::tests::{
        ENDS, end, offered, released, review, reviewed_once, told, updates_agreed, window_open,
    };
    let rules = RuleSet::national();
    let by_2026 = |rule: &str, lines: &[String], now: &str| -> Vec<Seen> {
        judged(&rules, rule, lines, now)
            .into_iter()
            .map(|(seen, version)| {
                assert_eq!(version, "national-2026-01", "{rule}");
                seen
            })
            .collect()
    };
    let now = "2026-07-01T00:00:00Z";
    for kind in ENDS {
        // VC-UPDATE: due 24 March; ended before it, nothing; after it, overdue as then.
        let early = with(updates_agreed(), &[end(kind, "2026-03-20T10:00:00Z")]);
        assert!(by_2026("VC-UPDATE", &early, now).is_empty(), "{kind}");
        let missed = with(
            updates_agreed(),
            &[
                end(kind, "2026-03-26T10:00:00Z"),
                told("2026-03-27T10:00:00Z", "outcome"),
            ],
        );
        assert_eq!(
            by_2026("VC-UPDATE", &missed, now),
            vec![(
                Status::Overdue,
                s("V1"),
                s("2026-03-24T23:59:59+00:00"),
                None
            )],
            "{kind}"
        );
        // SUP-REVIEW: next due 9 April.
        let early = with(reviewed_once(), &[end(kind, "2026-03-20T10:00:00Z")]);
        assert!(by_2026("SUP-REVIEW", &early, now).is_empty(), "{kind}");
        let late = with(
            reviewed_once(),
            &[
                end(kind, "2026-04-15T10:00:00+01:00"),
                review("2026-04-16T10:00:00+01:00"),
            ],
        );
        assert_eq!(
            by_2026("SUP-REVIEW", &late, now),
            vec![(Status::Overdue, None, s("2026-04-09T23:59:59+01:00"), None)],
            "{kind}"
        );
        // RUI-REVIEW: due 5 June.
        let early = with(released(), &[end(kind, "2026-04-01T10:00:00+01:00")]);
        assert!(by_2026("RUI-REVIEW", &early, now).is_empty(), "{kind}");
        let late = with(released(), &[end(kind, "2026-06-10T10:00:00+01:00")]);
        assert_eq!(
            by_2026("RUI-REVIEW", &late, now),
            vec![(
                Status::Overdue,
                s("S1"),
                s("2026-06-05T23:59:59+01:00"),
                None
            )],
            "{kind}"
        );
        // FOR-WINDOW: closes 23:00 on 4 March.
        let open = window_open(&[
            end(kind, "2026-03-03T10:00:00Z"),
            offered("2026-03-03T12:00:00Z"),
        ]);
        assert!(by_2026("FOR-WINDOW", &open, now).is_empty(), "{kind}");
        let missed = window_open(&[end(kind, "2026-03-05T10:00:00Z")]);
        assert_eq!(
            by_2026("FOR-WINDOW", &missed, now),
            vec![(Status::Overdue, None, s("2026-03-04T23:00:00+00:00"), None)],
            "{kind}"
        );
    }
}

/// A device taken from the victim on 19 March 10:00 is still to be returned within 24 hours after a
/// decision not to investigate on 20 March 09:00: returning property does not depend on an
/// investigation (right 10).
#[test]
fn property_is_returned_after_a_decision_not_to_investigate() {
    let lines = with(
        base(),
        &[
            ev(
                "2026-03-19T10:00:00Z",
                "property_taken",
                json!({"person": "V1", "item": "phone", "device": true}),
            ),
            super::tests::end("decision_not_to_investigate", "2026-03-20T09:00:00Z"),
        ],
    );
    assert_eq!(
        check("PROP-RETURN", &lines, "2026-03-20T09:30:00Z"),
        vec![(Status::Due, s("V1"), s("2026-03-20T10:00:00+00:00"), None)]
    );
    assert_eq!(
        statuses("PROP-RETURN", &lines, "2026-03-21T00:00:00Z"),
        [Status::Overdue]
    );
}
