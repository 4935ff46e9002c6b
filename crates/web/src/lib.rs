//! rasso's web server: server-rendered pages for officers, supervisors and leaders, and a JSON API
//! for other systems, over any [`storage::Store`].
//!
//! - [`access`]: THE access-control point ([`access::decide`]), one decision per request.
//! - [`auth`]: argon2id passwords, server-side sessions, `__Host-` cookies, CSRF, lockout.
//! - [`routes`]: every route and the action it performs; the router.
//! - [`pages`] and [`api`]: HTML and JSON handlers over the same operations ([`cases`]).
//! - [`record`] and [`recording`]: a form for every kind of event, made from the kind's fields;
//!   one page per kind, and opening a new case.
//! - [`sharing`]: cases shared with partners (what, with whom, why; revocable).
//! - [`headers`]: security headers on every response.
//! - [`links`]: repeat suspects: a case's candidate links and their review.
//! - [`server`]: the connection loop, with header, body and idle time limits.
//! - [`demo`]: synthetic cases and demo users for `rasso serve --demo`.

pub mod access;
pub mod admin;
pub mod api;
pub mod auth;
pub mod cases;
pub mod demo;
pub mod error;
pub mod forms;
pub mod headers;
pub mod links;
pub mod markdown;
pub mod openapi;
pub mod pages;
pub mod record;
pub mod recording;
pub mod routes;
pub mod server;
pub mod sharing;
pub mod state;
pub mod story;
pub mod templates;

pub use routes::router;
pub use state::{AppState, Config};

use std::sync::Arc;

/// Serves `state` on `listener` until the process is stopped (or ctrl-c), with the default
/// connection time limits ([`server::Limits`]).
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    server::serve_router(listener, router(state), server::Limits::default(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
