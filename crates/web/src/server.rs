//! The connection loop: HTTP/1.1 over hyper with a time limit on every stage of a connection, so
//! that a client that connects and says nothing, sends its headers slowly, or stalls half-way
//! through a body cannot hold a connection (and its memory) for ever.
//!
//! - **Headers and idle**: a request's head must arrive within [`Limits::header`] of the server
//!   starting to wait for it. hyper starts that wait when a connection opens and again after each
//!   response, so the same limit ends a keep-alive connection left idle between requests.
//! - **Body**: a request body must not pause for longer than [`Limits::body_idle`] between two
//!   pieces (bodies are also capped in size by the router's body limit).
//!
//! axum's own `serve` offers none of these (it sets no timer, so hyper's header timeout is off),
//! which is why rasso runs its own loop. Each request carries the client's address as axum's
//! `ConnectInfo`, for sign-in throttling per address.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// Time limits of every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// For a request's head to arrive, and for a keep-alive connection to sit idle.
    pub header: Duration,
    /// The longest pause allowed within a request body.
    pub body_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header: Duration::from_secs(20),
            body_idle: Duration::from_secs(20),
        }
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` completes; connections in flight
/// then finish their current request.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (closing, _) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut closing = closing.subscribe();
        tokio::spawn(async move {
            let service = router.map_request(move |request: axum::http::Request<_>| {
                let mut request = request.map(|body: hyper::body::Incoming| {
                    axum::body::Body::new(TimeoutBody::new(limits.body_idle, body))
                });
                request.extensions_mut().insert(ConnectInfo(client));
                request
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header)
                .keep_alive(true);
            let connection =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => log_end(result, client),
                _ = closing.changed() => {
                    connection.as_mut().graceful_shutdown();
                    log_end(connection.await, client);
                }
            }
        });
    }
    let _ = closing.send(true);
    Ok(())
}

fn log_end(result: Result<(), hyper::Error>, _client: SocketAddr) {
    if let Err(error) = result {
        // Timeouts and clients going away are routine; the address is not logged (it can
        // identify a person).
        tracing::debug!(%error, "connection ended");
    }
}
