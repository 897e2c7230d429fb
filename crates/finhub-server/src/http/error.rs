//! The HTTP layer's one error type, [`ApiError`], the `From` impls through which every other
//! error reaches it (the domain's, the store's, the upstream clients', FINRA's), and the hub's
//! whole wire vocabulary: each error and reason mapped to a status, an error code, a description
//! and headers, in one exhaustive `match` per enum (no catch-all arm, so a new variant forces a
//! decision). The JSON envelope `{"error","error_description","requestId"}` is written by the
//! request-id middleware, which knows the id; it also logs the detail of a 500, once.
#![warn(clippy::wildcard_enum_match_arm)]

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use finhub_core::cert::CertificateProblem;
use finhub_core::error::{
    AccessDenial, AuthError, RequestProblem, ScopeRefusal, StoreError, TokenProblem,
};
use finhub_core::model::{TraqsEnvironment, TraqsFacility};
use finra_client::FinraError;
use secrecy::{ExposeSecret, SecretString};

use crate::upstream::{TraqsUnavailable, UpstreamError};

/// Everything the hub itself can refuse a request with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// A decision of the authentication service.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A required header is absent or empty.
    #[error("the {0} header is required")]
    MissingHeader(&'static str),
    /// A header that must appear once appears more than once.
    #[error("the {0} header must be sent exactly once")]
    DuplicateHeader(&'static str),
    /// A header's value is unusable.
    #[error("the {name} header is invalid: {reason}")]
    InvalidHeader {
        /// The header.
        name: &'static str,
        /// Why (never echoes the value).
        reason: &'static str,
    },
    /// The body is not `application/json` (UTF-8).
    #[error("unsupported content type")]
    UnsupportedMediaType,
    /// The body is not the JSON object the endpoint takes.
    #[error("invalid body: {0}")]
    InvalidBody(String),
    /// A field of a well-formed body is missing, not allowed with the others, or unusable.
    #[error("invalid field: {0}")]
    InvalidField(String),
    /// The query string cannot be forwarded as it is (not ASCII).
    #[error("the query string is not percent-encoded ASCII")]
    InvalidQuery,
    /// A result link that this hub did not seal, or that has expired.
    #[error("invalid or expired result link")]
    InvalidResultLink,
    /// The body is over the endpoint's limit.
    #[error("body over {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request's headers are over the hub's limit.
    #[error("request headers too large")]
    HeadersTooLarge,
    /// No route has this path.
    #[error("no such path")]
    NotFound,
    /// The path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// The methods the path takes, as the `Allow` header lists them.
        allow: String,
    },
    /// The request did not complete within the configured time, the hub's side.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The request's body stopped arriving within the configured time: the caller's side.
    #[error("the request body did not arrive within {0:?}")]
    RequestTimeout(Duration),
    /// The HTTP layer itself is miswired (e.g. no peer address).
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// FINRA could not be reached, or refused the tenant's stored credential; the detail is for
    /// the log only.
    #[error("upstream unavailable: {0}")]
    UpstreamUnavailable(String),
    /// FINRA did not answer in time.
    #[error("upstream timed out")]
    UpstreamTimeout,
    /// A TRAQS file that could not be had for a reason the caller is told.
    #[error("TRAQS: {0:?}")]
    Traqs(TraqsRefusal),
    /// The hub's own queue of calls to FINRA is full: FINRA's request rate (shared by every
    /// tenant) is taken for longer than a request may wait.
    #[error("the upstream queue is full")]
    UpstreamBusy {
        /// When a slot frees up.
        retry_after: Duration,
    },
}

/// Why a TRAQS file was not served, in words the caller gets.
#[derive(Debug)]
pub(crate) enum TraqsRefusal {
    /// The tenant has no TRAQS credential for the environment (502).
    NoCredential(TraqsEnvironment),
    /// TRAQS no longer accepts the tenant's refresh token (expired or revoked; 502): an
    /// administrator must renew it.
    RefreshTokenExpired(TraqsEnvironment),
    /// The tenant's TRAQS account is not entitled to the facility (403).
    NotEntitled(TraqsFacility),
    /// TRAQS has no such file for the facility (404).
    NoSuchFile {
        /// The facility.
        facility: TraqsFacility,
        /// The file asked for.
        file: String,
    },
}

