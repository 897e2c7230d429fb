//! TRAQS access tokens: exchanged for the refresh token, cached while more than 10 % of their
//! life remains (on tokio's clock, through the shared clock), one exchange at a time however
//! many downloads wait, and exchanged again after a 401 unless another task already did. Given
//! [`SharedTokens`](crate::SharedTokens), processes using the same refresh token exchange once between them: a
//! process adopts the token another stored, and otherwise exchanges under the shared lock.

use std::sync::Mutex;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use crate::credentials::same_secret;
use crate::error::FinraError;
use crate::shared_token::{Consulted, SharedToken, consult, finish};

use super::client::Inner;

/// Largest token response read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How long before the refresh token's end every use warns.
const EXPIRY_WARNING: time::Duration = time::Duration::days(14);

#[derive(Debug, Clone)]
struct Cached {
    token: SecretString,
    lifetime: Duration,
    expires_at: Instant,
    /// The same end in wall time, as processes share it.
    expires_at_utc: time::OffsetDateTime,
}

impl Cached {
    fn is_fresh(&self, now: Instant) -> bool {
        now + self.lifetime / 10 < self.expires_at
    }

    fn shared(&self) -> SharedToken {
        SharedToken {
            secret: self.token.clone(),
            expires_at: self.expires_at_utc,
            lifetime: self.lifetime,
        }
    }
}

/// The cache and the single-flight lock.
#[derive(Debug, Default)]
pub(super) struct Access {
    cached: Mutex<Option<Cached>>,
    exchanging: tokio::sync::Mutex<()>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    error_description: Option<String>,
}

impl Access {
    fn current(&self) -> Option<Cached> {
        self.cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A usable access token: the cached one while fresh, else a new one. `refused` is a token
    /// the server just refused with 401: it is replaced even if it looks fresh (unless another
    /// task replaced it meanwhile).
    pub(super) async fn token(
        &self,
        inner: &Inner,
        refused: Option<&SecretString>,
    ) -> Result<SecretString, FinraError> {
        let usable = |cached: &Cached| {
            cached.is_fresh(inner.clock.instant())
                && refused.is_none_or(|bad| bad.expose_secret() != cached.token.expose_secret())
        };
        if let Some(cached) = self.current().filter(usable) {
            return Ok(cached.token);
        }
        let _exchanging = self.exchanging.lock().await;
        // Whoever held the lock may have exchanged already.
        if let Some(cached) = self.current().filter(usable) {
            return Ok(cached.token);
        }
        let lock = match &inner.shared {
            Some(shared) => {
                match consult(shared.as_ref(), |stored| adopt(inner, stored, refused)).await {
                    Consulted::Adopted(cached) => {
                        self.keep(cached.clone());
                        return Ok(cached.token);
                    }
                    Consulted::Locked(lock) => Some(lock),
                    Consulted::Unavailable => None,
                }
            }
            None => None,
        };
        let exchanged = exchange(inner).await;
        if let (Ok(_), Some(on_mint)) = (&exchanged, &inner.on_mint) {
            on_mint.minted();
        }
        finish(lock, &exchanged, Cached::shared).await;
        let fresh = exchanged?;
        let token = fresh.token.clone();
        self.keep(fresh);
        Ok(token)
    }

    fn keep(&self, cached: Cached) {
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cached);
    }
}

/// A token another process stored, when it is fresh and not the one TRAQS just refused.
fn adopt(
    inner: &Inner,
    stored: Option<SharedToken>,
    refused: Option<&SecretString>,
) -> Option<Cached> {
    let stored = stored?;
    if refused.is_some_and(|bad| same_secret(bad, &stored.secret)) {
        return None;
    }
    let left = Duration::try_from(stored.expires_at - inner.clock.now_utc()).ok()?;
    let cached = Cached {
        token: stored.secret,
        lifetime: stored.lifetime,
        expires_at: inner.clock.instant() + left,
        expires_at_utc: stored.expires_at,
    };
    cached.is_fresh(inner.clock.instant()).then_some(cached)
}

/// One exchange of the refresh token (and username) for an access token.
async fn exchange(inner: &Inner) -> Result<Cached, FinraError> {
    warn_when_expiring(inner);
    let sent_at = inner.clock.instant();
    let sent_at_utc = inner.clock.now_utc();
    let url = inner.url(&inner.paths.token)?;
    let response = inner
        .http
        .post(url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", inner.refresh_token.expose_secret()),
            ("username", inner.username.as_str()),
        ])
        .send()
        .await
        .map_err(|e| FinraError::from_reqwest(e, "the TRAQS token exchange"))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_limited(response).await?;
    if status.is_success() {
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|_| FinraError::Decode {
                what: "the TRAQS token answer".into(),
                excerpt: "(withheld: it may hold a token)".into(),
            })?;
        let lifetime =
            Duration::from_secs(answer.expires_in.unwrap_or(1_800).clamp(1, 86_400 * 366));
        return Ok(Cached {
            token: SecretString::from(answer.access_token),
            lifetime,
            expires_at: sent_at + lifetime,
            expires_at_utc: sent_at_utc + lifetime,
        });
    }
    if status.as_u16() == 400
        && let Ok(error) = serde_json::from_slice::<OAuthError>(&body)
        && error.error == "invalid_grant"
    {
        return Err(FinraError::TraqsRefreshTokenExpired {
            environment: inner.environment.as_str().to_owned(),
            reason: error
                .error_description
                .unwrap_or_else(|| "invalid_grant".to_owned()),
        });
    }
    Err(FinraError::from_status(status, &headers, &body))
}

/// Warns (on every exchange) when the refresh token ends within 14 days.
fn warn_when_expiring(inner: &Inner) {
    let Some(end) = inner.refresh_expires_at else {
        return;
    };
    let left = end - inner.clock.now_utc();
    if left <= EXPIRY_WARNING {
        tracing::warn!(
            environment = inner.environment.as_str(),
            expires_at = %end,
            days_left = left.whole_days(),
            "the TRAQS refresh token expires soon: a person must sign in to TRAQS and generate a \
             new one before then (`finra traqs login`)"
        );
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, FinraError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FinraError::from_reqwest(e, "the TRAQS token answer"))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(FinraError::Decode {
                what: "the TRAQS token answer (too large)".into(),
                excerpt: String::new(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
