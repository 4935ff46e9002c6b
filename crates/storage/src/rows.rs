//! The rows an append writes for one event, built the same way by both backends and by the bulk
//! loader: the body with the identity taken out, and the identity sealed.

use chrono::Utc;
use domain::Event;
use domain::interchange::{EventData, Identity, Role};
use serde_json::Value;

use crate::audit::format_time;
use crate::error::{StoreError, StoreResult};
use crate::keys::{DataKey, SealBinding};
use crate::model::NewEvent;
use crate::sqlite::IDENTITY_FIELD;

/// One `events` row (and its `sealed` row, when the event carried an identity).
pub(crate) struct EventRow {
    pub(crate) seq: i64,
    pub(crate) event_id: String,
    pub(crate) at: String,
    pub(crate) kind: &'static str,
    pub(crate) person: Option<String>,
    pub(crate) body: String,
    pub(crate) sealed: Option<SealedRow>,
}

/// One `sealed` row: the identity, encrypted with associated data binding case, person and field.
pub(crate) struct SealedRow {
    pub(crate) person: String,
    pub(crate) key_id: i64,
    pub(crate) nonce: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
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
