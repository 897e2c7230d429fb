//! The emulator-defined JSON API a program (or the HTML pages) mints refresh tokens with:
//! `POST /traqs/api/login` `{"username","password"}` → `{"stateToken","factor":"totp"}`;
//! `POST /traqs/api/login/verify` `{"stateToken","passCode"}` → `{"sessionToken"}` and the
//! session cookie; `POST|GET /traqs/api/refresh-tokens` and `DELETE …/{id}` with the session.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use super::{MAX_VALUE_BYTES, Malformed, SESSION_COOKIE, session, text};
use crate::state::Emulator;
use crate::traqs::RefreshTokenInfo;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Verify {
    state_token: String,
    pass_code: String,
}

/// A strict JSON body: 400 with a plain reason (never the values) otherwise.
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Malformed> {
    if !super::super::is_media_type(headers.get(header::CONTENT_TYPE), "application/json") {
        return Err(Malformed(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The body must be application/json".into(),
        ));
    }
    if body.len() > 4 * MAX_VALUE_BYTES {
        return Err(Malformed(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is too large".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|_| {
        Malformed(
            StatusCode::BAD_REQUEST,
            "The body is not the expected JSON object".into(),
        )
    })
}

/// `POST /traqs/api/login`.
pub(super) async fn sign_in(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: SignIn = match json_body(&headers, &body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    match emulator
        .inner
        .traqs
        .sign_in(&request.username, &request.password)
    {
        Ok(state_token) => {
            axum::Json(json!({"stateToken": state_token, "factor": "totp"})).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /traqs/api/login/verify`.
pub(super) async fn verify(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: Verify = match json_body(&headers, &body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    match emulator
        .inner
        .traqs
        .verify(&request.state_token, &request.pass_code)
    {
        Ok(session) => {
            let mut response = axum::Json(json!({"sessionToken": session})).into_response();
            set_session_cookie(&mut response, &session);
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// Sets the web session cookie (HttpOnly, SameSite=Strict, the TRAQS paths only).
pub(super) fn set_session_cookie(response: &mut Response, session: &str) {
    let cookie = format!("{SESSION_COOKIE}={session}; Path=/traqs; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// `POST /traqs/api/refresh-tokens`: 201 `{"id","refreshToken","expiresAt"}`.
pub(super) async fn mint_token(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    match emulator.inner.traqs.mint_refresh_token(session(&headers)) {
        Ok((id, token, expires_at)) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({
                "id": id,
                "refreshToken": token,
                "expiresAt": expires_at.format(&Rfc3339).unwrap_or_default(),
            })),
        )
            .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /traqs/api/refresh-tokens`: the user's tokens, never their values.
pub(super) async fn list_tokens(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    match emulator.inner.traqs.refresh_tokens(session(&headers)) {
        Ok(tokens) => axum::Json(tokens.iter().map(token_json).collect::<Vec<_>>()).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

fn token_json(info: &RefreshTokenInfo) -> serde_json::Value {
    json!({
        "id": info.id,
        "createdAt": info.created_at.format(&Rfc3339).unwrap_or_default(),
        "expiresAt": info.expires_at.format(&Rfc3339).unwrap_or_default(),
        "revoked": info.revoked,
    })
}

/// `DELETE /traqs/api/refresh-tokens/{id}`: 204, or 404 when it is not the user's.
pub(super) async fn revoke_token(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match emulator
        .inner
        .traqs
        .revoke_refresh_token(session(&headers), &id)
    {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => text(StatusCode::NOT_FOUND, "No such refresh token"),
        Err(refusal) => refusal.into_response(),
    }
}
