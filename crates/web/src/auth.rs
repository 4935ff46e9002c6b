//! Who is asking: argon2id passwords, server-side sessions (only a SHA-256 of the cookie token is
//! stored), `__Host-` cookies, CSRF tokens, idle and absolute timeouts, lockout after repeated
//! failures, and no user enumeration.

use std::sync::Arc;

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use storage::{ForceChanges, Session, SignInOutcome, User};

use crate::access::Role;
use crate::error::AppError;
use crate::state::AppState;

use crate::secrets::{random_token, same_secret, token_hash, verify_password};

// Where callers outside the crate (the CLI, tests) have always found them.
pub use crate::secrets::hash_password;
pub use crate::viewer::Viewer;

/// The session cookie. `__Host-` means: Secure, Path=/, no Domain.
pub const SESSION_COOKIE: &str = "__Host-rasso-session";
/// The pre-sign-in CSRF cookie (double-submit for the sign-in form).
pub const PRE_COOKIE: &str = "__Host-rasso-pre";
/// Failed sign-ins allowed within [`LOCKOUT_WINDOW_MINUTES`].
pub const LOCKOUT_FAILURES: usize = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;
/// A session's activity is written at most this often (seconds), not on every request: a write
/// per request would queue every page behind the store's single writer. The idle timeout still
/// holds: the stored time lags the real last activity by less than this, so a session is judged
/// idle from a time no later than it really went idle. It can end up to a minute early (after 14
/// of the 15 minutes), never late.
pub const TOUCH_EVERY_SECS: i64 = 60;

/// Reads a cookie from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The session token of a request: the session cookie, or `Authorization: Bearer` (API clients).
pub fn request_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        return Some((token.to_owned(), false));
    }
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| (t.trim().to_owned(), true))
}

/// The viewer of a request, or `None` when not signed in (or the session has ended).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Viewer, bool)>, AppError> {
    Ok(authenticate_reading(state, headers, false)
        .await?
        .map(|(viewer, bearer, _)| (viewer, bearer)))
}

