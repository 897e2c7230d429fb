//! Test support: a [`TestApp`] built from a real config over an in-memory SQLite store and a
//! clock that follows tokio's (paused) time, with a tenant, a `b2b` and a `b2c` customer and
//! optionally a user; requests sent in-process with `oneshot` (the peer address given through
//! `MockConnectInfo`); and a capture of every log line the test's thread writes.
//!
//! Paused time: [`TestApp`] holds a `FreezeGuard` for its lifetime, so tokio's paused clock never
//! auto-advances while sqlx or a socket is awaited: time moves only by `tokio::time::advance`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use base64::Engine;
use finhub_clock::TokioClock;
use finhub_core::auth::AuthService;
use finhub_core::ids::{TenantId, Username};
use finhub_core::model::AccountType;
use finhub_core::net::NetList;
use finhub_core::scope::Scope;
use finhub_core::store::Store;
use finhub_server::AppState;
use finhub_server::config::{Config, RawConfig};
use secrecy::SecretString;
use serde_json::{Value, json};

mod wire;

pub(crate) use wire::{Call, Reply, Tokens, send, send_request};

/// The session-token signing key of every test app.
pub(crate) const SIGNING_SECRET: &str = "test signing secret of at least 32 bytes!";
/// The issuer of every test app.
pub(crate) const ISSUER: &str = "http://hub.test";
/// The tenant of every test app, and its scope.
pub(crate) const TENANT: &str = "1234567";
pub(crate) const SCOPE: &str = "finra:otcMarket finra:fixedIncomeMarket";
/// The user, when the app has one.
pub(crate) const USERNAME: &str = "alice";
pub(crate) const PASSWORD: &str = "correct horse battery staple";
/// The default peer address of requests.
pub(crate) const PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A customer's credentials.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) secret: String,
}

/// Options of a [`TestApp`].
#[derive(Debug, Default)]
pub(crate) struct Builder {
    production: bool,
    with_user: bool,
    allow_list: Option<Vec<String>>,
    trusted_proxies: Vec<String>,
    access_ttl_secs: Option<u64>,
    session_ttl_secs: Option<u64>,
    per_address: Option<u32>,
    per_customer: Option<u32>,
    /// Header-read and idle time limits (seconds) and the connection cap.
    connections: Option<(u64, u64, usize)>,
}

impl Builder {
    pub(crate) fn production(mut self) -> Self {
        self.production = true;
        self
    }
    pub(crate) fn with_user(mut self) -> Self {
        self.with_user = true;
        self
    }
    pub(crate) fn allow_list(mut self, entries: &[&str]) -> Self {
        self.allow_list = Some(entries.iter().map(|e| (*e).to_owned()).collect());
        self
    }
    pub(crate) fn trusted_proxies(mut self, entries: &[&str]) -> Self {
        self.trusted_proxies = entries.iter().map(|e| (*e).to_owned()).collect();
        self
    }
    pub(crate) fn access_ttl(mut self, secs: u64) -> Self {
        self.access_ttl_secs = Some(secs);
        self
    }
    pub(crate) fn session_ttl(mut self, secs: u64) -> Self {
        self.session_ttl_secs = Some(secs);
        self
    }
    pub(crate) fn per_address_per_minute(mut self, n: u32) -> Self {
        self.per_address = Some(n);
        self
    }
    pub(crate) fn per_customer_per_minute(mut self, n: u32) -> Self {
        self.per_customer = Some(n);
        self
    }
    pub(crate) fn connection_limits(
        mut self,
        header_read_secs: u64,
        idle_secs: u64,
        max_connections: usize,
    ) -> Self {
        self.connections = Some((header_read_secs, idle_secs, max_connections));
        self
    }

