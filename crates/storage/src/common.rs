//! What both stores share and neither owns: the sealed identity field, the key ring, the
//! projection of a case into its `cases` row, the parse of a stored event, the audit objects and
//! entries the stores write themselves. Neither backend imports the other: both import this.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::interchange::{EventData, OfficerRole, parse_record};
use domain::{Case, PersonKey, RuleSet};
use serde_json::{Value, json};

use crate::access::Category;
use crate::audit::{AuditEntry, format_time};
use crate::chain::Recomputed;
use crate::error::{StoreError, StoreResult};
use crate::keys::{DataKey, MasterKey};
use crate::model::CaseStatus;

/// Cases per page when streaming.
pub(crate) const PAGE: i64 = 256;

/// The master key and the data keys it unwrapped, with the one new data is sealed with.
pub struct KeyRing {
    pub(crate) master: MasterKey,
    pub(crate) keys: HashMap<i64, DataKey>,
    pub(crate) active: i64,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never a key.
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// The active data key, with its id.
    pub(crate) fn active_key(&self) -> StoreResult<(i64, DataKey)> {
        let key = self
            .keys
            .get(&self.active)
            .cloned()
            .ok_or_else(|| StoreError::Key("no active data key".into()))?;
        Ok((self.active, key))
    }

    /// The data key `key_id`.
    pub(crate) fn data_key(&self, key_id: i64) -> StoreResult<DataKey> {
        self.keys
            .get(&key_id)
            .cloned()
            .ok_or_else(|| StoreError::Key(format!("data key {key_id} is not in the key ring")))
    }
}

/// A store's `Debug`: its type and where it keeps its data, never a key or a secret.
pub(crate) fn debug_store(
    f: &mut std::fmt::Formatter<'_>,
    store: &str,
    place: &dyn std::fmt::Debug,
) -> std::fmt::Result {
    f.debug_struct(store)
        .field("at", place)
        .finish_non_exhaustive()
}

/// The error of a poisoned key ring lock.
pub(crate) fn lock_poisoned() -> StoreError {
    StoreError::Key("the key ring lock is poisoned".into())
}

/// Parses a stored event, naming the case and sequence number (never a value) when it fails.
pub(crate) fn parse_body(
    body: &str,
    force: &str,
    reference: &str,
    seq: i64,
) -> StoreResult<domain::Record> {
    parse_record(body).map_err(|error| {
        StoreError::Corrupt(format!(
            "case {force}/{reference} event {seq} does not parse: {}",
            error.field.as_deref().unwrap_or("(record)")
        ))
    })
}

/// What the `cases` row keeps of a case besides its version and head.
pub(crate) struct Projection {
    pub(crate) status: CaseStatus,
    pub(crate) officer: Option<String>,
    pub(crate) open_findings: u64,
    pub(crate) people: u64,
    pub(crate) reported_at: Option<String>,
    pub(crate) last_event_at: Option<String>,
}

/// The projection of `case` at `now` under `rules`.
pub(crate) fn project(case: &Case, rules: &RuleSet, now: DateTime<Utc>) -> Projection {
    let mut status = CaseStatus::Open;
    let mut officer = None;
    let mut people: HashSet<&PersonKey> = HashSet::new();
    let mut reported_at = None;
    let mut last_event_at = None;
    for event in case.events() {
        match &event.data {
            EventData::OfficerAllocated(allocated) if allocated.role == OfficerRole::Oic => {
                officer = Some(allocated.officer.to_string());
            }
            EventData::CaseClosed(_) => status = CaseStatus::Closed,
            EventData::PersonAdded(person) => {
                people.insert(&person.person);
            }
            EventData::ReportReceived(_) if reported_at.is_none() => {
                reported_at = Some(format_time(event.at.with_timezone(&Utc)));
            }
            _ => {}
        }
        last_event_at = Some(format_time(event.at.with_timezone(&Utc)));
    }
    let open_findings = rules
        .evaluate(case, now)
        .iter()
        .filter(|finding| finding.status.is_open())
        .count() as u64;
    Projection {
        status,
        officer,
        open_findings,
        people: people.len() as u64,
        reported_at,
        last_event_at,
    }
}

