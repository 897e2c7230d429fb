//! The domain's errors: what went wrong, in terms of what the caller can do about it. The server
//! maps each variant to a status and error code in one exhaustive `match`.

use std::time::Duration;

use crate::cert::CertificateProblem;

/// A boxed error from a storage backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record with the same key exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// The referenced record does not exist (for updates).
    #[error("{0} not found")]
    NotFound(String),
    /// The backend cannot be reached or failed.
    #[error("storage unavailable")]
    Unavailable(#[source] BoxError),
    /// A stored value could not be read back.
    #[error("corrupt stored record: {0}")]
    Corrupt(String),
}

/// Why a session token or session was refused (all answer 401 `invalid_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a well-formed, correctly signed session token of this hub.
    Invalid,
    /// Past the session's absolute lifetime.
    SessionExpired,
    /// The session's access token has expired (refresh in time, or log in again).
    AccessTokenExpired,
    /// Logged out, revoked, or unknown.
    Revoked,
    /// Bound to a client certificate (RFC 8705 `cnf.x5t#S256`) other than the connection's.
    CertificateMismatch,
}

impl TokenProblem {
    /// The `error_description` for this problem.
    pub fn description(self) -> &'static str {
        match self {
            Self::Missing => {
                "a session token is required (Authorization: Bearer <userSessionToken>)"
            }
            Self::Invalid => "the session token is malformed, forged or not issued by this hub",
            Self::SessionExpired => "the session has expired; log in again",
            Self::AccessTokenExpired => "the access token has expired; log in again",
            Self::Revoked => "the session has been ended or revoked",
            Self::CertificateMismatch => {
                "the session token is bound to another client certificate; use it over the \
                 connection it was issued on"
            }
        }
    }
}

/// An authentication or authorization failure.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request is malformed (400 `invalid_request`).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// `grantType` is not one the hub supports (400).
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    /// The customer may not use this grant (400 `unauthorized_client`).
    #[error("this customer may not use the client_credentials grant")]
    UnauthorizedClient,
    /// A refresh token that is unknown, expired, revoked or reused (400 `invalid_grant`).
    #[error("invalid refresh token")]
    InvalidGrant,
    /// Any bad credential on login; one answer for all of them (401 `invalid_client`).
    #[error("invalid credentials")]
    InvalidClient,
    /// A session token or session that cannot be used (401 `invalid_token`).
    #[error("invalid token: {}", .0.description())]
    InvalidToken(TokenProblem),
    /// Asking for something outside the session's rights (403 `insufficient_scope`).
    #[error("insufficient scope: {0}")]
    InsufficientScope(String),
    /// The client certificate is missing (where required), invalid, or not bound to the customer
    /// the request claims (403 `invalid_certificate`).
    #[error("invalid client certificate: {}", .0.description())]
    InvalidCertificate(CertificateProblem),
    /// Refused by policy: address outside the allow-list, tenant mismatch (403 `access_denied`).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// Too many attempts (429 with `Retry-After`).
    #[error("rate limited")]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Storage failed (500).
    #[error("storage failure")]
    Store(#[from] StoreError),
    /// Any other fault of the hub (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl AuthError {
    /// The wire `error` code of this error, as the error envelope and the audit log write it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidClient => "invalid_client",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::InvalidCertificate(_) => "invalid_certificate",
            Self::AccessDenied(_) => "access_denied",
            Self::RateLimited { .. } => "rate_limited",
            Self::Store(_) | Self::Internal(_) => "server_error",
        }
    }
}
