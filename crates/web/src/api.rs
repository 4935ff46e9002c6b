//! The JSON API: the same operations as the pages, through the same access-control point. Errors
//! are `{"code": ..., "message": ..., "field": ...}`; bad input is a 400 naming the field.
//!
//! API clients sign in with `POST /api/session` and send `Authorization: Bearer TOKEN`; a request
//! authenticated by the browser's session cookie instead must send `X-CSRF-Token` on anything
//! that changes data.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::access::Action;
use crate::auth;
use crate::error::{ApiError, AppError};
use crate::extract::{ApiCaseAccess, ApiViewer, Audit, Read, json_body};
use crate::ops::cases::{case_key, read};
use crate::ops::guidance::GuidanceQuery;
use crate::ops::record::Recorded;
use crate::ops::report::ReportQuery;
use crate::ops::{audit, break_glass, caseload, guidance, identity, record, report};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
struct SignIn {
    username: String,
    password: String,
}

/// `POST /api/session`: sign in; returns a bearer token.
pub async fn create_session(
    State(state): State<Arc<AppState>>,
    client: auth::ClientAddress,
    body: Bytes,
) -> Response {
    let result: Result<Response, AppError> = async {
        let request: SignIn = json_body(&body)?;
        let (token, session) =
            auth::sign_in(&state, &request.username, &request.password, client).await?;
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "token": token,
                "expires_idle_seconds": state.config.idle_timeout_secs,
                "created_at": storage::audit::format_time(session.created_at),
            })),
        )
            .into_response())
    }
    .await;
    result.unwrap_or_else(AppError::json)
}

