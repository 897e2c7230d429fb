//! Access tokens for one credential: minting them the way FINRA's token service accepts (HTTP
//! Basic, `grant_type=client_credentials` once, in the query string, empty body), caching them,
//! refreshing them before they expire, one mint at a time however many tasks wait, and
//! re-minting after a 401.
//!
//! **Refresh margin.** A cached token is used while more than
//! `min(10 % of its lifetime, 5 minutes)` of it remains. FINRA's ~12 h tokens are therefore
//! replaced 5 minutes early; short test lifetimes (the emulator's `with_token_ttl`) are replaced
//! when 90 % of their life has passed. Expiry is measured from when the mint request was sent,
//! on tokio's clock (through the shared [`Clock`](finhub_clock::Clock)), so paused-time tests
//! move it exactly. If a refresh fails while the cached token has not yet expired, the cached
//! token is still used (and the failure logged).
//!
//! **Shared tokens.** Given [`SharedTokens`], a manager adopts a token another process stored and
//! mints only under the lock they share, re-reading the stored token once it holds it; see
//! [`crate::shared_token`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finhub_clock::{SharedClock, SystemClock};
use reqwest::header::HeaderValue;
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::credentials::{Credentials, same_secret};
use crate::error::FinraError;
use crate::on_mint::OnMint;
use crate::retry::RetryPolicy;
use crate::shared_token::{Consulted, SharedToken, SharedTokens, consult, finish};

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The most a token's refresh margin can be.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime assumed when the token service gives no `expires_in` (FINRA always does).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(1_800);
/// Longest lifetime believed (ten years); longer `expires_in` values are capped.
const MAX_LIFETIME_SECS: f64 = 10.0 * 365.0 * 86_400.0;
/// Largest token response read.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// An access token and what is known about it. `Debug` never shows the token. Cheap to clone:
/// every request that uses it takes a copy.
#[derive(Clone)]
pub struct AccessToken {
    secret: Arc<SecretString>,
    /// `Bearer <token>`, built once (marked sensitive); `None` when the token holds
    /// characters a header cannot carry.
    authorization: Option<HeaderValue>,
    token_type: Option<Arc<str>>,
    scope: Option<Arc<str>>,
    lifetime: Duration,
    expires_at: Instant,
    expires_at_utc: OffsetDateTime,
}

impl AccessToken {
    /// The token itself, to send as `Authorization: Bearer …`.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// `Authorization: Bearer …` for it, or `None` when the token holds characters a header
    /// cannot carry.
    pub(crate) fn authorization(&self) -> Option<&HeaderValue> {
        self.authorization.as_ref()
    }

    /// A harmless preview for people: FINRA tokens all start with the same fixed header, so the
    /// first 8 characters and the length say which kind of token it is without revealing it.
    pub fn preview(&self) -> String {
        let token = self.secret.expose_secret();
        let head: String = token.chars().take(8).collect();
        format!("{head}… ({} characters)", token.chars().count())
    }

    /// The `token_type` FINRA returned (`bearer`).
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// The `scope` FINRA returned.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The lifetime FINRA announced (`expires_in`).
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// When it expires, on tokio's clock.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// When it expires, in wall-clock time (from the shared clock).
    pub fn expires_at_utc(&self) -> OffsetDateTime {
        self.expires_at_utc
    }

    /// As processes share it.
    fn shared(&self) -> SharedToken {
        SharedToken {
            secret: SecretString::clone(&self.secret),
            expires_at: self.expires_at_utc,
            lifetime: self.lifetime,
        }
    }

    /// Whether it is still good to use at `now`, keeping the refresh margin.
    fn is_fresh(&self, now: Instant) -> bool {
        let margin = (self.lifetime / 10).min(MAX_REFRESH_MARGIN);
        now + margin < self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("lifetime", &self.lifetime)
            .field("expires_at_utc", &self.expires_at_utc)
            .finish_non_exhaustive()
    }
}

