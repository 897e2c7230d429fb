//! What every hub test binary shares: the [`test_hub::TestHub`] fixture, in-process requests
//! ([`wire`]), paused-time helpers, the log capture and reading the portal's pages. Each binary includes it with `#[path]`.

pub(crate) mod log_capture;
pub(crate) mod paused_time;
pub(crate) mod portal_page;
pub(crate) mod serve_process;
pub(crate) mod tcp_cut;
pub(crate) mod test_hub;
pub(crate) mod wire;
