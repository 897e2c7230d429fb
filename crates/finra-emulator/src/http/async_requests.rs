//! Asynchronous requests: submission (202 + `Location`), status polls and pre-signed result
//! links served without authentication.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::RequestId;
use super::data::{authorize, caller, content_type, find_dataset};
use super::error::{ApiError, Rejection};
use super::path::FinraPath;
use crate::asyncreq::{AsyncJob, PollOutcome, ResultOutcome};
use crate::data::Dataset;
use crate::query::engine::select;
use crate::query::plan::Plan;
use crate::query::render::render;
use crate::state::Emulator;
use crate::tokens::Caller;

/// Submits an async request: checks the quota, fixes the result rows now, answers 202.
pub(super) fn submit(
    emulator: &Emulator,
    headers: &HeaderMap,
    caller: &Caller,
    dataset: Dataset,
    plan: &Plan,
) -> Result<Response, ApiError> {
    let inner = &emulator.inner;
    let timings = &inner.config.async_timings;
    let now = inner.config.clock.instant();
    let owner = match caller {
        Caller::Account { client_id, .. } => Some(client_id.clone()),
        Caller::Anonymous | Caller::Unrecognised | Caller::Expired => None,
    };
    let dataset_key = format!("{}/{}", dataset.def.group, dataset.name);
    inner
        .async_jobs
        .take_quota(owner.as_deref(), &dataset_key, timings.quota_per_hour, now)
        .map_err(|retry_after| {
            let mut error = ApiError::too_many_requests(retry_after);
            error.message = format!(
                "Asynchronous request limit of {} per hour for dataset {} exceeded",
                timings.quota_per_hour, dataset.name
            );
            error
        })?;
    let selection = select(&dataset.table, plan, inner.config.row_order);
    let job = inner.async_jobs.submit(
        dataset,
        owner,
        plan.projection.clone(),
        plan.format,
        selection.page,
        timings,
        now,
        inner.config.clock.now_utc(),
    );
    let location = format!("{}{}", base_url(emulator, headers), status_path(&job));
    let mut response = StatusCode::ACCEPTED.into_response();
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&location)
            .map_err(|_| ApiError::bad_request("Invalid Host header"))?,
    );
    Ok(response)
}

/// `GET /async-requests/group/{group}/name/{name}/{id}`: 202 while pending, 200 when complete.
pub(super) async fn get_status(
    State(emulator): State<Emulator>,
    Extension(request_id): Extension<RequestId>,
    FinraPath((group, name, id)): FinraPath<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, Rejection> {
    let reject = |error| Rejection {
        error,
        request_id: request_id.clone(),
    };
    let inner = &emulator.inner;
    let dataset = find_dataset(&emulator, &group, &name).map_err(reject)?;
    let caller = caller(&emulator, &headers);
    authorize(&caller, &dataset).map_err(reject)?;
    let not_found = || reject(ApiError::not_found(format!("Async request {id} not found")));
    // Only the submitting credential may poll; refused polls do not count as polls.
    match inner.async_jobs.owner(&id, &dataset) {
        None => return Err(not_found()),
        Some(None) => {}
        Some(Some(owner)) => match &caller {
            Caller::Account { client_id, .. } if *client_id == owner => {}
            Caller::Account { .. } => {
                return Err(reject(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "This async request belongs to another API credential",
                )));
            }
            Caller::Anonymous | Caller::Unrecognised | Caller::Expired => {
                return Err(reject(ApiError::unauthorized()));
            }
        },
    }
    let now = inner.config.clock.instant();
    let timings = &inner.config.async_timings;
    let outcome = inner.async_jobs.poll(&id, &dataset, timings, now);
    let base = base_url(&emulator, &headers);
    let requested = |job: &AsyncJob| finhub_clock::format_utc_seconds(job.submitted_wall);
    let response = match outcome {
        PollOutcome::Unknown => return Err(not_found()),
        PollOutcome::TooSoon { retry_after } => {
            return Err(reject(ApiError::too_many_requests(retry_after)));
        }
        PollOutcome::Complete(job, link_expires_at) => {
            let expires_in = link_expires_at.saturating_duration_since(now);
            let expires =
                finhub_clock::format_utc_seconds(inner.config.clock.now_utc() + expires_in);
            let body = json!({
                "status": "complete",
                "requestId": job.id,
                "requestTimestamp": requested(&job),
                "resultLink": format!("{base}/async-results/{}?X-Amz-Signature={}", job.id, job.signature),
                "expires": expires,
            });
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        PollOutcome::Pending(job) => {
            let body = json!({
                "status": "pending",
                "requestId": job.id,
                "requestTimestamp": requested(&job),
                "checkStatusLink": format!("{base}{}", status_path(&job)),
            });
            (StatusCode::ACCEPTED, axum::Json(body)).into_response()
        }
    };
    Ok(response)
}

/// `GET /async-results/{id}?X-Amz-Signature=…`: the pre-signed result link; no authentication.
/// Answers like a pre-signed object store link: 403 with an XML body when expired or forged.
pub(super) async fn get_result(
    State(emulator): State<Emulator>,
    FinraPath(id): FinraPath<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let inner = &emulator.inner;
    let now = inner.config.clock.instant();
    let signature = params.get("X-Amz-Signature").map(String::as_str);
    match inner.async_jobs.result(&id, signature, now) {
        ResultOutcome::BadSignature => storage_error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
        ResultOutcome::Expired => storage_error("AccessDenied", "Request has expired"),
        ResultOutcome::Ready(job) => render_result(&job),
    }
}

fn render_result(job: &AsyncJob) -> Response {
    let rendered = render(
        &job.dataset.table,
        &job.projection,
        &job.rows,
        job.format,
        usize::MAX,
    );
    let mut response = (StatusCode::OK, rendered.body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type(job.format));
    response
}

fn storage_error(code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (
        StatusCode::FORBIDDEN,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        )],
        body,
    )
        .into_response()
}

fn status_path(job: &AsyncJob) -> String {
    format!(
        "/async-requests/group/{}/name/{}/{}",
        job.dataset.def.group, job.dataset.name, job.id
    )
}

/// `http://HOST` from the request's `Host` header, or the listener's address without one.
fn base_url(emulator: &Emulator, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| emulator.inner.local_addr.get().map(ToString::to_string))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("http://{host}")
}
