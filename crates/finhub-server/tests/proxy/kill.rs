//! An instance killed at the worst moment: a `finhub serve` process (instance B) beside an
//! in-process instance (A), both over one PostgreSQL database, in front of one emulator, all on
//! the real clock. B is made to stop deterministically inside the critical step — the emulator
//! hangs inside B's FINRA token mint (B holds the instances' mint lock), or the test holds the
//! row B's refresh or refresh-token rotation must update (B waits inside the statement) — and is
//! killed with SIGKILL there. A then goes on: it mints, refreshes or rotates at once (nothing
//! of B's is left holding a lock), every session acknowledged before the kill still works (a
//! rotation ends the session it replaces, by design), and each step happened exactly once.
//! B's processes read the real clock, so the refresh case lets real time run into the last 10 %
//! of a 12-second access token before it starts.

use std::time::{Duration, Instant};

use axum::http::Method;
use finhub_clock::SystemClock;
use finra_emulator::{
    Credential, EmulatorConfig, Fault, FaultTarget, RunningEmulator, Throttle, Tier,
};
use sqlx::{Connection, PgConnection};

use crate::common::paused_time::until_async;
use crate::common::serve_process::ServeProcess;
use crate::common::test_hub::{ISSUER, PASSWORD, TestHub, USERNAME, Upstream};
use crate::common::wire::{Call, Reply};

const UPSTREAM_ID: &str = "kill-test";
const UPSTREAM_SECRET: &str = "kill-test-secret";
const SMALL: &str = "/v1/finra/data/group/otcMarket/name/weeklySummary?limit=1";
/// B's upstream time limit: it may hold the mint lock this long (plus a margin) at most.
const UPSTREAM_TIMEOUT_SECS: u64 = 30;

/// Instance A (served on a loopback port), its database, and the emulator both use.
struct Scene {
    hub: TestHub,
    emulator: RunningEmulator,
    http: reqwest::Client,
}

impl Scene {
    async fn new(access_ttl_secs: u64) -> Self {
        let emulator = finra_emulator::spawn(
            EmulatorConfig::default()
                .with_throttle(Throttle::Off)
                .with_credentials([Credential::new(UPSTREAM_ID, UPSTREAM_SECRET, Tier::Public)]),
        )
        .await
        .expect("the emulator starts");
        let hub = TestHub::builder()
            .postgres()
            .with_user()
            .serve()
            .at(SystemClock::shared())
            .config(|raw| {
                raw.public_url = Some(ISSUER.to_owned());
                raw.sessions.access_token_ttl_secs = Some(access_ttl_secs);
                raw.upstream.requests_per_second = 0;
                raw.upstream.timeout_secs = UPSTREAM_TIMEOUT_SECS;
            })
            .with_upstream(Upstream {
                client_id: UPSTREAM_ID.to_owned(),
                secret: UPSTREAM_SECRET.to_owned(),
                api_base: emulator.base_url(),
                token_url: emulator.token_url(),
            })
            .build()
            .await;
        Self {
            hub,
            emulator,
            http: reqwest::Client::new(),
        }
    }

    fn a(&self) -> String {
        format!("http://{}", self.hub.addr.expect("A is served"))
    }

    /// Starts instance B: `finhub serve` with A's keys, issuer and database.
    fn start_b(&self) -> ServeProcess {
        ServeProcess::start(
            &self.hub.raw,
            &[
                // B waits on the test's row lock until it is killed, however loaded the machine.
                ("FINHUB_DATABASE__LOCK_TIMEOUT_MS", "60000".to_owned()),
                ("FINHUB_DATABASE__STATEMENT_TIMEOUT_MS", "60000".to_owned()),
                (
                    "FINHUB_UPSTREAM__TIMEOUT_SECS",
                    UPSTREAM_TIMEOUT_SECS.to_string(),
                ),
            ],
        )
    }

    async fn send(&self, base: &str, call: Call) -> reqwest::Result<Reply> {
        let request = call.into_request();
        let mut outgoing = self
            .http
            .request(request.method().clone(), format!("{base}{}", request.uri()))
            .timeout(Duration::from_secs(60));
        for (name, value) in request.headers() {
            outgoing = outgoing.header(name, value);
        }
        let body = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .expect("the call's body");
        Ok(Reply::read(outgoing.body(body).send().await?).await)
    }

    /// A password login of the user at `base`: the session and refresh tokens.
    async fn login(&self, base: &str) -> crate::common::wire::Tokens {
        let body = self
            .hub
            .password_body_through(&self.hub.b2b, "b2b", USERNAME, PASSWORD);
        let reply = self
            .send(base, self.hub.token_call(&body))
            .await
            .expect("an answer");
        reply.tokens()
    }

    async fn database(&self) -> PgConnection {
        PgConnection::connect(&self.hub.raw.database_url)
            .await
            .expect("connect to the test database")
    }
}

