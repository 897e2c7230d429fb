//! The authentication service: logins (password, client credentials, refresh token), session
//! authentication, the 10 % refresh, logout and "who am I". It holds the policies; the server
//! only parses HTTP into these calls and maps `AuthError` to responses.

mod audit_trail;
mod certificate;
mod issue;
mod login;
mod refresh_grant;
mod session;
mod session_cache;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use finhub_clock::SharedClock;
use secrecy::SecretString;
use time::Duration;

pub(crate) use audit_trail::AdminSubject;
pub use audit_trail::AuditLines;
pub use session::{AccessCheck, AuthenticatedSession, RefreshOutcome, SessionInfo};
pub use session_cache::SESSION_CACHE_TTL;

use crate::cert::ClientCertificate;
use crate::crypto::DataKey;
use crate::ids::TenantId;
use crate::model::AccountType;
use crate::password::PasswordHasher;
use crate::scope::Scope;
use crate::session_token::SessionTokens;
use crate::store::Store;

/// The deployment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Moderate limits, optional allow-lists.
    Integration,
    /// Strict limits, mandatory allow-lists, audit of every decision.
    Production,
}

/// Lifetimes and switches of the service.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The profile.
    pub profile: Profile,
    /// Validity of a session's access token (3 600 s integration, 1 800 s production).
    pub access_token_lifetime: Duration,
    /// A session's absolute lifetime (the JWT `exp`; 12 h).
    pub session_lifetime: Duration,
    /// A refresh-token family's absolute lifetime (7 days integration, 24 h production).
    pub refresh_token_lifetime: Duration,
    /// How long a used refresh token may be replayed to get the same new pair (10 s).
    pub refresh_grace: Duration,
    /// Whether every tenant must have an allow-list (production).
    pub require_allow_list: bool,
    /// Whether authentication decisions are written to the audit log.
    pub audit: bool,
    /// Whether a request over the TLS listener must present a valid client certificate
    /// (production). Either way, a certificate that is presented is validated and must be bound
    /// to the customer the request claims.
    pub require_client_certificate: bool,
    /// Whether sessions logged in over a verified client certificate are bound to it (RFC 8705
    /// `cnf.x5t#S256` in the session token): used over another connection's certificate, the
    /// token is refused.
    pub certificate_bound_tokens: bool,
}

impl AuthSettings {
    /// The defaults of a profile.
    pub fn for_profile(profile: Profile) -> Self {
        match profile {
            Profile::Integration => Self {
                profile,
                access_token_lifetime: Duration::seconds(3_600),
                session_lifetime: Duration::hours(12),
                refresh_token_lifetime: Duration::days(7),
                refresh_grace: Duration::seconds(10),
                require_allow_list: false,
                audit: false,
                require_client_certificate: false,
                certificate_bound_tokens: true,
            },
            Profile::Production => Self {
                profile,
                access_token_lifetime: Duration::seconds(1_800),
                session_lifetime: Duration::hours(12),
                refresh_token_lifetime: Duration::hours(24),
                refresh_grace: Duration::seconds(10),
                require_allow_list: true,
                audit: true,
                require_client_certificate: true,
                certificate_bound_tokens: true,
            },
        }
    }
}

/// Facts about the HTTP request an authentication decision is made for.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request id the caller gets back.
    pub request_id: String,
    /// The TCP peer.
    pub peer_addr: IpAddr,
    /// The client address policies use (the peer unless it is a trusted proxy).
    pub client_addr: IpAddr,
    /// `X-Forwarded-For` as sent (data only).
    pub forwarded_for: Option<String>,
    /// `User-Agent` as sent.
    pub user_agent: Option<String>,
    /// `sec-ch-ua-platform` as sent.
    pub platform: Option<String>,
    /// `X-Tenant-ID` as sent, when it was.
    pub tenant_header: Option<String>,
    /// What the TLS layer found on the connection.
    pub client_certificate: ClientCertificate,
}

/// What a login presents.
#[derive(Debug, Clone)]
pub enum LoginGrant {
    /// A person through a customer.
    Password {
        /// The username as sent.
        username: String,
        /// The password.
        password: SecretString,
    },
    /// A machine (`b2b` customers only).
    ClientCredentials,
    /// A refresh token from an earlier login.
    RefreshToken {
        /// The refresh token.
        refresh_token: SecretString,
    },
}

/// A login request, already parsed from HTTP.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// From `X-Tenant-ID`.
    pub tenant: TenantId,
    /// `customerId` as sent.
    pub customer_id: String,
    /// `customerSecret`.
    pub customer_secret: SecretString,
    /// `accountType`.
    pub account_type: AccountType,
    /// The grant and its fields.
    pub grant: LoginGrant,
}

/// What a successful login returns.
pub struct IssuedTokens {
    /// Seconds of validity of the session's access token.
    pub expires_in: i64,
    /// The granted scope.
    pub scope: Scope,
    /// The customer.
    pub customer_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The signed session JWT.
    pub user_session_token: SecretString,
    /// The opaque refresh token.
    pub refresh_token: SecretString,
}

impl fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("customer_id", &self.customer_id)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

/// The authentication service. Cheap to clone.
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    clock: SharedClock,
    hasher: PasswordHasher,
    tokens: SessionTokens,
    data_key: DataKey,
    settings: AuthSettings,
    audit_lines: Option<Arc<dyn AuditLines>>,
    sessions: session_cache::SessionCache,
}

impl fmt::Debug for AuthService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService")
            .field("settings", &self.inner.settings)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

/// Everything an [`AuthService`] is built from.
#[derive(Debug)]
pub struct AuthParts {
    /// Where tenants, sessions and audit events live.
    pub store: Arc<dyn Store>,
    /// Wall time (deadlines use tokio's clock).
    pub clock: SharedClock,
    /// Argon2id with bounded concurrency.
    pub hasher: PasswordHasher,
    /// Session-token signing and verification.
    pub tokens: SessionTokens,
    /// Encryption at rest.
    pub data_key: DataKey,
    /// Lifetimes and switches.
    pub settings: AuthSettings,
    /// Where audit events also go as JSON lines, if anywhere.
    pub audit_lines: Option<Arc<dyn AuditLines>>,
}

impl AuthService {
    /// A service from its parts.
    pub fn new(parts: AuthParts) -> Self {
        let AuthParts {
            store,
            clock,
            hasher,
            tokens,
            data_key,
            settings,
            audit_lines,
        } = parts;
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                hasher,
                tokens,
                data_key,
                settings,
                audit_lines,
                sessions: session_cache::SessionCache::default(),
            }),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &AuthSettings {
        &self.inner.settings
    }

    /// The store: only the domain reads and writes it, so every change goes through the
    /// operations that check, audit and keep the session cache right.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The clock.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The data key (for sealing upstream credentials).
    pub fn data_key(&self) -> &DataKey {
        &self.inner.data_key
    }

    /// The password hasher (for administrators creating users).
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }
}
