//! The client-certificate gate in front of every route served over TLS: a connection whose
//! certificate failed validation, or that presented none where the profile requires one, gets
//! `403 invalid_certificate` in the error envelope (audited) whatever it asks for. Whether a valid
//! certificate is bound to the customer a request claims is the authentication service's
//! decision, made on the login and on every session call before the credentials.

use axum::extract::{FromRequestParts, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::context::RequestFacts;
use super::error::ApiError;
use crate::state::AppState;
use crate::tls::TlsConnectionInfo;

/// Refuses requests whose connection's certificate is invalid, or missing where required.
/// Requests that did not come through `serve_tls` pass (no TLS, no certificate policy).
pub(crate) async fn require_valid_certificate(
    state: &AppState,
    request: Request,
    next: Next,
) -> Response {
    let refusal = match request.extensions().get::<TlsConnectionInfo>() {
        Some(tls) => state
            .sessions
            .check_client_certificate(&tls.client_certificate)
            .err(),
        None => None,
    };
    let Some(error) = refusal else {
        return next.run(request).await;
    };
    let (mut parts, _body) = request.into_parts();
    match RequestFacts::from_request_parts(&mut parts, state).await {
        Ok(facts) => {
            state.sessions.audit_refusal(&facts.context, &error).await;
            ApiError::Auth(error).into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}
