//! The conformance suite: what every [`Store`] implementation must do, written against the trait
//! only. SQLite runs it in this crate's tests, and PostgreSQL runs the same [`run_all`] with its
//! own factory (`tests/postgres.rs`, when `RASSO_TEST_PG` is set).
//!
//! Each check panics (with a message) when the store misbehaves, like a test assertion.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use domain::{CaseKey, PersonKey};
use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use crate::access::{Access, Purpose};
use crate::audit::AuditEntry;
use crate::error::{StoreError, StoreResult};
use crate::keys::MasterKey;
use crate::model::{
    Append, CaseFilter, CaseStatus, EventReader, ExpectedVersion, ExportOptions, NewEvent, Session,
    User,
};
use crate::store::*;

mod bulk;
mod facts;
mod plugin_facts;
pub use bulk::{bulk_load_stores_what_append_stores, bulk_sample};
pub use facts::{facts_report, full_report, report_facts};
pub use plugin_facts::{TEST_PLUGIN_RULE, TestPlugin, plugin_report_facts};

/// A made-up victim name planted in the sample; it must never be found outside sealed storage.
pub const PLANTED_GIVEN_NAME: &str = "Zephyrine";
/// The planted family name.
pub const PLANTED_FAMILY_NAME: &str = "Quillfeatherstone";

/// A small synthetic interchange file: two forces, three cases, an unknown field, an id-less
/// event repeated twice, a victim with a planted name.
pub fn sample_lines() -> Vec<String> {
    [
        r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-02T09:15:00Z","kind":"report_received","id":"ex1-1","channel":"101","offences":["SOA2003-s1"],"location":{"country":"GB"},"x_local":{"desk":7}}"#,
        r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-02T09:20:00Z","kind":"person_added","id":"ex1-2","person":"V1","role":"victim","identity":{"given_name":"Zephyrine","family_name":"Quillfeatherstone","date_of_birth":"1999-04-01","x_pronouns":"she"},"age_at_offence":26}"#,
        r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-02T09:21:00Z","kind":"person_added","id":"ex1-3","person":"S1","role":"suspect","identity":{"given_name":"Orrin","family_name":"Blackthorne"}}"#,
        r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-02T11:00:00Z","kind":"officer_allocated","id":"ex1-4","officer":"4471","role":"oic"}"#,
        r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-03T10:00:00Z","kind":"note","text":"call back"}"#,
        r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-03T10:00:00Z","kind":"note","text":"call back"}"#,
        r#"{"case":"EX-2","force":"exampleshire","at":"2026-01-10T08:00:00Z","kind":"report_received","id":"ex2-1","channel":"999","offences":["SOA2003-s3"],"location":{"country":"GB"}}"#,
        r#"{"case":"EX-2","force":"exampleshire","at":"2026-01-10T09:00:00Z","kind":"officer_allocated","id":"ex2-2","officer":"5120","role":"oic"}"#,
        r#"{"case":"EX-2","force":"exampleshire","at":"2026-02-10T09:00:00Z","kind":"case_closed","id":"ex2-3","outcome":18,"suspect_identified":false}"#,
        r#"{"case":"OT-1","force":"otherton","at":"2026-03-01T12:00:00+01:00","kind":"report_received","id":"ot1-1","channel":"online","offences":["SOA2003-s2"],"location":{"country":"FR"}}"#,
    ]
    .iter()
    .map(|line| (*line).to_owned())
    .collect()
}

/// The sample as appends, one per case, in file order.
pub fn sample_appends(expected: ExpectedVersion) -> Vec<Append> {
    let mut reader = EventReader::new();
    let mut order: Vec<CaseKey> = Vec::new();
    let mut by_case: HashMap<CaseKey, Vec<NewEvent>> = HashMap::new();
    for line in sample_lines() {
        let event = match reader.read(&line) {
            Ok(event) => event,
            Err(error) => panic!("sample line does not parse: {error}"),
        };
        let key = event.case().clone();
        if !by_case.contains_key(&key) {
            order.push(key.clone());
        }
        by_case.entry(key).or_default().push(event);
    }
    order
        .into_iter()
        .map(|case| Append {
            events: by_case.remove(&case).unwrap_or_default(),
            case,
            expected,
        })
        .collect()
}

fn key(force: &str, reference: &str) -> CaseKey {
    CaseKey {
        force: force.into(),
        reference: reference.into(),
    }
}

fn officer() -> Access {
    Access::new("user:4471", Purpose::Investigation)
}

fn note(force: &str, reference: &str, id: &str, text: &str) -> NewEvent {
    let line = serde_json::json!({
        "case": reference, "force": force, "at": "2026-03-05T10:00:00Z", "kind": "note", "id": id, "text": text,
    })
    .to_string();
    match NewEvent::from_line(&line, 0) {
        Ok(event) => event,
        Err(error) => panic!("note does not parse: {error}"),
    }
}

/// What a check starts from: an empty store, or one holding the sample
/// ([`sample_appends`], appended before the check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    Empty,
    Sample,
}

/// A check's body: the store, and the trusted audit key.
pub type CheckFn<S> =
    for<'a> fn(&'a S, &'a VerifyingKey) -> Pin<Box<dyn Future<Output = StoreResult<()>> + 'a>>;

/// One named check of the suite; each runs on a fresh store, so that each can be its own test.
pub struct Check<S> {
    /// The test's name (the check's function).
    pub name: &'static str,
    /// What the store holds before it.
    pub given: Given,
    /// Whether the audit chain must verify (and name no victim) after it.
    pub audit_after: bool,
    /// The check.
    pub run: CheckFn<S>,
}

impl<S> std::fmt::Debug for Check<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn check<S>(name: &'static str, given: Given, audit_after: bool, run: CheckFn<S>) -> Check<S> {
    Check {
        name,
        given,
        audit_after,
        run,
    }
}

/// Every check of the suite, by name: what every [`Store`] must do. A backend's tests run each
/// as a test of its own ([`run_check`]).
pub fn checks<S: Store>() -> Vec<Check<S>> {
    use Given::{Empty, Sample};
    vec![
        check("append_and_read", Empty, true, |s, _| {
            Box::pin(append_and_read(s))
        }),
        check("idempotent_appends", Empty, true, |s, _| {
            Box::pin(idempotent_appends(s))
        }),
        check("reused_event_ids", Empty, true, |s, _| {
            Box::pin(reused_event_ids(s))
        }),
        check("chain_bindings", Empty, false, |s, k| {
            Box::pin(chain_bindings(s, k))
        }),
        check("optimistic_concurrency", Empty, true, |s, _| {
            Box::pin(optimistic_concurrency(s))
        }),
        check("listing", Empty, true, |s, _| Box::pin(listing(s))),
        check("streaming", Sample, true, |s, _| Box::pin(streaming(s))),
        check("sealed_identity", Empty, true, |s, _| {
            Box::pin(sealed_identity(s))
        }),
        check("export_round_trip", Sample, true, |s, _| {
            Box::pin(export_round_trip(s))
        }),
        check("users_and_sessions", Empty, true, |s, _| {
            Box::pin(users_and_sessions(s))
        }),
        check("audit_trail", Empty, false, |s, k| {
            Box::pin(audit_trail(s, k))
        }),
        check("key_rotation", Empty, true, |s, _| {
            Box::pin(key_rotation(s))
        }),
        check("report_facts", Empty, true, |s, _| {
            Box::pin(report_facts(s))
        }),
        check("concurrent_audited_reads", Empty, false, |s, k| {
            Box::pin(concurrent_audited_reads(s, k))
        }),
        check("conditional_reads", Empty, true, |s, _| {
            Box::pin(conditional_reads(s))
        }),
        check("conditional_lists", Sample, true, |s, _| {
            Box::pin(conditional_lists(s))
        }),
        check("sign_in_state", Empty, true, |s, _| {
            Box::pin(sign_in_state(s))
        }),
        check("break_glass", Empty, true, |s, _| Box::pin(break_glass(s))),
        check("sharing", Empty, true, |s, _| Box::pin(sharing(s))),
        check("suspect_linkage", Empty, true, |s, _| {
            Box::pin(suspect_linkage(s))
        }),
    ]
}

/// Runs one check on a fresh store from `factory` (which returns an empty store and the audit
/// public key): the sample first if the check is given it, the audit chain checked after.
pub async fn run_check<S, F, Fut>(check: &Check<S>, factory: F) -> StoreResult<()>
where
    S: Store,
    F: FnOnce() -> Fut,
    Fut: Future<Output = StoreResult<(S, VerifyingKey)>>,
{
    let (store, trusted) = factory().await?;
    if check.given == Given::Sample {
        store
            .append(&officer(), sample_appends(ExpectedVersion::Any))
            .await?;
    }
    (check.run)(&store, &trusted).await?;
    if check.audit_after {
        check_audit(&store, &trusted).await?;
    }
    Ok(())
}

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<S, F, Fut>(factory: F) -> StoreResult<()>
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = StoreResult<(S, VerifyingKey)>>,
{
    for check in checks::<S>() {
        run_check(&check, &factory).await?;
    }
    Ok(())
}

