//! Repeat suspects on the web: a case's candidate links (page and API) and the review of each
//! (confirm or reject with a rationale). What the viewer sees of the other case depends on their
//! own access to it: with access, the case and person; without, only that a link exists, the
//! force and whom to contact (the officer in case). Suggestions are never facts: the page says so.

use serde::Serialize;
use storage::{Access, CaseLink, LinkDecision, LinkStatus};

use super::cases::{authorise_case, case_key};
use crate::access::{Action, Decision, Relation, decide};
use crate::error::AppError;
use crate::state::AppState;
use crate::viewer::Viewer;

/// One link as shown to this viewer.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub id: i64,
    pub status: &'static str,
    pub score: String,
    /// This case's suspect.
    pub person: String,
    /// Reasons in words.
    pub reasons: Vec<&'static str>,
    /// The other case's force (always shown: it says whom to contact).
    pub other_force: String,
    /// The officer in case of the other case, to contact.
    pub contact: String,
    /// The other case and suspect, only when the viewer may read that case.
    pub other_case: Option<String>,
    pub other_person: Option<String>,
    pub decided: Option<String>,
    pub rationale: Option<String>,
}

/// The guidance page on identifying and disrupting repeat suspects.
pub const REPEAT_SUSPECTS_GUIDANCE: &str = "suspect/repeat-suspects";

pub fn status_label(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Suggested => "suggested",
        LinkStatus::Confirmed => "confirmed",
        LinkStatus::Rejected => "rejected",
    }
}

/// The link as this viewer may see it.
async fn view(state: &AppState, viewer: &Viewer, link: &CaseLink) -> Result<LinkView, AppError> {
    let other_key = case_key(&link.other.force, &link.other.reference)?;
    let may_read_other = match super::cases::relation(state, viewer, &other_key).await? {
        Some((relation, _, _)) => matches!(
            decide(viewer.role, Action::CaseRead, relation),
            Decision::Allow(_)
        ),
        None => false,
    };
    let reasons = link
        .reasons
        .iter()
        .filter_map(|code| linkage::Reason::parse(code).map(linkage::Reason::describe))
        .collect();
    Ok(LinkView {
        id: link.id,
        status: status_label(link.status),
        score: format!("{:.2}", link.score),
        person: link.this.person.clone(),
        reasons,
        other_force: link.other.force.clone(),
        contact: link
            .other
            .officer
            .clone()
            .unwrap_or_else(|| "not allocated".to_owned()),
        other_case: may_read_other
            .then(|| format!("{}/{}", link.other.force, link.other.reference)),
        other_person: may_read_other.then(|| link.other.person.clone()),
        decided: link.decided_by.as_ref().map(|by| {
            format!(
                "{} by {by} on {}",
                status_label(link.status),
                link.decided_at
                    .as_deref()
                    .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                    .map(|at| crate::rows::local_time(&at.with_timezone(&chrono::Utc)))
                    .unwrap_or_default()
            )
        }),
        rationale: link.rationale.clone(),
    })
}

pub async fn links_of(
    state: &AppState,
    viewer: &Viewer,
    access: &Access,
    relation: Relation,
    key: &domain::CaseKey,
) -> Result<(Vec<LinkView>, bool), AppError> {
    let links = state.store.case_links(access, key).await?;
    let mut views = Vec::with_capacity(links.len());
    for link in links.iter().filter(|link| shown_to(viewer, link)) {
        views.push(view(state, viewer, link).await?);
    }
    let can_decide = matches!(
        decide(viewer.role, Action::LinkDecide, relation),
        Decision::Allow(_)
    );
    Ok((views, can_decide))
}

/// Whether the viewer sees a link at all. A link within the viewer's force is shown whatever its
/// status; a link to another force's case is a suggestion about that force's suspect, so a
/// viewer of one force sees it only once it is confirmed (a recorded cross-force link, made by a
/// national analyst): until then it exists only for national viewers.
fn shown_to(viewer: &Viewer, link: &CaseLink) -> bool {
    viewer.scope() == storage::UserScope::National
        || viewer.is_of_force(&link.other.force)
        || link.status == LinkStatus::Confirmed
}

/// Whether the viewer may decide a link: links within their force, or any link for a national
/// viewer. Deciding a cross-force link changes another force's case, so it is for national
/// analysts, who see both sides.
fn may_decide(viewer: &Viewer, link: &CaseLink) -> bool {
    viewer.scope() == storage::UserScope::National
        || (viewer.is_of_force(&link.this.force) && viewer.is_of_force(&link.other.force))
}

/// Records a decision on a link of the case, after the access-control point allowed it.
pub async fn decide_on(
    state: &AppState,
    viewer: &Viewer,
    force: &str,
    reference: &str,
    id: i64,
    decision: Option<&str>,
    reason: Option<&str>,
) -> Result<CaseLink, AppError> {
    let key = case_key(force, reference)?;
    let (access, _, _) = authorise_case(state, viewer, &key, Action::LinkDecide).await?;
    let decision = match decision {
        Some("confirm") => LinkDecision::Confirm,
        Some("reject") => LinkDecision::Reject,
        _ => {
            return Err(AppError::invalid(
                "decision",
                "Choose confirm (the same person) or reject (different people).",
            ));
        }
    };
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.chars().count() < 5 {
        return Err(AppError::invalid(
            "reason",
            "Give the reason for your decision (at least 5 characters).",
        ));
    }
    // The link must be one of this case's: the access decision was about this case.
    let links = state.store.case_links(&access, &key).await?;
    let Some(link) = links
        .iter()
        .find(|link| link.id == id && shown_to(viewer, link))
    else {
        return Err(AppError::not_found());
    };
    if !may_decide(viewer, link) {
        return Err(AppError::new(
            axum::http::StatusCode::FORBIDDEN,
            "cross_force_link",
            "This link joins a case of another force: a national analyst reviews it.",
        ));
    }
    let access = access.with_reason(reason);
    Ok(state
        .store
        .decide_link(&access, id, decision, reason)
        .await?)
}