/// Mints and caches access tokens for one credential and token URL. Cheap to clone; clones
/// share the cache, so one manager per credential serves every task (and every client) that
/// uses it.
#[derive(Debug, Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    credentials: Credentials,
    token_url: Url,
    http: reqwest::Client,
    clock: SharedClock,
    retry: RetryPolicy,
    /// The current token; read without waiting.
    cached: Mutex<Option<AccessToken>>,
    /// Held while minting, so only one mint runs at a time.
    minting: tokio::sync::Mutex<()>,
    /// Where other processes minting for the same credential keep its token, if anywhere.
    shared: Option<Arc<dyn SharedTokens>>,
    /// The last token the API refused (401): never adopted from the share again.
    refused: Mutex<Option<SecretString>>,
    /// Told of every mint.
    on_mint: Option<OnMint>,
}

/// Builds a [`TokenManager`]; see [`TokenManager::builder`].
#[derive(Debug)]
pub struct TokenManagerBuilder {
    credentials: Credentials,
    token_url: String,
    http: Option<reqwest::Client>,
    clock: Option<SharedClock>,
    retry: RetryPolicy,
    shared: Option<Arc<dyn SharedTokens>>,
    on_mint: Option<OnMint>,
}

impl TokenManagerBuilder {
    /// Runs `on_mint` after every token this manager mints (not those it adopts).
    pub fn on_mint(mut self, on_mint: OnMint) -> Self {
        self.on_mint = Some(on_mint);
        self
    }

    /// Shares tokens with the other processes minting for the same credential (default: none;
    /// this process mints for itself).
    pub fn shared(mut self, shared: Arc<dyn SharedTokens>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// The token URL (default: FINRA production's).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// The HTTP client to mint with (default: a new one with a 30 s timeout).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The shared clock (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Retries of failed mints on 429/5xx/timeouts (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The manager.
    pub fn build(self) -> Result<TokenManager, FinraError> {
        let token_url = Url::parse(&self.token_url)
            .map_err(|e| FinraError::Config(format!("invalid token URL: {e}")))?;
        let http = match self.http {
            Some(http) => http,
            None => crate::builder::default_http_client(
                Duration::from_secs(30),
                crate::builder::DEFAULT_USER_AGENT,
            )?,
        };
        Ok(TokenManager {
            inner: Arc::new(Inner {
                credentials: self.credentials,
                token_url,
                http,
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                retry: self.retry,
                cached: Mutex::new(None),
                minting: tokio::sync::Mutex::new(()),
                shared: self.shared,
                refused: Mutex::new(None),
                on_mint: self.on_mint,
            }),
        })
    }
}

impl TokenManager {
    /// A builder for a manager of these credentials.
    pub fn builder(credentials: Credentials) -> TokenManagerBuilder {
        TokenManagerBuilder {
            credentials,
            token_url: crate::builder::Environment::Production
                .token_url()
                .to_owned(),
            http: None,
            clock: None,
            retry: RetryPolicy::default(),
            shared: None,
            on_mint: None,
        }
    }

    /// The credentials this manager mints for.
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The token URL it mints at.
    pub fn token_url(&self) -> &Url {
        &self.inner.token_url
    }

    /// A token good for at least the refresh margin: the cached one, or a new one. However many
    /// tasks call this at once, at most one mint runs; the others wait for it and use its token.
    pub async fn token(&self) -> Result<AccessToken, FinraError> {
        if let Some(token) = self.fresh_cached() {
            return Ok(token);
        }
        let _minting = self.inner.minting.lock().await;
        // Another task may have minted while this one waited.
        if let Some(token) = self.fresh_cached() {
            return Ok(token);
        }
        let lock = match &self.inner.shared {
            Some(shared) => match consult(shared.as_ref(), |stored| self.adopt(stored)).await {
                Consulted::Adopted(token) => return Ok(token),
                Consulted::Locked(lock) => Some(lock),
                Consulted::Unavailable => None,
            },
            None => None,
        };
        let minted = self.mint().await;
        finish(lock, &minted, AccessToken::shared).await;
        match minted {
            Ok(token) => {
                *self.lock_cached() = Some(token.clone());
                Ok(token)
            }
            Err(error) => {
                let now = self.inner.clock.instant();
                match self.lock_cached().clone() {
                    Some(old) if now < old.expires_at => {
                        tracing::warn!(%error, "token refresh failed; using the cached token until it expires");
                        Ok(old)
                    }
                    _ => Err(error),
                }
            }
        }
    }

