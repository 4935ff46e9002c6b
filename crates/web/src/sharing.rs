//! Sharing a case with a partner, on pages and in the API: the case team's share and revoke
//! forms, the partner's list and restricted view. What may be shared, with whom and how it is
//! audited is the operations' ([`crate::ops::sharing`]).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use storage::CaseShare;

use crate::error::{ApiError, AppError};
use crate::extract::{ApiViewer, PageViewer};
use crate::fields::Fields;
use crate::ops::cases::case_key;
use crate::ops::sharing::{ShareRequest, SharedView, revoke, share, shared_list, shared_view};
use crate::state::AppState;
use crate::templates::{Nav, SharedCasePage, SharedListPage};

// ---- Pages --------------------------------------------------------------------------------------

fn share_request(fields: &Fields) -> ShareRequest {
    ShareRequest {
        partner: fields.get("partner").unwrap_or("").to_owned(),
        items: fields
            .0
            .iter()
            .filter(|(k, _)| k == "items")
            .map(|(_, v)| v.clone())
            .collect(),
        reason: fields.get("reason").unwrap_or("").to_owned(),
    }
}

/// `POST /cases/{force}/{case}/shares`: share, then back to the case page (errors are shown there).
pub async fn share_page(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    match share(&state, &viewer, &key, &share_request(&fields)).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cases/{}/{}?shared=1#shares-heading",
            key.force, key.reference
        ))
        .into_response()),
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            crate::pages::form_error(&state, &viewer, &key, error).await
        }
        Err(error) => Err(error),
    }
}

/// `POST /cases/{force}/{case}/shares/{id}/revoke`.
pub async fn revoke_page(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    let id = share_id(&id)?;
    revoke(&state, &viewer, &key, id).await?;
    Ok(Redirect::to(&format!(
        "/cases/{}/{}#shares-heading",
        key.force, key.reference
    ))
    .into_response())
}

fn share_id(text: &str) -> Result<i64, AppError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::invalid("id", "A share id is a positive number."))
}

/// `GET /shared`: the cases shared with me.
pub async fn shared_list_page(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
) -> Result<Response, AppError> {
    let rows = shared_list(&state, &viewer).await?;
    let page = SharedListPage {
        nav: Nav::for_viewer(&viewer).at("/shared"),
        rows,
    };
    Ok(Html(askama::Template::render(&page)?).into_response())
}

/// `GET /shared/{force}/{case}`: the restricted view.
pub async fn shared_case_page(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let view = shared_view(&state, &viewer, &key).await?;
    let page = SharedCasePage {
        nav: Nav::for_viewer(&viewer),
        view,
    };
    Ok(Html(askama::Template::render(&page)?).into_response())
}

// ---- API ----------------------------------------------------------------------------------------

/// `GET /api/shared`.
pub async fn api_shared_list(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let rows = shared_list(&state, &viewer).await?;
    Ok(Json(json!({"cases": rows})))
}

/// `GET /api/shared/{force}/{case}`.
pub async fn api_shared_case(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Path((force, reference)): Path<(String, String)>,
) -> Result<Json<SharedView>, ApiError> {
    let key = case_key(&force, &reference)?;
    Ok(Json(shared_view(&state, &viewer, &key).await?))
}

/// `POST /api/cases/{force}/{case}/shares` with `{"partner", "items": [...], "reason"}`.
pub async fn api_share(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Path((force, reference)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = case_key(&force, &reference)?;
    let request: ShareRequest = crate::extract::json_body(&body)?;
    let share = share(&state, &viewer, &key, &request).await?;
    Ok((StatusCode::CREATED, Json(share)).into_response())
}

/// `DELETE /api/cases/{force}/{case}/shares/{id}`: revoke.
pub async fn api_revoke(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Path((force, reference, id)): Path<(String, String, String)>,
) -> Result<Json<CaseShare>, ApiError> {
    let key = case_key(&force, &reference)?;
    let id = share_id(&id)?;
    Ok(Json(revoke(&state, &viewer, &key, id).await?))
}
