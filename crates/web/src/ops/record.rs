//! Recording what happens next: an event object (from a form or the API) becomes an interchange
//! event, built once and checked by the domain's own parser (so the web accepts exactly what the
//! interchange format accepts), then checked against the case (the person exists and has the
//! right role), then evaluated with the rules to warn of any breach the event would create, then
//! appended (audited).

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use domain::interchange::parse_object;
use domain::{Case, CaseKey, Record};
use serde_json::{Map, Value};
use storage::NewEvent;

use super::cases::authorise_case;
use crate::access::{Action, Relation};
use crate::error::{AppError, FieldError};
use crate::rows::{FindingRow, people};
use crate::state::{AppState, CachedCase};
use crate::viewer::Viewer;

/// A proposed event, validated against the format and the case.
#[derive(Debug, Clone)]
pub struct Proposed {
    pub event: NewEvent,
    /// Findings the event would newly make breached or overdue (empty: nothing to warn about).
    pub warnings: Vec<FindingRow>,
}

/// Kinds whose `officer` field names who did it (the reviewer, the decision maker): always the
/// signed-in officer. (`officer_allocated`'s `officer` is the officer being allocated.)
const ACTOR_OFFICER_KINDS: [&str; 2] = ["supervisor_review", "decision_recorded"];

/// Sets `officer` to the viewer on kinds where it names who acted; a different value from the
/// client is refused, never recorded.
fn officer_is_the_viewer(object: &mut Map<String, Value>, viewer: &Viewer) -> Result<(), AppError> {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    if !ACTOR_OFFICER_KINDS.contains(&kind) {
        return Ok(());
    }
    match object.get("officer") {
        None | Some(Value::Null) => {}
        Some(Value::String(sent)) if sent == viewer.officer_id() => {}
        Some(_) => {
            return Err(AppError::invalid(
                "officer",
                "The officer is you: it comes from your sign-in, not from the form or request.",
            ));
        }
    }
    object.insert("officer".into(), viewer.officer_id().into());
    Ok(())
}

/// The earliest instant an event of the case can have happened: the earliest time its reports
/// give for the offence (or the report itself, where no offence time is known).
fn earliest_possible(case: &Case) -> Option<DateTime<Utc>> {
    case.events()
        .iter()
        .filter_map(|event| match &event.data {
            domain::EventData::ReportReceived(report) => {
                let offence = report.offence_from.as_ref().or(report.offence_to.as_ref());
                Some(offence.map_or(event.at, |at| *at).with_timezone(&Utc))
            }
            _ => None,
        })
        .min()
}

/// Refuses values no user can mean: an outcome outside the Home Office list, a time before the
/// offence or after the report it is part of, or in the future.
fn check_values(case: &Case, record: &Record, now: DateTime<Utc>) -> Result<(), AppError> {
    let at = record.event.at.with_timezone(&Utc);
    if at > now + chrono::Duration::minutes(5) {
        return Err(AppError::invalid("at", "The time is in the future."));
    }
    match &record.event.data {
        domain::EventData::CaseClosed(closed) if !(1..=22).contains(&closed.outcome) => {
            return Err(AppError::invalid(
                "outcome",
                "Choose a Home Office outcome from 1 to 22.",
            ));
        }
        _ => {}
    }
    if let Some(error) = offence_after_report(&record.event.data, at).next() {
        return Err(error.into());
    }
    if record.event.kind() != domain::interchange::Kind::ReportReceived
        && let Some(earliest) = earliest_possible(case)
        && at < earliest
    {
        return Err(AppError::invalid(
            "at",
            format!(
                "The time is before the offence or its report ({}): check the date.",
                crate::rows::local_time(&earliest)
            ),
        ));
    }
    Ok(())
}

/// An error for each offence time of a report that is after the report (`at`).
fn offence_after_report(
    data: &domain::EventData,
    at: DateTime<Utc>,
) -> impl Iterator<Item = FieldError> + '_ {
    let offences = match data {
        domain::EventData::ReportReceived(report) => vec![
            ("offence_from", &report.offence_from),
            ("offence_to", &report.offence_to),
        ],
        _ => Vec::new(),
    };
    offences
        .into_iter()
        .filter(move |(_, offence)| offence.as_ref().is_some_and(|o| o.with_timezone(&Utc) > at))
        .map(|(field, _)| FieldError::new(field, "The offence cannot be after the report of it."))
}

/// The event of case `key` made of `object` (the kind's fields and `kind`) at `at` with `id`,
/// built once: the object is completed with the envelope and read by the format's own parser
/// as it is, never written out as text and read again. The form and the API both record
/// through here, and a new case's events are made here too.
pub fn build_event(
    key: &CaseKey,
    at: Value,
    id: Value,
    object: Map<String, Value>,
) -> Result<NewEvent, FieldError> {
    let mut full = Map::new();
    full.insert("case".into(), key.reference.as_str().into());
    full.insert("force".into(), key.force.as_str().into());
    full.insert("at".into(), at);
    full.insert("id".into(), id);
    full.extend(object);
    let record = parse_object(full).map_err(|error| FieldError {
        field: error.field.or_else(|| missing_field(&error.message)),
        message: error.message,
    })?;
    refuse_unknown_fields(&record)?;
    Ok(NewEvent::from_record(record))
}

