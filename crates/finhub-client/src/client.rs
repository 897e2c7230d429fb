//! [`HubClient`]: logging in to a FinHub, keeping the session fresh — `POST /v1/auth/refresh`
//! at or below 10 % of the access token's life, one renewal at a time however many tasks ask,
//! the `refresh_token` grant once it has expired — and a `finra-client` client whose calls go
//! through the hub on that session.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use finhub_clock::SharedClock;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use url::Url;

use crate::builder::{AccountType, HubClientBuilder, Identity};
use crate::error::HubError;
use crate::session::{Freshness, Session};
use crate::store::SessionFile;

/// A client of one FinHub, for one tenant and customer. Cheap to clone; clones share the
/// session.
#[derive(Debug, Clone)]
pub struct HubClient {
    inner: Arc<Inner>,
}

/// What the builder settles.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) hub: Url,
    pub(crate) tenant: String,
    pub(crate) customer_id: String,
    pub(crate) customer_secret: SecretString,
    pub(crate) account_type: AccountType,
    pub(crate) user_agent: String,
    pub(crate) platform: String,
    pub(crate) forwarded_for: String,
    pub(crate) identity: Option<Identity>,
    pub(crate) roots: Vec<Vec<u8>>,
    pub(crate) session_file: Option<PathBuf>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    settings: Settings,
    http: reqwest::Client,
    clock: SharedClock,
    file: Option<SessionFile>,
    /// The session; held across a renewal, so concurrent callers wait for it and then use the
    /// renewed token.
    session: Mutex<Option<Session>>,
}

impl Inner {
    pub(crate) fn new(settings: Settings, http: reqwest::Client, clock: SharedClock) -> Self {
        let file = settings.session_file.as_ref().map(|path| {
            SessionFile::new(
                path.clone(),
                settings.hub.as_str(),
                &settings.tenant,
                &settings.customer_id,
            )
        });
        let session = file.as_ref().and_then(SessionFile::load);
        Self {
            settings,
            http,
            clock,
            file,
            session: Mutex::new(session),
        }
    }
}

/// A second factor given with a password.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    /// The code the authenticator app shows (spaces and dashes are dropped by the hub).
    Otp(String),
    /// One of the person's recovery codes.
    RecoveryCode(SecretString),
}

/// What a login opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// What the session may read, space-separated.
    pub scope: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

/// Who the session is and how long it has left (`GET /v1/auth/session`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The tenant.
    pub tenant_id: String,
    /// The customer.
    pub customer_id: String,
    /// The person, or `None` for a machine.
    pub username: Option<String>,
    /// `b2b` or `b2c`.
    pub account_type: String,
    /// What the session may read now.
    pub scope: String,
    /// Seconds the access token has left.
    #[serde(rename = "expires_in")]
    pub expires_in: i64,
    /// Seconds the session has left.
    #[serde(rename = "session_expires_in")]
    pub session_expires_in: i64,
    /// How the person proved who they are (RFC 8176), for persons.
    #[serde(default)]
    pub amr: Option<Vec<String>>,
}

/// A login's answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginAnswer {
    #[serde(rename = "expires_in")]
    expires_in: i64,
    scope: String,
    user_session_token: String,
    refresh_token: String,
}

/// A refresh's answer.
#[derive(Deserialize)]
struct RefreshAnswer {
    expires_in: i64,
}

