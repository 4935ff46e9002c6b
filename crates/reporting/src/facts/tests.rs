use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
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
                    turned_overdue.insert(taken.rule.to_string());
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
        assert_eq!(
            CaseFacts::from_bytes(&facts.to_bytes()).expect("facts"),
            facts
        );
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

mod binary_form {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;
    use crate::facts::binary::{self, FORMAT};

    fn national_rule() -> impl Strategy<Value = Cow<'static, str>> {
        let count = domain::rules::NATIONAL_RULES.len();
        prop_oneof![
            (0..count).prop_map(|i| Cow::Borrowed(domain::rules::NATIONAL_RULES[i].id)),
            "[A-Z-]{0,12}".prop_map(Cow::Owned),
        ]
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce())
            .prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).expect("in range"))
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let (min, max) = (
            DateTime::<Utc>::MIN_UTC.timestamp(),
            DateTime::<Utc>::MAX_UTC.timestamp(),
        );
        (min..max, 0u32..2_000_000_000)
            .prop_filter_map("in range", |(s, n)| DateTime::from_timestamp(s, n))
    }

    fn finding() -> impl Strategy<Value = FactFinding> {
        (
            national_rule(),
            proptest::option::of("[A-Z][0-9]{1,2}|.{0,3}"),
            proptest::sample::select(Status::ALL.to_vec()),
            date(),
            proptest::option::of(instant()),
            proptest::option::of(any::<i64>()),
            0u8..3,
        )
            .prop_map(
                |(rule, person, status, trigger_on, due_by, done_at, rule_set)| FactFinding {
                    rule,
                    rule_set,
                    person,
                    status,
                    trigger_on,
                    due_by,
                    done_at,
                },
            )
    }

    fn tally() -> impl Strategy<Value = CompletedTally> {
        (national_rule(), 0u8..3, any::<u32>(), any::<u32>()).prop_map(
            |(rule, rule_set, met, met_late)| CompletedTally {
                rule,
                rule_set,
                met,
                met_late,
            },
        )
    }

    fn facts() -> impl Strategy<Value = CaseFacts> {
        (
            (".{0,6}", date(), instant()),
            (
                proptest::collection::vec(".{0,8}", 0..4),
                proptest::collection::vec(".{0,8}", 0..4),
            ),
            (
                proptest::option::of(any::<u32>()),
                proptest::option::of(any::<i64>()),
                proptest::option::of(any::<i64>()),
                proptest::option::of(any::<i64>()),
                proptest::option::of(".{0,10}"),
            ),
            (
                proptest::collection::vec(finding(), 0..20),
                proptest::collection::vec(tally(), 0..4),
            ),
            proptest::collection::vec(".{0,16}", 3),
        )
            .prop_map(
                |(
                    (force, reported_on, last_event_at),
                    (offences_reported, offences_recorded),
                    (outcome, days_to_outcome, days_to_charge, days_to_first_update, officer),
                    (findings, completed),
                    rule_sets,
                )| CaseFacts {
                    force,
                    reported_on,
                    last_event_at,
                    offences_reported,
                    offences_recorded,
                    outcome,
                    days_to_outcome,
                    days_to_charge,
                    days_to_first_update,
                    officer,
                    rule_sets,
                    findings,
                    completed,
                },
            )
    }

    proptest! {
        /// Any facts, however extreme their values, read back exactly as written.
        #[test]
        fn any_facts_read_back_as_written(facts in facts()) {
            let bytes = facts.to_bytes();
            prop_assert_eq!(bytes[0], FORMAT);
            prop_assert_eq!(CaseFacts::from_bytes(&bytes).expect("facts"), facts);
        }

        /// Damaged facts are an error, never a panic or a silent misreading of the length.
        #[test]
        fn damaged_facts_are_an_error_or_other_facts(facts in facts(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut bytes = facts.to_bytes();
            let at = at.index(bytes.len());
            bytes[at] = byte;
            // A changed byte may still spell valid facts (another value); it must not panic.
            let _ = CaseFacts::from_bytes(&bytes);
            let whole = facts.to_bytes();
            for end in 0..whole.len() {
                prop_assert!(CaseFacts::from_bytes(&whole[..end]).is_err(), "cut at {}", end);
            }
        }
    }

    #[test]
    fn json_and_other_formats_are_refused_with_where() {
        let error = CaseFacts::from_bytes(br#"{"f":"NM","r":"2025-01-01"}"#).expect_err("JSON");
        assert_eq!(error.at, 1);
        assert!(error.to_string().contains("format 4"), "{error}");
        let (_, cases) = generated();
        let rules = RuleSet::national();
        let mut bytes = CaseFacts::of(&cases[0], &rules).expect("facts").to_bytes();
        bytes.push(0);
        let error = CaseFacts::from_bytes(&bytes).expect_err("a byte too many");
        assert_eq!(error.what, "bytes left after the facts");
    }

    /// The point of the binary form: generated cases take a fraction of their JSON size.
    #[test]
    fn generated_facts_are_small() {
        let (_, cases) = generated();
        let rules = RuleSet::national();
        let (mut total, mut count) = (0, 0);
        for case in &cases {
            if let Some(facts) = CaseFacts::of(case, &rules) {
                total += binary::encode(&facts).len();
                count += 1;
            }
        }
        let mean = total / count;
        // About 210 bytes in format 3; format 4's counts of completed rolling instances (and, for
        // cases whose instances span both rule set versions, the second version's id) bring it to
        // about 250, still under a third of the JSON form's 900.
        assert!(mean < 275, "{mean} bytes a case on average");
    }
}
