//! HTML pages.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::access::{Action, Relation};
use crate::auth;
use crate::error::AppError;
use crate::extract::{Audit, CaseAccess, CaseloadViewer, PageViewer, Read};
use crate::fields::Fields;
use crate::ops::audit::case_audit_rows;
use crate::ops::break_glass::declare_break_glass;
use crate::ops::caseload::{
    CASELOAD_PAGE, CaseloadQuery, caseload_data, filter_caseload, rule_choices, team_data,
};
use crate::ops::cases::{authorise, authorise_case, case_key, read, read_with_shares};
use crate::ops::guidance::{GuidanceQuery, PageLink, guidance_results};
use crate::ops::identity::{person_key, unseal};
use crate::ops::record::{Recorded, record_event};
use crate::ops::report::{ReportQuery, build_report, report_range};
use crate::rows::FindingRow;
use crate::state::{AppState, CachedCase};
use crate::templates::*;
use crate::viewer::Viewer;

/// The introductory toolkits offered on a user's first sign-in.
pub const TOOLKITS: [&str; 3] = [
    "nom/introduction",
    "nom/scope-and-terminology",
    "nom/whole-story",
];

/// Error pages keep the navigation: an error answered to a signed-in page request is made again
/// with the viewer's navigation (handlers answer errors without knowing who asked). A 404 on a
/// case of the viewer's reach that exists outside their team offers break-glass, where their
/// role may declare it; nothing else about the case is said.
pub async fn error_pages(
    state: &AppState,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_page =
        !request.uri().path().starts_with("/api/") && !request.uri().path().starts_with("/static/");
    let cookie = is_page
        .then(|| request.headers().get(header::COOKIE).cloned())
        .flatten();
    let path = cookie.as_ref().map(|_| request.uri().path().to_owned());
    let is_get = request.method() == axum::http::Method::GET;
    let response = next.run(request).await;
    let (Some(cookie), Some(path)) = (cookie, path) else {
        return response;
    };
    let Some(error) = response.extensions().get::<AppError>().cloned() else {
        return response;
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, cookie);
    let Ok(Some((viewer, false))) = auth::authenticate(state, &headers).await else {
        return response;
    };
    let break_glass = if error.status == StatusCode::NOT_FOUND && is_get {
        break_glass_offer(state, &viewer, &path).await
    } else {
        None
    };
    let page = ErrorPage {
        nav: Nav::for_viewer(&viewer),
        break_glass,
        title: match error.status.as_u16() {
            400 => "There is a problem",
            403 => "You cannot do this",
            404 => "Page not found",
            409 => "The case has changed",
            _ => "Sorry, there is a problem with the service",
        },
        message: &error.message,
        field: error.field.as_deref(),
    };
    match page.render() {
        Ok(body) => {
            let mut remade = (error.status, Html(body)).into_response();
            for value in response.headers().get_all(header::SET_COOKIE) {
                remade
                    .headers_mut()
                    .append(header::SET_COOKIE, value.clone());
            }
            remade
        }
        Err(_) => response,
    }
}

/// `/cases/{force}/{case}` of a case that exists in the viewer's reach, outside their team, when
/// their role may break glass: the case to offer break-glass on.
async fn break_glass_offer(
    state: &AppState,
    viewer: &Viewer,
    path: &str,
) -> Option<(String, String)> {
    let mut parts = path.strip_prefix("/cases/")?.split('/');
    let (force, reference) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || !crate::access::may_break_glass(viewer.role) {
        return None;
    }
    let key = case_key(force, reference).ok()?;
    match crate::ops::cases::relation(state, viewer, &key).await {
        Ok(Some((Relation::Outsider, _, _))) => {
            Some((key.force.to_string(), key.reference.to_string()))
        }
        _ => None,
    }
}

/// "You have been signed out": where a page request goes once its session has ended.
pub async fn signed_out() -> Response {
    signed_out_page(Vec::new(), StatusCode::OK)
}

