//! The signed-in user of a request, and what their account reaches (force scope, CSRF check).
//! Made by [`crate::auth`] from a session; read by the access-control point and every operation.

use storage::{User, UserScope};

use crate::access::Role;
use crate::error::AppError;
use crate::secrets::same_secret;

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Shared with the server's cache of users (`auth::known_user`): read for every request, it
    /// is not copied for each.
    pub user: std::sync::Arc<User>,
    pub role: Role,
    /// The stored hash of the session token (the session's identity server-side).
    pub session: String,
    pub csrf: String,
    /// The server's idle timeout (seconds), for the warning before the session ends.
    pub idle_seconds: i64,
}

impl Viewer {
    /// The actor written in audit records.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.username)
    }

    /// Where the viewer may work. A stored national scope counts only for roles that may be held
    /// nationally ([`Role::may_be_national`]); otherwise the account reaches nothing.
    pub fn scope(&self) -> UserScope<'_> {
        match self.user.scope() {
            UserScope::National if !self.role.may_be_national() => UserScope::Unassigned,
            scope => scope,
        }
    }

    /// How the viewer's force names them (as `officer_allocated` does).
    pub fn officer_id(&self) -> &str {
        &self.user.officer_id
    }

    /// Whether the viewer belongs to `force` (a national viewer belongs to none).
    pub fn is_of_force(&self, force: &str) -> bool {
        self.scope() == UserScope::Force(force)
    }

    /// Whether cases of `force` are within the viewer's reach at all: their own force's, or every
    /// force's for a national viewer. What they may do there is for the access-control point.
    pub fn reaches_force(&self, force: &str) -> bool {
        match self.scope() {
            UserScope::Force(own) => own == force,
            UserScope::National => true,
            UserScope::Unassigned => false,
        }
    }

    /// The force whose cases lists and reports cover: the viewer's own, or every force (`None`)
    /// for a national viewer. An account without a force reaches no case data (403): it never
    /// silently becomes national.
    pub fn force_filter(&self) -> Result<Option<&str>, AppError> {
        match self.scope() {
            UserScope::Force(force) => Ok(Some(force)),
            UserScope::National => Ok(None),
            UserScope::Unassigned => Err(AppError::new(
                axum::http::StatusCode::FORBIDDEN,
                "no_force",
                "Your account has no force yet, so it reaches no cases. Ask an administrator to give it one.",
            )),
        }
    }

    /// Checks a CSRF token from a form or header.
    pub fn check_csrf(&self, token: Option<&str>) -> Result<(), AppError> {
        match token {
            Some(token) if same_secret(token, &self.csrf) => Ok(()),
            _ => Err(AppError::csrf()),
        }
    }
}
