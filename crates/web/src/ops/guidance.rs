//! Guidance: search and browse, restricted pages only for police personnel.

use serde::Deserialize;

use super::cases::authorise;
use crate::access::Action;
use crate::error::AppError;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Debug, Deserialize, Default)]
pub struct GuidanceQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
}

/// Search or browse: results for the viewer (restricted pages only for police personnel).
pub async fn guidance_results(
    state: &AppState,
    viewer: &Viewer,
    query: &GuidanceQuery,
) -> Result<Vec<PageLink>, AppError> {
    authorise(viewer, Action::Guidance)?;
    let reader = viewer.role.guidance_viewer();
    let role = match query.role.as_deref().filter(|r| !r.is_empty()) {
        Some(name) => Some(
            guidance::Role::from_name(name)
                .ok_or_else(|| AppError::invalid("role", "Choose a role from the list."))?,
        ),
        None => None,
    };
    let stage = match query.stage.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => Some(
            guidance::Stage::from_name(name)
                .ok_or_else(|| AppError::invalid("stage", "Choose a stage from the list."))?,
        ),
        None => None,
    };
    match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(text) => {
            let mut search = guidance::SearchQuery::new(text, reader).limit(20);
            search.role = role;
            search.stage = stage;
            let hits = state.search.search(&search).await.map_err(|e| match e {
                guidance::SearchError::Index(inner) => AppError::internal("search", &inner),
                other => AppError::invalid("q", other.to_string()),
            })?;
            Ok(hits
                .into_iter()
                .map(|h| PageLink {
                    id: h.id,
                    title: h.title,
                    summary: h.summary,
                })
                .collect())
        }
        None => Ok(state
            .library
            .pages(reader)
            .filter(|p| role.is_none_or(|r| p.roles.contains(&r)))
            .filter(|p| stage.is_none_or(|s| p.stages.contains(&s)))
            .map(|p| PageLink {
                id: p.id.clone(),
                title: p.title.clone(),
                summary: p.summary.clone(),
            })
            .collect()),
    }
}

/// A guidance page offered as a link.
#[derive(Debug, Clone)]
pub struct PageLink {
    pub id: String,
    pub title: String,
    pub summary: String,
}
