//! [`TraqsClient`]: one TRAQS user's refresh token in one environment, and the calls made with
//! the access tokens it buys.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use finhub_clock::{SharedClock, SystemClock};
use reqwest::{StatusCode, Url};
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::error::FinraError;
use crate::on_mint::OnMint;
use crate::shared_token::SharedTokens;

use super::access::Access;
use super::download::TraqsDownload;
use super::{TraqsEnvironment, TraqsPaths};

/// Downloads TRAQS files as one user. Cheap to clone; clones share the access token.
#[derive(Clone)]
pub struct TraqsClient {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) environment: TraqsEnvironment,
    pub(super) base: Url,
    pub(super) paths: TraqsPaths,
    pub(super) username: String,
    pub(super) refresh_token: SecretString,
    pub(super) refresh_expires_at: Option<OffsetDateTime>,
    pub(super) http: reqwest::Client,
    pub(super) clock: SharedClock,
    pub(super) access: Access,
    /// Where processes using the same refresh token share its access token, if they do.
    pub(super) shared: Option<Arc<dyn SharedTokens>>,
    /// Told of every exchange.
    pub(super) on_mint: Option<OnMint>,
}

impl Inner {
    /// `path` under the base URL.
    pub(super) fn url(&self, path: &str) -> Result<Url, FinraError> {
        self.base
            .join(path)
            .map_err(|e| FinraError::Config(format!("bad TRAQS path {path:?}: {e}")))
    }
}

impl fmt::Debug for TraqsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraqsClient")
            .field("environment", &self.inner.environment)
            .field("base", &self.inner.base.as_str())
            .field("username", &self.inner.username)
            .field("refresh_token", &"[redacted]")
            .field("refresh_expires_at", &self.inner.refresh_expires_at)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TraqsClient`]; see [`TraqsClient::builder`].
#[derive(Debug)]
pub struct TraqsClientBuilder {
    environment: TraqsEnvironment,
    base_url: Option<String>,
    paths: TraqsPaths,
    username: Option<String>,
    refresh_token: Option<SecretString>,
    refresh_expires_at: Option<OffsetDateTime>,
    http: Option<reqwest::Client>,
    clock: Option<SharedClock>,
    shared: Option<Arc<dyn SharedTokens>>,
    on_mint: Option<OnMint>,
}

impl TraqsClientBuilder {
    /// The base URL (default: the environment's download host).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The paths FINRA has not published (default: the emulator's).
    pub fn paths(mut self, paths: TraqsPaths) -> Self {
        self.paths = paths;
        self
    }

    /// The TRAQS username (an e-mail address) the refresh token belongs to.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The refresh token a person minted in TRAQS.
    pub fn refresh_token(mut self, token: SecretString) -> Self {
        self.refresh_token = Some(token);
        self
    }

    /// When the refresh token ends, if known: every use warns from 14 days before.
    pub fn refresh_token_expires_at(mut self, at: OffsetDateTime) -> Self {
        self.refresh_expires_at = Some(at);
        self
    }

    /// The HTTP client (default: a new one with a 30 s connect and 120 s read timeout).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The shared clock (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Shares access tokens with the other processes using the same refresh token (several hub
    /// instances): one exchange between all of them (see [`SharedTokens`]).
    pub fn shared(mut self, shared: Arc<dyn SharedTokens>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Runs `on_mint` after every access token this client exchanges (not those it adopts).
    pub fn on_mint(mut self, on_mint: OnMint) -> Self {
        self.on_mint = Some(on_mint);
        self
    }

    /// The client, or what is missing.
    pub fn build(self) -> Result<TraqsClient, FinraError> {
        let base_text = self
            .base_url
            .unwrap_or_else(|| self.environment.base_url().to_owned());
        let base = Url::parse(&base_text)
            .map_err(|e| FinraError::Config(format!("bad TRAQS base URL {base_text:?}: {e}")))?;
        let username = self
            .username
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| FinraError::Config("a TRAQS username is required".into()))?;
        let refresh_token = self
            .refresh_token
            .ok_or_else(|| FinraError::Config("a TRAQS refresh token is required".into()))?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(30))
                .read_timeout(Duration::from_secs(120))
                .build()
                .map_err(|e| FinraError::Config(format!("cannot build an HTTP client: {e}")))?,
        };
        Ok(TraqsClient {
            inner: Arc::new(Inner {
                environment: self.environment,
                base,
                paths: self.paths,
                username,
                refresh_token,
                refresh_expires_at: self.refresh_expires_at,
                http,
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                access: Access::default(),
                shared: self.shared,
                on_mint: self.on_mint,
            }),
        })
    }
}

impl TraqsClient {
    /// A builder for `environment`.
    pub fn builder(environment: TraqsEnvironment) -> TraqsClientBuilder {
        TraqsClientBuilder {
            environment,
            base_url: None,
            paths: TraqsPaths::default(),
            username: None,
            refresh_token: None,
            refresh_expires_at: None,
            http: None,
            clock: None,
            shared: None,
            on_mint: None,
        }
    }

    /// The environment.
    pub fn environment(&self) -> TraqsEnvironment {
        self.inner.environment
    }

    /// When the refresh token ends, if known.
    pub fn refresh_token_expires_at(&self) -> Option<OffsetDateTime> {
        self.inner.refresh_expires_at
    }

    /// A usable access token (cached, or exchanged now).
    pub async fn access_token(&self) -> Result<SecretString, FinraError> {
        self.inner.access.token(&self.inner, None).await
    }

    /// A facility's file names (`action=LIST`, the emulator's definition).
    pub async fn files(&self, facility: &str) -> Result<Vec<String>, FinraError> {
        let response = self
            .get(&[("action", "LIST"), ("facility", facility)])
            .await?;
        let text = response
            .text()
            .await
            .map_err(|e| FinraError::from_reqwest(e, "the TRAQS file list"))?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// Starts downloading a file: the answer's header row is read and checked, the rest
    /// streams from the returned [`TraqsDownload`].
    pub async fn download(&self, facility: &str, file: &str) -> Result<TraqsDownload, FinraError> {
        let response = self
            .get(&[
                ("action", "DOWNLOAD"),
                ("facility", facility),
                ("file", file),
            ])
            .await?;
        TraqsDownload::start(response).await
    }

    /// A GET of the download handler with an access token; after a 401 the token is replaced
    /// once and the call repeated.
    async fn get(&self, query: &[(&str, &str)]) -> Result<reqwest::Response, FinraError> {
        let inner = &self.inner;
        let url = inner.url(&inner.paths.download)?;
        let mut refused: Option<SecretString> = None;
        for _ in 0..2 {
            let token = inner.access.token(inner, refused.as_ref()).await?;
            let response = inner
                .http
                .get(url.clone())
                .query(query)
                .bearer_auth(secrecy::ExposeSecret::expose_secret(&token))
                .header(reqwest::header::ACCEPT, "text/plain")
                .send()
                .await
                .map_err(|e| FinraError::from_reqwest(e, "the TRAQS download"))?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED && refused.is_none() {
                refused = Some(token);
                continue;
            }
            return Err(refusal(response).await);
        }
        Err(FinraError::Unauthorized {
            message: "TRAQS refused a freshly exchanged access token".into(),
        })
    }
}

/// A refused TRAQS answer as an error.
async fn refusal(response: reqwest::Response) -> FinraError {
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap_or_default();
    super::refusal(status, &body)
}
