//! Rate limits several hub instances share: the contract of a counter store (Redis) that runs
//! one GCRA step atomically on its own clock, and the keys the hub's limits use in it.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

/// A GCRA limit: one request every `interval` on average, `burst` of them at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// Time between two requests at the sustained rate.
    pub interval: Duration,
    /// Requests that may start together when the bucket is full (at least 1).
    pub burst: u32,
}

impl Gcra {
    /// `per_period` requests per `period`, all of them at once when rested.
    pub fn per_period(per_period: u32, period: Duration) -> Self {
        let burst = per_period.max(1);
        Self {
            interval: period / burst,
            burst,
        }
    }

    /// `requests` per second, with bursts `reserve` smaller than the rate (at least 1).
    pub fn per_second_with_reserve(requests: u32, reserve: u32) -> Self {
        let requests = requests.max(1);
        Self {
            interval: Duration::from_secs(1) / requests,
            burst: requests.saturating_sub(reserve).max(1),
        }
    }

    /// How far ahead of the sustained schedule a burst may run.
    pub fn tolerance(&self) -> Duration {
        self.interval * (self.burst.max(1) - 1)
    }
}

/// What a shared limit decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The request is booked; it may start after this long (zero: at once).
    Booked {
        /// How long to wait before starting.
        after: Duration,
    },
    /// Nothing was booked: the next slot starts later than the caller agreed to wait.
    Refused {
        /// How long after the agreed wait the next slot starts.
        retry_after: Duration,
    },
}

/// A key of a shared limit: the limit's name and a digest of what it counts (an address, a
/// customer, a session), so keys have a bounded length and carry nothing secret or personal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LimitKey(String);

impl LimitKey {
    /// The key of `limit` for `subject` (any text: it is hashed).
    pub fn new(limit: &str, subject: &str) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, subject.as_bytes());
        let mut key = String::with_capacity(limit.len() + 33);
        key.push_str(limit);
        key.push(':');
        for byte in &digest.as_ref()[..16] {
            key.push(char::from(HEX[usize::from(byte >> 4)]));
            key.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(key)
    }

    /// A key that is a plain name (the upstream pacer's egress).
    pub fn named(limit: &str, name: &str) -> Self {
        Self(format!("{limit}:{name}"))
    }

    /// The key's text (appended to the store's key prefix).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LimitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LimitKey({})", self.0)
    }
}

/// Why a shared limit could not decide: the caller falls back to a limit of its own.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SharedLimitError {
    /// The counter store did not answer within its time limit.
    #[error("the shared limit store did not answer within {0:?}")]
    TimedOut(Duration),
    /// The counter store answered with an error or could not be reached.
    #[error("the shared limit store failed: {0}")]
    Unavailable(String),
}

/// A store of GCRA counters every instance shares.
#[async_trait]
pub trait SharedLimits: Send + Sync + fmt::Debug {
    /// Books one request under every `(key, limit)` given if its slot starts within
    /// `max_wait` under all of them — or under none: the reads, the decision and the writes are
    /// one atomic step on the store's clock. (Several limits with a wait book each key from its
    /// own slot; a joint admission is meant for a zero wait.)
    async fn admit(
        &self,
        limits: &[(&LimitKey, Gcra)],
        max_wait: Duration,
    ) -> Result<Admission, SharedLimitError>;

    /// Whether the store answers now (readiness).
    async fn ping(&self) -> Result<(), SharedLimitError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_per_period_spreads_its_requests_and_bursts_all_of_them() {
        let limit = Gcra::per_period(120, Duration::from_secs(60));
        assert_eq!(limit.interval, Duration::from_millis(500));
        assert_eq!(limit.burst, 120);
        assert_eq!(limit.tolerance(), Duration::from_millis(500) * 119);
        assert_eq!(Gcra::per_period(0, Duration::from_secs(1)).burst, 1);
    }

    #[test]
    fn a_pacer_limit_keeps_its_reserve_out_of_the_burst() {
        let limit = Gcra::per_second_with_reserve(20, 2);
        assert_eq!(limit.interval, Duration::from_millis(50));
        assert_eq!(limit.burst, 18);
        assert_eq!(Gcra::per_second_with_reserve(1, 5).burst, 1);
    }

    #[test]
    fn keys_are_bounded_and_do_not_show_what_they_count() {
        let key = LimitKey::new("token_customer", &"x".repeat(10_000));
        assert_eq!(key.as_str().len(), "token_customer:".len() + 32);
        assert!(
            !LimitKey::new("s", "secret-session")
                .as_str()
                .contains("secret")
        );
        assert_ne!(LimitKey::new("a", "1"), LimitKey::new("b", "1"));
        assert_eq!(
            LimitKey::named("pacer", "default").as_str(),
            "pacer:default"
        );
    }
}
