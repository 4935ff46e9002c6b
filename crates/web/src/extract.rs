//! Extractors: who is asking (a signed-in page viewer or API caller, with the CSRF check for
//! cookie-authenticated API writes), the case of the address with the access-control point's
//! answer for the route's action ([`CaseAccess`], [`ApiCaseAccess`]), and request bodies (JSON
//! naming the field at fault).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::CaseKey;
use serde::Deserialize;
use storage::Access;

use crate::access::{Action, Relation};
use crate::auth;
use crate::error::{ApiError, AppError};
use crate::ops::cases::{authorise_case, case_key};
use crate::state::{AppState, CachedCase};
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
        let found = auth::authenticate_reading(state, &parts.headers, false).await;
        page_viewer(found, &parts.headers)
            .map(|(viewer, _)| PageViewer(viewer))
            .map_err(|refusal| *refusal)
    }
}

/// A signed-in viewer of a page about to list their force's cases (the caseload), with their
/// force's change counter read together with the session (`None` for a viewer of no force).
#[derive(Debug)]
pub struct CaseloadViewer(pub Viewer, pub Option<storage::ForceChanges>);

impl FromRequestParts<Arc<AppState>> for CaseloadViewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let found = auth::authenticate_reading(state, &parts.headers, true).await;
        page_viewer(found, &parts.headers)
            .map(|(viewer, changes)| CaseloadViewer(viewer, changes))
            .map_err(|refusal| *refusal)
    }
}

/// A page's viewer from what authentication found: a cookie session only (a bearer token is the
/// API's), anyone else sent to sign in ([`not_signed_in`]).
fn page_viewer(
    found: Result<Option<(Viewer, bool, Option<storage::ForceChanges>)>, AppError>,
    headers: &HeaderMap,
) -> Result<(Viewer, Option<storage::ForceChanges>), Box<Response>> {
    match found {
        Ok(Some((viewer, false, changes))) => Ok((viewer, changes)),
        Ok(_) => Err(Box::new(not_signed_in(headers))),
        Err(error) => Err(Box::new(error.into_response())),
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

/// The action a case extractor asks the access-control point about: one type per action, named
/// in the handler's signature (`CaseAccess<Read>`), so that a handler cannot reach a case without
/// the decision for what it does.
pub trait CaseAction: Send + Sync + 'static {
    const ACTION: Action;
}

macro_rules! case_actions {
    ($($name:ident => $action:ident, $doc:literal;)*) => {$(
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name;
        impl CaseAction for $name {
            const ACTION: Action = Action::$action;
        }
    )*};
}

case_actions! {
    Read => CaseRead, "Read a case ([`Action::CaseRead`]).";
    Write => CaseWrite, "Record on a case ([`Action::CaseWrite`]).";
    Audit => CaseAudit, "Read a case's audit records ([`Action::CaseAudit`]).";
    Links => LinkRead, "Read a case's repeat-suspect links ([`Action::LinkRead`]).";
}

/// The case of an address (`{force}/{case}`; other parts of the path are the handler's).
#[derive(Debug, Deserialize)]
struct CasePath {
    force: String,
    case: String,
}

/// A case the signed-in viewer may do `A`'s action on: the viewer, the case's key from the
/// address, the access to audit with, the viewer's relation to the case and the case as the
/// server holds it (not read for this request: read it with `access` to use its events).
/// Anything refused is answered as the handler would have: 404 or 403, the sign-in page for a
/// page request without a session, JSON for the API ([`ApiCaseAccess`]).
#[derive(Debug)]
pub struct CaseAccess<A> {
    pub viewer: Viewer,
    pub key: CaseKey,
    pub access: Access,
    pub relation: Relation,
    pub cached: Arc<CachedCase>,
    action: PhantomData<A>,
}

impl<A: CaseAction> CaseAccess<A> {
    /// The session's viewer, then the address's case through the access-control point.
    async fn of(
        parts: &mut Parts,
        state: &Arc<AppState>,
        viewer: Viewer,
    ) -> Result<Self, AppError> {
        let Path(path) = Path::<CasePath>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::not_found())?;
        let key = case_key(&path.force, &path.case)?;
        let (access, relation, cached) = authorise_case(state, &viewer, &key, A::ACTION).await?;
        Ok(CaseAccess {
            viewer,
            key,
            access,
            relation,
            cached,
            action: PhantomData,
        })
    }
}

impl<A: CaseAction> FromRequestParts<Arc<AppState>> for CaseAccess<A> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let PageViewer(viewer) = PageViewer::from_request_parts(parts, state).await?;
        CaseAccess::of(parts, state, viewer)
            .await
            .map_err(IntoResponse::into_response)
    }
}

/// [`CaseAccess`] for the JSON API: signed in as an API caller, refusals answered as JSON.
#[derive(Debug)]
pub struct ApiCaseAccess<A>(pub CaseAccess<A>);

impl<A: CaseAction> FromRequestParts<Arc<AppState>> for ApiCaseAccess<A> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let ApiViewer(viewer) = ApiViewer::from_request_parts(parts, state).await?;
        Ok(ApiCaseAccess(CaseAccess::of(parts, state, viewer).await?))
    }
}
