//! Scenario tests of `national-2021-04` exactly as published: every rule, every status it can
//! produce, with hand-computed deadlines. The cases are dated in 2026 but judged by the 2021 rule
//! set alone (`rules_2021`), so that a change to the later version cannot change them;
//! `tests_2026.rs` covers `national-2026-01` and the choice between the two.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;
use crate::interchange::{CaseKey, parse_record};

/// One event of the test case: time, kind and the kind's fields.
pub(super) fn ev(at: &str, kind: &str, fields: Value) -> String {
    let mut object = json!({"case": "T-1", "force": "testshire", "at": at, "kind": kind});
    if let (Some(target), Value::Object(extra)) = (object.as_object_mut(), fields) {
        target.extend(extra);
    }
    object.to_string()
}

pub(super) fn case(lines: &[String]) -> Case {
    let records = lines
        .iter()
        .map(|line| parse_record(line).expect("valid test event"));
    Case::group(records).pop().expect("one case")
}

pub(super) fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant")
        .with_timezone(&Utc)
}

/// A finding reduced to (status, person, due_by, done_at), times as the JSON prints them.
pub(super) type Seen = (Status, Option<String>, Option<String>, Option<String>);

/// `national-2021-04` alone, for every instant.
fn rules_2021() -> RuleSet {
    RuleSet::new(
        RuleSetConfig::national_2021_04(),
        crate::time::Calendar::england_and_wales(),
    )
}

/// The findings of one rule.
pub(super) fn check(rule: &str, lines: &[String], now: &str) -> Vec<Seen> {
    let rules = rules_2021();
    let case = case(lines);
    rules
        .evaluate(&case, instant(now))
        .iter()
        .map(|finding| FindingView::new(&rules, &case.key, finding))
        .filter(|view| view.rule == rule)
        .map(|view| (view.status, view.person, view.due_by, view.done_at))
        .collect()
}

pub(super) fn statuses(rule: &str, lines: &[String], now: &str) -> Vec<Status> {
    check(rule, lines, now).into_iter().map(|f| f.0).collect()
}

pub(super) fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// A report on Friday 6 March 2026 at 10:00 (GMT) with one victim V1 and one suspect S1.
pub(super) fn base() -> Vec<String> {
    vec![
        ev(
            "2026-03-06T10:00:00Z",
            "report_received",
            json!({"channel": "101", "offences": ["SOA2003-s1"]}),
        ),
        ev(
            "2026-03-06T10:05:00Z",
            "person_added",
            json!({"person": "V1", "role": "victim"}),
        ),
        ev(
            "2026-03-06T10:06:00Z",
            "person_added",
            json!({"person": "S1", "role": "suspect"}),
        ),
    ]
}

pub(super) fn with(mut lines: Vec<String>, more: &[String]) -> Vec<String> {
    lines.extend_from_slice(more);
    lines
}

#[test]
fn rec_24h_counts_exact_hours() {
    let due = s("2026-03-07T10:00:00+00:00");
    let recorded = |at: &str| {
        with(
            base(),
            &[ev(
                at,
                "crime_recorded",
                json!({"offences": ["SOA2003-s1"]}),
            )],
        )
    };
    assert_eq!(
        check(
            "REC-24H",
            &recorded("2026-03-07T10:00:00Z"),
            "2026-03-10T00:00:00Z"
        ),
        vec![(Status::Met, None, due.clone(), s("2026-03-07T10:00:00Z"))]
    );
    assert_eq!(
        statuses(
            "REC-24H",
            &recorded("2026-03-07T10:00:01Z"),
            "2026-03-10T00:00:00Z"
        ),
        [Status::MetLate]
    );
    assert_eq!(
        statuses("REC-24H", &base(), "2026-03-07T09:59:59Z"),
        [Status::Due]
    );
    assert_eq!(
        statuses("REC-24H", &base(), "2026-03-07T10:00:01Z"),
        [Status::Overdue]
    );
    // No report, no instance.
    assert!(check("REC-24H", &base()[1..], "2026-03-10T00:00:00Z").is_empty());
}

#[test]
fn report_timescales_count_working_days_per_victim() {
    // Friday 6 March + 2 working days = Tuesday 10 March; + 5 = Friday 13 March.
    for (rule, kind, due) in [
        ("VC-NEEDS", "needs_assessment", "2026-03-10T23:59:59+00:00"),
        (
            "VC-REFERRAL",
            "support_referral",
            "2026-03-10T23:59:59+00:00",
        ),
        ("ISVA-OFFER", "isva_offered", "2026-03-10T23:59:59+00:00"),
        (
            "VC-CONFIRM",
            "written_confirmation_sent",
            "2026-03-13T23:59:59+00:00",
        ),
    ] {
        let on_time = with(
            base(),
            &[ev("2026-03-09T12:00:00Z", kind, json!({"person": "V1"}))],
        );
        assert_eq!(
            check(rule, &on_time, "2026-04-01T00:00:00Z"),
            vec![(Status::Met, s("V1"), s(due), s("2026-03-09T12:00:00Z"))],
            "{rule}"
        );
        let late = with(
            base(),
            &[ev("2026-03-16T12:00:00Z", kind, json!({"person": "V1"}))],
        );
        assert_eq!(
            statuses(rule, &late, "2026-04-01T00:00:00Z"),
            [Status::MetLate],
            "{rule}"
        );
        assert_eq!(
            statuses(rule, &base(), "2026-03-09T00:00:00Z"),
            [Status::Due],
            "{rule}"
        );
        assert_eq!(
            statuses(rule, &base(), "2026-04-01T00:00:00Z"),
            [Status::Overdue],
            "{rule}"
        );
        // Done for another person does not count.
        let other = with(
            base(),
            &[
                ev(
                    "2026-03-06T10:07:00Z",
                    "person_added",
                    json!({"person": "V2", "role": "victim"}),
                ),
                ev("2026-03-09T12:00:00Z", kind, json!({"person": "V2"})),
            ],
        );
        let found = check(rule, &other, "2026-04-01T00:00:00Z");
        assert_eq!(found.len(), 2, "{rule}: one finding per victim");
        assert_eq!(
            (found[0].0, found[0].1.as_deref()),
            (Status::Overdue, Some("V1"))
        );
        assert_eq!(
            (found[1].0, found[1].1.as_deref()),
            (Status::Met, Some("V2"))
        );
    }
}

#[test]
fn a_declined_referral_completes_the_referral() {
    let declined = with(
        base(),
        &[ev(
            "2026-03-06T12:00:00Z",
            "support_referral",
            json!({"person": "V1", "service": "isva", "declined": true}),
        )],
    );
    assert_eq!(
        statuses("VC-REFERRAL", &declined, "2026-04-01T00:00:00Z"),
        [Status::Met]
    );
}

