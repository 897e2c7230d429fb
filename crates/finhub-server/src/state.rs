//! The state every handler shares: the domain's services, the rate limiters, the upstream clients
//! and the HTTP settings. Built once at start-up from the validated config.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finhub_clock::SharedClock;
use finhub_core::admin::Administration;
use finhub_core::auth::{AuditLines, AuthParts, Enrolment, Hub, Logins, Portal, Profile, Sessions};
use finhub_core::net::TrustedProxies;
use finhub_core::password::PasswordHasher;
use finhub_core::session_token::SessionTokens;
use finhub_core::shared_limits::SharedLimits;
use finhub_core::store::Store;
use finra_client::Pacer;

use crate::config::{Config, ConnectionLimits};
use crate::metrics::{Metrics, ObservedPacer};
use crate::rate_limit::{Limiters, SharedPacer, SharedStore};
use crate::upstream::{ResultLinks, TraqsUpstreams, UpstreamSettings, Upstreams};

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
    /// Whether `/metrics` and `/readyz` are on the main listener (no `[metrics] listen`).
    pub operations_on_main: bool,
    /// The operations listener's address, when they have one of their own.
    pub metrics_listen: Option<std::net::SocketAddr>,
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
    /// The portal's sign-in and a person's own sessions.
    pub portal: Portal,
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
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
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
    /// behind a load balancer; tests), with the shared limits `[redis]` names, on Redis's clock.
    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let shared: Option<Arc<dyn SharedLimits>> = match &config.redis {
            Some(redis) => Some(Arc::new(finhub_store::RedisLimits::new(
                &redis.url,
                redis.options.clone(),
            )?)),
            None => None,
        };
        Self::with_parts(config, store, shared, clock)
    }

    /// Builds the state over a store and shared limits already open (tests give Redis the hub's
    /// clock). `shared` is used only when the config has `[redis]` (for the instance count).
    pub fn with_parts(
        config: Config,
        store: Arc<dyn Store>,
        shared: Option<Arc<dyn SharedLimits>>,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let metrics = Arc::new(if config.metrics_enabled {
            Metrics::new()
        } else {
            Metrics::disabled()
        });
        let shared = shared.zip(config.redis.as_ref()).map(|(limits, redis)| {
            SharedStore::new(
                limits,
                redis.expected_instances,
                metrics.shared_limit_fallbacks.clone(),
            )
        });
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
            portal,
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
        let traqs = TraqsUpstreams::new(
            credentials.clone(),
            clock.clone(),
            upstream.timeout,
            metrics.on_mint("traqs"),
        );
        let pacer = match &shared {
            Some(store) => SharedPacer::pacer(
                store.clone(),
                &upstream.egress_id,
                upstream.requests_per_second,
                finra_client::FINRA_BURST_RESERVE,
            ),
            None => Pacer::per_second_with_reserve(
                upstream.requests_per_second,
                finra_client::FINRA_BURST_RESERVE,
            ),
        };
        let upstreams = Upstreams::new(
            credentials,
            clock.clone(),
            UpstreamSettings {
                timeout: upstream.timeout,
                requests_per_second: upstream.requests_per_second,
                max_queue_wait: upstream.max_queue_wait,
            },
            ObservedPacer::wrap(pacer, Arc::clone(&metrics)),
            links,
            metrics.on_mint("finra"),
        );
        Ok(Self(Arc::new(Services {
            logins,
            sessions,
            enrolment,
            portal,
            admin,
            clock,
            upstreams: Arc::new(upstreams),
            traqs: Arc::new(traqs),
            limiters: Limiters::new(&config.rate_limits, shared, &metrics),
            metrics,
            http: Arc::new(HttpSettings {
                profile: config.profile,
                trusted_proxies: config.trusted_proxies,
                max_auth_body_bytes: config.max_auth_body_bytes,
                request_timeout: config.request_timeout,
                connections: config.connections,
                public_url: config.public_url.trim_end_matches('/').to_owned(),
                max_upstream_body_bytes: upstream.max_body_bytes,
                operations_on_main: config.metrics_listen.is_none(),
                metrics_listen: config.metrics_listen,
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
