//! `finhub-client` against a real hub: the demo (SQLite, the in-process FINRA emulator) served
//! on a local port, on tokio's paused clock shared by the hub, the emulator and the client.

mod support;

mod errors;
mod production;
mod session;
