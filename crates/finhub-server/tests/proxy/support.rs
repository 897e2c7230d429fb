//! The fixture of the proxy tests: a FINRA emulator in-process on an ephemeral port and a hub
//! built with `AppState::build` on in-memory SQLite, both on one `TokioClock` that follows
//! tokio's (paused) time; one tenant with a `b2b` customer, a user and an upstream credential
//! (`UpstreamTarget::Custom`) pointing at the emulator. The hub is always also served on a real
//! `127.0.0.1:0` listener (its public URL), for finra-client and streaming tests; most requests go
//! in-process (`oneshot`, peer address as `MockConnectInfo`), and every answer the hub gives them
//! is recorded so a test can search all of them (and the captured logs) for upstream secrets.
//!
//! Paused time: as in the authentication suite, one idle `spawn_blocking` task is kept alive for
//! the fixture's lifetime, so tokio's paused clock never auto-advances while sqlx (on its own
//! thread) or a socket is being waited for: time moves only by `tokio::time::advance`. Waiting
//! for real I/O without moving time is done by polling ([`until`]) between short real-time pauses
//! taken on a blocking thread.
//!
//! The emulator's throttle is off unless a test turns it on (the pacing test does): direct calls
//! a test makes to the emulator for comparison come from the same address as the hub's.

use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use finhub_core::ids::TenantId;
use finhub_server::config::RawConfig;
use finhub_server::http::App;
use finra_client::{Auth, FinraClient, Pacer, PagingConfig, RetryPolicy, Row};
use finra_emulator::{
    Counters, Credential, EmulatorConfig, Faults, RunningEmulator, Throttle, Tier,
};
use futures_util::TryStreamExt;
use secrecy::SecretString;
use serde_json::Value;

pub(crate) use crate::common::log_capture::LogCapture;
use crate::common::paused_time::FreezeGuard;
pub(crate) use crate::common::paused_time::{real_pause, settle, until};
pub(crate) use crate::common::test_hub::{PASSWORD, TENANT, USERNAME};
use crate::common::test_hub::{TestHub, TestHubBuilder, Upstream, set_upstream};
pub(crate) use crate::common::wire::{Call, Reply, Tokens};

pub(crate) const UPSTREAM_ID: &str = "finhub-upstream-client";
pub(crate) const UPSTREAM_SECRET: &str = "upstream-s3cret-Vq8RmZ2xKw";
/// The tests' own credential at the emulator, for direct calls to compare with.
pub(crate) const DIRECT_ID: &str = "direct-test-client";
pub(crate) const DIRECT_SECRET: &str = "direct-s3cret-Hy4TnB7c";
/// How every upstream token the emulator mints starts (base64 of its fixed header).
pub(crate) const UPSTREAM_TOKEN_PREFIX: &str = "AAJTSQACMDIABHR5cGUAA0pXVAACUzEAAjAx";

/// Options of a [`Hub`].
pub(crate) struct Builder {
    hub: TestHubBuilder,
    emulator: EmulatorConfig,
    tier: Tier,
    stored_secret: String,
}

impl Builder {
    fn new() -> Self {
        Self {
            hub: TestHub::builder().with_user().serve(),
            emulator: EmulatorConfig::default().with_throttle(Throttle::Off),
            tier: Tier::Public,
            stored_secret: UPSTREAM_SECRET.into(),
        }
    }

    /// Edits the hub's configuration.
    pub(crate) fn config(mut self, edit: impl FnOnce(&mut RawConfig)) -> Self {
        self.hub = self.hub.config(edit);
        self
    }

    /// Edits the emulator's configuration (credentials and clock are set by the fixture).
    pub(crate) fn emulator(mut self, edit: impl FnOnce(EmulatorConfig) -> EmulatorConfig) -> Self {
        self.emulator = edit(self.emulator);
        self
    }

    /// Upstream pacing and data rate limits out of the way (tests about other things that
    /// send many requests at one paused instant).
    pub(crate) fn unpaced(self) -> Self {
        self.config(|raw| {
            raw.upstream.requests_per_second = 0;
            raw.rate_limits.data_per_session_per_second = Some(100_000);
            raw.rate_limits.data_per_customer_per_second = Some(100_000);
        })
    }

    /// Limits and FINRA pacing shared through the Redis at `url` (reading the hub's clock).
    pub(crate) fn redis(mut self, url: &str) -> Self {
        self.hub = self.hub.redis(url);
        self
    }

    /// Served on `threads` serving threads (as `finhub serve` runs) instead of on the test's
    /// runtime. The threads keep real time: not for tests on tokio's paused clock.
    pub(crate) fn on_serving_threads(mut self, threads: usize) -> Self {
        self.hub = self.hub.serve_on_threads(threads);
        self
    }

