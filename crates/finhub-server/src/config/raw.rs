//! The configuration as its sources write it (TOML keys, `FINHUB_…` variables), before
//! validation. Unknown keys are refused.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// `integration` or `production`.
    pub profile: String,
    /// `ADDR:PORT` to listen on.
    pub listen: String,
    /// The hub's public URL (default `http://<listen>`).
    pub public_url: Option<String>,
    /// Storage URL.
    pub database_url: String,
    /// PostgreSQL pool size and time limits.
    pub database: RawDatabase,
    /// Rate limits shared by several instances.
    pub redis: RawRedis,
    /// Networks whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
    /// Whether connections from `trusted_proxies` start with a PROXY protocol v2 header.
    pub proxy_protocol: bool,
    /// Keys.
    pub keys: RawKeys,
    /// Lifetimes.
    pub sessions: RawSessions,
    /// Rate limits (profile defaults when absent).
    pub rate_limits: RawRateLimits,
    /// Audit log.
    pub audit: RawAudit,
    /// HTTP limits.
    pub http: RawHttp,
    /// Calls to FINRA.
    pub upstream: RawUpstream,
    /// HTTPS and client certificates.
    pub tls: RawTls,
    /// Log output.
    pub log: RawLog,
    /// Where `/metrics`, `/readyz` and `/healthz` are served.
    pub metrics: RawMetrics,
}

/// `[metrics]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMetrics {
    /// Record metrics (default true); off, `/metrics` answers 404.
    pub enabled: bool,
    /// `ADDR:PORT` of a plain-HTTP listener of their own (production default
    /// `127.0.0.1:9464`; integration default: none, they are on the main listener).
    pub listen: Option<String>,
}

impl Default for RawMetrics {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: None,
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    /// `text` (one readable line per event) or `json` (one JSON object per line).
    pub format: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            format: "text".into(),
        }
    }
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            profile: "integration".into(),
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            database_url: "sqlite:finhub.db?mode=rwc".into(),
            database: RawDatabase::default(),
            redis: RawRedis::default(),
            trusted_proxies: Vec::new(),
            proxy_protocol: false,
            keys: RawKeys::default(),
            sessions: RawSessions::default(),
            rate_limits: RawRateLimits::default(),
            audit: RawAudit::default(),
            http: RawHttp::default(),
            upstream: RawUpstream::default(),
            tls: RawTls::default(),
            log: RawLog::default(),
            metrics: RawMetrics::default(),
        }
    }
}

/// `[keys]`: secrets, inline or from files.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawKeys {
    /// The `kid` of the current session-token key.
    pub session_kid: String,
    /// The current session-token key (≥ 32 bytes).
    pub session_secret: Option<String>,
    /// A file holding it.
    pub session_secret_file: Option<String>,
    /// Older keys still accepted during rotation.
    pub previous: Vec<RawPreviousKey>,
    /// The data-encryption key, base64 of 32 bytes.
    pub data_key: Option<String>,
    /// A file holding it.
    pub data_key_file: Option<String>,
}

impl Default for RawKeys {
    fn default() -> Self {
        Self {
            session_kid: "k1".into(),
            session_secret: None,
            session_secret_file: None,
            previous: Vec::new(),
            data_key: None,
            data_key_file: None,
        }
    }
}

impl fmt::Debug for RawKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawKeys")
            .field("session_kid", &self.session_kid)
            .field(
                "session_secret",
                &self.session_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("session_secret_file", &self.session_secret_file)
            .field("previous", &self.previous)
            .field("data_key", &self.data_key.as_ref().map(|_| "[redacted]"))
            .field("data_key_file", &self.data_key_file)
            .finish()
    }
}

/// `[[keys.previous]]`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPreviousKey {
    /// Its `kid`.
    pub kid: String,
    /// The key.
    #[serde(default)]
    pub secret: Option<String>,
    /// A file holding it.
    #[serde(default)]
    pub secret_file: Option<String>,
}

impl fmt::Debug for RawPreviousKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPreviousKey")
            .field("kid", &self.kid)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

/// `[sessions]`: lifetimes in seconds (profile defaults when absent).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSessions {
    /// Access-token lifetime.
    pub access_token_ttl_secs: Option<u64>,
    /// Session absolute lifetime.
    pub session_ttl_secs: Option<u64>,
    /// Refresh-token family lifetime.
    pub refresh_token_ttl_secs: Option<u64>,
    /// Refresh-token replay grace window.
    pub refresh_grace_secs: Option<u64>,
}

/// `[rate_limits]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRateLimits {
    /// Logins per client address per minute.
    pub token_per_address_per_minute: Option<u32>,
    /// Logins per customer per minute.
    pub token_per_customer_per_minute: Option<u32>,
    /// Consecutive failures of a name before its logins back off.
    pub login_failures_before_backoff: Option<u32>,
    /// Data calls per session per second.
    pub data_per_session_per_second: Option<u32>,
    /// Data calls per customer per second.
    pub data_per_customer_per_second: Option<u32>,
    /// `/v1/mfa` calls per session per minute.
    pub mfa_per_session_per_minute: Option<u32>,
}

/// `[audit]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAudit {
    /// Write authentication decisions to the audit log (always on in production).
    pub enabled: Option<bool>,
    /// Also append them as JSON lines to this file.
    pub jsonl_path: Option<String>,
}

