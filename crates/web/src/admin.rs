//! Administrators' pages: the users of their force (every force for a national administrator),
//! adding a user, disabling or enabling one, changing their role, and moving one to another
//! force. Disabling, a change of role and a change of force end the user's sessions (the store
//! does it in the same change), so the new state applies from their next request. Lockouts (five
//! failed sign-ins within 15 minutes) are shown per user, and the recent sign-ins of the users
//! the administrator manages (attempts at known accounts, kept 90 days) below the list.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Duration;
use serde::Deserialize;

use crate::access::{Action, Role};
use crate::auth;
use crate::error::AppError;
use crate::extract::PageViewer;
use crate::fields::Fields;
use crate::ops::cases::authorise;
use crate::state::AppState;
use crate::templates::Nav;
use crate::viewer::Viewer;

/// One user as the page lists them.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub username: String,
    pub name: String,
    pub role: String,
    pub scope: String,
    pub officer_id: String,
    pub disabled: bool,
    /// Failed sign-ins within the lockout window.
    pub failures: u64,
    pub locked: bool,
}

/// One recent attempt to sign in, as the page lists it.
#[derive(Debug, Clone)]
pub struct SignInRow {
    pub username: String,
    /// UK local date and time.
    pub at: String,
    pub outcome: &'static str,
    /// A refusal or lockout (shown as a warning tag).
    pub refused: bool,
}

/// How far back the page lists sign-ins, and how many at most.
const SIGN_IN_DAYS: i64 = 7;
const SIGN_IN_ROWS: usize = 50;

#[derive(Debug, Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub nav: Nav,
    pub rows: Vec<UserRow>,
    pub sign_ins: Vec<SignInRow>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub force: String,
    pub national: bool,
    pub errors: Vec<(String, String)>,
    pub sent: Vec<(String, String)>,
    pub done: Option<String>,
}

impl UsersPage {
    /// A value sent with the form that failed (kept), or empty.
    pub fn sent_value(&self, name: &str) -> &str {
        self.sent
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
    /// The error of a field, or empty.
    pub fn error_of(&self, name: &str) -> &str {
        self.errors
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, m)| m.as_str())
    }
}

/// Whether the administrator may manage `user`: a national administrator every user, a force's
/// administrator the users of their force.
fn manages(viewer: &Viewer, user: &storage::User) -> bool {
    match viewer.scope() {
        storage::UserScope::National => true,
        storage::UserScope::Force(force) => user.force.as_deref() == Some(force),
        storage::UserScope::Unassigned => false,
    }
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    errors: Vec<(String, String)>,
    sent: Vec<(String, String)>,
    done: Option<String>,
) -> Result<UsersPage, AppError> {
    let access = authorise(viewer, Action::UserAdmin)?;
    if matches!(viewer.scope(), storage::UserScope::Unassigned) {
        return Err(AppError::forbidden());
    }
    // The server's clock, as the sign-in throttle reads it.
    let window = state.now() - Duration::minutes(auth::LOCKOUT_WINDOW_MINUTES);
    let mut rows = Vec::new();
    for user in state.store.list_users(&access).await? {
        if !manages(viewer, &user) {
            continue;
        }
        let failures = state.store.sign_in_failures(&user.username, window).await?;
        rows.push(UserRow {
            scope: match (&user.force, user.national) {
                (Some(force), _) => force.clone(),
                (None, true) => "national".to_owned(),
                (None, false) => "no force".to_owned(),
            },
            username: user.username,
            name: user.display_name,
            role: user.role,
            officer_id: user.officer_id,
            disabled: user.disabled,
            locked: failures >= auth::LOCKOUT_FAILURES as u64,
            failures,
        });
    }
    let sign_ins = recent_sign_ins(state, viewer, &access, &rows).await?;
    Ok(UsersPage {
        nav: Nav::for_viewer(viewer).at("/admin/users"),
        rows,
        sign_ins,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        force: viewer.user.force.clone().unwrap_or_default(),
        national: matches!(viewer.scope(), storage::UserScope::National),
        errors,
        sent,
        done,
    })
}