/// An instant given in RFC 3339 (the checks' times are written out; a typo is a failed check).
fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.with_timezone(&chrono::Utc),
        Err(error) => panic!("check time `{text}` does not parse: {error}"),
    }
}

/// The audit chain verifies and no record mentions the planted identity.
pub async fn check_audit<S: Store>(store: &S, trusted: &VerifyingKey) -> StoreResult<()> {
    let report = store.verify_audit(trusted).await?;
    assert!(
        report.is_ok(),
        "audit chain does not verify: {:?}",
        report.problem
    );
    let records = store.audit_records(0, u64::MAX).await?;
    assert_eq!(records.len() as u64, report.records);
    for record in records {
        let text = serde_json::to_string(&record).unwrap_or_default();
        assert!(
            !text.contains(PLANTED_GIVEN_NAME) && !text.contains(PLANTED_FAMILY_NAME),
            "audit record {} mentions the victim's name",
            record.seq
        );
    }
    Ok(())
}

/// Appends make cases that read back in time order with their versions.
pub async fn append_and_read<S: Store>(store: &S) -> StoreResult<()> {
    let outcomes = store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    let appended: Vec<u64> = outcomes.iter().map(|o| o.appended).collect();
    assert_eq!(appended, vec![6, 3, 1], "events appended per case");
    let case = store
        .read_case(&officer(), &key("exampleshire", "EX-1"))
        .await?
        .unwrap_or_else(|| panic!("EX-1 not found"));
    assert_eq!(case.version, 6);
    assert_eq!(case.case.events().len(), 6);
    let times: Vec<_> = case.case.events().iter().map(|e| e.at).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "events come back in time order");
    for event in case.case.events() {
        if let domain::EventData::PersonAdded(person) = &event.data {
            assert!(
                person.identity.is_none(),
                "read_case must leave identity sealed"
            );
        }
    }
    let unknown = store
        .read_case(&officer(), &key("exampleshire", "NOPE"))
        .await?;
    assert!(unknown.is_none());
    Ok(())
}

/// Re-appending the same events is a no-op; id-less repeated lines are distinct events.
pub async fn idempotent_appends<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    let again = store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    assert!(
        again.iter().all(|o| o.appended == 0),
        "second append stored nothing"
    );
    assert_eq!(again[0].duplicates, 6);
    assert_eq!(
        again[0].version, 6,
        "the two identical id-less notes are two events"
    );
    // A retried write with a stale expected version still succeeds: it changes nothing.
    let retried = store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    assert!(retried.iter().all(|o| o.appended == 0));
    Ok(())
}

async fn case_version<S: Store>(store: &S, key: &CaseKey) -> StoreResult<Option<u64>> {
    Ok(store
        .read_case(&officer(), key)
        .await?
        .map(|case| case.version))
}

fn line_event(line: serde_json::Value) -> NewEvent {
    match NewEvent::from_line(&line.to_string(), 0) {
        Ok(event) => event,
        Err(error) => panic!("event does not parse: {error}"),
    }
}

/// An event id a case already holds, sent again with different content (an identity included),
/// is refused naming the case and the id, never a value, and stores nothing; the same id with the
/// same content is an idempotent no-op, within a batch as across batches.
pub async fn reused_event_ids<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    let ex1 = key("exampleshire", "EX-1");
    let before = case_version(store, &ex1).await?;
    let refused = |result: StoreResult<Vec<crate::model::AppendOutcome>>, id: &str| match result {
        Err(StoreError::EventIdReused {
            force,
            reference,
            event_id,
        }) => {
            assert_eq!(
                (force.as_str(), reference.as_str()),
                ("exampleshire", "EX-1")
            );
            assert_eq!(event_id, id);
        }
        other => panic!("event id {id} reused with other content must be refused: {other:?}"),
    };
    // Another event under the id of the officer allocation.
    let reused = Append {
        case: ex1.clone(),
        expected: ExpectedVersion::Any,
        events: vec![note("exampleshire", "EX-1", "ex1-4", "not the allocation")],
    };
    // The dry run sees the same, and stores nothing either.
    match store
        .check_append(&officer(), std::slice::from_ref(&reused))
        .await
    {
        Err(StoreError::EventIdReused { event_id, .. }) => assert_eq!(event_id, "ex1-4"),
        other => panic!("check_append must refuse a reused id: {other:?}"),
    }
    store
        .check_append(&officer(), &sample_appends(ExpectedVersion::Any))
        .await?;
    refused(store.append(&officer(), vec![reused]).await, "ex1-4");
    // The victim's person_added again, with the same fields but another identity.
    let mut victim: serde_json::Value = serde_json::from_str(&sample_lines()[1])
        .unwrap_or_else(|error| panic!("sample line: {error}"));
    victim["identity"]["given_name"] = Value::from("Marigold");
    let changed = Append {
        case: ex1.clone(),
        expected: ExpectedVersion::Any,
        events: vec![line_event(victim)],
    };
    let message = match store.append(&officer(), vec![changed.clone()]).await {
        Err(error) => error.to_string(),
        Ok(outcomes) => panic!("another identity under a held id was stored: {outcomes:?}"),
    };
    refused(store.append(&officer(), vec![changed]).await, "ex1-2");
    for name in ["Marigold", PLANTED_GIVEN_NAME, PLANTED_FAMILY_NAME] {
        assert!(
            !message.contains(name),
            "the error shows an identity: {message}"
        );
    }
    assert!(
        message.contains("ex1-2") && message.contains("exampleshire/EX-1"),
        "{message}"
    );
    // Nothing of a refused batch is stored, its other cases included.
    let batch = vec![
        Append {
            case: key("exampleshire", "EX-7"),
            expected: ExpectedVersion::NoCase,
            events: vec![note("exampleshire", "EX-7", "n-7", "new case")],
        },
        Append {
            case: ex1.clone(),
            expected: ExpectedVersion::Any,
            events: vec![note("exampleshire", "EX-1", "ex1-1", "not the report")],
        },
    ];
    assert!(store.append(&officer(), batch).await.is_err());
    assert!(
        store
            .read_case(&officer(), &key("exampleshire", "EX-7"))
            .await?
            .is_none()
    );
    assert_eq!(case_version(store, &ex1).await?, before, "nothing stored");
    // The same events again, identity included: a no-op.
    let again = store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    assert!(again.iter().all(|outcome| outcome.appended == 0));
    // The same event with its fields (and its identity's fields) in another order is the same
    // event: JSON objects are unordered.
    let reordered: serde_json::Map<String, Value> =
        serde_json::from_str::<serde_json::Map<String, Value>>(&sample_lines()[1])
            .unwrap_or_else(|error| panic!("sample line: {error}"))
            .into_iter()
            .rev()
            .map(|(name, value)| match value {
                Value::Object(inner) => (name, Value::Object(inner.into_iter().rev().collect())),
                other => (name, other),
            })
            .collect();
    let outcome = store
        .append(
            &officer(),
            vec![Append {
                case: ex1.clone(),
                expected: ExpectedVersion::Any,
                events: vec![line_event(Value::Object(reordered))],
            }],
        )
        .await?;
    assert_eq!(outcome[0].appended, 0, "a reordered repeat is a repeat");
    // Within one batch: the same new id twice with other content is refused; twice the same is
    // one event.
    let twice = |second: &str| Append {
        case: ex1.clone(),
        expected: ExpectedVersion::Any,
        events: vec![
            note("exampleshire", "EX-1", "n-twice", "first"),
            note("exampleshire", "EX-1", "n-twice", second),
        ],
    };
    refused(
        store.append(&officer(), vec![twice("second")]).await,
        "n-twice",
    );
    assert_eq!(case_version(store, &ex1).await?, before);
    let outcome = store.append(&officer(), vec![twice("first")]).await?;
    assert_eq!((outcome[0].appended, outcome[0].duplicates), (1, 1));
    Ok(())
}

