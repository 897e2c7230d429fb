//! The 10 % refresh rule: an access token is extended only when at most a tenth of its validity
//! remains (and it has not yet expired).

use time::{Duration, OffsetDateTime};

/// What a refresh request should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// More than 10 % remains: nothing is refreshed; this much validity is left.
    NotYet {
        /// Remaining validity.
        remaining: Duration,
    },
    /// At or below 10 % (and above zero): give the access token a new full lifetime.
    Refresh,
    /// Already expired: refuse.
    Expired,
}

/// Decides for an access token expiring at `expires_at` with a full lifetime of `lifetime`.
/// The boundary is inclusive: exactly 10 % remaining refreshes.
pub fn decide(
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
    lifetime: Duration,
) -> RefreshDecision {
    let remaining = expires_at - now;
    if remaining <= Duration::ZERO {
        RefreshDecision::Expired
    } else if remaining.whole_nanoseconds() * 10 <= lifetime.whole_nanoseconds() {
        RefreshDecision::Refresh
    } else {
        RefreshDecision::NotYet { remaining }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: OffsetDateTime = time::macros::datetime!(2026-01-05 14:30:00 UTC);

    #[test]
    fn the_ten_percent_boundary_is_exact_and_inclusive() {
        let lifetime = Duration::seconds(3_600);
        let expires = START + lifetime;
        let at = |elapsed: Duration| decide(START + elapsed, expires, lifetime);
        assert_eq!(
            at(Duration::ZERO),
            RefreshDecision::NotYet {
                remaining: lifetime
            }
        );
        assert_eq!(
            at(Duration::seconds(3_240) - Duration::NANOSECOND),
            RefreshDecision::NotYet {
                remaining: Duration::seconds(360) + Duration::NANOSECOND
            }
        );
        assert_eq!(
            at(Duration::seconds(3_240)),
            RefreshDecision::Refresh,
            "exactly 10 %"
        );
        assert_eq!(at(Duration::seconds(3_599)), RefreshDecision::Refresh);
        assert_eq!(at(Duration::seconds(3_600)), RefreshDecision::Expired);
        assert_eq!(at(Duration::seconds(7_200)), RefreshDecision::Expired);
    }
}