/// A TRAQS client that could not be had: the missing credential is the caller's to know (502
/// naming the environment), the rest is for the log.
impl From<TraqsUnavailable> for ApiError {
    fn from(error: TraqsUnavailable) -> Self {
        match error {
            TraqsUnavailable::NoCredential(environment) => {
                Self::Traqs(TraqsRefusal::NoCredential(environment))
            }
            TraqsUnavailable::Unusable(_) => Self::UpstreamUnavailable(error.to_string()),
            TraqsUnavailable::Auth(error) => Self::Auth(error),
        }
    }
}

/// A storage failure met outside the domain's services: 500, the detail for the log.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Auth(AuthError::Store(error))
    }
}

/// A tenant's FINRA client that could not be had: 502 (the detail is for the log), or the
/// domain's own refusal.
impl From<UpstreamError> for ApiError {
    fn from(error: UpstreamError) -> Self {
        match error {
            UpstreamError::NoCredential(_) | UpstreamError::Unusable(_) => {
                Self::UpstreamUnavailable(error.to_string())
            }
            UpstreamError::Auth(error) => Self::Auth(error),
        }
    }
}

/// A failed call to FINRA: too slow → 504; the hub's bounded queue full → 429; anything else
/// (unreachable, FINRA refusing the tenant's credential) → 502 with FINRA's reason for the log
/// only.
impl From<FinraError> for ApiError {
    #[expect(
        clippy::wildcard_enum_match_arm,
        reason = "FinraError is non-exhaustive: whatever else it grows is FINRA being unavailable"
    )]
    fn from(error: FinraError) -> Self {
        match error {
            FinraError::Timeout { .. } => Self::UpstreamTimeout,
            FinraError::RateLimited { retry_after } => Self::UpstreamBusy {
                retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
            },
            FinraError::BadCredentials { .. } | FinraError::UnsupportedGrantType => {
                Self::UpstreamUnavailable(format!("FINRA refused the upstream credential: {error}"))
            }
            other => Self::UpstreamUnavailable(other.to_string()),
        }
    }
}

/// What an error becomes on the wire, before the request id is added.
#[derive(Debug)]
struct Mapping {
    status: StatusCode,
    code: &'static str,
    description: Cow<'static, str>,
    /// `WWW-Authenticate` value, for 401s: `realm="finhub"` tells a client that the hub, not
    /// FINRA (whose 401s pass through unchanged), refused.
    challenge: Option<&'static str>,
    /// `Retry-After`, for 429s.
    retry_after: Option<Duration>,
    /// `Allow`, for 405s.
    allow: Option<String>,
    /// Detail for the log (5xx only); never sent to the caller.
    internal: Option<String>,
    /// The enrolment token of `mfa_enrollment_required`, for the body.
    enrollment_token: Option<SecretString>,
}

impl Mapping {
    fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            challenge: None,
            retry_after: None,
            allow: None,
            internal: None,
            enrollment_token: None,
        }
    }

    fn invalid_request(status: StatusCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(status, "invalid_request", description)
    }

    fn internal(code: &'static str, detail: String) -> Self {
        Self {
            internal: Some(detail),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, code, "internal error")
        }
    }
}

/// Every `error` code the hub answers with (the API description lists them; a test checks that
/// the mappings use no other).
pub(crate) const ERROR_CODES: &[&str] = &[
    "invalid_request",
    "unsupported_grant_type",
    "unauthorized_client",
    "invalid_grant",
    "invalid_client",
    "mfa_required",
    "mfa_enrollment_required",
    "invalid_otp",
    "invalid_token",
    "insufficient_scope",
    "access_denied",
    "invalid_certificate",
    "not_found",
    "method_not_allowed",
    "request_timeout",
    "rate_limited",
    "server_error",
    "upstream_unavailable",
    "upstream_timeout",
];

/// Description of every bad credential on login: one text for all of them.
const INVALID_CLIENT: &str =
    "invalid credentials: verify username, password, customerId, customerSecret and accountType";

