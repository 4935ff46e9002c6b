//! HTML pages.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate};
use domain::Status;
use serde::Deserialize;
use storage::{Access, AuditEntry, Category, Purpose};

use crate::access::{Action, Relation};
use crate::auth::{self, Viewer};
use crate::cases::{self, CachedCase, FindingRow, authorise, authorise_case, case_key};
use crate::error::AppError;
use crate::forms::{self, Fields};
use crate::state::AppState;
use crate::templates::*;

/// The introductory toolkits offered on a user's first sign-in.
pub const TOOLKITS: [&str; 3] = [
    "nom/introduction",
    "nom/scope-and-terminology",
    "nom/whole-story",
];

/// A signed-in viewer of a page; anyone else is sent to the sign-in page.
#[derive(Debug)]
pub struct PageViewer(pub Viewer);

impl FromRequestParts<Arc<AppState>> for PageViewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match auth::authenticate(state, &parts.headers).await {
            Ok(Some((viewer, false))) => Ok(PageViewer(viewer)),
            Ok(_) => Err(not_signed_in(&parts.headers)),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// The answer to a page request without a session: to the sign-in page, or, when the request
/// carried a session that has ended (timed out, signed out elsewhere, the account changed), to
/// the page that says so. An htmx request is told to go there (`HX-Redirect`) rather than given
/// a page to swap in.
fn not_signed_in(headers: &HeaderMap) -> Response {
    let target = if auth::cookie(headers, auth::SESSION_COOKIE).is_some_and(|c| !c.is_empty()) {
        "/signed-out"
    } else {
        "/sign-in"
    };
    if headers.get("hx-request").is_some() {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response
            .headers_mut()
            .insert("hx-redirect", HeaderValue::from_static(target));
        return response;
    }
    Redirect::to(target).into_response()
}

/// Error pages keep the navigation: an error answered to a signed-in page request is made again
/// with the viewer's navigation (handlers answer errors without knowing who asked). A 404 on a
/// case of the viewer's reach that exists outside their team offers break-glass, where their
/// role may declare it; nothing else about the case is said.
pub async fn error_pages(
    State(state): State<Arc<AppState>>,
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
    let Ok(Some((viewer, false))) = auth::authenticate(&state, &headers).await else {
        return response;
    };
    let break_glass = if error.status == StatusCode::NOT_FOUND && is_get {
        break_glass_offer(&state, &viewer, &path).await
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
    match cases::relation(state, viewer, &key).await {
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
    let token = auth::random_token();
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
    if pre.is_empty() || !auth::same_secret(pre, sent) {
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

#[derive(Debug, Deserialize, Default)]
pub struct CaseloadQuery {
    /// `all` (the default), `overdue`, `breached` or `due`.
    #[serde(default)]
    pub show: Option<String>,
    /// A case reference (or part of one) or a person's key.
    #[serde(default)]
    pub q: Option<String>,
    /// Only cases with an open finding of this rule.
    #[serde(default)]
    pub rule: Option<String>,
    /// `urgency` (the default), `reference`, `deadline` or `open`.
    #[serde(default)]
    pub sort: Option<String>,
    /// The page of results, from 1.
    #[serde(default)]
    pub page: Option<String>,
}

/// Rows per caseload page.
pub const CASELOAD_PAGE: usize = 50;

/// What the caseload's filter chose, checked.
#[derive(Debug, Clone, Default)]
pub struct CaseloadFilter {
    pub show: &'static str,
    pub q: String,
    pub rule: String,
    pub sort: &'static str,
    pub page: usize,
}

impl CaseloadQuery {
    fn filter(&self) -> Result<CaseloadFilter, AppError> {
        let show = match self.show.as_deref().unwrap_or("") {
            "" | "all" => "all",
            "overdue" => "overdue",
            "breached" => "breached",
            "due" => "due",
            _ => {
                return Err(AppError::invalid(
                    "show",
                    "Choose which cases to show from the list.",
                ));
            }
        };
        let sort = match self.sort.as_deref().unwrap_or("") {
            "" | "urgency" => "urgency",
            "reference" => "reference",
            "deadline" => "deadline",
            "open" => "open",
            _ => return Err(AppError::invalid("sort", "Choose an order from the list.")),
        };
        let page = match self.page.as_deref().unwrap_or("") {
            "" => 1,
            text => text
                .parse::<usize>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| AppError::invalid("page", "A page is a whole number from 1."))?,
        };
        let rule = self.rule.clone().unwrap_or_default();
        if !rule
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(AppError::invalid("rule", "Choose a rule from the list."));
        }
        Ok(CaseloadFilter {
            show,
            q: self.q.clone().unwrap_or_default().trim().to_owned(),
            rule,
            sort,
            page,
        })
    }
}

/// Applies the caseload's search, filters and order; returns the page asked for and how many
/// rows matched.
pub fn filter_caseload(
    rows: &[Arc<cases::CaseloadRow>],
    filter: &CaseloadFilter,
) -> (Vec<Arc<cases::CaseloadRow>>, usize) {
    let q = filter.q.to_lowercase();
    let mut kept: Vec<Arc<cases::CaseloadRow>> = rows
        .iter()
        .filter(|row| match filter.show {
            "overdue" => row.overdue > 0,
            "breached" => row.breached > 0,
            "due" => row.open_findings > row.overdue + row.breached,
            _ => true,
        })
        .filter(|row| {
            q.is_empty()
                || row.reference.to_lowercase().contains(&q)
                || row.people.iter().any(|p| p.to_lowercase() == q)
        })
        .filter(|row| filter.rule.is_empty() || row.open_rules.contains(&filter.rule))
        .cloned()
        .collect();
    match filter.sort {
        "reference" => kept.sort_by(|a, b| a.reference.cmp(&b.reference)),
        "deadline" => kept.sort_by_key(|row| (row.next_due.is_none(), row.next_due)),
        "open" => kept.sort_by_key(|row| std::cmp::Reverse(row.open_findings)),
        _ => {}
    }
    let total = kept.len();
    let start = (filter.page - 1) * CASELOAD_PAGE;
    let page = kept.into_iter().skip(start).take(CASELOAD_PAGE).collect();
    (page, total)
}

pub async fn caseload(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Query(query): Query<CaseloadQuery>,
) -> Result<Response, AppError> {
    let filter = query.filter()?;
    let (rows, open, overdue) = caseload_data(&state, &viewer).await?;
    let mut rules: Vec<(String, String)> = rows
        .iter()
        .flat_map(|r| r.open_rules.iter().cloned())
        .map(|id| {
            let title = state.rules.find(&id).map_or_else(
                || id.clone(),
                |index| state.rules.rule(index).title.to_string(),
            );
            (id, title)
        })
        .collect();
    rules.sort();
    rules.dedup();
    let (rows, matched) = filter_caseload(&rows, &filter);
    let pages = matched.div_ceil(CASELOAD_PAGE).max(1);
    html(CaseloadPage {
        nav: Nav::for_viewer(&viewer).at("/caseload"),
        overdue_only: filter.show == "overdue",
        rows,
        open_findings: open,
        overdue,
        matched,
        pages,
        rules,
        filter,
    })
}

/// The viewer's caseload: cases they are allocated to, most urgent first.
pub async fn caseload_data(
    state: &AppState,
    viewer: &Viewer,
) -> Result<(Vec<Arc<cases::CaseloadRow>>, usize, usize), AppError> {
    let access = authorise(viewer, Action::Caseload)?;
    viewer.force_filter()?;
    let caseload = cases::my_caseload(state, &access, viewer, state.now()).await?;
    Ok((
        caseload.rows.clone(),
        caseload.open_findings,
        caseload.overdue,
    ))
}

/// What the supervisor view shows.
#[derive(Debug)]
pub struct TeamData {
    pub rows: Vec<Arc<cases::CaseloadRow>>,
    pub loads: Vec<cases::OfficerLoad>,
    pub overdue: Vec<FindingRow>,
    pub reviews: Vec<FindingRow>,
}

/// The team: cases a supervisor is allocated to supervise (leaders: the whole force).
pub async fn team_data(state: &AppState, viewer: &Viewer) -> Result<TeamData, AppError> {
    let access = authorise(viewer, Action::TeamView)?;
    // A leader sees their whole force (a national leader every force); a supervisor the cases of
    // their force they supervise.
    let force = viewer.force_filter()?;
    let leader = viewer.role == crate::access::Role::Leader;
    let keep = |c: &CachedCase| leader || c.is_supervised_by(viewer);
    let loaded = cases::caseload(state, &access, force, &keep).await?;
    let rows = cases::caseload_rows(&loaded);
    // By officer name (within the case's force: identifiers are the force's own).
    let mut loads = cases::officer_loads(&loaded);
    for load in &mut loads {
        if let Some((cached, _)) = loaded
            .iter()
            .find(|(c, _)| c.officer_in_case() == Some(load.officer.as_str()))
        {
            load.officer = state.officer_name(&cached.case.key.force, &load.officer);
        }
    }
    loads.sort_by(|a, b| a.officer.cmp(&b.officer));
    let mut overdue = Vec::new();
    let mut reviews = Vec::new();
    for (_, findings) in &loaded {
        for f in findings.iter() {
            if f.status == Status::Overdue {
                overdue.push(f.clone());
            }
            if (f.view.rule == "SUP-REVIEW" || f.view.rule == "RUI-REVIEW")
                && matches!(f.status, Status::Due | Status::Overdue)
            {
                reviews.push(f.clone());
            }
        }
    }
    overdue.sort_by_key(|f| f.due);
    reviews.sort_by_key(|f| f.due);
    Ok(TeamData {
        rows,
        loads,
        overdue,
        reviews,
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
    PageViewer(viewer): PageViewer,
    Path((force, reference)): Path<(String, String)>,
    Query(query): Query<CaseQuery>,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let (access, relation, _) = authorise_case(&state, &viewer, &key, Action::CaseRead).await?;
    let cached = cases::read(&state, &access, &key).await?;
    let mut page = case_view(
        &state,
        &viewer,
        &cached,
        relation,
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
        page.recorded_title = crate::record::spec(kind).title.to_owned();
    }
    page.created = query.created.is_some();
    html(page)
}

#[allow(clippy::too_many_arguments)]
async fn case_view(
    state: &AppState,
    viewer: &Viewer,
    cached: &CachedCase,
    relation: Relation,
    warnings: Vec<FindingRow>,
    pending: Vec<(String, String)>,
    error: Option<(String, Option<String>)>,
    recorded: bool,
) -> Result<CasePage, AppError> {
    let key = &cached.case.key;
    let findings = cached.findings_at(state, state.now());
    let allowed = |action| {
        matches!(
            crate::access::decide(viewer.role, action, relation),
            crate::access::Decision::Allow(_)
        )
    };
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
                tasks: &crate::story::tasks(&path, &findings, now),
                can_write,
            })
        })
        .map_err(html_failed)?;
    let is_supervisor = cached.is_supervised_by(viewer);
    let break_glass_log = if is_supervisor {
        state
            .store
            .break_glass_on(key)
            .await?
            .into_iter()
            .map(|e| (e.actor, cases::local_time(&e.at), e.reason))
            .collect()
    } else {
        Vec::new()
    };
    let can_share = allowed(Action::CaseShare);
    let shares = if can_share {
        crate::sharing::share_rows(state, key).await?
    } else {
        Vec::new()
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

/// Outcome of recording an event.
#[derive(Debug)]
pub enum Recorded {
    Done,
    Warnings(Vec<FindingRow>),
}

/// Records `object` on a case for `viewer`: authorise, read (audited), validate, warn unless
/// confirmed, append with the version read, or with `expected` when the client names the version
/// it saw (audited). A version that is no longer the case's is a conflict (409), unless the event
/// is already stored (a retry of a write that succeeded).
pub async fn record_event(
    state: &AppState,
    viewer: &Viewer,
    key: &domain::CaseKey,
    object: serde_json::Map<String, serde_json::Value>,
    confirm: bool,
    expected: Option<u64>,
) -> Result<(Recorded, Arc<CachedCase>, Relation), AppError> {
    let (access, relation, _) = authorise_case(state, viewer, key, Action::CaseWrite).await?;
    let cached = cases::read(state, &access, key).await?;
    let (recorded, cached) =
        record_on(state, viewer, &access, cached, object, confirm, expected).await?;
    Ok((recorded, cached, relation))
}

/// Records `object` on `cached` (read with `access`, which allowed [`Action::CaseWrite`]):
/// validate, warn unless confirmed, append with the version read or `expected` (audited).
pub async fn record_on(
    state: &AppState,
    viewer: &Viewer,
    access: &storage::Access,
    cached: Arc<CachedCase>,
    object: serde_json::Map<String, serde_json::Value>,
    confirm: bool,
    expected: Option<u64>,
) -> Result<(Recorded, Arc<CachedCase>), AppError> {
    let key = &cached.case.key;
    let proposed = forms::propose(state, viewer, &cached, object, state.now())?;
    if !proposed.warnings.is_empty() && !confirm {
        return Ok((Recorded::Warnings(proposed.warnings), cached));
    }
    let outcome = state
        .store
        .append(
            access,
            vec![storage::Append {
                case: key.clone(),
                expected: storage::ExpectedVersion::Exact(expected.unwrap_or(cached.version)),
                events: vec![proposed.event.clone()],
            }],
        )
        .await?;
    let Some(outcome) = outcome.first().filter(|o| o.appended > 0) else {
        // Already stored (an idempotent retry): the case just read holds it.
        return Ok((Recorded::Done, cached));
    };
    let mut case = cached.case.clone();
    let mut event = proposed.event.record.event;
    // The store keeps identity sealed and the stored event's `identity` empty: so does the copy
    // the server holds.
    if let domain::EventData::PersonAdded(added) = &mut event.data {
        added.identity = None;
    }
    case.push(event);
    let cached = state.remember(case, outcome.version);
    Ok((Recorded::Done, cached))
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
        .map(|cached| cases::people(&cached.case))
        .unwrap_or_default();
    let object = match crate::record::object_from_form(&crate::record::spec(kind), &fields, &people)
    {
        Ok(mut object) => {
            if let Some(at) = fields.get("at") {
                object.insert("at".into(), at.into());
            }
            object
        }
        Err(errors) => {
            let (field, message) = errors.into_iter().next().unwrap_or_default();
            return form_error(&state, &viewer, &key, AppError::invalid(field, message)).await;
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
                &state, &viewer, &cached, relation, warnings, pending, None, false,
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
    let cached = cases::read(state, &access, key).await?;
    let page = case_view(
        state,
        viewer,
        &cached,
        relation,
        Vec::new(),
        Vec::new(),
        Some((error.message.clone(), error.field.clone())),
        false,
    )
    .await?;
    Ok((error.status, Html(page.render()?)).into_response())
}

// ---- Identity -----------------------------------------------------------------------------------

fn person_key(person: &str) -> Result<domain::PersonKey, AppError> {
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
    if !cases::people(&cached.case)
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
        |i| cases::display_name(&i),
    )))
}

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
        if let Some((Relation::Member, _, _)) = cases::relation(state, viewer, &own).await? {
            return Ok(true);
        }
    }
    Ok(false)
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

/// The audit records of a case, newest first (after recording this consultation of them).
pub async fn case_audit_rows(
    state: &AppState,
    viewer: &Viewer,
    key: &domain::CaseKey,
) -> Result<Vec<AuditRow>, AppError> {
    let (access, _, _) = authorise_case(state, viewer, key, Action::CaseAudit).await?;
    let object = format!("case:{}/{}", key.force, key.reference);
    let identity_prefix = format!("identity:{}/{}/", key.force, key.reference);
    state
        .store
        .record_audit(AuditEntry::new(
            &access,
            Category::Consultation,
            format!("audit:{object}"),
        ))
        .await?;
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = state.store.audit_records(after, 2_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for record in &page {
            if record.object == object || record.object.starts_with(&identity_prefix) {
                let at = chrono::DateTime::parse_from_rfc3339(&record.at)
                    .map(|t| cases::local_time(&t.with_timezone(&chrono::Utc)))
                    .unwrap_or_else(|_| record.at.clone());
                rows.push(AuditRow {
                    seq: record.seq,
                    at_local: at,
                    actor: record.actor.clone(),
                    category: record.category.clone(),
                    object: record.object.clone(),
                    purpose: record.purpose.clone(),
                    reason: record.reason.clone().unwrap_or_default(),
                });
            }
        }
    }
    rows.reverse();
    Ok(rows)
}

pub async fn case_audit(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path((force, reference)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let key = case_key(&force, &reference)?;
    let rows = case_audit_rows(&state, &viewer, &key).await?;
    html(AuditPage {
        nav: Nav::for_viewer(&viewer),
        force: key.force.to_string(),
        reference: key.reference.to_string(),
        path: format!("{}/{}", key.force, key.reference),
        rows,
    })
}

// ---- Guidance -----------------------------------------------------------------------------------

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
                label: cases::kind_label(r.as_str()),
            })
            .collect(),
        stages: guidance::Stage::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: cases::kind_label(s.as_str()),
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

