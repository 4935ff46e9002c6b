//! Repeat suspects on pages and in the API: a case's candidate links and the review of each
//! (confirm or reject with a rationale). What the viewer sees of each link is the operations'
//! ([`crate::ops::links`]).

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, AppError};
use crate::extract::{ApiCaseAccess, ApiViewer, CaseAccess, Links, PageViewer, json_body};
use crate::fields::Fields;
use crate::ops::links::{LinkView, REPEAT_SUSPECTS_GUIDANCE, decide_on, links_of, status_label};
use crate::state::AppState;
use crate::templates::Nav;

#[derive(Debug, Template)]
#[template(path = "links.html")]
pub struct LinksPage {
    pub nav: Nav,
    pub path: String,
    pub reference: String,
    pub links: Vec<LinkView>,
    pub can_decide: bool,
    /// The suspect-focused guidance page on repeat suspects (id, title), when the viewer may read
    /// it: the links are shown in that context.
    pub guidance: Option<(String, String)>,
}

/// `GET /cases/{force}/{case}/links`.
pub async fn links_page(
    State(state): State<Arc<AppState>>,
    case: CaseAccess<Links>,
) -> Result<Response, AppError> {
    let (viewer, key) = (&case.viewer, &case.key);
    let (links, can_decide) = links_of(&state, viewer, &case.access, case.relation, key).await?;
    let page = LinksPage {
        nav: Nav::for_viewer(viewer),
        path: format!("{}/{}", key.force, key.reference),
        reference: key.reference.to_string(),
        links,
        can_decide,
        guidance: state
            .library
            .page(REPEAT_SUSPECTS_GUIDANCE, viewer.role.guidance_viewer())
            .map(|page| (page.id.clone(), page.title.clone())),
    };
    Ok(axum::response::Html(page.render()?).into_response())
}

/// `POST /cases/{force}/{case}/links/{id}` (form: `decision`, `reason`, `csrf`).
pub async fn decide_form(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference, id)): Path<(String, String, i64)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    decide_on(
        &state,
        &viewer,
        &force,
        &reference,
        id,
        fields.get("decision"),
        fields.get("reason"),
    )
    .await?;
    Ok(Redirect::to(&format!("/cases/{force}/{reference}/links")).into_response())
}

/// `GET /api/cases/{force}/{case}/links`.
pub async fn api_links(
    State(state): State<Arc<AppState>>,
    ApiCaseAccess(case): ApiCaseAccess<Links>,
) -> Result<Json<Value>, ApiError> {
    let (links, can_decide) =
        links_of(&state, &case.viewer, &case.access, case.relation, &case.key).await?;
    Ok(Json(json!({"links": links, "can_decide": can_decide})))
}

#[derive(Debug, Deserialize)]
struct DecisionRequest {
    decision: String,
    reason: String,
}

/// `POST /api/cases/{force}/{case}/links/{id}` (`{"decision": "confirm"|"reject", "reason": ...}`).
pub async fn api_decide(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Path((force, reference, id)): Path<(String, String, i64)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: DecisionRequest = json_body(&body)?;
    let link = decide_on(
        &state,
        &viewer,
        &force,
        &reference,
        id,
        Some(request.decision.as_str()),
        Some(request.reason.as_str()),
    )
    .await?;
    Ok(Json(
        json!({"id": link.id, "status": status_label(link.status)}),
    ))
}
