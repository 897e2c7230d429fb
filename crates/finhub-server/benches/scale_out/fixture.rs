//! The benchmark's hub instances: a config per shape (store, Redis, upstream pacing, PROXY
//! headers), instances served on loopback ports of this process, the demo tenant seeded once
//! per database, and a session to load them with.

use std::net::SocketAddr;

use finhub_clock::SystemClock;
use finhub_server::AppState;
use finhub_server::config::{Config, RawConfig};
use finra_emulator::{Credential, EmulatorConfig, RunningEmulator, Throttle, Tier};
use serde_json::{Value, json};

pub(crate) const TENANT: &str = "1234567";
const UPSTREAM_ID: &str = "bench-hub";
const UPSTREAM_SECRET: &str = "bench-hub-upstream-secret";
/// The small proxied call every data benchmark sends.
pub(crate) const DATA_CALL: &str = "/v1/finra/data/group/otcMarket/name/weeklySummary?limit=1";

/// What an instance's config differs in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shape {
    pub(crate) database_url: String,
    /// Redis for shared limits and pacing.
    pub(crate) redis: Option<String>,
    pub(crate) redis_prefix: String,
    /// Upstream requests per second (0: unpaced).
    pub(crate) requests_per_second: u32,
    /// Connections from loopback start with a PROXY header (behind nginx).
    pub(crate) behind_proxy: bool,
    pub(crate) expected_instances: u32,
}

impl Shape {
    fn config(&self) -> Config {
        let mut raw = RawConfig {
            listen: "127.0.0.1:0".into(),
            public_url: Some("http://finhub.bench".into()),
            database_url: self.database_url.clone(),
            ..RawConfig::default()
        };
        raw.keys.session_secret = Some("bench-session-key-0123456789abcdef".into());
        raw.keys.data_key = Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into());
        // The limits are checked on every call, but never refuse: the hub is measured.
        raw.rate_limits.token_per_address_per_minute = Some(100_000_000);
        raw.rate_limits.token_per_customer_per_minute = Some(100_000_000);
        raw.rate_limits.data_per_session_per_second = Some(100_000_000);
        raw.rate_limits.data_per_customer_per_second = Some(100_000_000);
        raw.upstream.requests_per_second = self.requests_per_second;
        if let Some(url) = &self.redis {
            raw.redis.url = Some(url.clone());
            raw.redis.key_prefix.clone_from(&self.redis_prefix);
            raw.redis.expected_instances = self.expected_instances.max(1);
        }
        if self.behind_proxy {
            raw.trusted_proxies = vec!["127.0.0.1/32".into()];
            raw.proxy_protocol = true;
        }
        Config::from_raw(raw).expect("bench config")
    }
}

/// An emulator with the hub's upstream credential; FINRA's throttle as given.
pub(crate) async fn emulator(throttle: Throttle) -> RunningEmulator {
    finra_emulator::spawn(
        EmulatorConfig::default()
            .with_throttle(throttle)
            .with_credentials([Credential::new(UPSTREAM_ID, UPSTREAM_SECRET, Tier::Public)]),
    )
    .await
    .expect("the emulator starts")
}

/// One instance, served on a loopback port.
pub(crate) struct Instance {
    pub(crate) state: AppState,
    pub(crate) addr: SocketAddr,
}

impl Instance {
    /// Builds and serves an instance of `shape`.
    pub(crate) async fn start(shape: &Shape) -> Self {
        let state = AppState::build(shape.config(), SystemClock::shared())
            .await
            .expect("the instance's state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(finhub_server::serve(
            listener,
            finhub_server::http::app(state.clone()),
            state.http.connections.clone(),
            std::future::pending(),
        ));
        Self { state, addr }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The tenant every instance over one database serves, and how to log in to it.
pub(crate) struct Seeded {
    /// The `client_credentials` login body.
    pub(crate) login: Value,
    /// A session token for data calls and session checks.
    pub(crate) session: String,
}

impl Seeded {
    /// Creates the tenant and its customer through `instance` (with `upstream` as its FINRA
    /// credential, when given) and logs in once, at `base` (the instance, or a balancer).
    pub(crate) async fn new(
        instance: &Instance,
        upstream: Option<&RunningEmulator>,
        base: &str,
    ) -> Self {
        let (customer_id, customer_secret) = crate::support::seed::tenant(
            &instance.state.admin,
            TENANT,
            upstream.map(|emulator| crate::support::seed::Upstream {
                client_id: UPSTREAM_ID,
                secret: UPSTREAM_SECRET,
                api_base: emulator.base_url(),
                token_url: emulator.token_url(),
            }),
        )
        .await;
        let login = json!({
            "customerId": customer_id,
            "customerSecret": customer_secret,
            "accountType": "b2b",
            "grantType": "client_credentials",
        });
        let session = log_in(base, &login).await;
        Self { login, session }
    }

    /// wrk's script for a login.
    pub(crate) fn login_script(&self) -> String {
        crate::support::wrk::post_script(&self.login, TENANT)
    }

    /// wrk's script for a call with the session.
    pub(crate) fn session_script(&self) -> String {
        format!(
            "wrk.headers[\"Authorization\"] = \"Bearer {}\"\n",
            self.session
        )
    }
}

/// A `client_credentials` login at `base`: the session token.
pub(crate) async fn log_in(base: &str, body: &Value) -> String {
    let answer: Value =
        crate::support::seed::post_login(&reqwest::Client::new(), base, TENANT, body)
            .await
            .json()
            .await
            .expect("login JSON");
    answer["userSessionToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a session token: {answer}"))
        .to_owned()
}