    pub(crate) async fn build(self) -> TestApp {
        let freeze = FreezeGuard::new();
        let logs = LogCapture::default();
        let log_guard = logs.install();
        let profile = if self.production {
            "production"
        } else {
            "integration"
        };
        let mut raw = RawConfig {
            profile: profile.into(),
            database_url: "sqlite::memory:".into(),
            public_url: Some(ISSUER.into()),
            trusted_proxies: self.trusted_proxies,
            ..RawConfig::default()
        };
        raw.keys.session_secret = Some(SIGNING_SECRET.into());
        raw.keys.data_key = Some(base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
        raw.sessions.access_token_ttl_secs = self.access_ttl_secs;
        raw.sessions.session_ttl_secs = self.session_ttl_secs;
        raw.rate_limits.token_per_address_per_minute = self.per_address;
        raw.rate_limits.token_per_customer_per_minute = self.per_customer;
        if let Some((header_read, idle, max)) = self.connections {
            raw.http.header_read_timeout_secs = header_read;
            raw.http.idle_timeout_secs = idle;
            raw.http.max_connections = max;
        }
        let config = Config::from_raw(raw).expect("a valid test config");
        let store = finhub_store::connect(&config.database_url)
            .await
            .expect("open the store");
        let state = AppState::with_store(config, Arc::clone(&store), TokioClock::fixed().shared())
            .expect("build the app state");
        let auth = state.auth.clone();
        let tenant = TenantId::parse(TENANT).expect("tenant id");
        auth.create_tenant(tenant.clone(), "Acme", Scope::parse(SCOPE).expect("scope"))
            .await
            .expect("create the tenant");
        let allow_list = self
            .allow_list
            .or_else(|| self.production.then(|| vec!["127.0.0.1".to_owned()]));
        if let Some(entries) = allow_list {
            set_allow_list(store.as_ref(), TENANT, &entries).await;
        }
        let b2b = new_client(&auth, &tenant, AccountType::B2b).await;
        let b2c = new_client(&auth, &tenant, AccountType::B2c).await;
        if self.with_user {
            add_user(&auth, TENANT, USERNAME, PASSWORD).await;
        }
        let router = finhub_server::http::router(state.clone());
        TestApp {
            state,
            store,
            router,
            b2b,
            b2c,
            logs,
            _log_guard: log_guard,
            _freeze: freeze,
        }
    }
}

/// Creates a customer and returns its credentials.
pub(crate) async fn new_client(auth: &AuthService, tenant: &TenantId, kind: AccountType) -> Client {
    let created = auth
        .create_customer(tenant, "client", kind)
        .await
        .expect("create a customer");
    Client {
        id: created.customer.id.to_string(),
        secret: created.secret.expose().to_owned(),
    }
}

/// Creates a user.
pub(crate) async fn add_user(auth: &AuthService, tenant: &str, username: &str, password: &str) {
    auth.create_user(
        &TenantId::parse(tenant).expect("tenant id"),
        Username::parse(username).expect("username"),
        SecretString::from(password.to_owned()),
    )
    .await
    .expect("create a user");
}

/// Replaces a tenant's allow-list in the store (test set-up: no audit entry).
pub(crate) async fn set_allow_list(store: &dyn Store, tenant: &str, entries: &[String]) {
    store
        .set_allow_list(
            &TenantId::parse(tenant).expect("tenant id"),
            &NetList::parse(entries).expect("allow-list"),
        )
        .await
        .expect("set the allow-list");
}

#[path = "../../common/log_capture.rs"]
mod log_capture;
pub(crate) use log_capture::LogCapture;

#[path = "../../common/paused_time.rs"]
mod paused_time;
use paused_time::FreezeGuard;
pub(crate) use paused_time::{settle, until};

/// A running hub in-process.
pub(crate) struct TestApp {
    pub(crate) state: AppState,
    /// The store under the app (as a second instance or a test would open it).
    store: Arc<dyn Store>,
    pub(crate) router: Router,
    pub(crate) b2b: Client,
    pub(crate) b2c: Client,
    pub(crate) logs: LogCapture,
    _log_guard: tracing::subscriber::DefaultGuard,
    _freeze: FreezeGuard,
}

impl TestApp {
    pub(crate) fn builder() -> Builder {
        Builder::default()
    }

    /// An integration-profile app without a user.
    pub(crate) async fn new() -> Self {
        Self::builder().build().await
    }

    pub(crate) fn auth(&self) -> &AuthService {
        &self.state.auth
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Sends a request as it is.
    pub(crate) async fn send(&self, call: Call) -> Reply {
        send(&self.router, call).await
    }

    /// `POST /v1/auth/token` with the five headers and a JSON body.
    pub(crate) fn token_call(&self, body: &Value) -> Call {
        Call::new(Method::POST, "/v1/auth/token")
            .header("content-type", "application/json")
            .header("sec-ch-ua-platform", "\"Windows\"")
            .header("x-forwarded-for", "127.0.0.1")
            .header("user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
            .header("x-tenant-id", TENANT)
            .body(body.to_string())
    }

    /// The body of a `client_credentials` login of the `b2b` customer.
    pub(crate) fn client_body(&self) -> Value {
        json!({
            "grantType": "client_credentials",
            "customerId": self.b2b.id,
            "customerSecret": self.b2b.secret,
            "accountType": "b2b",
        })
    }

    /// The body of a `password` login of the user through the `b2c` customer.
    pub(crate) fn password_body(&self, username: &str, password: &str) -> Value {
        json!({
            "grantType": "password",
            "username": username,
            "password": password,
            "customerId": self.b2c.id,
            "customerSecret": self.b2c.secret,
            "accountType": "b2c",
        })
    }

    /// A successful `client_credentials` login.
    pub(crate) async fn client_login(&self) -> Tokens {
        let reply = self.send(self.token_call(&self.client_body())).await;
        reply.tokens()
    }

    /// A successful `password` login of the user.
    pub(crate) async fn password_login(&self) -> Tokens {
        let body = self.password_body(USERNAME, PASSWORD);
        self.send(self.token_call(&body)).await.tokens()
    }

    /// `GET /v1/auth/session` with this bearer token.
    pub(crate) async fn session(&self, token: &str) -> Reply {
        self.send(Call::new(Method::GET, "/v1/auth/session").bearer(token))
            .await
    }

    /// `POST /v1/auth/refresh` with this bearer token and no body.
    pub(crate) async fn refresh(&self, token: &str) -> Reply {
        self.send(Call::new(Method::POST, "/v1/auth/refresh").bearer(token))
            .await
    }

    /// `POST /v1/auth/logout` with this bearer token.
    pub(crate) async fn logout(&self, token: &str) -> Reply {
        self.send(Call::new(Method::POST, "/v1/auth/logout").bearer(token))
            .await
    }

    /// The body of a `refresh_token` grant of the `b2b` customer.
    pub(crate) fn refresh_grant_body(&self, refresh_token: &str) -> Value {
        json!({
            "grantType": "refresh_token",
            "refreshToken": refresh_token,
            "customerId": self.b2b.id,
            "customerSecret": self.b2b.secret,
            "accountType": "b2b",
        })
    }
}

/// Moves tokio's clock (and the hub's wall clock with it).
pub(crate) async fn advance(secs: u64) {
    tokio::time::advance(std::time::Duration::from_secs(secs)).await;
}
