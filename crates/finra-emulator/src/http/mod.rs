//! The emulator's HTTP surface: router, middleware (request ids, counters, throttle, faults) and
//! the handlers of each FINRA endpoint.

mod async_requests;
mod catalogue;
mod data;
mod encoding;
pub(crate) mod error;
mod middleware;
mod path;
mod router;
mod token;
mod traqs;

pub(crate) use router::router;

/// The `FINRA-api-request-id` of one request, also echoed in error bodies.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(String);

impl RequestId {
    pub(crate) fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The response header carrying the request id.
pub(crate) const REQUEST_ID_HEADER: &str = "finra-api-request-id";

/// Whether a `Content-Type` value names `media_type` (case-insensitive, parameters ignored).
pub(crate) fn is_media_type(value: Option<&axum::http::HeaderValue>, media_type: &str) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(media_type))
}
