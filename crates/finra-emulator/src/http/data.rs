//! `GET|POST /data/group/{group}/name/{name}` and `GET …/id/{id}`: synchronous pages with FINRA's
//! paging headers, or an asynchronous submission (202 + `Location`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::RequestId;
use super::error::{ApiError, Rejection};
use super::path::FinraPath;
use crate::config::{EmptyResult, Tier};
use crate::data::{Dataset, Entitlement};
use crate::query::engine::select;
use crate::query::plan::{MAX_LIMIT, Plan, plan};
use crate::query::render::{MAX_PAYLOAD_BYTES, render};
use crate::query::request::{DataRequest, RawCompareFilter};
use crate::state::Emulator;
use crate::tokens::Caller;

/// Largest POST body the Query API reads.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `GET /data/group/{group}/name/{name}`: parameters in the query string, no filters.
pub(super) async fn get_data(
    State(emulator): State<Emulator>,
    Extension(request_id): Extension<RequestId>,
    FinraPath((group, name)): FinraPath<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Rejection> {
    let reject = |error| Rejection {
        error,
        request_id: request_id.clone(),
    };
    let request = DataRequest::from_query(query.as_deref())
        .map_err(|message| reject(ApiError::bad_request(message)))?;
    run(&emulator, &headers, "GET", &group, &name, &request).map_err(reject)
}

/// `POST /data/group/{group}/name/{name}`: a JSON `DataRequest` body.
pub(super) async fn post_data(
    State(emulator): State<Emulator>,
    Extension(request_id): Extension<RequestId>,
    FinraPath((group, name)): FinraPath<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Rejection> {
    let reject = |error| Rejection {
        error,
        request_id: request_id.clone(),
    };
    let body = body.map_err(|rejection| {
        reject(ApiError::new(
            rejection.status(),
            format!("Request body could not be read: {}", rejection.body_text()),
        ))
    })?;
    let content_type = headers.get(header::CONTENT_TYPE);
    let is_json = content_type.is_none() || super::is_media_type(content_type, "application/json");
    if !is_json && !body.is_empty() {
        return Err(reject(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )));
    }
    let request =
        DataRequest::from_json(&body).map_err(|message| reject(ApiError::bad_request(message)))?;
    run(&emulator, &headers, "POST", &group, &name, &request).map_err(reject)
}

/// `GET /data/group/{group}/name/{name}/id/{id}`: the rows whose primary id field equals `id`.
pub(super) async fn get_by_id(
    State(emulator): State<Emulator>,
    Extension(request_id): Extension<RequestId>,
    FinraPath((group, name, id)): FinraPath<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, Rejection> {
    let reject = |error| Rejection {
        error,
        request_id: request_id.clone(),
    };
    let dataset = find_dataset(&emulator, &group, &name).map_err(reject)?;
    let Some(id_field) = dataset.def.primary_id_field else {
        return Err(reject(ApiError::not_found(format!(
            "Dataset {group}/{name} does not support requests by id"
        ))));
    };
    let request = DataRequest {
        compare_filters: vec![RawCompareFilter {
            field_name: id_field.to_owned(),
            field_value: serde_json::Value::String(id),
            compare_type: "EQUAL".to_owned(),
        }],
        ..DataRequest::default()
    };
    run(&emulator, &headers, "GET", &group, &name, &request).map_err(reject)
}

/// Finds a dataset by its case-insensitive group and name.
pub(super) fn find_dataset(
    emulator: &Emulator,
    group: &str,
    name: &str,
) -> Result<Dataset, ApiError> {
    emulator
        .inner
        .catalogue
        .find(group, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("Dataset {group}/{name} not found")))
}

/// Who the request comes from, judged on tokio's clock.
pub(super) fn caller(emulator: &Emulator, headers: &HeaderMap) -> Caller {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    emulator
        .inner
        .tokens
        .caller(authorization, emulator.inner.config.clock.instant())
}

/// Public datasets answer anyone except holders of an expired token; entitled ones need a
/// valid token of a tier that includes them.
pub(super) fn authorize(caller: &Caller, dataset: &Dataset) -> Result<(), ApiError> {
    match (caller, dataset.def.entitlement) {
        (Caller::Expired, _) => Err(ApiError::unauthorized()),
        (_, Entitlement::Public)
        | (
            Caller::Account {
                tier: Tier::Firm, ..
            },
            Entitlement::Firm,
        ) => Ok(()),
        (
            Caller::Account {
                tier: Tier::Public, ..
            },
            Entitlement::Firm,
        ) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "basic API credential cannot be used to access {} dataset",
                dataset.name.to_ascii_uppercase()
            ),
        )),
        (Caller::Anonymous | Caller::Unrecognised, Entitlement::Firm) => {
            Err(ApiError::unauthorized())
        }
    }
}

fn run(
    emulator: &Emulator,
    headers: &HeaderMap,
    method: &str,
    group: &str,
    name: &str,
    request: &DataRequest,
) -> Result<Response, ApiError> {
    let dataset = find_dataset(emulator, group, name)?;
    let caller = caller(emulator, headers);
    authorize(&caller, &dataset)?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let config = &emulator.inner.config;
    let plan = plan(&dataset, request, wants_json, config.max_offset).map_err(|message| {
        ApiError::bad_request(message).with_data_request(request.echo(method, group, name))
    })?;
    if plan.is_async {
        return super::async_requests::submit(emulator, headers, &caller, dataset, &plan);
    }
    Ok(sync_page(emulator, headers, &dataset, &plan))
}

/// A synchronous page: its rows rendered (up to the payload cap, which counts the rendered
/// bytes, before any compression), FINRA's paging headers, and gzip when the request allows it.
fn sync_page(emulator: &Emulator, request: &HeaderMap, dataset: &Dataset, plan: &Plan) -> Response {
    let config = &emulator.inner.config;
    let selection = select(&dataset.table, plan, config.row_order);
    if selection.page.is_empty() && config.empty_result == EmptyResult::NoContent {
        return StatusCode::NO_CONTENT.into_response();
    }
    let rendered = render(
        &dataset.table,
        &plan.projection,
        &selection.page,
        plan.format,
        MAX_PAYLOAD_BYTES,
    );
    let compressed = super::encoding::accepts_gzip(request)
        .then(|| super::encoding::gzip(&rendered.body).ok())
        .flatten();
    let gzipped = compressed.is_some();
    let mut response = (StatusCode::OK, compressed.unwrap_or(rendered.body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(plan.format));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        emulator.inner.counters.record_page_compressed();
    }
    for (name, value) in [
        ("record-total", selection.total as u64),
        ("record-offset", plan.offset),
        ("record-limit", plan.limit),
        ("record-max-limit", MAX_LIMIT),
        ("total-records-on-page", rendered.n_rows as u64),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
    headers.insert("response-payload-max-size", HeaderValue::from_static("3mb"));
    response
}

/// The content type of a rendered body.
pub(super) fn content_type(format: crate::query::plan::Format) -> HeaderValue {
    match format {
        crate::query::plan::Format::Json => HeaderValue::from_static("application/json"),
        crate::query::plan::Format::Csv { .. } => HeaderValue::from_static("text/plain"),
    }
}