#[test]
fn vc_inform_friday_arrest_is_due_monday_or_after_a_bank_holiday() {
    let arrest = |at: &str| ev(at, "suspect_arrested", json!({"person": "S1"}));
    let told = |at: &str, about: &str| {
        ev(
            at,
            "victim_informed",
            json!({"person": "V1", "about": about}),
        )
    };
    // Friday 6 March 2026 -> Monday 9 March.
    let lines = with(
        base(),
        &[
            arrest("2026-03-06T10:00:00Z"),
            told("2026-03-09T16:00:00Z", "arrest"),
        ],
    );
    assert_eq!(
        check("VC-INFORM", &lines, "2026-04-01T00:00:00Z"),
        vec![(
            Status::Met,
            s("V1"),
            s("2026-03-09T23:59:59+00:00"),
            s("2026-03-09T16:00:00Z")
        )]
    );
    // Friday 22 May 2026 -> Tuesday 26 May (Monday is the spring bank holiday), in BST.
    let lines = with(base(), &[arrest("2026-05-22T10:00:00+01:00")]);
    assert_eq!(
        check("VC-INFORM", &lines, "2026-05-26T12:00:00+01:00"),
        vec![(Status::Due, s("V1"), s("2026-05-26T23:59:59+01:00"), None)]
    );
    assert_eq!(
        statuses("VC-INFORM", &lines, "2026-05-27T00:00:00+01:00"),
        [Status::Overdue]
    );
    // Told late; told about something else does not count; told before the trigger does not count.
    let lines = with(
        base(),
        &[
            told("2026-03-06T09:00:00Z", "arrest"),
            arrest("2026-03-06T10:00:00Z"),
            told("2026-03-09T09:00:00Z", "bailed"),
            told("2026-03-11T09:00:00Z", "arrest"),
        ],
    );
    assert_eq!(
        check("VC-INFORM", &lines, "2026-04-01T00:00:00Z"),
        vec![(
            Status::MetLate,
            s("V1"),
            s("2026-03-09T23:59:59+00:00"),
            s("2026-03-11T09:00:00Z")
        )]
    );
}

#[test]
fn vc_inform_covers_each_trigger_and_standard_rights_get_five_days() {
    let lines = with(
        vec![
            ev(
                "2026-03-02T10:00:00Z",
                "person_added",
                json!({"person": "V1", "role": "victim", "enhanced_rights": false}),
            ),
            ev(
                "2026-03-02T10:00:00Z",
                "person_added",
                json!({"person": "S1", "role": "suspect"}),
            ),
        ],
        &[
            ev(
                "2026-03-02T11:00:00Z",
                "suspect_arrested",
                json!({"person": "S1"}),
            ),
            ev(
                "2026-03-02T12:00:00Z",
                "suspect_interviewed",
                json!({"person": "S1", "under_caution": false}),
            ),
            ev(
                "2026-03-02T13:00:00Z",
                "suspect_interviewed",
                json!({"person": "S1", "under_caution": true}),
            ),
            ev(
                "2026-03-02T14:00:00Z",
                "suspect_bailed",
                json!({"person": "S1"}),
            ),
            ev(
                "2026-03-03T14:00:00Z",
                "bail_varied",
                json!({"person": "S1"}),
            ),
            ev(
                "2026-03-04T14:00:00Z",
                "suspect_released_rui",
                json!({"person": "S1"}),
            ),
            ev(
                "2026-03-05T14:00:00Z",
                "suspect_released_nfa",
                json!({"person": "S1"}),
            ),
            ev(
                "2026-03-06T14:00:00Z",
                "suspect_charged",
                json!({"person": "S1"}),
            ),
        ],
    );
    let found = check("VC-INFORM", &lines, "2026-03-06T15:00:00Z");
    // The interview not under caution is no trigger: seven triggers.
    assert_eq!(found.len(), 7);
    // Standard rights: Monday 2 March + 5 working days = Monday 9 March.
    assert_eq!(
        found[0],
        (Status::Due, s("V1"), s("2026-03-09T23:59:59+00:00"), None)
    );
}

#[test]
fn vc_no_investigate_needs_the_matching_explanation() {
    let decision = ev(
        "2026-03-10T10:00:00Z",
        "decision_not_to_investigate",
        json!({"reason": "victim withdrew support"}),
    );
    let lines = with(base(), std::slice::from_ref(&decision));
    assert_eq!(
        check("VC-NO-INVESTIGATE", &lines, "2026-03-11T12:00:00Z"),
        vec![(Status::Due, s("V1"), s("2026-03-11T23:59:59+00:00"), None)]
    );
    assert_eq!(
        statuses("VC-NO-INVESTIGATE", &lines, "2026-03-12T00:00:00Z"),
        [Status::Overdue]
    );
    let explained = with(
        base(),
        &[
            decision.clone(),
            ev(
                "2026-03-11T10:00:00Z",
                "victim_informed",
                json!({"person": "V1", "about": "not_investigated", "reason_given": true}),
            ),
        ],
    );
    assert_eq!(
        statuses("VC-NO-INVESTIGATE", &explained, "2026-03-20T00:00:00Z"),
        [Status::Met]
    );
    let late = with(
        base(),
        &[
            decision,
            ev(
                "2026-03-13T10:00:00Z",
                "victim_informed",
                json!({"person": "V1", "about": "not_investigated"}),
            ),
        ],
    );
    assert_eq!(
        statuses("VC-NO-INVESTIGATE", &late, "2026-03-20T00:00:00Z"),
        [Status::MetLate]
    );
    // Not part of VC-INFORM.
    assert!(check("VC-INFORM", &late, "2026-03-20T00:00:00Z").is_empty());
}

