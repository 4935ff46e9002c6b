//! The bulk loader (for benchmark databases) must store exactly what appends store: checked by
//! comparing a store filled by `bulk_load` with one filled by `append`, through the `Store` trait.

use chrono::{DateTime, NaiveDate, Utc};
use domain::RuleSet;
use reporting::Scope;

use super::facts_report;
use super::sample_appends;
use crate::access::{Access, Purpose};
use crate::error::StoreResult;
use crate::model::{Append, CaseFilter, ExpectedVersion, ExportOptions};
use crate::store::*;

/// The sample cases, to be stored once with `bulk_load` and once with `append`.
pub fn bulk_sample() -> Vec<Append> {
    sample_appends(ExpectedVersion::NoCase)
}

/// `bulk` was filled with [`bulk_sample`] by the bulk loader and `appended` by `Store::append`
/// (with the same access): cases, events, sealed identity, report facts and audit records agree.
pub async fn bulk_load_stores_what_append_stores<S: Store, T: Store>(
    bulk: &S,
    appended: &T,
) -> StoreResult<()> {
    let admin = Access::new("admin:test", Purpose::Administration);
    let summaries = bulk.list_cases(&admin, &CaseFilter::default()).await?;
    assert_eq!(summaries.len(), 3);
    assert_eq!(
        summaries,
        appended.list_cases(&admin, &CaseFilter::default()).await?,
        "case projections"
    );
    let export = Access::new("admin:test", Purpose::Export).with_recipient("test");
    let mut lines = (Vec::new(), Vec::new());
    bulk.export(&export, &ExportOptions::default(), &mut |line| {
        lines.0.push(line.to_owned());
        Ok(())
    })
    .await?;
    appended
        .export(&export, &ExportOptions::default(), &mut |line| {
            lines.1.push(line.to_owned());
            Ok(())
        })
        .await?;
    assert!(
        lines
            .0
            .iter()
            .any(|l| l.contains(super::PLANTED_GIVEN_NAME)),
        "sealed identity is unsealed on export"
    );
    assert_eq!(lines.0, lines.1, "exported events with identity");
    let rules = RuleSet::national();
    let access = Access::new("report:test", Purpose::Reporting);
    let scope = Scope {
        force: None,
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
        as_of: DateTime::parse_from_rfc3339("2026-07-01T00:00:00Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default(),
        rule_set: rules.config().id.clone(),
        shared: false,
    };
    let from_bulk = facts_report(bulk, &access, &rules, scope.clone()).await?;
    assert!(from_bulk.is_some(), "bulk-loaded cases have their facts");
    assert_eq!(
        from_bulk,
        facts_report(appended, &access, &rules, scope).await?
    );
    // One collection record per case, in the same order with the same details (each binding its
    // case's chain head, which differs between the two stores where an identity is sealed: the
    // ciphertext, under a random nonce, is part of the chain).
    let described = |records: Vec<crate::audit::AuditRecord>| -> Vec<(String, String, String)> {
        records
            .into_iter()
            .filter(|record| record.category == "collection")
            .map(|mut record| {
                let head = record.detail.as_object_mut().and_then(|d| d.remove("head"));
                assert!(
                    head.as_ref().and_then(|h| h.as_str()).map(str::len) == Some(64),
                    "the record of {} binds a chain head",
                    record.object
                );
                (record.object, record.actor, record.detail.to_string())
            })
            .collect()
    };
    let bulk_records = described(bulk.audit_records(0, u64::MAX).await?);
    assert_eq!(bulk_records.len(), 3);
    assert_eq!(
        bulk_records,
        described(appended.audit_records(0, u64::MAX).await?)
    );
    Ok(())
}