/// Every append binds its case's chain head into the audit log (the record names the case, the
/// version and the head), the signed head counts the chained cases, and verification checks
/// every case's events; an entry from outside the store may not pose as a binding.
pub async fn chain_bindings<S: Store>(store: &S, trusted: &VerifyingKey) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    store
        .append(
            &officer(),
            vec![Append {
                case: key("exampleshire", "EX-1"),
                expected: ExpectedVersion::Exact(6),
                events: vec![note("exampleshire", "EX-1", "n-1", "later")],
            }],
        )
        .await?;
    let records = store.audit_records(0, u64::MAX).await?;
    let bindings: Vec<(&str, u64, &str)> = records
        .iter()
        .filter(|record| record.object.starts_with("case:"))
        .filter_map(|record| {
            Some((
                record.object.as_str(),
                record.detail.get("to_version")?.as_u64()?,
                record.detail.get("head")?.as_str()?,
            ))
        })
        .collect();
    let objects: Vec<(&str, u64)> = bindings.iter().map(|(o, v, _)| (*o, *v)).collect();
    assert_eq!(
        objects,
        vec![
            ("case:exampleshire/EX-1", 6),
            ("case:exampleshire/EX-2", 3),
            ("case:otherton/OT-1", 1),
            ("case:exampleshire/EX-1", 7),
        ],
        "one binding per append, naming case and version"
    );
    assert!(bindings.iter().all(|(_, _, head)| head.len() == 64));
    assert_ne!(bindings[0].2, bindings[3].2, "the head moves with the case");
    let head = store
        .audit_head()
        .await?
        .unwrap_or_else(|| panic!("a signed head"));
    assert_eq!(head.cases, Some(3));
    assert_eq!(head.records, Some(records.len() as i64));
    assert!(head.signature_ok(trusted));
    let report = store.verify_audit(trusted).await?;
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!((report.cases, report.events), (3, 11));
    // The anchor taken now is extended by what follows.
    store
        .read_case(&officer(), &key("otherton", "OT-1"))
        .await?;
    let anchored = store.verify_audit_against(trusted, Some(&head)).await?;
    assert!(anchored.is_ok(), "{:?}", anchored.problem);
    assert_eq!(anchored.anchored_at, Some(head.seq));
    let posing = AuditEntry::new(
        &officer(),
        crate::Category::Alteration,
        "case:exampleshire/EX-2",
    )
    .with_detail(serde_json::json!({"to_version": 1, "head": "00"}));
    assert!(matches!(
        store.record_audit(posing).await,
        Err(StoreError::Refused(_))
    ));
    check_audit(store, trusted).await
}

/// Expected versions are checked; a conflict stores nothing of the whole batch.
pub async fn optimistic_concurrency<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    let ex1 = key("exampleshire", "EX-1");
    let stale = store
        .append(
            &officer(),
            vec![Append {
                case: ex1.clone(),
                expected: ExpectedVersion::Exact(5),
                events: vec![note("exampleshire", "EX-1", "n-1", "stale")],
            }],
        )
        .await;
    match stale {
        Err(StoreError::Conflict {
            expected, actual, ..
        }) => {
            assert_eq!(expected, ExpectedVersion::Exact(5));
            assert_eq!(actual, 6);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let message = store
        .append(
            &officer(),
            vec![Append {
                case: ex1.clone(),
                expected: ExpectedVersion::NoCase,
                events: vec![note("exampleshire", "EX-1", "n-1", "stale")],
            }],
        )
        .await
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("exampleshire/EX-1") && message.contains("version 6"),
        "conflict message names the case and versions: {message}"
    );
    // A batch whose second case conflicts stores nothing of the first.
    let batch = vec![
        Append {
            case: key("exampleshire", "EX-9"),
            expected: ExpectedVersion::NoCase,
            events: vec![note("exampleshire", "EX-9", "n-9", "new case")],
        },
        Append {
            case: ex1.clone(),
            expected: ExpectedVersion::Exact(2),
            events: vec![note("exampleshire", "EX-1", "n-2", "stale")],
        },
    ];
    assert!(store.append(&officer(), batch).await.is_err());
    assert!(
        store
            .read_case(&officer(), &key("exampleshire", "EX-9"))
            .await?
            .is_none(),
        "nothing of a failed batch is stored"
    );
    let ok = store
        .append(
            &officer(),
            vec![Append {
                case: ex1.clone(),
                expected: ExpectedVersion::Exact(6),
                events: vec![note("exampleshire", "EX-1", "n-3", "fresh")],
            }],
        )
        .await?;
    assert_eq!(ok[0].version, 7);
    // Events must belong to the case they are appended to.
    let stray = store
        .append(
            &officer(),
            vec![Append {
                case: ex1,
                expected: ExpectedVersion::Any,
                events: vec![note("otherton", "OT-1", "n-4", "wrong case")],
            }],
        )
        .await;
    assert!(matches!(stray, Err(StoreError::Invalid(_))));
    Ok(())
}

/// Lists filter by force, officer, status and open findings.
pub async fn listing<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    let all = store.list_cases(&officer(), &CaseFilter::default()).await?;
    let names: Vec<String> = all.iter().map(|c| c.reference.clone()).collect();
    assert_eq!(
        names,
        vec!["EX-1", "EX-2", "OT-1"],
        "ordered by force, reference"
    );
    let ex1 = &all[0];
    assert_eq!(ex1.officer.as_deref(), Some("4471"));
    assert_eq!(ex1.people, 2);
    assert_eq!(ex1.status, CaseStatus::Open);
    assert!(ex1.open_findings > 0, "EX-1 has open findings");
    assert_eq!(all[1].status, CaseStatus::Closed);
    let filter = |f: CaseFilter| async move {
        store
            .list_cases(&officer(), &f)
            .await
            .map(|cases| cases.into_iter().map(|c| c.reference).collect::<Vec<_>>())
    };
    assert_eq!(
        filter(CaseFilter {
            force: Some("otherton".into()),
            ..CaseFilter::default()
        })
        .await?,
        vec!["OT-1"]
    );
    assert_eq!(
        filter(CaseFilter {
            officer: Some("5120".into()),
            ..CaseFilter::default()
        })
        .await?,
        vec!["EX-2"]
    );
    assert_eq!(
        filter(CaseFilter {
            status: Some(CaseStatus::Closed),
            ..CaseFilter::default()
        })
        .await?,
        vec!["EX-2"]
    );
    let open = filter(CaseFilter {
        open_findings: Some(true),
        ..CaseFilter::default()
    })
    .await?;
    assert!(open.contains(&"EX-1".to_owned()));
    assert_eq!(
        filter(CaseFilter {
            limit: Some(1),
            offset: 1,
            ..CaseFilter::default()
        })
        .await?,
        vec!["EX-2"]
    );
    Ok(())
}

/// Streaming gives every case once, with its events.
pub async fn streaming<S: Store>(store: &S) -> StoreResult<()> {
    let reporting = Access::new("report:test", Purpose::Reporting);
    let mut seen = Vec::new();
    let count = store
        .stream_cases(&reporting, None, &mut |case| {
            seen.push((
                case.case.key.reference.to_string(),
                case.case.events().len(),
            ));
            Ok(())
        })
        .await?;
    seen.sort();
    assert_eq!(count, 3);
    assert_eq!(
        seen,
        vec![("EX-1".into(), 6), ("EX-2".into(), 3), ("OT-1".into(), 1)]
    );
    let mut forced = 0;
    store
        .stream_cases(&reporting, Some("otherton"), &mut |_| {
            forced += 1;
            Ok(())
        })
        .await?;
    assert_eq!(forced, 1);
    Ok(())
}

/// Identity is sealed: not in read_case, available through read_identity and export.
pub async fn sealed_identity<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    let ex1 = key("exampleshire", "EX-1");
    let access = officer().with_reason("contacting the victim");
    let identity = store
        .read_identity(&access, &ex1, &PersonKey::from("V1"))
        .await?
        .unwrap_or_else(|| panic!("V1 has an identity"));
    assert_eq!(identity.given_name.as_deref(), Some(PLANTED_GIVEN_NAME));
    assert_eq!(identity.family_name.as_deref(), Some(PLANTED_FAMILY_NAME));
    assert_eq!(
        identity.extra.get("x_pronouns"),
        Some(&Value::String("she".into())),
        "unknown identity fields are kept"
    );
    assert!(
        store
            .read_identity(&access, &ex1, &PersonKey::from("W9"))
            .await?
            .is_none()
    );
    let people = store
        .known_people(&officer(), std::slice::from_ref(&ex1))
        .await?;
    assert!(people.contains(&(ex1.clone(), PersonKey::from("V1"))));
    assert!(people.contains(&(ex1, PersonKey::from("S1"))));
    assert_eq!(people.len(), 2);
    Ok(())
}

