//! Extractors: who is asking (a signed-in page viewer or API caller, with the CSRF check for
//! cookie-authenticated API writes) and request bodies (JSON naming the field at fault).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth;
use crate::error::{ApiError, AppError};
use crate::state::AppState;
use crate::viewer::Viewer;

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

/// A signed-in API caller.
#[derive(Debug)]
pub struct ApiViewer(pub Viewer);

impl FromRequestParts<Arc<AppState>> for ApiViewer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match auth::authenticate(state, &parts.headers).await? {
            Some((viewer, bearer)) => {
                let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD);
                if unsafe_method && !bearer {
                    let token = parts
                        .headers
                        .get("x-csrf-token")
                        .and_then(|v| v.to_str().ok());
                    viewer.check_csrf(token)?;
                }
                Ok(ApiViewer(viewer))
            }
            None => Err(AppError::unauthenticated().into()),
        }
    }
}

/// Parses a JSON body, naming the field at fault.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        if path == "." || path.is_empty() {
            AppError::bad_request(format!(
                "The body is not valid JSON for this request: {message}"
            ))
        } else {
            AppError::invalid(path, message)
        }
    })
}
