//! Every national rule of both versions can be cleared from the browser: for each rule, a case
//! is set up (by import) so that the rule has something to judge, then the event that completes
//! the rule is recorded through its own record page (the form a person would fill, with a past
//! "when did this happen"), and the finding turns `met` (rolling rules, which are never `met`
//! by construction, move their next deadline on). A rule of a version without a scenario here
//! fails the test; so does a scenario whose form cannot record it.
//!
//! Where the finding was open before, the case page's "what needs doing" lists it, linked to the
//! record page that clears it.

mod common;

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde_json::{Value, json};
use storage::{Access, Append, ExpectedVersion, NewEvent, Purpose};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A finding of the rule (of this version) turns `met`; none was before.
    Met,
    /// The rule's open finding's deadline moves later (rolling rules).
    Rolls,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Base {
    /// Reported at T0 in England; a victim V1 (30) and a suspect S1; inv is the officer in case
    /// and sup the supervisor.
    Plain,
    /// The same, the offence three hours before the report with vaginal penetration reported.
    Forensic,
    /// The same, the offence in France.
    Abroad,
}

struct Scenario {
    rule: &'static str,
    base: Base,
    /// Events after T0 (minutes, kind, fields), imported before recording.
    setup: Vec<(i64, &'static str, Value)>,
    /// What is recorded through the record page: minutes after T0, kind, form fields.
    record: (i64, &'static str, Vec<(&'static str, &'static str)>),
    expect: Expect,
}

const H: i64 = 60;
const D: i64 = 24 * 60;

fn s(
    rule: &'static str,
    setup: Vec<(i64, &'static str, Value)>,
    record: (i64, &'static str, Vec<(&'static str, &'static str)>),
) -> Scenario {
    Scenario {
        rule,
        base: Base::Plain,
        setup,
        record,
        expect: Expect::Met,
    }
}

fn scenarios() -> Vec<Scenario> {
    let mut all = vec![
        s(
            "REC-24H",
            vec![],
            (H, "crime_recorded", vec![("offences", "SOA2003-s1")]),
        ),
        s(
            "VC-CONFIRM",
            vec![],
            (H, "written_confirmation_sent", vec![("person", "V1")]),
        ),
        s(
            "VC-NEEDS",
            vec![],
            (H, "needs_assessment", vec![("person", "V1")]),
        ),
        s(
            "VC-REFERRAL",
            vec![],
            (
                H,
                "support_referral",
                vec![("person", "V1"), ("service", "Rape Crisis")],
            ),
        ),
        s(
            "ISVA-OFFER",
            vec![],
            (
                H,
                "isva_offered",
                vec![("person", "V1"), ("accepted", "yes")],
            ),
        ),
        s(
            "VC-INFORM",
            vec![(2 * H, "suspect_arrested", json!({"person": "S1"}))],
            (
                3 * H,
                "victim_informed",
                vec![("person", "V1"), ("about", "arrest")],
            ),
        ),
        s(
            "VC-NO-INVESTIGATE",
            vec![(
                D,
                "decision_not_to_investigate",
                json!({"reason": "no offence disclosed"}),
            )],
            (
                D + H,
                "victim_informed",
                vec![("person", "V1"), ("about", "not_investigated")],
            ),
        ),
        Scenario {
            expect: Expect::Rolls,
            ..s(
                "VC-UPDATE",
                vec![(
                    H,
                    "update_cadence_agreed",
                    json!({"person": "V1", "every_days": 14}),
                )],
                (
                    2 * D,
                    "victim_informed",
                    vec![("person", "V1"), ("about", "update")],
                ),
            )
        },
        s(
            "VC-VPS",
            vec![],
            (
                D,
                "statement_taken",
                vec![
                    ("person", "V1"),
                    ("evidential", "yes"),
                    ("vps_offered", "yes"),
                ],
            ),
        ),
        s(
            "VC-GENDER",
            vec![],
            (
                D,
                "victim_interviewed",
                vec![
                    ("person", "V1"),
                    ("mode", "abe"),
                    ("gender_preference_asked", "yes"),
                ],
            ),
        ),
        s(
            "VRR-ACK",
            vec![(2 * D, "vrr_requested", json!({"person": "V1"}))],
            (3 * D, "vrr_acknowledged", vec![("person", "V1")]),
        ),
        s(
            "VRR-DECIDE",
            vec![(2 * D, "vrr_requested", json!({"person": "V1"}))],
            (3 * D, "vrr_decided", vec![("person", "V1")]),
        ),
        s(
            "BAIL-PERIOD",
            vec![
                (H, "suspect_arrested", json!({"person": "S1"})),
                (5 * H, "suspect_bailed", json!({"person": "S1"})),
            ],
            (10 * D, "bail_ended", vec![("person", "S1")]),
        ),
        s(
            "BAIL-VIEWS",
            vec![(H, "suspect_arrested", json!({"person": "S1"}))],
            (
                D,
                "suspect_bailed",
                vec![
                    ("person", "S1"),
                    ("conditions", "yes"),
                    ("victim_views_sought", "yes"),
                ],
            ),
        ),
        Scenario {
            expect: Expect::Rolls,
            ..s(
                "RUI-REVIEW",
                vec![(D, "suspect_released_rui", json!({"person": "S1"}))],
                (
                    5 * D,
                    "supervisor_review",
                    vec![("note", "RUI reviewed, enquiries set")],
                ),
            )
        },
        Scenario {
            expect: Expect::Rolls,
            ..s(
                "SUP-REVIEW",
                vec![],
                (
                    2 * D,
                    "supervisor_review",
                    vec![("note", "first review: plan agreed")],
                ),
            )
        },
        s(
            "DIG-SAFEGUARDS",
            vec![],
            (
                D,
                "device_extraction",
                vec![
                    ("person", "V1"),
                    ("notice_given", "yes"),
                    ("agreement_recorded", "yes"),
                    (
                        "rationale.relevance",
                        "messages from the suspect that night",
                    ),
                    ("rationale.necessity", "no other source of the messages"),
                    ("rationale.proportionality", "one day of messages only"),
                    (
                        "rationale.less_intrusive",
                        "screenshots were refused by the provider",
                    ),
                    ("no_undue_pressure", "yes"),
                    ("confirmation_recorded", "yes"),
                    ("copy_given", "yes"),
                ],
            ),
        ),
        s(
            "TPM-RATIONALE",
            vec![],
            (D, "third_party_request", tpm_fields()),
        ),
        Scenario {
            base: Base::Forensic,
            ..s(
                "FOR-WINDOW",
                vec![],
                (
                    H,
                    "forensic_exam_offered",
                    vec![("person", "V1"), ("accepted", "yes")],
                ),
            )
        },
        s(
            "CHG-CPS",
            vec![],
            (2 * D, "charging_decision", charge(false)),
        ),
        s(
            "CHG-THRESHOLD",
            vec![],
            (2 * D, "charging_decision", charge(true)),
        ),
        s(
            "OUT-VALID",
            vec![],
            (
                3 * D,
                "case_closed",
                vec![("outcome", "18"), ("suspect_identified", "no")],
            ),
        ),
        Scenario {
            base: Base::Abroad,
            ..s(
                "JUR-ABROAD",
                vec![],
                (
                    D,
                    "jurisdiction_assessed",
                    vec![
                        ("decision", "england_wales"),
                        ("basis", "suspect is a UK national (SOA 2003 s72)"),
                    ],
                ),
            )
        },
        // national-2026-01 only.
        s("TPM-HELD", vec![], (D, "third_party_request", tpm_fields())),
        s(
            "TPM-NECESSITY",
            vec![],
            (D, "third_party_request", tpm_fields()),
        ),
        s(
            "TPM-COUNSELLING",
            vec![],
            (D, "third_party_request", tpm_fields()),
        ),
        s(
            "TPM-NOTICE",
            vec![(
                D,
                "third_party_request",
                json!({"person": "V1", "holder": "Northfield GP surgery", "expected": "x", "line_of_enquiry": "x", "necessity": "x", "held_because": "registered patient"}),
            )],
            (
                D + H,
                "information_notice_given",
                vec![
                    ("person", "V1"),
                    ("holder", "Northfield GP surgery"),
                    ("content", "information_sought"),
                    ("content", "reason"),
                    ("content", "handling"),
                ],
            ),
        ),
        s(
            "CHG-EARLY-ADVICE",
            vec![(
                2 * D,
                "charging_decision",
                json!({"person": "S1", "by": "cps", "decision": "charge", "test": "full_code", "offences": ["SOA2003-s1"]}),
            )],
            (
                D,
                "early_advice",
                vec![("summary", "advice on the forensic strategy")],
            ),
        ),
        s(
            "EVD-ABE-PLAN",
            vec![(
                2 * D,
                "victim_interviewed",
                json!({"person": "V1", "gender_preference_asked": true}),
            )],
            (
                D,
                "interview_planned",
                vec![
                    ("person", "V1"),
                    ("mode", "abe"),
                    ("intermediary_considered", "yes"),
                ],
            ),
        ),
        s(
            "EVD-INTERMEDIARY",
            vec![(
                2 * D,
                "victim_interviewed",
                json!({"person": "V1", "gender_preference_asked": true}),
            )],
            (
                D,
                "interview_planned",
                vec![
                    ("person", "V1"),
                    ("intermediary_considered", "yes"),
                    ("intermediary_needed", "no"),
                ],
            ),
        ),
        s(
            "EVD-SPECIAL-MEASURES",
            vec![(
                2 * D,
                "suspect_charged",
                json!({"person": "S1", "offences": ["SOA2003-s1"]}),
            )],
            (
                3 * D,
                "special_measures_applied",
                vec![
                    ("person", "V1"),
                    ("measures", "screens"),
                    ("measures", "live_link"),
                ],
            ),
        ),
        s(
            "EVD-INTERVIEWS",
            vec![(
                D,
                "victim_interviewed",
                json!({"person": "V1", "gender_preference_asked": true}),
            )],
            (
                2 * D,
                "victim_interviewed",
                vec![
                    ("person", "V1"),
                    ("gender_preference_asked", "yes"),
                    ("further_interview_reason", "new evidence from the phone"),
                ],
            ),
        ),
        s(
            "EVD-WITHDRAWAL",
            vec![
                (D, "victim_withdrawal", json!({"person": "V1"})),
                (
                    2 * D,
                    "supervisor_review",
                    json!({"officer": "sup", "note": "withdrawal reviewed"}),
                ),
            ],
            (
                3 * D,
                "case_closed",
                vec![
                    ("outcome", "16"),
                    ("suspect_identified", "yes"),
                    ("victim_supports", "no"),
                ],
            ),
        ),
        s(
            "PROP-RETURN",
            vec![(
                H,
                "property_taken",
                json!({"person": "V1", "item": "PH-1", "device": true}),
            )],
            (
                5 * H,
                "property_returned",
                vec![("person", "V1"), ("item", "PH-1")],
            ),
        ),
        s(
            "VRR-INFORM",
            vec![
                (
                    D,
                    "suspect_interviewed",
                    json!({"person": "S1", "under_caution": true}),
                ),
                (
                    2 * D,
                    "charging_decision",
                    json!({"person": "S1", "by": "cps", "decision": "no_further_action", "test": "full_code"}),
                ),
            ],
            (
                2 * D + H,
                "victim_informed",
                vec![("person", "V1"), ("about", "vrr")],
            ),
        ),
    ];
    all.sort_by_key(|s| s.rule);
    all
}

fn tpm_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("person", "V1"),
        ("holder", "Northfield counselling service"),
        ("expected", "notes of the first disclosure"),
        ("line_of_enquiry", "the account was first given there"),
        ("necessity", "no other record of the first account"),
        ("victim_informed", "yes"),
        ("held_because", "the victim says she told her counsellor"),
        ("counselling", "yes"),
        ("probative_value", "the only record of the first account"),
    ]
}

fn charge(threshold: bool) -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![
        ("person", "S1"),
        ("by", "cps"),
        ("decision", "charge"),
        ("offences", "SOA2003-s1"),
    ];
    if threshold {
        fields.push(("test", "threshold"));
        for condition in [
            "insufficient_now",
            "further_evidence_expected",
            "seriousness",
            "bail_grounds",
            "reasonable_suspicion",
            "realistic_prospect",
            "public_interest",
        ] {
            fields.push(("threshold_conditions", condition));
        }
    } else {
        fields.push(("test", "full_code"));
    }
    fields
}

fn line(reference: &str, at: DateTime<Utc>, kind: &str, fields: &Value) -> String {
    let mut object = json!({
        "case": reference, "force": common::FORCE,
        "at": at.to_rfc3339_opts(SecondsFormat::Secs, true), "kind": kind,
    });
    if let (Some(o), Some(f)) = (object.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            o.insert(k.clone(), v.clone());
        }
    }
    object.to_string()
}