/// The recent sign-ins of the users the administrator manages (`managed`), newest first.
async fn recent_sign_ins(
    state: &AppState,
    viewer: &Viewer,
    access: &storage::Access,
    managed: &[UserRow],
) -> Result<Vec<SignInRow>, AppError> {
    let since = state.now() - Duration::days(SIGN_IN_DAYS);
    // The store reads only the attempts of the administrator's own scope; `managed` is the same
    // scope as the users table is listed (and a user added since the list was read is dropped).
    let attempts = state
        .store
        .recent_sign_ins(access, viewer.scope(), since, SIGN_IN_ROWS as u32)
        .await?;
    Ok(attempts
        .into_iter()
        .filter(|a| managed.iter().any(|u| u.username == a.username))
        .take(SIGN_IN_ROWS)
        .map(|a| SignInRow {
            username: a.username,
            at: crate::rows::local_time(&a.at),
            outcome: match a.outcome {
                storage::SignInOutcome::SignedIn => "Signed in",
                storage::SignInOutcome::Refused => "Refused",
                storage::SignInOutcome::Locked => "Refused: locked out",
            },
            refused: a.outcome != storage::SignInOutcome::SignedIn,
        })
        .collect())
}

#[derive(Debug, Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

pub async fn users(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    axum::extract::Query(query): axum::extract::Query<DoneQuery>,
) -> Result<Response, AppError> {
    let done = query.done.map(|d| match d.as_str() {
        "added" => "The user was added.".to_owned(),
        "disabled" => "The user was disabled and their sessions ended.".to_owned(),
        "enabled" => "The user was enabled.".to_owned(),
        "moved" => "The user's force was changed and their sessions ended.".to_owned(),
        "role" => "The user's role was changed and their sessions ended.".to_owned(),
        _ => String::new(),
    });
    let page = users_page(&state, &viewer, Vec::new(), Vec::new(), done).await?;
    Ok(Html(page.render()?).into_response())
}

/// Adds a user. A force's administrator adds users of their own force; a national administrator
/// any force, or national users of the roles that may be national.
pub async fn add_user(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields = Fields::parse(&body);
    viewer.check_csrf(fields.get("csrf"))?;
    let access = authorise(&viewer, Action::UserAdmin)?;
    let mut errors = Vec::new();
    let username = fields.get("username").unwrap_or("").to_owned();
    if username.is_empty()
        || username.len() > 64
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        errors.push((
            "username".to_owned(),
            "Enter a username: letters, digits, dots, hyphens and underscores.".to_owned(),
        ));
    }
    let name = fields.get("name").unwrap_or("").to_owned();
    if name.is_empty() {
        errors.push((
            "name".to_owned(),
            "Enter the name shown to others.".to_owned(),
        ));
    }
    let role = fields.get("role").and_then(|r| r.parse::<Role>().ok());
    if role.is_none() {
        errors.push(("role".to_owned(), "Choose a role.".to_owned()));
    }
    let national = fields.checked("national");
    let sent_force = fields.get("force");
    let force = match viewer.scope() {
        storage::UserScope::Force(own) => {
            // A force's administrator is not offered a force: one sent all the same, naming
            // another force, is refused rather than quietly replaced by their own.
            if sent_force.is_some_and(|sent| sent != own) {
                errors.push((
                    "force".to_owned(),
                    format!("You add users to your own force ({own}) only."),
                ));
            }
            Some(own.to_owned())
        }
        _ if national => None,
        _ => sent_force.map(str::to_owned),
    };
    if national && !matches!(viewer.scope(), storage::UserScope::National) {
        errors.push((
            "national".to_owned(),
            "Only a national administrator adds national users.".to_owned(),
        ));
    } else if national && !role.is_some_and(Role::may_be_national) {
        errors.push((
            "national".to_owned(),
            "Only leaders, analysts and administrators may be national.".to_owned(),
        ));
    } else if !national && force.is_none() {
        errors.push((
            "force".to_owned(),
            "Enter the user's force code.".to_owned(),
        ));
    }
    let password = fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map_or("", |(_, v)| v.as_str());
    if password.chars().count() < 12 {
        errors.push((
            "password".to_owned(),
            "Enter a password of at least 12 characters.".to_owned(),
        ));
    }
    let officer = fields.get("officer_id").unwrap_or(&username).to_owned();
    // Values kept for the form (never the password).
    let sent: Vec<(String, String)> = fields
        .0
        .iter()
        .filter(|(k, _)| k != "password" && k != "csrf")
        .cloned()
        .collect();
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        let page = users_page(&state, &viewer, errors, sent, None).await?;
        return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
    };
    let hash = auth::hash_password(password).map_err(|e| AppError::internal("password", &e))?;
    let user = storage::User {
        username,
        display_name: name,
        role: role.as_str().to_owned(),
        force,
        national,
        officer_id: officer,
        password_hash: hash,
        disabled: false,
        created_at: state.now(),
    };
    match state.store.add_user(&access, &user).await {
        Ok(()) => {}
        Err(storage::StoreError::Invalid(message)) | Err(storage::StoreError::Refused(message)) => {
            let page = users_page(
                &state,
                &viewer,
                vec![("username".to_owned(), message)],
                sent,
                None,
            )
            .await?;
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
        Err(error) => return Err(error.into()),
    }
    refresh_names(&state).await;
    Ok(Redirect::to("/admin/users?done=added").into_response())
}