/// Refuses an event made on the web with a field its kind does not have. The interchange
/// format keeps such fields from files (another tool's newer fields survive a round trip), but
/// from a form or an API call they are a mistake (a misspelt field, whose value would otherwise
/// be dropped from the rules without a word) or a forged one (an `officer` on a kind that
/// records none would be stored and exported as if it said who acted).
fn refuse_unknown_fields(record: &domain::interchange::Record) -> Result<(), FieldError> {
    let Some(unknown) = record
        .event
        .extra
        .as_deref()
        .and_then(|extra| extra.keys().next())
    else {
        return Ok(());
    };
    let kind = record.event.kind().as_str();
    // The name comes from the client: echoed only if it looks like a field name.
    let plain = unknown.len() <= 40
        && unknown
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    Err(if plain {
        FieldError {
            field: Some(unknown.clone()),
            message: format!("`{unknown}` is not a field of {kind} events."),
        }
    } else {
        FieldError {
            field: Some("kind".into()),
            message: format!("The request has a field {kind} events do not have."),
        }
    })
}

/// A fresh event id for an event made on the web.
fn new_event_id() -> Value {
    format!("web-{}", &crate::secrets::random_token()[..24]).into()
}

/// Completes `object` (kind-specific fields, `kind`; optionally `at` and `id`) into an event of
/// the case, checks that the viewer may record it and that its values can be meant, and
/// evaluates the rules with it.
pub fn propose(
    state: &AppState,
    viewer: &Viewer,
    cached: &CachedCase,
    mut object: Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Proposed, AppError> {
    let case = &cached.case;
    let key = &case.key;
    officer_is_the_viewer(&mut object, viewer)?;
    for envelope in ["case", "force"] {
        if object.contains_key(envelope) {
            return Err(AppError::invalid(
                envelope,
                format!("`{envelope}` comes from the address, not the body"),
            ));
        }
    }
    // A retry of an event the case already holds (same id, no time given) is the same event: it
    // keeps the stored time, so that it is recognised as the same and stored once.
    let retried_at = object
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| {
            case.events()
                .iter()
                .find(|event| event.id.as_deref() == Some(id))
        })
        .map(|event| Value::from(event.at.to_rfc3339_opts(SecondsFormat::AutoSi, true)));
    let at = object
        .remove("at")
        .or(retried_at)
        .unwrap_or_else(|| now.to_rfc3339_opts(SecondsFormat::Secs, true).into());
    let id = object.remove("id").unwrap_or_else(new_event_id);
    // Identity is given only when a person is added (the store seals it before writing).
    if object.contains_key("identity")
        && object.get("kind").and_then(Value::as_str) != Some("person_added")
    {
        return Err(AppError::invalid(
            "identity",
            "Identity is given only when a person is added (person_added)",
        ));
    }
    let event = build_event(key, at, id, object)?;
    let record = &event.record;
    crate::access::may_record(
        viewer.role,
        record.event.kind(),
        cached.is_officer_in_case(viewer),
    )
    .map_err(|refusal| {
        AppError::new(
            axum::http::StatusCode::FORBIDDEN,
            "not_your_decision",
            refusal.message,
        )
        .with_field("kind")
    })?;
    check_values(case, record, now)?;
    if let domain::EventData::PersonAdded(added) = &record.event.data {
        // A new person, or a correction of one already on the case with the same role.
        if let Some(existing) = people(case).iter().find(|p| p.key == added.person.as_str())
            && existing.role != crate::rows::role_name(added.role)
        {
            return Err(AppError::invalid(
                "person",
                "That key is already someone else's on this case: choose a new key.",
            ));
        }
    } else if let Some(person) = record.event.person() {
        let known = people(case);
        let Some(found) = known.iter().find(|p| p.key == person.as_str()) else {
            return Err(AppError::invalid(
                "person",
                "Choose a person added to this case.",
            ));
        };
        let expected = crate::kinds::spec(record.event.kind())
            .fields
            .iter()
            .find_map(|field| match field.input {
                crate::kinds::Input::Person(crate::kinds::People::Victims) => Some("victim"),
                crate::kinds::Input::Person(crate::kinds::People::Suspects) => Some("suspect"),
                _ => None,
            });
        if let Some(role) = expected
            && found.role != role
        {
            return Err(AppError::invalid(
                "person",
                format!("Choose a {role} of this case."),
            ));
        }
    }
    let before = crate::state::findings(state, case, now);
    let mut after_case = case.clone();
    after_case.push(record.event.clone());
    let after = crate::state::findings(state, &after_case, now);
    let warnings = after
        .into_iter()
        .filter(|f| matches!(f.status, domain::Status::Breached | domain::Status::Overdue))
        .filter(|f| {
            !before.iter().any(|b| {
                b.view.rule == f.view.rule
                    && b.view.person == f.view.person
                    && b.view.trigger_at == f.view.trigger_at
                    && b.status == f.status
            })
        })
        .collect();
    Ok(Proposed { event, warnings })
}

