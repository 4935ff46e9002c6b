//! Unsealing a person's identity: members with their purpose, anyone else only through
//! break-glass and with a reason of their own.

use super::cases::authorise_case;
use crate::access::{Action, Relation};
use crate::error::AppError;
use crate::state::AppState;
use crate::viewer::Viewer;

pub fn person_key(person: &str) -> Result<domain::PersonKey, AppError> {
    if person.is_empty()
        || person.len() > 16
        || !person
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(
            "person",
            "A person key is letters and digits, like V1.",
        ));
    }
    Ok(person.into())
}

/// Unseals one person's identity. Members may (purpose investigation or supervision); others
/// only through break-glass and with their own reason for this unsealing.
pub async fn unseal(
    state: &AppState,
    viewer: &Viewer,
    key: &domain::CaseKey,
    person: &domain::PersonKey,
    reason: Option<&str>,
) -> Result<Option<String>, AppError> {
    let (mut access, relation, cached) =
        authorise_case(state, viewer, key, Action::CaseUnseal).await?;
    if !crate::rows::people(&cached.case)
        .iter()
        .any(|p| p.key == person.as_str())
    {
        return Err(AppError::not_found());
    }
    if relation != Relation::Member {
        match reason.map(str::trim).filter(|r| r.len() >= 10) {
            Some(reason) => access = access.with_reason(reason),
            None => return Ok(None),
        }
    } else if let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        access = access.with_reason(reason);
    }
    let identity = state.store.read_identity(&access, key, person).await?;
    Ok(Some(identity.map_or_else(
        || "(no identity recorded)".to_owned(),
        |i| crate::rows::display_name(&i),
    )))
}
