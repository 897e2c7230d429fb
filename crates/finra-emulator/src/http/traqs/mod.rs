//! TRAQS on the emulator's listener. `DownloadHandler.ashx` follows FINRA's public URLs; the
//! sign-in API, its HTML pages and the token exchange under `/traqs/` are the emulator's own
//! definitions (FINRA has not published them), kept apart so a client's paths stay configurable.

mod api;
mod download;
mod pages;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::state::Emulator;
use crate::traqs::TraqsRefusal;

/// Longest value of any TRAQS parameter or field.
const MAX_VALUE_BYTES: usize = 512;
/// The web session cookie.
const SESSION_COOKIE: &str = "traqs_session";

/// Every TRAQS route.
pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/DownloadHandler.ashx",
            super::router::with_405(get(download::download).post(download::download)),
        )
        .route(
            "/traqs/oauth2/token",
            super::router::with_405(post(download::exchange)),
        )
        .route(
            "/traqs/api/login",
            super::router::with_405(post(api::sign_in)),
        )
        .route(
            "/traqs/api/login/verify",
            super::router::with_405(post(api::verify)),
        )
        .route(
            "/traqs/api/refresh-tokens",
            super::router::with_405(get(api::list_tokens).post(api::mint_token)),
        )
        .route(
            "/traqs/api/refresh-tokens/{id}",
            super::router::with_405(delete(api::revoke_token)),
        )
        .route("/traqs/", super::router::with_405(get(pages::sign_in_page)))
        .route(
            "/traqs/login",
            super::router::with_405(post(pages::sign_in)),
        )
        .route(
            "/traqs/verify",
            super::router::with_405(post(pages::verify)),
        )
        .route(
            "/traqs/tokens",
            super::router::with_405(get(pages::tokens).post(pages::mint_token)),
        )
}

/// A plain-text answer, as TRAQS gives its refusals.
fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// The status of a refusal.
fn status_of(refusal: &TraqsRefusal) -> StatusCode {
    match refusal {
        TraqsRefusal::BadCredentials
        | TraqsRefusal::StateExpired
        | TraqsRefusal::BadCode
        | TraqsRefusal::Locked(_)
        | TraqsRefusal::NoSession
        | TraqsRefusal::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        TraqsRefusal::InvalidGrant(_) => StatusCode::BAD_REQUEST,
        TraqsRefusal::NotEntitled(_) => StatusCode::FORBIDDEN,
    }
}

impl IntoResponse for TraqsRefusal {
    fn into_response(self) -> Response {
        text(status_of(&self), self.to_string())
    }
}

/// The bearer token of `Authorization`, if the scheme is Bearer (any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// The web session: the bearer token a program sends, or the cookie a browser does.
fn session(headers: &HeaderMap) -> Option<&str> {
    bearer(headers).or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == SESSION_COOKIE).then_some(value)
            })
    })
}

/// A request refused before it reached TRAQS's rules: a status and a plain-text reason that
/// never echoes a value.
#[derive(Debug)]
struct Malformed(StatusCode, String);

impl IntoResponse for Malformed {
    fn into_response(self) -> Response {
        text(self.0, self.1)
    }
}

/// The fields of a query string or form body: each of `known` at most once, nothing else, no
/// value over [`MAX_VALUE_BYTES`].
fn fields(
    encoded: &[u8],
    known: &[&'static str],
) -> Result<Vec<(&'static str, String)>, Malformed> {
    let bad = |reason: String| Malformed(StatusCode::BAD_REQUEST, reason);
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(encoded) {
        let Some(known_name) = known.iter().find(|k| **k == name) else {
            return Err(bad(format!("Unknown parameter {}", truncate(&name))));
        };
        if found.iter().any(|(n, _)| n == known_name) {
            return Err(bad(format!("Parameter {known_name} is repeated")));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(bad(format!("Parameter {known_name} is too long")));
        }
        found.push((known_name, value.into_owned()));
    }
    Ok(found)
}

/// The value of a field, if it was given.
fn field<'a>(fields: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// A name as shown in an error: at most 40 characters.
fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}