/// Export gives back every event exactly (unknown fields included), identity only when asked.
pub async fn export_round_trip<S: Store>(store: &S) -> StoreResult<()> {
    let refused = store
        .export(&officer(), &ExportOptions::default(), &mut |_| Ok(()))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "an export without a recipient is refused"
    );
    let access = Access::new("cli:test", Purpose::Export).with_recipient("file:test");
    let mut lines = Vec::new();
    store
        .export(&access, &ExportOptions::default(), &mut |line| {
            lines.push(line.to_owned());
            Ok(())
        })
        .await?;
    let parse = |line: &String| serde_json::from_str::<Value>(line).unwrap_or(Value::Null);
    let mut exported: Vec<String> = lines.iter().map(|l| parse(l).to_string()).collect();
    let mut original: Vec<String> = sample_lines()
        .iter()
        .map(|l| parse(l).to_string())
        .collect();
    exported.sort();
    original.sort();
    assert_eq!(exported, original, "export gives back every event exactly");
    assert_eq!(
        lines
            .iter()
            .find(|l| l.contains(r#""id":"ex1-2""#))
            .cloned(),
        sample_lines().get(1).cloned(),
        "key order is kept too"
    );
    let mut redacted = Vec::new();
    store
        .export(
            &access,
            &ExportOptions {
                without_identity: true,
                force: Some("exampleshire".into()),
            },
            &mut |line| {
                redacted.push(line.to_owned());
                Ok(())
            },
        )
        .await?;
    assert_eq!(redacted.len(), 9);
    assert!(redacted.iter().all(|l| !l.contains("identity")));
    assert!(redacted.iter().all(|l| !l.contains(PLANTED_GIVEN_NAME)));
    Ok(())
}

/// Users and sessions.
pub async fn users_and_sessions<S: Store>(store: &S) -> StoreResult<()> {
    let admin = Access::new("cli:admin", Purpose::Administration);
    let user = User {
        username: "inv4471".into(),
        display_name: "DC Example".into(),
        role: "investigator".into(),
        force: Some("exampleshire".into()),
        national: false,
        officer_id: "4471".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        disabled: false,
        created_at: at("2026-01-01T00:00:00Z"),
    };
    store.add_user(&admin, &user).await?;
    user_scopes(store, &admin, &user).await?;
    assert!(matches!(
        store.add_user(&admin, &user).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.user("inv4471").await?, Some(user.clone()));
    assert_eq!(store.user("nobody").await?, None);
    let session = Session {
        token_hash: "t1".into(),
        username: "inv4471".into(),
        csrf_token: "c1".into(),
        created_at: at("2026-01-01T08:00:00Z"),
        last_seen_at: at("2026-01-01T08:00:00Z"),
    };
    store.create_session(&session).await?;
    store
        .touch_session("t1", at("2026-01-01T08:10:00Z"))
        .await?;
    assert_eq!(
        store.session("t1").await?.map(|s| s.last_seen_at),
        Some(at("2026-01-01T08:10:00Z")),
        "the session's last use is the time it was touched"
    );
    assert_eq!(
        store
            .expire_sessions(at("2026-01-01T08:05:00Z"), at("2026-01-01T00:00:00Z"))
            .await?,
        0
    );
    assert_eq!(
        store
            .expire_sessions(at("2026-01-01T08:20:00Z"), at("2026-01-01T00:00:00Z"))
            .await?,
        1
    );
    store.create_session(&session).await?;
    store
        .set_user_role(&admin, "inv4471", "supervisor", false)
        .await?;
    assert_eq!(
        store.user("inv4471").await?.map(|u| u.role).as_deref(),
        Some("supervisor")
    );
    assert!(
        store.session("t1").await?.is_none(),
        "a change of role ends sessions"
    );
    assert!(matches!(
        store.set_user_role(&admin, "nobody", "analyst", true).await,
        Err(StoreError::NotFound(_))
    ));
    store.create_session(&session).await?;
    store.set_user_disabled(&admin, "inv4471", true).await?;
    assert!(
        store.session("t1").await?.is_none(),
        "disabling ends sessions"
    );
    assert!(store.user("inv4471").await?.is_some_and(|u| u.disabled));
    assert_eq!(store.list_users(&admin).await?.len(), 3);
    assert!(matches!(
        store.set_user_disabled(&admin, "nobody", true).await,
        Err(StoreError::NotFound(_))
    ));
    store
        .create_session(&Session {
            token_hash: "t2".into(),
            ..session
        })
        .await?;
    store.delete_session("t2").await?;
    assert!(store.session("t2").await?.is_none());
    Ok(())
}

/// Force scopes of users: an officer identifier is unique within a force only; a user is national
/// or of one force, never both; changing a user's scope ends their sessions.
async fn user_scopes<S: Store>(store: &S, admin: &Access, user: &User) -> StoreResult<()> {
    let same_officer_same_force = User {
        username: "other4471".into(),
        ..user.clone()
    };
    assert!(
        matches!(
            store.add_user(admin, &same_officer_same_force).await,
            Err(StoreError::Invalid(_))
        ),
        "an officer identifier names one user within a force"
    );
    let same_officer_other_force = User {
        username: "wv4471".into(),
        force: Some("westvale".into()),
        ..user.clone()
    };
    store.add_user(admin, &same_officer_other_force).await?;
    let both = User {
        username: "both".into(),
        national: true,
        ..user.clone()
    };
    assert!(matches!(
        store.add_user(admin, &both).await,
        Err(StoreError::Invalid(_))
    ));
    let national = User {
        username: "nat1".into(),
        role: "analyst".into(),
        force: None,
        national: true,
        officer_id: "nat1".into(),
        ..user.clone()
    };
    store.add_user(admin, &national).await?;
    assert_eq!(
        store
            .user("nat1")
            .await?
            .map(|u| u.scope() == crate::UserScope::National),
        Some(true)
    );
    // Moving the westvale officer into exampleshire would give that force two officers 4471.
    assert!(matches!(
        store
            .set_user_scope(admin, "wv4471", Some("exampleshire"), false)
            .await,
        Err(StoreError::Invalid(_))
    ));
    store
        .create_session(&Session {
            token_hash: "scope-session".into(),
            username: "nat1".into(),
            csrf_token: "c".into(),
            created_at: at("2026-01-01T08:00:00Z"),
            last_seen_at: at("2026-01-01T08:00:00Z"),
        })
        .await?;
    store
        .set_user_scope(admin, "nat1", Some("westvale"), false)
        .await?;
    let moved = store.user("nat1").await?.expect("still there");
    assert_eq!(moved.scope(), crate::UserScope::Force("westvale"));
    assert!(
        store.session("scope-session").await?.is_none(),
        "a change of scope ends the user's sessions"
    );
    assert!(matches!(
        store.set_user_scope(admin, "nobody", None, true).await,
        Err(StoreError::NotFound(_))
    ));
    Ok(())
}

/// Every collection, consultation and disclosure leaves an audit record with actor, purpose,
/// category and object.
pub async fn audit_trail<S: Store>(store: &S, trusted: &VerifyingKey) -> StoreResult<()> {
    let before = store.audit_records(0, u64::MAX).await?.len();
    store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    let ex1 = key("exampleshire", "EX-1");
    store.read_case(&officer(), &ex1).await?;
    store
        .read_identity(
            &officer().with_reason("victim contact"),
            &ex1,
            &PersonKey::from("V1"),
        )
        .await?;
    let disclosure = Access::new("user:5120", Purpose::Disclosure)
        .with_reason("file to CPS")
        .with_recipient("cps:south");
    store
        .export(&disclosure, &ExportOptions::default(), &mut |_| Ok(()))
        .await?;
    store
        .stream_cases(
            &Access::new("report:q1", Purpose::Reporting),
            None,
            &mut |_| Ok(()),
        )
        .await?;
    store
        .record_audit(AuditEntry::new(
            &Access::new("user:9", Purpose::Reporting),
            crate::Category::Disclosure,
            "report:force-year",
        ))
        .await?;
    let records = store.audit_records(0, u64::MAX).await?;
    let new = &records[before..];
    let find = |category: &str, object: &str| {
        new.iter()
            .find(|r| r.category == category && r.object == object)
            .unwrap_or_else(|| panic!("no {category} record of {object}: {new:#?}"))
    };
    let collected = find("collection", "case:exampleshire/EX-1");
    assert_eq!(collected.actor, "user:4471");
    assert_eq!(collected.purpose, "investigation");
    find("collection", "case:otherton/OT-1");
    find("consultation", "case:exampleshire/EX-1");
    let unsealed = find("consultation", "identity:exampleshire/EX-1/V1");
    assert_eq!(unsealed.reason.as_deref(), Some("victim contact"));
    let disclosed = find("disclosure", "cases");
    assert_eq!(disclosed.recipient.as_deref(), Some("cps:south"));
    assert_eq!(disclosed.reason.as_deref(), Some("file to CPS"));
    find("combination", "cases");
    find("disclosure", "report:force-year");
    let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
    let expected: Vec<i64> = (1..=records.len() as i64).collect();
    assert_eq!(seqs, expected, "records are numbered from 1 without gaps");
    store.audit_checkpoint().await?;
    check_audit(store, trusted).await
}

/// Rotating the master key re-wraps data keys; sealed identity still opens.
pub async fn key_rotation<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    let admin = Access::new("cli:admin", Purpose::Administration);
    let rewrapped = store
        .rotate_master_key(&admin, &MasterKey::generate())
        .await?;
    assert!(rewrapped >= 1);
    let identity = store
        .read_identity(
            &officer().with_reason("after rotation"),
            &key("exampleshire", "EX-1"),
            &PersonKey::from("V1"),
        )
        .await?;
    assert_eq!(
        identity.and_then(|i| i.given_name).as_deref(),
        Some(PLANTED_GIVEN_NAME)
    );
    // New appends after rotation seal and open too.
    let line = r#"{"case":"EX-3","force":"exampleshire","at":"2026-03-02T09:20:00Z","kind":"person_added","id":"ex3-1","person":"V1","role":"victim","identity":{"given_name":"Halcyon"}}"#;
    let event = NewEvent::from_line(line, 0).unwrap_or_else(|e| panic!("{e}"));
    store
        .append(
            &officer(),
            vec![Append {
                case: key("exampleshire", "EX-3"),
                expected: ExpectedVersion::NoCase,
                events: vec![event],
            }],
        )
        .await?;
    let identity = store
        .read_identity(
            &officer().with_reason("after rotation"),
            &key("exampleshire", "EX-3"),
            &PersonKey::from("V1"),
        )
        .await?;
    assert_eq!(
        identity.and_then(|i| i.given_name).as_deref(),
        Some("Halcyon")
    );
    Ok(())
}

// ---- Group commit of audit records --------------------------------------------------------------

/// Polls every future in turn on the current task until all are done (many store calls in flight
/// at once without requiring `'static` futures).
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Many audited reads and audit records in flight at once (the store may commit their audit
/// records together): every caller gets its data, every read leaves exactly one record naming its
/// own actor, and the records form one chain, numbered without gaps, that verifies.
pub async fn concurrent_audited_reads<S: Store>(
    store: &S,
    trusted: &VerifyingKey,
) -> StoreResult<()> {
    const READERS: usize = 64;
    store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    let before = store.audit_records(0, u64::MAX).await?.len();
    let ex1 = key("exampleshire", "EX-1");
    let accesses: Vec<Access> = (0..READERS)
        .map(|n| Access::new(format!("user:reader{n}"), Purpose::Investigation))
        .collect();
    let reads = join_all(
        accesses
            .iter()
            .map(|access| store.read_case(access, &ex1))
            .collect(),
    )
    .await;
    for read in reads {
        let case = read?.unwrap_or_else(|| panic!("a concurrent read found no case"));
        assert_eq!(case.version, 6, "every concurrent read sees the whole case");
    }
    let noted = join_all(
        (0..READERS)
            .map(|n| {
                store.record_audit(AuditEntry::new(
                    &Access::new(format!("user:noter{n}"), Purpose::Reporting),
                    crate::Category::Disclosure,
                    format!("report:{n}"),
                ))
            })
            .collect(),
    )
    .await;
    for (n, record) in noted.into_iter().enumerate() {
        let record = record?;
        assert_eq!(
            record.object,
            format!("report:{n}"),
            "record_audit answered with another caller's record"
        );
    }
    let records = store.audit_records(0, u64::MAX).await?;
    let new = &records[before..];
    assert_eq!(new.len(), 2 * READERS, "one record per call: {new:#?}");
    for n in 0..READERS {
        let actor = format!("user:reader{n}");
        let mine: Vec<_> = new.iter().filter(|r| r.actor == actor).collect();
        assert_eq!(mine.len(), 1, "{actor} has {} records", mine.len());
        assert_eq!(mine[0].object, "case:exampleshire/EX-1");
        assert_eq!(mine[0].category, "consultation");
    }
    let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
    let expected: Vec<i64> = (1..=records.len() as i64).collect();
    assert_eq!(seqs, expected, "one chain, numbered from 1 without gaps");
    for pair in records.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "record {} is chained",
            pair[1].seq
        );
    }
    check_audit(store, trusted).await
}

