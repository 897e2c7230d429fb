//! The portal: server-rendered pages under `/portal/` where a person signs in, enrols an
//! authenticator app, looks after their sessions and signs out, and a tenant administrator
//! looks after the tenant's users and reads its audit trail. It is the hub's own first-party
//! client (the domain's `Portal`): the browser holds only an opaque cookie, every form carries a
//! CSRF token, and every page goes out with a strict content security policy (no script, no
//! style but the one style sheet). Each change goes through the same domain operation the API
//! or the admin CLI uses.

mod account;
mod admin;
mod browser;
mod error;
mod page;
mod sessions;
mod sign_in;
mod views;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use finhub_core::auth::PortalSession;
use finhub_core::error::AuthError;
use finhub_core::model::UserRole;

pub(crate) use browser::Browser;
pub(crate) use error::PortalError;
pub(crate) use page::{Nav, Page};

use crate::http::RequestFacts;
use crate::state::AppState;

pub(crate) use account::{
    get_factor, get_home, post_factor_confirm, post_factor_remove, post_factor_start,
    post_recovery_codes,
};
pub(crate) use admin::{get_audit, get_users, post_user_action};
pub(crate) use sessions::{get_sessions, post_end_others, post_end_session};
pub(crate) use sign_in::{
    get_sign_in, post_enrol_confirm, post_sign_in, post_sign_in_code, post_sign_out,
};

/// The portal's one style sheet.
const STYLE_SHEET: &str = include_str!("assets/portal.css");

/// `GET /portal/static/portal.css`.
pub(crate) async fn get_style_sheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        STYLE_SHEET,
    )
        .into_response()
}

/// `GET /portal`: the portal lives under `/portal/`.
pub(crate) async fn get_portal_root() -> Response {
    page::see_other("/portal/", None)
}

/// The security headers on every portal answer, whatever produced it.
pub(crate) async fn secure_pages(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    page::security_headers(response.headers_mut());
    response
}

/// A request to a page for a signed-in person: what it says about itself, the browser, and the
/// live portal session its cookie names. Anything else is answered with a page: signed out
/// (401), a certificate or address refusal (403).
pub(crate) struct SignedIn {
    pub(crate) facts: RequestFacts,
    pub(crate) browser: Browser,
    pub(crate) portal: PortalSession,
}

impl SignedIn {
    /// The navigation of this person's pages.
    pub(crate) fn nav(&self) -> Nav<'_> {
        Nav::SignedIn {
            username: self.portal.username.as_str(),
            admin: self.portal.role == UserRole::TenantAdmin,
        }
    }

    /// A refusal as a page under this person's navigation.
    pub(crate) fn refuse(&self, error: impl Into<PortalError>) -> Response {
        error.into().page(&self.browser, self.nav())
    }

    /// A page for this person.
    pub(crate) fn page(&self, title: &str, body: maud::Markup) -> Response {
        Page::ok(title, self.nav(), body).respond(&self.browser)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let browser = Browser::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let facts = RequestFacts::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let refuse = |error: PortalError| error.page(&browser, Nav::Anonymous);
        let Some(key) = browser.session_key() else {
            return Err(refuse(PortalError::SignedOut));
        };
        let portal = match state.portal.session(&facts.context, key).await {
            Ok(portal) => portal,
            Err(AuthError::InvalidToken(_)) => return Err(refuse(PortalError::SignedOut)),
            Err(other) => return Err(refuse(other.into())),
        };
        Ok(Self {
            facts,
            browser,
            portal,
        })
    }
}

/// A form as a page sends it: the CSRF token of the page's browser, and the form's own fields.
#[derive(serde::Deserialize)]
pub(crate) struct Posted<T> {
    csrf: Option<String>,
    #[serde(flatten)]
    fields: T,
}

/// A form with no fields of its own (its CSRF token only).
#[derive(serde::Deserialize)]
pub(crate) struct NoFields {}

/// The fields of a form `browser` sent from its current page (the form read, then its CSRF
/// token checked), or the refusal saying why not.
pub(crate) fn posted<T>(
    browser: &Browser,
    sent: Result<Form<Posted<T>>, FormRejection>,
) -> Result<T, PortalError> {
    let Posted { csrf, fields } = form(sent)?;
    browser.check_csrf(csrf.as_deref())?;
    Ok(fields)
}

/// The form a handler was sent, or a page saying it cannot be used.
fn form<T>(sent: Result<Form<T>, FormRejection>) -> Result<T, PortalError> {
    sent.map(|Form(form)| form).map_err(|rejection| {
        PortalError::BadForm(match rejection.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "The form was not sent as a web form".into(),
            StatusCode::PAYLOAD_TOO_LARGE => "The form is too large".into(),
            _ => "A field of the form is missing or cannot be read".into(),
        })
    })
}

/// A person's text field: trimmed, not empty, at most `max` characters.
pub(crate) fn field<'a>(value: &'a str, name: &str, max: usize) -> Result<&'a str, PortalError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(PortalError::BadForm(format!("{name} is required")));
    }
    if value.chars().count() > max {
        return Err(PortalError::BadForm(format!(
            "{name} is longer than {max} characters"
        )));
    }
    Ok(value)
}
