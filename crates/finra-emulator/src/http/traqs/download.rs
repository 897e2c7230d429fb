//! `DownloadHandler.ashx` (FINRA's public URL: `action=DOWNLOAD&facility=F&file=NAME`, GET or
//! POST with the form field `username`, `Authorization: Bearer`) and the access-token exchange
//! `POST /traqs/oauth2/token` (emulator-defined, Okta-shaped:
//! `grant_type=refresh_token&refresh_token=…&username=…`). `action=LIST` (emulator-defined)
//! lists a facility's files.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{bearer, field, fields, text};
use crate::faults::{Fault, FaultTarget};
use crate::state::Emulator;
use crate::traqs::{TraqsRefusal, files};

/// `GET|POST /DownloadHandler.ashx`.
pub(super) async fn download(
    State(emulator): State<Emulator>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = match fields(
        query.unwrap_or_default().as_bytes(),
        &["action", "facility", "file"],
    ) {
        Ok(query) => query,
        Err(refused) => return refused.into_response(),
    };
    if method == Method::POST
        && let Err(refused) = fields(&body, &["username"])
    {
        return refused.into_response();
    }
    let Some(facility) = field(&query, "facility") else {
        return text(StatusCode::BAD_REQUEST, "Parameter facility is required");
    };
    if !files::FACILITIES
        .iter()
        .any(|f| f.eq_ignore_ascii_case(facility))
    {
        return text(StatusCode::NOT_FOUND, "Unknown facility");
    }
    let action = field(&query, "action").unwrap_or_default();
    let traqs = &emulator.inner.traqs;
    if let Err(refusal) = traqs.authorize(bearer(&headers), facility) {
        return refusal.into_response();
    }
    let fault = emulator.inner.faults.take(FaultTarget::TraqsDownloads);
    if let Some(fault) = fault
        && !matches!(fault, Fault::BreakMidBody { .. })
    {
        return super::super::middleware::plain_fault(&emulator, fault).await;
    }
    if action.eq_ignore_ascii_case("LIST") {
        let names: String = files::files_of(facility)
            .map(|f| format!("{}\r\n", f.name))
            .collect();
        return text(StatusCode::OK, names);
    }
    if !action.eq_ignore_ascii_case("DOWNLOAD") {
        return text(
            StatusCode::BAD_REQUEST,
            "Parameter action must be DOWNLOAD (or LIST)",
        );
    }
    let Some(name) = field(&query, "file") else {
        return text(StatusCode::BAD_REQUEST, "Parameter file is required");
    };
    let Some(file) = files::find(facility, name) else {
        return text(StatusCode::NOT_FOUND, "Unknown file");
    };
    let cut_after = match fault {
        Some(Fault::BreakMidBody { after_bytes }) => Some(after_bytes),
        _ => None,
    };
    let config = &emulator.inner.config;
    let disposition = format!("attachment; filename=\"{}.txt\"", file.name);
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        file.body(
            config.seed,
            config.traqs.rows_of(file, config.scale),
            cut_after,
        ),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `POST /traqs/oauth2/token`: a form with `grant_type=refresh_token`, `refresh_token` and
/// `username` → `{"access_token","token_type":"Bearer","expires_in"}`; refresh tokens are not
/// rotated. Errors are 400 with `{"error","error_description"}`.
pub(super) async fn exchange(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = emulator.inner.faults.take(FaultTarget::TraqsTokenCalls) {
        return super::super::middleware::plain_fault(&emulator, fault).await;
    }
    let oauth_error = |error: &str, description: String| {
        (
            StatusCode::BAD_REQUEST,
            no_store(),
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    if !super::super::is_media_type(
        headers.get(header::CONTENT_TYPE),
        "application/x-www-form-urlencoded",
    ) {
        return oauth_error(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded".into(),
        );
    }
    let form = match fields(&body, &["grant_type", "refresh_token", "username"]) {
        Ok(form) => form,
        Err(_) => {
            return oauth_error(
                "invalid_request",
                "grant_type, refresh_token and username, each once".into(),
            );
        }
    };
    if field(&form, "grant_type") != Some("refresh_token") {
        return oauth_error(
            "unsupported_grant_type",
            "grant_type must be refresh_token".into(),
        );
    }
    let (Some(refresh_token), Some(username)) =
        (field(&form, "refresh_token"), field(&form, "username"))
    else {
        return oauth_error(
            "invalid_request",
            "refresh_token and username are required".into(),
        );
    };
    match emulator.inner.traqs.exchange(refresh_token, username) {
        Ok((access_token, expires_in)) => (
            StatusCode::OK,
            no_store(),
            axum::Json(json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": expires_in,
            })),
        )
            .into_response(),
        Err(TraqsRefusal::InvalidGrant(reason)) => oauth_error("invalid_grant", reason),
        Err(other) => other.into_response(),
    }
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}
