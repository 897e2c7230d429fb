//! The hub every server test starts, whatever it tests. [`TestHub`] builds the state from a real
//! config over in-memory SQLite on a clock that follows tokio's (or one the test gives), with a
//! tenant, a `b2b` and a `b2c` customer, and optionally a user, an upstream FINRA credential and
//! a loopback listener (plain HTTP or TLS). Requests go in-process through its router unless the
//! transport is under test; a sibling instance over the same store stands for a second hub
//! behind a load balancer.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;

use axum::http::Method;
use base64::Engine;
use finhub_clock::{SharedClock, TokioClock};
use finhub_core::admin::Administration;
use finhub_core::ids::{TenantId, Username};
use finhub_core::mfa::MfaPolicy;
use finhub_core::model::{AccountType, UpstreamTarget};
use finhub_core::net::NetList;
use finhub_core::scope::Scope;
use finhub_core::shared_limits::SharedLimits;
use finhub_core::store::Store;
use finhub_server::config::{Config, RawConfig};
use finhub_server::http::App;
use finhub_server::tls::TlsServer;
use finhub_server::{AppState, ServingThreads};
use finhub_store::testing::{PostgresTestDatabase, redis_test_prefix};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::wire::{Call, Reply, send};

/// The session-token signing key of every test hub.
pub(crate) const SIGNING_SECRET: &str = "test signing secret of at least 32 bytes!";
/// The public URL (and issuer) of a hub that is not served on a port.
pub(crate) const ISSUER: &str = "http://hub.test";
/// The tenant of every test hub, and its default scope.
pub(crate) const TENANT: &str = "1234567";
pub(crate) const SCOPE: &str = "finra:otcMarket finra:fixedIncomeMarket";
/// The user, when the hub has one.
pub(crate) const USERNAME: &str = "alice";
pub(crate) const PASSWORD: &str = "correct horse battery staple";
/// The allow-list a production hub gets unless the test gives one.
const LOOPBACK: [&str; 2] = ["127.0.0.1/32", "::1"];

/// A customer's credentials.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub(crate) id: String,
    pub(crate) secret: String,
}

/// The tenant's upstream FINRA credential as the hub stores it.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    pub(crate) client_id: String,
    pub(crate) secret: String,
    pub(crate) api_base: String,
    pub(crate) token_url: String,
}

/// Where the hub is served besides in-process.
enum Listen {
    InProcess,
    Plain,
    Tls(Box<TlsServer>),
    /// Plain HTTP on this many serving threads, as `finhub serve` runs.
    Threads(NonZeroUsize),
}

/// What a served hub listens on.
enum Bound {
    One(TcpListener),
    Threads(ServingThreads),
}

/// Options of a [`TestHub`].
pub(crate) struct TestHubBuilder {
    raw: RawConfig,
    clock: Option<SharedClock>,
    scope: String,
    allow_list: Option<Vec<String>>,
    user: bool,
    mfa_policy: Option<MfaPolicy>,
    upstream: Option<Upstream>,
    listen: Listen,
    postgres: bool,
}