/// `[http]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawHttp {
    /// Largest body on the auth endpoints.
    pub max_auth_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout_secs: u64,
    /// Concurrent Argon2 computations (each needs 19 MiB). Default: the machine's cores, one
    /// hashing thread per core.
    pub max_concurrent_password_hashes: usize,
    /// How long a request's headers may take to arrive once its first byte has.
    pub header_read_timeout_secs: u64,
    /// How long a kept-alive (or new) connection may wait for its next request.
    pub idle_timeout_secs: u64,
    /// Most connections open at once; further ones wait in the listen queue.
    pub max_connections: usize,
    /// Threads serving connections, each with its own listening socket. Default: the
    /// machine's cores.
    pub threads: usize,
}

impl Default for RawHttp {
    fn default() -> Self {
        Self {
            max_auth_body_bytes: 64 * 1024,
            request_timeout_secs: 30,
            max_concurrent_password_hashes: std::thread::available_parallelism()
                .map_or(2, NonZeroUsize::get),
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_connections: 1024,
            threads: std::thread::available_parallelism().map_or(2, NonZeroUsize::get),
        }
    }
}

/// `[database]`: the PostgreSQL pool of each instance and its time limits (SQLite ignores them).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDatabase {
    /// Connections per instance.
    pub max_connections: u32,
    /// How long to wait to connect or for a free pooled connection.
    pub connect_timeout_secs: u64,
    /// Longest a statement may run before the server cancels it.
    pub statement_timeout_ms: u64,
    /// Longest a statement may wait for a lock.
    pub lock_timeout_ms: u64,
    /// Idle seconds before the server probes a connection with TCP keep-alives.
    pub tcp_keepalive_secs: u64,
}

impl Default for RawDatabase {
    fn default() -> Self {
        let defaults = finhub_store::PostgresOptions::default();
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self {
            max_connections: defaults.max_connections,
            connect_timeout_secs: defaults.connect_timeout.as_secs(),
            statement_timeout_ms: millis(defaults.statement_timeout),
            lock_timeout_ms: millis(defaults.lock_timeout),
            tcp_keepalive_secs: defaults.tcp_keepalive.as_secs(),
        }
    }
}

/// `[redis]`: where instances share their rate limits and FINRA pacing (absent: each instance
/// keeps its own).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRedis {
    /// `redis://[user:password@]host[:port][/db]`, or `rediss://…` over TLS.
    pub url: Option<String>,
    /// Prepended to every key, so several hubs can share one Redis.
    pub key_prefix: String,
    /// The longest one limit decision may wait for Redis before this instance decides alone.
    pub timeout_ms: u64,
    /// How many instances share the limits: while Redis is away each one allows this share.
    pub expected_instances: u32,
    /// For `rediss://`: CA certificates (PEM) Redis's certificate must chain to, instead of
    /// the system's.
    pub ca_path: Option<String>,
}

impl Default for RawRedis {
    fn default() -> Self {
        let defaults = finhub_store::RedisOptions::default();
        Self {
            url: None,
            key_prefix: defaults.key_prefix,
            timeout_ms: u64::try_from(defaults.timeout.as_millis()).unwrap_or(u64::MAX),
            expected_instances: 1,
            ca_path: None,
        }
    }
}

impl fmt::Debug for RawRedis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password.
        f.debug_struct("RawRedis")
            .field("url", &self.url.as_ref().map(|_| "[set]"))
            .field("key_prefix", &self.key_prefix)
            .field("timeout_ms", &self.timeout_ms)
            .field("expected_instances", &self.expected_instances)
            .field("ca_path", &self.ca_path)
            .finish()
    }
}

/// `[upstream]`: calls to FINRA.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawUpstream {
    /// Time limit of one upstream call, then 504.
    pub timeout_secs: u64,
    /// Upstream requests per second for the whole hub (FINRA's cap is 20 per address); 0 = no
    /// pacing (benchmarks against an unthrottled emulator).
    pub requests_per_second: u32,
    /// How long a request may queue for an upstream slot before the hub answers 429.
    pub max_queue_wait_ms: u64,
    /// Lifetime of the hub's result links for asynchronous results.
    pub result_link_ttl_secs: u64,
    /// Largest request body forwarded to FINRA.
    pub max_body_bytes: usize,
    /// The address this instance reaches FINRA from, by name: instances with the same one share
    /// one pacer through Redis (FINRA counts requests per address).
    pub egress_id: String,
}

impl Default for RawUpstream {
    fn default() -> Self {
        Self {
            timeout_secs: 30,
            requests_per_second: 20,
            max_queue_wait_ms: 2_000,
            result_link_ttl_secs: 3_600,
            max_body_bytes: 1024 * 1024,
            egress_id: "default".into(),
        }
    }
}

/// `[tls]`: HTTPS for `finhub serve`, and the client certificates it accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTls {
    /// The server's certificate chain (PEM, leaf first).
    pub cert_path: Option<String>,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_path: Option<String>,
    /// CA certificates (PEM; a file may hold several) that client certificates must chain to.
    pub client_ca_paths: Vec<String>,
    /// CRLs (PEM or DER) of those CAs.
    pub crl_paths: Vec<String>,
    /// Serve plain HTTP instead (integration profile only).
    pub plain_http: bool,
    /// How long a client may take to complete the TLS handshake.
    pub handshake_timeout_secs: u64,
    /// Bind sessions logged in over a client certificate to it (RFC 8705 `cnf.x5t#S256`).
    pub certificate_bound_tokens: Option<bool>,
}

impl Default for RawTls {
    fn default() -> Self {
        Self {
            cert_path: None,
            key_path: None,
            client_ca_paths: Vec::new(),
            crl_paths: Vec::new(),
            plain_http: false,
            handshake_timeout_secs: 10,
            certificate_bound_tokens: None,
        }
    }
}