    /// On a PostgreSQL database of its own.
    pub(crate) fn postgres(mut self) -> Self {
        self.hub = self.hub.postgres();
        self
    }

    /// The tenant's scope.
    pub(crate) fn scope(mut self, scope: &str) -> Self {
        self.hub = self.hub.scope(scope);
        self
    }

    /// The secret the hub stores for the tenant (FINRA knows [`UPSTREAM_SECRET`]).
    pub(crate) fn stored_secret(mut self, secret: &str) -> Self {
        secret.clone_into(&mut self.stored_secret);
        self
    }

    pub(crate) async fn build(self) -> Hub {
        let freeze = FreezeGuard::new();
        let logs = LogCapture::default();
        let log_guard = logs.install();
        let clock = finhub_clock::TokioClock::fixed().shared();
        let emulator = finra_emulator::spawn(
            self.emulator
                .with_credentials([
                    Credential::new(UPSTREAM_ID, UPSTREAM_SECRET, self.tier),
                    Credential::new(DIRECT_ID, DIRECT_SECRET, Tier::Public),
                ])
                .with_clock(clock.clone()),
        )
        .await
        .expect("the emulator starts");
        let hub = self
            .hub
            .at(clock)
            .with_upstream(Upstream {
                client_id: UPSTREAM_ID.to_owned(),
                secret: self.stored_secret.clone(),
                api_base: emulator.base_url(),
                token_url: emulator.token_url(),
            })
            .build()
            .await;
        Hub {
            base: format!("http://{}", hub.addr.expect("the hub is served")),
            emulator_base: emulator.base_url(),
            emulator_addr: emulator.addr().to_string(),
            emulator: Some(emulator),
            sender: Sender {
                router: hub.router.clone(),
                seen: Seen::default(),
            },
            customer_id: hub.b2b.id.clone(),
            customer_secret: hub.b2b.secret.clone(),
            hub,
            stored_secret: self.stored_secret,
            logs,
            http: reqwest::Client::new(),
            _log_guard: log_guard,
            _freeze: freeze,
        }
    }
}

/// A hub in front of an emulator.
pub(crate) struct Hub {
    hub: TestHub,
    /// The hub's root URL (its listener; also its public URL).
    pub(crate) base: String,
    /// The emulator's root URL and `host:port` (as long as it runs).
    pub(crate) emulator_base: String,
    pub(crate) emulator_addr: String,
    emulator: Option<RunningEmulator>,
    sender: Sender,
    /// The `b2b` customer the user logs in through.
    pub(crate) customer_id: String,
    pub(crate) customer_secret: String,
    stored_secret: String,
    pub(crate) logs: LogCapture,
    http: reqwest::Client,
    _log_guard: tracing::subscriber::DefaultGuard,
    _freeze: FreezeGuard,
}

impl Deref for Hub {
    type Target = TestHub;

    fn deref(&self) -> &TestHub {
        &self.hub
    }
}

impl Hub {
    pub(crate) fn builder() -> Builder {
        Builder::new()
    }

    /// A hub with the default settings.
    pub(crate) async fn new() -> Self {
        Self::builder().build().await
    }

    pub(crate) fn emulator(&self) -> &RunningEmulator {
        self.emulator.as_ref().expect("the emulator was shut down")
    }

    pub(crate) fn counters(&self) -> &Counters {
        self.emulator().counters()
    }

    pub(crate) fn faults(&self) -> &Faults {
        self.emulator().faults()
    }