/// Whether some connection to the test database waits for a lock now.
async fn someone_waits_for_a_lock(db: &mut PgConnection) -> bool {
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(db)
    .await
    .expect("read pg_stat_activity");
    waiting > 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_mint_the_other_instance_mints_at_once() {
    let scene = Scene::new(900).await;
    let mut b = scene.start_b();
    let acknowledged = scene.login(&b.base()).await;

    // B's first data call mints FINRA's token, under the lock every instance mints under; the
    // emulator hangs inside that mint.
    scene
        .emulator
        .faults()
        .inject(FaultTarget::TokenCalls, Fault::Hang, 1);
    let stuck = tokio::spawn({
        let http = scene.http.clone();
        let url = format!("{}{SMALL}", b.base());
        let session = acknowledged.session.clone();
        async move { http.get(url).bearer_auth(session).send().await }
    });
    until_async("B is inside the mint", async || {
        scene.emulator.faults().pending(FaultTarget::TokenCalls) == 0
    })
    .await;
    b.kill();
    assert!(stuck.await.expect("joined").is_err(), "B never answered");

    let started = Instant::now();
    let call = Call::new(Method::GET, SMALL).bearer(&acknowledged.session);
    let reply = scene.send(&scene.a(), call).await.expect("an answer");
    reply.assert_ok();
    assert!(
        started.elapsed() < Duration::from_secs(UPSTREAM_TIMEOUT_SECS),
        "A did not wait for the lock B held until it timed out: {:?}",
        started.elapsed()
    );
    assert_eq!(
        scene.emulator.counters().tokens_minted(),
        1,
        "A's mint; B's never finished"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_refresh_the_session_lives_on_extended_once() {
    // Refresh writes only in the last 10 % of the access token's life: 1.2 s of 12 s.
    let scene = Scene::new(12).await;
    let mut b = scene.start_b();
    let acknowledged = scene.login(&b.base()).await;
    let logged_in = Instant::now();

    let mut holder = scene.database().await;
    tokio::time::sleep(Duration::from_millis(10_950).saturating_sub(logged_in.elapsed())).await;
    let mut hold = holder.begin().await.expect("begin");
    sqlx::query("SELECT key_hash FROM sessions FOR UPDATE")
        .execute(&mut *hold)
        .await
        .expect("hold the session rows");
    let stuck = tokio::spawn({
        let http = scene.http.clone();
        let url = format!("{}/v1/auth/refresh", b.base());
        let session = acknowledged.session.clone();
        async move { http.post(url).bearer_auth(session).send().await }
    });
    let mut watcher = scene.database().await;
    until_async("B waits inside its refresh", async || {
        someone_waits_for_a_lock(&mut watcher).await
    })
    .await;
    b.kill();
    hold.rollback().await.expect("release the rows");
    assert!(stuck.await.expect("joined").is_err(), "B never answered");

    let call = Call::new(Method::POST, "/v1/auth/refresh").bearer(&acknowledged.session);
    let reply = scene.send(&scene.a(), call).await.expect("an answer");
    reply.assert_ok();
    // B's UPDATE had reached the server whole: PostgreSQL runs it once the row is free (a
    // killed client is noticed only when the server next talks to it), or not at all. Either
    // way the session was extended exactly once: by B (A finds it fresh) or by A.
    let answer = reply.json();
    let expires_in = answer["expires_in"].as_i64().expect("expires_in");
    assert!(
        (10..=12).contains(&expires_in),
        "extended once, by one of them: {answer} ({:?} after the login)",
        logged_in.elapsed()
    );
    let check = Call::new(Method::GET, "/v1/auth/session").bearer(&acknowledged.session);
    scene
        .send(&scene.a(), check)
        .await
        .expect("an answer")
        .assert_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_rotation_the_refresh_token_still_rotates_exactly_once() {
    let scene = Scene::new(900).await;
    let mut b = scene.start_b();
    let acknowledged = scene.login(&b.base()).await;

    let mut holder = scene.database().await;
    let mut hold = holder.begin().await.expect("begin");
    sqlx::query("SELECT hash FROM refresh_tokens FOR UPDATE")
        .execute(&mut *hold)
        .await
        .expect("hold the refresh-token rows");
    let rotate = scene
        .hub
        .token_call(&scene.hub.refresh_grant_body(&acknowledged.refresh));
    let stuck = tokio::spawn({
        let request = rotate.into_request();
        let http = scene.http.clone();
        let url = format!("{}{}", b.base(), request.uri());
        let headers = request.headers().clone();
        async move {
            let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                .await
                .expect("body");
            http.post(url).headers(headers).body(body).send().await
        }
    });
    let mut watcher = scene.database().await;
    until_async("B waits inside its rotation", async || {
        someone_waits_for_a_lock(&mut watcher).await
    })
    .await;
    b.kill();
    hold.rollback().await.expect("release the rows");
    assert!(stuck.await.expect("joined").is_err(), "B never answered");

    let again = scene
        .hub
        .token_call(&scene.hub.refresh_grant_body(&acknowledged.refresh));
    let rotated = scene
        .send(&scene.a(), again)
        .await
        .expect("an answer")
        .tokens();
    assert_ne!(rotated.refresh, acknowledged.refresh, "a new pair");
    let check = Call::new(Method::GET, "/v1/auth/session").bearer(&rotated.session);
    scene
        .send(&scene.a(), check)
        .await
        .expect("an answer")
        .assert_ok();
    // Exactly one rotation happened — A's, or B's if its statement reached the server whole
    // and ran once the row was free: the same token again (within the grace window) gets the
    // same pair back, not a third one.
    let replay = scene
        .hub
        .token_call(&scene.hub.refresh_grant_body(&acknowledged.refresh));
    let replayed = scene
        .send(&scene.a(), replay)
        .await
        .expect("an answer")
        .tokens();
    assert_eq!(replayed, rotated, "one rotation, replayed");
}
