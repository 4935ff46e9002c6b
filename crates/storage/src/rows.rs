//! The rows an append writes for one event, built the same way by both backends and by the bulk
//! loader: the body with the identity taken out, and the identity sealed; each event's hash in its
//! case's chain; and the check that an event id the case already holds is sent again only with the
//! same content.

use std::collections::HashMap;

use chrono::Utc;
use domain::Event;
use domain::interchange::{EventData, Identity, Role};
use serde_json::{Map, Value};

use crate::audit::format_time;
use crate::canonical::canonical_json;
use crate::chain::{CaseChainer, CaseHead, Hash, SealedPart, StoredEvent, sealed_digest};
use crate::error::{StoreError, StoreResult};
use crate::keys::{DataKey, IDENTITY_FIELD, SealBinding};
use crate::model::NewEvent;
use crate::row_maps::HeldEvent;

/// One `events` row (and its `sealed` row, when the event carried an identity).
pub struct EventRow {
    pub(crate) seq: i64,
    pub(crate) event_id: String,
    pub(crate) at: String,
    pub(crate) kind: &'static str,
    pub(crate) person: Option<String>,
    pub(crate) body: String,
    pub(crate) sealed: Option<SealedRow>,
}

impl std::fmt::Debug for EventRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRow")
            .field("seq", &self.seq)
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// One `sealed` row: the identity, encrypted with associated data binding case, person and field.
pub(crate) struct SealedRow {
    pub(crate) person: String,
    pub(crate) key_id: i64,
    pub(crate) nonce: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
}

impl EventRow {
    /// Chains this event (event `self.seq` of case `force`/`reference`) onto `chainer`; returns
    /// the case's new head.
    pub(crate) fn chain_onto(
        &self,
        chainer: &mut CaseChainer,
        force: &str,
        reference: &str,
    ) -> Hash {
        let parts: Vec<SealedPart<'_>> = self
            .sealed
            .iter()
            .map(|sealed| SealedPart {
                field: IDENTITY_FIELD,
                person: &sealed.person,
                key_id: sealed.key_id,
                nonce: &sealed.nonce,
                ciphertext: &sealed.ciphertext,
            })
            .collect();
        let event = StoredEvent {
            force,
            reference,
            seq: self.seq,
            event_id: &self.event_id,
            at: &self.at,
            kind: self.kind,
            person: self.person.as_deref(),
            body: &self.body,
        };
        chainer.push(&event, &sealed_digest(&parts))
    }
}

/// The body an event is stored with: its object with a present identity replaced by `null` (the
/// identity is sealed apart).
fn body_value(object: &Map<String, Value>) -> Value {
    let mut body = object.clone();
    if let Some(identity) = body.get_mut(IDENTITY_FIELD)
        && !identity.is_null()
    {
        *identity = Value::Null;
    }
    Value::Object(body)
}

/// Whether a stored body and an event's object say the same thing. JSON objects are unordered,
/// so the comparison is of canonical forms: the same event written with its fields in another
/// order (a file exported and sent again, say) is a repeat, not another event. `rasso check`
/// compares lines of a file the same way (`cli::input`), so a file it accepts imports.
fn same_body(stored: &str, object: &Map<String, Value>) -> bool {
    match serde_json::from_str::<Value>(stored) {
        Ok(stored) => canonical_json(&stored) == canonical_json(&body_value(object)),
        Err(_) => false,
    }
}

/// The identity `new` carries, if any.
fn identity_of(object: &Map<String, Value>) -> Option<&Value> {
    object
        .get(IDENTITY_FIELD)
        .filter(|identity| !identity.is_null())
}