    /// Forgets `failed` (a token the API just refused with 401) so that the next
    /// [`token`](Self::token) mints a new one. Does nothing when the cache already holds a
    /// different token (another task re-minted already).
    pub fn invalidate(&self, failed: &AccessToken) {
        let mut cached = self.lock_cached();
        if cached
            .as_ref()
            .is_some_and(|current| same_secret(&current.secret, &failed.secret))
        {
            *cached = None;
        }
        if self.inner.shared.is_some() {
            *lock(&self.inner.refused) = Some(SecretString::clone(&failed.secret));
        }
    }

    /// `stored` as this process's cached token, when it is fresh and not the one the API
    /// refused last.
    fn adopt(&self, stored: Option<SharedToken>) -> Option<AccessToken> {
        let stored = stored?;
        if lock(&self.inner.refused)
            .as_ref()
            .is_some_and(|refused| same_secret(refused, &stored.secret))
        {
            return None;
        }
        let clock = &self.inner.clock;
        let left = stored.expires_at - clock.now_utc();
        let token = AccessToken {
            authorization: bearer_header(&stored.secret),
            secret: Arc::new(stored.secret),
            token_type: Some(Arc::from("Bearer")),
            scope: None,
            lifetime: stored.lifetime,
            expires_at: clock.instant() + Duration::try_from(left).unwrap_or_default(),
            expires_at_utc: stored.expires_at,
        };
        if !token.is_fresh(clock.instant()) {
            return None;
        }
        *self.lock_cached() = Some(token.clone());
        tracing::debug!("adopted the token another instance minted");
        Some(token)
    }

    /// Mints a new token now, bypassing the cache (and replacing it on success). For
    /// diagnostics such as `finra auth check`.
    pub async fn mint_now(&self) -> Result<AccessToken, FinraError> {
        let _minting = self.inner.minting.lock().await;
        let token = self.mint().await?;
        *self.lock_cached() = Some(token.clone());
        Ok(token)
    }

    fn fresh_cached(&self) -> Option<AccessToken> {
        let now = self.inner.clock.instant();
        self.lock_cached()
            .as_ref()
            .filter(|token| token.is_fresh(now))
            .cloned()
    }

    fn lock_cached(&self) -> std::sync::MutexGuard<'_, Option<AccessToken>> {
        lock(&self.inner.cached)
    }