/// [`authenticate`]; with `with_force_changes`, the change counter of the viewer's force is read
/// together with the session (`None` for a viewer of no force), for a request about to list the
/// force's cases (the caseload), which then spares a read of the store.
pub(crate) async fn authenticate_reading(
    state: &AppState,
    headers: &HeaderMap,
    with_force_changes: bool,
) -> Result<Option<(Viewer, bool, Option<ForceChanges>)>, AppError> {
    let Some((token, bearer)) = request_token(headers) else {
        return Ok(None);
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = token_hash(&token);
    let now = state.now();
    let found = if with_force_changes {
        state.store.session_with_force_changes(&hash).await?
    } else {
        (state.store.session(&hash).await?).map(|session| (session, None))
    };
    let Some((session, force_changes)) = found else {
        return Ok(None);
    };
    let (created, seen) = (session.created_at, session.last_seen_at);
    if now - seen > Duration::seconds(state.config.idle_timeout_secs)
        || now - created > Duration::seconds(state.config.absolute_timeout_secs)
    {
        forget_session(state, &hash).await?;
        return Ok(None);
    }
    let Some(user) = known_user(state, &session.username, now).await? else {
        return Ok(None);
    };
    if user.disabled {
        forget_session(state, &hash).await?;
        return Ok(None);
    }
    let Ok(role) = user.role.parse::<Role>() else {
        return Ok(None);
    };
    if now - seen > Duration::seconds(TOUCH_EVERY_SECS)
        && state.claim_touch(&hash, now, Duration::seconds(TOUCH_EVERY_SECS))
    {
        state.store.touch_session(&hash, now).await?;
    }
    Ok(Some((
        Viewer {
            user,
            role,
            session: hash,
            csrf: session.csrf_token,
            idle_seconds: state.config.idle_timeout_secs,
        },
        bearer,
        force_changes,
    )))
}

/// Deletes a session from the store. Sessions are read from the store on every request, never
/// reused from memory: signing out on one server process must end the session on every other
/// process at once (`crates/cli/tests/postgres_servers.rs`).
async fn forget_session(state: &AppState, hash: &str) -> Result<(), AppError> {
    state.store.delete_session(hash).await?;
    Ok(())
}

/// How long a user record read for a request is reused by later requests (seconds).
const USER_REUSE_SECS: i64 = 30;

/// The user of a session, reading the store at most every [`USER_REUSE_SECS`] per user. Sparing
/// that read on every request is safe because what matters for access is re-checked every time:
/// disabling a user deletes their sessions in the same transaction, and the session itself is read
/// from the store on every request; a user's role is never changed in place.
async fn known_user(
    state: &AppState,
    username: &str,
    now: DateTime<Utc>,
) -> Result<Option<Arc<User>>, AppError> {
    if let Some((user, read_at)) = crate::state::lock(&state.users).get(username)
        && now - *read_at < Duration::seconds(USER_REUSE_SECS)
        && *read_at <= now
    {
        return Ok(Some(Arc::clone(user)));
    }
    let user = state.store.user(username).await?.map(Arc::new);
    let mut users = crate::state::lock(&state.users);
    match &user {
        Some(user) => {
            users.insert(username.to_owned(), (Arc::clone(user), now));
        }
        None => {
            users.remove(username);
        }
    }
    Ok(user)
}

/// Whether this session is its user's first sign-in (offered the introductory toolkits). Kept
/// in the store, so it holds across restarts and server processes.
pub async fn is_first_sign_in(state: &AppState, viewer: &Viewer) -> Result<bool, AppError> {
    let first = state
        .store
        .first_sign_in_session(&viewer.user.username)
        .await?;
    Ok(first.is_some_and(|session| same_secret(&session, &viewer.session)))
}

/// Failed sign-ins allowed from one client address within [`LOCKOUT_WINDOW_MINUTES`], across
/// every username: it stops one client guessing passwords of many accounts, five at a time each.
/// Higher than the per-account limit, because several people can share an address (an office
/// behind one gateway).
pub const ADDRESS_LOCKOUT_FAILURES: usize = 30;

/// The client address of a request, as the connection loop recorded it (`None` where a request
/// did not come through it, for example a router called directly in a test).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// The key failures from an address are counted under. Usernames cannot contain `:`, so these
/// never meet an account's key. An IPv6 client is counted by its /64 network, which one client
/// typically holds whole.
fn address_key(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => format!("address:{v4}"),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("address:{v4}"),
            None => {
                let s = v6.segments();
                format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Why a sign-in failed (the message is the same for every reason: no user enumeration).
pub const SIGN_IN_FAILED: &str = "Enter a correct username and password. After 5 wrong attempts in 15 minutes, sign-in is locked for 15 minutes.";

/// Signs a user in: checks the lockout, the password (always hashing, known user or not) and
/// the account; returns the new session token and its record.
pub async fn sign_in(
    state: &Arc<AppState>,
    username: &str,
    password: &str,
    client: ClientAddress,
) -> Result<(String, Session), AppError> {
    let key = username.trim().to_lowercase();
    let now = state.now();
    // Failures are counted in the store, so a restart does not reset them and every server
    // process behind one address counts the same failures. They are counted per account and
    // per client address: either limit reached locks the sign-in.
    let window_start = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let address = client.0.map(address_key);
    let mut locked =
        state.store.sign_in_failures(&key, window_start).await? >= LOCKOUT_FAILURES as u64;
    if let Some(address) = &address {
        locked |= state.store.sign_in_failures(address, window_start).await?
            >= ADDRESS_LOCKOUT_FAILURES as u64;
    }
    let user = state.store.user(username.trim()).await?;
    let phc = user
        .as_ref()
        .map_or(state.dummy_hash.clone(), |u| u.password_hash.clone());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let accepted = user
        .as_ref()
        .is_some_and(|u| ok && !locked && !u.disabled && u.role.parse::<Role>().is_ok());
    // The administrators' sign-in history keeps attempts at known accounts only: what is typed
    // as a username may be anything.
    if let Some(known) = &user {
        let outcome = match (accepted, locked) {
            (true, _) => SignInOutcome::SignedIn,
            (false, true) => SignInOutcome::Locked,
            (false, false) => SignInOutcome::Refused,
        };
        state
            .store
            .note_sign_in(&known.username, now, outcome)
            .await?;
    }
    let user = match user {
        Some(user) if accepted => user,
        _ => {
            if !locked {
                for counted in std::iter::once(&key).chain(address.as_ref()) {
                    state
                        .store
                        .note_sign_in_failure(counted, now, window_start)
                        .await?;
                }
            }
            tracing::info!("sign-in refused");
            return Err(AppError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "sign_in_failed",
                SIGN_IN_FAILED,
            ));
        }
    };
    state.store.clear_sign_in_failures(&key).await?;
    let token = random_token();
    let session = Session {
        token_hash: token_hash(&token),
        username: user.username.clone(),
        csrf_token: random_token(),
        created_at: now,
        last_seen_at: now,
    };
    state.store.create_session(&session).await?;
    state
        .store
        .record_first_sign_in(&user.username, &session.token_hash, now)
        .await?;
    Ok((token, session))
}

/// Ends a session server-side.
pub async fn sign_out(state: &AppState, viewer: &Viewer) -> Result<(), AppError> {
    // Break-glass grants belong to the session: once it is gone, nothing can present it again.
    forget_session(state, &viewer.session).await
}

/// The `Set-Cookie` value for a session token.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The `Set-Cookie` value for the pre-sign-in CSRF token.
pub fn pre_cookie(token: &str) -> String {
    format!("{PRE_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
}
