//! The hub's domain services tested on their own: no HTTP, an in-memory SQLite store, and the
//! hub's clock following tokio's paused time. One binary, one module per topic, the fixture in
//! `support`.

mod administration;
mod ending_access;
mod machine_logins;
mod second_factor;
mod support;
mod traqs_credentials;