impl ApiError {
    /// The wire code (`error`) the caller gets, as the audit log records it.
    pub(crate) fn code(&self) -> &'static str {
        self.mapping().code
    }

    /// The status and description the API gives a refusal of the domain: for pages that show
    /// the same refusal in other clothes (the portal).
    pub(crate) fn explain_auth(error: &AuthError) -> (StatusCode, String) {
        let mapping = auth_mapping(error);
        (mapping.status, mapping.description.into_owned())
    }

    fn mapping(&self) -> Mapping {
        match self {
            Self::Auth(error) => auth_mapping(error),
            Self::MissingHeader(_) | Self::DuplicateHeader(_) | Self::InvalidHeader { .. } => {
                Mapping::invalid_request(StatusCode::BAD_REQUEST, self.to_string())
            }
            Self::InvalidBody(reason) | Self::InvalidField(reason) => {
                Mapping::invalid_request(StatusCode::BAD_REQUEST, reason.clone())
            }
            Self::InvalidQuery => Mapping::invalid_request(
                StatusCode::BAD_REQUEST,
                "the query string must be percent-encoded ASCII",
            ),
            Self::InvalidResultLink => Mapping::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                "the result link is invalid or has expired",
            ),
            Self::UnsupportedMediaType => Mapping::invalid_request(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be sent as Content-Type: application/json (UTF-8)",
            ),
            Self::BodyTooLarge { limit } => Mapping::invalid_request(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {limit} bytes"),
            ),
            Self::HeadersTooLarge => Mapping::invalid_request(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "the request headers are too large",
            ),
            Self::NotFound => Mapping::new(StatusCode::NOT_FOUND, "not_found", "no such path"),
            Self::MethodNotAllowed { allow } => Mapping {
                allow: Some(allow.clone()),
                ..Mapping::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "this path does not take this method",
                )
            },
            Self::Timeout(limit) => Mapping {
                internal: Some(self.to_string()),
                ..Mapping::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server_error",
                    format!("the request did not complete within {} s", limit.as_secs()),
                )
            },
            Self::RequestTimeout(limit) => Mapping::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body did not arrive within {} s",
                    limit.as_secs()
                ),
            ),
            Self::Internal(detail) => Mapping::internal("server_error", (*detail).to_owned()),
            Self::UpstreamUnavailable(detail) => Mapping {
                internal: Some(detail.clone()),
                ..Mapping::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_unavailable",
                    "FINRA is unavailable or refused the tenant's upstream credential",
                )
            },
            Self::UpstreamBusy { retry_after } => Mapping {
                retry_after: Some(*retry_after),
                ..Mapping::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!(
                        "FINRA's request rate is taken; retry after {} s",
                        retry_after_secs(*retry_after)
                    ),
                )
            },
            Self::Traqs(refusal) => traqs_mapping(refusal),
            Self::UpstreamTimeout => Mapping {
                internal: Some(self.to_string()),
                ..Mapping::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "upstream_timeout",
                    "FINRA did not answer in time",
                )
            },
        }
    }
}

fn traqs_mapping(refusal: &TraqsRefusal) -> Mapping {
    match refusal {
        TraqsRefusal::NoCredential(environment) => Mapping {
            internal: Some(format!("no TRAQS credential for {}", environment.as_str())),
            ..Mapping::new(
                StatusCode::BAD_GATEWAY,
                "upstream_unavailable",
                format!(
                    "the tenant has no TRAQS credential for {}: an administrator must set one \
                     (finhub admin traqs login)",
                    environment.as_str()
                ),
            )
        },
        TraqsRefusal::RefreshTokenExpired(environment) => Mapping {
            internal: Some(format!(
                "TRAQS refused the tenant's {} refresh token as expired",
                environment.as_str()
            )),
            ..Mapping::new(
                StatusCode::BAD_GATEWAY,
                "upstream_unavailable",
                format!(
                    "the tenant's TRAQS refresh token for {} has expired or was revoked: an \
                     administrator must renew it (finhub admin traqs login)",
                    environment.as_str()
                ),
            )
        },
        TraqsRefusal::NotEntitled(facility) => Mapping::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!(
                "the tenant's TRAQS account is not entitled to {} files",
                facility.as_str()
            ),
        ),
        TraqsRefusal::NoSuchFile { facility, file } => Mapping::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("TRAQS has no file {file} for {}", facility.as_str()),
        ),
    }
}

