//! Audit events: who did what, when (UTC), from where, and with what outcome. Never a secret.

use serde::Serialize;
use time::OffsetDateTime;

/// What was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// `POST /v1/auth/token` with `grantType: password`.
    PasswordLogin,
    /// `POST /v1/auth/token` with `grantType: client_credentials`.
    ClientCredentialsLogin,
    /// `POST /v1/auth/token` with `grantType: refresh_token`.
    RefreshTokenGrant,
    /// `POST /v1/auth/refresh`.
    SessionRefresh,
    /// `POST /v1/auth/logout`.
    Logout,
    /// A request refused before any credential was checked (address, rate limit, certificate).
    RequestRefused,
    /// An administrator revoked sessions (`finhub admin session revoke`).
    AdminRevoke,
    /// FINRA refused the tenant's stored upstream credential.
    UpstreamCredentialRejected,
    /// An administrator disabled a tenant, customer or user (its sessions ended).
    AdminDisable,
    /// An administrator enabled a tenant, customer or user again (nothing revived).
    AdminEnable,
    /// An administrator changed a user's password (its sessions ended).
    AdminSetPassword,
    /// An administrator replaced a tenant's scope (live sessions narrow at their next request).
    AdminSetScope,
    /// An administrator replaced a tenant's allow-list (applied at every session's next request).
    AdminSetAllowList,
    /// An administrator created a tenant.
    AdminCreateTenant,
    /// An administrator created a customer (its secret is shown once, never audited).
    AdminCreateCustomer,
    /// An administrator created a user.
    AdminCreateUser,
    /// An administrator set or replaced a tenant's upstream FINRA credential.
    AdminSetUpstreamCredential,
    /// An administrator bound a client certificate to a customer.
    AdminBindCertificate,
    /// An administrator removed a certificate binding (sessions over it stop at their next
    /// request).
    AdminUnbindCertificate,
    /// An administrator set a tenant's second-factor policy.
    AdminSetMfaPolicy,
    /// An administrator reset a user's second factor (factor and recovery codes removed, the
    /// lock lifted, the user's sessions ended).
    MfaReset,
    /// A user started enrolling a TOTP factor (a pending factor).
    MfaEnrollmentStarted,
    /// A user confirmed a TOTP factor with its first code: it is their active factor.
    MfaEnrolled,
    /// A second-factor code or recovery code was accepted.
    MfaVerified,
    /// A second-factor code or recovery code was refused (the count goes up).
    MfaFailed,
    /// The refusals reached the lock: only an administrator's reset lifts it.
    MfaLocked,
    /// A user removed their own TOTP factor (and recovery codes; their other sessions ended).
    MfaRemoved,
    /// A user replaced their recovery codes with a new batch.
    MfaRecoveryCodesReplaced,
    /// An administrator set or replaced a tenant's TRAQS credential for an environment.
    AdminSetTraqsCredential,
    /// A TRAQS file asked for through the hub (allowed, or refused with the caller's code).
    TraqsDownload,
    /// TRAQS refused the tenant's refresh token as expired: an administrator must renew it.
    TraqsRefreshTokenExpired,
    /// An administrator changed a user's role.
    AdminSetRole,
    /// A person ended some of their own sessions (one, or all but the current one).
    SessionsEnded,
}

impl AuditAction {
    /// Every action, for exhaustive tests and listings.
    pub const ALL: [Self; 33] = [
        Self::PasswordLogin,
        Self::ClientCredentialsLogin,
        Self::RefreshTokenGrant,
        Self::SessionRefresh,
        Self::Logout,
        Self::RequestRefused,
        Self::AdminRevoke,
        Self::UpstreamCredentialRejected,
        Self::AdminDisable,
        Self::AdminEnable,
        Self::AdminSetPassword,
        Self::AdminSetScope,
        Self::AdminSetAllowList,
        Self::AdminCreateTenant,
        Self::AdminCreateCustomer,
        Self::AdminCreateUser,
        Self::AdminSetUpstreamCredential,
        Self::AdminBindCertificate,
        Self::AdminUnbindCertificate,
        Self::AdminSetMfaPolicy,
        Self::MfaReset,
        Self::MfaEnrollmentStarted,
        Self::MfaEnrolled,
        Self::MfaVerified,
        Self::MfaFailed,
        Self::MfaLocked,
        Self::MfaRemoved,
        Self::MfaRecoveryCodesReplaced,
        Self::AdminSetTraqsCredential,
        Self::TraqsDownload,
        Self::TraqsRefreshTokenExpired,
        Self::AdminSetRole,
        Self::SessionsEnded,
    ];