    /// Stops the emulator (FINRA down).
    pub(crate) async fn shutdown_emulator(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            emulator.shutdown().await.expect("the emulator stops");
        }
    }

    /// Points the tenant's upstream credential elsewhere.
    pub(crate) async fn set_upstream(&self, api_base: &str, token_url: &str) {
        let upstream = Upstream {
            client_id: UPSTREAM_ID.to_owned(),
            secret: self.stored_secret.clone(),
            api_base: api_base.to_owned(),
            token_url: token_url.to_owned(),
        };
        set_upstream(&self.state, &upstream).await;
    }

    /// A second hub instance over the same database and configuration (as behind a load
    /// balancer): its own session cache, upstream clients and limits; its answers are recorded
    /// too.
    pub(crate) fn second_instance(&self) -> Sender {
        Sender {
            router: finhub_server::http::app(self.sibling()),
            seen: self.sender.seen.clone(),
        }
    }

    /// A second hub instance as another process over the same database would be: its own
    /// store (connection pool), session cache, upstream clients and limits.
    pub(crate) async fn second_process(&self) -> Sender {
        Sender {
            router: finhub_server::http::app(self.sibling_with_own_store().await),
            seen: self.sender.seen.clone(),
        }
    }

    /// A cloneable handle that sends in-process requests (for spawned tasks).
    pub(crate) fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Sends a request in-process and records the answer.
    pub(crate) async fn send(&self, call: Call) -> Reply {
        self.sender.send(call).await
    }

    /// The body of the user's `password` login through the `b2b` customer.
    pub(crate) fn login_body(&self) -> Value {
        self.password_body_through(&self.b2b, "b2b", USERNAME, PASSWORD)
    }

    /// A successful login of the user.
    pub(crate) async fn login(&self) -> Tokens {
        self.send(self.token_call(&self.login_body()))
            .await
            .tokens()
    }

    /// A login, then waiting until the upstream token it warms has been minted.
    pub(crate) async fn login_warm(&self) -> Tokens {
        let before = self.counters().tokens_minted();
        let tokens = self.login().await;
        until("the login to warm the upstream token", || {
            self.counters().tokens_minted() > before
        })
        .await;
        // The mint's answer is read and cached by the hub right after the emulator counts it.
        settle().await;
        tokens
    }

    /// `POST /v1/auth/refresh`.
    pub(crate) async fn refresh(&self, session: &str) -> Reply {
        self.send(Call::new(Method::POST, "/v1/auth/refresh").bearer(session))
            .await
    }

    /// `GET /v1/finra{path}` with `Accept: application/json` and the session token.
    pub(crate) fn get(&self, path: &str, session: &str) -> Call {
        Call::new(Method::GET, &format!("/v1/finra{path}"))
            .bearer(session)
            .header("accept", "application/json")
    }

    /// `POST /v1/finra{path}` with a JSON body and the session token.
    pub(crate) fn post(&self, path: &str, session: &str, body: &Value) -> Call {
        Call::new(Method::POST, &format!("/v1/finra{path}"))
            .bearer(session)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// A request straight to the emulator (anonymous unless `token` is given), not recorded.
    pub(crate) async fn direct(
        &self,
        method: Method,
        path: &str,
        accept: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emulator_base))
            .header("accept", accept);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("a direct call to the emulator");
        Reply::read(response).await
    }

    /// An upstream token minted straight from the emulator with the tests' own public credential.
    pub(crate) async fn direct_token(&self) -> String {
        let response = self
            .http
            .post(format!(
                "{}?grant_type=client_credentials",
                self.emulator().token_url()
            ))
            .basic_auth(DIRECT_ID, Some(DIRECT_SECRET))
            .send()
            .await
            .expect("mint a direct token");
        let body: Value = response.json().await.expect("token JSON");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    /// A GET over the hub's real listener (`url` absolute), with an optional bearer token; the
    /// answer is recorded like in-process ones.
    pub(crate) async fn fetch(&self, url: &str, session: Option<&str>) -> Reply {
        let mut request = self.http.get(url).header("accept", "application/json");
        if let Some(session) = session {
            request = request.bearer_auth(session);
        }
        let reply = Reply::read(request.send().await.expect("a call over the listener")).await;
        self.sender.seen.record(&reply);
        reply
    }

    /// A finra-client pointed at the hub, authenticated with the session token: the way any
    /// FINRA client works through FinHub.
    pub(crate) fn client_via_hub(&self, session: &str, paging: PagingConfig) -> FinraClient {
        FinraClient::builder()
            .api_base(format!("{}/v1/finra", self.base))
            .auth(Auth::BearerToken(SecretString::from(session.to_owned())))
            .clock(self.clock.clone())
            .pacer(Pacer::unlimited())
            .retry(RetryPolicy::none())
            .paging(paging)
            .build()
            .expect("a client of the hub")
    }

    /// The same client pointed straight at the emulator, anonymous (public datasets).
    pub(crate) fn client_direct(&self, paging: PagingConfig) -> FinraClient {
        FinraClient::builder()
            .api_base(self.emulator_base.clone())
            .clock(self.clock.clone())
            .pacer(Pacer::unlimited())
            .retry(RetryPolicy::none())
            .paging(paging)
            .build()
            .expect("a client of the emulator")
    }

    /// The audit log (its latest thousand entries) as JSON lines.
    pub(crate) async fn audit_text(&self) -> String {
        self.state
            .admin
            .recent_audit_events(1_000)
            .await
            .expect("read the audit log")
            .iter()
            .map(finhub_core::audit::AuditEvent::to_json_line)
            .collect()
    }

    /// Every answer the hub gave in this test (status, headers, body), as text.
    pub(crate) fn answers(&self) -> String {
        self.sender.seen.text()
    }

    /// The upstream token the hub holds for the tenant right now, if it holds a fresh one (never
    /// mints: the caller checks the mint counter around it).
    pub(crate) async fn current_upstream_token(&self) -> Option<String> {
        use secrecy::ExposeSecret;
        let tenant = TenantId::parse(TENANT).expect("tenant id");
        let client = self.state.upstreams.client_for(&tenant).await.ok()?;
        let manager = client.token_manager()?;
        let before = self.emulator.as_ref().map(|e| e.counters().tokens_minted());
        let token = manager.token().await.ok()?;
        let after = self.emulator.as_ref().map(|e| e.counters().tokens_minted());
        (before == after).then(|| token.secret().expose_secret().to_owned())
    }

    /// No answer, log line or audit entry holds the upstream secret, an upstream token, an
    /// `Authorization` header or the Basic credentials the hub mints with.
    pub(crate) async fn assert_no_leaks(&self) {
        let answers = self.answers();
        let logs = self.logs.text();
        let audit = self.audit_text().await;
        let basic = STANDARD.encode(format!("{UPSTREAM_ID}:{}", self.stored_secret));
        let mut forbidden = vec![
            ("the upstream secret", UPSTREAM_SECRET.to_owned()),
            ("the stored upstream secret", self.stored_secret.clone()),
            ("an upstream token", UPSTREAM_TOKEN_PREFIX.to_owned()),
            ("the upstream Basic credentials", basic),
            ("a Basic authorization", "Basic ".to_owned()),
        ];
        if let Some(token) = self.current_upstream_token().await {
            forbidden.push(("the current upstream token", token));
        }
        for (place, text) in [
            ("an answer", &answers),
            ("the logs", &logs),
            ("the audit log", &audit),
        ] {
            for (what, secret) in &forbidden {
                assert!(!text.contains(secret.as_str()), "{place} holds {what}");
            }
        }
        assert!(
            !logs.contains("Bearer "),
            "the logs hold an Authorization value"
        );
        let lowered = answers.to_ascii_lowercase();
        assert!(
            !lowered.contains("\nauthorization:") && !lowered.contains("\nproxy-authorization:"),
            "an answer carries an Authorization header"
        );
    }
}

