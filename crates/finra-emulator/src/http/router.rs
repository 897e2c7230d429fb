//! The route table: every path FINRA serves (token service and Query API) on one listener, and
//! FINRA-shaped 404/405 answers for everything else.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};

use super::error::ApiError;
use super::{RequestId, async_requests, catalogue, data, middleware, token, traqs};
use crate::state::Emulator;

/// The emulator's whole HTTP surface.
pub(crate) fn router(emulator: Emulator) -> Router {
    let query_api = Router::new()
        .route(
            "/data/group/{group}/name/{name}",
            with_405(get(data::get_data).post(data::post_data)),
        )
        .route(
            "/data/group/{group}/name/{name}/id/{id}",
            with_405(get(data::get_by_id)),
        )
        .route(
            "/metadata/group/{group}/name/{name}",
            with_405(get(catalogue::get_metadata)),
        )
        .route(
            "/partitions/group/{group}/name/{name}",
            with_405(get(catalogue::get_partitions)),
        )
        .route("/datasets", with_405(get(catalogue::list_datasets)))
        .route(
            "/async-requests/group/{group}/name/{name}/{id}",
            with_405(get(async_requests::get_status)),
        )
        .layer(from_fn_with_state(
            emulator.clone(),
            middleware::query_api_guard,
        ));
    let token_service = Router::new()
        .route(
            "/fip/rest/ews/oauth2/access_token",
            with_405(post(token::mint_token)),
        )
        .layer(from_fn_with_state(
            emulator.clone(),
            middleware::token_guard,
        ));
    let result_links = Router::new().route(
        "/async-results/{id}",
        with_405(get(async_requests::get_result)),
    );
    Router::new()
        .merge(query_api)
        .merge(token_service)
        .merge(result_links)
        .merge(traqs::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(data::MAX_BODY_BYTES))
        .layer(from_fn_with_state(
            emulator.clone(),
            middleware::request_context,
        ))
        .with_state(emulator)
}

pub(super) fn with_405(route: MethodRouter<Emulator>) -> MethodRouter<Emulator> {
    route.fallback(method_not_allowed)
}

async fn not_found(request: Request) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::new);
    ApiError::not_found(format!("No resource found at {}", request.uri().path()))
        .into_response_with_id(&request_id)
}

async fn method_not_allowed(method: Method, request: Request) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::new);
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "Method {method} is not supported on {}",
            request.uri().path()
        ),
    )
    .into_response_with_id(&request_id)
}
