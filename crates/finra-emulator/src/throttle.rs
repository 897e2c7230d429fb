//! The Query API throttle: a token bucket per peer address (burst = rate), on tokio's clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::Throttle;

/// Per-address token buckets.
#[derive(Debug)]
pub(crate) struct Throttler {
    rate: Option<f64>,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Throttler {
    pub(crate) fn new(throttle: Throttle) -> Self {
        Self {
            rate: match throttle {
                Throttle::PerSecond(rate) => Some(f64::from(rate)),
                Throttle::Off => None,
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's token for `peer`, or says how long until one is available.
    pub(crate) fn check(&self, peer: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(peer).or_insert(Bucket {
            tokens: rate,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bucket_allows_a_burst_of_rate_then_refills_at_rate() {
        let throttler = Throttler::new(Throttle::PerSecond(20));
        let peer: IpAddr = [127, 0, 0, 1].into();
        let now = Instant::now();
        for _ in 0..20 {
            assert!(throttler.check(peer, now).is_ok());
        }
        let wait = throttler
            .check(peer, now)
            .expect_err("21st request in one instant");
        assert_eq!(wait, Duration::from_millis(50));
        assert!(
            throttler
                .check(peer, now + Duration::from_millis(50))
                .is_ok()
        );
        let other: IpAddr = [127, 0, 0, 2].into();
        assert!(
            throttler.check(other, now).is_ok(),
            "buckets are per address"
        );
    }

    #[test]
    fn off_never_throttles() {
        let throttler = Throttler::new(Throttle::Off);
        let now = Instant::now();
        for _ in 0..1_000 {
            assert!(throttler.check([127, 0, 0, 1].into(), now).is_ok());
        }
    }
}
