//! Integration tests of finra-client against the in-process emulator: one binary, one module
//! per area. Time is tokio's paused clock, shared by the emulator and the client, so waits
//! (token lifetimes, Retry-After, pacing, async polls) cost no real time.

mod asyncreq;
mod auth;
mod catalogue;
mod compression;
mod errors;
mod paging;
mod raw;
mod shared_tokens;
mod short_pages;
mod support;
mod traqs;
