//! Configuration: compiled defaults → TOML file → `FINHUB_…` environment variables (nested keys
//! with `__`), unknown keys rejected, secrets also from `…_file` paths. `RawConfig` is what the
//! sources say; `Config` is validated and typed, with secrets loaded.

mod example;
mod raw;

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use finhub_core::auth::{AuthSettings, Profile};
use finhub_core::crypto::DataKey;
use finhub_core::net::TrustedProxies;
use finhub_core::session_token::SigningKey;
use secrecy::SecretString;

pub use crate::serve::{ConnectionLimits, ProxyProtocol};
pub use example::EXAMPLE;
use example::EXAMPLE_SESSION_SECRET;
pub use raw::{
    RawConfig, RawDatabase, RawKeys, RawLog, RawPreviousKey, RawRateLimits, RawRedis, RawTls,
    RawUpstream,
};

/// Request-rate limits; each profile has its defaults ([`RateLimits::for_profile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST /v1/auth/token` per client address, per minute.
    pub token_per_address_per_minute: u32,
    /// `POST /v1/auth/token` per customer, per minute.
    pub token_per_customer_per_minute: u32,
    /// Data calls per session, per second.
    pub data_per_session_per_second: u32,
    /// Data calls per customer, per second.
    pub data_per_customer_per_second: u32,
    /// `/v1/mfa` calls per session (or enrolment token), per minute.
    pub mfa_per_session_per_minute: u32,
}

impl RateLimits {
    /// The defaults of a profile.
    pub fn for_profile(profile: Profile) -> Self {
        match profile {
            Profile::Integration => Self {
                token_per_address_per_minute: 300,
                token_per_customer_per_minute: 600,
                data_per_session_per_second: 50,
                data_per_customer_per_second: 100,
                mfa_per_session_per_minute: 10,
            },
            Profile::Production => Self {
                token_per_address_per_minute: 120,
                token_per_customer_per_minute: 300,
                data_per_session_per_second: 20,
                data_per_customer_per_second: 40,
                mfa_per_session_per_minute: 10,
            },
        }
    }
}

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    /// The profile.
    pub profile: Profile,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The hub's public URL (the session tokens' `iss`).
    pub public_url: String,
    /// Storage URL (`sqlite:…` or `postgres://…`).
    pub database_url: String,
    /// PostgreSQL pool size and time limits.
    pub database: finhub_store::PostgresOptions,
    /// Redis for the limits instances share, if configured.
    pub redis: Option<RedisConfig>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// The session-token signing key, and older keys still accepted.
    pub signing_key: SigningKey,
    /// Older signing keys still accepted.
    pub previous_signing_keys: Vec<SigningKey>,
    /// The data-encryption key.
    pub data_key: DataKey,
    /// Session lifetimes and audit switch.
    pub auth: AuthSettings,
    /// Request-rate limits.
    pub rate_limits: RateLimits,
    /// Audit events as JSON lines to this file, if set.
    pub audit_jsonl_path: Option<String>,
    /// Largest request body on the auth endpoints.
    pub max_auth_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Time limits and the cap of connections.
    pub connections: ConnectionLimits,
    /// Concurrent Argon2 computations.
    pub max_concurrent_password_hashes: usize,
    /// Threads serving connections (`finhub serve`).
    pub serving_threads: NonZeroUsize,
    /// Calls to FINRA.
    pub upstream: UpstreamConfig,
    /// How `finhub serve` listens: HTTPS, plain HTTP (integration only), or not yet configured.
    pub transport: Transport,
    /// Keys left at the printed example's values, each with how to generate a real one.
    pub placeholder_keys: Vec<&'static str>,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// The operations listener (`/metrics`, `/readyz`, `/healthz`), if they have one of their
    /// own; otherwise they are on the main listener.
    pub metrics_listen: Option<SocketAddr>,
    /// Whether metrics are recorded.
    pub metrics_enabled: bool,
}

/// How log lines are written (to standard error; colours only when it is a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// How `finhub serve` listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// HTTPS with these files.
    Tls(TlsFiles),
    /// Plain HTTP (`tls.plain_http = true`; integration profile only).
    PlainHttp,
    /// No `[tls]` material and no `plain_http`: `finhub serve` refuses to start (other commands,
    /// such as `finhub admin`, do not listen and do not care).
    Unconfigured,
}

/// The TLS material `finhub serve` loads at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server's certificate chain (PEM).
    pub cert_path: PathBuf,
    /// Its private key (PEM).
    pub key_path: PathBuf,
    /// CA certificates client certificates must chain to (none: no client certificates asked).
    pub client_ca_paths: Vec<PathBuf>,
    /// CRLs of those CAs.
    pub crl_paths: Vec<PathBuf>,
    /// Longest TLS handshake.
    pub handshake_timeout: Duration,
}

