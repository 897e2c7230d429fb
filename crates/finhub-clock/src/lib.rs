//! Time for every FinHub crate: one `Clock` for wall-clock timestamps, tokio's clock for durations.
//!
//! Durations and deadlines (token expiry, throttle buckets, queues, async readiness, timeouts) use
//! [`tokio::time::Instant`], so a test running with tokio's paused time (`start_paused`,
//! `tokio::time::advance`) moves the emulator, the client and the hub together. Wall-clock
//! timestamps (JWT `iat`/`exp`, audit times, `expires` fields) come from a [`Clock`]. The test
//! implementation, [`TokioClock`], derives wall time from tokio's clock, so both kinds of time move
//! as one. Binaries use [`SystemClock`].

#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

/// A source of the current time. Shared as [`SharedClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current wall-clock time, in UTC.
    fn now_utc(&self) -> OffsetDateTime;

    /// The current monotonic instant (tokio's clock, which tests can pause and advance).
    fn instant(&self) -> Instant {
        Instant::now()
    }

    /// Seconds since the Unix epoch, as JWT `iat`/`exp` claims want them.
    fn unix_seconds(&self) -> i64 {
        self.now_utc().unix_timestamp()
    }
}

/// A clock that every component of a process (or a test) shares.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock: wall time from the operating system.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// A [`SharedClock`] backed by the system clock.
    pub fn shared() -> SharedClock {
        Arc::new(Self)
    }
}

impl Clock for SystemClock {
    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A test clock whose wall time is derived from tokio's clock.
///
/// Wall time is `start + (tokio::time::Instant::now() - instant at creation)`, so
/// `tokio::time::advance(d)` moves both the monotonic and the wall clock by `d`.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    wall_at_start: OffsetDateTime,
    instant_at_start: Instant,
}

impl TokioClock {
    /// A clock that reads `start` now and follows tokio's clock from here on.
    pub fn starting_at(start: OffsetDateTime) -> Self {
        Self {
            wall_at_start: start,
            instant_at_start: Instant::now(),
        }
    }

    /// A clock starting at a fixed, well-known moment (2026-01-05 14:30:00 UTC, a Monday), so
    /// tests that print times are reproducible.
    pub fn fixed() -> Self {
        Self::starting_at(time::macros::datetime!(2026-01-05 14:30:00 UTC))
    }

    /// This clock as a [`SharedClock`].
    pub fn shared(self) -> SharedClock {
        Arc::new(self)
    }
}

impl Clock for TokioClock {
    fn now_utc(&self) -> OffsetDateTime {
        let elapsed: Duration = Instant::now().saturating_duration_since(self.instant_at_start);
        self.wall_at_start + elapsed
    }
}

/// A test clock whose wall time moves only when told to ([`ManualClock::advance`]): for tests
/// that talk to real services over the network, where tokio's paused time would fire every
/// timeout while a reply is on its way.
#[derive(Debug)]
pub struct ManualClock {
    now: std::sync::Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock reading `start` until advanced.
    pub fn starting_at(start: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self {
            now: std::sync::Mutex::new(start),
        })
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now_utc(&self) -> OffsetDateTime {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Formats a timestamp the way FINRA's async API writes `expires` fields: `2026-02-03 04:05:06 UTC`.
pub fn format_utc_seconds(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_wall_time_follows_advanced_tokio_time() {
        let clock = TokioClock::fixed();
        let before = clock.now_utc();
        tokio::time::advance(Duration::from_secs(3_600)).await;
        assert_eq!(clock.now_utc() - before, time::Duration::hours(1));
        assert_eq!(clock.unix_seconds() - before.unix_timestamp(), 3_600);
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = time::macros::datetime!(2026-01-05 14:30:00 UTC);
        let clock = ManualClock::starting_at(start);
        assert_eq!(clock.now_utc(), start);
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.now_utc() - start, time::Duration::milliseconds(1_500));
    }

    #[test]
    fn expires_format_matches_finra() {
        let at = time::macros::datetime!(2026-02-03 04:05:06 UTC);
        assert_eq!(format_utc_seconds(at), "2026-02-03 04:05:06 UTC");
    }
}
