//! Failed-login back-off per (tenant, username): once a run of consecutive failures is longer
//! than the failures allowed (4 by default, so from the 5th), attempts are refused for 1 s,
//! doubling with every further failure, capped at 15 minutes. Never a permanent lockout; a
//! success clears the count.

use std::time::Duration;

use time::OffsetDateTime;

/// Failures allowed before back-off starts, unless configured otherwise.
pub const FREE_FAILURES: u32 = 4;
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// How long after the last of `failures` consecutive failures the next attempt must wait, when
/// `free` failures are allowed.
pub fn delay_after(failures: u32, free: u32) -> Duration {
    if failures <= free {
        return Duration::ZERO;
    }
    let doublings = (failures - free - 1).min(20);
    Duration::from_secs(1u64 << doublings).min(MAX_DELAY)
}

/// `Some(wait)` when an attempt at `now` must be refused.
pub fn blocked_for(
    failures: u32,
    free: u32,
    last_failure: OffsetDateTime,
    now: OffsetDateTime,
) -> Option<Duration> {
    let until = last_failure + delay_after(failures, free);
    let wait = until - now;
    (wait > time::Duration::ZERO).then(|| Duration::try_from(wait).unwrap_or(MAX_DELAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_starts_at_the_fifth_failure_and_doubles_to_fifteen_minutes() {
        assert_eq!(delay_after(4, FREE_FAILURES), Duration::ZERO);
        assert_eq!(delay_after(5, FREE_FAILURES), Duration::from_secs(1));
        assert_eq!(delay_after(6, FREE_FAILURES), Duration::from_secs(2));
        assert_eq!(delay_after(7, FREE_FAILURES), Duration::from_secs(4));
        assert_eq!(delay_after(14, FREE_FAILURES), Duration::from_secs(512));
        assert_eq!(delay_after(15, FREE_FAILURES), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX, FREE_FAILURES), MAX_DELAY);
    }

    #[test]
    fn more_allowed_failures_start_the_back_off_later() {
        assert_eq!(delay_after(100, 100), Duration::ZERO);
        assert_eq!(delay_after(101, 100), Duration::from_secs(1));
        assert_eq!(delay_after(1, 0), Duration::from_secs(1));
    }

    #[test]
    fn an_attempt_is_blocked_only_until_the_delay_has_passed() {
        let last = time::macros::datetime!(2026-01-05 14:30:00 UTC);
        assert_eq!(blocked_for(4, FREE_FAILURES, last, last), None);
        assert_eq!(
            blocked_for(5, FREE_FAILURES, last, last),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            blocked_for(6, FREE_FAILURES, last, last + time::Duration::seconds(1)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            blocked_for(6, FREE_FAILURES, last, last + time::Duration::seconds(2)),
            None
        );
    }
}