/// Reads officers' names again after a change of users (a failure only leaves names as they were).
async fn refresh_names(state: &AppState) {
    if let Err(error) = state.load_officers().await {
        tracing::warn!(%error, "officers' names not refreshed");
    }
}

/// The user named in the address, if the administrator manages them (404 otherwise).
async fn managed_user(
    state: &AppState,
    viewer: &Viewer,
    username: &str,
) -> Result<storage::User, AppError> {
    match state.store.user(username).await? {
        Some(user) if manages(viewer, &user) => Ok(user),
        _ => Err(AppError::not_found()),
    }
}

/// A posted change to a user: its fields, once the CSRF token, the administrator's right and
/// their management of the user (404 otherwise) are checked.
async fn user_change(
    state: &AppState,
    viewer: &Viewer,
    username: &str,
    body: &Bytes,
) -> Result<(Fields, storage::Access, storage::User), AppError> {
    let fields = Fields::parse(body);
    viewer.check_csrf(fields.get("csrf"))?;
    let access = authorise(viewer, Action::UserAdmin)?;
    let user = managed_user(state, viewer, username).await?;
    Ok((fields, access, user))
}

/// Disables (`disabled=yes`) or enables (`disabled=no`) a user; disabling ends their sessions.
pub async fn set_disabled(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path(username): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (fields, access, user) = user_change(&state, &viewer, &username, &body).await?;
    let disabled = match fields.get("disabled") {
        Some("yes") => true,
        Some("no") => false,
        _ => return Err(AppError::invalid("disabled", "Choose yes or no.")),
    };
    if disabled && user.username == viewer.user.username {
        return Err(AppError::invalid(
            "disabled",
            "You cannot disable yourself.",
        ));
    }
    state
        .store
        .set_user_disabled(&access, &user.username, disabled)
        .await?;
    Ok(Redirect::to(if disabled {
        "/admin/users?done=disabled"
    } else {
        "/admin/users?done=enabled"
    })
    .into_response())
}

/// Moves a user to a force (a national administrator: any force; a force's administrator: their
/// own); ends their sessions.
pub async fn set_force(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path(username): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (fields, access, user) = user_change(&state, &viewer, &username, &body).await?;
    let force = fields.get("force").unwrap_or("").to_owned();
    if let storage::UserScope::Force(own) = viewer.scope()
        && own != force
    {
        return Err(AppError::invalid(
            "force",
            "You manage the users of your own force only.",
        ));
    }
    match state
        .store
        .set_user_scope(&access, &user.username, Some(&force), false)
        .await
    {
        Ok(()) => {}
        Err(storage::StoreError::Invalid(message)) | Err(storage::StoreError::Refused(message)) => {
            return Err(AppError::invalid("force", message));
        }
        Err(error) => return Err(error.into()),
    }
    refresh_names(&state).await;
    Ok(Redirect::to("/admin/users?done=moved").into_response())
}

/// Changes a user's role (within the administrator's force); ends their sessions. An
/// administrator cannot change their own role, and a national user keeps only a role that may be
/// national.
pub async fn set_role(
    State(state): State<Arc<AppState>>,
    PageViewer(viewer): PageViewer,
    Path(username): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (fields, access, user) = user_change(&state, &viewer, &username, &body).await?;
    let Some(role) = fields.get("role").and_then(|r| r.parse::<Role>().ok()) else {
        return Err(AppError::invalid("role", "Choose a role."));
    };
    if user.username == viewer.user.username {
        return Err(AppError::invalid(
            "role",
            "You cannot change your own role: ask another administrator.",
        ));
    }
    if user.national && !role.may_be_national() {
        return Err(AppError::invalid(
            "role",
            "A national user may only be a leader, an analyst or an administrator.",
        ));
    }
    match state
        .store
        .set_user_role(
            &access,
            &user.username,
            role.as_str(),
            role.may_be_national(),
        )
        .await
    {
        Ok(()) => {}
        Err(storage::StoreError::Invalid(message)) | Err(storage::StoreError::Refused(message)) => {
            return Err(AppError::invalid("role", message));
        }
        Err(error) => return Err(error.into()),
    }
    Ok(Redirect::to("/admin/users?done=role").into_response())
}
