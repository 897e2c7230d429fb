//! What the portal refuses with, as a page that says what happened and what to do next: the
//! domain's refusals keep the status the API gives them, in words for a person; the portal's
//! own (a form from elsewhere, a session that ended, a page for administrators) are mapped here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use finhub_core::error::{AccessDenial, AuthError, StoreError, TokenProblem};
use maud::html;

use super::browser::Browser;
use super::page::{Nav, Page};
use crate::http::{ApiError, retry_after_secs};

/// A refusal of the portal.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PortalError {
    /// A decision of the domain.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A form without this browser's CSRF token (from another page, another session, or from
    /// before signing in or out).
    #[error("the form's CSRF token is missing or not this browser's")]
    Csrf,
    /// The cookie names no live portal session (signed out, ended, expired, or none).
    #[error("not signed in")]
    SignedOut,
    /// A page for the tenant's administrators.
    #[error("for tenant administrators only")]
    NotAdministrator,
    /// A form or query that cannot be used as sent.
    #[error("bad form: {0}")]
    BadForm(String),
    /// No such page or record.
    #[error("not found")]
    NotFound,
}

impl PortalError {
    /// Status, title and what to do.
    fn explain(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from this browser's current page (it may be from \
                 before you signed in or out, or from another site). Go back, reload the page \
                 and send it again."
                    .into(),
            ),
            Self::SignedOut => (
                StatusCode::UNAUTHORIZED,
                "You are signed out",
                "Your portal session has ended (you signed out, it was ended from another \
                 device or by an administrator, or it expired). Sign in again."
                    .into(),
            ),
            Self::NotAdministrator => (
                StatusCode::FORBIDDEN,
                "For tenant administrators",
                "This page is for your tenant's administrators. Ask one if you need a change \
                 to another user."
                    .into(),
            ),
            Self::BadForm(what) => (
                StatusCode::BAD_REQUEST,
                "This request cannot be used",
                format!("{what}. Go back and correct it."),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such page or record. It may have been removed meanwhile.".into(),
            ),
            Self::Auth(error) => explain_auth(error),
        }
    }

    /// The refusal as a page for `browser`, under its navigation.
    pub(crate) fn page(&self, browser: &Browser, nav: Nav<'_>) -> Response {
        let (status, title, advice) = self.explain();
        if status.is_server_error() {
            tracing::error!(error = %self, "the portal failed");
        }
        let back = match self {
            Self::SignedOut => Some(("/portal/sign-in", "Sign in")),
            Self::Csrf | Self::NotAdministrator | Self::NotFound => Some(("/portal/", "Home")),
            Self::BadForm(_) | Self::Auth(_) => None,
        };
        let body = html! {
            p class="problem" role="alert" { (advice) }
            @if let Some((href, label)) = back { p { a href=(href) { (label) } } }
        };
        let mut response = Page {
            title,
            nav,
            status,
            body,
        }
        .respond(browser);
        if let Self::Auth(AuthError::RateLimited { retry_after }) = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs(*retry_after).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// The domain's refusal for a person: the API's status; words of the portal's own for the
/// refusals a person meets there, the API's description for the rest.
fn explain_auth(error: &AuthError) -> (StatusCode, &'static str, String) {
    if let AuthError::Store(StoreError::NotFound(_)) = error {
        return PortalError::NotFound.explain();
    }
    let (status, description) = ApiError::explain_auth(error);
    let (title, advice) = match error {
        AuthError::InvalidClient => (
            "Sign-in refused",
            "The tenant, username or password is wrong, or the account is disabled. Check them \
             and try again."
                .to_owned(),
        ),
        AuthError::InvalidOtp => (
            "That code did not work",
            "The code is wrong, was already used, or has expired. Wait for the next code in \
             your authenticator app and try again, or use a recovery code."
                .to_owned(),
        ),
        AuthError::RateLimited { .. } => ("Too many attempts", format!("{description}.")),
        AuthError::InvalidToken(TokenProblem::SessionExpired) => (
            "This step has expired",
            "Too much time passed since you entered your password. Sign in again.".to_owned(),
        ),
        AuthError::InvalidToken(_) => (
            "This step is no longer valid",
            "Start again from the sign-in page.".to_owned(),
        ),
        AuthError::AccessDenied(AccessDenial::WrongPassword) => (
            "Wrong password",
            "The password you entered to confirm this change is wrong. Try again.".to_owned(),
        ),
        AuthError::MfaRequired => (
            "A code is needed",
            "Enter a code from your authenticator app to confirm this change.".to_owned(),
        ),
        _ if status.is_server_error() => (
            "Something went wrong",
            "FinHub could not complete this. Try again in a moment; if it keeps happening, \
             tell your administrator the time it happened."
                .to_owned(),
        ),
        _ => ("Not allowed", format!("{description}.")),
    };
    (status, title, advice)
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        // Without the request's browser: no cookie is set or changed.
        self.page(&Browser::unknown(), Nav::Anonymous)
    }
}
