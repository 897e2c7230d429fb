//! Shared rate limits in Redis: [`RedisLimits`] runs one GCRA step per request — over every
//! limit the request counts against at once — in a Lua script (`gcra.lua`) on Redis's clock,
//! the requests that arrive together in one call (`batch`), through one multiplexed connection
//! that reconnects by itself. Every decision is bounded by a time limit, so a slow or absent
//! Redis costs a caller that long at most; the caller then falls back to its own limits.

mod batch;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use finhub_clock::SharedClock;
use finhub_core::shared_limits::{Admission, Gcra, LimitKey, SharedLimitError, SharedLimits};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use tokio::sync::{mpsc, oneshot};

/// How to reach Redis and how long to wait for it.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Prepended to every key (with a `:`), so several hubs (or tests) can share one Redis.
    pub key_prefix: String,
    /// The longest one limit decision may take, connecting included.
    pub timeout: Duration,
    /// For `rediss://`: the CA certificates (PEM) Redis's certificate must chain to, instead of
    /// the system's.
    pub ca_pem: Option<Vec<u8>>,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            key_prefix: "finhub".into(),
            timeout: Duration::from_millis(100),
            ca_pem: None,
        }
    }
}

/// Which clock the script reads "now" from.
#[derive(Clone)]
enum ScriptClock {
    /// Redis's own (`TIME`): one clock for every instance.
    Server,
    /// The hub's injectable clock, so tests can move time exactly.
    Given(SharedClock),
}

/// GCRA counters in Redis, shared by every instance that uses the same key prefix.
#[derive(Clone)]
pub struct RedisLimits {
    connection: ConnectionManager,
    options: RedisOptions,
    clock: ScriptClock,
    /// The queue of admissions the batching task sends, started on the first one (so in the
    /// runtime that makes the decisions).
    queue: Arc<OnceLock<mpsc::UnboundedSender<batch::Pending>>>,
}

impl fmt::Debug for RedisLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password; it is not kept.
        f.debug_struct("RedisLimits")
            .field("key_prefix", &self.options.key_prefix)
            .field("timeout", &self.options.timeout)
            .finish_non_exhaustive()
    }
}

/// A Redis URL this build cannot use (the URL itself is not repeated: it may hold a password).
#[derive(Debug, thiserror::Error)]
#[error("unusable Redis URL (expected redis://[user:password@]host[:port][/db]): {0}")]
pub struct RedisUrlError(String);

impl RedisLimits {
    /// Checks a Redis URL's form (nothing is connected).
    pub fn check_url(url: &str) -> Result<(), RedisUrlError> {
        Self::client(url, None).map(drop)
    }

    /// A client for `url`; over TLS (`rediss://`) trusting `ca_pem` when given.
    fn client(url: &str, ca_pem: Option<&[u8]>) -> Result<Client, RedisUrlError> {
        let refused = |error: redis::RedisError| RedisUrlError(format!("{:?}", error.kind()));
        match ca_pem {
            Some(ca) if url.starts_with("rediss://") => Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(ca.to_vec()),
                },
            )
            .map_err(refused),
            _ => Client::open(url).map_err(refused),
        }
    }

    /// Limits in the Redis at `url`, connecting on first use (so a hub starts while Redis is
    /// away, on its fallback limits). Checks only the URL's form. Call it inside a tokio
    /// runtime.
    pub fn new(url: &str, options: RedisOptions) -> Result<Self, RedisUrlError> {
        let client = Self::client(url, options.ca_pem.as_deref())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            // No retry loop inside the manager: a failing call falls back at once, and the next
            // call starts a fresh connection attempt (no back-off sleeping in between).
            .set_number_of_retries(0);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|error| RedisUrlError(format!("{:?}", error.kind())))?;
        Ok(Self {
            connection,
            options,
            clock: ScriptClock::Server,
            queue: Arc::default(),
        })
    }

    /// Reads "now" from `clock` instead of Redis's `TIME` (tests moving time by hand).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = ScriptClock::Given(clock);
        self
    }

    /// The time limit of one decision.
    pub fn timeout(&self) -> Duration {
        self.options.timeout
    }

    /// The batching task's queue, starting the task on first use.
    fn queue(&self) -> &mpsc::UnboundedSender<batch::Pending> {
        self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            let clock = self.clock.clone();
            let now = move || match &clock {
                ScriptClock::Server => String::new(),
                ScriptClock::Given(clock) => {
                    (clock.now_utc().unix_timestamp_nanos() / 1_000).to_string()
                }
            };
            let script = Script::new(include_str!("gcra.lua"));
            let connection = self.connection.clone();
            let timeout = self.options.timeout;
            tokio::spawn(batch::run(receiver, connection, script, now, timeout));
            sender
        })
    }

    /// Bounds `call` by the time limit and describes a failure without the URL.
    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, redis::RedisError>>,
    ) -> Result<T, SharedLimitError> {
        match tokio::time::timeout(self.options.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(failure(&error, self.options.timeout)),
            Err(_) => Err(SharedLimitError::TimedOut(self.options.timeout)),
        }
    }
}

/// A duration in whole microseconds, capped where Lua's numbers stay exact (2^52 µs: 142 years).
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .min(1 << 52)
}

/// What went wrong, in words that never include the URL or a password.
fn describe(error: &redis::RedisError) -> String {
    if error.is_connection_refusal() {
        "connection refused".into()
    } else if error.is_io_error() || error.is_connection_dropped() {
        "connection lost".into()
    } else {
        format!("{:?} error", error.kind())
    }
}

/// A failed call as the caller's error (`timeout`: the connection's time limit, which is the
/// decision's).
fn failure(error: &redis::RedisError, timeout: Duration) -> SharedLimitError {
    if error.is_timeout() {
        SharedLimitError::TimedOut(timeout)
    } else {
        SharedLimitError::Unavailable(describe(error))
    }
}

#[async_trait]
impl SharedLimits for RedisLimits {
    async fn admit(
        &self,
        limits: &[(&LimitKey, Gcra)],
        max_wait: Duration,
    ) -> Result<Admission, SharedLimitError> {
        let prefix = &self.options.key_prefix;
        let keys = limits
            .iter()
            .map(|(key, limit)| {
                (
                    format!("{prefix}:{}", key.as_str()),
                    micros(limit.interval),
                    micros(limit.tolerance()),
                )
            })
            .collect();
        let (answer, answered) = oneshot::channel();
        let pending = batch::Pending {
            keys,
            max_wait: micros(max_wait),
            answer,
        };
        if self.queue().send(pending).is_err() {
            return Err(SharedLimitError::Unavailable(
                "the batching task has stopped".into(),
            ));
        }
        let (booked, micros) = match tokio::time::timeout(self.options.timeout, answered).await {
            Ok(Ok(decision)) => decision?,
            Ok(Err(_)) => {
                return Err(SharedLimitError::Unavailable(
                    "the batching task has stopped".into(),
                ));
            }
            Err(_) => return Err(SharedLimitError::TimedOut(self.options.timeout)),
        };
        let duration = Duration::from_micros(micros);
        Ok(if booked {
            Admission::Booked { after: duration }
        } else {
            Admission::Refused {
                retry_after: duration,
            }
        })
    }

    async fn ping(&self) -> Result<(), SharedLimitError> {
        let mut connection = self.connection.clone();
        self.bounded(async move {
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
                .map(drop)
        })
        .await
    }
}
