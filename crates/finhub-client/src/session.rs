//! A session as the client keeps it — its bearer token, refresh token and the access token's
//! lifetime — and the rule that decides what to do before a call: nothing, refresh the access
//! token (at or below 10 % of its life left), or, once it has expired, a new session from the
//! refresh token.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a session needs before the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// More than 10 % of the access token's life is left.
    Fresh,
    /// At or below 10 % left: `POST /v1/auth/refresh`.
    Refresh,
    /// Expired: the `refresh_token` grant.
    Expired,
}

/// A session: the tokens and when the access token ends. (No `Debug` of the tokens.)
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    /// The bearer token of every call (`userSessionToken`).
    #[serde(with = "secret")]
    pub(crate) session_token: SecretString,
    /// The `refresh_token` grant's token.
    #[serde(with = "secret")]
    pub(crate) refresh_token: SecretString,
    /// When the access token ends.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) access_expires_at: OffsetDateTime,
    /// The access token's full lifetime, in seconds (what a login or a refresh gave).
    pub(crate) access_lifetime_secs: i64,
    /// The session's scope.
    pub(crate) scope: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_expires_at", &self.access_expires_at)
            .field("access_lifetime_secs", &self.access_lifetime_secs)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// What the session needs at `now`.
    pub(crate) fn freshness(&self, now: OffsetDateTime) -> Freshness {
        let left = (self.access_expires_at - now).whole_seconds();
        if left <= 0 {
            Freshness::Expired
        } else if left * 10 <= self.access_lifetime_secs {
            Freshness::Refresh
        } else {
            Freshness::Fresh
        }
    }

    /// Seconds the access token has left at `now` (0 once it has ended).
    pub(crate) fn seconds_left(&self, now: OffsetDateTime) -> i64 {
        (self.access_expires_at - now).whole_seconds().max(0)
    }
}

/// Secrets written as plain strings (only into the 0600 session file).
mod secret {
    use secrecy::{ExposeSecret, SecretString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &SecretString,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.expose_secret())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SecretString, D::Error> {
        String::deserialize(deserializer).map(SecretString::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(lifetime: i64, at: OffsetDateTime) -> Session {
        Session {
            session_token: SecretString::from("s"),
            refresh_token: SecretString::from("r"),
            access_expires_at: at + time::Duration::seconds(lifetime),
            access_lifetime_secs: lifetime,
            scope: String::new(),
        }
    }

    #[test]
    fn the_access_token_is_refreshed_at_ten_percent_and_renewed_once_expired() {
        let start = time::macros::datetime!(2026-12-04 10:00 UTC);
        let s = session(3600, start);
        let at = |secs: i64| s.freshness(start + time::Duration::seconds(secs));
        assert_eq!(at(0), Freshness::Fresh);
        assert_eq!(at(3239), Freshness::Fresh, "361 s left: more than 10 %");
        assert_eq!(at(3240), Freshness::Refresh, "360 s left: exactly 10 %");
        assert_eq!(at(3599), Freshness::Refresh);
        assert_eq!(at(3600), Freshness::Expired);
        assert_eq!(s.seconds_left(start + time::Duration::seconds(4000)), 0);
        assert!(!format!("{s:?}").contains("\"s\""));
    }
}
