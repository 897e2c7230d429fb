//! What the hub does around every route, as one layer ([`edge`]): the request id (a fresh UUID,
//! returned in `X-Request-Id` and in every error body), one log line and the request metrics
//! per request, the error envelope, the header-size guard, the request time limit (408 when
//! the body stopped arriving, else 503) and the certificate policy; and `Cache-Control:
//! no-store` on the authentication endpoints.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::body_end::BodyWithEnd;
use super::certificate;
use super::context::RequestId;
use super::error::{ApiError, ErrorReport};
use super::finra::FinraRoute;
use super::finra::route::Dataset;
use crate::metrics::Metrics;
use crate::state::AppState;

/// The response header carrying the request id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Largest total size of a request's header names and values the hub reads. Requests over it
/// get 431 in the envelope; hyper refuses far larger ones (over its read buffer, or more than
/// 100 headers) itself, before the router runs, with a bare 431.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most headers a request may carry.
pub(crate) const MAX_HEADERS: usize = 64;

/// The steps every request goes through, outermost first: [`track_request`], the header-size
/// guard, [`time_limit`], then the certificate policy. One layer, so a request costs one boxed
/// future and one clone of the routes behind it, not one per step.
pub(crate) async fn edge(State(state): State<AppState>, request: Request, next: Next) -> Response {
    track_request(&state.metrics, request, async |request| {
        if headers_too_large(&request) {
            return ApiError::HeadersTooLarge.into_response();
        }
        time_limit(state.http.request_timeout, request, async |request| {
            certificate::require_valid_certificate(&state, request, next).await
        })
        .await
    })
    .await
}

/// Gives the request its id, renders an error's envelope with that id, logs the detail of a
/// server error once, and logs one line per request (method, route, status, duration, id).
/// No path, header, query or body is logged: the line names the matched route's template
/// (for a proxied FINRA path, its own template, with the group and name once the call went
/// on), and for a path no route takes, only its length.
async fn track_request(
    metrics: &Metrics,
    mut request: Request,
    next: impl AsyncFnOnce(Request) -> Response,
) -> Response {
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
    // Both are reference-counted: no copy of the path is made.
    let uri = request.uri().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();

    let mut response = next(request).await;

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
    let logging = tracing::enabled!(tracing::Level::INFO);
    if !(logging || metrics.enabled()) {
        return response;
    }
    // The route is worked out again from the path only when it is recorded.
    let mut route = LoggedRoute::of(matched.as_ref(), uri.path());
    metrics.request(
        route.template,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    if logging {
        if report.is_some() {
            // The group and name are logged only once the scope has granted them and the call
            // went on: a refused request's parts are the caller's text, whatever they look like.
            route.dataset = None;
        }
        tracing::info!(
            http.method = %method,
            http.route = route.template,
            finra.group = route.dataset.map(|d| d.group.as_str()),
            finra.name = route.dataset.map(|d| d.name.as_str()),
            http.path_bytes = route.unmatched_bytes,
            http.status = response.status().as_u16(),
            error.code = report.as_ref().map(|r| r.code),
            duration_ms = started.elapsed().as_micros() as f64 / 1_000.0,
            request.id = %request_id,
            "request"
        );
    }
    response
}

/// What a log line says about a request's path: a template, never the path (a result link's
/// sealed segment is a bearer capability, any other segment may be a pasted token).
struct LoggedRoute<'a> {
    /// The matched route's template, or a placeholder.
    template: &'a str,
    /// A proxied FINRA route's dataset, validated.
    dataset: Option<Dataset<'a>>,
    /// For a path no route takes: its length in bytes.
    unmatched_bytes: Option<usize>,
}

impl<'a> LoggedRoute<'a> {
    fn of(matched: Option<&'a MatchedPath>, path: &'a str) -> Self {
        let unmatched = Self {
            template: "(unmatched path)",
            dataset: None,
            unmatched_bytes: Some(path.len()),
        };
        let Some(matched) = matched else {
            return unmatched;
        };
        if matched.as_str() != super::FINRA_ROUTE {
            return Self {
                template: matched.as_str(),
                dataset: None,
                unmatched_bytes: None,
            };
        }
        match path
            .strip_prefix(super::finra::PREFIX)
            .and_then(FinraRoute::parse)
        {
            Some(route) => Self {
                template: route.template(),
                dataset: route.dataset(),
                unmatched_bytes: None,
            },
            None => unmatched,
        }
    }
}

/// Whether the request's headers are over [`MAX_HEADER_BYTES`] or [`MAX_HEADERS`] (431).
fn headers_too_large(request: &Request) -> bool {
    let headers = request.headers();
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    size > MAX_HEADER_BYTES || headers.len() > MAX_HEADERS
}

/// Ends a request that runs longer than the configured limit: `408 request_timeout` when its
/// body had stopped arriving (the caller's side), else `503 server_error` (the hub's).
async fn time_limit(
    limit: Duration,
    request: Request,
    next: impl AsyncFnOnce(Request) -> Response,
) -> Response {
    // Whether the body has all arrived, watched only when there is one: a request without a
    // body (most GETs) has it all already.
    let received = (!axum::body::HttpBody::is_end_stream(request.body()))
        .then(|| Arc::new(AtomicBool::new(false)));
    let request = match &received {
        Some(received) => {
            let received = Arc::clone(received);
            request.map(|body| {
                axum::body::Body::new(BodyWithEnd::new(body, move || {
                    received.store(true, Ordering::Release);
                }))
            })
        }
        None => request,
    };
    match tokio::time::timeout(limit, next(request)).await {
        Ok(response) => response,
        Err(_) if received.is_some_and(|received| !received.load(Ordering::Acquire)) => {
            ApiError::RequestTimeout(limit).into_response()
        }
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
