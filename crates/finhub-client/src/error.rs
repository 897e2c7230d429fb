//! [`HubError`]: everything a hub call can fail with — one variant per error code the hub
//! answers with (its JSON envelope `{"error", "error_description", "requestId"}`), and the
//! failures of getting an answer at all. Never holds a secret.

use std::time::Duration;

use serde::Deserialize;

/// A failed call to a FinHub.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// `400 invalid_request`: a header, the body or a field is malformed or missing.
    #[error("the hub refused the request as malformed: {0}")]
    InvalidRequest(Refusal),
    /// `400 unsupported_grant_type`.
    #[error("the hub does not know this grant: {0}")]
    UnsupportedGrantType(Refusal),
    /// `400 unauthorized_client`: `client_credentials` for a `b2c` customer.
    #[error("this customer may not use the client_credentials grant: {0}")]
    UnauthorizedClient(Refusal),
    /// `400 invalid_grant`: the refresh token is unknown, expired, revoked or was used twice.
    #[error("the refresh token is no longer valid: log in again ({0})")]
    InvalidGrant(Refusal),
    /// `401 invalid_client`: any bad login credential (one answer for all).
    #[error("the hub refused the credentials: {0}")]
    InvalidClient(Refusal),
    /// `401 mfa_required`: the password was right; log in again with a code of the person's
    /// authenticator app (or a recovery code).
    #[error("a second factor is required: log in again with the code of your authenticator app")]
    MfaRequired(Refusal),
    /// `401 mfa_enrollment_required`: the tenant requires a second factor and the person has
    /// none yet; enrol under `/v1/mfa` with the enrolment token (the portal does it).
    #[error("this tenant requires a second factor: enrol one first ({0})")]
    EnrollmentRequired(Refusal),
    /// `401 invalid_otp`: a wrong, replayed or malformed code or recovery code.
    #[error("the code was not accepted: {0}")]
    InvalidOtp(Refusal),
    /// `401 invalid_token`: the session token is missing, malformed, expired or has ended.
    #[error("the session is not valid: {0}")]
    InvalidToken(Refusal),
    /// `403 insufficient_scope`.
    #[error("outside the session's scope: {0}")]
    InsufficientScope(Refusal),
    /// `403 access_denied`.
    #[error("access denied: {0}")]
    AccessDenied(Refusal),
    /// `403 invalid_certificate`: the client certificate is missing, invalid or not bound to
    /// the customer.
    #[error("the hub refused the client certificate: {0}")]
    InvalidCertificate(Refusal),
    /// `404 not_found`.
    #[error("not found: {0}")]
    NotFound(Refusal),
    /// `405 method_not_allowed`.
    #[error("method not allowed: {0}")]
    MethodNotAllowed(Refusal),
    /// `408 request_timeout`: the request's body stopped arriving.
    #[error("the request timed out on the way to the hub: {0}")]
    RequestTimeout(Refusal),
    /// `429 rate_limited`: wait `retry_after` before trying again.
    #[error("too many requests; retry after {retry_after:?}: {refusal}")]
    RateLimited {
        /// The hub's answer.
        refusal: Refusal,
        /// Its `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// `500` or `503 server_error`: the hub's own fault; the request id ties it to its log.
    #[error("the hub failed: {0}")]
    Server(Refusal),
    /// `502 upstream_unavailable`: FINRA or TRAQS unreachable, or refusing the tenant's
    /// credential.
    #[error("FINRA is unavailable through the hub: {0}")]
    UpstreamUnavailable(Refusal),
    /// `504 upstream_timeout`.
    #[error("FINRA did not answer the hub in time: {0}")]
    UpstreamTimeout(Refusal),
    /// An error code this client does not know (a newer hub).
    #[error("the hub answered {status} {}", .refusal)]
    Other {
        /// The HTTP status.
        status: u16,
        /// The hub's answer.
        refusal: Refusal,
    },
    /// An answer that is not the hub's (no envelope, or not the JSON the route returns): a
    /// wrong URL, or something else in between.
    #[error("unexpected answer from {what}: HTTP {status}{}", if .detail.is_empty() { String::new() } else { format!(": {}", .detail) })]
    Unexpected {
        /// What was asked.
        what: &'static str,
        /// The HTTP status.
        status: u16,
        /// Why it could not be read (never the body of a token answer).
        detail: String,
    },
    /// The hub could not be reached (connection, TLS, timeout). URLs are stripped.
    #[error("could not reach the hub: {0}")]
    Transport(#[source] reqwest::Error),
    /// The session has ended and cannot be renewed (no refresh token, or the grant was
    /// refused): log in again.
    #[error("the session has ended and cannot be renewed: log in again")]
    SessionEnded,
    /// No session: log in first.
    #[error("not logged in")]
    NotLoggedIn,
    /// A setting the client was built with is unusable.
    #[error("{0}")]
    Config(String),
    /// The session file could not be read or written.
    #[error("session file {path}: {reason}")]
    SessionFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// What the hub said when it refused: its code, description and request id.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The `error` code, e.g. `invalid_token`.
    pub code: String,
    /// The `error_description`.
    pub description: String,
    /// The `requestId` (also the answer's `X-Request-Id`).
    pub request_id: String,
    /// The enrolment token of `mfa_enrollment_required` (for the enrolment endpoints).
    enrollment_token: Option<secrecy::SecretString>,
}

impl Refusal {
    /// The enrolment token of an [`HubError::EnrollmentRequired`], for `/v1/mfa`.
    pub fn enrollment_token(&self) -> Option<&secrecy::SecretString> {
        self.enrollment_token.as_ref()
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, request {})",
            self.description, self.code, self.request_id
        )
    }
}