/// `DELETE /api/session`: sign out (the session ends server-side).
pub async fn delete_session(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
) -> Result<StatusCode, ApiError> {
    auth::sign_out(&state, &viewer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/caseload`.
pub async fn caseload(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let caseload = caseload::caseload_data(&state, &viewer, None).await?;
    Ok(Json(json!({
        "cases": caseload.rows,
        "open_findings": caseload.open_findings,
        "overdue": caseload.overdue,
    })))
}

/// `GET /api/team`.
pub async fn team(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let data = caseload::team_data(&state, &viewer).await?;
    Ok(Json(json!({
        "cases": data.rows,
        "officers": data.loads,
        "overdue": data.overdue,
        "reviews_due": data.reviews,
    })))
}

/// `GET /api/cases/{force}/{case}`.
pub async fn case(
    State(state): State<Arc<AppState>>,
    ApiCaseAccess(case): ApiCaseAccess<Read>,
) -> Result<JsonText, ApiError> {
    let cached = read(&state, &case.access, &case.key).await?;
    case_json(&state, &cached, case.relation)
}

fn case_json(
    state: &AppState,
    cached: &crate::state::CachedCase,
    relation: crate::access::Relation,
) -> Result<JsonText, ApiError> {
    let fixed = cached
        .fixed_json()
        .map_err(|error| AppError::internal("case_json", &error))?;
    let findings = cached.findings_at(state, state.now());
    let findings = findings
        .json()
        .map_err(|error| AppError::internal("case_json", &error))?;
    let object = CaseJson {
        force: cached.case.key.force.as_str(),
        case: cached.case.key.reference.as_str(),
        version: cached.version,
        status: if cached.closed { "closed" } else { "open" },
        officer_in_case: cached.officer_in_case(),
        break_glass: relation == crate::access::Relation::BreakGlass,
        findings,
        people: &fixed.people,
        timeline: &fixed.timeline,
        decisions: &fixed.decisions,
    };
    let text =
        serde_json::to_string(&object).map_err(|error| AppError::internal("case_json", &error))?;
    Ok(JsonText(text))
}

/// A JSON body serialized once, sent as it is: `Json` of a raw value would check the text again
/// and copy it, on every case read.
#[derive(Debug)]
pub struct JsonText(String);

impl IntoResponse for JsonText {
    fn into_response(self) -> Response {
        (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.0,
        )
            .into_response()
    }
}

/// The API's case object. The people, timeline and decisions are serialized once per version
/// ([`crate::state::CachedCase::fixed_json`]); the findings change with time, so they are not.
#[derive(Serialize)]
struct CaseJson<'a> {
    force: &'a str,
    case: &'a str,
    version: u64,
    status: &'static str,
    officer_in_case: Option<&'a str>,
    break_glass: bool,
    findings: &'a serde_json::value::RawValue,
    people: &'a RawValue,
    timeline: &'a RawValue,
    decisions: &'a RawValue,
}

/// `POST /api/cases/{force}/{case}/events`: record one event (an interchange event object without
/// `case` and `force`; `at` defaults to now, `id` to a fresh one; `?expected_version=N` makes it
/// conditional on the case's version).
pub async fn record(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Path((force, reference)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = case_key(&force, &reference)?;
    // `confirm=true` records even if the event creates a breach (otherwise 409 with the warnings).
    // `expected_version=N` records only if the case is still at version N (otherwise 409
    // `conflict`): optimistic concurrency for clients that read the case first.
    let mut confirm = false;
    let mut expected = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "expected_version" {
            expected = Some(value.parse::<u64>().map_err(|_| {
                AppError::invalid(
                    "expected_version",
                    "expected_version must be a case version (a whole number)",
                )
            })?);
        } else if name == "confirm" {
            confirm = match value.as_ref() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(
                        AppError::invalid("confirm", "confirm must be true or false").into(),
                    );
                }
            };
        }
    }
    let object: serde_json::Map<String, Value> = json_body(&body)?;
    let (outcome, cached, relation) =
        record::record_event(&state, &viewer, &key, object, confirm, expected).await?;
    match outcome {
        Recorded::Done => {
            Ok((StatusCode::CREATED, case_json(&state, &cached, relation)?).into_response())
        }
        Recorded::Warnings(warnings) => Ok((
            StatusCode::CONFLICT,
            Json(json!({
                "code": "would_breach",
                "message": "Recording this event would create a breach; send it again with ?confirm=true to record it anyway.",
                "findings": warnings,
            })),
        )
            .into_response()),
    }
}

#[derive(Debug, Deserialize)]
struct UnsealRequest {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/cases/{force}/{case}/people/{person}/identity`: unseal with a reason.
pub async fn identity(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Path((force, reference, person)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let key = case_key(&force, &reference)?;
    let request: UnsealRequest = if body.is_empty() {
        UnsealRequest { reason: None }
    } else {
        json_body(&body)?
    };
    if person.is_empty() || person.len() > 16 || !person.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(
            AppError::invalid("person", "A person key is letters and digits, like V1.").into(),
        );
    }
    match identity::unseal(
        &state,
        &viewer,
        &key,
        &person.as_str().into(),
        request.reason.as_deref(),
    )
    .await?
    {
        Some(name) => Ok(Json(json!({"person": person, "name": name}))),
        None => Err(AppError::invalid("reason", "Give a reason of at least 10 characters.").into()),
    }
}

#[derive(Debug, Deserialize)]
struct BreakGlassRequest {
    force: String,
    case: String,
    reason: String,
}

/// `POST /api/break-glass`.
pub async fn break_glass(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let request: BreakGlassRequest = json_body(&body)?;
    let key = case_key(&request.force, &request.case)?;
    break_glass::declare_break_glass(&state, &viewer, &key, &request.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/cases/{force}/{case}/audit`.
pub async fn audit(
    State(state): State<Arc<AppState>>,
    ApiCaseAccess(case): ApiCaseAccess<Audit>,
) -> Result<Json<Value>, ApiError> {
    let rows = audit::case_audit_rows(&state, &case.access, &case.key).await?;
    Ok(Json(json!({"records": rows})))
}

/// `GET /api/guidance?q=&role=&stage=`.
pub async fn guidance_search(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Query(query): Query<GuidanceQuery>,
) -> Result<Json<Value>, ApiError> {
    let results = guidance::guidance_results(&state, &viewer, &query).await?;
    let pages: Vec<Value> = results
        .into_iter()
        .map(|p| json!({"id": p.id, "title": p.title, "summary": p.summary}))
        .collect();
    Ok(Json(json!({"pages": pages})))
}

/// `GET /api/guidance/{id}`.
pub async fn guidance_page(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    crate::ops::cases::authorise(&viewer, Action::Guidance)?;
    let page = state
        .library
        .page(&id, viewer.role.guidance_viewer())
        .ok_or_else(AppError::not_found)?;
    Ok(Json(json!({
        "id": page.id, "title": page.title, "summary": page.summary,
        "restricted": page.restricted, "body": page.body,
        "sources": page.sources.iter().map(|s| json!({"title": s.title, "url": s.url})).collect::<Vec<_>>(),
    })))
}

/// `GET /api/reports/leaders`.
pub async fn report(
    State(state): State<Arc<AppState>>,
    ApiViewer(viewer): ApiViewer,
    Query(query): Query<ReportQuery>,
) -> Result<Json<Value>, ApiError> {
    let report = report::build_report(&state, &viewer, &query).await?;
    Ok(Json(report.to_json()))
}

/// `GET /api/openapi.json` (public: it describes the API, not data).
pub async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// Any other `/api/` path: a JSON 404.
pub async fn not_found(_headers: HeaderMap) -> Response {
    AppError::not_found().json()
}
