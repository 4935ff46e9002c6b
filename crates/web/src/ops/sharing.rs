//! Sharing a case with a partner (for example an ISVA): the case team chooses what to share,
//! with whom and why; the partner sees a list of what is shared with them and a restricted view of
//! each case holding only that. Shares are kept in the store, audited as disclosures whose
//! recipient is the partner, and revocable.
//!
//! What a partner can ever see of a case: its reference, and the items chosen from
//! [`SharedItem`]: whether it is open, the officer in case to contact, the Victims' Code findings
//! on keeping the victim informed (right 6) and when the next victim updates are due. Never the
//! timeline, notes, decision log, people (the victim's identity included) or suspect details: an
//! ISVA supports the victim and needs to know that the victim is being kept informed and whom to
//! call, not the evidence (sharing the investigation's material with a third party would be a
//! disclosure decision of its own, outside this service).

use std::collections::BTreeSet;

use domain::{CaseKey, Status};
use serde::{Deserialize, Serialize};
use storage::{CaseShare, NewShare, SharedItem, StoreError};

use super::cases::{authorise, authorise_case};
use crate::access::{Action, Role};
use crate::error::AppError;
use crate::state::{AppState, CachedCase};
use crate::viewer::Viewer;

/// Guidance pages of the Victims' Code right to be kept informed: findings naming one of them are
/// the ones shared as [`SharedItem::VictimInformed`].
const KEEPING_INFORMED_GUIDANCE: &str = "victims-code/right-6";

/// The rule of regular updates to the victim (its due dates are [`SharedItem::UpdatesDue`]).
const UPDATE_RULE: &str = "VC-UPDATE";

/// The shares in force with this partner for this case (none for anyone else).
pub async fn shares_of(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
) -> Result<Vec<CaseShare>, AppError> {
    if viewer.role != Role::Partner {
        return Ok(Vec::new());
    }
    if !viewer.is_of_force(&key.force) {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .shares_with(&viewer.user.username)
        .await?
        .into_iter()
        .filter(|share| {
            share.force == key.force.as_str() && share.reference == key.reference.as_str()
        })
        .collect())
}

/// What a share request carries.
#[derive(Debug, Clone, Deserialize)]
pub struct ShareRequest {
    pub partner: String,
    pub items: Vec<String>,
    pub reason: String,
}

/// Shares a case with a partner for the case team (400 naming the field for bad input).
pub async fn share(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
    request: &ShareRequest,
) -> Result<CaseShare, AppError> {
    let (access, _, _) = authorise_case(state, viewer, key, Action::CaseShare).await?;
    let partner = request.partner.trim();
    let is_partner = match partner {
        "" => false,
        name => state.store.user(name).await?.is_some_and(|user| {
            !user.disabled && user.role == Role::Partner.as_str() && user.is_of_force(&key.force)
        }),
    };
    if !is_partner {
        return Err(AppError::invalid(
            "partner",
            "Enter the username of a partner of this force (for example an ISVA) who has an account.",
        ));
    }
    let mut items = Vec::new();
    for item in &request.items {
        items.push(
            item.parse::<SharedItem>()
                .map_err(|message| AppError::invalid("items", message))?,
        );
    }
    if items.is_empty() {
        return Err(AppError::invalid(
            "items",
            "Choose at least one thing to share.",
        ));
    }
    let reason = request.reason.trim();
    if reason.chars().count() < 10 {
        return Err(AppError::invalid(
            "reason",
            "Enter a reason of at least 10 characters.",
        ));
    }
    let share = NewShare {
        case: key.clone(),
        partner: partner.to_owned(),
        items,
        reason: reason.to_owned(),
        at: state.now(),
    };
    let access = access.with_recipient(format!("user:{partner}"));
    state
        .store
        .share_case(&access, &share)
        .await
        .map_err(|error| match error {
            StoreError::Refused(_) => {
                AppError::invalid("partner", "That partner cannot receive shares.")
            }
            StoreError::NotFound(_) => AppError::not_found(),
            other => other.into(),
        })
}

/// Revokes a share of a case for the case team.
pub async fn revoke(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
    id: i64,
) -> Result<CaseShare, AppError> {
    let (access, _, _) = authorise_case(state, viewer, key, Action::CaseShare).await?;
    state
        .store
        .revoke_share(&access, key, id, state.now())
        .await
        .map_err(|error| match error {
            StoreError::NotFound(_) => AppError::not_found(),
            other => other.into(),
        })
}

/// One share as the case team sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ShareRow {
    pub id: i64,
    pub partner: String,
    pub shared_by: String,
    pub items: String,
    pub reason: String,
    pub at_local: String,
    pub revoked: Option<String>,
}

fn local(at: &chrono::DateTime<chrono::Utc>) -> String {
    crate::rows::local_time(at)
}

