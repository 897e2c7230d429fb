//! The domain's errors: what went wrong, in terms of what the caller can do about it, each
//! refusal with an enum of its reasons. The server maps each variant and reason to a status,
//! an error code and a description in one exhaustive `match`.

use std::time::Duration;

use secrecy::SecretString;

use crate::cert::CertificateProblem;
use crate::model::TraqsFacility;

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

/// Why a request was refused by policy (403 `access_denied`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessDenial {
    /// The client address is not on the tenant's allow-list.
    AddressNotAllowed,
    /// The tenant has no allow-list, which the profile requires.
    NoAllowList,
    /// `X-Tenant-ID` names another tenant than the session's.
    TenantMismatch,
    /// The tenant's second-factor policy is `off`: nobody enrols.
    SecondFactorOff,
    /// The password of a re-authentication (before changing a second factor) is wrong.
    WrongPassword,
}

/// Why a session may not have what it asked for (403 `insufficient_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRefusal {
    /// The token named in a refresh belongs to another user or tenant.
    OtherUsersToken,
    /// The dataset group is outside the session's scope.
    GroupOutsideScope {
        /// The group asked for.
        group: String,
    },
    /// Only a person's session may manage a second factor, not a machine's.
    MachineSession,
    /// The TRAQS facility is outside the session's scope.
    FacilityOutsideScope {
        /// The facility asked for.
        facility: TraqsFacility,
    },
}

/// What is wrong with a value the domain was given (400 `invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestProblem {
    /// A password must be 1 to `max` bytes.
    #[error("a password is 1 to {max} bytes")]
    PasswordLength {
        /// The longest password accepted, in bytes.
        max: usize,
    },
    /// The production profile refuses the second-factor policy `off`.
    #[error("the production profile refuses the second-factor policy off")]
    MfaOffInProduction,
    /// Changing a second factor from a session needs the password again.
    #[error("password is required")]
    PasswordRequired,
    /// There is no pending factor to confirm (none started, or it lapsed).
    #[error("no enrolment is pending")]
    NoPendingEnrolment,
    /// The user has no active second factor to remove or to renew recovery codes for.
    #[error("no second factor is enrolled")]
    NoFactor,
    /// A TRAQS credential needs the username its token belongs to.
    #[error("a TRAQS username is required")]
    TraqsUsernameMissing,
    /// A TRAQS base URL must be an `https://` (or `http://`) URL.
    #[error("a TRAQS base URL must start with https:// or http://")]
    TraqsBaseUrl,
}

/// A signed enrolment token (`finhub-enrollment+jwt`): what a person whose tenant requires a
/// second factor enrols with, instead of a session. `Debug` never shows it.
#[derive(Debug)]
pub struct EnrollmentToken(pub SecretString);

/// An authentication or authorization failure.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A value the domain was given is unusable (400 `invalid_request`).
    #[error("invalid request: {0}")]
    InvalidRequest(RequestProblem),
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
    #[error("invalid token ({0:?})")]
    InvalidToken(TokenProblem),
    /// Asking for something outside the session's rights (403 `insufficient_scope`).
    #[error("insufficient scope ({0:?})")]
    InsufficientScope(ScopeRefusal),
    /// The client certificate is missing (where required), invalid, or not bound to the customer
    /// the request claims (403 `invalid_certificate`).
    #[error("invalid client certificate ({0:?})")]
    InvalidCertificate(CertificateProblem),
    /// Refused by policy: address outside the allow-list, tenant mismatch (403 `access_denied`).
    #[error("access denied ({0:?})")]
    AccessDenied(AccessDenial),
    /// The password was right and the user must give a second factor (`otp` or
    /// `recoveryCode`); none was sent (401 `mfa_required`).
    #[error("a second factor is required")]
    MfaRequired,
    /// The password was right, the tenant requires a second factor and the user has none yet:
    /// enrol with this token (401 `mfa_enrollment_required`, the token in the body).
    #[error("second-factor enrolment required")]
    MfaEnrollmentRequired(EnrollmentToken),
    /// A second-factor code that is wrong, already used or not a code, a recovery code that is
    /// not one of the user's, or a locked factor: one answer for all (401 `invalid_otp`).
    #[error("invalid second-factor code")]
    InvalidOtp,
    /// Too many attempts (429 with `Retry-After`).
    #[error("rate limited")]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Storage failed (500).
    #[error("storage failure")]
    Store(#[from] StoreError),
    /// Any other fault of the hub (500); the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AuthError {
    /// The name of this outcome in the audit log. The server's HTTP error module writes the
    /// wire code of every error itself (its tests hold the two equal).
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
            Self::MfaRequired => "mfa_required",
            Self::MfaEnrollmentRequired(_) => "mfa_enrollment_required",
            Self::InvalidOtp => "invalid_otp",
            Self::RateLimited { .. } => "rate_limited",
            Self::Store(_) | Self::Internal(_) => "server_error",
        }
    }
}
