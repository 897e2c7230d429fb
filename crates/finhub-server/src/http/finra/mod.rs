//! `/v1/finra/…`: FINRA's Query API paths under the hub. The path is parsed into a route and
//! the session checked, the dataset group against the session's scope, the data rate limits
//! applied; then the request goes to FINRA, on the path rebuilt from the route's parts, with the
//! tenant's upstream token (which never leaves the server), and FINRA's status, headers and body
//! come back streamed. Async `Location` headers and result links are rewritten
//! to go through the hub; result links become the hub's own sealed, short-lived links.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use finhub_core::auth::{AccessCheck, RequestContext};
use finhub_core::error::{AuthError, ScopeRefusal};
use finra_client::{FinraError, RawRequest};
use reqwest::Url;
use serde_json::Value;
use tower::Service;

pub(super) mod route;

pub(crate) use route::FinraRoute;

use super::context::{RequestFacts, SessionToken};
use super::error::ApiError;
use crate::state::AppState;

/// The prefix of proxied paths.
pub(super) const PREFIX: &str = "/v1/finra";
/// The segment of the hub's result links.
const RESULTS: &str = "results";
/// Largest async status body the hub reads to rewrite its links.
const MAX_STATUS_BODY: usize = 64 * 1024;

/// Request headers forwarded to FINRA (everything else, `Authorization` first, stays here).
/// With `Accept-Encoding`, FINRA may compress the body the hub streams through untouched.
const FORWARDED_REQUEST_HEADERS: [HeaderName; 4] = [
    header::ACCEPT,
    header::ACCEPT_ENCODING,
    header::CONTENT_TYPE,
    HeaderName::from_static("data-api-version"),
];

/// Whether a response header from FINRA is passed back. `Content-Length` lets the body stream
/// out with a fixed length, as FINRA sent it, instead of re-framed in chunks. (A `match` on the
/// name: every header of every answer is checked, and this compiles to a dispatch on the
/// length before any comparison.)
fn is_passed_response_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "content-type"
            | "content-length"
            | "content-encoding"
            | "vary"
            | "record-total"
            | "record-offset"
            | "record-limit"
            | "record-max-limit"
            | "total-records-on-page"
            | "response-payload-max-size"
            | "finra-api-request-id"
            | "retry-after"
            | "www-authenticate"
    )
}

/// `GET|POST /v1/finra/…` as the router's fallback, for every path no route takes: the hub's
/// hottest path skips the router's path parameters, extractors and handler machinery, and the
/// proxy parses its paths itself. A path outside `/v1/finra/` is 404 before anything is read.
#[derive(Clone)]
pub(crate) struct FinraProxy {
    state: AppState,
}

impl FinraProxy {
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The proxy's answer to a request, once it comes.
pub(crate) type ProxyFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl Service<Request> for FinraProxy {
    type Response = Response;
    type Error = Infallible;
    type Future = ProxyFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if !is_proxied(request.uri().path()) {
            return Box::pin(std::future::ready(Ok(ApiError::NotFound.into_response())));
        }
        let state = self.state.clone();
        Box::pin(async move { Ok(answer(state, request).await.into_response()) })
    }
}

/// Whether `path` is one the proxy answers: under `/v1/finra/` (result links have a route).
fn is_proxied(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether [`super::App`] hands `path` to the proxy without asking the router: every path
/// the proxy answers but the result links', which have a route of their own. The router would
/// send each of these paths to the proxy too, as its fallback (checked against the route table
/// by the tests).
pub(super) fn takes_ahead_of_router(path: &str) -> bool {
    let result_link = path
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_prefix('/')?.strip_prefix(RESULTS))
        .is_some_and(|link| link.starts_with('/'));
    is_proxied(path) && !result_link
}

/// A proxied call: the request's facts and its session token, read as every session call
/// reads them (in that order), then [`proxy`].
async fn answer(state: AppState, request: Request) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let facts = RequestFacts::from_request_parts(&mut parts, &state).await?;
    let token = SessionToken::from_request_parts(&mut parts, &state).await?;
    proxy(state, facts, token, parts, body).await
}

