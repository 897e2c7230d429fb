//! What load balancers and Prometheus ask: `GET /metrics` (the text exposition, with the active
//! sessions read from the store at each scrape) and `GET /readyz` (the store, and Redis when
//! the limits are shared, each answering within a bounded time). They are on the main listener
//! unless `[metrics] listen` gives them one of their own (always in production), which also
//! serves `/healthz`.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// The longest `/readyz` waits for each dependency, and `/metrics` for the session count.
const CHECK_WITHIN: Duration = Duration::from_secs(2);

/// `GET /metrics` (404 when metrics are off).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "getMetrics",
    summary = "Prometheus metrics",
    description = "The hub's counters, gauges and histograms in Prometheus's text format. No \
        label carries a user, a tenant, a token or a path. On the main listener in the \
        integration profile; with `[metrics] listen` (always in production) on a plain-HTTP \
        listener of its own, and `404` here.",
    responses(
        (status = 200, description = "The exposition.", content_type = "text/plain"),
        (status = 404, response = super::openapi::NotFound),
    ),
    security(())
)]
pub(crate) async fn get_metrics(State(state): State<AppState>) -> Response {
    if !state.metrics.enabled() {
        return super::ApiError::NotFound.into_response();
    }
    match tokio::time::timeout(CHECK_WITHIN, state.sessions.count_active()).await {
        Ok(Ok(count)) => {
            let count = i64::try_from(count).unwrap_or(i64::MAX);
            state.metrics.active_sessions.set(count);
        }
        Ok(Err(error)) => tracing::warn!(%error, "counting the active sessions failed"),
        Err(_) => tracing::warn!("counting the active sessions took too long"),
    }
    (
        [
            (header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics.render(),
    )
        .into_response()
}

/// The answer of `GET /readyz`: each dependency `ok` or what is wrong with it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Readiness {
    /// `ready` or `not_ready`.
    #[schema(example = "ready")]
    status: &'static str,
    /// `ok`, or what is wrong with the database.
    #[schema(example = "ok")]
    database: String,
    /// Only when the hub shares its limits through Redis: `ok`, or what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "ok")]
    redis: Option<String>,
}

/// `GET /readyz`: 200 when the store (and Redis, when configured) answer, else 503 naming what
/// does not. Redis being away does not stop the hub (its limits fall back), but a load balancer
/// should know.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "getReady",
    summary = "Can the hub serve now",
    description = "For load balancers: the database (and Redis, when the hub shares its limits \
        through it) each answering within 2 s. Where: as `/metrics`.",
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, description = "Not ready; what does not answer says what is wrong.",
            body = Readiness),
    ),
    security(())
)]
pub(crate) async fn get_ready(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(CHECK_WITHIN, state.sessions.store_ready()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("unavailable: {error}")),
        Err(_) => Err(format!("no answer within {} s", CHECK_WITHIN.as_secs())),
    };
    let redis = match state.limiters.shared() {
        None => None,
        Some(shared) => Some(
            match tokio::time::timeout(CHECK_WITHIN, shared.ping()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(format!("unavailable: {error}")),
                Err(_) => Err(format!("no answer within {} s", CHECK_WITHIN.as_secs())),
            },
        ),
    };
    let ready = database.is_ok() && redis.as_ref().is_none_or(Result::is_ok);
    let words = |checked: Result<(), String>| checked.err().unwrap_or_else(|| "ok".to_owned());
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database: words(database),
        redis: redis.map(words),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// The operations listener's application (`[metrics] listen`): `/healthz`, `/readyz` and
/// `/metrics`, plain HTTP, nothing else.
pub fn operations_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(super::get_health))
        .route("/readyz", get(get_ready))
        .route("/metrics", get(get_metrics))
        .with_state(state)
}