/// An answer read whole.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl HubClient {
    /// A builder for the hub at `hub` (e.g. `https://hub.example.com`).
    pub fn builder(hub: impl Into<String>) -> HubClientBuilder {
        HubClientBuilder::new(hub)
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// The hub's base URL.
    pub fn hub(&self) -> &Url {
        &self.inner.settings.hub
    }

    /// Logs a person in. When the hub asks for a second factor the answer is
    /// [`HubError::MfaRequired`]: call again with `second_factor`. The password is used for this
    /// call only and never kept.
    pub async fn login_password(
        &self,
        username: &str,
        password: &SecretString,
        second_factor: Option<&SecondFactor>,
    ) -> Result<Login, HubError> {
        let mut body = self.client_fields("password");
        body["username"] = json!(username);
        body["password"] = json!(password.expose_secret());
        match second_factor {
            Some(SecondFactor::Otp(code)) => body["otp"] = json!(code),
            Some(SecondFactor::RecoveryCode(code)) => {
                body["recoveryCode"] = json!(code.expose_secret());
            }
            None => {}
        }
        self.log_in(&body).await
    }

    /// Logs a machine in with the customer's credentials (`b2b` customers only).
    pub async fn login_client_credentials(&self) -> Result<Login, HubError> {
        self.log_in(&self.client_fields("client_credentials")).await
    }

    /// Who the session is and how long it has left.
    pub async fn session_info(&self) -> Result<SessionInfo, HubError> {
        let token = self.bearer().await?;
        let answer = self
            .call(Method::GET, "/v1/auth/session", Some(&token), None)
            .await?;
        decode(&answer, "the session")
    }

    /// Ends the session and its refresh-token family at the hub, and forgets it here (and in
    /// the session file).
    pub async fn logout(&self) -> Result<(), HubError> {
        let mut session = self.inner.session.lock().await;
        let Some(current) = session.take() else {
            return Ok(());
        };
        self.forget_file();
        let answer = self
            .call(
                Method::POST,
                "/v1/auth/logout",
                Some(&current.session_token),
                None,
            )
            .await?;
        match answer.status {
            StatusCode::NO_CONTENT | StatusCode::UNAUTHORIZED => Ok(()),
            _ => Err(refused(&answer, "the logout")),
        }
    }

    /// Whether a session is held (it may still have ended at the hub).
    pub async fn is_logged_in(&self) -> bool {
        self.inner.session.lock().await.is_some()
    }

    /// Seconds the access token has left, by this client's clock, when logged in.
    pub async fn access_seconds_left(&self) -> Option<i64> {
        let now = self.inner.clock.now_utc();
        self.inner
            .session
            .lock()
            .await
            .as_ref()
            .map(|s| s.seconds_left(now))
    }

    /// The session token for the next call, renewed first when it needs to be: refreshed at or
    /// below 10 % of the access token's life, renewed by the `refresh_token` grant once expired.
    /// One renewal at a time: concurrent callers wait for it and get the renewed token.
    pub async fn bearer(&self) -> Result<SecretString, HubError> {
        let mut guard = self.inner.session.lock().await;
        let session = guard.as_mut().ok_or(HubError::NotLoggedIn)?;
        let now = self.inner.clock.now_utc();
        match session.freshness(now) {
            Freshness::Fresh => {}
            Freshness::Refresh => match self.refresh(session).await {
                Ok(()) => self.save(session),
                Err(HubError::InvalidToken(_)) => self.renew(&mut guard).await?,
                Err(error) => return Err(error),
            },
            Freshness::Expired => self.renew(&mut guard).await?,
        }
        guard
            .as_ref()
            .map(|s| s.session_token.clone())
            .ok_or(HubError::SessionEnded)
    }

    /// The hub refused `token` (401): unless the session has been renewed since, its access
    /// token is taken as expired, so the next [`bearer`](Self::bearer) renews it. Whether
    /// another token may help.
    pub async fn refused(&self, token: &SecretString) -> bool {
        let mut guard = self.inner.session.lock().await;
        let Some(session) = guard.as_mut() else {
            return false;
        };
        if session.session_token.expose_secret() == token.expose_secret() {
            session.access_expires_at = self.inner.clock.now_utc();
        }
        true
    }

    /// A `finra-client` builder for FINRA's Query API through the hub, on this session (kept
    /// fresh, renewed after a 401), trusting the same CA and presenting the same client
    /// certificate. Every paging, slicing and async feature works through the hub unchanged.
    pub fn finra_client_builder(&self) -> finra_client::FinraClientBuilder {
        let settings = &self.inner.settings;
        let base = format!("{}/v1/finra", settings.hub.as_str().trim_end_matches('/'));
        let mut builder = finra_client::FinraClient::builder()
            .api_base(base)
            .auth(finra_client::Auth::Source(Arc::new(SessionBearer(
                self.clone(),
            ))))
            .user_agent(settings.user_agent.clone())
            .clock(Arc::clone(&self.inner.clock));
        for root in &settings.roots {
            builder = builder.tls_root_certificate(root.clone());
        }
        if let Some(identity) = &settings.identity {
            builder = builder.tls_client_identity_pem(identity.0.clone());
        }
        builder
    }

    /// [`finra_client_builder`](Self::finra_client_builder), built.
    pub fn finra_client(&self) -> Result<finra_client::FinraClient, HubError> {
        self.finra_client_builder()
            .build()
            .map_err(|e| HubError::Config(e.to_string()))
    }

    /// The login body's client fields and grant.
    fn client_fields(&self, grant: &str) -> Value {
        let settings = &self.inner.settings;
        json!({
            "grantType": grant,
            "customerId": settings.customer_id,
            "customerSecret": settings.customer_secret.expose_secret(),
            "accountType": settings.account_type.as_str(),
        })
    }

    async fn log_in(&self, body: &Value) -> Result<Login, HubError> {
        let mut guard = self.inner.session.lock().await;
        let session = self.token_call(body).await?;
        let login = Login {
            scope: session.scope.clone(),
            expires_in: session.access_lifetime_secs,
        };
        self.save(&session);
        *guard = Some(session);
        Ok(login)
    }

    /// `POST /v1/auth/token`, answering a new session.
    async fn token_call(&self, body: &Value) -> Result<Session, HubError> {
        let answer = self
            .call(Method::POST, "/v1/auth/token", None, Some(body))
            .await?;
        let now = self.inner.clock.now_utc();
        let login: LoginAnswer = decode(&answer, "the login")?;
        Ok(Session {
            session_token: SecretString::from(login.user_session_token),
            refresh_token: SecretString::from(login.refresh_token),
            access_expires_at: now + time::Duration::seconds(login.expires_in),
            access_lifetime_secs: login.expires_in,
            scope: login.scope,
        })
    }

    /// `POST /v1/auth/refresh`: the access token's lifetime as the hub now counts it.
    async fn refresh(&self, session: &mut Session) -> Result<(), HubError> {
        let answer = self
            .call(
                Method::POST,
                "/v1/auth/refresh",
                Some(&session.session_token),
                None,
            )
            .await?;
        let now = self.inner.clock.now_utc();
        let refreshed: RefreshAnswer = decode(&answer, "the refresh")?;
        session.access_expires_at = now + time::Duration::seconds(refreshed.expires_in);
        tracing::debug!(
            expires_in = refreshed.expires_in,
            "refreshed the hub session"
        );
        Ok(())
    }

    /// The `refresh_token` grant: a new session in place of the expired one, or
    /// [`HubError::SessionEnded`] (and no session) when the hub refuses it.
    async fn renew(&self, guard: &mut Option<Session>) -> Result<(), HubError> {
        let Some(old) = guard.take() else {
            return Err(HubError::NotLoggedIn);
        };
        let mut body = self.client_fields("refresh_token");
        body["refreshToken"] = json!(old.refresh_token.expose_secret());
        match self.token_call(&body).await {
            Ok(session) => {
                self.save(&session);
                *guard = Some(session);
                tracing::debug!("renewed the hub session with its refresh token");
                Ok(())
            }
            Err(
                HubError::InvalidGrant(_) | HubError::InvalidClient(_) | HubError::InvalidToken(_),
            ) => {
                self.forget_file();
                Err(HubError::SessionEnded)
            }
            Err(error) => {
                // A passing failure (the hub unreachable, a rate limit): keep the session.
                *guard = Some(old);
                Err(error)
            }
        }
    }

    fn save(&self, session: &Session) {
        if let Some(file) = &self.inner.file
            && let Err(error) = file.save(session)
        {
            tracing::warn!(%error, "could not keep the session");
        }
    }

    fn forget_file(&self) {
        if let Some(file) = &self.inner.file {
            file.remove();
        }
    }

    /// One call to the hub: the login's five headers on `/v1/auth/token`, the bearer token on
    /// the others.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<&Value>,
    ) -> Result<Answer, HubError> {
        let settings = &self.inner.settings;
        let url = settings
            .hub
            .join(path)
            .map_err(|e| HubError::Config(format!("hub URL: {e}")))?;
        let mut request = self.inner.http.request(method, url);
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| HubError::Config("a session token that is not a header".into()))?;
            value.set_sensitive(true);
            request = request.header(header::AUTHORIZATION, value);
        }
        if path == "/v1/auth/token" {
            request = request
                .header("X-Tenant-ID", &settings.tenant)
                .header("sec-ch-ua-platform", &settings.platform)
                .header("X-Forwarded-For", &settings.forwarded_for);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| HubError::Transport(e.without_url()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| HubError::Transport(e.without_url()))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// A successful answer's JSON, or the hub's refusal.
fn decode<T: serde::de::DeserializeOwned>(
    answer: &Answer,
    what: &'static str,
) -> Result<T, HubError> {
    if !answer.status.is_success() {
        return Err(refused(answer, what));
    }
    serde_json::from_slice(&answer.body).map_err(|e| HubError::Unexpected {
        what,
        status: answer.status.as_u16(),
        detail: format!(
            "not the JSON {what} answers with (at line {}, column {})",
            e.line(),
            e.column()
        ),
    })
}

fn refused(answer: &Answer, what: &'static str) -> HubError {
    let retry_after = answer
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    HubError::from_answer(what, answer.status.as_u16(), retry_after, &answer.body)
}

/// The session as `finra-client`'s bearer source.
#[derive(Debug)]
struct SessionBearer(HubClient);

#[async_trait::async_trait]
impl finra_client::BearerSource for SessionBearer {
    async fn bearer(&self) -> Result<SecretString, finra_client::FinraError> {
        self.0.bearer().await.map_err(|error| match error {
            HubError::Transport(error) => finra_client::FinraError::Transport(Box::new(error)),
            other => finra_client::FinraError::Unauthorized {
                message: format!("the FinHub session: {other}"),
            },
        })
    }

    async fn refused(&self, token: &SecretString) -> bool {
        self.0.refused(token).await
    }
}