/// Sends in-process requests and records the answers. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Sender {
    router: App,
    seen: Seen,
}

impl Sender {
    pub(crate) async fn send(&self, call: Call) -> Reply {
        let reply = crate::common::wire::send(&self.router, call).await;
        self.seen.record(&reply);
        reply
    }
}

/// Every answer recorded, as text.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<String>>);

impl Seen {
    fn record(&self, reply: &Reply) {
        let mut text = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        text.push_str(&format!("\n\n{}\n", reply.status));
        for (name, value) in &reply.headers {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&reply.body));
    }

    fn text(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A stand-in for FINRA's Query API on a port of its own: `app` is given the base URL it will
/// be reached at (for the links it hands out). Returns that base URL.
pub(crate) async fn serve_finra(app: impl FnOnce(&str) -> axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = app(&base);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Moves tokio's clock, and with it the hub's, the emulator's and the clients' clocks.
pub(crate) async fn advance(duration: Duration) {
    tokio::time::advance(duration).await;
}

/// Waits (real time, bounded) until `progress` has not changed for 50 consecutive short pauses:
/// every task that can move without tokio's clock has moved.
pub(crate) async fn quiet<T: PartialEq>(mut progress: impl FnMut() -> T) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut last = progress();
    let mut unchanged = 0;
    while unchanged < 50 {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for quiet"
        );
        real_pause().await;
        let now = progress();
        if now == last {
            unchanged += 1;
        } else {
            unchanged = 0;
            last = now;
        }
    }
}

/// Rows as a multiset: canonical JSON text → count.
pub(crate) fn multiset(rows: &[Row]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for row in rows {
        let canonical: std::collections::BTreeMap<&String, &Value> = row.iter().collect();
        let text = serde_json::to_string(&canonical).expect("json");
        *counts.entry(text).or_insert(0) += 1;
    }
    counts
}

/// Every row of a stream.
pub(crate) async fn collect_rows(stream: finra_client::RowStream<Row>) -> Vec<Row> {
    stream.try_collect().await.expect("every row")
}

/// Paging limits for a lowered maximum offset.
pub(crate) fn paging(max_offset: u64, page_size: u64) -> PagingConfig {
    PagingConfig {
        max_offset,
        page_size,
        ..PagingConfig::default()
    }
}