/// The signed-out page, with the draft of a form posted after the session ended (label, value).
pub fn signed_out_page(draft: Vec<(String, String)>, status: StatusCode) -> Response {
    let page = SignedOutPage {
        nav: Nav::default(),
        draft,
    };
    let mut response = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(error) => AppError::from(error).into_response(),
    };
    // The ended session's cookie is of no more use.
    if let Ok(value) = HeaderValue::from_str(&auth::clear_session_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A page as an HTML response. The text is written into a buffer a little larger than the last
/// page of the same kind, not grown from askama's estimate of the template alone: a case page is ten
/// times that estimate, and each growth copied everything written so far.
fn html<T: Template + 'static>(page: T) -> Result<Response, AppError> {
    let kind = std::any::TypeId::of::<T>();
    let last = crate::state::lock(page_sizes()).get(&kind).copied();
    // An eighth more than last time: pages of one kind differ a little from case to case.
    let mut text =
        String::with_capacity(last.map_or(T::SIZE_HINT, |n| n + n / 8).max(T::SIZE_HINT));
    page.render_into(&mut text)?;
    if last != Some(text.len()) {
        crate::state::lock(page_sizes()).insert(kind, text.len());
    }
    Ok(Html(text).into_response())
}

/// The length of the last page rendered, by kind of page.
fn page_sizes() -> &'static std::sync::Mutex<std::collections::HashMap<std::any::TypeId, usize>> {
    static SIZES: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<std::any::TypeId, usize>>,
    > = std::sync::OnceLock::new();
    SIZES.get_or_init(Default::default)
}

/// The vendored htmx (see `static/vendor/README.md`): served from this origin, so the CSP's
/// `script-src 'self'` allows it and nothing else.
pub async fn htmx() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/vendor/htmx.min.js"),
    )
        .into_response()
}

/// rasso's own script (a module: GOV.UK Frontend's components, the idle-timeout warning).
pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/app.js"),
    )
        .into_response()
}

/// GOV.UK Frontend's stylesheet, compiled by `browser/vendor-govuk.mjs` (see
/// `static/vendor/govuk/SOURCE.md`).
pub async fn govuk_stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/vendor/govuk/govuk-frontend.min.css"),
    )
        .into_response()
}

/// GOV.UK Frontend's JavaScript module, as the npm package publishes it.
pub async fn govuk_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/vendor/govuk/govuk-frontend.min.js"),
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/app.css"),
    )
        .into_response()
}

// ---- Sign in and out ----------------------------------------------------------------------------

pub async fn sign_in_form(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = auth::authenticate(&state, &headers).await {
        return Redirect::to("/").into_response();
    }
    sign_in_page(None, String::new(), StatusCode::OK)
}

fn sign_in_page(error: Option<String>, username: String, status: StatusCode) -> Response {
    let token = crate::secrets::random_token();
    let page = SignInPage {
        nav: Nav::default(),
        pre_csrf: token.clone(),
        error,
        username,
    };
    match page.render() {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            if let Ok(value) = HeaderValue::from_str(&auth::pre_cookie(&token)) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => AppError::from(error).into_response(),
    }
}

pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    client: auth::ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let pre = auth::cookie(&headers, auth::PRE_COOKIE).unwrap_or("");
    let sent = fields.get("csrf").unwrap_or("");
    if pre.is_empty() || !crate::secrets::same_secret(pre, sent) {
        return AppError::csrf().into_response();
    }
    let username = fields.get("username").unwrap_or("").to_owned();
    let password = fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    match auth::sign_in(&state, &username, password, client).await {
        Ok((token, _session)) => {
            let mut response = Redirect::to("/").into_response();
            if let Ok(value) = HeaderValue::from_str(&auth::session_cookie(&token)) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) if error.code == "sign_in_failed" => {
            sign_in_page(Some(error.message), username, StatusCode::UNAUTHORIZED)
        }
        Err(error) => error.into_response(),
    }
}

pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    auth::sign_out(&state, &viewer).await?;
    let mut response = Redirect::to("/sign-in").into_response();
    if let Ok(value) = HeaderValue::from_str(&auth::clear_session_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

// ---- Home and caseloads -------------------------------------------------------------------------

pub async fn home(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
) -> Result<Response, AppError> {
    authorise(&viewer, Action::Home)?;
    let reader = viewer.role.guidance_viewer();
    let toolkits = TOOLKITS
        .iter()
        .filter_map(|id| state.library.page(id, reader))
        .map(|p| PageLink {
            id: p.id.clone(),
            title: p.title.clone(),
            summary: p.summary.clone(),
        })
        .collect();
    html(HomePage {
        nav: Nav::for_viewer(&viewer),
        first_sign_in: auth::is_first_sign_in(&state, &viewer).await?,
        toolkits,
    })
}

pub async fn caseload(
    State(state): State<Arc<AppState>>,
    CaseloadViewer(viewer, changes): CaseloadViewer,
    Query(query): Query<CaseloadQuery>,
) -> Result<Response, AppError> {
    let filter = query.filter()?;
    let caseload = caseload_data(&state, &viewer, changes.as_ref()).await?;
    let rules = rule_choices(&state, &caseload);
    let render_rules = || {
        CaseloadRuleOptions {
            rules: &rules,
            selected: &filter.rule,
        }
        .render()
    };
    let render_results = || {
        let (rows, matched) = filter_caseload(&caseload.rows, &filter);
        CaseloadResults {
            filter: &filter,
            overdue_only: filter.show == "overdue",
            rows: &rows,
            open_findings: caseload.open_findings,
            overdue: caseload.overdue,
            matched,
            pages: matched.div_ceil(CASELOAD_PAGE).max(1),
        }
        .render()
    };
    // Most views ask for the caseload as it first shows: that is rendered once per caseload.
    let (rule_options, results) = if filter.is_default() {
        (
            caseload.default_rule_options_html(render_rules)?,
            caseload.default_results_html(render_results)?,
        )
    } else {
        (Arc::new(render_rules()?), Arc::new(render_results()?))
    };
    html(CaseloadPage {
        nav: Nav::for_viewer(&viewer).at("/caseload"),
        filter,
        rule_options,
        results,
    })
}

pub async fn team(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
) -> Result<Response, AppError> {
    let data = team_data(&state, &viewer).await?;
    let mut page = TeamPage {
        nav: Nav::for_viewer(&viewer).at("/team"),
        rows: Vec::new(),
        loads: data.loads,
        overdue: data.overdue,
        reviews: data.reviews,
        names: state
            .officers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone(),
    };
    // Grouped by officer in case (by name), most urgent first within each (a stable sort).
    let mut rows = data.rows;
    rows.sort_by_cached_key(|row| page.officer_of(row));
    page.rows = rows;
    html(page)
}

// ---- Case page ----------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct CaseQuery {
    /// What was just recorded: `1`, or the kind.
    #[serde(default)]
    recorded: Option<String>,
    /// The case was just opened.
    #[serde(default)]
    created: Option<String>,
}

pub async fn case_page(
    State(state): State<Arc<AppState>>,
    case: CaseAccess<Read>,
    Query(query): Query<CaseQuery>,
) -> Result<Response, AppError> {
    let CaseAccess {
        viewer,
        key,
        access,
        relation,
        ..
    } = case;
    let (cached, shares) = read_for_case_page(&state, &viewer, &access, &key, relation).await?;
    let mut page = case_view(
        &state,
        &viewer,
        &cached,
        relation,
        shares,
        Vec::new(),
        Vec::new(),
        None,
        query.recorded.is_some(),
    )
    .await?;
    if let Some(kind) = query
        .recorded
        .as_deref()
        .and_then(domain::interchange::Kind::from_name)
    {
        page.recorded_title = crate::kinds::spec(kind).title.to_owned();
    }
    page.created = query.created.is_some();
    html(page)
}

/// The case for its page (an audited read), with its shares, read together with it, when the
/// viewer may share the case: the page shows shares to those viewers only, so for anyone else
/// none are read.
async fn read_for_case_page(
    state: &AppState,
    viewer: &Viewer,
    access: &storage::Access,
    key: &domain::CaseKey,
    relation: Relation,
) -> Result<(Arc<CachedCase>, Option<Vec<storage::CaseShare>>), AppError> {
    if crate::access::allows(viewer.role, Action::CaseShare, relation) {
        let (cached, shares) = read_with_shares(state, access, key).await?;
        Ok((cached, Some(shares)))
    } else {
        Ok((read(state, access, key).await?, None))
    }
}

