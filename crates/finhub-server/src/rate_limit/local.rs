//! Limits kept in this process: GCRA buckets (governor) keyed by client address, customer or
//! session, on tokio's clock so paused-time tests are exact. The whole limit when the instance
//! is alone, its share of it while the shared store is away.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::num::NonZeroU32;
use std::ops::Add;
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

/// An instant of tokio's clock, as governor wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct TokioInstant(tokio::time::Instant);

impl Add<Nanos> for TokioInstant {
    type Output = Self;

    fn add(self, other: Nanos) -> Self {
        Self(self.0 + Duration::from(other))
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        Nanos::from(self.0.saturating_duration_since(earlier.0))
    }

    fn saturating_sub(&self, duration: Nanos) -> Self {
        self.0
            .checked_sub(Duration::from(duration))
            .map_or(*self, Self)
    }
}

/// governor's clock, reading tokio's.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TokioClock;

impl Clock for TokioClock {
    type Instant = TokioInstant;

    fn now(&self) -> Self::Instant {
        TokioInstant(tokio::time::Instant::now())
    }
}

/// A keyed limiter: `per_period` requests per `period` per key, bursting up to `per_period`,
/// its keys hashed by `S`.
pub struct KeyedLimiter<K: Hash + Eq + Clone, S: BuildHasher + Clone = std::hash::RandomState> {
    limiter: RateLimiter<K, DashMapStateStore<K, S>, TokioClock, NoOpMiddleware<TokioInstant>>,
}

impl<K: Hash + Eq + Clone, S: BuildHasher + Clone> fmt::Debug for KeyedLimiter<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedLimiter")
    }
}

impl<K: Hash + Eq + Clone, S: BuildHasher + Clone + Default> KeyedLimiter<K, S> {
    /// `per_period` requests per `period` for each key.
    pub fn new(per_period: u32, period: Duration) -> Self {
        let burst = NonZeroU32::new(per_period).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period / burst.get())
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        let keys = DashMapStateStore::with_hasher(S::default());
        Self {
            limiter: RateLimiter::new(quota, keys, TokioClock),
        }
    }

    /// Takes one request for `key`, or says how long to wait.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(TokioClock.now()))
    }

    /// Forgets keys whose buckets are full again, so many keys cannot exhaust memory.
    pub fn retain_recent(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_key_gets_its_burst_then_waits_exactly_one_emission_interval() {
        let limiter: KeyedLimiter<&str> = KeyedLimiter::new(120, Duration::from_secs(60));
        for _ in 0..120 {
            assert!(limiter.check(&"a").is_ok());
        }
        assert_eq!(limiter.check(&"a"), Err(Duration::from_millis(500)));
        assert!(limiter.check(&"b").is_ok(), "keys are independent");
        tokio::time::advance(Duration::from_millis(499)).await;
        assert!(limiter.check(&"a").is_err());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(limiter.check(&"a").is_ok());
    }
}