// ---- Web server state ---------------------------------------------------------------------------

/// `read_case_if_changed` answers "unchanged" for the current version, the case otherwise, and
/// audits every call like a read.
pub async fn conditional_reads<S: Store>(store: &S) -> StoreResult<()> {
    use crate::server_state::CaseRead;
    store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    let ex1 = key("exampleshire", "EX-1");
    let before = store.audit_records(0, u64::MAX).await?.len();
    let version = match store.read_case_if_changed(&officer(), &ex1, None).await? {
        CaseRead::Read(stored) => {
            assert_eq!(stored.case.events().len(), 6);
            stored.version
        }
        other => panic!("a first read returns the case, not {other:?}"),
    };
    assert!(matches!(
        store.read_case_if_changed(&officer(), &ex1, Some(version)).await?,
        CaseRead::Unchanged { version: v } if v == version
    ));
    assert!(matches!(
        store.read_case_if_changed(&officer(), &ex1, Some(version - 1)).await?,
        CaseRead::Read(stored) if stored.version == version
    ));
    assert!(matches!(
        store
            .read_case_if_changed(&officer(), &key("exampleshire", "NOPE"), None)
            .await?,
        CaseRead::Missing
    ));
    let records = store.audit_records(0, u64::MAX).await?;
    let reads: Vec<_> = records[before..]
        .iter()
        .filter(|r| r.category == "consultation" && r.actor == "user:4471")
        .collect();
    assert_eq!(
        reads.len(),
        4,
        "every conditional read is audited, changed or not"
    );
    Ok(())
}

/// The forces' change counters move with every change to a case of the force (and only then),
/// and `list_cases_if_changed` answers "unchanged" while the caller's counter holds, auditing every
/// call like a list.
pub async fn conditional_lists<S: Store>(store: &S) -> StoreResult<()> {
    use crate::case_changes::CaseList;
    let exampleshire = CaseFilter {
        force: Some("exampleshire".into()),
        ..CaseFilter::default()
    };
    let before_all = store.case_changes(None).await?;
    let before = store.case_changes(Some("exampleshire")).await?;
    let otherton = store.case_changes(Some("otherton")).await?;
    assert_eq!(store.case_changes(Some("nowhere")).await?, 0);
    let audited = store.audit_records(0, u64::MAX).await?.len();
    let changes = match store
        .list_cases_if_changed(&officer(), &exampleshire, None)
        .await?
    {
        CaseList::Listed { changes, cases } => {
            assert_eq!(cases.len(), 2, "EX-1 and EX-2: {cases:?}");
            changes
        }
        other => panic!("a first list lists, not {other:?}"),
    };
    assert_eq!(changes, before);
    assert!(matches!(
        store.list_cases_if_changed(&officer(), &exampleshire, Some(changes)).await?,
        CaseList::Unchanged { changes: c } if c == changes
    ));
    // A change to a case of the force moves its counter (and the sum), not another force's.
    // The same note each time: the second append brings nothing new.
    let counted_note = || {
        vec![Append {
            case: key("exampleshire", "EX-1"),
            expected: ExpectedVersion::Any,
            events: vec![note("exampleshire", "EX-1", "ex1-counter", "counted")],
        }]
    };
    store.append(&officer(), counted_note()).await?;
    let after = store.case_changes(Some("exampleshire")).await?;
    assert!(after > before, "the counter moves: {before} -> {after}");
    assert_eq!(store.case_changes(Some("otherton")).await?, otherton);
    assert!(store.case_changes(None).await? > before_all);
    match store
        .list_cases_if_changed(&officer(), &exampleshire, Some(changes))
        .await?
    {
        CaseList::Listed { changes: c, cases } => {
            assert_eq!(c, after);
            assert!(
                cases
                    .iter()
                    .any(|case| case.reference == "EX-1" && case.version == 7)
            );
        }
        other => panic!("a changed force lists again, not {other:?}"),
    }
    // An append that changes nothing (a repeated event id) moves nothing.
    store.append(&officer(), counted_note()).await?;
    assert_eq!(store.case_changes(Some("exampleshire")).await?, after);
    let records = store.audit_records(0, u64::MAX).await?;
    let lists = records[audited..]
        .iter()
        .filter(|r| r.category == "consultation" && r.object == "cases")
        .count();
    assert_eq!(
        lists, 3,
        "every conditional list is audited, changed or not"
    );
    session_counters(store, after).await
}

