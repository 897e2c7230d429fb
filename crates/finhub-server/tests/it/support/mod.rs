//! The authentication suite's fixture: a [`TestApp`] is the shared [`TestHub`] (integration
//! profile unless told otherwise, a tenant with a `b2b` and a `b2c` customer, optionally the
//! user) with a capture of every log line the test's thread writes, requests sent in-process.
//!
//! Paused time: [`TestApp`] holds a `FreezeGuard` for its lifetime, so tokio's paused clock never
//! auto-advances while sqlx or a socket is awaited: time moves only by `tokio::time::advance`.

use std::ops::Deref;
use std::sync::Arc;

use axum::http::Method;
use finhub_core::admin::Administration;
use finhub_core::ids::TenantId;
use finhub_core::net::NetList;
use finhub_core::store::Store;
use serde_json::Value;

pub(crate) use crate::common::log_capture::LogCapture;
use crate::common::paused_time::FreezeGuard;
pub(crate) use crate::common::paused_time::{settle, until};
pub(crate) use crate::common::test_hub::{
    ISSUER, PASSWORD, SCOPE, SIGNING_SECRET, TENANT, TestHub, TestHubBuilder, USERNAME, add_user,
    new_customer as new_client,
};
pub(crate) use crate::common::wire::{Call, Reply, Tokens, send, send_request};

/// Options of a [`TestApp`]: the shared builder's, and the authentication settings this suite
/// varies.
pub(crate) struct Builder(TestHubBuilder);

impl Builder {
    pub(crate) fn production(self) -> Self {
        Self(self.0.production().allow_list(&["127.0.0.1"]))
    }
    /// Also served on a loopback port ([`TestHub::addr`]).
    pub(crate) fn serve(self) -> Self {
        Self(
            self.0
                .serve()
                .config(|raw| raw.public_url = Some(ISSUER.to_owned())),
        )
    }
    pub(crate) fn with_user(self) -> Self {
        Self(self.0.with_user())
    }
    pub(crate) fn mfa_policy(self, policy: finhub_core::mfa::MfaPolicy) -> Self {
        Self(self.0.mfa_policy(policy))
    }
    pub(crate) fn config(self, edit: impl FnOnce(&mut finhub_server::config::RawConfig)) -> Self {
        Self(self.0.config(edit))
    }
    pub(crate) fn allow_list(self, entries: &[&str]) -> Self {
        Self(self.0.allow_list(entries))
    }
    pub(crate) fn trusted_proxies(self, entries: &[&str]) -> Self {
        let entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
        Self(self.0.config(|raw| raw.trusted_proxies = entries))
    }
    pub(crate) fn access_ttl(self, secs: u64) -> Self {
        Self(
            self.0
                .config(|raw| raw.sessions.access_token_ttl_secs = Some(secs)),
        )
    }
    pub(crate) fn session_ttl(self, secs: u64) -> Self {
        Self(
            self.0
                .config(|raw| raw.sessions.session_ttl_secs = Some(secs)),
        )
    }
    pub(crate) fn per_address_per_minute(self, n: u32) -> Self {
        Self(
            self.0
                .config(|raw| raw.rate_limits.token_per_address_per_minute = Some(n)),
        )
    }
    pub(crate) fn per_customer_per_minute(self, n: u32) -> Self {
        Self(
            self.0
                .config(|raw| raw.rate_limits.token_per_customer_per_minute = Some(n)),
        )
    }
    /// Header-read and idle time limits (seconds) and the connection cap.
    pub(crate) fn connection_limits(
        self,
        header_read_secs: u64,
        idle_secs: u64,
        max_connections: usize,
    ) -> Self {
        Self(self.0.config(|raw| {
            raw.http.header_read_timeout_secs = header_read_secs;
            raw.http.idle_timeout_secs = idle_secs;
            raw.http.max_connections = max_connections;
        }))
    }

    /// On a PostgreSQL database of its own.
    pub(crate) fn postgres(self) -> Self {
        Self(self.0.postgres())
    }

    /// Limits shared through the Redis at `url` by `instances` instances.
    pub(crate) fn redis(self, url: &str, instances: u32) -> Self {
        Self(
            self.0
                .redis(url)
                .config(|raw| raw.redis.expected_instances = instances),
        )
    }

    pub(crate) async fn build(self) -> TestApp {
        let freeze = FreezeGuard::new();
        let logs = LogCapture::default();
        let log_guard = logs.install();
        TestApp {
            hub: self.0.build().await,
            logs,
            _log_guard: log_guard,
            _freeze: freeze,
        }
    }
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

/// A running hub in-process, with its log lines captured.
pub(crate) struct TestApp {
    hub: TestHub,
    pub(crate) logs: LogCapture,
    _log_guard: tracing::subscriber::DefaultGuard,
    _freeze: FreezeGuard,
}

impl Deref for TestApp {
    type Target = TestHub;

    fn deref(&self) -> &TestHub {
        &self.hub
    }
}

impl TestApp {
    pub(crate) fn builder() -> Builder {
        Builder(TestHub::builder())
    }

    /// An integration-profile app without a user.
    pub(crate) async fn new() -> Self {
        Self::builder().build().await
    }

    pub(crate) fn admin(&self) -> &Administration {
        &self.state.admin
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.hub.store
    }

    /// The body of a `password` login of a user through the `b2c` customer.
    pub(crate) fn password_body(&self, username: &str, password: &str) -> Value {
        self.password_body_through(&self.b2c, "b2c", username, password)
    }

    /// A successful `client_credentials` login.
    pub(crate) async fn client_login(&self) -> Tokens {
        let reply = self.send(self.token_call(&self.client_body())).await;
        reply.tokens()
    }

    /// `POST /v1/auth/token` with the `refresh_token` grant: the customer's credentials and
    /// this refresh token.
    pub(crate) async fn exchange(&self, refresh_token: &str) -> Reply {
        self.send(self.token_call(&self.refresh_grant_body(refresh_token)))
            .await
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
}

/// Moves tokio's clock (and the hub's wall clock with it).
pub(crate) async fn advance(secs: u64) {
    tokio::time::advance(std::time::Duration::from_secs(secs)).await;
}
