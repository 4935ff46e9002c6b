//! Break-glass: access to a case outside the viewer's team, declared with a reason, audited, and
//! held for the session.

use storage::{Access, AuditEntry, Category, Purpose};

use super::cases::{authorise, case_key};
use crate::access::{Action, Relation};
use crate::error::AppError;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Declares break-glass access: audited with the reason, then the case opens for this session.
///
/// Break-glass stays inside the viewer's force. A national viewer may declare it on any force's
/// case; a viewer of one force reaches another force's case only through a recorded
/// cross-force link: a confirmed repeat-suspect link between that case and a case of their own
/// force that they are on the team of. Every refusal is audited too (with the reason given), and
/// answered like a case that does not exist.
pub async fn declare_break_glass(
    state: &AppState,
    viewer: &Viewer,
    key: &domain::CaseKey,
    reason: &str,
) -> Result<(), AppError> {
    let access = authorise(viewer, Action::BreakGlass)?;
    let reason = reason.trim();
    if reason.len() < 10 {
        return Err(AppError::invalid(
            "reason",
            "Enter a reason of at least 10 characters.",
        ));
    }
    let access = access.with_reason(reason);
    let allowed = match viewer.scope() {
        storage::UserScope::National => true,
        storage::UserScope::Force(force) if force == key.force.as_str() => true,
        storage::UserScope::Force(_) => linked_from_own_case(state, viewer, &access, key).await?,
        storage::UserScope::Unassigned => false,
    };
    // The case must exist; a case that does not is the same 404 as any other.
    let exists = allowed && lookup_for_break_glass(state, viewer, key).await?;
    if !exists {
        let why = if allowed {
            "no such case"
        } else {
            "outside the user's force, and no confirmed cross-force link from a case of their team"
        };
        state
            .store
            .record_audit(
                AuditEntry::new(
                    &access,
                    Category::Consultation,
                    format!("case:{}/{}", key.force, key.reference),
                )
                .with_detail(serde_json::json!({"break_glass": "refused", "why": why})),
            )
            .await?;
        tracing::info!(purpose = "break_glass", "break-glass refused");
        return Err(AppError::not_found());
    }
    // Recorded and audited in one transaction in the store; the grant lasts for this session.
    state
        .store
        .declare_break_glass(&access, key, &viewer.session, state.now())
        .await?;
    Ok(())
}

/// Whether the case exists, for a viewer who may declare break-glass on it.
async fn lookup_for_break_glass(
    state: &AppState,
    viewer: &Viewer,
    key: &domain::CaseKey,
) -> Result<bool, AppError> {
    if state.cached(key).is_some() {
        return Ok(true);
    }
    let access = Access::new(viewer.actor(), Purpose::Administration)
        .with_reason("access check for a case not yet in the server's read model");
    match state.store.read_case(&access, key).await? {
        Some(stored) => {
            state.remember(stored.case, stored.version);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Whether a confirmed repeat-suspect link joins `key` (another force's case) to a case of the
/// viewer's own force that they are on the team of: the recorded cross-force link that lets
/// them break glass into it. Reading the links is a consultation of `key`'s linkage, audited
/// with the break-glass reason.
async fn linked_from_own_case(
    state: &AppState,
    viewer: &Viewer,
    access: &Access,
    key: &domain::CaseKey,
) -> Result<bool, AppError> {
    let links = match state.store.case_links(access, key).await {
        Ok(links) => links,
        Err(storage::StoreError::NotFound(_)) => return Ok(false),
        Err(error) => return Err(error.into()),
    };
    for link in links {
        if link.status != storage::LinkStatus::Confirmed || !viewer.is_of_force(&link.other.force) {
            continue;
        }
        let Ok(own) = case_key(&link.other.force, &link.other.reference) else {
            continue;
        };
        if let Some((Relation::Member, _, _)) = super::cases::relation(state, viewer, &own).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The break-glass declarations on a case, for its supervisors: who, when (UK local time) and
/// why.
pub async fn declared_on(
    state: &AppState,
    key: &domain::CaseKey,
) -> Result<Vec<(String, String, String)>, AppError> {
    Ok(state
        .store
        .break_glass_on(key)
        .await?
        .into_iter()
        .map(|e| (e.actor, crate::rows::local_time(&e.at), e.reason))
        .collect())
}
