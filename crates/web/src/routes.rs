//! Every route, the action it performs (the access-control point decides on that action), and the
//! router. The access-control matrix test walks [`ROUTES`].

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};

use crate::access::Action;
use crate::state::AppState;
use crate::{admin, api, headers, links, pages, recording, sharing};

/// A route: method, path pattern, and the action it performs (`None`: public, no data).
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub action: Option<Action>,
}

const fn route(method: &'static str, path: &'static str, action: Option<Action>) -> RouteInfo {
    RouteInfo {
        method,
        path,
        action,
    }
}

/// Every route the server answers.
pub const ROUTES: &[RouteInfo] = &[
    route("GET", "/static/app.css", None),
    route("GET", "/static/vendor/htmx.min.js", None),
    route("GET", "/static/app.js", None),
    route("GET", "/static/vendor/govuk/govuk-frontend.min.css", None),
    route("GET", "/static/vendor/govuk/govuk-frontend.min.js", None),
    route("GET", "/signed-out", None),
    route("GET", "/favicon.ico", None),
    route("GET", "/sign-in", None),
    route("POST", "/sign-in", None),
    route("POST", "/sign-out", Some(Action::Home)),
    route("GET", "/", Some(Action::Home)),
    route("GET", "/caseload", Some(Action::Caseload)),
    route("GET", "/team", Some(Action::TeamView)),
    route("GET", "/cases/new", Some(Action::CaseCreate)),
    route("POST", "/cases/new", Some(Action::CaseCreate)),
    route("GET", "/cases/{force}/{case}", Some(Action::CaseRead)),
    route(
        "GET",
        "/cases/{force}/{case}/record",
        Some(Action::CaseWrite),
    ),
    route(
        "GET",
        "/cases/{force}/{case}/record/{kind}",
        Some(Action::CaseWrite),
    ),
    route(
        "POST",
        "/cases/{force}/{case}/record/{kind}",
        Some(Action::CaseWrite),
    ),
    route(
        "POST",
        "/cases/{force}/{case}/events",
        Some(Action::CaseWrite),
    ),
    route(
        "GET",
        "/cases/{force}/{case}/people/{person}/identity",
        Some(Action::CaseUnseal),
    ),
    route(
        "POST",
        "/cases/{force}/{case}/people/{person}/identity",
        Some(Action::CaseUnseal),
    ),
    route(
        "GET",
        "/cases/{force}/{case}/audit",
        Some(Action::CaseAudit),
    ),
    route("GET", "/cases/{force}/{case}/links", Some(Action::LinkRead)),
    route(
        "POST",
        "/cases/{force}/{case}/links/{link}",
        Some(Action::LinkDecide),
    ),
    route("GET", "/admin/users", Some(Action::UserAdmin)),
    route("POST", "/admin/users", Some(Action::UserAdmin)),
    route(
        "POST",
        "/admin/users/{username}/disabled",
        Some(Action::UserAdmin),
    ),
    route(
        "POST",
        "/admin/users/{username}/force",
        Some(Action::UserAdmin),
    ),
    route(
        "POST",
        "/admin/users/{username}/role",
        Some(Action::UserAdmin),
    ),
    route("GET", "/break-glass", Some(Action::BreakGlass)),
    route("POST", "/break-glass", Some(Action::BreakGlass)),
    route("GET", "/guidance", Some(Action::Guidance)),
    route("GET", "/guidance/{*id}", Some(Action::Guidance)),
    route("GET", "/reports/leaders", Some(Action::Report)),
    route(
        "POST",
        "/cases/{force}/{case}/shares",
        Some(Action::CaseShare),
    ),
    route(
        "POST",
        "/cases/{force}/{case}/shares/{id}/revoke",
        Some(Action::CaseShare),
    ),
    route("GET", "/shared", Some(Action::SharedList)),
    route("GET", "/shared/{force}/{case}", Some(Action::SharedRead)),
    route("GET", "/api/openapi.json", None),
    route("POST", "/api/session", None),
    route("DELETE", "/api/session", Some(Action::Home)),
    route("GET", "/api/caseload", Some(Action::Caseload)),
    route("GET", "/api/team", Some(Action::TeamView)),
    route("GET", "/api/cases/{force}/{case}", Some(Action::CaseRead)),
    route(
        "POST",
        "/api/cases/{force}/{case}/events",
        Some(Action::CaseWrite),
    ),
    route(
        "POST",
        "/api/cases/{force}/{case}/people/{person}/identity",
        Some(Action::CaseUnseal),
    ),
    route(
        "GET",
        "/api/cases/{force}/{case}/audit",
        Some(Action::CaseAudit),
    ),
    route(
        "GET",
        "/api/cases/{force}/{case}/links",
        Some(Action::LinkRead),
    ),
    route(
        "POST",
        "/api/cases/{force}/{case}/links/{link}",
        Some(Action::LinkDecide),
    ),
    route("POST", "/api/break-glass", Some(Action::BreakGlass)),
    route("GET", "/api/guidance", Some(Action::Guidance)),
    route("GET", "/api/guidance/{*id}", Some(Action::Guidance)),
    route("GET", "/api/reports/leaders", Some(Action::Report)),
    route(
        "POST",
        "/api/cases/{force}/{case}/shares",
        Some(Action::CaseShare),
    ),
    route(
        "DELETE",
        "/api/cases/{force}/{case}/shares/{id}",
        Some(Action::CaseShare),
    ),
    route("GET", "/api/shared", Some(Action::SharedList)),
    route(
        "GET",
        "/api/shared/{force}/{case}",
        Some(Action::SharedRead),
    ),
];

