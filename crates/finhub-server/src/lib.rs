//! FinHub's server: the axum application (authentication endpoints, health), its state and
//! config, the administration commands, and `serve` with graceful shutdown. Of the hub's crates,
//! the only one that speaks HTTP.

pub mod admin;
pub mod config;
pub mod demo;
pub mod http;
pub mod rate_limit;
pub mod state;
pub mod upstream;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

pub use state::AppState;

/// Serves the hub on `listener` until `shutdown` completes, then finishes requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