#[test]
fn vc_update_rolls_from_the_latest_agreement_or_update() {
    let agreed = |at: &str, days: u32| {
        ev(
            at,
            "update_cadence_agreed",
            json!({"person": "V1", "every_days": days, "channel": "phone"}),
        )
    };
    let lines = with(base(), &[agreed("2026-03-10T09:00:00Z", 14)]);
    assert_eq!(
        check("VC-UPDATE", &lines, "2026-03-20T00:00:00Z"),
        vec![(Status::Due, s("V1"), s("2026-03-24T23:59:59+00:00"), None)]
    );
    assert_eq!(
        statuses("VC-UPDATE", &lines, "2026-03-25T00:00:00Z"),
        [Status::Overdue]
    );
    // An update after the agreement moves the next one on (into BST: 7 April + 14 days).
    let updated = with(
        lines.clone(),
        &[ev(
            "2026-04-07T09:00:00Z",
            "victim_informed",
            json!({"person": "V1", "about": "update"}),
        )],
    );
    assert_eq!(
        check("VC-UPDATE", &updated, "2026-04-10T00:00:00Z"),
        vec![(Status::Due, s("V1"), s("2026-04-21T23:59:59+01:00"), None)]
    );
    // The latest agreement applies.
    let changed = with(lines, &[agreed("2026-03-12T09:00:00Z", 7)]);
    assert_eq!(
        check("VC-UPDATE", &changed, "2026-03-13T00:00:00Z")[0].2,
        s("2026-03-19T23:59:59+00:00")
    );
    // No agreement, no finding.
    assert!(check("VC-UPDATE", &base(), "2026-04-10T00:00:00Z").is_empty());
}

#[test]
fn vc_vps_offered_now_or_earlier() {
    let statement = |at: &str, evidential: bool, offered: bool| {
        ev(
            at,
            "statement_taken",
            json!({"person": "V1", "evidential": evidential, "vps_offered": offered}),
        )
    };
    let offered = with(base(), &[statement("2026-03-08T10:00:00Z", true, true)]);
    assert_eq!(
        check("VC-VPS", &offered, "2026-04-01T00:00:00Z"),
        vec![(Status::Met, s("V1"), None, s("2026-03-08T10:00:00Z"))]
    );
    let earlier = with(
        base(),
        &[
            statement("2026-03-07T10:00:00Z", false, true),
            statement("2026-03-08T10:00:00Z", true, false),
        ],
    );
    assert_eq!(
        check("VC-VPS", &earlier, "2026-04-01T00:00:00Z"),
        vec![(Status::Met, s("V1"), None, s("2026-03-07T10:00:00Z"))]
    );
    let never = with(base(), &[statement("2026-03-08T10:00:00Z", true, false)]);
    assert_eq!(
        check("VC-VPS", &never, "2026-04-01T00:00:00Z"),
        vec![(Status::Breached, s("V1"), None, None)]
    );
    // A witness's statement is not a victim's.
    let witness = with(
        base(),
        &[
            ev(
                "2026-03-07T10:00:00Z",
                "person_added",
                json!({"person": "W1", "role": "witness"}),
            ),
            ev(
                "2026-03-08T10:00:00Z",
                "statement_taken",
                json!({"person": "W1", "evidential": true}),
            ),
        ],
    );
    assert!(check("VC-VPS", &witness, "2026-04-01T00:00:00Z").is_empty());
}

#[test]
fn vc_gender_checks_the_first_interview_only() {
    let interview = |at: &str, asked: bool| {
        ev(
            at,
            "victim_interviewed",
            json!({"person": "V1", "mode": "abe", "gender_preference_asked": asked}),
        )
    };
    let asked = with(
        base(),
        &[
            interview("2026-03-08T10:00:00Z", true),
            interview("2026-03-09T10:00:00Z", false),
        ],
    );
    assert_eq!(
        check("VC-GENDER", &asked, "2026-04-01T00:00:00Z"),
        vec![(Status::Met, s("V1"), None, s("2026-03-08T10:00:00Z"))]
    );
    let not_asked = with(
        base(),
        &[
            interview("2026-03-08T10:00:00Z", false),
            interview("2026-03-09T10:00:00Z", true),
        ],
    );
    assert_eq!(
        statuses("VC-GENDER", &not_asked, "2026-04-01T00:00:00Z"),
        [Status::Breached]
    );
}

#[test]
fn vrr_acknowledge_in_ten_and_decide_in_thirty_working_days() {
    // Requested Monday 2 March 2026: +10 working days = Monday 16 March; +30 = Wednesday 15 April
    // (skipping Good Friday 3 April and Easter Monday 6 April).
    let request = ev(
        "2026-03-02T10:00:00Z",
        "vrr_requested",
        json!({"person": "V1"}),
    );
    let lines = with(base(), std::slice::from_ref(&request));
    assert_eq!(
        check("VRR-ACK", &lines, "2026-03-16T12:00:00Z"),
        vec![(Status::Due, s("V1"), s("2026-03-16T23:59:59+00:00"), None)]
    );
    assert_eq!(
        statuses("VRR-ACK", &lines, "2026-03-17T00:00:00Z"),
        [Status::Overdue]
    );
    assert_eq!(
        check("VRR-DECIDE", &lines, "2026-04-01T00:00:00Z"),
        vec![(Status::Due, s("V1"), s("2026-04-15T23:59:59+01:00"), None)]
    );
    assert_eq!(
        statuses("VRR-DECIDE", &lines, "2026-04-16T00:00:00+01:00"),
        [Status::Overdue]
    );
    let answered = with(
        base(),
        &[
            request,
            ev(
                "2026-03-05T10:00:00Z",
                "vrr_acknowledged",
                json!({"person": "V1"}),
            ),
            ev(
                "2026-04-20T10:00:00Z",
                "vrr_decided",
                json!({"person": "V1"}),
            ),
        ],
    );
    assert_eq!(
        statuses("VRR-ACK", &answered, "2026-05-01T00:00:00Z"),
        [Status::Met]
    );
    assert_eq!(
        statuses("VRR-DECIDE", &answered, "2026-05-01T00:00:00Z"),
        [Status::MetLate]
    );
}

fn arrested_and_bailed() -> Vec<String> {
    // Arrested Wednesday 14 January 2026: bail starts 15 January; three months end 14 April.
    with(
        base(),
        &[
            ev(
                "2026-01-14T10:00:00Z",
                "suspect_arrested",
                json!({"person": "S1"}),
            ),
            ev(
                "2026-01-14T18:00:00Z",
                "suspect_bailed",
                json!({"person": "S1", "conditions": true, "victim_views_sought": true}),
            ),
        ],
    )
}

#[test]
fn bail_period_runs_three_months_from_the_day_after_arrest() {
    let lines = arrested_and_bailed();
    assert_eq!(
        check("BAIL-PERIOD", &lines, "2026-03-01T00:00:00Z"),
        vec![(Status::Due, s("S1"), s("2026-04-14T23:59:59+01:00"), None)]
    );
    assert_eq!(
        statuses("BAIL-PERIOD", &lines, "2026-04-15T00:00:00+01:00"),
        [Status::Overdue]
    );
    let ended = with(
        lines.clone(),
        &[ev(
            "2026-04-01T10:00:00+01:00",
            "bail_ended",
            json!({"person": "S1"}),
        )],
    );
    assert_eq!(
        statuses("BAIL-PERIOD", &ended, "2026-05-01T00:00:00Z"),
        [Status::Met]
    );
    let charged_late = with(
        lines,
        &[ev(
            "2026-04-20T10:00:00+01:00",
            "suspect_charged",
            json!({"person": "S1", "offences": ["SOA2003-s1"]}),
        )],
    );
    assert_eq!(
        statuses("BAIL-PERIOD", &charged_late, "2026-05-01T00:00:00Z"),
        [Status::MetLate]
    );
}