impl RawConfig {
    /// These settings with those of a TOML file over them (`finhub demo --config`).
    pub fn overlaid(self, file: &Path) -> Result<Self, ConfigError> {
        if !file.exists() {
            return Err(ConfigError(format!(
                "config file {} does not exist",
                file.display()
            )));
        }
        Figment::from(Serialized::defaults(self))
            .merge(Toml::file(file))
            .extract()
            .map_err(|error| ConfigError(error.to_string()))
    }
}

impl Config {
    /// What `finhub serve` listens with, or why it must not start.
    pub fn serving_transport(&self) -> Result<&Transport, ConfigError> {
        match (&self.transport, self.profile) {
            (Transport::Unconfigured, Profile::Production) => Err(ConfigError(
                "the production profile serves only HTTPS with mandatory client certificates: \
                 set [tls] cert_path, key_path and client_ca_paths (and crl_paths); \
                 `finhub print-config` shows an example"
                    .into(),
            )),
            (Transport::Unconfigured, Profile::Integration) => Err(ConfigError(
                "no TLS material: set [tls] cert_path and key_path to serve HTTPS, or \
                 tls.plain_http = true to serve plain HTTP (integration profile only)"
                    .into(),
            )),
            (transport, _) => Ok(transport),
        }
    }
}

/// Settings of calls to FINRA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    /// Time limit of one upstream call.
    pub timeout: Duration,
    /// Upstream requests per second for the whole hub; 0 = unpaced.
    pub requests_per_second: u32,
    /// Longest wait for an upstream slot before 429.
    pub max_queue_wait: Duration,
    /// Lifetime of the hub's result links.
    pub result_link_ttl: Duration,
    /// Largest request body forwarded to FINRA.
    pub max_body_bytes: usize,
    /// The name of the address this instance reaches FINRA from (one shared pacer per name).
    pub egress_id: String,
}

/// Redis for the limits instances share.
#[derive(Clone)]
pub struct RedisConfig {
    /// Its URL (may hold a password: never printed).
    pub url: String,
    /// Key prefix and time limit.
    pub options: finhub_store::RedisOptions,
    /// How many instances share the limits (each allows its share while Redis is away).
    pub expected_instances: u32,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("options", &self.options)
            .field("expected_instances", &self.expected_instances)
            .finish_non_exhaustive()
    }
}

