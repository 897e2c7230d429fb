//! FinHub's server: the axum application (authentication endpoints, health), its state and
//! config, the administration commands, and `serve` (plain HTTP) and [`serve_tls`] (HTTPS with
//! client certificates) with graceful shutdown. Of the hub's crates, the only one that speaks
//! HTTP.

pub mod admin;
pub mod config;
pub mod demo;
pub mod http;
pub mod rate_limit;
pub mod state;
pub mod tls;
pub mod upstream;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

pub use state::AppState;
pub use tls::serve_tls;

/// Serves the hub over plain HTTP on `listener` until `shutdown` completes, then finishes
/// requests in flight.
///
/// Plain HTTP has no client certificates, so no certificate policy applies to what it serves:
/// `finhub serve` uses it only for the integration profile with `tls.plain_http = true`, and the
/// production profile goes through [`serve_tls`]. (Tests and benchmarks may serve a production
/// state here to exercise its other rules; a warning says so.)
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if state.http.profile == finhub_core::auth::Profile::Production {
        tracing::warn!(
            "serving the production profile over plain HTTP: client certificates are not \
             checked (tests and benchmarks only; `finhub serve` uses HTTPS)"
        );
    }
    let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
