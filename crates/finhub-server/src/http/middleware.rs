//! The layers around every route: the request id (a fresh UUID, returned in `X-Request-Id` and
//! in every error body), one log line per request, the error envelope, the header-size guard,
//! the request time limit, and `Cache-Control: no-store` on the authentication endpoints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::context::RequestId;
use super::error::{ApiError, ErrorReport};

/// The response header carrying the request id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Largest total size of a request's header names and values the hub reads. Requests over it
/// get 431 in the envelope; hyper refuses far larger ones (over its read buffer, or more than
/// 100 headers) itself, before the router runs, with a bare 431.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most headers a request may carry.
pub(crate) const MAX_HEADERS: usize = 64;

/// Gives the request its id, renders an error's envelope with that id, logs the detail of a
/// server error once, and logs one line per request (method, path without query, status,
/// duration, id). No header, query or body is logged.
pub(crate) async fn track_request(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    // A v4 UUID from the thread-local CSPRNG (no system call per request).
    let mut text = uuid::Uuid::encode_buffer();
    let request_id: Arc<str> = Arc::from(
        &*uuid::Builder::from_random_bytes(rand::random())
            .into_uuid()
            .hyphenated()
            .encode_lower(&mut text),
    );
    request
        .extensions_mut()
        .insert(RequestId(Arc::clone(&request_id)));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    let mut response = next.run(request).await;

    let report = response.extensions_mut().remove::<ErrorReport>();
    if let Some(report) = &report {
        *response.body_mut() = report.envelope(&request_id);
        response.headers_mut().remove(header::CONTENT_LENGTH);
        if let Some(detail) = &report.internal {
            tracing::error!(
                request.id = %request_id,
                error.code = report.code,
                error.detail = %detail,
                "request failed"
            );
        }
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let status = response.status();
    // An unknown path is the caller's text, possibly a misplaced token: it is not logged. A
    // result link is a bearer capability (anyone holding it may fetch the result): its sealed
    // segment is not logged either.
    let logged_path = if status == StatusCode::NOT_FOUND
        && report.as_ref().is_some_and(|r| r.code == "not_found")
    {
        "(unknown path)"
    } else if path.starts_with(super::finra::RESULTS_PREFIX) {
        "/v1/finra/results/(link)"
    } else {
        path.as_str()
    };
    tracing::info!(
        http.method = %method,
        http.path = logged_path,
        http.status = status.as_u16(),
        error.code = report.as_ref().map(|r| r.code),
        duration_ms = started.elapsed().as_micros() as f64 / 1_000.0,
        request.id = %request_id,
        "request"
    );
    response
}

/// Refuses requests whose headers are over [`MAX_HEADER_BYTES`] or [`MAX_HEADERS`] with 431.
pub(crate) async fn limit_header_size(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES || headers.len() > MAX_HEADERS {
        return ApiError::HeadersTooLarge.into_response();
    }
    next.run(request).await
}

/// Ends a request that runs longer than the configured limit with 503 `server_error`.
pub(crate) async fn time_limit(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout(limit).into_response(),
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache` on every answer of `/v1/auth/*`.
pub(crate) async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