/// The events a case holds, with their sealed identities, in order: for telling a repeated event
/// from a reused id, and for the projection.
/// [`HELD_EVENTS`] by the case's key (`$1` force, `$2` reference).
pub(crate) const HELD_EVENTS_BY_KEY: &str = "SELECT e.seq, e.event_id, e.body, s.person AS sealed_person, \
     s.key_id, s.nonce, s.ciphertext FROM events e JOIN cases c ON c.case_id = e.case_id LEFT JOIN sealed s \
     ON s.case_id = e.case_id AND s.seq = e.seq AND s.field = 'identity' \
     WHERE c.force = $1 AND c.reference = $2 ORDER BY e.seq";

/// The audit entry of [`crate::CaseStore::check_append`]: a consultation of the cases' events.
pub(crate) fn check_append_entry(
    access: &crate::access::Access,
    cases: usize,
) -> crate::audit::AuditEntry {
    crate::audit::AuditEntry::new(
        access,
        crate::access::Category::Consultation,
        "cases:events",
    )
    .with_detail(serde_json::json!({"check_append": cases}))
}

pub(crate) const HELD_EVENTS: &str = "SELECT e.seq, e.event_id, e.body, s.person AS sealed_person, \
     s.key_id, s.nonce, s.ciphertext FROM events e LEFT JOIN sealed s ON s.case_id = e.case_id AND s.seq = e.seq \
     AND s.field = 'identity' WHERE e.case_id = $1 ORDER BY e.seq";

/// The chain head of a case at `version` (stored as `head`) before an append to it: `None` for a
/// new case. A case with events but no head is refused: its events were not written by this
/// store, or its head was removed, and chaining on would cover that.
pub(crate) fn chain_head(
    force: &str,
    reference: &str,
    version: u64,
    head: Option<&str>,
) -> StoreResult<Option<CaseHead>> {
    if version == 0 {
        return Ok(None);
    }
    let head = head.and_then(crate::chain::from_hex).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "case {force}/{reference} has no chain head (its events were stored outside the store, \
             or its head was removed); nothing is appended to it (run `rasso audit verify`)"
        ))
    })?;
    Ok(Some(CaseHead {
        force: force.to_owned(),
        reference: reference.to_owned(),
        version,
        head,
    }))
}

/// The events of `events` the case does not hold yet (in order), and how many repeated an event
/// already held or sent earlier in the batch. A repeat must be the same event: the same stored
/// body and the same identity (the held one is unsealed to compare); otherwise the id is being
/// reused for another event, and the whole append is refused with [`StoreError::EventIdReused`].
pub(crate) fn new_events(
    force: &str,
    reference: &str,
    events: Vec<NewEvent>,
    held: &HashMap<String, HeldEvent>,
    data_key: &dyn Fn(i64) -> StoreResult<DataKey>,
) -> StoreResult<(Vec<NewEvent>, u64)> {
    let reused = |id: &str| StoreError::EventIdReused {
        force: force.to_owned(),
        reference: reference.to_owned(),
        event_id: id.to_owned(),
    };
    let mut fresh: Vec<NewEvent> = Vec::with_capacity(events.len());
    let mut in_batch: HashMap<String, usize> = HashMap::new();
    let mut repeats = 0;
    for event in events {
        if let Some(stored) = held.get(&event.id) {
            let identity = identity_of(&event.object);
            let same_identity = match (&stored.sealed, identity) {
                (None, None) => true,
                (Some((person, key_id, nonce, ciphertext)), Some(identity)) => {
                    let binding = SealBinding {
                        force,
                        reference,
                        person,
                        field: IDENTITY_FIELD,
                        key_id: *key_id,
                    };
                    let plaintext = data_key(*key_id)?.open(&binding, nonce, ciphertext)?;
                    crate::common::identity_from_plaintext(&plaintext, &binding.describe())?
                        == *identity
                }
                _ => false,
            };
            if !same_identity || !same_body(&stored.body, &event.object) {
                return Err(reused(&event.id));
            }
            repeats += 1;
            continue;
        }
        if let Some(&index) = in_batch.get(&event.id) {
            let earlier = &fresh[index].object;
            if canonical_json(&body_value(earlier)) != canonical_json(&body_value(&event.object))
                || identity_of(earlier) != identity_of(&event.object)
            {
                return Err(reused(&event.id));
            }
            repeats += 1;
            continue;
        }
        in_batch.insert(event.id.clone(), fresh.len());
        fresh.push(event);
    }
    Ok((fresh, repeats))
}

