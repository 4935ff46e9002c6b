//! rasso's web server: server-rendered pages for officers, supervisors and leaders, and a JSON API
//! for other systems, over any [`storage::Store`].
//!
//! The modules are in layers; each uses only its own layer and those below (`tests/module_graph.rs`
//! fails on a module out of its layer and on any import cycle). From the bottom:
//!
//! 1. Foundation, no state: [`access`] (THE access-control point, [`access::decide`]), [`error`],
//!    [`secrets`] (argon2id passwords, tokens), [`viewer`] (the signed-in user), [`fields`] (form
//!    bodies), [`markdown`], [`kinds`] (what each kind of event asks for and who records it).
//! 2. Rows and words: [`rows`] (findings, people, timeline, decisions, caseload rows as shown),
//!    [`story`] (the case in sentences), [`record`] (a kind's form, and a posted form read back).
//! 3. State: [`state`] (the store, rules, guidance and the case read model), [`auth`] (sessions,
//!    `__Host-` cookies, CSRF, lockout).
//! 4. Operations without HTML, shared by pages and the API: [`ops`].
//! 5. Views: [`templates`] (askama pages, the HTML error page), [`page_cache`] (pages rendered
//!    once and kept with the read model), [`extract`] (who is asking, the case of the address
//!    with the access-control point's decision; JSON bodies), [`openapi`] (the API's document).
//! 6. Handlers: [`pages`], [`recording`], [`sharing`], [`links`], [`admin`] (HTML) and [`api`]
//!    (JSON), each extracting the request, calling an operation and rendering the answer.
//! 7. The server: [`routes`] (every route, its action, the router), [`headers`]
//!    (security headers), [`server`] (the connection loop, with header, body and idle time
//!    limits), and `demo` (feature `demo`: synthetic cases and demo users for
//!    `rasso serve --demo`).

pub mod access;
pub mod error;
pub mod fields;
pub mod kinds;
pub mod markdown;
pub mod secrets;
pub mod viewer;

pub mod record;
pub mod rows;
pub mod story;

pub mod auth;
pub mod state;

pub mod ops;

pub mod extract;
pub mod openapi;
pub mod page_cache;
pub mod templates;

pub mod admin;
pub mod api;
pub mod links;
pub mod pages;
pub mod recording;
pub mod sharing;

#[cfg(feature = "demo")]
pub mod demo;
pub mod headers;
pub mod routes;
pub mod server;

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