/// `session_with_force_changes` answers the session as `session` does, with its user's force's
/// counter (`exampleshire` stands at `changes`; a force with no change yet at 0), none for a user
/// of no force; and
/// `list_cases_if_changed_at` trusts the counter it is given.
async fn session_counters<S: Store>(store: &S, changes: u64) -> StoreResult<()> {
    use crate::case_changes::CaseList;
    use crate::model::ForceChanges;
    let admin = Access::new("cli:admin", Purpose::Administration);
    for (username, force, token) in [
        ("counted-officer", Some("exampleshire"), "tc1"),
        ("national-officer", None, "tc2"),
        ("quiet-officer", Some("quietshire"), "tc3"),
    ] {
        let user = User {
            username: username.into(),
            display_name: "Example".into(),
            role: "investigator".into(),
            force: force.map(Into::into),
            national: force.is_none(),
            officer_id: username.into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            disabled: false,
            created_at: at("2026-01-01T00:00:00Z"),
        };
        store.add_user(&admin, &user).await?;
        let session = Session {
            token_hash: token.into(),
            username: username.into(),
            csrf_token: "c".into(),
            created_at: at("2026-01-01T08:00:00Z"),
            last_seen_at: at("2026-01-01T08:00:00Z"),
        };
        store.create_session(&session).await?;
        let expected = force.map(|force| ForceChanges {
            force: force.into(),
            changes: if force == "exampleshire" { changes } else { 0 },
        });
        assert_eq!(
            store.session_with_force_changes(token).await?,
            Some((session, expected)),
            "{username}"
        );
    }
    assert_eq!(store.session_with_force_changes("no-such").await?, None);
    let exampleshire = CaseFilter {
        force: Some("exampleshire".into()),
        ..CaseFilter::default()
    };
    // Given a counter equal to the one held, the list is not read again; given another, it is.
    assert!(matches!(
        store
            .list_cases_if_changed_at(&officer(), &exampleshire, Some(changes), changes)
            .await?,
        CaseList::Unchanged { changes: c } if c == changes
    ));
    assert!(matches!(
        store
            .list_cases_if_changed_at(&officer(), &exampleshire, Some(changes - 1), changes)
            .await?,
        CaseList::Listed { changes: c, ref cases } if c == changes && !cases.is_empty()
    ));
    Ok(())
}

/// Sign-in failures are counted in a window and forgotten on success; the first sign-in is
/// recorded once.
pub async fn sign_in_state<S: Store>(store: &S) -> StoreResult<()> {
    let window = "2026-01-01T10:00:00.000000Z";
    assert_eq!(store.sign_in_failures("alice", at(window)).await?, 0);
    // One failure before the window: forgotten when the next is noted.
    store
        .note_sign_in_failure(
            "alice",
            at("2026-01-01T09:00:00.000000Z"),
            at("2026-01-01T08:00:00.000000Z"),
        )
        .await?;
    for (n, minute) in ["10:01", "10:02", "10:03"].iter().enumerate() {
        let noted = store
            .note_sign_in_failure(
                "alice",
                at(&format!("2026-01-01T{minute}:00.000000Z")),
                at(window),
            )
            .await?;
        assert_eq!(noted, n as u64 + 1, "failures in the window after {minute}");
    }
    assert_eq!(store.sign_in_failures("alice", at(window)).await?, 3);
    assert_eq!(
        store.sign_in_failures("bob", at(window)).await?,
        0,
        "per user"
    );
    assert_eq!(
        store
            .sign_in_failures("alice", at("2026-01-01T10:02:30.000000Z"))
            .await?,
        1,
        "only failures at or after the window start count"
    );
    store.clear_sign_in_failures("alice").await?;
    assert_eq!(store.sign_in_failures("alice", at(window)).await?, 0);

    assert_eq!(store.first_sign_in_session("alice").await?, None);
    assert!(
        store
            .record_first_sign_in("alice", "session-1", at("2026-01-01T10:05:00.000000Z"))
            .await?
    );
    assert!(
        !store
            .record_first_sign_in("alice", "session-2", at("2026-01-02T10:05:00.000000Z"))
            .await?,
        "a second sign-in is not the first"
    );
    assert_eq!(
        store.first_sign_in_session("alice").await?.as_deref(),
        Some("session-1")
    );
    sign_in_history(store).await
}

/// The sign-in history: newest first, bounded by `since` and `limit`, attempts older than the
/// kept period forgotten, only the attempts of the asking administrator's scope read (a busy
/// force does not crowd out another within `limit`), and reading it audited.
async fn sign_in_history<S: Store>(store: &S) -> StoreResult<()> {
    use crate::model::{SIGN_IN_HISTORY_DAYS, SignInOutcome, UserScope};
    let admin = Access::new("cli:admin", Purpose::Administration);
    for (username, force) in [
        ("alice", "exampleshire"),
        ("bob", "exampleshire"),
        ("carol", "northmoor"),
    ] {
        let user = User {
            username: username.into(),
            display_name: format!("{username} (conformance)"),
            role: "investigator".into(),
            force: Some(force.into()),
            national: false,
            officer_id: username.into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            disabled: false,
            created_at: at("2025-01-01T00:00:00Z"),
        };
        store.add_user(&admin, &user).await?;
    }
    let access = Access::new("admin-1", Purpose::Administration);
    let old = at("2025-06-01T09:00:00.000000Z");
    store
        .note_sign_in("alice", old, SignInOutcome::SignedIn)
        .await?;
    let attempts = [
        ("alice", "10:01", SignInOutcome::Refused),
        ("alice", "10:02", SignInOutcome::Locked),
        ("bob", "10:03", SignInOutcome::SignedIn),
        // Northmoor's attempts are the newest: they must not fill an Exampleshire page.
        ("carol", "10:04", SignInOutcome::Refused),
        ("carol", "10:05", SignInOutcome::SignedIn),
    ];
    for (user, minute, outcome) in attempts {
        let when = at(&format!("2026-01-01T{minute}:00.000000Z"));
        store.note_sign_in(user, when, outcome).await?;
    }
    let since = at("2025-01-01T00:00:00.000000Z");
    let seen = |found: &[crate::model::SignIn]| -> Vec<(String, SignInOutcome)> {
        found
            .iter()
            .map(|s| (s.username.clone(), s.outcome))
            .collect()
    };
    let exampleshire = UserScope::Force("exampleshire");
    let all = store
        .recent_sign_ins(&access, exampleshire, since, 10)
        .await?;
    assert_eq!(
        seen(&all),
        vec![
            ("bob".to_owned(), SignInOutcome::SignedIn),
            ("alice".to_owned(), SignInOutcome::Locked),
            ("alice".to_owned(), SignInOutcome::Refused),
        ],
        "newest first, one force's only; the attempt older than {SIGN_IN_HISTORY_DAYS} days \
         was forgotten"
    );
    assert_eq!(all[0].at, at("2026-01-01T10:03:00.000000Z"));
    let two = store
        .recent_sign_ins(&access, exampleshire, since, 2)
        .await?;
    assert_eq!(
        seen(&two),
        seen(&all[..2]),
        "at most `limit`, of this force's attempts"
    );
    let late = store
        .recent_sign_ins(&access, exampleshire, at("2026-01-01T10:02:00.000000Z"), 10)
        .await?;
    assert_eq!(late.len(), 2, "at or after `since`");
    let northmoor = store
        .recent_sign_ins(&access, UserScope::Force("northmoor"), since, 10)
        .await?;
    assert!(northmoor.iter().all(|s| s.username == "carol") && northmoor.len() == 2);
    let national = store
        .recent_sign_ins(&access, UserScope::National, since, 10)
        .await?;
    assert_eq!(
        national.len(),
        5,
        "a national administrator sees every force"
    );
    let unassigned = store
        .recent_sign_ins(&access, UserScope::Unassigned, since, 10)
        .await?;
    assert!(
        unassigned.is_empty(),
        "an account without a force sees none"
    );
    let audited = store.audit_records(0, 10_000).await?;
    assert!(
        audited
            .iter()
            .any(|r| r.actor == "admin-1" && r.object == "sign_ins"),
        "reading the sign-in history is audited"
    );
    Ok(())
}