#[allow(clippy::too_many_arguments)]
async fn case_view(
    state: &AppState,
    viewer: &Viewer,
    cached: &CachedCase,
    relation: Relation,
    shares: Option<Vec<storage::CaseShare>>,
    warnings: Vec<FindingRow>,
    pending: Vec<(String, String)>,
    error: Option<(String, Option<String>)>,
    recorded: bool,
) -> Result<CasePage, AppError> {
    let key = &cached.case.key;
    let findings = cached.findings_at(state, state.now());
    let allowed = |action| crate::access::allows(viewer.role, action, relation);
    let html_failed = |error: askama::Error| AppError::internal("case page", &error);
    let can_write = allowed(Action::CaseWrite);
    let now = state.now();
    let officer = || {
        cached.officer_in_case().map_or_else(
            || "Not allocated".to_owned(),
            |officer| state.officer_name(&key.force, officer),
        )
    };
    let story_html = findings
        .story_html(can_write, || {
            let path = cached.path();
            askama::Template::render(&CaseStory {
                path: &path,
                summary: &crate::story::summary(&cached.case, &findings, &officer(), cached.closed),
                tasks: &crate::story::tasks(
                    &path,
                    &findings,
                    now,
                    cached.case.investigation_ended(now).is_some(),
                ),
                can_write,
            })
        })
        .map_err(html_failed)?;
    let is_supervisor = cached.is_supervised_by(viewer);
    let break_glass_log = if is_supervisor {
        crate::ops::break_glass::declared_on(state, key).await?
    } else {
        Vec::new()
    };
    let can_share = allowed(Action::CaseShare);
    // Shares read with the case are shown as read; otherwise they are read now.
    let shares = match (can_share, shares) {
        (false, _) => Vec::new(),
        (true, Some(shares)) => crate::ops::sharing::rows_of(shares),
        (true, None) => crate::ops::sharing::share_rows(state, key).await?,
    };
    Ok(CasePage {
        can_share,
        shares,
        share_items: storage::SharedItem::ALL
            .iter()
            .map(|item| (item.as_str().to_owned(), item.label().to_owned()))
            .collect(),
        nav: Nav::for_viewer(viewer),
        force: key.force.to_string(),
        reference: key.reference.to_string(),
        path: cached.path(),
        story_html,
        recorded_title: String::new(),
        created: false,
        closed: cached.closed,
        open_count: findings.iter().filter(|f| f.status.is_open()).count(),
        findings_html: findings.rows_html().map_err(html_failed)?,
        people_html: cached.people_html().map_err(html_failed)?,
        timeline_html: cached.timeline_html().map_err(html_failed)?,
        decisions_html: cached.decisions_html().map_err(html_failed)?,
        can_write,
        can_audit: allowed(Action::CaseAudit),
        break_glass: relation == Relation::BreakGlass,
        break_glass_log,
        warnings,
        pending,
        error,
        recorded,
    })
}

pub async fn case_event(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    let confirm = fields.get("confirm") == Some("yes");
    let Some(kind) = fields
        .get("kind")
        .and_then(domain::interchange::Kind::from_name)
    else {
        let error = AppError::invalid("kind", "Choose what happened from the list.");
        return form_error(&state, &viewer, &key, error).await;
    };
    // The people as held, for a new person's key only: the record is checked against the case
    // as read (audited) when it is recorded.
    let people = state
        .cached(&key)
        .map(|cached| crate::rows::people(&cached.case))
        .unwrap_or_default();
    let object = match crate::record::object_from_form(&crate::kinds::spec(kind), &fields, &people)
    {
        Ok(mut object) => {
            if let Some(at) = fields.get("at") {
                object.insert("at".into(), at.into());
            }
            object
        }
        Err(errors) => {
            let first = errors.into_iter().next().unwrap_or_default();
            let error = AppError::invalid(first.field.unwrap_or_default(), first.message);
            return form_error(&state, &viewer, &key, error).await;
        }
    };
    match record_event(&state, &viewer, &key, object, confirm, None).await {
        Ok((Recorded::Done, _, _)) => Ok(Redirect::to(&format!(
            "/cases/{}/{}?recorded=1#findings-heading",
            key.force, key.reference
        ))
        .into_response()),
        Ok((Recorded::Warnings(warnings), cached, relation)) => {
            let pending = fields
                .0
                .iter()
                .filter(|(k, _)| k != "confirm")
                .cloned()
                .collect();
            let page = case_view(
                &state, &viewer, &cached, relation, None, warnings, pending, None, false,
            )
            .await?;
            Ok((StatusCode::OK, Html(page.render()?)).into_response())
        }
        Err(error)
            if error.status == StatusCode::BAD_REQUEST || error.code == "not_your_decision" =>
        {
            form_error(&state, &viewer, &key, error).await
        }
        Err(error) => Err(error),
    }
}

