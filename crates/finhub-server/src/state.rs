//! The state every handler shares: the domain's services, the rate limiters, the upstream clients
//! and the HTTP settings. Built once at start-up from the validated config.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finhub_clock::SharedClock;
use finhub_core::admin::Administration;
use finhub_core::auth::{AuditLines, AuthParts, Enrolment, Hub, Logins, Profile, Sessions};
use finhub_core::error::AuthError;
use finhub_core::ids::{CustomerId, TenantId};
use finhub_core::model::Session;
use finhub_core::net::TrustedProxies;
use finhub_core::password::PasswordHasher;
use finhub_core::secret::SecretHash;
use finhub_core::session_token::SessionTokens;
use finhub_core::store::Store;

use crate::config::{Config, ConnectionLimits, RateLimits};
use crate::rate_limit::KeyedLimiter;
use crate::upstream::{ResultLinks, TraqsUpstreams, UpstreamSettings, Upstreams};

/// The limiters of the request-rate policy.
#[derive(Debug)]
pub struct Limiters {
    /// `POST /v1/auth/token` per client address.
    pub token_per_address: KeyedLimiter<IpAddr>,
    /// `POST /v1/auth/token` per (tenant, customer id as sent).
    pub token_per_customer: KeyedLimiter<(String, String)>,
    /// Data calls per session (key hash).
    pub data_per_session: KeyedLimiter<SecretHash>,
    /// Data calls per (tenant, customer).
    pub data_per_customer: KeyedLimiter<(TenantId, CustomerId)>,
    /// `/v1/mfa` calls per session or enrolment token.
    pub mfa_per_session: KeyedLimiter<String>,
}

impl Limiters {
    /// Limiters for these limits.
    pub fn new(limits: &RateLimits) -> Self {
        let minute = Duration::from_secs(60);
        let second = Duration::from_secs(1);
        Self {
            token_per_address: KeyedLimiter::new(limits.token_per_address_per_minute, minute),
            token_per_customer: KeyedLimiter::new(limits.token_per_customer_per_minute, minute),
            data_per_session: KeyedLimiter::new(limits.data_per_session_per_second, second),
            data_per_customer: KeyedLimiter::new(limits.data_per_customer_per_second, second),
            mfa_per_session: KeyedLimiter::new(limits.mfa_per_session_per_minute, minute),
        }
    }

    /// Takes a data call (a proxied FINRA call, a TRAQS file) from the session's and its
    /// customer's limits; when either is spent, how long to wait.
    pub fn check_data_call(&self, session: &Session) -> Result<(), AuthError> {
        let customer = (session.tenant_id.clone(), session.customer_id.clone());
        self.data_per_session
            .check(&session.key_hash)
            .and_then(|()| self.data_per_customer.check(&customer))
            .map_err(|retry_after| AuthError::RateLimited { retry_after })
    }

    /// Forgets idle keys of every limiter, so a flood of new keys cannot exhaust memory.
    pub fn retain_recent(&self) {
        self.token_per_address.retain_recent();
        self.token_per_customer.retain_recent();
        self.data_per_session.retain_recent();
        self.data_per_customer.retain_recent();
        self.mfa_per_session.retain_recent();
    }
}

/// HTTP-level settings from the config.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The profile.
    pub profile: Profile,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Largest body on the auth endpoints.
    pub max_auth_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Time limits and the cap of connections, on either listener.
    pub connections: ConnectionLimits,
    /// The hub's public URL, for links it hands out (async status and results).
    pub public_url: String,
    /// Largest request body forwarded to FINRA.
    pub max_upstream_body_bytes: usize,
}

/// Shared by every handler: one pointer, so the clone each request makes of it (the state
/// extractor, the layers holding it) is one reference-count update.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Services>);

/// What the handlers share, behind [`AppState`].
#[derive(Debug)]
pub struct Services {
    /// The three grants.
    pub logins: Logins,
    /// Session checks, refresh, logout, "who am I".
    pub sessions: Sessions,
    /// A person's own second factor (`/v1/mfa`).
    pub enrolment: Enrolment,
    /// Administrators' operations (the admin CLI, the demo's set-up).
    pub admin: Administration,
    /// Wall time, shared with the domain (deadlines use tokio's clock).
    pub clock: SharedClock,
    /// Request-rate limiters.
    pub limiters: Limiters,
    /// HTTP settings.
    pub http: Arc<HttpSettings>,
    /// Per-tenant FINRA clients over one pacer.
    pub upstreams: Arc<Upstreams>,
    /// Per-tenant, per-environment TRAQS clients.
    pub traqs: Arc<TraqsUpstreams>,
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

impl AppState {
    /// Opens the store named by the config and builds the state.
    pub async fn build(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let store = finhub_store::connect_with(&config.database_url, &config.database).await?;
        Self::with_store(config, store, clock)
    }

    /// Builds the state over a store already open (several instances over one database, as
    /// behind a load balancer; tests).
    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let audit_lines: Option<Arc<dyn AuditLines>> = match &config.audit_jsonl_path {
            Some(path) => Some(Arc::new(JsonLinesFile::open(path)?)),
            None => None,
        };
        let data_key = Arc::new(config.data_key);
        let tokens = SessionTokens::new(
            config.public_url.clone(),
            &config.signing_key,
            &config.previous_signing_keys,
        );
        let Hub {
            logins,
            sessions,
            admin,
            upstream: credentials,
            enrolment,
            // Checked through logins and the enrolment; not called by handlers directly.
            second_factors: _,
        } = Hub::new(AuthParts {
            store,
            clock: clock.clone(),
            hasher: PasswordHasher::new(config.max_concurrent_password_hashes),
            tokens,
            data_key: Arc::clone(&data_key),
            settings: config.auth,
            audit_lines,
        });
        let upstream = config.upstream;
        let links = ResultLinks::new(
            data_key,
            clock.clone(),
            time::Duration::try_from(upstream.result_link_ttl).unwrap_or(time::Duration::HOUR),
        );
        let traqs = TraqsUpstreams::new(credentials.clone(), clock.clone(), upstream.timeout);
        let upstreams = Upstreams::new(
            credentials,
            clock.clone(),
            UpstreamSettings {
                timeout: upstream.timeout,
                requests_per_second: upstream.requests_per_second,
                max_queue_wait: upstream.max_queue_wait,
            },
            links,
        );
        Ok(Self(Arc::new(Services {
            logins,
            sessions,
            enrolment,
            admin,
            clock,
            upstreams: Arc::new(upstreams),
            traqs: Arc::new(traqs),
            limiters: Limiters::new(&config.rate_limits),
            http: Arc::new(HttpSettings {
                profile: config.profile,
                trusted_proxies: config.trusted_proxies,
                max_auth_body_bytes: config.max_auth_body_bytes,
                request_timeout: config.request_timeout,
                connections: config.connections,
                public_url: config.public_url.trim_end_matches('/').to_owned(),
                max_upstream_body_bytes: upstream.max_body_bytes,
            }),
        })))
    }
}

/// Audit events appended as JSON lines to a file.
#[derive(Debug)]
struct JsonLinesFile {
    file: Mutex<std::fs::File>,
}

impl JsonLinesFile {
    fn open(path: &str) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open the audit file {path}: {e}"))?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }
}

impl AuditLines for JsonLinesFile {
    fn write_line(&self, line: &str) {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(error) = writeln!(file, "{line}") {
            tracing::error!(%error, "writing the audit file failed");
        }
    }
}