/// Break-glass declarations grant the declaring session (only), need a reason, are listed per
/// case and leave an audit record with the reason.
pub async fn break_glass<S: Store>(store: &S) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    let ex1 = key("exampleshire", "EX-1");
    let access = Access::new("user:9999", Purpose::BreakGlass);
    assert!(matches!(
        store
            .declare_break_glass(
                &access,
                &ex1,
                "session-a",
                at("2026-03-05T10:00:00.000000Z")
            )
            .await,
        Err(StoreError::Refused(_))
    ));
    let access = access.with_reason("urgent safeguarding check out of hours");
    let declared = store
        .declare_break_glass(
            &access,
            &ex1,
            "session-a",
            at("2026-03-05T10:00:00.000000Z"),
        )
        .await?;
    assert_eq!(declared.actor, "user:9999");
    assert_eq!(
        store.break_glass_grant("session-a", &ex1).await?.as_deref(),
        Some("urgent safeguarding check out of hours")
    );
    assert_eq!(store.break_glass_grant("session-b", &ex1).await?, None);
    assert_eq!(
        store
            .break_glass_grant("session-a", &key("exampleshire", "EX-2"))
            .await?,
        None
    );
    assert_eq!(store.break_glass_on(&ex1).await?, vec![declared]);
    assert!(
        store
            .break_glass_on(&key("exampleshire", "EX-2"))
            .await?
            .is_empty()
    );
    let records = store.audit_records(0, u64::MAX).await?;
    let audited = records
        .iter()
        .rev()
        .find(|r| r.actor == "user:9999")
        .unwrap_or_else(|| panic!("no audit record of the declaration"));
    assert_eq!(audited.purpose, "break_glass");
    assert_eq!(audited.object, "case:exampleshire/EX-1");
    assert_eq!(
        audited.reason.as_deref(),
        Some("urgent safeguarding check out of hours")
    );
    Ok(())
}

