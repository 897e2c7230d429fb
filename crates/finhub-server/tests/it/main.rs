//! The server's integration tests: one binary, one module per topic, every request in-process
//! (`oneshot` on `http::router`) except where the transport itself is under test.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod api_description;
mod binary;
mod credentials;
mod errors_and_logs;
mod fuzz_seeds;
mod listener;
mod login_kill;
mod login_proof;
mod operations;
mod policy;
mod portal;
mod portal_browser;
mod postgres;
mod purge;
mod rate_limits;
mod refresh;
mod refresh_token_grant;
mod repository;
mod second_factor;
mod session_cache;
mod session_token;
mod shared_limits;
mod support;
mod token_headers;
mod token_shape;