fn auth_mapping(error: &AuthError) -> Mapping {
    match error {
        AuthError::InvalidRequest(problem) => Mapping::invalid_request(
            StatusCode::BAD_REQUEST,
            request_problem_description(*problem),
        ),
        AuthError::UnsupportedGrantType => Mapping::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grantType must be exactly password, client_credentials or refresh_token",
        ),
        AuthError::UnauthorizedClient => Mapping::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "this customer may not use the client_credentials grant",
        ),
        AuthError::InvalidGrant => Mapping::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the refresh token is invalid, expired, revoked or was already used",
        ),
        AuthError::InvalidClient => Mapping {
            challenge: Some("Bearer realm=\"finhub\""),
            ..Mapping::new(StatusCode::UNAUTHORIZED, "invalid_client", INVALID_CLIENT)
        },
        AuthError::InvalidToken(problem) => Mapping {
            challenge: Some("Bearer realm=\"finhub\", error=\"invalid_token\""),
            ..Mapping::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                token_problem_description(*problem),
            )
        },
        AuthError::InsufficientScope(refusal) => Mapping::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            scope_refusal_description(refusal),
        ),
        AuthError::AccessDenied(denial) => Mapping::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            access_denial_description(*denial),
        ),
        AuthError::InvalidCertificate(problem) => Mapping::new(
            StatusCode::FORBIDDEN,
            "invalid_certificate",
            certificate_problem_description(*problem),
        ),
        AuthError::MfaRequired => Mapping {
            challenge: Some("Bearer realm=\"finhub\""),
            ..Mapping::new(
                StatusCode::UNAUTHORIZED,
                "mfa_required",
                "a second factor is required: send otp (the code of your authenticator app) or \
                 recoveryCode",
            )
        },
        AuthError::MfaEnrollmentRequired(token) => Mapping {
            challenge: Some("Bearer realm=\"finhub\""),
            enrollment_token: Some(token.0.clone()),
            ..Mapping::new(
                StatusCode::UNAUTHORIZED,
                "mfa_enrollment_required",
                "this tenant requires a second factor: enrol one under /v1/mfa with the \
                 enrollmentToken (good for 10 minutes)",
            )
        },
        AuthError::InvalidOtp => Mapping {
            challenge: Some("Bearer realm=\"finhub\""),
            ..Mapping::new(
                StatusCode::UNAUTHORIZED,
                "invalid_otp",
                "the second-factor code is wrong, was already used, or is not a code",
            )
        },
        AuthError::RateLimited { retry_after } => Mapping {
            retry_after: Some(*retry_after),
            ..Mapping::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too many requests; retry after {} s",
                    retry_after_secs(*retry_after)
                ),
            )
        },
        AuthError::Store(_) | AuthError::Internal(_) => {
            Mapping::internal("server_error", error_chain(error))
        }
    }
}

fn request_problem_description(problem: RequestProblem) -> String {
    match problem {
        RequestProblem::PasswordLength { max } => format!("a password is 1 to {max} bytes"),
        RequestProblem::MfaOffInProduction => {
            "the production profile refuses the second-factor policy off".to_owned()
        }
        RequestProblem::PasswordRequired => {
            "password is required to change a second factor from a session".to_owned()
        }
        RequestProblem::NoPendingEnrolment => {
            "no enrolment is pending: start one with POST /v1/mfa/totp".to_owned()
        }
        RequestProblem::NoFactor => "no second factor is enrolled".to_owned(),
        RequestProblem::TraqsUsernameMissing | RequestProblem::TraqsBaseUrl => problem.to_string(),
    }
}

fn token_problem_description(problem: TokenProblem) -> &'static str {
    match problem {
        TokenProblem::Missing => {
            "a session token is required (Authorization: Bearer <userSessionToken>)"
        }
        TokenProblem::Invalid => "the session token is malformed, forged or not issued by this hub",
        TokenProblem::SessionExpired => "the session has expired; log in again",
        TokenProblem::AccessTokenExpired => "the access token has expired; log in again",
        TokenProblem::Revoked => "the session has been ended or revoked",
        TokenProblem::CertificateMismatch => {
            "the session token is bound to another client certificate; use it over the \
             connection it was issued on"
        }
    }
}