/// The field named by a serde "missing field `x`" message.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.split("missing field `").nth(1)?;
    rest.split('`').next().map(str::to_owned)
}

/// Outcome of recording an event.
#[derive(Debug)]
pub enum Recorded {
    Done,
    Warnings(Vec<FindingRow>),
}

/// Records `object` on a case for `viewer`: authorise, read (audited), validate, warn unless
/// confirmed, append with the version read, or with `expected` when the client names the version
/// it saw (audited). A version that is no longer the case's is a conflict (409), unless the event
/// is already stored (a retry of a write that succeeded).
pub async fn record_event(
    state: &AppState,
    viewer: &Viewer,
    key: &domain::CaseKey,
    object: serde_json::Map<String, serde_json::Value>,
    confirm: bool,
    expected: Option<u64>,
) -> Result<(Recorded, Arc<CachedCase>, Relation), AppError> {
    let (access, relation, _) = authorise_case(state, viewer, key, Action::CaseWrite).await?;
    let cached = super::cases::read(state, &access, key).await?;
    let (recorded, cached) =
        record_on(state, viewer, &access, cached, object, confirm, expected).await?;
    Ok((recorded, cached, relation))
}

/// Records `object` on `cached` (read with `access`, which allowed [`Action::CaseWrite`]):
/// validate, warn unless confirmed, append with the version read or `expected` (audited).
pub async fn record_on(
    state: &AppState,
    viewer: &Viewer,
    access: &storage::Access,
    cached: Arc<CachedCase>,
    object: serde_json::Map<String, serde_json::Value>,
    confirm: bool,
    expected: Option<u64>,
) -> Result<(Recorded, Arc<CachedCase>), AppError> {
    let key = &cached.case.key;
    let proposed = propose(state, viewer, &cached, object, state.now())?;
    if !proposed.warnings.is_empty() && !confirm {
        return Ok((Recorded::Warnings(proposed.warnings), cached));
    }
    let outcome = state
        .store
        .append(
            access,
            vec![storage::Append {
                case: key.clone(),
                expected: storage::ExpectedVersion::Exact(expected.unwrap_or(cached.version)),
                events: vec![proposed.event.clone()],
            }],
        )
        .await?;
    let Some(outcome) = outcome.first().filter(|o| o.appended > 0) else {
        // Already stored (an idempotent retry): the case just read holds it.
        return Ok((Recorded::Done, cached));
    };
    let mut case = cached.case.clone();
    let mut event = proposed.event.record.event;
    // The store keeps identity sealed and the stored event's `identity` empty: so does the copy
    // the server holds.
    if let domain::EventData::PersonAdded(added) = &mut event.data {
        added.identity = None;
    }
    case.push(event);
    let cached = state.remember(case, outcome.version);
    Ok((Recorded::Done, cached))
}

/// Opens case `key` with its report (`report`: the kind's fields, reported `at`) and the
/// viewer's allocation (as supervisor or officer in case), appended as a new case (refused if the
/// reference is taken). Errors are by field.
pub async fn open_case(
    state: &AppState,
    viewer: &Viewer,
    access: &storage::Access,
    key: CaseKey,
    at: DateTime<Utc>,
    report: Map<String, Value>,
) -> Result<CaseKey, Vec<FieldError>> {
    let stamp = Value::from(at.to_rfc3339_opts(SecondsFormat::Secs, true));
    // A new case's events name no field of the form when the format refuses them: the report's
    // time stands for them.
    let event = |object: Map<String, Value>| {
        build_event(&key, stamp.clone(), new_event_id(), object).map_err(|error| {
            vec![FieldError {
                field: error.field.or_else(|| Some("when".into())),
                message: error.message,
            }]
        })
    };
    let report = event(report)?;
    let errors: Vec<FieldError> = offence_after_report(&report.record.event.data, at).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut allocation = Map::new();
    allocation.insert("kind".into(), "officer_allocated".into());
    allocation.insert("officer".into(), viewer.officer_id().into());
    let role = if viewer.role == crate::access::Role::Supervisor {
        "supervisor"
    } else {
        "oic"
    };
    allocation.insert("role".into(), role.into());
    let allocation = event(allocation)?;
    let events = vec![report, allocation];
    let case = domain::Case::new(
        key.clone(),
        events.iter().map(|e| e.record.event.clone()).collect(),
    );
    let outcome = state
        .store
        .append(
            access,
            vec![storage::Append {
                case: key.clone(),
                expected: storage::ExpectedVersion::NoCase,
                events,
            }],
        )
        .await;
    match outcome {
        Ok(outcome) => {
            let version = outcome.first().map_or(2, |o| o.version);
            state.remember(case, version);
            Ok(key)
        }
        Err(storage::StoreError::Conflict { .. }) => Err(vec![FieldError::new(
            "reference",
            "Your force already has a case with this reference.",
        )]),
        Err(error) => {
            let error = AppError::from(error);
            Err(vec![FieldError::new("reference", error.message)])
        }
    }
}