/// Shares with partners: recorded with what and why, audited as a disclosure to the partner,
/// listed per case and per partner, revocable (once), refused for unknown users or without items
/// or reason.
pub async fn sharing<S: Store>(store: &S) -> StoreResult<()> {
    use crate::server_state::{NewShare, SharedItem};
    store
        .append(&officer(), sample_appends(ExpectedVersion::Any))
        .await?;
    let admin = Access::new("cli:admin", Purpose::Administration);
    store
        .add_user(
            &admin,
            &User {
                username: "isva1".into(),
                display_name: "Example ISVA".into(),
                role: "partner".into(),
                force: Some("exampleshire".into()),
                national: false,
                officer_id: "isva1".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                disabled: false,
                created_at: at("2026-01-01T00:00:00Z"),
            },
        )
        .await?;
    let ex1 = key("exampleshire", "EX-1");
    let share = NewShare {
        case: ex1.clone(),
        partner: "isva1".into(),
        items: vec![SharedItem::UpdatesDue, SharedItem::Status],
        reason: "victim consents to ISVA support".into(),
        at: at("2026-03-05T11:00:00.000000Z"),
    };
    let sharer = Access::new("user:4471", Purpose::Disclosure);
    for bad in [
        NewShare {
            items: Vec::new(),
            ..share.clone()
        },
        NewShare {
            reason: "short".into(),
            ..share.clone()
        },
    ] {
        assert!(matches!(
            store.share_case(&sharer, &bad).await,
            Err(StoreError::Invalid(_))
        ));
    }
    assert!(matches!(
        store
            .share_case(
                &sharer,
                &NewShare {
                    partner: "nobody".into(),
                    ..share.clone()
                }
            )
            .await,
        Err(StoreError::Refused(_))
    ));
    // A partner of another force, and a user of this force who is not a partner, are refused:
    // a share never crosses a force boundary.
    for (username, role, force) in [
        ("isva-westvale", "partner", "westvale"),
        ("inv-not-partner", "investigator", "exampleshire"),
    ] {
        store
            .add_user(
                &admin,
                &User {
                    username: username.into(),
                    display_name: "Example".into(),
                    role: role.into(),
                    force: Some(force.into()),
                    national: false,
                    officer_id: username.into(),
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                    disabled: false,
                    created_at: at("2026-01-01T00:00:00Z"),
                },
            )
            .await?;
        assert!(
            matches!(
                store
                    .share_case(
                        &sharer,
                        &NewShare {
                            partner: username.into(),
                            ..share.clone()
                        }
                    )
                    .await,
                Err(StoreError::Refused(_))
            ),
            "a share with {username} ({role} of {force}) is refused"
        );
    }
    assert!(matches!(
        store
            .share_case(
                &sharer,
                &NewShare {
                    case: key("exampleshire", "NOPE"),
                    ..share.clone()
                }
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    read_with_shares_agrees(store, &sharer, &ex1, vec![]).await?;
    let shared = store.share_case(&sharer, &share).await?;
    assert_eq!(
        shared.items,
        vec![SharedItem::Status, SharedItem::UpdatesDue]
    );
    assert_eq!(shared.shared_by, "user:4471");
    assert!(shared.is_active());
    assert_eq!(store.case_shares(&ex1).await?, vec![shared.clone()]);
    read_with_shares_agrees(store, &sharer, &ex1, vec![shared.clone()]).await?;
    assert_eq!(store.shares_with("isva1").await?, vec![shared.clone()]);
    assert!(store.shares_with("4471").await?.is_empty());
    let records = store.audit_records(0, u64::MAX).await?;
    let disclosed = records
        .iter()
        .rev()
        .find(|r| r.category == "disclosure" && r.object == "case:exampleshire/EX-1")
        .unwrap_or_else(|| panic!("no disclosure record of the share"));
    assert_eq!(disclosed.recipient.as_deref(), Some("user:isva1"));
    assert_eq!(
        disclosed.reason.as_deref(),
        Some("victim consents to ISVA support")
    );
    assert_eq!(disclosed.actor, "user:4471");

    assert!(matches!(
        store
            .revoke_share(
                &sharer,
                &key("exampleshire", "EX-2"),
                shared.id,
                at("2026-03-06T09:00:00.000000Z")
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let revoked = store
        .revoke_share(&sharer, &ex1, shared.id, at("2026-03-06T09:00:00.000000Z"))
        .await?;
    assert_eq!(revoked.revoked_by.as_deref(), Some("user:4471"));
    assert!(!revoked.is_active());
    let records_after = store.audit_records(0, u64::MAX).await?.len();
    let again = store
        .revoke_share(&sharer, &ex1, shared.id, at("2026-03-07T09:00:00.000000Z"))
        .await?;
    assert_eq!(again, revoked, "revoking twice changes nothing");
    assert_eq!(store.audit_records(0, u64::MAX).await?.len(), records_after);
    assert!(
        store.shares_with("isva1").await?.is_empty(),
        "revoked shares are not in force"
    );
    assert_eq!(
        store.case_shares(&ex1).await?,
        vec![revoked.clone()],
        "but are kept"
    );
    read_with_shares_agrees(store, &sharer, &ex1, vec![revoked.clone()]).await?;
    let (missing, none) = store
        .read_case_and_shares_if_changed(&sharer, &key("exampleshire", "NOPE"), None)
        .await?;
    assert!(matches!(missing, crate::CaseRead::Missing));
    assert!(none.is_empty(), "no shares for a case that is not there");
    // Shared again: both shares, oldest first.
    let again = store.share_case(&sharer, &share).await?;
    read_with_shares_agrees(store, &sharer, &ex1, vec![revoked, again]).await?;
    Ok(())
}

/// `read_case_and_shares_if_changed` answers what `read_case_if_changed` and `case_shares`
/// answer apart (`shares` is the latter's answer), read or unchanged, with one audit record a
/// call.
async fn read_with_shares_agrees<S: Store>(
    store: &S,
    access: &Access,
    case: &CaseKey,
    shares: Vec<crate::CaseShare>,
) -> StoreResult<()> {
    use crate::CaseRead;
    let before = store.audit_records(0, u64::MAX).await?.len();
    let (read, read_shares) = store
        .read_case_and_shares_if_changed(access, case, None)
        .await?;
    let CaseRead::Read(stored) = read else {
        panic!("a read holding no version returns the case, not {read:?}");
    };
    assert_eq!(read_shares, shares);
    let (unchanged, unchanged_shares) = store
        .read_case_and_shares_if_changed(access, case, Some(stored.version))
        .await?;
    assert!(matches!(unchanged, CaseRead::Unchanged { version } if version == stored.version));
    assert_eq!(unchanged_shares, shares);
    let records = store.audit_records(0, u64::MAX).await?;
    let consulted = records[before..]
        .iter()
        .filter(|r| r.category == "consultation" && r.actor == access.actor)
        .count();
    assert_eq!(consulted, 2, "each read with shares is audited as a read");
    Ok(())
}

fn linkage_lines() -> Vec<String> {
    [
        r#"{"case":"LK-1","force":"exampleshire","at":"2026-02-01T09:00:00Z","kind":"officer_allocated","id":"lk1-1","officer":"4471","role":"oic"}"#,
        r#"{"case":"LK-1","force":"exampleshire","at":"2026-02-01T09:10:00Z","kind":"person_added","id":"lk1-2","person":"S1","role":"suspect","identity":{"given_name":"Idris","family_name":"Penhallow","date_of_birth":"1988-03-11"}}"#,
        r#"{"case":"LK-2","force":"otherton","at":"2026-03-01T09:00:00Z","kind":"officer_allocated","id":"lk2-1","officer":"8120","role":"oic"}"#,
        r#"{"case":"LK-2","force":"otherton","at":"2026-03-01T09:10:00Z","kind":"person_added","id":"lk2-2","person":"S1","role":"suspect","identity":{"given_name":"Penhalow","family_name":"Idriss","date_of_birth":"1988-03-11"}}"#,
        r#"{"case":"LK-3","force":"otherton","at":"2026-03-02T09:10:00Z","kind":"person_added","id":"lk3-1","person":"S1","role":"suspect","identity":{"given_name":"Saoirse","family_name":"Quarrell","date_of_birth":"1970-10-02"}}"#,
        r#"{"case":"LK-3","force":"otherton","at":"2026-03-02T09:12:00Z","kind":"person_added","id":"lk3-2","person":"V1","role":"victim","identity":{"given_name":"Idris","family_name":"Penhallow","date_of_birth":"1988-03-11"}}"#,
    ]
    .iter()
    .map(|line| (*line).to_owned())
    .collect()
}

fn appends_of(lines: &[String]) -> Vec<Append> {
    let mut reader = EventReader::new();
    let mut order: Vec<CaseKey> = Vec::new();
    let mut by_case: HashMap<CaseKey, Vec<NewEvent>> = HashMap::new();
    for line in lines {
        let event = match reader.read(line) {
            Ok(event) => event,
            Err(error) => panic!("linkage line does not parse: {error}"),
        };
        let case = event.case().clone();
        if !by_case.contains_key(&case) {
            order.push(case.clone());
        }
        by_case.entry(case).or_default().push(event);
    }
    order
        .into_iter()
        .map(|case| Append {
            events: by_case.remove(&case).unwrap_or_default(),
            case,
            expected: ExpectedVersion::Any,
        })
        .collect()
}

/// Suspect linkage: a suspect added with an identity is linked to a suspect of another case
/// whose name is respelt and swapped; victims and unrelated suspects are not; a reviewer confirms
/// with a rationale (audited on both cases); counts follow; a full re-link keeps decisions; a
/// corrected identity re-links.
pub async fn suspect_linkage<S: Store>(store: &S) -> StoreResult<()> {
    use crate::linking::{LinkDecision, LinkStatus};
    store
        .append(&officer(), appends_of(&linkage_lines()))
        .await?;
    let lk1 = key("exampleshire", "LK-1");
    let lk2 = key("otherton", "LK-2");
    let lk3 = key("otherton", "LK-3");
    let links = store.case_links(&officer(), &lk1).await?;
    assert_eq!(links.len(), 1, "one suggestion for LK-1: {links:?}");
    let link = &links[0];
    assert_eq!(link.status, LinkStatus::Suggested);
    assert_eq!(link.this.reference, "LK-1");
    assert_eq!(link.other.reference, "LK-2");
    assert_eq!(link.other.person, "S1");
    assert_eq!(link.other.officer.as_deref(), Some("8120"));
    assert!(link.score >= linkage::SUGGEST_THRESHOLD && link.score <= 1.0);
    assert!(
        link.reasons.iter().any(|r| r == "names_swapped"),
        "{:?}",
        link.reasons
    );
    assert!(link.reasons.iter().any(|r| r == "dob_exact"));
    let from_other = store.case_links(&officer(), &lk2).await?;
    assert_eq!(from_other.len(), 1);
    assert_eq!(from_other[0].id, link.id);
    assert_eq!(from_other[0].this.reference, "LK-2");
    assert!(
        store.case_links(&officer(), &lk3).await?.is_empty(),
        "victims are not linked"
    );

    // A lookup finds the stored suspect without writing anything.
    let identity = domain::interchange::Identity {
        given_name: Some("Idris".into()),
        family_name: Some("Penhallow".into()),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1988, 3, 12),
        ..Default::default()
    };
    let found = store
        .link_candidates(&officer(), &identity, Some(&lk1))
        .await?;
    assert_eq!(
        found.first().map(|m| m.suspect.reference.as_str()),
        Some("LK-2")
    );
    assert!(found.iter().all(|m| m.suspect.reference != "LK-1"));

    // Decisions need a rationale and are audited on both cases.
    let refused = store
        .decide_link(&officer(), link.id, LinkDecision::Confirm, "  ")
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    assert!(matches!(
        store
            .decide_link(&officer(), 999_999, LinkDecision::Confirm, "x")
            .await,
        Err(StoreError::NotFound(_))
    ));
    let before = store.audit_records(0, u64::MAX).await?.len();
    let decided = store
        .decide_link(
            &officer(),
            link.id,
            LinkDecision::Confirm,
            "same custody photograph",
        )
        .await?;
    assert_eq!(decided.status, LinkStatus::Confirmed);
    assert_eq!(decided.decided_by.as_deref(), Some("user:4471"));
    assert_eq!(
        decided.rationale.as_deref(),
        Some("same custody photograph")
    );
    let records = store.audit_records(0, u64::MAX).await?;
    let decisions: Vec<_> = records[before..]
        .iter()
        .filter(|r| r.category == "alteration" && r.detail["link"] == link.id)
        .collect();
    let objects: Vec<&str> = decisions.iter().map(|r| r.object.as_str()).collect();
    assert!(objects.contains(&"case:exampleshire/LK-1"), "{objects:?}");
    assert!(objects.contains(&"case:otherton/LK-2"), "{objects:?}");
    assert!(
        decisions
            .iter()
            .all(|r| r.reason.as_deref() == Some("same custody photograph"))
    );

    let all = store.repeat_suspects(&officer(), None).await?;
    assert_eq!(
        (
            all.linked_suspects,
            all.confirmed_links,
            all.suggested_links
        ),
        (2, 1, 0)
    );
    let exampleshire = store
        .repeat_suspects(&officer(), Some("exampleshire"))
        .await?;
    assert_eq!(exampleshire.linked_suspects, 1);
    let nowhere = store.repeat_suspects(&officer(), Some("nowhere")).await?;
    assert_eq!(nowhere.linked_suspects, 0);

    // A full re-link keeps the decision and reports its progress.
    let mut phases = Vec::new();
    let report = store
        .relink_all(&officer(), &mut |p: crate::linking::RelinkProgress| {
            phases.push(p.phase)
        })
        .await?;
    assert_eq!(report.people, 3);
    assert_eq!(report.profiled, 3);
    assert!(report.tokens > 0);
    assert!(phases.contains(&"index") && phases.contains(&"suggest"));
    let links = store.case_links(&officer(), &lk1).await?;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].status, LinkStatus::Confirmed);

    // A corrected identity for LK-3's suspect re-profiles it and links it.
    let correction = r#"{"case":"LK-3","force":"otherton","at":"2026-03-03T09:00:00Z","kind":"person_added","id":"lk3-3","person":"S1","role":"suspect","identity":{"given_name":"Idris","family_name":"Penhallow","date_of_birth":"1987-03-11","aliases":["Idris Pen"]}}"#;
    store
        .append(&officer(), appends_of(&[correction.to_owned()]))
        .await?;
    let links = store.case_links(&officer(), &lk3).await?;
    let others: Vec<&str> = links.iter().map(|l| l.other.reference.as_str()).collect();
    assert!(others.contains(&"LK-1"), "{others:?}");
    let no_old = store
        .link_candidates(
            &officer(),
            &domain::interchange::Identity {
                given_name: Some("Saoirse".into()),
                family_name: Some("Quarrell".into()),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1970, 10, 2),
                ..Default::default()
            },
            None,
        )
        .await?;
    assert!(no_old.is_empty(), "the replaced profile's tokens are gone");
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::model::EventReader;

    /// Here rather than in `model` (which the harness sits above): the sample's repeated lines
    /// are what makes reading in parallel number ids like reading in sequence worth checking.
    #[test]
    fn parallel_reading_numbers_repeated_lines_like_sequential_reading() {
        let mut lines = super::sample_lines();
        lines.extend(super::sample_lines());
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        let parallel: Vec<String> = EventReader::new()
            .read_all(&texts)
            .into_iter()
            .map(|event| event.expect("valid").id)
            .collect();
        let mut reader = EventReader::new();
        let sequential: Vec<String> = texts
            .iter()
            .map(|line| reader.read(line).expect("valid").id)
            .collect();
        assert_eq!(parallel, sequential);
        // The two identical id-less notes of the sample get distinct ids, and their repeats
        // in the second copy get further ones.
        let notes: std::collections::HashSet<&String> =
            sequential.iter().filter(|id| id.starts_with('~')).collect();
        assert_eq!(notes.len(), 4);
    }
}
