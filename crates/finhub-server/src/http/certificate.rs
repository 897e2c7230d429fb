//! The client-certificate gate in front of every route served over TLS: a connection whose
//! certificate failed validation, or that presented none where the profile requires one, gets
//! `403 invalid_certificate` in the error envelope (audited) whatever it asks for. Whether a valid
//! certificate is bound to the customer a request claims is the authentication service's
//! decision, made on the login and on every session call before the credentials.

use axum::extract::{FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use finhub_core::error::AuthError;

use super::context::RequestFacts;
use super::error::ApiError;
use crate::state::AppState;
use crate::tls::TlsConnectionInfo;

/// Why the request's connection is refused by the certificate policy, if it is. Requests that
/// did not come through `serve_tls` pass (no TLS, no certificate policy).
pub(crate) fn refusal(state: &AppState, request: &Request) -> Option<AuthError> {
    let tls = request.extensions().get::<TlsConnectionInfo>()?;
    state
        .sessions
        .check_client_certificate(&tls.client_certificate)
        .err()
}

/// The answer to a request the certificate policy refused, audited.
pub(crate) async fn refuse(state: AppState, request: Request, error: AuthError) -> Response {
    let (mut parts, _body) = request.into_parts();
    match RequestFacts::from_request_parts(&mut parts, &state).await {
        Ok(facts) => {
            state.sessions.audit_refusal(&facts.context, &error).await;
            ApiError::Auth(error).into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}