impl TestHubBuilder {
    fn new() -> Self {
        let mut raw = RawConfig {
            profile: "integration".into(),
            database_url: "sqlite::memory:".into(),
            ..RawConfig::default()
        };
        raw.keys.session_secret = Some(SIGNING_SECRET.into());
        raw.keys.data_key = Some(base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
        Self {
            raw,
            clock: None,
            scope: SCOPE.into(),
            allow_list: None,
            user: false,
            mfa_policy: None,
            upstream: None,
            listen: Listen::InProcess,
            postgres: false,
        }
    }

    /// Limits shared through the Redis at `url`, under a key prefix of the hub's own, on the
    /// hub's clock (so nothing refills unless the test moves it).
    pub(crate) fn redis(self, url: &str) -> Self {
        let prefix = redis_test_prefix("hub");
        self.config(|raw| {
            raw.redis.url = Some(url.to_owned());
            raw.redis.key_prefix = prefix;
            // Tests move tokio's paused clock in steps while Redis calls are in flight in real
            // time: a call must not time out because of those steps (a Redis that is away
            // refuses at once, which is what the fallback tests use).
            raw.redis.timeout_ms = 3_600_000;
        })
    }

    /// On a PostgreSQL database of its own (dropped with the hub) instead of in-memory SQLite.
    pub(crate) fn postgres(mut self) -> Self {
        self.postgres = true;
        self
    }

    /// The production profile, with the loopback allow-list unless one is given.
    pub(crate) fn production(self) -> Self {
        self.config(|raw| raw.profile = "production".into())
    }

    /// Edits the configuration.
    pub(crate) fn config(mut self, edit: impl FnOnce(&mut RawConfig)) -> Self {
        edit(&mut self.raw);
        self
    }

    /// The hub's clock (default: tokio's, starting at a fixed instant).
    pub(crate) fn at(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The tenant's scope.
    pub(crate) fn scope(mut self, scope: &str) -> Self {
        scope.clone_into(&mut self.scope);
        self
    }

    /// The tenant's allow-list (empty: none, even in production).
    pub(crate) fn allow_list(mut self, entries: &[&str]) -> Self {
        self.allow_list = Some(entries.iter().map(|e| (*e).to_owned()).collect());
        self
    }

    /// The user [`USERNAME`] with [`PASSWORD`].
    pub(crate) fn with_user(mut self) -> Self {
        self.user = true;
        self
    }

    /// The tenant's second-factor policy (default: the profile's, `required` in production).
    pub(crate) fn mfa_policy(mut self, policy: MfaPolicy) -> Self {
        self.mfa_policy = Some(policy);
        self
    }

    /// The tenant's upstream credential.
    pub(crate) fn with_upstream(mut self, upstream: Upstream) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// Also served over plain HTTP on `127.0.0.1:0`, which becomes its public URL unless the
    /// configuration names one.
    pub(crate) fn serve(mut self) -> Self {
        self.listen = Listen::Plain;
        self
    }

    /// Also served over plain HTTP on `127.0.0.1:0` by `threads` serving threads.
    pub(crate) fn serve_on_threads(mut self, threads: usize) -> Self {
        self.listen = Listen::Threads(NonZeroUsize::new(threads).expect("at least one thread"));
        self
    }

    /// Also served over HTTPS on `127.0.0.1:0`.
    pub(crate) fn tls(mut self, tls: TlsServer) -> Self {
        self.listen = Listen::Tls(Box::new(tls));
        self
    }

    pub(crate) async fn build(self) -> TestHub {
        let Self {
            mut raw,
            clock,
            scope,
            allow_list,
            user,
            mfa_policy,
            upstream,
            listen,
            postgres,
        } = self;
        let database = if postgres {
            let database = PostgresTestDatabase::create("hub").await;
            database.url().clone_into(&mut raw.database_url);
            Some(database)
        } else {
            None
        };
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = match &listen {
            Listen::InProcess => None,
            Listen::Plain | Listen::Tls(_) => Some(Bound::One(
                TcpListener::bind(loopback)
                    .await
                    .expect("bind the hub's listener"),
            )),
            Listen::Threads(threads) => Some(Bound::Threads(
                ServingThreads::bind(loopback, *threads).expect("bind the hub's listeners"),
            )),
        };
        let addr = listener.as_ref().map(|listener| match listener {
            Bound::One(listener) => listener.local_addr().expect("the listener's address"),
            Bound::Threads(threads) => threads.local_addr(),
        });
        if raw.public_url.is_none() {
            raw.public_url = Some(match (&listen, addr) {
                (Listen::Plain | Listen::Threads(_), Some(addr)) => format!("http://{addr}"),
                _ => ISSUER.to_owned(),
            });
        }
        let production = raw.profile == "production";
        let config = Config::from_raw(raw.clone()).expect("a valid test config");
        let clock = clock.unwrap_or_else(|| TokioClock::fixed().shared());
        let store = finhub_store::connect(&config.database_url)
            .await
            .expect("open the store");
        let state = instance(config, Arc::clone(&store), &clock);

        let admin = &state.admin;
        let tenant = TenantId::parse(TENANT).expect("tenant id");
        admin
            .create_tenant(
                &finhub_core::admin::Administrator::new("test set-up"),
                tenant.clone(),
                "Acme",
                Scope::parse(&scope).expect("scope"),
            )
            .await
            .expect("create the tenant");
        let allow_list = allow_list
            .or_else(|| production.then(|| LOOPBACK.iter().map(|e| (*e).to_owned()).collect()));
        if let Some(entries) = allow_list.filter(|entries| !entries.is_empty()) {
            // Test set-up, straight to the store: no audit entry.
            store
                .set_allow_list(&tenant, &NetList::parse(&entries).expect("allow-list"))
                .await
                .expect("set the allow-list");
        }
        let b2b = new_customer(admin, &tenant, AccountType::B2b).await;
        let b2c = new_customer(admin, &tenant, AccountType::B2c).await;
        if user {
            add_user(admin, TENANT, USERNAME, PASSWORD).await;
        }
        if let Some(policy) = mfa_policy {
            admin
                .set_mfa_policy(
                    &finhub_core::admin::Administrator::new("test set-up"),
                    &tenant,
                    Some(policy),
                )
                .await
                .expect("set the second-factor policy");
        }
        if let Some(upstream) = &upstream {
            set_upstream(&state, upstream).await;
        }

        let router = finhub_server::http::app(state.clone());
        let stop = listener.map(|listener| {
            let (stop, stopped) = oneshot::channel::<()>();
            let shutdown = async {
                let _ = stopped.await;
            };
            let limits = state.http.connections.clone();
            let app = router.clone();
            let clock = clock.clone();
            match (listen, listener) {
                (Listen::Tls(tls), Bound::One(listener)) => {
                    tokio::spawn(async move {
                        finhub_server::serve_tls(listener, app, limits, *tls, clock, shutdown)
                            .await
                            .expect("serve the hub over TLS");
                    });
                }
                (_, Bound::One(listener)) => {
                    tokio::spawn(async move {
                        finhub_server::serve(listener, app, limits, shutdown)
                            .await
                            .expect("serve the hub");
                    });
                }
                (_, Bound::Threads(threads)) => {
                    tokio::spawn(async move {
                        threads
                            .serve(app, limits, None, clock, shutdown)
                            .await
                            .expect("serve the hub on its threads");
                    });
                }
            }
            stop
        });
        TestHub {
            state,
            store,
            clock,
            router,
            raw,
            tenant,
            b2b,
            b2c,
            upstream,
            addr,
            _stop: stop,
            _database: database,
        }
    }
}

/// One instance's state over `store`; its shared limits (when `[redis]` is set) read the hub's
/// clock instead of Redis's.
fn instance(config: Config, store: Arc<dyn Store>, clock: &SharedClock) -> AppState {
    let shared: Option<Arc<dyn SharedLimits>> = config.redis.as_ref().map(|redis| {
        let limits = finhub_store::RedisLimits::new(&redis.url, redis.options.clone())
            .expect("a valid Redis URL")
            .with_clock(clock.clone());
        Arc::new(limits) as Arc<dyn SharedLimits>
    });
    AppState::with_parts(config, store, shared, clock.clone()).expect("build the hub's state")
}

/// A hub, in-process and (when built so) on a loopback port until dropped.
pub(crate) struct TestHub {
    pub(crate) state: AppState,
    /// The store under the hub (test set-up and siblings).
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: SharedClock,
    /// The hub's application, for in-process requests.
    pub(crate) router: App,
    /// The configuration it was built from.
    pub(crate) raw: RawConfig,
    pub(crate) tenant: TenantId,
    pub(crate) b2b: Customer,
    pub(crate) b2c: Customer,
    /// The upstream credential it stores, if any.
    pub(crate) upstream: Option<Upstream>,
    /// Its listener's address, when served.
    pub(crate) addr: Option<SocketAddr>,
    _stop: Option<oneshot::Sender<()>>,
    /// The PostgreSQL database under it, dropped after the hub (fields drop in order).
    _database: Option<PostgresTestDatabase>,
}

impl TestHub {
    pub(crate) fn builder() -> TestHubBuilder {
        TestHubBuilder::new()
    }

    /// Another instance over the same store, clock and configuration (as behind a load
    /// balancer): its own session cache, limiters and upstream clients.
    pub(crate) fn sibling(&self) -> AppState {
        self.sibling_with(|_| {})
    }

    /// Another instance with a store of its own over the same database (its own connection
    /// pool, as another process has): for a database several processes share.
    pub(crate) async fn sibling_with_own_store(&self) -> AppState {
        let config = Config::from_raw(self.raw.clone()).expect("a valid test config");
        let store = finhub_store::connect(&config.database_url)
            .await
            .expect("open the store again");
        instance(config, store, &self.clock)
    }

    /// [`Self::sibling`] with its configuration edited.
    pub(crate) fn sibling_with(&self, edit: impl FnOnce(&mut RawConfig)) -> AppState {
        let mut raw = self.raw.clone();
        edit(&mut raw);
        let config = Config::from_raw(raw).expect("a valid test config");
        instance(config, Arc::clone(&self.store), &self.clock)
    }

    /// Sends a request in-process.
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

    /// The body of a `password` login through `customer` (of `account_type`).
    pub(crate) fn password_body_through(
        &self,
        customer: &Customer,
        account_type: &str,
        username: &str,
        password: &str,
    ) -> Value {
        json!({
            "grantType": "password",
            "username": username,
            "password": password,
            "customerId": customer.id,
            "customerSecret": customer.secret,
            "accountType": account_type,
        })
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

/// Creates a customer and returns its credentials.
pub(crate) async fn new_customer(
    admin: &Administration,
    tenant: &TenantId,
    kind: AccountType,
) -> Customer {
    let created = admin
        .create_customer(
            &finhub_core::admin::Administrator::new("test set-up"),
            tenant,
            "app",
            kind,
        )
        .await
        .expect("create a customer");
    Customer {
        id: created.customer.id.to_string(),
        secret: created.secret.expose().to_owned(),
    }
}

/// Creates a user of `tenant`.
pub(crate) async fn add_user(admin: &Administration, tenant: &str, username: &str, password: &str) {
    admin
        .create_user(
            &finhub_core::admin::Administrator::new("test set-up"),
            &TenantId::parse(tenant).expect("tenant id"),
            Username::parse(username).expect("username"),
            SecretString::from(password.to_owned()),
        )
        .await
        .expect("create a user");
}

/// Sets (or replaces) the tenant's upstream credential.
pub(crate) async fn set_upstream(state: &AppState, upstream: &Upstream) {
    state
        .admin
        .set_upstream_credential(
            &finhub_core::admin::Administrator::new("test set-up"),
            &TenantId::parse(TENANT).expect("tenant id"),
            &upstream.client_id,
            &SecretString::from(upstream.secret.clone()),
            UpstreamTarget::Custom {
                api_base: upstream.api_base.clone(),
                token_url: upstream.token_url.clone(),
            },
        )
        .await
        .expect("set the upstream credential");
}
