//! What the hub does around every route, as one layer ([`EdgeLayer`]): the request id (a fresh
//! UUID, returned in `X-Request-Id` and in every error body), one log line and the request
//! metrics per request, the error envelope, the header-size guard, the request time limit (408
//! when the body stopped arriving, else 503), the certificate policy, and which headers are
//! sensitive (kept out of debug output); and `Cache-Control: no-store` on the authentication
//! endpoints.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use tokio::time::Sleep;
use tower::{Layer, Service};

use super::body_end::BodyWithEnd;
use super::certificate;
use super::context::RequestId;
use super::error::{ApiError, ErrorReport};
use super::finra::FinraRoute;
use super::finra::route::Dataset;
use crate::state::AppState;

/// The response header carrying the request id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Largest total size of a request's header names and values the hub reads. Requests over it
/// get 431 in the envelope; hyper refuses far larger ones (over its read buffer, or more than
/// 100 headers) itself, before the router runs, with a bare 431.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most headers a request may carry.
pub(crate) const MAX_HEADERS: usize = 64;

/// The steps every request goes through: the request id, the header-size guard, the
/// certificate policy, the time limit, then (once answered) the envelope, the log line and the
/// metrics. One layer with a future of its own, so a request costs no boxed future, no clone
/// of the routes behind it and no copy of a large state machine for these steps.
#[derive(Clone)]
pub(crate) struct EdgeLayer {
    state: AppState,
}

impl EdgeLayer {
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            state: self.state.clone(),
            inner,
        }
    }
}

/// A route behind [`EdgeLayer`].
#[derive(Clone)]
pub(crate) struct Edge<S> {
    state: AppState,
    inner: S,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        mark_sensitive(request.headers_mut(), &header::AUTHORIZATION);
        mark_sensitive(request.headers_mut(), &header::COOKIE);
        let tracked = Tracked::start(&self.state, &mut request);
        let stage = if headers_too_large(&request) {
            Stage::Answered {
                response: Some(ApiError::HeadersTooLarge.into_response()),
            }
        } else {
            let (future, received) = match certificate::refusal(&self.state, &request) {
                Some(refused) => {
                    let state = self.state.clone();
                    let refusal: Refusal =
                        Box::pin(
                            async move { Ok(certificate::refuse(state, request, refused).await) },
                        );
                    (Either::Right(refusal), None)
                }
                None => {
                    let (request, received) = watch_body(request);
                    // Ready: the routes behind are always ready (axum's services are).
                    (Either::Left(self.inner.call(request)), received)
                }
            };
            let limit = self.state.http.request_timeout;
            Stage::Running {
                future,
                deadline: tokio::time::sleep(limit),
                limit,
                received,
            }
        };
        EdgeFuture { stage, tracked }
    }
}

pin_project_lite::pin_project! {
    /// A request going through [`Edge`]: the routes' answer, or the time limit's, then
    /// finished by [`Tracked::finish`].
    pub struct EdgeFuture<F> {
        #[pin]
        stage: Stage<F>,
        tracked: Tracked,
    }
}

/// The answer to a request the certificate policy refused, once audited (rare: boxed).
type Refusal = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

pin_project_lite::pin_project! {
    #[project = StageProjection]
    enum Stage<F> {
        /// Answered before reaching the routes (the header-size guard).
        Answered { response: Option<Response> },
        /// With the routes (or, refused by the certificate policy, being audited), under the
        /// request's time limit.
        Running {
            #[pin]
            future: Either<F, Refusal>,
            #[pin]
            deadline: Sleep,
            limit: Duration,
            received: Option<Arc<AtomicBool>>,
        },
    }
}

impl<F> Future for EdgeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = match this.stage.project() {
            StageProjection::Answered { response } => response.take().unwrap_or_else(|| {
                ApiError::Internal("a request was answered twice").into_response()
            }),
            StageProjection::Running {
                future,
                deadline,
                limit,
                received,
            } => match future.poll(cx) {
                Poll::Ready(Ok(response)) => response,
                Poll::Ready(Err(never)) => match never {},
                Poll::Pending => {
                    std::task::ready!(deadline.poll(cx));
                    // The caller's side when its body had stopped arriving, else the hub's.
                    if received
                        .as_ref()
                        .is_some_and(|received| !received.load(Ordering::Acquire))
                    {
                        ApiError::RequestTimeout(*limit).into_response()
                    } else {
                        ApiError::Timeout(*limit).into_response()
                    }
                }
            },
        };
        Poll::Ready(Ok(this.tracked.finish(response)))
    }
}

/// Marks every value of a header sensitive, so that no debug output shows it.
fn mark_sensitive(headers: &mut HeaderMap, name: &HeaderName) {
    if let header::Entry::Occupied(mut entry) = headers.entry(name) {
        for value in entry.iter_mut() {
            value.set_sensitive(true);
        }
    }
}