pub(crate) async fn form_error(
    state: &AppState,
    viewer: &Viewer,
    key: &domain::CaseKey,
    error: AppError,
) -> Result<Response, AppError> {
    let (access, relation, _) = authorise_case(state, viewer, key, Action::CaseRead).await?;
    let (cached, shares) = read_for_case_page(state, viewer, &access, key, relation).await?;
    let page = case_view(
        state,
        viewer,
        &cached,
        relation,
        shares,
        Vec::new(),
        Vec::new(),
        Some((error.message.clone(), error.field.clone())),
        false,
    )
    .await?;
    Ok((error.status, Html(page.render()?)).into_response())
}

// ---- Identity -----------------------------------------------------------------------------------

pub async fn identity_form(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference, person)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let person = person_key(&person)?;
    let name = unseal(&state, &viewer, &key, &person, None).await?;
    html(UnsealPage {
        nav: Nav::for_viewer(&viewer),
        path: format!("{}/{}", key.force, key.reference),
        reference: key.reference.to_string(),
        person: person.to_string(),
        name,
        error: None,
    })
}

pub async fn identity_unseal(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference, person)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let person = person_key(&person)?;
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    let name = unseal(&state, &viewer, &key, &person, fields.get("reason")).await?;
    let error = name
        .is_none()
        .then(|| "Enter a reason of at least 10 characters.".to_owned());
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = UnsealPage {
        nav: Nav::for_viewer(&viewer),
        path: format!("{}/{}", key.force, key.reference),
        reference: key.reference.to_string(),
        person: person.to_string(),
        name,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

// ---- Break glass --------------------------------------------------------------------------------

/// The case to fill in (from the offer on a case's "not found" page).
#[derive(Debug, Deserialize, Default)]
pub struct BreakGlassQuery {
    #[serde(default)]
    pub force: Option<String>,
    #[serde(default)]
    pub case: Option<String>,
}

pub async fn break_glass_form(
    PageViewer(viewer): PageViewer,
    Query(query): Query<BreakGlassQuery>,
) -> Result<Response, AppError> {
    authorise(&viewer, Action::BreakGlass)?;
    html(BreakGlassPage {
        nav: Nav::for_viewer(&viewer).at("/break-glass"),
        force: query
            .force
            .or_else(|| viewer.user.force.clone())
            .unwrap_or_default(),
        reference: query.case.unwrap_or_default(),
        error: None,
    })
}

pub async fn break_glass(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    let force = fields.get("force").unwrap_or("").to_owned();
    let reference = fields.get("case").unwrap_or("").to_owned();
    let result = match case_key(&force, &reference) {
        Ok(key) => declare_break_glass(&state, &viewer, &key, fields.get("reason").unwrap_or(""))
            .await
            .map(|()| key),
        Err(error) => Err(error),
    };
    match result {
        Ok(key) => {
            Ok(Redirect::to(&format!("/cases/{}/{}", key.force, key.reference)).into_response())
        }
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            let page = BreakGlassPage {
                nav: Nav::for_viewer(&viewer).at("/break-glass"),
                force,
                reference,
                error: Some((error.message, error.field.unwrap_or_default())),
            };
            Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
        }
        Err(error) => Err(error),
    }
}

// ---- Case audit ---------------------------------------------------------------------------------

pub async fn case_audit(
    State(state): State<Arc<AppState>>,
    case: CaseAccess<Audit>,
) -> Result<Response, AppError> {
    let key = &case.key;
    let rows = case_audit_rows(&state, &case.access, key).await?;
    html(AuditPage {
        nav: Nav::for_viewer(&case.viewer),
        force: key.force.to_string(),
        reference: key.reference.to_string(),
        path: format!("{}/{}", key.force, key.reference),
        rows,
    })
}