fn scope_refusal_description(refusal: &ScopeRefusal) -> Cow<'static, str> {
    match refusal {
        ScopeRefusal::OtherUsersToken => "the token to refresh belongs to another user".into(),
        ScopeRefusal::GroupOutsideScope { group } => {
            format!("the dataset group {group} is outside the session's scope").into()
        }
        ScopeRefusal::MachineSession => {
            "only a person's session has a second factor; this session is a machine's".into()
        }
        ScopeRefusal::FacilityOutsideScope { facility } => format!(
            "the TRAQS facility {} is outside the session's scope (traqs:{0} is not granted)",
            facility.as_str()
        )
        .into(),
    }
}

fn access_denial_description(denial: AccessDenial) -> &'static str {
    match denial {
        AccessDenial::AddressNotAllowed => "the client address is not in the tenant's allow-list",
        AccessDenial::NoAllowList => {
            "the tenant has no address allow-list, which this profile requires"
        }
        AccessDenial::TenantMismatch => "X-Tenant-ID does not name the session's tenant",
        AccessDenial::SecondFactorOff => "second factors are turned off for this tenant",
        AccessDenial::WrongPassword => "the password is wrong",
    }
}

fn certificate_problem_description(problem: CertificateProblem) -> &'static str {
    match problem {
        CertificateProblem::Missing => "a client certificate is required (mutual TLS)",
        CertificateProblem::Expired => "the client certificate has expired",
        CertificateProblem::NotYetValid => "the client certificate is not valid yet",
        CertificateProblem::Revoked => "the client certificate has been revoked",
        CertificateProblem::SelfSigned => "the client certificate is self-signed and not trusted",
        CertificateProblem::UnknownIssuer => "the client certificate is not issued by a trusted CA",
        CertificateProblem::WrongKeyUsage => {
            "the client certificate is not valid for client authentication"
        }
        CertificateProblem::RevocationUnusable => {
            "the revocation status of the client certificate cannot be established"
        }
        CertificateProblem::Invalid => "the client certificate is invalid",
        CertificateProblem::NotBound => "the client certificate is not bound to this customer",
    }
}

/// Whole seconds, rounded up, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// An error and its sources, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The error an answer carries, for the request-id middleware to render and log.
#[derive(Debug, Clone)]
pub(crate) struct ErrorReport {
    /// The wire `error` code.
    pub(crate) code: &'static str,
    /// The wire `error_description`.
    pub(crate) description: Arc<str>,
    /// Detail for the log only.
    pub(crate) internal: Option<Arc<str>>,
    /// The enrolment token `mfa_enrollment_required` adds to the body.
    pub(crate) enrollment_token: Option<SecretString>,
}

/// The one JSON envelope of every error the hub answers itself.
#[derive(serde::Serialize)]
struct Envelope<'a> {
    error: &'a str,
    error_description: &'a str,
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(rename = "enrollmentToken", skip_serializing_if = "Option::is_none")]
    enrollment_token: Option<&'a str>,
}

