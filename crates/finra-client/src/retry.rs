//! The retry policy for idempotent calls: which failures are retried (429, 5xx, timeouts and
//! connection failures) and how long to wait (full-jitter exponential backoff, or FINRA's
//! `Retry-After` when it gives one). Waits use `tokio::time::sleep`, so paused-time tests are
//! exact.

use std::time::Duration;

use rand::Rng;

/// How often and how patiently idempotent calls are retried.
///
/// Data queries are read-only, so GETs and the POSTs of data queries are both retried. A
/// `Retry-After` longer than `max_delay` is not waited for: the call fails with
/// [`FinraError::RateLimited`](crate::FinraError::RateLimited) carrying the wait, and the caller
/// decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// The backoff's first ceiling; attempt `n` waits a random time in `[0, base_delay · 2ⁿ]`.
    pub base_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// Never retry: every failure reaches the caller at once (a proxy passing FINRA's statuses
    /// through wants this).
    pub const fn none() -> Self {
        Self {
            max_retries: 0,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The wait before retry number `retry` (0-based), or `None` when no retry is left or
    /// FINRA's `Retry-After` is longer than this policy is willing to wait.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= self.max_delay).then_some(wait);
        }
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(30)))
            .min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Some(Duration::from_nanos(rand::rng().random_range(0..=nanos)))
    }

    /// Whether a response status is worth retrying on an idempotent call.
    pub(crate) fn retries_status(status: u16) -> bool {
        matches!(status, 429 | 500 | 502 | 503 | 504 | 520..=599)
    }

    /// Whether a transport failure is worth retrying (timeouts and failed connections).
    pub(crate) fn retries_transport(error: &reqwest::Error) -> bool {
        error.is_timeout() || error.is_connect()
    }
}

impl Default for RetryPolicy {
    /// Three retries, 500 ms base, 30 s ceiling.
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_below_an_exponential_ceiling() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for retry in 0..5 {
            let ceiling =
                (Duration::from_millis(100) * 2u32.pow(retry)).min(Duration::from_secs(1));
            for _ in 0..50 {
                let wait = policy.delay(retry, None).expect("retries left");
                assert!(wait <= ceiling, "{wait:?} > {ceiling:?}");
            }
        }
        assert_eq!(policy.delay(5, None), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_ceiling() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay(0, Some(Duration::from_secs(3_600))), None);
        assert_eq!(
            RetryPolicy::none().delay(0, Some(Duration::from_secs(1))),
            None
        );
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for status in [429, 500, 502, 503, 504] {
            assert!(RetryPolicy::retries_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 501, 505] {
            assert!(!RetryPolicy::retries_status(status), "{status}");
        }
    }
}
