//! The pages that record what happened: "record what happened" (every kind the viewer may record
//! on the case), one page per kind ([`crate::record`] makes its form), and opening a new case.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::interchange::Kind;
use serde::Deserialize;

use crate::access::Action;
use crate::error::{AppError, FieldError};
use crate::extract::{CaseAccess, PageViewer, Write};
use crate::fields::Fields;
use crate::kinds::{self, Spec};
use crate::ops;
use crate::ops::cases::{authorise, authorise_case, case_key, read};
use crate::ops::record::{Recorded, record_on};
use crate::record::{self, FieldView};
use crate::rows::FindingRow;
use crate::state::{AppState, CachedCase};
use crate::templates::Nav;
use crate::viewer::Viewer;

/// "Record what happened": the kinds the viewer may record on the case, grouped.
#[derive(Debug, Template)]
#[template(path = "record_index.html")]
pub struct RecordIndexPage {
    pub nav: Nav,
    pub path: String,
    pub reference: String,
    pub groups: Vec<(&'static str, Vec<(&'static str, &'static str)>)>,
}

/// One kind's form (also the form to open a case).
#[derive(Debug, Template)]
#[template(path = "record.html")]
pub struct RecordPage {
    pub nav: Nav,
    /// Where the form posts.
    pub action: String,
    /// Where "back" goes.
    pub back: String,
    pub back_label: String,
    pub caption: String,
    pub title: String,
    pub intro: String,
    pub button: String,
    /// The "when did this happen" question and its values.
    pub when_label: String,
    pub when_date: String,
    pub when_time: String,
    pub when_error: Option<String>,
    /// For a new case: its reference.
    pub reference_field: Option<FieldView>,
    pub fields: Vec<FieldView>,
    /// Every error, in the order of the form: (field id, message).
    pub errors: Vec<(String, String)>,
    /// Findings the event would newly make overdue or breached: recording needs a second yes.
    pub warnings: Vec<FindingRow>,
}

impl RecordPage {
    pub fn when_error_text(&self) -> &str {
        self.when_error.as_deref().unwrap_or("")
    }
}

fn page(page: impl Template, status: StatusCode) -> Result<Response, AppError> {
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn record_index(
    State(state): State<Arc<AppState>>,
    CaseAccess {
        viewer,
        key,
        access,
        ..
    }: CaseAccess<Write>,
) -> Result<Response, AppError> {
    let cached = read(&state, &access, &key).await?;
    let groups = kinds::recordable(viewer.role, cached.is_officer_in_case(&viewer))
        .into_iter()
        .map(|(group, specs)| {
            (
                group.title(),
                specs.iter().map(|s| (s.kind.as_str(), s.title)).collect(),
            )
        })
        .collect();
    page(
        RecordIndexPage {
            nav: Nav::for_viewer(&viewer),
            path: cached.path(),
            reference: key.reference.to_string(),
            groups,
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize, Default)]
pub struct RecordQuery {
    /// A person to choose first (from a task about them).
    #[serde(default)]
    pub person: Option<String>,
}

/// The kind named in an address, which the viewer may record on the case.
fn recordable_kind(viewer: &Viewer, cached: &CachedCase, kind: &str) -> Result<Kind, AppError> {
    let kind = Kind::from_name(kind).ok_or_else(AppError::not_found)?;
    crate::access::may_record(viewer.role, kind, cached.is_officer_in_case(viewer)).map_err(
        |refusal| {
            AppError::new(StatusCode::FORBIDDEN, "not_your_decision", refusal.message)
                .with_field("kind")
        },
    )?;
    Ok(kind)
}

/// Everything a kind's form page shows but the sent values and errors.
#[allow(clippy::too_many_arguments)]
fn kind_page(
    viewer: &Viewer,
    cached: &CachedCase,
    spec: &Spec,
    sent: &Fields,
    errors: Vec<FieldError>,
    warnings: Vec<FindingRow>,
    preset_person: Option<&str>,
    now: DateTime<Utc>,
) -> RecordPage {
    let people = crate::rows::people(&cached.case);
    let fields = record::field_views(spec, &people, sent, &errors, preset_person);
    let (date, time) = record::local_parts(&now);
    let when_error = errors
        .iter()
        .find(|error| error.field.as_deref() == Some("when"))
        .map(|error| error.message.clone());
    let mut summary = Vec::new();
    if let Some(message) = &when_error {
        summary.push(("f-when-date".to_owned(), message.clone()));
    }
    for field in &fields {
        if let Some(message) = &field.error {
            summary.push((field.id.clone(), message.clone()));
        }
    }
    // An error of no field of the form (the case changed, say) still shows in the summary.
    for error in &errors {
        let name = error.field.as_deref().unwrap_or("");
        if name != "when" && !spec.fields.iter().any(|f| f.name == name) {
            summary.push(("f-when-date".to_owned(), error.message.clone()));
        }
    }
    let who = kinds::who_records(spec.kind);
    let mut intro = format!("Recorded by {who}.");
    if spec.filled.contains(&"officer") {
        intro.push_str(" You are recorded as the officer who made it.");
    }
    if spec.kind == Kind::PersonAdded {
        intro.push_str(" The person gets the next key for their part (V2, S1, W1, ...).");
    }
    RecordPage {
        nav: Nav::for_viewer(viewer),
        action: format!("/cases/{}/record/{}", cached.path(), spec.kind.as_str()),
        back: format!("/cases/{}", cached.path()),
        back_label: format!("Back to case {}", cached.case.key.reference),
        caption: format!("Case {}", cached.case.key.reference),
        title: spec.title.to_owned(),
        intro,
        button: if spec.kind == Kind::PersonAdded {
            "Add the person".to_owned()
        } else {
            "Record".to_owned()
        },
        when_label: "When did this happen?".to_owned(),
        when_date: sent.get("when-date").map_or(date, str::to_owned),
        when_time: sent.get("when-time").map_or(time, str::to_owned),
        when_error,
        reference_field: None,
        fields,
        errors: summary,
        warnings,
    }
}

pub async fn record_form(
    State(state): State<Arc<AppState>>,
    CaseAccess {
        viewer,
        key,
        access,
        ..
    }: CaseAccess<Write>,
    Path((_, _, kind)): Path<(String, String, String)>,
    Query(query): Query<RecordQuery>,
) -> Result<Response, AppError> {
    let cached = read(&state, &access, &key).await?;
    let kind = recordable_kind(&viewer, &cached, &kind)?;
    let spec = kinds::spec(kind);
    page(
        kind_page(
            &viewer,
            &cached,
            &spec,
            &Fields::default(),
            Vec::new(),
            Vec::new(),
            query.person.as_deref(),
            state.now(),
        ),
        StatusCode::OK,
    )
}

/// The instant of "when did this happen" (now when left blank).
fn when(fields: &Fields, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    Ok(
        record::read_local("when", fields.get("when-date"), fields.get("when-time"))?
            .unwrap_or(now),
    )
}

/// A form posted after its session ended: the signed-out page, with what the person had entered
/// shown back to them (nothing was stored, and nothing is read from the store: the values are
/// only those the browser just sent), so that the draft is not lost.
fn draft_lost(rejection: Response, fields: &Fields, spec: Option<&Spec>) -> Response {
    if rejection.status() != StatusCode::SEE_OTHER
        || rejection.headers().get(axum::http::header::LOCATION)
            != Some(&axum::http::HeaderValue::from_static("/signed-out"))
    {
        return rejection;
    }
    let draft = fields
        .0
        .iter()
        .filter(|(name, value)| {
            !value.trim().is_empty() && !matches!(name.as_str(), "csrf" | "confirm" | "password")
        })
        .map(|(name, value)| {
            let label = spec
                .and_then(|s| s.fields.iter().find(|f| f.name == name))
                .map_or_else(
                    || match name.as_str() {
                        "when-date" => "Date it happened".to_owned(),
                        "when-time" => "Time it happened".to_owned(),
                        other => crate::kinds::kind_label(other),
                    },
                    |f| f.label.to_owned(),
                );
            (label, value.clone())
        })
        .collect();
    crate::pages::signed_out_page(draft, StatusCode::UNAUTHORIZED)
}

pub async fn record_post(
    State(state): State<Arc<AppState>>,
    viewer: Result<PageViewer, Response>,
    Path((force, reference, kind)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields = Fields::parse(&body);
    let viewer = match viewer {
        Ok(PageViewer(viewer)) => viewer,
        Err(rejection) => {
            let spec = Kind::from_name(&kind).map(kinds::spec);
            return Ok(draft_lost(rejection, &fields, spec.as_ref()));
        }
    };
    let key = case_key(&force, &reference)?;
    viewer.check_csrf(fields.get("csrf"))?;
    let (access, _, _) = authorise_case(&state, &viewer, &key, Action::CaseWrite).await?;
    let cached = read(&state, &access, &key).await?;
    let kind = recordable_kind(&viewer, &cached, &kind)?;
    let spec = kinds::spec(kind);
    let now = state.now();
    let people = crate::rows::people(&cached.case);
    let mut errors = Vec::new();
    let at = when(&fields, now).map_err(|e| errors.push(FieldError::new("when", e.message)));
    let object = record::object_from_form(&spec, &fields, &people)
        .map_err(|mut field_errors| errors.append(&mut field_errors));
    let (Ok(at), Ok(mut object)) = (at, object) else {
        let page_view = kind_page(
            &viewer,
            &cached,
            &spec,
            &fields,
            errors,
            Vec::new(),
            None,
            now,
        );
        return page(page_view, StatusCode::BAD_REQUEST);
    };
    object.insert(
        "at".into(),
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).into(),
    );
    let confirm = fields.get("confirm") == Some("yes");
    match record_on(
        &state,
        &viewer,
        &access,
        cached.clone(),
        object,
        confirm,
        None,
    )
    .await
    {
        Ok((Recorded::Done, _)) => Ok(Redirect::to(&format!(
            "/cases/{}?recorded={}#tasks",
            cached.path(),
            kind.as_str()
        ))
        .into_response()),
        Ok((Recorded::Warnings(warnings), cached)) => page(
            kind_page(
                &viewer,
                &cached,
                &spec,
                &fields,
                Vec::new(),
                warnings,
                None,
                now,
            ),
            StatusCode::OK,
        ),
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            let field = match error.field.as_deref() {
                Some("at") | None => "when".to_owned(),
                Some(other) => other.to_owned(),
            };
            page(
                kind_page(
                    &viewer,
                    &cached,
                    &spec,
                    &fields,
                    vec![FieldError::new(field, error.message)],
                    Vec::new(),
                    None,
                    now,
                ),
                StatusCode::BAD_REQUEST,
            )
        }
        Err(error) => Err(error),
    }
}

// ---- A new case ---------------------------------------------------------------------------------

const REFERENCE_HINT: &str =
    "Your force's crime reference: letters, digits, hyphens and slashes, for example 44/12345/26.";

fn new_case_page(
    viewer: &Viewer,
    sent: &Fields,
    errors: Vec<FieldError>,
    now: DateTime<Utc>,
) -> RecordPage {
    let spec = kinds::spec(Kind::ReportReceived);
    let fields = record::field_views(&spec, &[], sent, &errors, None);
    let (date, time) = record::local_parts(&now);
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|error| error.field.as_deref() == Some(name))
            .map(|error| error.message.clone())
    };
    let reference_field = FieldView {
        id: "f-reference".into(),
        name: "reference".into(),
        label: "Case reference".into(),
        hint: REFERENCE_HINT.into(),
        widget: "text",
        required: true,
        value: sent.get("reference").unwrap_or("").to_owned(),
        time: String::new(),
        options: Vec::new(),
        error: error_of("reference"),
    };
    let when_error = error_of("when");
    let mut summary = Vec::new();
    if let Some(message) = &reference_field.error {
        summary.push((reference_field.id.clone(), message.clone()));
    }
    if let Some(message) = &when_error {
        summary.push(("f-when-date".to_owned(), message.clone()));
    }
    for field in &fields {
        if let Some(message) = &field.error {
            summary.push((field.id.clone(), message.clone()));
        }
    }
    let role = if viewer.role == crate::access::Role::Supervisor {
        "supervisor"
    } else {
        "officer in case"
    };
    RecordPage {
        nav: Nav::for_viewer(viewer).at("/caseload"),
        action: "/cases/new".into(),
        back: "/caseload".into(),
        back_label: "Back to my caseload".into(),
        caption: format!("Force: {}", viewer.user.force.as_deref().unwrap_or("")),
        title: "Open a new case".into(),
        intro: format!(
            "You will be allocated to the case as its {role}. Add the victim and any suspect next."
        ),
        button: "Open the case".into(),
        when_label: "When was it reported?".into(),
        when_date: sent.get("when-date").map_or(date, str::to_owned),
        when_time: sent.get("when-time").map_or(time, str::to_owned),
        when_error,
        reference_field: Some(reference_field),
        fields,
        errors: summary,
        warnings: Vec::new(),
    }
}