/// A sealed identity's plaintext as JSON.
pub(crate) fn identity_from_plaintext(plaintext: &[u8], what: &str) -> StoreResult<Value> {
    // Never include the parser's message: it could quote the identity.
    serde_json::from_slice(plaintext)
        .map_err(|_| StoreError::Corrupt(format!("sealed {what} is not JSON")))
}

/// A time the store wrote (RFC 3339 text), as a time; `what` names it when it does not parse.
pub(crate) fn stored_time(text: &str, what: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("{what}: a stored time does not parse")))
}

/// `at` as the store keeps it: to the microsecond (what [`format_time`] writes).
pub(crate) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(at, 6)
}

/// The actor of the store's own records.
pub(crate) const STORE_ACTOR: &str = "rasso:store";

/// The record binding a back-filled case's head.
pub(crate) fn backfill_entry(force: &str, reference: &str, chain: &Recomputed) -> AuditEntry {
    AuditEntry {
        actor: STORE_ACTOR.to_owned(),
        category: Category::Consultation,
        object: crate::audit::case_object(force, reference),
        purpose: crate::access::Purpose::Administration.as_str().to_owned(),
        reason: Some("case chains: the head of the events stored before chains existed".into()),
        recipient: None,
        detail: json!({
            "chain": "back-filled",
            "to_version": chain.events,
            "head": crate::chain::to_hex(&chain.head),
        }),
    }
}

/// The record closing an upgrade.
pub(crate) fn upgrade_entry(cases: u64) -> AuditEntry {
    AuditEntry {
        actor: STORE_ACTOR.to_owned(),
        category: Category::Consultation,
        object: "audit:chains".to_owned(),
        purpose: crate::access::Purpose::Administration.as_str().to_owned(),
        reason: Some("upgrade: case chains and a signed head with counts and state".into()),
        recipient: None,
        detail: json!({"back_filled_cases": cases}),
    }
}

/// The actor a transaction acts for (PostgreSQL's row-level security): the access's, or the
/// store itself for housekeeping without a user behind it.
pub(crate) fn actor_of(access: &crate::access::Access) -> &str {
    if access.actor.trim().is_empty() {
        STORE_ACTOR
    } else {
        &access.actor
    }
}

/// What every store holds besides its connections: the key ring, the audit signer and the head it
/// last checked or wrote, the rules it evaluates cases under, the plugins whose findings report
/// facts include, and the fault injector of tests.
#[derive(Debug)]
pub struct Core {
    pub(crate) keys: std::sync::RwLock<KeyRing>,
    pub(crate) signer: crate::audit::AuditSigner,
    pub(crate) trust: std::sync::Arc<crate::audit::HeadTrust>,
    pub(crate) rules: RuleSet,
    /// Force plugins whose findings report facts include (none unless attached).
    pub(crate) facts_plugins: crate::facts::FactsPlugins,
    pub(crate) faults: Option<std::sync::Arc<crate::fault::FaultInjector>>,
}

impl Core {
    /// A store's core with the national rule set, no plugins and no faults.
    pub(crate) fn new(
        keys: KeyRing,
        signer: crate::audit::AuditSigner,
        trust: std::sync::Arc<crate::audit::HeadTrust>,
    ) -> Self {
        Core {
            keys: std::sync::RwLock::new(keys),
            signer,
            trust,
            rules: RuleSet::national(),
            facts_plugins: Default::default(),
            faults: None,
        }
    }

    /// The active data key, with its id.
    pub(crate) fn active_key(&self) -> StoreResult<(i64, DataKey)> {
        self.keys.read().map_err(|_| lock_poisoned())?.active_key()
    }

    /// The master key the data keys are wrapped with.
    pub(crate) fn master(&self) -> StoreResult<MasterKey> {
        Ok(self
            .keys
            .read()
            .map_err(|_| lock_poisoned())?
            .master
            .clone())
    }

    /// Uses `ring` from now on (after a copy brought other data keys).
    pub(crate) fn install_keys(&self, ring: KeyRing) -> StoreResult<()> {
        *self.keys.write().map_err(|_| lock_poisoned())? = ring;
        Ok(())
    }
}