#[test]
fn bail_without_arrest_counts_from_the_day_after_bail_and_month_ends_clip() {
    // Bailed 29 November 2025 with no arrest recorded: starts 30 November; 30 February does not
    // exist, so the period ends on 28 February 2026.
    let lines = with(
        base(),
        &[ev(
            "2025-11-29T12:00:00Z",
            "suspect_bailed",
            json!({"person": "S1"}),
        )],
    );
    assert_eq!(
        check("BAIL-PERIOD", &lines, "2026-01-01T00:00:00Z")[0].2,
        s("2026-02-28T23:59:59+00:00")
    );
}

#[test]
fn bail_extensions_move_the_deadline_within_authority() {
    let extend = |at: &str, until: &str, by: &str| {
        ev(
            at,
            "bail_extended",
            json!({"person": "S1", "until": until, "authorised_by": by}),
        )
    };
    // An inspector may extend to the end of six months from 15 January: 14 July.
    let lines = with(
        arrested_and_bailed(),
        &[extend(
            "2026-04-10T10:00:00+01:00",
            "2026-07-14",
            "inspector",
        )],
    );
    assert_eq!(
        check("BAIL-PERIOD", &lines, "2026-05-01T00:00:00Z"),
        vec![(Status::Due, s("S1"), s("2026-07-14T23:59:59+01:00"), None)]
    );
    // One day further is beyond an inspector's authority.
    let beyond = with(
        arrested_and_bailed(),
        &[extend(
            "2026-04-10T10:00:00+01:00",
            "2026-07-15",
            "inspector",
        )],
    );
    assert_eq!(
        check("BAIL-PERIOD", &beyond, "2026-05-01T00:00:00Z"),
        vec![(Status::Breached, s("S1"), None, None)]
    );
    // A superintendent may go to nine months; a court further.
    let superintendent = with(
        arrested_and_bailed(),
        &[extend(
            "2026-04-10T10:00:00+01:00",
            "2026-10-14",
            "superintendent",
        )],
    );
    assert_eq!(
        statuses("BAIL-PERIOD", &superintendent, "2026-05-01T00:00:00Z"),
        [Status::Due]
    );
    let court = with(
        arrested_and_bailed(),
        &[extend("2026-04-10T10:00:00+01:00", "2027-06-30", "court")],
    );
    assert_eq!(
        statuses("BAIL-PERIOD", &court, "2026-05-01T00:00:00Z"),
        [Status::Due]
    );
    // An extension after the period has run out does not rescue it.
    let too_late = with(
        arrested_and_bailed(),
        &[extend(
            "2026-04-15T10:00:00+01:00",
            "2026-07-14",
            "inspector",
        )],
    );
    assert_eq!(
        statuses("BAIL-PERIOD", &too_late, "2026-05-01T00:00:00Z"),
        [Status::Overdue]
    );
}

#[test]
fn bail_views_are_sought_for_conditions_and_variations() {
    let lines = with(
        base(),
        &[
            ev(
                "2026-03-07T10:00:00Z",
                "suspect_bailed",
                json!({"person": "S1", "conditions": true, "victim_views_sought": true}),
            ),
            ev(
                "2026-03-08T10:00:00Z",
                "bail_varied",
                json!({"person": "S1", "victim_views_sought": false}),
            ),
            ev(
                "2026-03-09T10:00:00Z",
                "suspect_bailed",
                json!({"person": "S1", "conditions": false}),
            ),
        ],
    );
    assert_eq!(
        check("BAIL-VIEWS", &lines, "2026-04-01T00:00:00Z"),
        vec![
            (Status::Met, s("S1"), None, s("2026-03-07T10:00:00Z")),
            (Status::Breached, s("S1"), None, None),
        ]
    );
}

#[test]
fn rui_review_every_ninety_days_until_resolved() {
    let released = with(
        base(),
        &[ev(
            "2026-03-07T10:00:00Z",
            "suspect_released_rui",
            json!({"person": "S1"}),
        )],
    );
    assert_eq!(
        check("RUI-REVIEW", &released, "2026-04-01T00:00:00Z"),
        vec![(Status::Due, s("S1"), s("2026-06-05T23:59:59+01:00"), None)]
    );
    assert_eq!(
        statuses("RUI-REVIEW", &released, "2026-06-06T00:00:00+01:00"),
        [Status::Overdue]
    );
    let reviewed = with(
        released.clone(),
        &[ev(
            "2026-05-01T10:00:00+01:00",
            "supervisor_review",
            json!({"officer": "9001", "note": "RUI reviewed"}),
        )],
    );
    assert_eq!(
        check("RUI-REVIEW", &reviewed, "2026-06-06T00:00:00+01:00")[0].2,
        s("2026-07-30T23:59:59+01:00")
    );
    let charged = with(
        released.clone(),
        &[ev(
            "2026-04-01T10:00:00+01:00",
            "suspect_charged",
            json!({"person": "S1"}),
        )],
    );
    assert!(check("RUI-REVIEW", &charged, "2026-07-01T00:00:00Z").is_empty());
    let closed = with(
        released,
        &[ev(
            "2026-04-01T10:00:00+01:00",
            "case_closed",
            json!({"outcome": 16, "suspect_identified": true, "victim_supports": false}),
        )],
    );
    assert!(check("RUI-REVIEW", &closed, "2026-07-01T00:00:00Z").is_empty());
}

