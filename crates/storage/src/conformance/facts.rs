//! Conformance of the report facts: kept in the append transaction (for new cases and for appends
//! to existing ones), read with the date range and force filtered by the store, cases with events
//! after the report's instant handed over in full, refused under another basis, and rebuilt.

use chrono::{DateTime, NaiveDate, Utc};
use domain::RuleSet;
use reporting::{Report, ReportBuilder, RulesInForce, Scope};

use super::{officer, sample_appends};
use crate::access::{Access, Purpose};
use crate::error::StoreResult;
use crate::facts::FactsQuery;
use crate::model::{Append, ExpectedVersion, NewEvent};
use crate::store::*;

fn event(
    force: &str,
    reference: &str,
    at: &str,
    kind: &str,
    fields: serde_json::Value,
) -> NewEvent {
    let mut line = serde_json::json!({"case": reference, "force": force, "at": at, "kind": kind});
    if let (Some(target), serde_json::Value::Object(extra)) = (line.as_object_mut(), fields) {
        target.extend(extra);
    }
    match NewEvent::from_line(&line.to_string(), 0) {
        Ok(event) => event,
        Err(error) => panic!("event does not parse: {error}"),
    }
}

fn instant(text: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.with_timezone(&Utc),
        Err(error) => panic!("bad instant {text}: {error}"),
    }
}

fn scope(force: Option<&str>, as_of: DateTime<Utc>, rules: &RuleSet) -> Scope {
    Scope {
        force: force.map(str::to_owned),
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
        as_of,
        rule_set: rules.config().id.clone(),
        shared: false,
    }
}

/// The report over `scope` from the store's facts alone, with the repeat-suspect figure from its
/// links; `None` when the store declines its facts (missing, or taken under another basis). What
/// a report then does (evaluate every case: `reports::build_report`) is decided above the store;
/// the checks hold the store to its part.
pub async fn facts_report<'r, S: Store + ?Sized>(
    store: &S,
    access: &Access,
    rules: impl Into<RulesInForce<'r>>,
    scope: Scope,
) -> StoreResult<Option<Report>> {
    let rules = rules.into();
    let query = FactsQuery::for_scope(&scope, rules);
    let mut builder = ReportBuilder::new(rules, scope);
    let read = store
        .report_facts(access, &query, &mut |input| {
            builder.add_input(&input);
            Ok(())
        })
        .await?;
    if read.is_none() {
        return Ok(None);
    }
    let mut report = builder.finish();
    let counts = store
        .repeat_suspects(access, query.force.as_deref())
        .await?;
    report.repeat_suspects = Some(counts.into());
    Ok(Some(report))
}

/// The report by streaming and evaluating every case: what facts must reproduce.
pub async fn full_report<'r, S: Store + ?Sized>(
    store: &S,
    access: &Access,
    rules: impl Into<RulesInForce<'r>>,
    scope: Scope,
) -> StoreResult<Report> {
    let force = scope.force.clone();
    let mut builder = ReportBuilder::new(rules, scope);
    store
        .stream_cases(access, force.as_deref(), &mut |stored| {
            builder.add(&stored.case);
            Ok(())
        })
        .await?;
    let mut report = builder.finish();
    // The repeat-suspect figure comes from the store's links, as a report adds it.
    let counts = store.repeat_suspects(access, force.as_deref()).await?;
    report.repeat_suspects = Some(counts.into());
    Ok(report)
}

/// Reports from the store's facts equal reports by full evaluation, at instants before and after
/// a case's latest event, for one force and for all; another basis is refused; a rebuild keeps
/// the figures.
pub async fn report_facts<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    // An append to an existing case rewrites its facts; OT-1 gets an event far ahead.
    store
        .append(
            &officer(),
            vec![
                Append {
                    case: crate::conformance::key("exampleshire", "EX-1"),
                    expected: ExpectedVersion::Any,
                    events: vec![
                        event("exampleshire", "EX-1", "2026-03-02T10:00:00Z", "crime_recorded", serde_json::json!({"id": "ex1-9", "offences": ["SOA2003-s1"]})),
                        event("exampleshire", "EX-1", "2026-03-04T10:00:00Z", "case_closed", serde_json::json!({"id": "ex1-10", "outcome": 15, "suspect_identified": true, "victim_supports": true})),
                    ],
                },
                Append {
                    case: crate::conformance::key("otherton", "OT-1"),
                    expected: ExpectedVersion::Any,
                    events: vec![event("otherton", "OT-1", "2026-09-01T10:00:00Z", "jurisdiction_assessed", serde_json::json!({"id": "ot1-2"}))],
                },
            ],
        )
        .await?;
    let rules = RuleSet::national();
    let access = Access::new("report:test", Purpose::Reporting);
    for as_of in [
        "2026-03-03T12:00:00Z",
        "2026-06-01T00:00:00Z",
        "2026-09-01T10:00:00Z",
        "2027-06-01T00:00:00Z",
    ] {
        for force in [None, Some("exampleshire"), Some("otherton")] {
            let scope = scope(force, instant(as_of), &rules);
            let expected = full_report(store, &access, &rules, scope.clone()).await?;
            let report = facts_report(store, &access, &rules, scope).await?;
            assert_eq!(
                report,
                Some(expected),
                "facts are kept from the first append: report at {as_of} for {force:?}"
            );
        }
    }
    let late = full_report(
        store,
        &access,
        &rules,
        scope(None, instant("2027-06-01T00:00:00Z"), &rules),
    )
    .await?;
    assert_eq!(late.cases, 3);
    assert_eq!(late.outcomes[15], 1, "the appended closure is in the facts");
    // Facts taken under another rule set are not used (and nothing is read).
    let audited = store.audit_records(0, u64::MAX).await?.len();
    let mut other = FactsQuery::for_scope(&scope(None, instant(late_instant()), &rules), &rules);
    other.basis = "another-rule-set".into();
    let mut streamed = 0;
    let used = store
        .report_facts(&access, &other, &mut |_| {
            streamed += 1;
            Ok(())
        })
        .await?;
    assert_eq!((used, streamed), (None, 0));
    assert_eq!(store.audit_records(0, u64::MAX).await?.len(), audited);
    // A rebuild covers every case and changes no figure.
    let admin = Access::new("admin:test", Purpose::Administration);
    assert_eq!(store.rebuild_report_facts(&admin).await?, 3);
    let rebuilt = facts_report(
        store,
        &access,
        &rules,
        scope(None, instant(late_instant()), &rules),
    )
    .await?;
    assert_eq!(rebuilt, Some(late));
    Ok(())
}

fn late_instant() -> &'static str {
    "2027-06-01T00:00:00Z"
}