impl ErrorReport {
    /// The envelope body with the request id.
    pub(crate) fn envelope(&self, request_id: &str) -> Body {
        let envelope = Envelope {
            error: self.code,
            error_description: &self.description,
            request_id,
            enrollment_token: self
                .enrollment_token
                .as_ref()
                .map(ExposeSecret::expose_secret),
        };
        Body::from(serde_json::to_vec(&envelope).unwrap_or_default())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mapping = self.mapping();
        let mut response = (mapping.status, Body::empty()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(challenge) = mapping.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(allow) = mapping.allow.and_then(|a| HeaderValue::try_from(a).ok()) {
            headers.insert(header::ALLOW, allow);
        }
        if let Some(wait) = mapping.retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(wait)),
            );
        }
        response.extensions_mut().insert(ErrorReport {
            code: mapping.code,
            description: Arc::from(mapping.description),
            internal: mapping.internal.map(Arc::from),
            enrollment_token: mapping.enrollment_token,
        });
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_at_least_one() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(500)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(900)), 900);
    }

    #[test]
    fn certificate_problems_are_403_invalid_certificate() {
        use finhub_core::cert::CertificateProblem;
        let mapping =
            ApiError::Auth(AuthError::InvalidCertificate(CertificateProblem::Revoked)).mapping();
        assert_eq!(mapping.status, StatusCode::FORBIDDEN);
        assert_eq!(mapping.code, "invalid_certificate");
        assert_eq!(
            mapping.description,
            "the client certificate has been revoked"
        );
        assert!(mapping.challenge.is_none());
    }

    #[test]
    fn failed_upstream_calls_map_to_504_429_and_502_without_their_detail() {
        let timeout = ApiError::from(FinraError::Timeout { what: "x".into() }).mapping();
        assert_eq!(
            (timeout.status, timeout.code),
            (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout")
        );
        let busy = ApiError::from(FinraError::RateLimited { retry_after: None }).mapping();
        assert_eq!(
            (busy.status, busy.code),
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        );
        assert_eq!(busy.retry_after, Some(Duration::from_secs(1)));
        let refused = ApiError::from(FinraError::BadCredentials {
            reason: "Invalid Credentials".into(),
            code: "invalid_client".into(),
        })
        .mapping();
        assert_eq!(
            (refused.status, refused.code),
            (StatusCode::BAD_GATEWAY, "upstream_unavailable")
        );
        assert!(!refused.description.contains("Invalid Credentials"));
        assert!(
            refused
                .internal
                .is_some_and(|detail| detail.contains("Invalid Credentials"))
        );
    }

    /// The audit log names an outcome as the wire does.
    #[test]
    fn every_domain_error_has_the_wire_code_the_audit_log_writes() {
        let errors = [
            AuthError::InvalidRequest(RequestProblem::PasswordLength { max: 1 }),
            AuthError::UnsupportedGrantType,
            AuthError::UnauthorizedClient,
            AuthError::InvalidGrant,
            AuthError::InvalidClient,
            AuthError::InvalidToken(TokenProblem::Revoked),
            AuthError::InsufficientScope(ScopeRefusal::OtherUsersToken),
            AuthError::InvalidCertificate(CertificateProblem::NotBound),
            AuthError::AccessDenied(AccessDenial::TenantMismatch),
            AuthError::MfaRequired,
            AuthError::MfaEnrollmentRequired(finhub_core::error::EnrollmentToken(
                SecretString::from("t"),
            )),
            AuthError::InvalidOtp,
            AuthError::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            AuthError::Store(StoreError::Corrupt("x".into())),
            AuthError::Internal("x".into()),
        ];
        for error in errors {
            assert_eq!(auth_mapping(&error).code, error.code(), "{error:?}");
            assert!(ERROR_CODES.contains(&error.code()), "{error:?}");
        }
    }

    /// The API description's list of codes is the one the mappings use.
    #[test]
    fn every_error_the_hub_answers_has_a_documented_code() {
        let errors = [
            ApiError::MissingHeader("X-Tenant-ID"),
            ApiError::UnsupportedMediaType,
            ApiError::InvalidResultLink,
            ApiError::BodyTooLarge { limit: 1 },
            ApiError::HeadersTooLarge,
            ApiError::NotFound,
            ApiError::MethodNotAllowed {
                allow: "GET".into(),
            },
            ApiError::Timeout(Duration::from_secs(1)),
            ApiError::RequestTimeout(Duration::from_secs(1)),
            ApiError::Internal("x"),
            ApiError::UpstreamUnavailable("x".into()),
            ApiError::UpstreamTimeout,
            ApiError::UpstreamBusy {
                retry_after: Duration::from_secs(1),
            },
            ApiError::Traqs(TraqsRefusal::NotEntitled(TraqsFacility::Orf)),
            ApiError::Traqs(TraqsRefusal::NoCredential(TraqsEnvironment::Ntf)),
        ];
        for error in errors {
            assert!(ERROR_CODES.contains(&error.code()), "{error:?}");
        }
    }

    #[test]
    fn server_errors_never_show_their_detail() {
        let error = ApiError::Auth(AuthError::Internal("secret detail".into()));
        let mapping = error.mapping();
        assert_eq!(mapping.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(mapping.code, "server_error");
        assert_eq!(mapping.description, "internal error");
        assert!(
            mapping
                .internal
                .is_some_and(|d| d.contains("secret detail"))
        );
    }
}