    /// One mint, with retries of transient failures.
    async fn mint(&self) -> Result<AccessToken, FinraError> {
        let mut retry = 0;
        loop {
            let (error, retry_after) = match self.mint_once().await {
                Ok(token) => {
                    if let Some(on_mint) = &self.inner.on_mint {
                        on_mint.minted();
                    }
                    return Ok(token);
                }
                Err(MintFailure::Final(error)) => return Err(error),
                Err(MintFailure::Transient(error, retry_after)) => (error, retry_after),
            };
            let Some(wait) = self.inner.retry.delay(retry, retry_after) else {
                return Err(error);
            };
            tracing::debug!(%error, ?wait, "retrying the token request");
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    async fn mint_once(&self) -> Result<AccessToken, MintFailure> {
        let inner = &self.inner;
        let sent_at = inner.clock.instant();
        let sent_at_utc = inner.clock.now_utc();
        let response = inner
            .http
            .post(mint_url(&inner.token_url))
            .basic_auth(
                inner.credentials.client_id(),
                Some(inner.credentials.client_secret().expose_secret()),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_LENGTH, 0)
            .send()
            .await
            .map_err(MintFailure::from_reqwest)?;
        let status = response.status();
        let retry_after = crate::error::retry_after(response.headers());
        let body =
            crate::client::read_limited(response, MAX_TOKEN_RESPONSE_BYTES, "token response")
                .await
                .map_err(MintFailure::Final)?;
        if status == StatusCode::OK {
            let token = parse_token(&body, sent_at, sent_at_utc).map_err(MintFailure::Final)?;
            tracing::debug!(lifetime = ?token.lifetime, "minted an access token");
            return Ok(token);
        }
        let error = token_error(status, &body, retry_after);
        if RetryPolicy::retries_status(status.as_u16()) {
            Err(MintFailure::Transient(error, retry_after))
        } else {
            Err(MintFailure::Final(error))
        }
    }
}

enum MintFailure {
    Final(FinraError),
    Transient(FinraError, Option<Duration>),
}

impl MintFailure {
    fn from_reqwest(error: reqwest::Error) -> Self {
        let transient = RetryPolicy::retries_transport(&error);
        let error = FinraError::from_reqwest(error, "the token request");
        if transient {
            Self::Transient(error, None)
        } else {
            Self::Final(error)
        }
    }
}

/// The token URL with `grant_type=client_credentials` in the query string, unless the
/// configured URL already carries a `grant_type` (sending it twice is refused).
fn mint_url(token_url: &Url) -> Url {
    let mut url = token_url.clone();
    if !url.query_pairs().any(|(key, _)| key == "grant_type") {
        url.query_pairs_mut()
            .append_pair("grant_type", "client_credentials");
    }
    url
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct TokenErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

fn parse_token(
    body: &[u8],
    sent_at: Instant,
    sent_at_utc: OffsetDateTime,
) -> Result<AccessToken, FinraError> {
    let response: TokenResponse = serde_json::from_slice(body)
        .map_err(|e| FinraError::decode(format!("the token response ({e})"), body))?;
    let secret = response
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| FinraError::decode("the token response (no access_token)", body))?;
    let lifetime = match response.expires_in {
        None | Some(serde_json::Value::Null) => DEFAULT_LIFETIME,
        Some(value) => parse_expires_in(&value).ok_or_else(|| FinraError::Decode {
            what: "the token response's expires_in".to_owned(),
            excerpt: format!("{value}"),
        })?,
    };
    let secret = SecretString::from(secret);
    Ok(AccessToken {
        authorization: bearer_header(&secret),
        secret: Arc::new(secret),
        token_type: response.token_type.map(Arc::from),
        scope: response.scope.map(Arc::from),
        lifetime,
        expires_at: sent_at + lifetime,
        expires_at_utc: sent_at_utc
            .checked_add(time::Duration::seconds_f64(lifetime.as_secs_f64()))
            .unwrap_or(sent_at_utc),
    })
}

/// `Bearer <secret>` as a sensitive header value, when the secret can be one.
pub(crate) fn bearer_header(secret: &SecretString) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", secret.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// `expires_in` as FINRA sends it (a string, `"43199"`) or as the RFC says (a number).
fn parse_expires_in(value: &serde_json::Value) -> Option<Duration> {
    let seconds = match value {
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok()?,
        serde_json::Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| Duration::from_secs_f64(seconds.min(MAX_LIFETIME_SECS)))
}

/// The token service's answer through both of its parsers (the fuzz targets' entry).
#[cfg(feature = "fuzzing")]
pub(crate) fn parse_token_for_fuzzing(status: StatusCode, body: &[u8]) {
    let _ = parse_token(body, Instant::now(), OffsetDateTime::UNIX_EPOCH);
    let _ = token_error(status, body, None);
}

/// The error for a non-200 token response: FIP answers bad credentials with 400 (not 401) and
/// `{"error_message", "error"}`.
fn token_error(status: StatusCode, body: &[u8], retry_after: Option<Duration>) -> FinraError {
    let parsed: Option<TokenErrorBody> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().and_then(|b| b.error.clone());
    let reason = parsed.as_ref().and_then(|b| {
        b.error_message
            .clone()
            .or_else(|| b.error_description.clone())
    });
    match (status.as_u16(), code.as_deref()) {
        (_, Some("unsupported_grant_type")) => FinraError::UnsupportedGrantType,
        (400 | 401, Some(code)) => FinraError::BadCredentials {
            reason: reason.unwrap_or_else(|| code.to_owned()),
            code: code.to_owned(),
        },
        (429, _) => FinraError::RateLimited { retry_after },
        (400..=499, _) => FinraError::BadRequest {
            status: status.as_u16(),
            message: reason.unwrap_or_else(|| crate::error::excerpt(body)),
        },
        (code, _) => FinraError::Server {
            status: code,
            message: reason.unwrap_or_else(|| crate::error::excerpt(body)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_is_accepted_as_string_or_number() {
        let of = |v: serde_json::Value| parse_expires_in(&v);
        assert_eq!(
            of(serde_json::json!("43199")),
            Some(Duration::from_secs(43_199))
        );
        assert_eq!(of(serde_json::json!(" 60 ")), Some(Duration::from_secs(60)));
        assert_eq!(
            of(serde_json::json!(3600)),
            Some(Duration::from_secs(3_600))
        );
        assert_eq!(of(serde_json::json!("soon")), None);
        assert_eq!(of(serde_json::json!(-5)), None);
    }

    #[test]
    fn grant_type_is_added_once() {
        let plain =
            Url::parse("https://ews.fip.finra.org/fip/rest/ews/oauth2/access_token").expect("url");
        assert_eq!(
            mint_url(&plain).query(),
            Some("grant_type=client_credentials")
        );
        let already = Url::parse("https://h/t?grant_type=client_credentials").expect("url");
        assert_eq!(
            mint_url(&already).query(),
            Some("grant_type=client_credentials")
        );
    }

    #[test]
    fn fip_error_bodies_map_to_reasons() {
        let bad = token_error(
            StatusCode::BAD_REQUEST,
            br#"{"error_message":"Invalid Credentials","error":"invalid_client"}"#,
            None,
        );
        assert!(
            matches!(&bad, FinraError::BadCredentials { reason, code } if reason == "Invalid Credentials" && code == "invalid_client"),
            "{bad:?}"
        );
        let grant = token_error(
            StatusCode::BAD_REQUEST,
            br#"{"error":"unsupported_grant_type"}"#,
            None,
        );
        assert!(matches!(grant, FinraError::UnsupportedGrantType));
        let down = token_error(StatusCode::SERVICE_UNAVAILABLE, b"", None);
        assert!(matches!(down, FinraError::Server { status: 503, .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_margin_is_the_smaller_of_a_tenth_and_five_minutes() {
        let now = Instant::now();
        let token = |lifetime: Duration| AccessToken {
            secret: Arc::new(SecretString::from("t")),
            authorization: None,
            token_type: None,
            scope: None,
            lifetime,
            expires_at: now + lifetime,
            expires_at_utc: OffsetDateTime::UNIX_EPOCH,
        };
        let long = token(Duration::from_secs(43_200));
        assert!(long.is_fresh(now + Duration::from_secs(43_200 - 301)));
        assert!(!long.is_fresh(now + Duration::from_secs(43_200 - 300)));
        let short = token(Duration::from_secs(60));
        assert!(short.is_fresh(now + Duration::from_secs(53)));
        assert!(!short.is_fresh(now + Duration::from_secs(54)));
        let debug = format!("{long:?}");
        assert!(!debug.contains("secret: \"t\""), "{debug}");
        assert_eq!(long.preview(), "t… (1 characters)");
    }
}