/// A configuration problem, with the key it is about.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads defaults, then `file` (if given), then `FINHUB_…` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        Self::extract(&figment.merge(Env::prefixed("FINHUB_").split("__")))
    }

    /// Extracts and validates a configuration from layered sources. A relative `sqlite:` path
    /// written in a config file is resolved against that file's directory (not the working
    /// directory, so `finhub admin` run from elsewhere opens the same database); one from the
    /// environment or the default stays relative to the working directory.
    pub fn extract(figment: &Figment) -> Result<Self, ConfigError> {
        let mut raw: RawConfig = figment.extract().map_err(|e| ConfigError(e.to_string()))?;
        let file_dir = figment
            .find_metadata("database_url")
            .and_then(|metadata| metadata.source.as_ref()?.file_path())
            .and_then(Path::parent);
        if let Some(dir) = file_dir {
            raw.database_url = sqlite_url_under(&raw.database_url, dir);
        }
        Self::from_raw(raw)
    }

    /// Validates a raw configuration.
    pub fn from_raw(raw: RawConfig) -> Result<Self, ConfigError> {
        let profile = match raw.profile.as_str() {
            "integration" => Profile::Integration,
            "production" => Profile::Production,
            other => {
                return Err(ConfigError(format!(
                    "profile must be integration or production, not {other:?}"
                )));
            }
        };
        let listen = raw
            .listen
            .parse()
            .map_err(|_| ConfigError(format!("listen: {:?} is not an address:port", raw.listen)))?;
        let trusted_proxies = TrustedProxies::parse(&raw.trusted_proxies)
            .map_err(|e| ConfigError(format!("trusted_proxies: {e}")))?;

        let keys = raw.keys;
        let session_secret = secret_value(
            "keys.session_secret",
            keys.session_secret,
            keys.session_secret_file,
        )?;
        let signing_key =
            SigningKey::new(keys.session_kid, session_secret.clone()).map_err(|e| {
                ConfigError(format!(
                    "keys.session_secret: {e}; generate one with `openssl rand -base64 48`"
                ))
            })?;
        let previous_signing_keys = keys
            .previous
            .into_iter()
            .map(|key| {
                let secret = secret_value("keys.previous.secret", key.secret, key.secret_file)?;
                SigningKey::new(key.kid, secret)
                    .map_err(|e| ConfigError(format!("keys.previous: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let data_key_b64 = secret_value("keys.data_key", keys.data_key, keys.data_key_file)?;
        let data_key_bytes = STANDARD
            .decode(secrecy::ExposeSecret::expose_secret(&data_key_b64).trim())
            .map_err(|_| ConfigError("keys.data_key: must be base64 of 32 bytes".into()))?;
        let data_key = DataKey::from_bytes(&data_key_bytes)
            .map_err(|e| ConfigError(format!("keys.data_key: {e}")))?;
        let mut placeholder_keys = Vec::new();
        if secrecy::ExposeSecret::expose_secret(&session_secret) == EXAMPLE_SESSION_SECRET {
            placeholder_keys.push(
                "keys.session_secret is the printed example's; generate one with \
                 `openssl rand -base64 48`",
            );
        }
        if data_key_bytes.iter().all(|&byte| byte == 0) {
            placeholder_keys.push(
                "keys.data_key is all zeros (the printed example's); generate one with \
                 `openssl rand -base64 32`",
            );
        }

        let mut auth = AuthSettings::for_profile(profile);
        let seconds = |value: Option<u64>,
                       default: time::Duration,
                       key: &str|
         -> Result<time::Duration, ConfigError> {
            match value {
                None => Ok(default),
                Some(0) => Err(ConfigError(format!("{key} must be positive"))),
                Some(secs) => i64::try_from(secs)
                    .map(time::Duration::seconds)
                    .map_err(|_| ConfigError(format!("{key} is too large"))),
            }
        };
        let sessions = raw.sessions;
        auth.access_token_lifetime = seconds(
            sessions.access_token_ttl_secs,
            auth.access_token_lifetime,
            "sessions.access_token_ttl_secs",
        )?;
        auth.session_lifetime = seconds(
            sessions.session_ttl_secs,
            auth.session_lifetime,
            "sessions.session_ttl_secs",
        )?;
        auth.refresh_token_lifetime = seconds(
            sessions.refresh_token_ttl_secs,
            auth.refresh_token_lifetime,
            "sessions.refresh_token_ttl_secs",
        )?;
        auth.refresh_grace = seconds(
            sessions.refresh_grace_secs,
            auth.refresh_grace,
            "sessions.refresh_grace_secs",
        )?;
        if let Some(enabled) = raw.audit.enabled {
            if profile == Profile::Production && !enabled {
                return Err(ConfigError(
                    "audit.enabled cannot be false in the production profile".into(),
                ));
            }
            auth.audit = enabled;
        }

        let transport = transport(&raw.tls, profile)?;
        if let Some(bound) = raw.tls.certificate_bound_tokens {
            auth.certificate_bound_tokens = bound;
        }

        let defaults = RateLimits::for_profile(profile);
        let limits = raw.rate_limits;
        if let Some(failures) = limits.login_failures_before_backoff {
            auth.login_failures_before_backoff = failures;
        }
        let rate_limits = RateLimits {
            token_per_address_per_minute: positive(
                limits.token_per_address_per_minute,
                defaults.token_per_address_per_minute,
                "rate_limits.token_per_address_per_minute",
            )?,
            token_per_customer_per_minute: positive(
                limits.token_per_customer_per_minute,
                defaults.token_per_customer_per_minute,
                "rate_limits.token_per_customer_per_minute",
            )?,
            data_per_session_per_second: positive(
                limits.data_per_session_per_second,
                defaults.data_per_session_per_second,
                "rate_limits.data_per_session_per_second",
            )?,
            data_per_customer_per_second: positive(
                limits.data_per_customer_per_second,
                defaults.data_per_customer_per_second,
                "rate_limits.data_per_customer_per_second",
            )?,
            mfa_per_session_per_minute: positive(
                limits.mfa_per_session_per_minute,
                defaults.mfa_per_session_per_minute,
                "rate_limits.mfa_per_session_per_minute",
            )?,
        };

        Ok(Self {
            profile,
            listen,
            public_url: raw.public_url.unwrap_or_else(|| match transport {
                Transport::Tls(_) => format!("https://{listen}"),
                Transport::PlainHttp | Transport::Unconfigured => format!("http://{listen}"),
            }),
            database_url: raw.database_url,
            database: finhub_store::PostgresOptions {
                max_connections: match raw.database.max_connections {
                    0 => {
                        return Err(ConfigError(
                            "database.max_connections must be positive".into(),
                        ));
                    }
                    n => n,
                },
                connect_timeout: Duration::from_secs(nonzero(
                    raw.database.connect_timeout_secs,
                    "database.connect_timeout_secs",
                )?),
                statement_timeout: Duration::from_millis(nonzero(
                    raw.database.statement_timeout_ms,
                    "database.statement_timeout_ms",
                )?),
                lock_timeout: Duration::from_millis(nonzero(
                    raw.database.lock_timeout_ms,
                    "database.lock_timeout_ms",
                )?),
                tcp_keepalive: Duration::from_secs(nonzero(
                    raw.database.tcp_keepalive_secs,
                    "database.tcp_keepalive_secs",
                )?),
            },
            redis: redis_config(raw.redis)?,
            trusted_proxies: trusted_proxies.clone(),
            signing_key,
            previous_signing_keys,
            data_key,
            auth,
            rate_limits,
            audit_jsonl_path: raw.audit.jsonl_path,
            max_auth_body_bytes: raw.http.max_auth_body_bytes,
            request_timeout: Duration::from_secs(nonzero(
                raw.http.request_timeout_secs,
                "http.request_timeout_secs",
            )?),
            connections: ConnectionLimits {
                header_read_timeout: Duration::from_secs(nonzero(
                    raw.http.header_read_timeout_secs,
                    "http.header_read_timeout_secs",
                )?),
                idle_timeout: Duration::from_secs(nonzero(
                    raw.http.idle_timeout_secs,
                    "http.idle_timeout_secs",
                )?),
                max_connections: match raw.http.max_connections {
                    0 => return Err(ConfigError("http.max_connections must be positive".into())),
                    n => n,
                },
                proxy_protocol: match (raw.proxy_protocol, trusted_proxies.is_empty()) {
                    (false, _) => ProxyProtocol::off(),
                    (true, false) => ProxyProtocol::from(trusted_proxies.clone()),
                    (true, true) => {
                        return Err(ConfigError(
                            "proxy_protocol = true needs trusted_proxies: the load balancers \
                             whose connections start with a PROXY header"
                                .into(),
                        ));
                    }
                },
            },
            max_concurrent_password_hashes: match raw.http.max_concurrent_password_hashes {
                0 => {
                    return Err(ConfigError(
                        "http.max_concurrent_password_hashes must be positive".into(),
                    ));
                }
                n => n,
            },
            serving_threads: NonZeroUsize::new(raw.http.threads)
                .ok_or_else(|| ConfigError("http.threads must be positive".into()))?,
            upstream: UpstreamConfig {
                timeout: Duration::from_secs(nonzero(
                    raw.upstream.timeout_secs,
                    "upstream.timeout_secs",
                )?),
                requests_per_second: raw.upstream.requests_per_second,
                max_queue_wait: Duration::from_millis(raw.upstream.max_queue_wait_ms),
                result_link_ttl: Duration::from_secs(nonzero(
                    raw.upstream.result_link_ttl_secs,
                    "upstream.result_link_ttl_secs",
                )?),
                max_body_bytes: raw.upstream.max_body_bytes,
                egress_id: match raw.upstream.egress_id.trim() {
                    "" => return Err(ConfigError("upstream.egress_id must not be empty".into())),
                    id if id.len() > 64 || id.contains(char::is_whitespace) => {
                        return Err(ConfigError(
                            "upstream.egress_id must be at most 64 characters, without spaces"
                                .into(),
                        ));
                    }
                    id => id.to_owned(),
                },
            },
            metrics_enabled: raw.metrics.enabled,
            metrics_listen: match (raw.metrics.listen.as_deref(), profile) {
                (Some(addr), _) => Some(addr.parse().map_err(|_| {
                    ConfigError(format!("metrics.listen must be ADDR:PORT, not {addr:?}"))
                })?),
                (None, Profile::Production) => Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
                (None, Profile::Integration) => None,
            },
            transport,
            placeholder_keys,
            log_format: match raw.log.format.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError(format!(
                        "log.format must be text or json, not {other:?}"
                    )));
                }
            },
        })
    }

    /// Whether `finhub serve` may start with these keys: production refuses the printed
    /// example's keys; integration starts, and the caller warns with what this returns.
    pub fn serving_keys(&self) -> Result<&[&'static str], ConfigError> {
        match (self.profile, self.placeholder_keys.is_empty()) {
            (Profile::Production, false) => Err(ConfigError(format!(
                "the production profile refuses placeholder keys: {}",
                self.placeholder_keys.join("; ")
            ))),
            _ => Ok(&self.placeholder_keys),
        }
    }
}

/// The `[tls]` section, checked against the profile (the files are read by `finhub serve`).
fn transport(tls: &RawTls, profile: Profile) -> Result<Transport, ConfigError> {
    let paths = |list: &[String]| list.iter().map(PathBuf::from).collect::<Vec<_>>();
    if tls.plain_http {
        if profile == Profile::Production {
            return Err(ConfigError(
                "tls.plain_http is allowed only in the integration profile; production serves \
                 HTTPS with mandatory client certificates"
                    .into(),
            ));
        }
        if tls.cert_path.is_some() || tls.key_path.is_some() {
            return Err(ConfigError(
                "set tls.cert_path/tls.key_path or tls.plain_http, not both".into(),
            ));
        }
        return Ok(Transport::PlainHttp);
    }
    if !tls.crl_paths.is_empty() && tls.client_ca_paths.is_empty() {
        return Err(ConfigError(
            "tls.crl_paths needs tls.client_ca_paths (the CAs the CRLs are for)".into(),
        ));
    }
    match (&tls.cert_path, &tls.key_path) {
        (None, None) => Ok(Transport::Unconfigured),
        (Some(cert), Some(key)) => {
            if profile == Profile::Production && tls.client_ca_paths.is_empty() {
                return Err(ConfigError(
                    "the production profile requires client certificates: set \
                     tls.client_ca_paths to the CA certificates they are issued by"
                        .into(),
                ));
            }
            if tls.handshake_timeout_secs == 0 {
                return Err(ConfigError(
                    "tls.handshake_timeout_secs must be positive".into(),
                ));
            }
            Ok(Transport::Tls(TlsFiles {
                cert_path: PathBuf::from(cert),
                key_path: PathBuf::from(key),
                client_ca_paths: paths(&tls.client_ca_paths),
                crl_paths: paths(&tls.crl_paths),
                handshake_timeout: Duration::from_secs(tls.handshake_timeout_secs),
            }))
        }
        (Some(_), None) | (None, Some(_)) => Err(ConfigError(
            "tls.cert_path and tls.key_path go together".into(),
        )),
    }
}

/// A `sqlite:` URL whose relative path is taken as relative to `dir`; any other URL (absolute
/// paths, `:memory:`, other databases) unchanged.
fn sqlite_url_under(url: &str, dir: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return url.to_owned();
    };
    let (prefix, rest) = match rest.strip_prefix("//") {
        Some(rest) => ("sqlite://", rest),
        None => ("sqlite:", rest),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if path.is_empty() || path.starts_with(':') || Path::new(path).is_absolute() {
        return url.to_owned();
    }
    let joined = dir.join(path);
    match query {
        Some(query) => format!("{prefix}{}?{query}", joined.display()),
        None => format!("{prefix}{}", joined.display()),
    }
}

/// `[redis]`, checked: a usable URL (not repeated in errors: it may hold a password), a prefix,
/// a time limit and an instance count.
fn redis_config(raw: RawRedis) -> Result<Option<RedisConfig>, ConfigError> {
    let Some(url) = raw.url.filter(|url| !url.trim().is_empty()) else {
        return Ok(None);
    };
    if !url.starts_with("redis://") && !url.starts_with("rediss://") {
        return Err(ConfigError(
            "redis.url must start with redis:// or rediss:// (TLS): \
             redis[s]://[user:password@]host[:port][/db]"
                .into(),
        ));
    }
    let ca_pem =
        match &raw.ca_path {
            None => None,
            Some(path) => Some(std::fs::read(path).map_err(|error| {
                ConfigError(format!("redis.ca_path: cannot read {path}: {error}"))
            })?),
        };
    if raw.key_prefix.is_empty() || raw.key_prefix.contains(char::is_whitespace) {
        return Err(ConfigError(
            "redis.key_prefix must be non-empty, without spaces".into(),
        ));
    }
    let options = finhub_store::RedisOptions {
        key_prefix: raw.key_prefix,
        timeout: Duration::from_millis(nonzero(raw.timeout_ms, "redis.timeout_ms")?),
        ca_pem,
    };
    // Checks the URL's form now, so a typo stops the start instead of every request.
    finhub_store::RedisLimits::check_url(&url)
        .map_err(|error| ConfigError(format!("redis.url: {error}")))?;
    Ok(Some(RedisConfig {
        url,
        options,
        expected_instances: match raw.expected_instances {
            0 => {
                return Err(ConfigError(
                    "redis.expected_instances must be positive".into(),
                ));
            }
            n => n,
        },
    }))
}

fn nonzero(value: u64, key: &str) -> Result<u64, ConfigError> {
    match value {
        0 => Err(ConfigError(format!("{key} must be positive"))),
        secs => Ok(secs),
    }
}

fn positive(value: Option<u32>, default: u32, key: &str) -> Result<u32, ConfigError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ConfigError(format!("{key} must be positive"))),
        Some(n) => Ok(n),
    }
}

