//! The hub's HTTP surface: the authentication and second-factor endpoints, health, a no-op
//! route for benchmark baselines, and the layers around them. Handlers parse HTTP into calls of
//! the domain's services (`finhub_core::auth::{Logins, Sessions, Enrolment}`) and map their
//! errors through [`error::ApiError`]; no policy lives here.

mod app;
mod body;
pub(crate) mod body_end;
mod certificate;
mod context;
mod error;
mod finra;
mod mfa;
mod middleware;
pub mod openapi;
mod operations;
mod routes;
mod session;
mod token;
mod traqs;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::routing::MethodFilter;
use axum::{Json, response::IntoResponse};

use crate::state::AppState;
pub use app::App;
pub(crate) use context::RequestFacts;
pub(crate) use error::{ApiError, retry_after_secs};
pub(crate) use mfa::within_mfa_limit;
pub use operations::operations_router;

/// The fuzz targets' entries into the hub's parsers (feature `fuzzing`).
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    pub use super::token::fuzz_token_request as token_request;
}
pub use routes::{ENDPOINTS, Endpoint, Serves};

/// The application: every route of [`ENDPOINTS`] and the layers around them, served by
/// [`crate::serve`] (plain HTTP) or [`crate::serve_tls`], whose requests carry their
/// connection's TLS facts; every request needs its peer address as `ConnectInfo` (tests give it
/// with `MockConnectInfo`). The proxy ([`finra::FinraProxy`]) answers the proxied FINRA paths
/// ([`Serves::Finra`]), parsing them itself: [`App`] hands it their requests ahead of the
/// router, so the hub's hottest path skips the router and its path parameters, extractors and
/// handler machinery. It is also the router's fallback: a path no route takes goes to it, and
/// it answers 404 to any path it does not serve.
pub fn app(state: AppState) -> App {
    App::new(state.clone(), router(state))
}

/// The routes of [`app`] and the layers around them.
fn router(state: AppState) -> Router {
    let settings = std::sync::Arc::clone(&state.http);
    let mut auth = Router::new();
    let mut pages = Router::new();
    let mut open = Router::new();
    for endpoint in ENDPOINTS {
        let method = MethodFilter::try_from(endpoint.method.clone())
            .unwrap_or_else(|_| unreachable!("the route table uses standard methods"));
        match endpoint.serves {
            Serves::Auth(handler) => auth = auth.route(endpoint.path, handler(method)),
            Serves::Open(handler) => open = open.route(endpoint.path, handler(method)),
            Serves::Operations(handler) if settings.operations_on_main => {
                open = open.route(endpoint.path, handler(method));
            }
            Serves::Portal(handler) => pages = pages.route(endpoint.path, handler(method)),
            Serves::Operations(_) | Serves::Finra => {}
        }
    }
    let pages = pages
        .layer(DefaultBodyLimit::max(settings.max_auth_body_bytes))
        .layer(from_fn(crate::portal::secure_pages));
    let auth = auth
        .layer(DefaultBodyLimit::max(settings.max_auth_body_bytes))
        .layer(from_fn(middleware::no_store));
    open.merge(auth)
        .merge(pages)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(finra::FinraProxy::new(state.clone()))
        .with_state(state.clone())
        .layer(middleware::EdgeLayer::new(state))
}

/// The answer of `GET /healthz`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok`.
    #[schema(example = "ok")]
    status: &'static str,
    /// `finhub`: clients recognise a hub by it.
    #[schema(example = "finhub")]
    service: &'static str,
    /// The hub's version.
    #[schema(example = "0.1.0")]
    version: &'static str,
}

/// `GET /healthz`: the process serves requests; `service` tells a FinHub from other services
/// (clients recognise a hub by it).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "getHealth",
    summary = "Is the hub up",
    responses((status = 200, description = "The process serves requests.", body = Health)),
    security(())
)]
async fn get_health() -> impl IntoResponse {
    Json(Health {
        status: "ok",
        service: "finhub",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// `GET /v1/noop`: 204 and nothing else; the baseline of the benchmarks.
#[utoipa::path(
    get,
    path = "/v1/noop",
    tag = "operations",
    operation_id = "getNoop",
    summary = "A baseline",
    description = "No work behind it: what benchmarks compare the hub's routes against.",
    responses((status = 204, description = "Nothing.")),
    security(())
)]
async fn get_noop() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn method_not_allowed(path: Option<MatchedPath>) -> ApiError {
    ApiError::MethodNotAllowed {
        allow: path.map_or_else(String::new, |path| routes::allowed_methods(path.as_str())),
    }
}