#[test]
fn sup_review_first_in_seven_days_then_every_twenty_eight() {
    let allocated = with(
        base(),
        &[
            ev(
                "2026-03-06T11:00:00Z",
                "officer_allocated",
                json!({"officer": "9001", "role": "supervisor"}),
            ),
            ev(
                "2026-03-06T12:00:00Z",
                "officer_allocated",
                json!({"officer": "4471", "role": "oic"}),
            ),
        ],
    );
    assert_eq!(
        check("SUP-REVIEW", &allocated, "2026-03-10T00:00:00Z"),
        vec![(Status::Due, None, s("2026-03-13T23:59:59+00:00"), None)]
    );
    assert_eq!(
        statuses("SUP-REVIEW", &allocated, "2026-03-14T00:00:00Z"),
        [Status::Overdue]
    );
    let reviewed = with(
        allocated.clone(),
        &[ev(
            "2026-03-12T10:00:00Z",
            "supervisor_review",
            json!({"officer": "9001"}),
        )],
    );
    assert_eq!(
        check("SUP-REVIEW", &reviewed, "2026-03-20T00:00:00Z"),
        vec![(Status::Due, None, s("2026-04-09T23:59:59+01:00"), None)]
    );
    let closed_on = |at: &str| {
        with(
            allocated.clone(),
            &[ev(
                at,
                "case_closed",
                json!({"outcome": 18, "suspect_identified": false}),
            )],
        )
    };
    // Closed on 12 March, before the first review fell due (13 March): nothing is due any more.
    assert!(
        check(
            "SUP-REVIEW",
            &closed_on("2026-03-12T10:00:00Z"),
            "2026-05-01T00:00:00Z"
        )
        .is_empty()
    );
    // Closed on 20 March, after the first review was missed: it stays overdue as it stood then.
    assert_eq!(
        check(
            "SUP-REVIEW",
            &closed_on("2026-03-20T10:00:00Z"),
            "2026-05-01T00:00:00Z"
        ),
        vec![(Status::Overdue, None, s("2026-03-13T23:59:59+00:00"), None)]
    );
    // No officer in case, no instance.
    assert!(check("SUP-REVIEW", &base(), "2026-05-01T00:00:00Z").is_empty());
}

#[test]
fn digital_safeguards_need_notice_agreement_and_four_reasons() {
    let rationale = json!({"relevance": "messages on the night", "necessity": "only record", "proportionality": "two days only", "less_intrusive": "screenshots incomplete"});
    let extraction = |person: &str, agreement: bool, rationale: &Value| {
        ev(
            "2026-03-08T10:00:00Z",
            "device_extraction",
            json!({"person": person, "notice_given": true, "agreement_recorded": agreement, "rationale": rationale}),
        )
    };
    let good = with(base(), &[extraction("V1", true, &rationale)]);
    assert_eq!(
        check("DIG-SAFEGUARDS", &good, "2026-04-01T00:00:00Z"),
        vec![(Status::Met, s("V1"), None, s("2026-03-08T10:00:00Z"))]
    );
    let no_agreement = with(base(), &[extraction("V1", false, &rationale)]);
    assert_eq!(
        statuses("DIG-SAFEGUARDS", &no_agreement, "2026-04-01T00:00:00Z"),
        [Status::Breached]
    );
    let mut thin = rationale.clone();
    thin["less_intrusive"] = json!("  ");
    let blank_reason = with(base(), &[extraction("V1", true, &thin)]);
    assert_eq!(
        statuses("DIG-SAFEGUARDS", &blank_reason, "2026-04-01T00:00:00Z"),
        [Status::Breached]
    );
    // A suspect's device is outside this rule.
    let suspect = with(base(), &[extraction("S1", false, &json!({}))]);
    assert!(check("DIG-SAFEGUARDS", &suspect, "2026-04-01T00:00:00Z").is_empty());
}

#[test]
fn third_party_requests_need_their_rationale_and_the_victim_told() {
    let request = |victim_informed: bool, necessity: &str| {
        ev(
            "2026-03-08T10:00:00Z",
            "third_party_request",
            json!({"person": "V1", "holder": "GP surgery", "expected": "record of injury seen on 2 March", "line_of_enquiry": "corroborates the account of force", "necessity": necessity, "victim_informed": victim_informed}),
        )
    };
    assert_eq!(
        statuses(
            "TPM-RATIONALE",
            &with(base(), &[request(true, "no other record")]),
            "2026-04-01T00:00:00Z"
        ),
        [Status::Met]
    );
    assert_eq!(
        statuses(
            "TPM-RATIONALE",
            &with(base(), &[request(false, "no other record")]),
            "2026-04-01T00:00:00Z"
        ),
        [Status::Breached]
    );
    assert_eq!(
        statuses(
            "TPM-RATIONALE",
            &with(base(), &[request(true, "")]),
            "2026-04-01T00:00:00Z"
        ),
        [Status::Breached]
    );
}

#[test]
fn forensic_window_is_the_longest_listed_window_exactly() {
    let report = |at: &str, contacts: Value| {
        vec![
            ev(
                at,
                "report_received",
                json!({"offences": ["SOA2003-s1"], "offence_from": "2026-03-01T20:00:00Z", "offence_to": "2026-03-01T23:00:00Z", "penetration": contacts}),
            ),
            ev(
                at,
                "person_added",
                json!({"person": "V1", "role": "victim"}),
            ),
        ]
    };
    // Oral (2 days) and anal (3 days): the window closes 3 days after 23:00 on 1 March.
    let lines = report("2026-03-02T09:00:00Z", json!(["oral", "anal"]));
    assert_eq!(
        check("FOR-WINDOW", &lines, "2026-03-03T00:00:00Z"),
        vec![(Status::Due, None, s("2026-03-04T23:00:00+00:00"), None)]
    );
    assert_eq!(
        statuses("FOR-WINDOW", &lines, "2026-03-05T00:00:00Z"),
        [Status::Overdue]
    );
    let offered = with(
        lines.clone(),
        &[ev(
            "2026-03-02T10:00:00Z",
            "forensic_exam_offered",
            json!({"person": "V1", "accepted": true, "sarc": "Testshire SARC"}),
        )],
    );
    assert_eq!(
        statuses("FOR-WINDOW", &offered, "2026-03-05T00:00:00Z"),
        [Status::Met]
    );
    let late = with(
        lines,
        &[ev(
            "2026-03-05T10:00:00Z",
            "forensic_exam_offered",
            json!({"person": "V1"}),
        )],
    );
    assert_eq!(
        statuses("FOR-WINDOW", &late, "2026-03-06T00:00:00Z"),
        [Status::MetLate]
    );
    // Reported after every window closed: the rule does not apply.
    let closed = report("2026-03-10T09:00:00Z", json!(["vaginal"]));
    assert!(check("FOR-WINDOW", &closed, "2026-03-11T00:00:00Z").is_empty());
    // No penetration listed: does not apply.
    assert!(
        check(
            "FOR-WINDOW",
            &report("2026-03-02T09:00:00Z", json!([])),
            "2026-03-03T00:00:00Z"
        )
        .is_empty()
    );
}

