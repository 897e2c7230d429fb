//! The limits several instances share, and what an instance does while the shared store (Redis)
//! is away: it decides alone at its share of each limit, says so in the log once a minute,
//! counts every such decision, and goes back to the shared limits as soon as the store answers.

use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use finhub_core::shared_limits::{Admission, Gcra, LimitKey, SharedLimitError, SharedLimits};
use prometheus_client::metrics::counter::Counter;
use tokio::time::Instant;

/// How often "Redis is away" is logged while it stays away.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// The shared store, the instance count its limits are split by, and the fallback record.
#[derive(Clone)]
pub struct SharedStore {
    store: Arc<dyn SharedLimits>,
    expected_instances: u32,
    fallbacks: Arc<Fallbacks>,
}

impl fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedStore")
            .field("store", &self.store)
            .field("expected_instances", &self.expected_instances)
            .field("fallbacks", &self.fallbacks.count())
            .finish()
    }
}

impl SharedStore {
    /// Limits in `store`, shared by `expected_instances` instances; decisions taken alone are
    /// counted in `fallbacks` (the metrics' counter).
    pub fn new(store: Arc<dyn SharedLimits>, expected_instances: u32, fallbacks: Counter) -> Self {
        Self {
            store,
            expected_instances: expected_instances.max(1),
            fallbacks: Arc::new(Fallbacks {
                count: fallbacks,
                away: AtomicBool::new(false),
                last_logged: Mutex::new(None),
            }),
        }
    }

    /// This instance's share of `limit` (at least one), for while the store is away.
    pub fn share_of(&self, limit: u32) -> u32 {
        (limit / self.expected_instances).max(1)
    }

    /// Books one request under every `(key, limit)` in the shared store (all or none), or
    /// `None` when the store could not decide (recorded under `name`; the caller decides alone).
    pub async fn admit(
        &self,
        name: &'static str,
        limits: &[(&LimitKey, Gcra)],
        max_wait: Duration,
    ) -> Option<Admission> {
        match self.store.admit(limits, max_wait).await {
            Ok(admission) => {
                self.fallbacks.resumed();
                Some(admission)
            }
            Err(error) => {
                self.fallbacks.record(name, &error, self.expected_instances);
                None
            }
        }
    }

    /// Decisions taken alone because the store was away, since start.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.count()
    }

    /// Whether the store answers now.
    pub async fn ping(&self) -> Result<(), SharedLimitError> {
        self.store.ping().await
    }
}

/// The record of decisions taken alone.
#[derive(Debug)]
struct Fallbacks {
    count: Counter,
    away: AtomicBool,
    last_logged: Mutex<Option<Instant>>,
}

impl Fallbacks {
    fn record(&self, limit: &str, error: &SharedLimitError, instances: u32) {
        let count = self.count.inc() + 1;
        self.away.store(true, Ordering::Relaxed);
        let now = Instant::now();
        let mut last = self
            .last_logged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| now.duration_since(at) >= LOG_EVERY) {
            *last = Some(now);
            tracing::warn!(
                limit,
                %error,
                fallbacks = count,
                expected_instances = instances,
                "Redis is away: this instance applies its share of the shared limits by itself \
                 (limit ÷ expected_instances) until Redis answers again"
            );
        }
    }

    fn resumed(&self) {
        // A load first: the hot path only reads the flag (no write to a shared cache line).
        if self.away.load(Ordering::Relaxed) && self.away.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis answers again: the limits are shared again");
            *self
                .last_logged
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        }
    }

    fn count(&self) -> u64 {
        self.count.get()
    }
}
