//! The FIP token service, `POST /fip/rest/ews/oauth2/access_token`, as FINRA answers it:
//! Basic client authentication, `grant_type` in the query string or the
//! form body (not both), errors as HTTP 400 with FIP's `{"error_message", "error"}` body.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::state::Emulator;

/// Why a token request failed, with FIP's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenError {
    /// No HTTP Basic client authentication (e.g. `X-API-KEY` headers instead).
    CredentialsRequired,
    /// Basic authentication with an unknown id or a wrong secret (e.g. `None:None`).
    InvalidCredentials,
    /// `grant_type` missing, not `client_credentials`, or sent twice.
    UnsupportedGrantType,
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = match self {
            Self::CredentialsRequired => {
                json!({"error_message": "Client credentials is required", "error": "invalid_client"})
            }
            Self::InvalidCredentials => {
                json!({"error_message": "Invalid Credentials", "error": "invalid_client"})
            }
            Self::UnsupportedGrantType => json!({"error": "unsupported_grant_type"}),
        };
        (StatusCode::BAD_REQUEST, no_store(), axum::Json(body)).into_response()
    }
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// `POST /fip/rest/ews/oauth2/access_token`.
pub(super) async fn mint_token(
    State(emulator): State<Emulator>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match mint(&emulator, query.as_deref(), &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn mint(
    emulator: &Emulator,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, TokenError> {
    let inner = &emulator.inner;
    let (client_id, secret) = basic_credentials(headers)?;
    let credential = inner
        .config
        .credentials
        .iter()
        .find(|c| c.client_id == client_id && c.client_secret == secret)
        .ok_or(TokenError::InvalidCredentials)?;

    let from_query = grant_types(query.map(str::as_bytes));
    let is_form = super::is_media_type(
        headers.get(header::CONTENT_TYPE),
        "application/x-www-form-urlencoded",
    );
    let from_body = if is_form {
        grant_types(Some(body))
    } else {
        Vec::new()
    };
    match (from_query.as_slice(), from_body.as_slice()) {
        ([grant], []) | ([], [grant]) if grant == "client_credentials" => {}
        _ => return Err(TokenError::UnsupportedGrantType),
    }

    let ttl = inner.config.token_ttl;
    let token = inner.tokens.mint(
        &credential.client_id,
        credential.tier,
        ttl,
        inner.config.clock.instant(),
    );
    inner.counters.record_token_minted();
    let body = json!({
        "access_token": token,
        "scope": "",
        "token_type": "bearer",
        "expires_in": ttl.as_secs().to_string(),
    });
    Ok((StatusCode::OK, no_store(), axum::Json(body)).into_response())
}

/// The client id and secret of an HTTP Basic `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), TokenError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(TokenError::CredentialsRequired)?;
    let (scheme, encoded) = value
        .split_once(' ')
        .ok_or(TokenError::CredentialsRequired)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenError::CredentialsRequired);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(TokenError::InvalidCredentials)?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or(TokenError::InvalidCredentials)?;
    Ok((id.to_owned(), secret.to_owned()))
}

/// Every `grant_type` value in an urlencoded string.
fn grant_types(encoded: Option<&[u8]>) -> Vec<String> {
    encoded
        .map(|bytes| {
            form_urlencoded::parse(bytes)
                .filter(|(key, _)| key == "grant_type")
                .map(|(_, value)| value.into_owned())
                .collect()
        })
        .unwrap_or_default()
}