async fn set_up(server: &common::Server, reference: &str, t0: DateTime<Utc>, scenario: &Scenario) {
    let report = match scenario.base {
        Base::Plain => {
            json!({"channel": "101", "offences": ["SOA2003-s1"], "location": {"country": "GB", "nation": "england"}})
        }
        Base::Forensic => json!({
            "channel": "999", "offences": ["SOA2003-s1"], "penetration": ["vaginal"],
            "offence_from": (t0 - Duration::hours(3)).to_rfc3339_opts(SecondsFormat::Secs, true),
        }),
        Base::Abroad => {
            json!({"channel": "in_person", "offences": ["SOA2003-s1"], "location": {"country": "FR"}})
        }
    };
    let mut lines = vec![
        line(reference, t0, "report_received", &report),
        line(
            reference,
            t0 + Duration::minutes(1),
            "person_added",
            &json!({"person": "V1", "role": "victim", "age_at_offence": 30}),
        ),
        line(
            reference,
            t0 + Duration::minutes(2),
            "person_added",
            &json!({"person": "S1", "role": "suspect", "age_at_offence": 35}),
        ),
        line(
            reference,
            t0 + Duration::minutes(3),
            "officer_allocated",
            &json!({"officer": "inv", "role": "oic"}),
        ),
        line(
            reference,
            t0 + Duration::minutes(4),
            "officer_allocated",
            &json!({"officer": "sup", "role": "supervisor"}),
        ),
    ];
    for (minutes, kind, fields) in &scenario.setup {
        lines.push(line(
            reference,
            t0 + Duration::minutes(*minutes),
            kind,
            fields,
        ));
    }
    let events = lines
        .iter()
        .map(|l| NewEvent::from_line(l, 0).expect("valid line"))
        .collect();
    server
        .store
        .append(
            &Access::new("test", Purpose::Import),
            vec![Append {
                case: domain::CaseKey {
                    force: common::FORCE.into(),
                    reference: reference.into(),
                },
                expected: ExpectedVersion::NoCase,
                events,
            }],
        )
        .await
        .expect("set up the case");
}

