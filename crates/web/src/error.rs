//! Errors: a stable code, a message for people, and the field at fault where there is one. Pages
//! show them as HTML (rendered by `templates`), the API as JSON. Messages never hold identity or
//! internal detail: store failures are logged (without personal data) and answered with a
//! generic 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to a client.
#[derive(Debug, Clone, Serialize)]
pub struct AppError {
    #[serde(skip)]
    pub status: StatusCode,
    /// Stable, machine-readable: `not_found`, `invalid_input`, ...
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// The same error, naming the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 404: no such thing, or nothing the viewer may know exists.
    pub fn not_found() -> Self {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Page not found. If you typed the address, check it is correct.",
        )
    }

    /// 403: the viewer may see the thing but not do this.
    pub fn forbidden() -> Self {
        AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You do not have permission to do this.",
        )
    }

    /// 401: not signed in, or the session ended.
    pub fn unauthenticated() -> Self {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in to continue.",
        )
    }

    /// 400 naming the field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// 400 for a request that is malformed as a whole.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 403 for a missing or wrong CSRF token.
    pub fn csrf() -> Self {
        AppError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "This form has expired. Go back, reload the page and try again.",
        )
    }

    /// 409: the case changed since it was read.
    pub fn conflict() -> Self {
        AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            "The case changed while you were working on it. Reload it and try again.",
        )
    }

    /// 500 without detail (the detail is logged).
    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> Self {
        tracing::error!(context, error = %error, "request failed");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Sorry, there is a problem with the service. Try again later.",
        )
    }

    /// The same error as a JSON response.
    pub fn json(self) -> Response {
        (self.status, Json(self)).into_response()
    }
}

impl From<storage::StoreError> for AppError {
    fn from(error: storage::StoreError) -> Self {
        if matches!(error, storage::StoreError::Conflict { .. }) {
            return AppError::conflict();
        }
        if matches!(error, storage::StoreError::EventIdReused { .. }) {
            return AppError::new(
                StatusCode::CONFLICT,
                "event_id_reused",
                "This event id is already used in the case for something else. An id names one \
                 event: record a correction as a new event with a new id.",
            )
            .with_field("id");
        }
        AppError::internal("store", &error)
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        AppError::internal("template", &error)
    }
}

/// What is wrong with one field of an event or a form: the field's name (as the interchange format
/// or the form names it) and a message for people. Without a field, the input as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldError {
    pub field: Option<String>,
    pub message: String,
}

impl FieldError {
    /// An error of the field `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

/// A 400 naming the field, or a 400 about the whole request when there is none.
impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        match error.field {
            Some(field) => AppError::invalid(field, error.message),
            None => AppError::bad_request(error.message),
        }
    }
}

/// An error answered as JSON (API handlers).
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(error)
    }
}

impl From<storage::StoreError> for ApiError {
    fn from(error: storage::StoreError) -> Self {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.json()
    }
}
