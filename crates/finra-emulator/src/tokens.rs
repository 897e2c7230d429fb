//! Access tokens the token service issued: minting, lookup, expiry, and who a caller is.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use tokio::time::Instant;

use crate::config::Tier;

/// The fixed prefix of FINRA's tokens: a ForgeRock stateless-token header.
const TOKEN_PREFIX: &str = "*AAJTSQACMDIABHR5cGUAA0pXVAACUzEAAjAx*";
/// The JWS header FINRA's tokens carry after the prefix.
const JWS_HEADER: &str = "eyJ0eXAiOiJKV1QiLCJjdHkiOiJKV1QiLCJhbGciOiJIUzI1NiJ9";

#[derive(Debug, Clone)]
struct IssuedToken {
    client_id: String,
    tier: Tier,
    expires_at: Instant,
}

/// Who sent a Query API request, judged from its `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A header that is not a token this emulator issued (garbage, Basic, `Bearer None`).
    Unrecognised,
    /// A token this emulator issued that has expired.
    Expired,
    /// A valid token.
    Account {
        /// The client id the token was minted for.
        client_id: String,
        /// The credential's tier.
        tier: Tier,
    },
}

/// All tokens issued so far.
#[derive(Debug, Default)]
pub(crate) struct TokenRegistry {
    issued: Mutex<HashMap<String, IssuedToken>>,
}

impl TokenRegistry {
    /// Mints an opaque token shaped like FINRA's (`*…*eyJ…` and over 500 characters).
    pub(crate) fn mint(&self, client_id: &str, tier: Tier, ttl: Duration, now: Instant) -> String {
        let mut payload = [0u8; 384];
        let mut signature = [0u8; 32];
        rand::rng().fill_bytes(&mut payload);
        rand::rng().fill_bytes(&mut signature);
        let token = format!(
            "{TOKEN_PREFIX}{JWS_HEADER}.{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        );
        let mut issued = self.lock();
        issued.retain(|_, t| t.expires_at > now);
        issued.insert(
            token.clone(),
            IssuedToken {
                client_id: client_id.to_owned(),
                tier,
                expires_at: now + ttl,
            },
        );
        token
    }

    /// Classifies the `Authorization` header of a request.
    pub(crate) fn caller(&self, authorization: Option<&str>, now: Instant) -> Caller {
        let Some(value) = authorization else {
            return Caller::Anonymous;
        };
        let Some(token) = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
        else {
            return Caller::Unrecognised;
        };
        match self.lock().get(token.trim()) {
            None => Caller::Unrecognised,
            Some(issued) if issued.expires_at <= now => Caller::Expired,
            Some(issued) => Caller::Account {
                client_id: issued.client_id.clone(),
                tier: issued.tier,
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, IssuedToken>> {
        self.issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokens_look_like_finra_and_expire_after_their_ttl() {
        let registry = TokenRegistry::default();
        let now = Instant::now();
        let token = registry.mint("id", Tier::Public, Duration::from_secs(60), now);
        assert!(
            token.starts_with('*') && token.len() > 500,
            "{}",
            token.len()
        );
        let header = format!("Bearer {token}");
        assert!(matches!(
            registry.caller(Some(&header), now + Duration::from_secs(59)),
            Caller::Account { .. }
        ));
        assert_eq!(
            registry.caller(Some(&header), now + Duration::from_secs(60)),
            Caller::Expired
        );
        assert_eq!(
            registry.caller(Some("Bearer None"), now),
            Caller::Unrecognised
        );
        assert_eq!(
            registry.caller(Some("Basic Tm9uZTpOb25l"), now),
            Caller::Unrecognised
        );
        assert_eq!(registry.caller(None, now), Caller::Anonymous);
    }
}