    /// The stable name (also its JSON spelling) stored and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordLogin => "password_login",
            Self::ClientCredentialsLogin => "client_credentials_login",
            Self::RefreshTokenGrant => "refresh_token_grant",
            Self::SessionRefresh => "session_refresh",
            Self::Logout => "logout",
            Self::RequestRefused => "request_refused",
            Self::AdminRevoke => "admin_revoke",
            Self::UpstreamCredentialRejected => "upstream_credential_rejected",
            Self::AdminDisable => "admin_disable",
            Self::AdminEnable => "admin_enable",
            Self::AdminSetPassword => "admin_set_password",
            Self::AdminSetScope => "admin_set_scope",
            Self::AdminSetAllowList => "admin_set_allow_list",
            Self::AdminCreateTenant => "admin_create_tenant",
            Self::AdminCreateCustomer => "admin_create_customer",
            Self::AdminCreateUser => "admin_create_user",
            Self::AdminSetUpstreamCredential => "admin_set_upstream_credential",
            Self::AdminBindCertificate => "admin_bind_certificate",
            Self::AdminUnbindCertificate => "admin_unbind_certificate",
            Self::AdminSetMfaPolicy => "admin_set_mfa_policy",
            Self::MfaReset => "mfa_reset",
            Self::MfaEnrollmentStarted => "mfa_enrollment_started",
            Self::MfaEnrolled => "mfa_enrolled",
            Self::MfaVerified => "mfa_verified",
            Self::MfaFailed => "mfa_failed",
            Self::MfaLocked => "mfa_locked",
            Self::MfaRemoved => "mfa_removed",
            Self::MfaRecoveryCodesReplaced => "mfa_recovery_codes_replaced",
            Self::AdminSetTraqsCredential => "admin_set_traqs_credential",
            Self::TraqsDownload => "traqs_download",
            Self::TraqsRefreshTokenExpired => "traqs_refresh_token_expired",
            Self::AdminSetRole => "admin_set_role",
            Self::SessionsEnded => "sessions_ended",
        }
    }

    /// The action with this stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == name)
    }
}

/// How it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "error")]
pub enum AuditOutcome {
    /// Allowed.
    Success,
    /// Refused, with the error code the caller got.
    Failure(String),
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// When, in UTC (RFC 3339 in JSON).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The request id the caller also got.
    pub request_id: String,
    /// What was attempted.
    pub action: AuditAction,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// The tenant id as sent (data, not trusted).
    pub tenant: Option<String>,
    /// The customer id as sent.
    pub customer: Option<String>,
    /// The username as sent.
    pub username: Option<String>,
    /// The TCP peer address.
    pub peer_addr: String,
    /// The client address the policies used (the peer unless behind a trusted proxy).
    pub client_addr: String,
    /// `X-Forwarded-For` as sent (recorded as data only).
    pub forwarded_for: Option<String>,
    /// `User-Agent` as sent.
    pub user_agent: Option<String>,
    /// `sec-ch-ua-platform` as sent.
    pub platform: Option<String>,
    /// The SHA-256 fingerprint (hex) of the client certificate the connection presented, valid
    /// or not.
    pub client_certificate: Option<String>,
    /// Who acted, for an administrator's action (the operating-system user running
    /// `finhub admin`).
    pub actor: Option<String>,
    /// How many sessions the action ended, for an administrator's action.
    pub sessions_ended: Option<u64>,
}

/// Which of a tenant's audit events to read: filters, and one page of the newest-first list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// The tenant whose events these are.
    pub tenant: crate::ids::TenantId,
    /// Only this username (as recorded).
    pub username: Option<String>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only events at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only events before this time.
    pub until: Option<OffsetDateTime>,
    /// Events skipped (the pages before this one).
    pub offset: u32,
    /// Events in the page at most.
    pub limit: u32,
}

impl AuditEvent {
    /// This event as one JSON line (control characters in client-sent values are escaped by the
    /// JSON encoding, so a value cannot forge a second line).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_line_breaks_in_client_values() {
        let event = AuditEvent {
            at: time::macros::datetime!(2026-01-05 14:30:00 UTC),
            request_id: "r1".into(),
            action: AuditAction::PasswordLogin,
            outcome: AuditOutcome::Failure("invalid_client".into()),
            tenant: Some("1234567".into()),
            customer: None,
            username: Some("eve\n{\"forged\":true}".into()),
            peer_addr: "127.0.0.1".into(),
            client_addr: "127.0.0.1".into(),
            forwarded_for: Some("1.2.3.4".into()),
            user_agent: None,
            platform: None,
            client_certificate: None,
            actor: None,
            sessions_ended: None,
        };
        let line = event.to_json_line();
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(line.contains("\"at\":\"2026-01-05T14:30:00Z\""), "{line}");
        assert!(
            line.contains("\"result\":\"failure\",\"error\":\"invalid_client\""),
            "{line}"
        );
    }
}
