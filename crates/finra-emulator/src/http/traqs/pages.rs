//! The same sign-in as minimal HTML pages a person can use in a browser (emulator-defined):
//! password, then the code, then a page that mints a refresh token and shows it once.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::api::set_session_cookie;
use super::{field, fields, session};
use crate::state::Emulator;

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(emulator: &Emulator, status: StatusCode, body: &str) -> Response {
    let environment = emulator.inner.traqs.environment().as_str();
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>TRAQS ({environment}) — FINRA emulator</title></head><body>\
             <h1>TRAQS — {environment} (emulator)</h1>{body}</body></html>"
        )),
    )
        .into_response()
}

fn sign_in_form(emulator: &Emulator, status: StatusCode, message: &str) -> Response {
    page(
        emulator,
        status,
        &format!(
            "<p>{}</p><form method=\"post\" action=\"/traqs/login\">\
             <label>E-mail <input name=\"username\" type=\"email\" autocomplete=\"username\" required></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
             <button>Sign in</button></form>",
            escape(message)
        ),
    )
}

/// `GET /traqs/`.
pub(super) async fn sign_in_page(State(emulator): State<Emulator>) -> Response {
    sign_in_form(
        &emulator,
        StatusCode::OK,
        "Sign in with your TRAQS e-mail and password.",
    )
}

/// `POST /traqs/login` (form `username`, `password`): the code form.
pub(super) async fn sign_in(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let form = match fields(&body, &["username", "password"]) {
        Ok(form) => form,
        Err(refused) => return refused.into_response(),
    };
    let (username, password) = (
        field(&form, "username").unwrap_or_default(),
        field(&form, "password").unwrap_or_default(),
    );
    match emulator.inner.traqs.sign_in(username, password) {
        Ok(state_token) => code_form(&emulator, StatusCode::OK, &state_token, ""),
        Err(refusal) => sign_in_form(&emulator, StatusCode::UNAUTHORIZED, &refusal.to_string()),
    }
}

fn code_form(
    emulator: &Emulator,
    status: StatusCode,
    state_token: &str,
    message: &str,
) -> Response {
    page(
        emulator,
        status,
        &format!(
            "<p>{}</p><form method=\"post\" action=\"/traqs/verify\">\
             <input type=\"hidden\" name=\"stateToken\" value=\"{}\">\
             <label>Code from your authenticator app <input name=\"passCode\" inputmode=\"numeric\" \
             autocomplete=\"one-time-code\" required></label><button>Verify</button></form>",
            escape(message),
            escape(state_token)
        ),
    )
}

/// `POST /traqs/verify` (form `stateToken`, `passCode`): the session cookie and the tokens page.
pub(super) async fn verify(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let form = match fields(&body, &["stateToken", "passCode"]) {
        Ok(form) => form,
        Err(refused) => return refused.into_response(),
    };
    let state_token = field(&form, "stateToken").unwrap_or_default();
    let code = field(&form, "passCode").unwrap_or_default();
    match emulator.inner.traqs.verify(state_token, code) {
        Ok(session) => {
            let mut response =
                (StatusCode::SEE_OTHER, [(header::LOCATION, "/traqs/tokens")]).into_response();
            set_session_cookie(&mut response, &session);
            response
        }
        Err(refusal) => code_form(
            &emulator,
            StatusCode::UNAUTHORIZED,
            state_token,
            &refusal.to_string(),
        ),
    }
}

/// `GET /traqs/tokens`: the user's refresh tokens and the button that mints one.
pub(super) async fn tokens(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    match emulator.inner.traqs.refresh_tokens(session(&headers)) {
        Ok(tokens) => {
            let rows: String = tokens
                .iter()
                .map(|t| {
                    format!(
                        "<li>{} — expires {}{}</li>",
                        escape(&t.id),
                        t.expires_at.date(),
                        if t.revoked { " (revoked)" } else { "" }
                    )
                })
                .collect();
            page(
                &emulator,
                StatusCode::OK,
                &format!(
                    "<h2>Refresh tokens</h2><ul>{rows}</ul><form method=\"post\" \
                     action=\"/traqs/tokens\"><button>Generate a refresh token</button></form>"
                ),
            )
        }
        Err(refusal) => sign_in_form(&emulator, StatusCode::UNAUTHORIZED, &refusal.to_string()),
    }
}

/// `POST /traqs/tokens`: mints a refresh token and shows it once.
pub(super) async fn mint_token(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    match emulator.inner.traqs.mint_refresh_token(session(&headers)) {
        Ok((id, token, expires_at)) => page(
            &emulator,
            StatusCode::OK,
            &format!(
                "<h2>Refresh token {}</h2><p>Copy it now; it is not shown again. It expires on {}.</p>\
                 <p><code>{}</code></p><p><a href=\"/traqs/tokens\">Back</a></p>",
                escape(&id),
                expires_at.date(),
                escape(&token)
            ),
        ),
        Err(refusal) => sign_in_form(&emulator, StatusCode::UNAUTHORIZED, &refusal.to_string()),
    }
}