// ---- Guidance -----------------------------------------------------------------------------------

pub async fn guidance_index(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Query(query): Query<GuidanceQuery>,
) -> Result<Response, AppError> {
    let (results, error) = match guidance_results(&state, &viewer, &query).await {
        Ok(results) => (results, None),
        Err(error) if error.status == StatusCode::BAD_REQUEST => (Vec::new(), Some(error.message)),
        Err(error) => return Err(error),
    };
    html(GuidanceIndexPage {
        nav: Nav::for_viewer(&viewer).at("/guidance"),
        searched: query.q.as_deref().is_some_and(|q| !q.trim().is_empty()),
        query: query.q.clone().unwrap_or_default(),
        role: query.role.clone().unwrap_or_default(),
        stage: query.stage.clone().unwrap_or_default(),
        roles: guidance::Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().to_owned(),
                label: crate::kinds::kind_label(r.as_str()),
            })
            .collect(),
        stages: guidance::Stage::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: crate::kinds::kind_label(s.as_str()),
            })
            .collect(),
        results,
        error,
    })
}

pub async fn guidance_page(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    authorise(&viewer, Action::Guidance)?;
    let page = state
        .library
        .page(&id, viewer.role.guidance_viewer())
        .ok_or_else(AppError::not_found)?;
    html(GuidancePage {
        nav: Nav::for_viewer(&viewer).at("/guidance"),
        id: page.id.clone(),
        title: page.title.clone(),
        summary: page.summary.clone(),
        restricted: page.restricted,
        body_html: crate::markdown::to_html(&page.body),
        sources: page
            .sources
            .iter()
            .map(|s| (s.title.clone(), s.url.clone()))
            .collect(),
        reviewed: page.reviewed.format("%-d %B %Y").to_string(),
    })
}

// ---- Leaders' report ----------------------------------------------------------------------------

pub async fn report(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Query(query): Query<ReportQuery>,
) -> Result<Response, AppError> {
    match query.format.as_deref() {
        Some("csv") => {
            let report = build_report(&state, &viewer, &query).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"rasso-report.csv\"",
                    ),
                ],
                report.to_csv(),
            )
                .into_response())
        }
        Some("json") => {
            let report = build_report(&state, &viewer, &query).await?;
            Ok(axum::Json(report.to_json()).into_response())
        }
        Some(_) => Err(AppError::invalid(
            "format",
            "Choose csv or json, or leave it out.",
        )),
        None => report_page(&state, &viewer, &query).await,
    }
}

/// The report inside the site's layout, under a date range form. A wrong date is shown beside its
/// field and in the error summary, with what was entered kept, and no report is built.
async fn report_page(
    state: &AppState,
    viewer: &Viewer,
    query: &ReportQuery,
) -> Result<Response, AppError> {
    authorise(viewer, Action::Report)?;
    let today = domain::time::in_london(&state.now()).date_naive();
    let entered = |value: &Option<String>| value.as_deref().unwrap_or_default().trim().to_owned();
    let mut page = crate::templates::ReportPage {
        nav: Nav::for_viewer(viewer).at("/reports/leaders"),
        scope: if viewer.force_filter()?.is_some() {
            "your force"
        } else {
            "every force"
        },
        from: entered(&query.from),
        to: entered(&query.to),
        from_error: String::new(),
        to_error: String::new(),
        errors: Vec::new(),
        report_html: None,
    };
    match report_range(query, today) {
        Ok((from, to)) => {
            // The fields show the range the report covers, defaults included.
            page.from = from.to_string();
            page.to = to.to_string();
            let report = build_report(state, viewer, query).await?;
            page.report_html = Some(report.to_html_fragment());
            Ok((StatusCode::OK, Html(page.render()?)).into_response())
        }
        Err(errors) => {
            for (field, message) in errors {
                match field {
                    "to" => page.to_error = message.clone(),
                    _ => page.from_error = message.clone(),
                }
                page.errors.push((format!("f-{field}"), message));
            }
            Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
        }
    }
}
