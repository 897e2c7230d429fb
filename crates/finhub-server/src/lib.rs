//! FinHub's server: the axum application (authentication endpoints, health), its state and
//! config, the administration commands, and `serve` (plain HTTP) and [`serve_tls`] (HTTPS with
//! client certificates) with graceful shutdown. Of the hub's crates, the only one that speaks
//! HTTP.

pub mod admin;
pub mod config;
pub mod demo;
pub mod housekeeping;
pub mod http;
pub mod metrics;
mod portal;
pub mod qr;
pub mod rate_limit;
mod serve;
pub mod state;
pub mod tls;
pub mod upstream;

pub use serve::{ProxyProtocol, ServingThreads, serve};
pub use state::AppState;
pub use tls::serve_tls;