#[test]
fn rape_and_assault_by_penetration_are_charged_by_the_cps() {
    let decision = |by: &str, offences: Value| {
        ev(
            "2026-05-01T10:00:00Z",
            "charging_decision",
            json!({"person": "S1", "by": by, "decision": "charge", "test": "full_code", "offences": offences}),
        )
    };
    assert_eq!(
        statuses(
            "CHG-CPS",
            &with(base(), &[decision("cps", json!(["SOA2003-s1"]))]),
            "2026-06-01T00:00:00Z"
        ),
        [Status::Met]
    );
    assert_eq!(
        check(
            "CHG-CPS",
            &with(base(), &[decision("police", json!(["SOA2003-s2"]))]),
            "2026-06-01T00:00:00Z"
        ),
        vec![(Status::Breached, s("S1"), None, None)]
    );
    // Sexual assault (s3) may be charged by the police.
    assert!(
        check(
            "CHG-CPS",
            &with(base(), &[decision("police", json!(["SOA2003-s3"]))]),
            "2026-06-01T00:00:00Z"
        )
        .is_empty()
    );
}

#[test]
fn threshold_test_needs_all_four_conditions() {
    let decision = |conditions: Value| {
        ev(
            "2026-05-01T10:00:00Z",
            "charging_decision",
            json!({"person": "S1", "by": "cps", "decision": "charge", "test": "threshold", "threshold_conditions": conditions, "offences": ["SOA2003-s1"]}),
        )
    };
    let all = json!([
        "insufficient_now",
        "further_evidence_expected",
        "seriousness",
        "bail_grounds"
    ]);
    assert_eq!(
        statuses(
            "CHG-THRESHOLD",
            &with(base(), &[decision(all)]),
            "2026-06-01T00:00:00Z"
        ),
        [Status::Met]
    );
    let three = json!([
        "insufficient_now",
        "further_evidence_expected",
        "seriousness"
    ]);
    assert_eq!(
        statuses(
            "CHG-THRESHOLD",
            &with(base(), &[decision(three)]),
            "2026-06-01T00:00:00Z"
        ),
        [Status::Breached]
    );
}

#[test]
fn outcomes_must_fit_the_record() {
    let closed = |fields: Value| {
        with(
            base(),
            &[ev("2026-06-01T10:00:00+01:00", "case_closed", fields)],
        )
    };
    let status = |fields: Value| statuses("OUT-VALID", &closed(fields), "2026-07-01T00:00:00Z");
    assert_eq!(
        status(json!({"outcome": 1, "suspect_identified": true})),
        [Status::Met]
    );
    assert_eq!(
        status(json!({"outcome": 14, "suspect_identified": false, "victim_supports": false})),
        [Status::Met]
    );
    assert_eq!(
        status(json!({"outcome": 14, "suspect_identified": true, "victim_supports": false})),
        [Status::Breached]
    );
    assert_eq!(
        status(json!({"outcome": 15, "suspect_identified": true, "victim_supports": true})),
        [Status::Met]
    );
    assert_eq!(
        status(json!({"outcome": 15, "suspect_identified": true, "victim_supports": false})),
        [Status::Breached]
    );
    assert_eq!(
        status(json!({"outcome": 16, "suspect_identified": true})),
        [Status::Breached]
    );
    assert_eq!(
        status(json!({"outcome": 18, "suspect_identified": false})),
        [Status::Met]
    );
    assert_eq!(
        status(json!({"outcome": 0, "suspect_identified": false})),
        [Status::Breached]
    );
    assert_eq!(
        status(json!({"outcome": 23, "suspect_identified": false})),
        [Status::Breached]
    );
}

#[test]
fn offences_abroad_need_a_jurisdiction_assessment() {
    let abroad = vec![ev(
        "2026-03-06T10:00:00Z",
        "report_received",
        json!({"offences": ["SOA2003-s1"], "location": {"country": "ES"}}),
    )];
    assert_eq!(
        check("JUR-ABROAD", &abroad, "2026-04-01T00:00:00Z"),
        vec![(Status::Advice, None, None, None)]
    );
    let assessed = with(
        abroad,
        &[ev(
            "2026-03-09T10:00:00Z",
            "jurisdiction_assessed",
            json!({"decision": "england_wales", "basis": "suspect is a UK national"}),
        )],
    );
    assert_eq!(
        check("JUR-ABROAD", &assessed, "2026-04-01T00:00:00Z"),
        vec![(Status::Met, None, None, s("2026-03-09T10:00:00Z"))]
    );
    // In the UK: not applicable.
    let home = vec![ev(
        "2026-03-06T10:00:00Z",
        "report_received",
        json!({"location": {"country": "GB"}}),
    )];
    assert!(check("JUR-ABROAD", &home, "2026-04-01T00:00:00Z").is_empty());
}

#[test]
fn events_after_now_are_ignored() {
    let lines = with(
        base(),
        &[ev(
            "2026-03-09T10:00:00Z",
            "needs_assessment",
            json!({"person": "V1"}),
        )],
    );
    assert_eq!(
        statuses("VC-NEEDS", &lines, "2026-03-08T00:00:00Z"),
        [Status::Due]
    );
    assert_eq!(
        statuses("VC-NEEDS", &lines, "2026-03-09T10:00:00Z"),
        [Status::Met]
    );
    // Before the report, nothing at all.
    let rules = rules_2021();
    assert!(
        rules
            .evaluate(&case(&lines), instant("2026-03-01T00:00:00Z"))
            .is_empty()
    );
}

#[test]
fn every_national_rule_has_a_guidance_page_and_a_unique_id() {
    assert_eq!(rules_2021().rules().len(), 23);
    let rules = RuleSet::national();
    let mut ids: Vec<&str> = rules.rules().iter().map(|rule| rule.id.as_ref()).collect();
    assert_eq!(ids.len(), NATIONAL_RULES.len());
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), NATIONAL_RULES.len());
    for rule in rules.rules() {
        assert!(
            NATIONAL_GUIDANCE
                .iter()
                .any(|(id, page)| *id == rule.id && *page == rule.guidance),
            "{}",
            rule.id
        );
    }
}