/// The application.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(api::openapi))
        .route(
            "/session",
            post(api::create_session).delete(api::delete_session),
        )
        .route("/caseload", get(api::caseload))
        .route("/team", get(api::team))
        .route("/cases/{force}/{case}", get(api::case))
        .route("/cases/{force}/{case}/events", post(api::record))
        .route(
            "/cases/{force}/{case}/people/{person}/identity",
            post(api::identity),
        )
        .route("/cases/{force}/{case}/audit", get(api::audit))
        .route("/cases/{force}/{case}/links", get(links::api_links))
        .route(
            "/cases/{force}/{case}/links/{link}",
            post(links::api_decide),
        )
        .route("/break-glass", post(api::break_glass))
        .route("/guidance", get(api::guidance_search))
        .route("/guidance/{*id}", get(api::guidance_page))
        .route("/reports/leaders", get(api::report))
        .route("/cases/{force}/{case}/shares", post(sharing::api_share))
        .route(
            "/cases/{force}/{case}/shares/{id}",
            delete(sharing::api_revoke),
        )
        .route("/shared", get(sharing::api_shared_list))
        .route("/shared/{force}/{case}", get(sharing::api_shared_case))
        .fallback(api::not_found);
    Router::new()
        .route("/static/app.css", get(pages::stylesheet))
        .route("/static/vendor/htmx.min.js", get(pages::htmx))
        .route("/static/app.js", get(pages::script))
        .route(
            "/static/vendor/govuk/govuk-frontend.min.css",
            get(pages::govuk_stylesheet),
        )
        .route(
            "/static/vendor/govuk/govuk-frontend.min.js",
            get(pages::govuk_script),
        )
        .route("/signed-out", get(pages::signed_out))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route("/sign-in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/sign-out", post(pages::sign_out))
        .route("/", get(pages::home))
        .route("/caseload", get(pages::caseload))
        .route("/team", get(pages::team))
        .route(
            "/cases/new",
            get(recording::new_case_form).post(recording::new_case),
        )
        .route("/cases/{force}/{case}", get(pages::case_page))
        .route("/cases/{force}/{case}/record", get(recording::record_index))
        .route(
            "/cases/{force}/{case}/record/{kind}",
            get(recording::record_form).post(recording::record_post),
        )
        .route("/cases/{force}/{case}/events", post(pages::case_event))
        .route(
            "/cases/{force}/{case}/people/{person}/identity",
            get(pages::identity_form).post(pages::identity_unseal),
        )
        .route("/cases/{force}/{case}/audit", get(pages::case_audit))
        .route("/cases/{force}/{case}/links", get(links::links_page))
        .route(
            "/cases/{force}/{case}/links/{link}",
            post(links::decide_form),
        )
        .route(
            "/break-glass",
            get(pages::break_glass_form).post(pages::break_glass),
        )
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route(
            "/admin/users/{username}/disabled",
            post(admin::set_disabled),
        )
        .route("/admin/users/{username}/force", post(admin::set_force))
        .route("/admin/users/{username}/role", post(admin::set_role))
        .route("/guidance", get(pages::guidance_index))
        .route("/guidance/{*id}", get(pages::guidance_page))
        .route("/reports/leaders", get(pages::report))
        .route("/cases/{force}/{case}/shares", post(sharing::share_page))
        .route(
            "/cases/{force}/{case}/shares/{id}/revoke",
            post(sharing::revoke_page),
        )
        .route("/shared", get(sharing::shared_list_page))
        .route("/shared/{force}/{case}", get(sharing::shared_case_page))
        .nest("/api", api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            every_response,
        ))
        .with_state(state)
}

/// What every response goes through: an error answered to a page request is made again as a
/// page with the viewer's navigation (`pages::error_pages`), then the security headers are added
/// (`headers::add_security_headers`). One layer rather than one each: every layer made with
/// `from_fn` boxes the rest of the stack and its own future on every request.
async fn every_response(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = pages::error_pages(&state, request, next).await;
    headers::add_security_headers(&state, is_static, &mut response);
    response
}

async fn not_found() -> crate::error::AppError {
    crate::error::AppError::not_found()
}
