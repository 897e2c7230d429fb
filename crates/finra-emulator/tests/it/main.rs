//! Integration tests of the FINRA emulator over real HTTP: the token service, the notebook's
//! requests replayed, data queries, filters, paging, sorting and row order, authorisation, the
//! catalogue endpoints, async requests, throttling, counters and fault injection, and malformed
//! input. Tests that move time run on tokio's paused clock; nothing sleeps.

mod async_requests;
mod auth;
mod bad_inputs;
mod catalogue;
mod data_query;
mod filters;
mod notebook;
mod paging;
mod sorting;
mod support;
mod throttle_and_faults;
mod token;
mod traqs;