/// The proxied call itself.
async fn proxy(
    state: AppState,
    facts: RequestFacts,
    token: SessionToken,
    parts: Parts,
    body: Body,
) -> Result<Response, ApiError> {
    // The path first: anything but one of FINRA's Query API paths in its plain form is 404,
    // whoever asks, and only the parsed route's parts ever reach FINRA.
    let rest = parts.uri.path().strip_prefix(PREFIX).unwrap_or_default();
    let route = FinraRoute::for_request(&parts.method, rest)?;
    let query = parts.uri.query();
    if query.is_some_and(|query| !finra_client::is_forwardable_query(query)) {
        return Err(ApiError::InvalidQuery);
    }
    let ctx = &facts.context;
    let session = state
        .sessions
        .authenticate(ctx, token.get(), AccessCheck::Required)
        .await?
        .session;
    // The scope is checked on the same parsed group the upstream path is built from.
    if let Some(dataset) = route.dataset()
        && !session.scope.allows_group(dataset.group.as_str())
    {
        return Err(
            AuthError::InsufficientScope(ScopeRefusal::GroupOutsideScope {
                group: dataset.group.as_str().to_owned(),
            })
            .into(),
        );
    }
    state.limiters.check_data_call(&session).await?;

    let client = state.upstreams.client_for(&session.tenant_id).await?;
    // A GET's empty body is not collected.
    let body = if axum::body::HttpBody::is_end_stream(&body) {
        Bytes::new()
    } else {
        axum::body::to_bytes(body, state.http.max_upstream_body_bytes)
            .await
            .map_err(|_| ApiError::BodyTooLarge {
                limit: state.http.max_upstream_body_bytes,
            })?
    };
    // A parsed route's parts are letters, digits and `-`: its path is always canonical.
    let path = route.upstream_path().map_err(|_| ApiError::NotFound)?;
    let mut headers = HeaderMap::new();
    for name in FORWARDED_REQUEST_HEADERS {
        // An async status is read here to rewrite its links, so it is asked for uncompressed.
        if name == header::ACCEPT_ENCODING && route.is_async_status() {
            continue;
        }
        for value in parts.headers.get_all(&name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let sent = std::time::Instant::now();
    let upstream = client
        .send_raw(RawRequest {
            method: parts.method.clone(),
            path,
            query: query.map(str::to_owned),
            headers,
            body,
            max_queue_wait: Some(state.upstreams.settings().max_queue_wait),
        })
        .await;
    match &upstream {
        Ok(answer) => {
            let status = Some(answer.status().as_u16());
            state.metrics.upstream_call("finra", status, sent.elapsed());
        }
        // The hub's own queue refused: nothing went upstream (counted by the pacer).
        Err(FinraError::RateLimited { .. }) => {}
        Err(_) => state.metrics.upstream_call("finra", None, sent.elapsed()),
    }
    let upstream = match upstream {
        Ok(upstream) => upstream,
        Err(error) => {
            audit_credential_rejection(&state, ctx, &session.tenant_id.to_string(), &error).await;
            return Err(error.into());
        }
    };
    let status = upstream.status();
    // Both a pending (202) and a complete (200) status carry links to rewrite.
    let (headers, body) = if route.is_async_status()
        && (status == StatusCode::OK || status == StatusCode::ACCEPTED)
    {
        // Compressed although asked for without `Accept-Encoding`: its links cannot be
        // rewritten, and FINRA's own must never reach the caller.
        if upstream
            .headers()
            .get(header::CONTENT_ENCODING)
            .is_some_and(|coding| coding != "identity")
        {
            return Err(ApiError::UpstreamUnavailable(
                "FINRA compressed an async status asked for uncompressed".to_owned(),
            ));
        }
        let mut headers = upstream.headers().clone();
        headers.remove(header::CONTENT_LENGTH);
        let bytes = upstream
            .bytes(MAX_STATUS_BODY)
            .await
            .map_err(|e| ApiError::UpstreamUnavailable(format!("reading an async status: {e}")))?;
        let rewritten = rewrite_status_links(
            &state,
            client.api_base(),
            &session.tenant_id.to_string(),
            &bytes,
        )?;
        (headers, Body::from(rewritten))
    } else {
        let (_, headers, body) = upstream.into_parts();
        (headers, Body::new(body))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = passed_headers(&state, headers);
    Ok(response)
}

/// FINRA's response headers the caller sees: the passed ones, and `Location` pointed at the hub.
/// FINRA's own map is kept and trimmed in place (it usually holds one header to drop, `Date`),
/// rather than its headers copied one by one into a new map.
fn passed_headers(state: &AppState, mut headers: HeaderMap) -> HeaderMap {
    let location = headers
        .get_all(header::LOCATION)
        .iter()
        .rev()
        .find_map(|value| rewrite_location(state, value));
    while let Some(dropped) = headers
        .keys()
        .find(|name| !is_passed_response_header(name))
        .cloned()
    {
        headers.remove(dropped);
    }
    if let Some(location) = location {
        headers.insert(header::LOCATION, location);
    }
    headers
}

/// `GET /v1/finra/results/{link}`: the hub's result link, served without a token while it is
/// valid, streaming FINRA's result.
#[utoipa::path(
    get,
    path = "/v1/finra/results/{link}",
    tag = "finra",
    operation_id = "getResult",
    summary = "An asynchronous request's result",
    description = "A link the hub handed out as an asynchronous request's `resultLink`: fetched \
        without a token while it is valid (an hour by default), streaming FINRA's result.",
    params(("link" = String, Path, description = "The signed link.")),
    responses(
        (status = 200, description = "FINRA's result, as FINRA sent it.", content(
            ("application/json"), ("text/plain")
        )),
        (status = 403, description = "A forged or expired link: `access_denied`.",
            body = super::openapi::ErrorEnvelope),
        super::openapi::UpstreamRefusals,
    ),
    security(())
)]
pub(crate) async fn get_result(
    State(state): State<AppState>,
    Path(link): Path<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now_utc();
    let sealed = state
        .upstreams
        .links()
        .open(&link, now)
        .ok_or(ApiError::InvalidResultLink)?;
    // Sealed only after the same check, so a link failing it here was not sealed by this hub.
    let link = finra_client::resolve_link(None, &sealed.upstream)
        .map_err(|error| ApiError::UpstreamUnavailable(format!("a sealed result link: {error}")))?;
    let upstream = state.upstreams.fetch_result(link).await.map_err(|error| {
        if error.is_timeout() {
            ApiError::UpstreamTimeout
        } else {
            ApiError::UpstreamUnavailable(format!(
                "fetching a result link: {}",
                error.without_url()
            ))
        }
    })?;
    let status = upstream.status();
    let mut response_headers = HeaderMap::new();
    if let Some(content_type) = upstream.headers().get(header::CONTENT_TYPE) {
        response_headers.insert(header::CONTENT_TYPE, content_type.clone());
    }
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    Ok(response)
}

/// FINRA refusing the tenant's stored credential: its reason goes to the log and the audit,
/// never to the caller.
async fn audit_credential_rejection(
    state: &AppState,
    ctx: &RequestContext,
    tenant: &str,
    error: &FinraError,
) {
    if matches!(
        error,
        FinraError::BadCredentials { .. } | FinraError::UnsupportedGrantType
    ) {
        let reason = error.to_string();
        tracing::error!(tenant.id = tenant, %reason, "FINRA refused the tenant's upstream credential");
        state.upstreams.audit_rejection(ctx, tenant, &reason).await;
    }
}

/// FINRA's `Location` (`…/async-requests/group/G/name/N/ID`) as the hub's URL.
fn rewrite_location(state: &AppState, location: &HeaderValue) -> Option<HeaderValue> {
    let text = location.to_str().ok()?;
    let path = path_of(text)?;
    HeaderValue::from_str(&format!("{}{PREFIX}{path}", state.http.public_url)).ok()
}

/// The path of an absolute or relative URL (from its first `/` after the authority).
fn path_of(url: &str) -> Option<&str> {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|idx| &rest[idx..]),
        None => url.starts_with('/').then_some(url),
    }
}