#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
}

/// A date as a person enters it: `2026-03-01` (what a date field sends) or `1/3/2026`.
fn parse_uk_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
}

/// The report's date range from the query, or a message for each field that is wrong, by field
/// name (`from`, `to`). Empty fields take the defaults: the year to today.
pub fn report_range(
    query: &ReportQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Vec<(&'static str, String)>> {
    let year_ago = today
        .with_year(today.year() - 1)
        .unwrap_or(today - Duration::days(365));
    let mut errors = Vec::new();
    let mut date = |value: Option<&str>, field: &'static str, what: &str, default: NaiveDate| {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Some(default),
            Some(text) => match parse_uk_date(text) {
                // No case can have been reported after today; an end date after it is fine.
                Some(date) if field == "from" && date > today => {
                    errors.push((
                        field,
                        format!("The {what} date must be today or in the past."),
                    ));
                    None
                }
                Some(date) => Some(date),
                None => {
                    errors.push((
                        field,
                        format!("Enter the {what} date as a real date, for example 1/3/2026."),
                    ));
                    None
                }
            },
        }
    };
    let from = date(query.from.as_deref(), "from", "start", year_ago);
    let to = date(query.to.as_deref(), "to", "end", today);
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(vec![(
            "from",
            "The start date must be the same as or before the end date.".to_owned(),
        )]),
        (Some(from), Some(to)) if errors.is_empty() => Ok((from, to)),
        _ => Err(errors),
    }
}

/// Builds the report over the viewer's force (one audited combination of its cases).
pub async fn build_report(
    state: &AppState,
    viewer: &Viewer,
    query: &ReportQuery,
) -> Result<reporting::Report, AppError> {
    let access: Access = authorise(viewer, Action::Report)?;
    let now = state.now();
    let today = domain::time::in_london(&now).date_naive();
    let (from, to) = report_range(query, today).map_err(|errors| match errors.first() {
        Some((field, message)) => AppError::invalid(*field, message.clone()),
        None => AppError::invalid("from", "The dates are not valid."),
    })?;
    let scope = reporting::Scope {
        // The viewer's own force; every force only for a national viewer.
        force: viewer.force_filter()?.map(str::to_owned),
        from,
        to,
        as_of: now,
        rule_set: state.rules.label(),
        shared: false,
    };
    let access = Access {
        purpose: Purpose::Reporting,
        ..access
    };
    // From the stored report facts (one row per case in range) when they match the server's rule
    // set; otherwise every case is read and evaluated.
    let (report, _path) =
        reports::build_report(state.store.as_ref(), &access, &state.rules, scope).await?;
    Ok(report)
}

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