async fn findings(
    server: &common::Server,
    session: &common::Session,
    reference: &str,
) -> Vec<Value> {
    let response = server
        .get(
            session,
            &format!("/api/cases/{}/{reference}", common::FORCE),
        )
        .await;
    // The page session's cookie reads the API too (a GET needs no CSRF token).
    assert_eq!(response.status(), 200, "{reference}");
    let json: Value = response.json().await.expect("case json");
    json["findings"].as_array().cloned().unwrap_or_default()
}

fn of_rule<'a>(findings: &'a [Value], rule: &str, version: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| f["rule"] == rule && f["rule_set"] == version)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_of_every_version_can_be_cleared_in_the_browser() {
    let server = common::start().await;
    let inv = server.sign_in("inv").await;
    let sup = server.sign_in("sup").await;
    let rules = domain::RuleSet::national();
    let scenarios = scenarios();
    let mut failures = Vec::new();
    let mut proved = 0;
    for version in rules.versions() {
        let name = version.config().id.clone();
        // A Monday in November (GMT), well inside the version's period and in the past.
        let t0 = if name == "national-2021-04" {
            Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0).single()
        } else {
            Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).single()
        }
        .expect("t0");
        for rule in version.rule_ids() {
            let Some(scenario) = scenarios.iter().find(|s| s.rule == rule) else {
                failures.push(format!("{name} {rule}: no scenario"));
                continue;
            };
            let reference = format!("R-{}-{rule}", &name[9..13]);
            set_up(&server, &reference, t0, scenario).await;
            let (minutes, kind, fields) = &scenario.record;
            let session = match web::access::recorders(
                domain::interchange::Kind::from_name(kind).expect("kind"),
            ) {
                web::access::Recorders::Supervisors => &sup,
                _ => &inv,
            };
            let before = findings(&server, session, &reference).await;
            let before_rule = of_rule(&before, rule, &name);
            if before_rule.iter().any(|f| f["status"] == "met") {
                failures.push(format!("{name} {rule}: already met before recording"));
                continue;
            }
            // An open finding is a task on the case page, linked to the page that clears it.
            if before_rule
                .iter()
                .any(|f| f["status"] == "due" || f["status"] == "overdue")
            {
                let page = server
                    .get(session, &format!("/cases/{}/{reference}", common::FORCE))
                    .await
                    .text()
                    .await
                    .expect("case page");
                let tasks = page
                    .split("id=\"task-list\"")
                    .nth(1)
                    .and_then(|rest| rest.split("</ul>").next())
                    .unwrap_or("");
                let completing = web::kinds::completing_kinds(rule);
                let linked = completing.iter().any(|k| {
                    tasks.contains(&format!(
                        "/cases/{}/{reference}/record/{}",
                        common::FORCE,
                        k.as_str()
                    ))
                });
                if !tasks.contains(&format!("data-rule=\"{rule}\"")) || !linked {
                    failures.push(format!("{name} {rule}: not a linked task on the case page"));
                }
            }
            // The record page offers the form; the form posts with a past local date and time.
            let path = format!("/cases/{}/{reference}/record/{kind}", common::FORCE);
            let form = server.get(session, &path).await;
            if form.status() != 200 {
                failures.push(format!("{name} {rule}: {path} answered {}", form.status()));
                continue;
            }
            let at = (t0 + Duration::minutes(*minutes)).with_timezone(&London);
            let date = at.format("%Y-%m-%d").to_string();
            let time = at.format("%H:%M").to_string();
            let mut sent: Vec<(&str, &str)> = vec![("when-date", &date), ("when-time", &time)];
            sent.extend(fields.iter().copied());
            // A record that would make another finding overdue is confirmed, as a person would.
            sent.push(("confirm", "yes"));
            let response = server.post_form(session, &path, &sent).await;
            if response.status() != 303 {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                let problem = body
                    .split("govuk-error-summary__list")
                    .nth(1)
                    .map(|rest| rest.chars().take(400).collect::<String>())
                    .unwrap_or_default();
                failures.push(format!(
                    "{name} {rule}: posting {kind} answered {status}: {problem}"
                ));
                continue;
            }
            let after = findings(&server, session, &reference).await;
            let after_rule = of_rule(&after, rule, &name);
            let ok = match scenario.expect {
                Expect::Met => after_rule.iter().any(|f| f["status"] == "met"),
                Expect::Rolls => {
                    let due = |list: &[&Value]| -> Option<String> {
                        list.iter()
                            .filter(|f| f["status"] == "due" || f["status"] == "overdue")
                            .filter_map(|f| f["due_by"].as_str().map(str::to_owned))
                            .max()
                    };
                    match (due(&before_rule), due(&after_rule)) {
                        (Some(before), Some(after)) => {
                            DateTime::parse_from_rfc3339(&after).ok()
                                > DateTime::parse_from_rfc3339(&before).ok()
                        }
                        _ => false,
                    }
                }
            };
            if ok {
                proved += 1;
            } else {
                failures.push(format!(
                    "{name} {rule}: after recording {kind}: {}",
                    serde_json::to_string(&after_rule).unwrap_or_default()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "rules not cleared from the browser:\n{}",
        failures.join("\n")
    );
    let expected: usize = rules.versions().iter().map(|v| v.rule_ids().count()).sum();
    assert_eq!(proved, expected, "every rule of every version proved");
}
