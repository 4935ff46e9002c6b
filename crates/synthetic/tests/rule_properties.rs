//! Properties of the national rules over generated cases: statuses agree with their deadlines, and
//! the passing of time alone only turns `due` into `overdue`.

use chrono::{DateTime, Duration, Utc};
use domain::{Case, Finding, RuleSet, Status};
use proptest::prelude::*;

fn generated(seed: u64, index: usize) -> Case {
    let settings = synthetic::Settings::new(seed, 3);
    let forces = synthetic::force_codes(3);
    synthetic::case(&settings, &forces, index)
}

fn consistent(finding: &Finding, now: DateTime<Utc>) -> Result<(), String> {
    let done = finding.done_at.map(|at| at.with_timezone(&Utc));
    let ok = match finding.status {
        Status::Met => {
            done.is_some()
                && finding
                    .due_by
                    .is_none_or(|due| done.is_some_and(|d| d <= due))
        }
        Status::MetLate => matches!((done, finding.due_by), (Some(d), Some(due)) if d > due),
        Status::Due => done.is_none() && finding.due_by.is_some_and(|due| now <= due),
        Status::Overdue => done.is_none() && finding.due_by.is_some_and(|due| now > due),
        Status::Breached | Status::Advice => done.is_none() && finding.due_by.is_none(),
    };
    let trigger_seen = finding.trigger_at.with_timezone(&Utc) <= now;
    let done_seen = done.is_none_or(|d| d <= now);
    if ok && trigger_seen && done_seen {
        Ok(())
    } else {
        Err(format!("{finding:?} at {now}"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn statuses_agree_with_deadlines(seed in 0u64..1000, index in 0usize..10_000, days in 0i64..1200) {
        let case = generated(seed, index);
        let start = case.events()[0].at.with_timezone(&Utc);
        let now = start + Duration::days(days);
        for finding in RuleSet::national().evaluate(&case, now) {
            prop_assert!(consistent(&finding, now).is_ok(), "{}", consistent(&finding, now).err().unwrap_or_default());
        }
    }

    #[test]
    fn time_passing_alone_only_turns_due_into_overdue(seed in 0u64..1000, index in 0usize..10_000, later in 0i64..400) {
        let case = generated(seed, index);
        let Some(last) = case.events().last() else { return Ok(()) };
        let now = last.at.with_timezone(&Utc);
        let rules = RuleSet::national();
        let before = rules.evaluate(&case, now);
        let after = rules.evaluate(&case, now + Duration::days(later));
        prop_assert_eq!(before.len(), after.len());
        for (a, b) in before.iter().zip(&after) {
            if a.status == Status::Due && b.status == Status::Overdue {
                prop_assert_eq!((&a.rule, &a.person, a.due_by), (&b.rule, &b.person, b.due_by));
            } else {
                prop_assert_eq!(a, b);
            }
        }
    }
}

/// The national rule set is each version on its own side of 12 January 2026: a finding triggered
/// before the date is exactly the finding `national-2021-04` alone makes, one triggered on or after
/// it the finding `national-2026-01` alone makes (rule indices compared by id).
fn split_by_version(case: &Case, now: DateTime<Utc>) -> Result<(), String> {
    use domain::rules::RuleSetConfig;
    use domain::time::Calendar;
    let national = RuleSet::national();
    let boundary = national.versions()[1].window().from.ok_or("a start")?;
    let alone = |config: RuleSetConfig| RuleSet::new(config, Calendar::england_and_wales());
    let key = |rules: &RuleSet, f: &Finding| {
        (
            rules.rule(f.rule).id.to_string(),
            f.person.clone(),
            f.trigger,
            f.trigger_at,
            f.status,
            f.due_by,
            f.done_at,
        )
    };
    let mut expected = Vec::new();
    for (config, before) in [
        (RuleSetConfig::national_2021_04(), true),
        (RuleSetConfig::national_2026_01(), false),
    ] {
        let rules = alone(config);
        expected.extend(
            rules
                .evaluate(case, now)
                .iter()
                .filter(|f| (f.trigger_at < boundary) == before)
                .map(|f| key(&rules, f)),
        );
    }
    let mut found: Vec<_> = national
        .evaluate(case, now)
        .iter()
        .map(|f| {
            let version = &national.versions()[usize::from(f.version)];
            assert!(version.window().contains(&f.trigger_at));
            key(&national, f)
        })
        .collect();
    expected.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    found.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    if expected == found {
        Ok(())
    } else {
        Err(format!("{:?}: {expected:?} != {found:?}", case.key))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn each_version_judges_its_own_side_of_the_date(seed in 0u64..1000, index in 0usize..10_000, days in 0i64..1200) {
        let case = generated(seed, index);
        let start = case.events()[0].at.with_timezone(&Utc);
        let now = start + Duration::days(days);
        let result = split_by_version(&case, now);
        prop_assert!(result.is_ok(), "{}", result.err().unwrap_or_default());
    }
}

/// The end of the investigation (the first `case_closed` or `decision_not_to_investigate`), if any
/// is visible at `now`.
fn investigation_end(case: &Case, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use domain::interchange::Kind;
    case.events()
        .iter()
        .filter(|event| event.at <= now)
        .find(|event| {
            matches!(
                event.kind(),
                Kind::CaseClosed | Kind::DecisionNotToInvestigate
            )
        })
        .map(|event| event.at.with_timezone(&Utc))
}

/// After the end of the investigation, the rules that stop there (`docs/rules.md`, "What stops a
/// rolling rule") show only what stood at the end: an open instance was missed before it, a
/// completed one was done by it, alike in the findings and in the replay reports count; and what
/// they show is what they showed at the end, whatever was recorded after it.
fn stopped_at_the_end(case: &Case, now: DateTime<Utc>) -> Result<(), String> {
    let Some(end) = investigation_end(case, now) else {
        return Ok(());
    };
    let rules = RuleSet::national();
    // The list the web relies on to show these findings as missed: this property holds it to
    // what the rules do.
    let stopping = domain::rules::STOPPED_AT_INVESTIGATION_END;
    let seen = |at: DateTime<Utc>| {
        let mut findings: Vec<Finding> = rules
            .evaluate(case, at)
            .into_iter()
            .filter(|f| stopping.contains(&rules.rule(f.rule).id.as_ref()))
            .collect();
        let open = findings.len();
        rules.completed_rolling_into(
            case,
            at,
            &mut domain::rules::Scratch::default(),
            &mut findings,
        );
        (open, findings)
    };
    let (open, found) = seen(now);
    for (position, finding) in found.iter().enumerate() {
        let done = finding.done_at.map(|at| at.with_timezone(&Utc));
        let fine = match done {
            Some(done) => done <= end,
            None => {
                position < open
                    && finding.status == Status::Overdue
                    && finding.due_by.is_some_and(|due| due < end)
            }
        };
        if !fine {
            return Err(format!(
                "{:?}: {finding:?} after the end at {end}",
                case.key
            ));
        }
    }
    if seen(end) != (open, found) {
        return Err(format!(
            "{:?}: changed between the end at {end} and {now}",
            case.key
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn rolling_rules_and_the_forensic_window_stop_at_the_end(seed in 0u64..1000, index in 0usize..10_000, days in 0i64..1200) {
        let case = generated(seed, index);
        let start = case.events()[0].at.with_timezone(&Utc);
        let now = start + Duration::days(days);
        let result = stopped_at_the_end(&case, now);
        prop_assert!(result.is_ok(), "{}", result.err().unwrap_or_default());
    }
}