/// The viewer's own force, where cases are opened (a national or unassigned account opens none).
fn own_force(viewer: &Viewer) -> Result<&str, AppError> {
    match viewer.scope() {
        storage::UserScope::Force(force) => Ok(force),
        _ => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "no_force",
            "Cases are opened within a force: your account belongs to none.",
        )),
    }
}

pub async fn new_case_form(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
) -> Result<Response, AppError> {
    authorise(&viewer, Action::CaseCreate)?;
    own_force(&viewer)?;
    page(
        new_case_page(&viewer, &Fields::default(), Vec::new(), state.now()),
        StatusCode::OK,
    )
}

pub async fn new_case(
    State(state): State<Arc<AppState>>,
    viewer: Result<PageViewer, Response>,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields = Fields::parse(&body);
    let viewer = match viewer {
        Ok(PageViewer(viewer)) => viewer,
        Err(rejection) => {
            let spec = kinds::spec(Kind::ReportReceived);
            return Ok(draft_lost(rejection, &fields, Some(&spec)));
        }
    };
    viewer.check_csrf(fields.get("csrf"))?;
    let access = authorise(&viewer, Action::CaseCreate)?;
    let force = own_force(&viewer)?.to_owned();
    let now = state.now();
    match open_case(&state, &viewer, &access, &force, &fields, now).await {
        Ok(key) => Ok(
            Redirect::to(&format!("/cases/{}/{}?created=1", key.force, key.reference))
                .into_response(),
        ),
        Err(errors) if !errors.is_empty() => page(
            new_case_page(&viewer, &fields, errors, now),
            StatusCode::BAD_REQUEST,
        ),
        Err(_) => Err(AppError::internal("new case", &"no error given")),
    }
}

