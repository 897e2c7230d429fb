//! The hub's domain services and what they share: [`Logins`] (the three grants),
//! [`Sessions`] (session checks, the 10 % refresh, logout, "who am I"), [`Administration`] and
//! [`UpstreamCredentials`], built together as a [`Hub`] over one context. They hold the
//! policies; the server only parses HTTP into these calls and maps `AuthError` to responses.

mod audit_trail;
mod changes;
mod context;
mod ending;
mod enrolment;
mod first_party;
mod issue;
mod login;
mod login_cache;
mod portal;
mod purge;
mod refresh_grant;
mod request_checks;
mod second_factor;
mod second_step;
mod session;
mod session_cache;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use finhub_clock::SharedClock;
use secrecy::SecretString;
use time::Duration;

pub use audit_trail::AuditLines;
pub(crate) use audit_trail::{AdminSubject, AuditTrail, Subject};
pub use changes::ChangeFollower;
pub(crate) use context::Context;
pub use enrolment::{Credential, Enrolled, Enroller, Enrolment, FactorStatus, Reauthentication};
pub use login::Logins;
pub use portal::{PORTAL_CUSTOMER_ID, Portal, PortalKey, PortalSession, SignIn};
pub use second_factor::{PENDING_LIFETIME, PendingTotp, SecondFactorProof, SecondFactors};
pub use session::{
    AccessCheck, AuthenticatedSession, LAST_USED_INTERVAL, RefreshOutcome, SessionInfo, Sessions,
};
pub use session_cache::SESSION_CACHE_TTL;

use crate::admin::Administration;
use crate::cert::ClientCertificate;
use crate::crypto::DataKey;
use crate::ids::TenantId;
use crate::model::{AccountType, SessionOrigin};
use crate::password::PasswordHasher;
use crate::scope::Scope;
use crate::session_token::SessionTokens;
use crate::store::Store;
use crate::upstream_credentials::UpstreamCredentials;

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
    /// Consecutive failed logins (or second-factor codes) of a name allowed before its attempts
    /// back off (4).
    pub login_failures_before_backoff: u32,
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
                login_failures_before_backoff: crate::policy::login_backoff::FREE_FAILURES,
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
                login_failures_before_backoff: crate::policy::login_backoff::FREE_FAILURES,
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

impl RequestContext {
    /// A request the hub makes of itself (the demo's set-up, benchmarks): from loopback, over
    /// no TLS, without any client header.
    pub fn internal(request_id: &str) -> Self {
        let loopback = IpAddr::from(std::net::Ipv4Addr::LOCALHOST);
        Self {
            request_id: request_id.to_owned(),
            peer_addr: loopback,
            client_addr: loopback,
            forwarded_for: None,
            user_agent: None,
            platform: None,
            tenant_header: None,
            client_certificate: ClientCertificate::NoTls,
        }
    }
}

impl RequestContext {
    /// Where a session this request starts comes from, as its page shows it.
    pub fn origin(&self) -> SessionOrigin {
        SessionOrigin::new(
            self.platform.as_deref(),
            self.user_agent.as_deref(),
            Some(self.client_addr.to_string()),
        )
    }
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
        /// A TOTP code or a recovery code, when sent.
        second_factor: Option<SecondFactorProof>,
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

/// Everything a [`Hub`] is built from.
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
    pub data_key: Arc<DataKey>,
    /// Lifetimes and switches.
    pub settings: AuthSettings,
    /// Where audit events also go as JSON lines, if anywhere.
    pub audit_lines: Option<Arc<dyn AuditLines>>,
}

/// One hub instance's domain: its services over one shared context (store, clock, keys,
/// settings, audit trail, session cache). Each service is cheap to clone; take the ones a
/// caller needs.
#[derive(Debug, Clone)]
pub struct Hub {
    /// The three grants.
    pub logins: Logins,
    /// Session checks, refresh, logout, "who am I".
    pub sessions: Sessions,
    /// Administrators' operations.
    pub admin: Administration,
    /// Tenants' FINRA credentials.
    pub upstream: UpstreamCredentials,
    /// Enrolling and checking persons' second factors.
    pub second_factors: SecondFactors,
    /// A person's own second factor (`/v1/mfa`).
    pub enrolment: Enrolment,
    /// The portal's sign-in and a person's own sessions.
    pub portal: Portal,
}

impl Hub {
    /// The services over one context built from `parts`.
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
        let audit = AuditTrail::new(
            Arc::clone(&store),
            clock.clone(),
            audit_lines,
            settings.audit,
        );
        let upstream = UpstreamCredentials::new(
            Arc::clone(&store),
            Arc::clone(&data_key),
            audit.clone(),
            clock.clone(),
        );
        let ctx = Arc::new(Context {
            store,
            clock,
            hasher,
            tokens,
            data_key,
            settings,
            audit,
            sessions: session_cache::SessionCache::default(),
            logins: login_cache::LoginCache::default(),
        });
        let second_factors = SecondFactors::new(Arc::clone(&ctx));
        let logins = Logins::new(Arc::clone(&ctx), second_factors.clone());
        let sessions = Sessions::new(Arc::clone(&ctx));
        Self {
            enrolment: Enrolment::new(
                Arc::clone(&ctx),
                sessions.clone(),
                logins.clone(),
                second_factors.clone(),
            ),
            portal: Portal::new(Arc::clone(&ctx), logins.clone(), sessions.clone()),
            logins,
            sessions,
            second_factors,
            admin: Administration::new(ctx, upstream.clone()),
            upstream,
        }
    }
}