/// The rows for `new` as event `seq` of case `force`/`reference`, sealing any identity with the
/// active data key; and the event as the projection sees it (identity left out).
pub(crate) fn event_row(
    new: NewEvent,
    seq: i64,
    force: &str,
    reference: &str,
    key: &(i64, DataKey),
) -> StoreResult<(EventRow, Event)> {
    let (key_id, data_key) = key;
    let mut body = new.object;
    let mut sealed = None;
    if let Some(identity) = body.get_mut(IDENTITY_FIELD)
        && !identity.is_null()
    {
        let person = new
            .record
            .event
            .person()
            .map(|person| person.to_string())
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "event {} carries an identity but names no person",
                    new.id
                ))
            })?;
        let plaintext = identity.take().to_string();
        let binding = SealBinding {
            force,
            reference,
            person: &person,
            field: IDENTITY_FIELD,
            key_id: *key_id,
        };
        let (nonce, ciphertext) = data_key.seal(&binding, plaintext.as_bytes())?;
        sealed = Some(SealedRow {
            person,
            key_id: *key_id,
            nonce: nonce.to_vec(),
            ciphertext,
        });
    }
    let row = EventRow {
        seq,
        at: format_time(new.record.event.at.with_timezone(&Utc)),
        kind: new.record.event.kind().as_str(),
        person: new.record.event.person().map(|person| person.to_string()),
        body: Value::Object(body).to_string(),
        event_id: new.id,
        sealed,
    };
    let mut event = new.record.event;
    if let EventData::PersonAdded(person) = &mut event.data {
        person.identity = None;
    }
    Ok((row, event))
}

/// The person key and identity of a suspect added with an identity: what suspect linkage needs,
/// taken before [`event_row`] seals the identity away.
pub(crate) fn suspect_identity(new: &NewEvent) -> Option<(String, Identity)> {
    match &new.record.event.data {
        EventData::PersonAdded(added) if added.role == Role::Suspect => added
            .identity
            .as_ref()
            .map(|identity| (added.person.to_string(), identity.clone())),
        _ => None,
    }
}

/// The multi-row insert of `events` rows, for [`push_event`].
pub(crate) const INSERT_EVENTS: &str =
    "INSERT INTO events (case_id, seq, event_id, at, kind, person, body, audit_seq) ";
/// The multi-row insert of `sealed` rows, for [`push_sealed`].
pub(crate) const INSERT_SEALED: &str =
    "INSERT INTO sealed (case_id, seq, field, person, key_id, nonce, ciphertext) ";

/// Adds `row` as event `row.seq` of case `case_id`, recorded by audit record `audit_seq`, to an
/// insert of [`INSERT_EVENTS`].
pub(crate) fn push_event<DB: crate::sql::SqlDb>(
    insert: &mut crate::sql::Values<DB>,
    case_id: i64,
    audit_seq: i64,
    row: &EventRow,
) {
    insert
        .row()
        .value(case_id)
        .value(row.seq)
        .value(&row.event_id)
        .value(&row.at)
        .value(row.kind)
        .value(&row.person)
        .value(&row.body)
        .value(audit_seq);
}

/// Adds the sealed identity of event `seq` of case `case_id` to an insert of [`INSERT_SEALED`].
pub(crate) fn push_sealed<DB: crate::sql::SqlDb>(
    insert: &mut crate::sql::Values<DB>,
    case_id: i64,
    seq: i64,
    sealed: &SealedRow,
) {
    insert
        .row()
        .value(case_id)
        .value(seq)
        .value(IDENTITY_FIELD)
        .value(&sealed.person)
        .value(sealed.key_id)
        .value(&sealed.nonce)
        .value(&sealed.ciphertext);
}