/// Opens the case from the form: its reference, when it was reported and the report's fields,
/// every error by field; then the case is opened ([`ops::record::open_case`]).
async fn open_case(
    state: &AppState,
    viewer: &Viewer,
    access: &storage::Access,
    force: &str,
    fields: &Fields,
    now: DateTime<Utc>,
) -> Result<domain::CaseKey, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reference = fields.get("reference").unwrap_or("");
    let key = if reference.is_empty() {
        errors.push(FieldError::new("reference", "Enter the case reference."));
        None
    } else {
        case_key(force, reference)
            .map_err(|e| errors.push(FieldError::new("reference", e.message)))
            .ok()
    };
    let at = when(fields, now)
        .map_err(|e| errors.push(FieldError::new("when", e.message)))
        .ok();
    if at.is_some_and(|at| at > now + chrono::Duration::minutes(5)) {
        errors.push(FieldError::new("when", "The time is in the future."));
    }
    let spec = kinds::spec(Kind::ReportReceived);
    let object = record::object_from_form(&spec, fields, &[])
        .map_err(|mut field_errors| errors.append(&mut field_errors))
        .ok();
    let (Some(key), Some(at), Some(report), true) = (key, at, object, errors.is_empty()) else {
        return Err(errors);
    };
    ops::record::open_case(state, viewer, access, key, at, report).await
}