fn labels(items: &[SharedItem]) -> String {
    items
        .iter()
        .map(|item| item.label())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The shares of a case, for its team's case page.
pub async fn share_rows(state: &AppState, key: &CaseKey) -> Result<Vec<ShareRow>, AppError> {
    Ok(rows_of(state.store.case_shares(key).await?))
}

/// The rows of a case's shares as read.
pub fn rows_of(shares: Vec<storage::CaseShare>) -> Vec<ShareRow> {
    shares
        .into_iter()
        .map(|share| ShareRow {
            id: share.id,
            partner: share.partner.clone(),
            shared_by: share.shared_by.clone(),
            items: labels(&share.items),
            reason: share.reason.clone(),
            at_local: local(&share.at),
            revoked: share.revoked_at.as_ref().map(|at| {
                format!(
                    "{} by {}",
                    local(at),
                    share.revoked_by.as_deref().unwrap_or("")
                )
            }),
        })
        .collect()
}

/// One case in a partner's list.
#[derive(Debug, Clone, Serialize)]
pub struct SharedRow {
    pub force: String,
    pub reference: String,
    pub shared_by: String,
    pub at_local: String,
    pub items: String,
}

/// The cases shared with a partner (the share records only: no case data is read for the list).
pub async fn shared_list(state: &AppState, viewer: &Viewer) -> Result<Vec<SharedRow>, AppError> {
    authorise(viewer, Action::SharedList)?;
    let shares = state.store.shares_with(&viewer.user.username).await?;
    let mut rows: Vec<SharedRow> = Vec::new();
    // Only shares of the partner's own force count (shares are refused across forces, and a
    // partner moved to another force keeps none of the old one's).
    for share in shares
        .into_iter()
        .filter(|share| viewer.is_of_force(&share.force))
    {
        match rows
            .iter_mut()
            .find(|row| row.force == share.force && row.reference == share.reference)
        {
            // Several shares of one case: the list shows the latest.
            Some(row) => {
                row.shared_by = share.shared_by.clone();
                row.at_local = local(&share.at);
                row.items = labels(&share.items);
            }
            None => rows.push(SharedRow {
                at_local: local(&share.at),
                items: labels(&share.items),
                force: share.force,
                reference: share.reference,
                shared_by: share.shared_by,
            }),
        }
    }
    Ok(rows)
}

/// A Victims' Code finding as a partner sees it (no person key, no trigger).
#[derive(Debug, Clone, Serialize)]
pub struct SharedFinding {
    pub rule: String,
    pub title: String,
    pub status: String,
    pub status_class: String,
    pub due_local: Option<String>,
}

impl SharedFinding {
    pub fn due_text(&self) -> &str {
        self.due_local.as_deref().unwrap_or("")
    }
}

/// The restricted view of a shared case: the reference and exactly the items shared.
#[derive(Debug, Clone, Serialize)]
pub struct SharedView {
    pub force: String,
    pub reference: String,
    pub items: Vec<SharedItem>,
    /// `open` or `closed`, when shared.
    pub status: Option<String>,
    /// The officer to contact, when shared.
    pub officer_in_case: Option<String>,
    /// Victims' Code findings on keeping the victim informed, when shared.
    pub keeping_informed: Option<Vec<SharedFinding>>,
    /// When the next victim updates are due (UK local time), when shared.
    pub updates_due: Option<Vec<String>>,
    /// Who shared it, when and why (latest share first).
    pub shared_by: Vec<(String, String, String)>,
}

/// Builds the view from the case as read, holding only what the shares name.
fn view_of(state: &AppState, cached: &CachedCase, shares: &[CaseShare]) -> SharedView {
    let items: BTreeSet<SharedItem> = shares
        .iter()
        .flat_map(|s| s.items.iter().copied())
        .collect();
    let has = |item| items.contains(&item);
    let findings = cached.findings_at(state, state.now());
    let keeping_informed = has(SharedItem::VictimInformed).then(|| {
        findings
            .iter()
            .filter(|f| f.view.guidance.starts_with(KEEPING_INFORMED_GUIDANCE))
            .map(|f| SharedFinding {
                rule: f.view.rule.clone(),
                title: f.title.clone(),
                status: f.status_label().to_owned(),
                status_class: f.status_class().to_owned(),
                due_local: f.due_local.clone(),
            })
            .collect()
    });
    let updates_due = has(SharedItem::UpdatesDue).then(|| {
        let mut due: Vec<_> = findings
            .iter()
            .filter(|f| {
                f.view.rule == UPDATE_RULE && matches!(f.status, Status::Due | Status::Overdue)
            })
            .filter_map(|f| f.due)
            .collect();
        due.sort();
        due.iter().map(crate::rows::local_time).collect()
    });
    let mut shared_by: Vec<(String, String, String)> = shares
        .iter()
        .map(|s| (s.shared_by.clone(), local(&s.at), s.reason.clone()))
        .collect();
    shared_by.reverse();
    SharedView {
        force: cached.case.key.force.to_string(),
        reference: cached.case.key.reference.to_string(),
        items: items.iter().copied().collect(),
        status: has(SharedItem::Status)
            .then(|| if cached.closed { "closed" } else { "open" }.to_owned()),
        // The officer by name (and identifier), for the partner to ask for.
        officer_in_case: has(SharedItem::OfficerInCase).then(|| {
            cached.officer_in_case().map_or_else(
                || "not allocated".to_owned(),
                |officer| state.officer_name(&cached.case.key.force, officer),
            )
        }),
        keeping_informed,
        updates_due,
        shared_by,
    }
}

/// The restricted view of a case shared with the viewer: the read is audited as a disclosure to
/// the partner, with the reason it was shared.
pub async fn shared_view(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
) -> Result<SharedView, AppError> {
    let (access, _, _) = authorise_case(state, viewer, key, Action::SharedRead).await?;
    let shares = shares_of(state, viewer, key).await?;
    let Some(latest) = shares.last() else {
        return Err(AppError::not_found());
    };
    let access = access
        .with_recipient(viewer.actor())
        .with_reason(format!("shared by {}: {}", latest.shared_by, latest.reason));
    let cached = super::cases::read(state, &access, key).await?;
    Ok(view_of(state, &cached, &shares))
}
