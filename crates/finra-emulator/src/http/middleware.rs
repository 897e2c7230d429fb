//! Middleware: request ids and counters on every response; the per-address throttle and fault
//! injection in front of the Query API; fault injection in front of the token service.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::{REQUEST_ID_HEADER, RequestId};
use crate::faults::{Fault, FaultTarget};
use crate::state::Emulator;

/// Gives each request a `FINRA-api-request-id` and counts its response by path and status.
pub(super) async fn request_context(
    State(emulator): State<Emulator>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let request_id = RequestId::new();
    request.extensions_mut().insert(request_id.clone());
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        response
            .headers_mut()
            .entry(REQUEST_ID_HEADER)
            .or_insert(value);
    }
    emulator
        .inner
        .counters
        .record_response(&path, response.status().as_u16());
    response
}

/// The Query API's throttle (per peer address), then any injected data-call fault.
pub(super) async fn query_api_guard(
    State(emulator): State<Emulator>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let inner = &emulator.inner;
    let request_id = request_id_of(&request);
    if let Err(wait) = inner
        .throttler
        .check(peer.ip(), inner.config.clock.instant())
    {
        inner.counters.record_throttled();
        let mut error = ApiError::too_many_requests(wait);
        error.message = "Too Many Requests".to_owned();
        return error.into_response_with_id(&request_id);
    }
    match inner.faults.take(FaultTarget::DataCalls) {
        Some(fault) => fault_response(&emulator, fault, FaultTarget::DataCalls, &request_id).await,
        None => next.run(request).await,
    }
}

/// Any injected token-call fault.
pub(super) async fn token_guard(
    State(emulator): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request_id_of(&request);
    match emulator.inner.faults.take(FaultTarget::TokenCalls) {
        Some(fault) => fault_response(&emulator, fault, FaultTarget::TokenCalls, &request_id).await,
        None => next.run(request).await,
    }
}

fn request_id_of(request: &Request) -> RequestId {
    request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::new)
}

/// Holds a request until the emulator shuts down (or the client gives up and the connection,
/// and with it this future, is dropped).
async fn hang(emulator: &Emulator) {
    let mut shutting_down = emulator.inner.shutting_down.subscribe();
    let _ = shutting_down.wait_for(|&down| down).await;
}

/// What a fault answers with, once any hang is over.
enum FaultAnswer {
    /// This status and the target's usual error body.
    Status(StatusCode),
    /// 429 with this `Retry-After`.
    TooManyRequests(std::time::Duration),
    /// 200 with a body that is not JSON.
    MalformedBody,
}

async fn fault_answer(emulator: &Emulator, fault: Fault) -> FaultAnswer {
    FaultAnswer::Status(match fault {
        Fault::Hang => {
            hang(emulator).await;
            StatusCode::SERVICE_UNAVAILABLE
        }
        Fault::Unauthorized => StatusCode::UNAUTHORIZED,
        Fault::TooManyRequests { retry_after } => {
            return FaultAnswer::TooManyRequests(retry_after);
        }
        Fault::MalformedBody => return FaultAnswer::MalformedBody,
        Fault::InternalServerError | Fault::BreakMidBody { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        Fault::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    })
}

fn malformed_body() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        "{\"access_token\": \"*truncated",
    )
        .into_response()
}

fn plain_status(status: StatusCode) -> Response {
    (status, status.canonical_reason().unwrap_or("Error")).into_response()
}

/// An injected fault on a TRAQS path, answered in plain text as TRAQS answers.
pub(super) async fn plain_fault(emulator: &Emulator, fault: Fault) -> Response {
    match fault_answer(emulator, fault).await {
        FaultAnswer::Status(status) => plain_status(status),
        FaultAnswer::TooManyRequests(retry_after) => {
            let mut response = plain_status(StatusCode::TOO_MANY_REQUESTS);
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            response
        }
        FaultAnswer::MalformedBody => malformed_body(),
    }
}

/// An injected fault on the Query API or the token service, in FINRA's error shapes.
async fn fault_response(
    emulator: &Emulator,
    fault: Fault,
    target: FaultTarget,
    request_id: &RequestId,
) -> Response {
    let status = match fault_answer(emulator, fault).await {
        FaultAnswer::Status(status) => status,
        FaultAnswer::TooManyRequests(retry_after) => {
            return ApiError::too_many_requests(retry_after).into_response_with_id(request_id);
        }
        FaultAnswer::MalformedBody => return malformed_body(),
    };
    match target {
        FaultTarget::TraqsTokenCalls | FaultTarget::TraqsDownloads => plain_status(status),
        FaultTarget::DataCalls => ApiError::new(
            status,
            status.canonical_reason().unwrap_or("Error"),
        )
        .into_response_with_id(request_id),
        FaultTarget::TokenCalls => (
            status,
            axum::Json(json!({
                "error_message": status.canonical_reason().unwrap_or("Error"),
                "error": if status == StatusCode::UNAUTHORIZED { "invalid_client" } else { "server_error" },
            })),
        )
            .into_response(),
    }
}