/// The request with its body watched for its end, and whether it has all arrived; a request
/// without a body (most GETs) has it all already and is not watched.
fn watch_body(request: Request) -> (Request, Option<Arc<AtomicBool>>) {
    if axum::body::HttpBody::is_end_stream(request.body()) {
        return (request, None);
    }
    let received = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&received);
    let request = request.map(|body| {
        axum::body::Body::new(BodyWithEnd::new(body, move || {
            flag.store(true, Ordering::Release);
        }))
    });
    (request, Some(received))
}

/// What the edge keeps of a request to finish its answer: its id, and for the log line and the
/// metrics, when it started, its method and route. No path, header, query or body is logged:
/// the line names the matched route's template (for a proxied FINRA path, its own template,
/// with the group and name once the call went on), and for a path no route takes, only its
/// length.
struct Tracked {
    state: AppState,
    started: Instant,
    request_id: Arc<str>,
    method: Method,
    /// Reference-counted: no copy of the path is made.
    uri: Uri,
    matched: Option<MatchedPath>,
}

impl Tracked {
    /// Gives the request its id.
    fn start(state: &AppState, request: &mut Request) -> Self {
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
        Self {
            state: state.clone(),
            started,
            request_id,
            method: request.method().clone(),
            uri: request.uri().clone(),
            matched: request.extensions().get::<MatchedPath>().cloned(),
        }
    }

    /// Renders an error's envelope with the request's id, logs the detail of a server error
    /// once, sets the answer's own headers, and logs one line per request (method, route,
    /// status, duration, id) and records it in the metrics.
    fn finish(&self, mut response: Response) -> Response {
        let request_id = &self.request_id;
        let report = response.extensions_mut().remove::<ErrorReport>();
        if let Some(report) = &report {
            *response.body_mut() = report.envelope(request_id);
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
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.insert(REQUEST_ID, value);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        mark_sensitive(headers, &header::SET_COOKIE);
        let metrics = &self.state.metrics;
        let logging = tracing::enabled!(tracing::Level::INFO);
        if !(logging || metrics.enabled()) {
            return response;
        }
        // The route is worked out again from the path only when it is recorded.
        let mut route = LoggedRoute::of(self.matched.as_ref(), self.uri.path());
        let method = &self.method;
        metrics.request(
            route.template,
            method,
            response.status().as_u16(),
            self.started.elapsed(),
        );
        if logging {
            if report.is_some() {
                // The group and name are logged only once the scope has granted them and the
                // call went on: a refused request's parts are the caller's text, whatever they
                // look like.
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
                duration_ms = self.started.elapsed().as_micros() as f64 / 1_000.0,
                request.id = %request_id,
                "request"
            );
        }
        response
    }
}

/// What a log line says about a request's path: a template, never the path (a result link's
/// sealed segment is a bearer capability, any other segment may be a pasted token).
struct LoggedRoute<'a> {
    /// The matched route's template, or a placeholder.
    template: &'static str,
    /// A proxied FINRA route's dataset, validated.
    dataset: Option<Dataset<'a>>,
    /// For a path no route takes: its length in bytes.
    unmatched_bytes: Option<usize>,
}

impl<'a> LoggedRoute<'a> {
    /// The route the router `matched`, or for a request no route matched, the proxied FINRA
    /// route `path` is (the proxy takes those paths ahead of the router, and is its fallback).
    fn of(matched: Option<&'a MatchedPath>, path: &'a str) -> Self {
        let unmatched = Self {
            template: "(unmatched path)",
            dataset: None,
            unmatched_bytes: Some(path.len()),
        };
        if let Some(matched) = matched {
            // The table's own copy of the template: a label the metrics keep without a copy.
            return match super::routes::template(matched.as_str()) {
                Some(template) => Self {
                    template,
                    dataset: None,
                    unmatched_bytes: None,
                },
                None => unmatched,
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

/// `Cache-Control: no-store` and `Pragma: no-cache` on every answer of `/v1/auth/*`.
pub(crate) async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_of_a_sensitive_header_is_marked_and_other_headers_are_not() {
        let mut headers = HeaderMap::new();
        headers.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        headers.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        headers.append(header::ACCEPT, HeaderValue::from_static("application/json"));
        mark_sensitive(&mut headers, &header::AUTHORIZATION);
        mark_sensitive(&mut headers, &header::COOKIE);
        let marked: Vec<bool> = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .map(HeaderValue::is_sensitive)
            .collect();
        assert_eq!(marked, [true, true]);
        assert!(!headers[header::ACCEPT].is_sensitive());
        assert!(!headers.contains_key(header::COOKIE));
        assert!(!format!("{headers:?}").contains("Bearer"));
    }
}