#[test]
fn plugins_cannot_take_national_ids_and_policies_only_shorten() {
    let mut rules = RuleSet::national();
    let local = |id: &str| RuleInfo {
        id: id.to_owned().into(),
        title: "local".into(),
        guidance: "local/page".into(),
        origin: Origin::Plugin("northmoor".into()),
    };
    assert_eq!(
        rules.register(local("SUP-REVIEW")),
        Err(RuleSetError::NationalIdTaken("SUP-REVIEW".into()))
    );
    let index = rules.register(local("NM-CONTACT")).expect("new id");
    assert_eq!(rules.rule(index).id, "NM-CONTACT");
    assert_eq!(
        rules.register(local("NM-CONTACT")),
        Err(RuleSetError::DuplicateId("NM-CONTACT".into()))
    );
    assert!(matches!(
        rules.register(local("nm contact")),
        Err(RuleSetError::BadId(_))
    ));

    let longer = [(
        "supervisor_review".to_owned(),
        crate::time::Timescale::CalendarDays(35),
    )];
    assert!(matches!(
        rules.tighten(&longer),
        Err(RuleSetError::Lengthens { .. })
    ));
    let mixed = [(
        "supervisor_review".to_owned(),
        crate::time::Timescale::WorkingDays(10),
    )];
    assert!(matches!(
        rules.tighten(&mixed),
        Err(RuleSetError::Lengthens { .. })
    ));
    // A refused policy changes nothing, even the parts of it that were fine.
    let partly = [
        (
            "first_supervisor_review".to_owned(),
            crate::time::Timescale::CalendarDays(3),
        ),
        (
            "inform_enhanced".to_owned(),
            crate::time::Timescale::WorkingDays(2),
        ),
    ];
    assert!(rules.tighten(&partly).is_err());
    assert_eq!(
        rules.config().first_supervisor_review,
        crate::time::Timescale::CalendarDays(7)
    );
    let shorter = [(
        "supervisor_review".to_owned(),
        crate::time::Timescale::CalendarDays(14),
    )];
    rules.tighten(&shorter).expect("shorter is allowed");
    assert_eq!(
        rules.config().supervisor_review,
        crate::time::Timescale::CalendarDays(14)
    );
    assert!(matches!(
        rules.tighten(&[("no_such".to_owned(), crate::time::Timescale::Hours(1))]),
        Err(RuleSetError::UnknownTimescale { .. })
    ));
}

#[test]
fn the_engine_ignores_keys_of_other_cases() {
    // Sanity: the key is carried through unchanged.
    let case = case(&base());
    assert_eq!(
        case.key,
        CaseKey {
            force: "testshire".into(),
            reference: "T-1".into()
        }
    );
}

// ---- The end of the investigation (`docs/rules.md`, "What stops a rolling rule") ----------------

/// The event that ends the investigation at `at`: a closure or a decision not to investigate.
pub(super) fn end(kind: &str, at: &str) -> String {
    match kind {
        "case_closed" => ev(
            at,
            kind,
            json!({"outcome": 18, "suspect_identified": false}),
        ),
        _ => ev(
            at,
            kind,
            json!({"reason": "victim does not want an investigation"}),
        ),
    }
}

pub(super) const ENDS: [&str; 2] = ["case_closed", "decision_not_to_investigate"];

/// The base case with V1's updates agreed on Tuesday 10 March 2026 every 14 days: the first is due
/// by the end of 24 March (GMT).
pub(super) fn updates_agreed() -> Vec<String> {
    with(
        base(),
        &[ev(
            "2026-03-10T09:00:00Z",
            "update_cadence_agreed",
            json!({"person": "V1", "every_days": 14, "channel": "phone"}),
        )],
    )
}

pub(super) fn told(at: &str, about: &str) -> String {
    ev(
        at,
        "victim_informed",
        json!({"person": "V1", "about": about}),
    )
}

#[test]
fn vc_update_stops_at_the_end_of_the_investigation() {
    for kind in ENDS {
        // Before the end the update is due as ever.
        let ended_early = with(updates_agreed(), &[end(kind, "2026-03-20T10:00:00Z")]);
        assert_eq!(
            check("VC-UPDATE", &ended_early, "2026-03-19T00:00:00Z"),
            vec![(Status::Due, s("V1"), s("2026-03-24T23:59:59+00:00"), None)],
            "{kind}"
        );
        // Ended on 20 March, before the update fell due: no update is due any more.
        assert!(
            check("VC-UPDATE", &ended_early, "2026-05-01T00:00:00Z").is_empty(),
            "{kind}"
        );
        // Ended at the very deadline: the update was still due then, not missed.
        let at_deadline = with(updates_agreed(), &[end(kind, "2026-03-24T23:59:59Z")]);
        assert!(
            check("VC-UPDATE", &at_deadline, "2026-05-01T00:00:00Z").is_empty(),
            "{kind}"
        );
        // Ended on 26 March, after the update was missed: it stays overdue as judged then, and
        // telling the victim the outcome on 27 March does not complete it.
        let missed = with(
            updates_agreed(),
            &[
                end(kind, "2026-03-26T10:00:00Z"),
                told("2026-03-27T10:00:00Z", "outcome"),
            ],
        );
        assert_eq!(
            check("VC-UPDATE", &missed, "2026-05-01T00:00:00Z"),
            vec![(
                Status::Overdue,
                s("V1"),
                s("2026-03-24T23:59:59+00:00"),
                None
            )],
            "{kind}"
        );
        // An update on 20 March moves the next to 3 April (BST); ended on 5 April it was missed,
        // ended on 2 April it was not yet due.
        let updated_then_ended = |at: &str| {
            with(
                updates_agreed(),
                &[told("2026-03-20T09:00:00Z", "update"), end(kind, at)],
            )
        };
        assert_eq!(
            check(
                "VC-UPDATE",
                &updated_then_ended("2026-04-05T10:00:00+01:00"),
                "2026-05-01T00:00:00Z"
            ),
            vec![(
                Status::Overdue,
                s("V1"),
                s("2026-04-03T23:59:59+01:00"),
                None
            )],
            "{kind}"
        );
        assert!(
            check(
                "VC-UPDATE",
                &updated_then_ended("2026-04-02T10:00:00+01:00"),
                "2026-05-01T00:00:00Z"
            )
            .is_empty(),
            "{kind}"
        );
        // An agreement made after the end starts nothing.
        let mut agreed_after = base();
        agreed_after.push(end(kind, "2026-03-08T10:00:00Z"));
        agreed_after.extend(updates_agreed().into_iter().skip(3));
        assert!(
            check("VC-UPDATE", &agreed_after, "2026-05-01T00:00:00Z").is_empty(),
            "{kind}"
        );
    }
}

/// Officer in case from 6 March 12:00; first review on 12 March, so the next is due by the end of
/// 9 April (28 days, BST).
pub(super) fn reviewed_once() -> Vec<String> {
    with(
        base(),
        &[
            ev(
                "2026-03-06T12:00:00Z",
                "officer_allocated",
                json!({"officer": "4471", "role": "oic"}),
            ),
            ev(
                "2026-03-12T10:00:00Z",
                "supervisor_review",
                json!({"officer": "9001"}),
            ),
        ],
    )
}

pub(super) fn review(at: &str) -> String {
    ev(at, "supervisor_review", json!({"officer": "9001"}))
}

