//! The hub's data proxy (`/v1/finra/…`) end to end, against the FINRA emulator in-process: one
//! binary, one module per topic, the fixture in `support`. Time is tokio's paused clock, shared
//! by the hub, the emulator and the clients; failures come from the emulator's fault injection.

#[path = "../common/mod.rs"]
mod common;

mod async_results;
mod client;
mod compression;
mod ending_access;
mod escapes;
mod failures;
mod flow;
mod kill;
mod leaks;
mod metrics;
mod pacing;
mod policy;
mod serving_threads;
mod support;
mod traqs;
mod upstream_tokens;