/// An async status body with `resultLink` sealed into a hub link and `checkStatusLink` pointed
/// at the hub; a body that is not JSON passes through unchanged. A result link that would not
/// go exactly where it names (resolved against the tenant's API base) is not followed: 502.
fn rewrite_status_links(
    state: &AppState,
    api_base: &Url,
    tenant: &str,
    body: &[u8],
) -> Result<Bytes, ApiError> {
    let Ok(mut status) = serde_json::from_slice::<Value>(body) else {
        return Ok(Bytes::copy_from_slice(body));
    };
    let public_url = &state.http.public_url;
    if let Some(link) = status.get("resultLink").and_then(Value::as_str) {
        let link = finra_client::resolve_link(Some(api_base), link).map_err(|error| {
            ApiError::UpstreamUnavailable(format!("FINRA's result link: {error}"))
        })?;
        let sealed = state
            .upstreams
            .links()
            .seal(tenant, link.as_str())
            .ok_or(ApiError::Internal("sealing a result link failed"))?;
        status["resultLink"] = Value::String(format!("{public_url}{PREFIX}/{RESULTS}/{sealed}"));
    }
    if let Some(path) = status
        .get("checkStatusLink")
        .and_then(Value::as_str)
        .and_then(path_of)
        .map(str::to_owned)
    {
        status["checkStatusLink"] = Value::String(format!("{public_url}{PREFIX}{path}"));
    }
    Ok(serde_json::to_vec(&status).map_or_else(|_| Bytes::copy_from_slice(body), Bytes::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_takes_paths_under_its_prefix_only() {
        for proxied in [
            "/v1/finra/datasets",
            "/v1/finra/data/group/otcMarket/name/weeklySummary",
            "/v1/finra/",
            "/v1/finra/%2e%2e/auth/session",
        ] {
            assert!(is_proxied(proxied), "{proxied}");
        }
        for other in ["/v1/finra", "/v1/finraX/datasets", "/v1/auth/nope", "/", ""] {
            assert!(!is_proxied(other), "{other}");
        }
    }

    #[test]
    fn the_app_hands_the_proxy_only_paths_the_router_would_hand_it() {
        use super::super::{ENDPOINTS, Serves};
        // Each route's template as a path: the proxied FINRA routes go to the proxy, every
        // other route (the result links' among them) to the router.
        for endpoint in ENDPOINTS {
            let path = endpoint.path.replace(['{', '}'], "");
            assert_eq!(
                takes_ahead_of_router(&path),
                matches!(endpoint.serves, Serves::Finra),
                "{}",
                endpoint.path
            );
        }
        // Paths under the prefix that no route takes: the router's fallback is the proxy.
        for path in [
            "/v1/finra/",
            "/v1/finra/nope",
            "/v1/finra/results",
            "/v1/finra/resultsX",
        ] {
            assert!(takes_ahead_of_router(path), "{path}");
        }
        for path in [
            "/v1/finra/results/a",
            "/v1/finra/results/a/b",
            "/v1/finra",
            "/",
        ] {
            assert!(!takes_ahead_of_router(path), "{path}");
        }
    }

    #[test]
    fn locations_keep_their_path_under_the_hub() {
        assert_eq!(
            path_of("http://127.0.0.1:1/async-requests/x"),
            Some("/async-requests/x")
        );
        assert_eq!(path_of("/async-requests/x"), Some("/async-requests/x"));
        assert_eq!(path_of("https://api.finra.org"), None);
        assert_eq!(path_of("nonsense"), None);
    }
}