#[test]
fn sup_review_stops_at_a_decision_not_to_investigate() {
    let decided = |at: &str| with(reviewed_once(), &[end("decision_not_to_investigate", at)]);
    let early = decided("2026-03-20T10:00:00Z");
    assert_eq!(
        check("SUP-REVIEW", &early, "2026-03-19T00:00:00Z"),
        vec![(Status::Due, None, s("2026-04-09T23:59:59+01:00"), None)]
    );
    // Decided on 20 March, before the review fell due: no review is due.
    assert!(check("SUP-REVIEW", &early, "2026-05-01T00:00:00Z").is_empty());
    // Decided on 15 April, after it was missed: overdue as then; a review after the decision does
    // not complete it.
    let late = with(
        decided("2026-04-15T10:00:00+01:00"),
        &[review("2026-04-16T10:00:00+01:00")],
    );
    assert_eq!(
        check("SUP-REVIEW", &late, "2026-05-01T00:00:00Z"),
        vec![(Status::Overdue, None, s("2026-04-09T23:59:59+01:00"), None)]
    );
}

/// Released under investigation on 7 March: the first review is due by the end of 5 June (BST).
pub(super) fn released() -> Vec<String> {
    with(
        base(),
        &[ev(
            "2026-03-07T10:00:00Z",
            "suspect_released_rui",
            json!({"person": "S1"}),
        )],
    )
}

#[test]
fn rui_review_stops_at_the_end_of_the_investigation() {
    for kind in ENDS {
        let early = with(released(), &[end(kind, "2026-04-01T10:00:00+01:00")]);
        assert_eq!(
            check("RUI-REVIEW", &early, "2026-03-31T00:00:00+01:00"),
            vec![(Status::Due, s("S1"), s("2026-06-05T23:59:59+01:00"), None)],
            "{kind}"
        );
        assert!(
            check("RUI-REVIEW", &early, "2026-07-01T00:00:00Z").is_empty(),
            "{kind}"
        );
        let late = with(
            released(),
            &[
                end(kind, "2026-06-10T10:00:00+01:00"),
                review("2026-06-11T10:00:00+01:00"),
            ],
        );
        assert_eq!(
            check("RUI-REVIEW", &late, "2026-07-01T00:00:00Z"),
            vec![(
                Status::Overdue,
                s("S1"),
                s("2026-06-05T23:59:59+01:00"),
                None
            )],
            "{kind}"
        );
    }
}

/// Reported on 2 March 09:00 with oral and anal contact from an offence ending 23:00 on 1 March:
/// the window closes at 23:00 on 4 March.
pub(super) fn window_open(more: &[String]) -> Vec<String> {
    let mut lines = vec![
        ev(
            "2026-03-02T09:00:00Z",
            "report_received",
            json!({"offences": ["SOA2003-s1"], "offence_from": "2026-03-01T20:00:00Z", "offence_to": "2026-03-01T23:00:00Z", "penetration": ["oral", "anal"]}),
        ),
        ev(
            "2026-03-02T09:00:00Z",
            "person_added",
            json!({"person": "V1", "role": "victim"}),
        ),
    ];
    lines.extend_from_slice(more);
    lines
}

pub(super) fn offered(at: &str) -> String {
    ev(at, "forensic_exam_offered", json!({"person": "V1"}))
}

#[test]
fn forensic_window_stops_at_the_end_of_the_investigation() {
    for kind in ENDS {
        let early = window_open(&[end(kind, "2026-03-03T10:00:00Z")]);
        assert_eq!(
            check("FOR-WINDOW", &early, "2026-03-03T09:00:00Z"),
            vec![(Status::Due, None, s("2026-03-04T23:00:00+00:00"), None)],
            "{kind}"
        );
        // Ended while the window was open, with no offer: the window no longer applies, and an
        // offer after the end completes nothing.
        assert!(
            check("FOR-WINDOW", &early, "2026-03-06T00:00:00Z").is_empty(),
            "{kind}"
        );
        let offered_after = window_open(&[
            end(kind, "2026-03-03T10:00:00Z"),
            offered("2026-03-03T12:00:00Z"),
        ]);
        assert!(
            check("FOR-WINDOW", &offered_after, "2026-03-06T00:00:00Z").is_empty(),
            "{kind}"
        );
        // An offer before the end stands.
        let offered_before = window_open(&[
            offered("2026-03-02T10:00:00Z"),
            end(kind, "2026-03-03T10:00:00Z"),
        ]);
        assert_eq!(
            check("FOR-WINDOW", &offered_before, "2026-03-06T00:00:00Z"),
            vec![(
                Status::Met,
                None,
                s("2026-03-04T23:00:00+00:00"),
                s("2026-03-02T10:00:00Z")
            )],
            "{kind}"
        );
        // Ended after the window closed without an offer: overdue as it stood.
        let missed = window_open(&[end(kind, "2026-03-05T10:00:00Z")]);
        assert_eq!(
            check("FOR-WINDOW", &missed, "2026-03-10T00:00:00Z"),
            vec![(Status::Overdue, None, s("2026-03-04T23:00:00+00:00"), None)],
            "{kind}"
        );
    }
}

/// What a decision not to investigate triggers, and the duties to the victim that do not depend on
/// an investigation, still apply after it: decided Friday 20 March, a review requested Wednesday
/// 25 March.
#[test]
fn a_decision_not_to_investigate_leaves_the_victims_rights_in_place() {
    let lines = with(
        reviewed_once(),
        &[
            end("decision_not_to_investigate", "2026-03-20T10:00:00Z"),
            ev(
                "2026-03-25T10:00:00Z",
                "vrr_requested",
                json!({"person": "V1"}),
            ),
        ],
    );
    let now = "2026-05-01T00:00:00Z";
    // Told within 1 working day (enhanced rights): by the end of Monday 23 March.
    assert_eq!(
        check("VC-NO-INVESTIGATE", &lines, now),
        vec![(
            Status::Overdue,
            s("V1"),
            s("2026-03-23T23:59:59+00:00"),
            None
        )]
    );
    // Referral within 2 working days of the report (Friday 6 March): Tuesday 10 March.
    assert_eq!(
        check("VC-REFERRAL", &lines, now),
        vec![(
            Status::Overdue,
            s("V1"),
            s("2026-03-10T23:59:59+00:00"),
            None
        )]
    );
    // 10 working days from 25 March, skipping Good Friday (3 April) and Easter Monday (6 April).
    assert_eq!(
        check("VRR-ACK", &lines, now),
        vec![(
            Status::Overdue,
            s("V1"),
            s("2026-04-10T23:59:59+01:00"),
            None
        )]
    );
    assert!(check("SUP-REVIEW", &lines, now).is_empty());
}
