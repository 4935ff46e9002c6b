//! Recording what happens next: an event object (from a form or the API) becomes an interchange
//! event, built once and checked by the domain's own parser (so the web accepts exactly what the
//! interchange format accepts), then checked against the case (the person exists and has the
//! right role), then evaluated with the rules to warn of any breach the event would create, then
//! appended (audited).

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use domain::interchange::parse_record;
use domain::{Case, Record};
use serde_json::{Map, Value, json};
use storage::NewEvent;

use super::cases::authorise_case;
use crate::access::{Action, Relation};
use crate::error::AppError;
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
        domain::EventData::ReportReceived(report) => {
            for (field, offence) in [
                ("offence_from", &report.offence_from),
                ("offence_to", &report.offence_to),
            ] {
                if offence.as_ref().is_some_and(|o| o.with_timezone(&Utc) > at) {
                    return Err(AppError::invalid(
                        field,
                        "The offence cannot be after the report of it.",
                    ));
                }
            }
        }
        _ => {}
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
    let mut full = Map::new();
    full.insert("case".into(), key.reference.as_str().into());
    full.insert("force".into(), key.force.as_str().into());
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
    full.insert("at".into(), at);
    let id = object
        .remove("id")
        .unwrap_or_else(|| format!("web-{}", &crate::secrets::random_token()[..24]).into());
    full.insert("id".into(), id);
    // Identity is given only when a person is added (the store seals it before writing).
    if object.contains_key("identity")
        && object.get("kind").and_then(Value::as_str) != Some("person_added")
    {
        return Err(AppError::invalid(
            "identity",
            "Identity is given only when a person is added (person_added)",
        ));
    }
    for (k, v) in object {
        full.insert(k, v);
    }
    let line = Value::Object(full).to_string();
    let record: Record = parse_record(&line).map_err(|error| match &error.field {
        Some(field) => AppError::invalid(field.clone(), error.message.clone()),
        None => match missing_field(&error.message) {
            Some(field) => AppError::invalid(field, error.message.clone()),
            None => AppError::bad_request(error.message.clone()),
        },
    })?;
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
    check_values(case, &record, now)?;
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
    let object = record.to_json();
    let event = NewEvent {
        id: record.event.id.as_deref().unwrap_or_default().to_owned(),
        record,
        object,
    };
    Ok(Proposed { event, warnings })
}

/// The field named by a serde "missing field `x`" message.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.split("missing field `").nth(1)?;
    rest.split('`').next().map(str::to_owned)
}

/// JSON describing warnings, for the API.
pub fn warnings_json(warnings: &[FindingRow]) -> Value {
    json!(warnings)
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