/// The hub's JSON envelope.
#[derive(Deserialize)]
struct Envelope {
    error: String,
    error_description: String,
    #[serde(rename = "requestId")]
    request_id: String,
    #[serde(rename = "enrollmentToken")]
    enrollment_token: Option<String>,
}

impl HubError {
    /// The typed error of a hub's error answer, or [`HubError::Unexpected`] when the body is
    /// not the hub's envelope.
    pub(crate) fn from_answer(
        what: &'static str,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else {
            return Self::Unexpected {
                what,
                status,
                detail: "not a FinHub error answer".to_owned(),
            };
        };
        let refusal = Refusal {
            code: envelope.error,
            description: envelope.error_description,
            request_id: envelope.request_id,
            enrollment_token: envelope.enrollment_token.map(secrecy::SecretString::from),
        };
        Self::from_refusal(status, refusal, retry_after)
    }

    /// The variant of a refusal's code.
    fn from_refusal(status: u16, refusal: Refusal, retry_after: Option<Duration>) -> Self {
        match refusal.code.as_str() {
            "invalid_request" => Self::InvalidRequest(refusal),
            "unsupported_grant_type" => Self::UnsupportedGrantType(refusal),
            "unauthorized_client" => Self::UnauthorizedClient(refusal),
            "invalid_grant" => Self::InvalidGrant(refusal),
            "invalid_client" => Self::InvalidClient(refusal),
            "mfa_required" => Self::MfaRequired(refusal),
            "mfa_enrollment_required" => Self::EnrollmentRequired(refusal),
            "invalid_otp" => Self::InvalidOtp(refusal),
            "invalid_token" => Self::InvalidToken(refusal),
            "insufficient_scope" => Self::InsufficientScope(refusal),
            "access_denied" => Self::AccessDenied(refusal),
            "invalid_certificate" => Self::InvalidCertificate(refusal),
            "not_found" => Self::NotFound(refusal),
            "method_not_allowed" => Self::MethodNotAllowed(refusal),
            "request_timeout" => Self::RequestTimeout(refusal),
            "rate_limited" => Self::RateLimited {
                refusal,
                retry_after,
            },
            "server_error" => Self::Server(refusal),
            "upstream_unavailable" => Self::UpstreamUnavailable(refusal),
            "upstream_timeout" => Self::UpstreamTimeout(refusal),
            _ => Self::Other { status, refusal },
        }
    }

    /// The hub's refusal, when the hub refused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Self::InvalidRequest(r)
            | Self::UnsupportedGrantType(r)
            | Self::UnauthorizedClient(r)
            | Self::InvalidGrant(r)
            | Self::InvalidClient(r)
            | Self::MfaRequired(r)
            | Self::EnrollmentRequired(r)
            | Self::InvalidOtp(r)
            | Self::InvalidToken(r)
            | Self::InsufficientScope(r)
            | Self::AccessDenied(r)
            | Self::InvalidCertificate(r)
            | Self::NotFound(r)
            | Self::MethodNotAllowed(r)
            | Self::RequestTimeout(r)
            | Self::Server(r)
            | Self::UpstreamUnavailable(r)
            | Self::UpstreamTimeout(r)
            | Self::RateLimited { refusal: r, .. }
            | Self::Other { refusal: r, .. } => Some(r),
            Self::Unexpected { .. }
            | Self::Transport(_)
            | Self::SessionEnded
            | Self::NotLoggedIn
            | Self::Config(_)
            | Self::SessionFile { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_becomes_the_variant_of_its_code() {
        let body = br#"{"error":"mfa_required","error_description":"a second factor is required","requestId":"r1"}"#;
        let error = HubError::from_answer("the login", 401, None, body);
        assert!(matches!(&error, HubError::MfaRequired(r) if r.request_id == "r1"));
        let limited = HubError::from_answer(
            "x",
            429,
            Some(Duration::from_secs(3)),
            br#"{"error":"rate_limited","error_description":"d","requestId":"r"}"#,
        );
        assert!(matches!(
            limited,
            HubError::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(3)
        ));
        let unknown = HubError::from_answer(
            "x",
            418,
            None,
            br#"{"error":"teapot","error_description":"d","requestId":"r"}"#,
        );
        assert!(matches!(unknown, HubError::Other { status: 418, .. }));
        let html = HubError::from_answer("the login", 502, None, b"<html>bad gateway</html>");
        assert!(matches!(html, HubError::Unexpected { status: 502, .. }));
    }

    /// Every code the hub's API description lists has a variant of its own.
    #[test]
    fn every_code_the_hub_answers_with_has_its_own_variant() {
        let document: serde_json::Value =
            serde_json::from_str(finhub_server::http::openapi::document_json()).expect("JSON");
        let codes = document["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
            .as_array()
            .expect("the documented codes");
        assert!(codes.len() > 10);
        for code in codes {
            let code = code.as_str().expect("a code");
            let body = serde_json::json!({
                "error": code,
                "error_description": "d",
                "requestId": "r",
            });
            let error = HubError::from_answer("x", 400, None, body.to_string().as_bytes());
            assert!(
                !matches!(error, HubError::Other { .. } | HubError::Unexpected { .. }),
                "{code}"
            );
            assert_eq!(error.refusal().map(|r| r.code.as_str()), Some(code));
        }
    }

    #[test]
    fn the_enrolment_token_is_kept_out_of_debug_and_display() {
        let body = br#"{"error":"mfa_enrollment_required","error_description":"enrol","requestId":"r","enrollmentToken":"eyJ.secret.tok"}"#;
        let error = HubError::from_answer("the login", 401, None, body);
        let token = error
            .refusal()
            .and_then(Refusal::enrollment_token)
            .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned());
        assert_eq!(token.as_deref(), Some("eyJ.secret.tok"));
        assert!(!format!("{error:?} {error}").contains("secret.tok"));
    }
}