/// A secret given inline or as a path to a file holding it (not both).
fn secret_value(
    key: &str,
    inline: Option<String>,
    file: Option<String>,
) -> Result<SecretString, ConfigError> {
    match (inline, file) {
        (Some(value), None) => Ok(SecretString::from(value)),
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map(|text| SecretString::from(text.trim_end_matches(['\n', '\r']).to_owned()))
            .map_err(|e| ConfigError(format!("{key}_file: cannot read {path}: {e}"))),
        (Some(_), Some(_)) => Err(ConfigError(format!("set {key} or {key}_file, not both"))),
        (None, None) => Err(ConfigError(format!(
            "{key} is required (or {key}_file); `finhub print-config` shows an example"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_toml(text: &str) -> Result<Config, ConfigError> {
        Config::extract(
            &Figment::from(Serialized::defaults(RawConfig::default())).merge(Toml::string(text)),
        )
    }

    const KEYS: &str = "[keys]\nsession_secret = \"0123456789abcdef0123456789abcdef\"\ndata_key = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n";

    #[test]
    fn the_printed_example_is_a_valid_config() {
        let config = from_toml(EXAMPLE).expect("the example loads");
        assert_eq!(config.profile, Profile::Integration);
        assert_eq!(
            config.auth.access_token_lifetime,
            time::Duration::seconds(3_600)
        );
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert_eq!(config.serving_transport().ok(), Some(&Transport::PlainHttp));
    }

    #[test]
    fn production_serves_only_https_with_client_cas() {
        let production = from_toml(&format!("profile = \"production\"\n{KEYS}")).expect("valid");
        let refusal = production.serving_transport().expect_err("no TLS material");
        assert!(
            refusal.to_string().contains("serves only HTTPS"),
            "{refusal}"
        );
        assert!(production.auth.require_client_certificate);
        assert!(
            from_toml(&format!(
                "profile = \"production\"\n{KEYS}[tls]\nplain_http = true\n"
            ))
            .is_err()
        );
        let without_cas = format!(
            "profile = \"production\"\n{KEYS}[tls]\ncert_path = \"s.pem\"\nkey_path = \"s.key\"\n"
        );
        assert!(from_toml(&without_cas).is_err());
        let with_tls = from_toml(&format!(
            "{without_cas}client_ca_paths = [\"ca.pem\"]\ncrl_paths = [\"ca.crl\"]\n"
        ))
        .expect("valid");
        assert_eq!(with_tls.public_url, "https://127.0.0.1:8080");
        let Ok(Transport::Tls(files)) = with_tls.serving_transport() else {
            panic!("TLS expected");
        };
        assert_eq!(files.client_ca_paths, [PathBuf::from("ca.pem")]);
        assert_eq!(files.handshake_timeout, Duration::from_secs(10));
    }

    #[test]
    fn tls_settings_must_be_complete_and_consistent() {
        let integration = from_toml(KEYS).expect("valid");
        assert!(
            integration.serving_transport().is_err(),
            "neither TLS nor plain_http"
        );
        assert!(!integration.auth.require_client_certificate);
        for bad in [
            "[tls]\ncert_path = \"s.pem\"\n",
            "[tls]\nkey_path = \"s.key\"\n",
            "[tls]\nplain_http = true\ncert_path = \"s.pem\"\nkey_path = \"s.key\"\n",
            "[tls]\ncert_path = \"s.pem\"\nkey_path = \"s.key\"\ncrl_paths = [\"c.crl\"]\n",
            "[tls]\ncert_path = \"s.pem\"\nkey_path = \"s.key\"\nhandshake_timeout_secs = 0\n",
            "[tls]\nclient_cert = \"x\"\n",
        ] {
            assert!(from_toml(&format!("{KEYS}{bad}")).is_err(), "{bad}");
        }
        let unbound = from_toml(&format!(
            "{KEYS}[tls]\ncert_path = \"s.pem\"\nkey_path = \"s.key\"\ncertificate_bound_tokens = false\n"
        ))
        .expect("integration may serve HTTPS without client CAs");
        assert!(!unbound.auth.certificate_bound_tokens);
    }

    #[test]
    fn profiles_set_their_defaults_and_overrides_win() {
        let production = from_toml(&format!("profile = \"production\"\n{KEYS}")).expect("valid");
        assert_eq!(
            production.auth.access_token_lifetime,
            time::Duration::seconds(1_800)
        );
        assert_eq!(
            production.auth.refresh_token_lifetime,
            time::Duration::hours(24)
        );
        assert!(production.auth.require_allow_list && production.auth.audit);
        assert_eq!(
            production.rate_limits,
            RateLimits::for_profile(Profile::Production)
        );
        let overridden = from_toml(&format!(
            "{KEYS}[sessions]\naccess_token_ttl_secs = 60\n[rate_limits]\ndata_per_session_per_second = 7\nlogin_failures_before_backoff = 1000\n"
        ))
        .expect("valid");
        assert_eq!(
            overridden.auth.access_token_lifetime,
            time::Duration::seconds(60)
        );
        assert_eq!(overridden.rate_limits.data_per_session_per_second, 7);
        assert_eq!(overridden.auth.login_failures_before_backoff, 1000);
        assert_eq!(production.auth.login_failures_before_backoff, 4);
    }

    #[test]
    fn production_refuses_to_serve_with_the_printed_placeholder_keys() {
        assert!(EXAMPLE.contains(EXAMPLE_SESSION_SECRET));
        let example = from_toml(EXAMPLE).expect("the example loads");
        assert_eq!(
            example.serving_keys().expect("integration starts").len(),
            2,
            "and warns about both keys"
        );
        let keys_only = format!(
            "profile = \"production\"\n[keys]\nsession_secret = \"{EXAMPLE_SESSION_SECRET}\"\n\
             data_key = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n"
        );
        let refusal = from_toml(&keys_only)
            .expect("loads")
            .serving_keys()
            .expect_err("placeholders in production");
        let text = refusal.to_string();
        assert!(
            text.contains("keys.session_secret") && text.contains("keys.data_key"),
            "{text}"
        );
        assert!(text.contains("openssl rand"), "{text}");
        let real = format!(
            "profile = \"production\"\n[keys]\nsession_secret = \"{}\"\n\
             data_key = \"{}\"\n",
            "s".repeat(40),
            STANDARD.encode([9u8; 32])
        );
        assert!(
            from_toml(&real)
                .expect("loads")
                .serving_keys()
                .expect("real keys")
                .is_empty()
        );
        let short = from_toml("[keys]\nsession_secret = \"short\"\ndata_key = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n")
            .expect_err("too short");
        assert!(short.to_string().contains("openssl rand"), "{short}");
    }

    #[test]
    fn relative_sqlite_paths_in_a_file_are_under_the_files_directory() {
        let dir = Path::new("/etc/finhub");
        for (url, resolved) in [
            (
                "sqlite:finhub.db?mode=rwc",
                "sqlite:/etc/finhub/finhub.db?mode=rwc",
            ),
            ("sqlite://data/hub.db", "sqlite:///etc/finhub/data/hub.db"),
            ("sqlite:/var/lib/finhub.db", "sqlite:/var/lib/finhub.db"),
            ("sqlite::memory:", "sqlite::memory:"),
            ("postgres://db/finhub", "postgres://db/finhub"),
        ] {
            assert_eq!(sqlite_url_under(url, dir), resolved, "{url}");
        }
        let file = std::env::temp_dir().join(format!(
            "finhub-config-dir-{}/finhub.toml",
            std::process::id()
        ));
        let parent = file.parent().expect("a directory");
        std::fs::create_dir_all(parent).expect("create");
        std::fs::write(
            &file,
            format!("database_url = \"sqlite:hub.db?mode=rwc\"\n{KEYS}"),
        )
        .expect("write");
        let loaded = Config::load(Some(&file));
        let _ = std::fs::remove_dir_all(parent);
        assert_eq!(
            loaded.expect("loads").database_url,
            format!("sqlite:{}?mode=rwc", parent.join("hub.db").display())
        );
    }

    #[test]
    fn metrics_have_a_listener_of_their_own_in_production_and_when_asked() {
        assert_eq!(from_toml(KEYS).expect("valid").metrics_listen, None);
        let asked =
            from_toml(&format!("{KEYS}[metrics]\nlisten = \"127.0.0.1:9100\"\n")).expect("valid");
        assert_eq!(
            asked.metrics_listen,
            Some("127.0.0.1:9100".parse().expect("addr"))
        );
        let error = from_toml(&format!("{KEYS}[metrics]\nlisten = \"nowhere\"\n"))
            .expect_err("not an address");
        assert!(error.to_string().contains("metrics.listen"), "{error}");
    }

    #[test]
    fn redis_is_optional_and_checked_when_set() {
        assert!(from_toml(KEYS).expect("valid").redis.is_none());
        let redis = from_toml(&format!(
            "{KEYS}[redis]\nurl = \"redis://:pw@cache:6380/2\"\nkey_prefix = \"hub-a\"\ntimeout_ms = 40\nexpected_instances = 3\n"
        ))
        .expect("valid")
        .redis
        .expect("configured");
        assert_eq!(redis.options.key_prefix, "hub-a");
        assert_eq!(redis.options.timeout, Duration::from_millis(40));
        assert_eq!(redis.expected_instances, 3);
        assert!(
            !format!("{redis:?}").contains("pw@"),
            "no password in Debug"
        );
        for (bad, says) in [
            ("url = \"http://cache\"", "redis://"),
            (
                "url = \"rediss://cache\"\nca_path = \"/no/such/ca.pem\"",
                "redis.ca_path",
            ),
            ("url = \"redis://:secret@[::1\"", "unusable Redis URL"),
            (
                "url = \"redis://cache\"\nexpected_instances = 0",
                "expected_instances",
            ),
            ("url = \"redis://cache\"\ntimeout_ms = 0", "timeout_ms"),
            (
                "url = \"redis://cache\"\nkey_prefix = \"a b\"",
                "key_prefix",
            ),
        ] {
            let error = from_toml(&format!("{KEYS}[redis]\n{bad}\n")).expect_err(bad);
            assert!(error.to_string().contains(says), "{bad}: {error}");
            assert!(!error.to_string().contains("secret"), "{error}");
        }
        let error = from_toml(&format!("{KEYS}[upstream]\negress_id = \"\"\n")).expect_err("empty");
        assert!(error.to_string().contains("upstream.egress_id"), "{error}");
    }

    #[test]
    fn the_postgres_pool_and_time_limits_come_from_the_database_section() {
        let defaults = from_toml(KEYS).expect("valid").database;
        assert_eq!(defaults, finhub_store::PostgresOptions::default());
        let set = from_toml(&format!(
            "{KEYS}[database]\nmax_connections = 4\nstatement_timeout_ms = 750\n"
        ))
        .expect("valid")
        .database;
        assert_eq!(set.max_connections, 4);
        assert_eq!(set.statement_timeout, Duration::from_millis(750));
        assert_eq!(set.lock_timeout, defaults.lock_timeout);
        for bad in ["max_connections = 0", "lock_timeout_ms = 0", "pool = 3"] {
            let error = from_toml(&format!("{KEYS}[database]\n{bad}\n")).expect_err(bad);
            let key = bad.split(' ').next().unwrap_or_default();
            assert!(error.to_string().contains(key), "{bad}: {error}");
        }
    }

    #[test]
    fn the_proxy_protocol_is_read_only_from_trusted_proxies() {
        let on = from_toml(&format!(
            "trusted_proxies = [\"10.0.0.0/8\"]\nproxy_protocol = true\n{KEYS}"
        ))
        .expect("valid");
        assert_eq!(
            on.connections.proxy_protocol,
            ProxyProtocol::from(TrustedProxies::parse(&["10.0.0.0/8".to_owned()]).expect("list"))
        );
        let error = from_toml(&format!("proxy_protocol = true\n{KEYS}")).expect_err("no proxies");
        assert!(error.to_string().contains("trusted_proxies"), "{error}");
    }

    #[test]
    fn logs_are_text_or_json() {
        assert_eq!(from_toml(KEYS).expect("valid").log_format, LogFormat::Text);
        let json = from_toml(&format!("{KEYS}[log]\nformat = \"json\"\n")).expect("valid");
        assert_eq!(json.log_format, LogFormat::Json);
        let error = from_toml(&format!("{KEYS}[log]\nformat = \"xml\"\n")).expect_err("xml");
        assert!(error.to_string().contains("log.format"), "{error}");
    }

    #[test]
    fn zeros_are_refused_naming_their_key() {
        for (section, key) in [
            ("http", "request_timeout_secs"),
            ("http", "max_concurrent_password_hashes"),
            ("http", "threads"),
            ("upstream", "timeout_secs"),
            ("upstream", "result_link_ttl_secs"),
        ] {
            let error = from_toml(&format!("{KEYS}[{section}]\n{key} = 0\n")).expect_err(key);
            assert!(
                error.to_string().contains(&format!("{section}.{key}")),
                "{error}"
            );
        }
    }

    #[test]
    fn connection_limits_have_defaults_and_must_be_positive() {
        let defaults = from_toml(KEYS).expect("valid");
        assert_eq!(
            defaults.connections,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(60),
                max_connections: 1024,
                proxy_protocol: ProxyProtocol::off(),
            }
        );
        let set = from_toml(&format!(
            "{KEYS}[http]\nheader_read_timeout_secs = 3\nidle_timeout_secs = 4\nmax_connections = 5\n"
        ))
        .expect("valid");
        assert_eq!(
            set.connections,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(3),
                idle_timeout: Duration::from_secs(4),
                max_connections: 5,
                proxy_protocol: ProxyProtocol::off(),
            }
        );
        for key in [
            "header_read_timeout_secs",
            "idle_timeout_secs",
            "max_connections",
        ] {
            let error = from_toml(&format!("{KEYS}[http]\n{key} = 0\n")).expect_err(key);
            assert!(error.to_string().contains(key), "{error}");
        }
    }

    #[test]
    fn unknown_keys_missing_secrets_and_bad_values_are_refused() {
        assert!(from_toml(&format!("{KEYS}colour = \"blue\"\n")).is_err());
        assert!(from_toml(&format!("{KEYS}[sessions]\nttl = 5\n")).is_err());
        assert!(from_toml("").is_err(), "keys are required");
        assert!(from_toml(&format!("profile = \"staging\"\n{KEYS}")).is_err());
        assert!(from_toml(&format!("{KEYS}[sessions]\naccess_token_ttl_secs = 0\n")).is_err());
        assert!(
            from_toml(&format!(
                "profile = \"production\"\n{KEYS}[audit]\nenabled = false\n"
            ))
            .is_err()
        );
        let short = "[keys]\nsession_secret = \"short\"\ndata_key = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n";
        assert!(from_toml(short).is_err());
        let bad_data_key =
            "[keys]\nsession_secret = \"0123456789abcdef0123456789abcdef\"\ndata_key = \"AAAA\"\n";
        assert!(from_toml(bad_data_key).is_err());
    }

    #[test]
    fn secrets_can_come_from_files_but_not_from_both_places() {
        let dir = std::env::temp_dir().join(format!("finhub-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("session.key");
        std::fs::write(&path, "0123456789abcdef0123456789abcdef\n").expect("write");
        let file_form = format!(
            "[keys]\nsession_secret_file = {:?}\ndata_key = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n",
            path.display().to_string()
        );
        assert!(from_toml(&file_form).is_ok());
        let both = format!("{file_form}session_secret = \"0123456789abcdef0123456789abcdef\"\n");
        assert!(from_toml(&both).is_err());
        let error =
            from_toml(&file_form.replace("session.key", "missing.key")).expect_err("missing file");
        assert!(error.to_string().contains("cannot read"), "{error}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn debug_output_of_raw_keys_hides_secrets() {
        let mut raw = RawConfig::default();
        raw.keys.session_secret = Some("super-secret-session-key-0123456789".into());
        assert!(!format!("{raw:?}").contains("super-secret"));
    }
}
