//! Failed-login back-off per (tenant, username): from the 5th consecutive failure, attempts are
//! refused for 1 s, doubling with every further failure, capped at 15 minutes. Never a permanent
//! lockout; a success clears the count.

use std::time::Duration;

use time::OffsetDateTime;

/// Failures allowed before back-off starts.
pub const FREE_FAILURES: u32 = 4;
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// How long after the last of `failures` consecutive failures the next attempt must wait.
pub fn delay_after(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(20);
    Duration::from_secs(1u64 << doublings).min(MAX_DELAY)
}

/// `Some(wait)` when an attempt at `now` must be refused.
pub fn blocked_for(
    failures: u32,
    last_failure: OffsetDateTime,
    now: OffsetDateTime,
) -> Option<Duration> {
    let until = last_failure + delay_after(failures);
    let wait = until - now;
    (wait > time::Duration::ZERO).then(|| Duration::try_from(wait).unwrap_or(MAX_DELAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_starts_at_the_fifth_failure_and_doubles_to_fifteen_minutes() {
        assert_eq!(delay_after(4), Duration::ZERO);
        assert_eq!(delay_after(5), Duration::from_secs(1));
        assert_eq!(delay_after(6), Duration::from_secs(2));
        assert_eq!(delay_after(7), Duration::from_secs(4));
        assert_eq!(delay_after(14), Duration::from_secs(512));
        assert_eq!(delay_after(15), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn an_attempt_is_blocked_only_until_the_delay_has_passed() {
        let last = time::macros::datetime!(2026-01-05 14:30:00 UTC);
        assert_eq!(blocked_for(4, last, last), None);
        assert_eq!(blocked_for(5, last, last), Some(Duration::from_secs(1)));
        assert_eq!(
            blocked_for(6, last, last + time::Duration::seconds(1)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            blocked_for(6, last, last + time::Duration::seconds(2)),
            None
        );
    }
}
