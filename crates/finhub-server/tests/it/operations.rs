//! What an operator's tools see: `/metrics` moves each counter by exactly one per action and
//! carries no secret or token in any label; `/readyz` answers 503 naming the store or Redis
//! when either stops answering (a relay in front of PostgreSQL cut, the test's own Redis
//! killed) and 200 again when they are back; production keeps both off the main listener.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use finhub_store::testing::{OwnRedisServer, PostgresTestDatabase};
use serde_json::json;

use crate::common::tcp_cut::TcpCut;
use crate::support::{Call, PASSWORD, TestApp};

/// Every sample of a scrape, by its name and labels as written.
async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let reply = app.send(Call::new(Method::GET, "/metrics")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    reply
        .text()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (sample, value) = line.rsplit_once(' ')?;
            Some((sample.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The samples that moved between two scrapes, leaving out the scrapes' own requests.
fn moved(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    after
        .iter()
        .filter(|(sample, _)| !sample.contains("route=\"/metrics\""))
        .filter(|(sample, _)| !sample.contains("_bucket{") && !sample.contains("_sum{"))
        .filter_map(|(sample, value)| {
            let change = value - before.get(sample).copied().unwrap_or(0.0);
            (change != 0.0).then(|| (sample.clone(), change))
        })
        .collect()
}

/// The samples one answered request moves: its counter by status, and its latency count.
fn one_request(route: &str, status: u16) -> [(String, f64); 2] {
    [
        (
            format!(
                "finhub_http_requests_total{{route=\"{route}\",method=\"POST\",status=\"{status}\"}}"
            ),
            1.0,
        ),
        (
            format!(
                "finhub_http_request_duration_seconds_count{{route=\"{route}\",method=\"POST\"}}"
            ),
            1.0,
        ),
    ]
}

/// `one_request` and the other samples that moved.
fn expected(route: &str, status: u16, others: &[(&str, f64)]) -> BTreeMap<String, f64> {
    one_request(route, status)
        .into_iter()
        .chain(others.iter().map(|(name, by)| ((*name).to_owned(), *by)))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn each_action_moves_exactly_its_counters_by_one() {
    let app = TestApp::builder().with_user().build().await;

    let before = scrape(&app).await;
    let tokens = app.client_login().await;
    let after = scrape(&app).await;
    assert_eq!(
        moved(&before, &after),
        expected(
            "/v1/auth/token",
            200,
            &[
                (
                    "finhub_logins_total{grant=\"client_credentials\",outcome=\"success\"}",
                    1.0
                ),
                ("finhub_active_sessions", 1.0)
            ]
        )
    );

    let before = after;
    let mut wrong = app.client_body();
    wrong["customerSecret"] = json!("not-the-secret");
    app.send(app.token_call(&wrong))
        .await
        .assert_error(401, "invalid_client");
    let after = scrape(&app).await;
    assert_eq!(
        moved(&before, &after),
        expected(
            "/v1/auth/token",
            401,
            &[(
                "finhub_logins_total{grant=\"client_credentials\",outcome=\"invalid_client\"}",
                1.0
            )]
        )
    );

    let before = after;
    app.refresh(&tokens.session).await.assert_ok();
    let after = scrape(&app).await;
    assert_eq!(
        moved(&before, &after),
        expected(
            "/v1/auth/refresh",
            200,
            &[("finhub_session_refreshes_total{outcome=\"not_due\"}", 1.0)]
        )
    );

    // A path no route takes counts under a placeholder, not its text.
    let before = after;
    app.send(Call::new(
        Method::GET,
        "/no/such/path/secret-looking-segment",
    ))
    .await
    .assert_error(404, "not_found");
    let after = scrape(&app).await;
    let changes = moved(&before, &after);
    assert_eq!(
        changes.get(
            "finhub_http_requests_total{route=\"(unmatched path)\",method=\"GET\",status=\"404\"}"
        ),
        Some(&1.0),
        "{changes:?}"
    );

    let text = app.send(Call::new(Method::GET, "/metrics")).await.text();
    for secret in [
        tokens.session.as_str(),
        tokens.refresh.as_str(),
        app.b2b.secret.as_str(),
        PASSWORD,
        "not-the-secret",
        "secret-looking-segment",
    ] {
        assert!(
            !text.contains(secret),
            "a secret or a raw path in the metrics"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_refusal_by_a_rate_limit_counts_under_the_limit() {
    let app = TestApp::builder().per_address_per_minute(1).build().await;
    app.client_login().await;
    let before = scrape(&app).await;
    app.send(app.token_call(&app.client_body()))
        .await
        .assert_error(429, "rate_limited");
    let after = scrape(&app).await;
    let changes = moved(&before, &after);
    assert_eq!(
        changes.get("finhub_rate_limited_total{limit=\"token_address\"}"),
        Some(&1.0),
        "{changes:?}"
    );
    assert_eq!(
        changes.get("finhub_logins_total{grant=\"unknown\",outcome=\"rate_limited\"}"),
        Some(&1.0),
        "refused before the body was read: the grant is unknown"
    );
}

#[tokio::test]
async fn readyz_names_what_does_not_answer_and_recovers_with_it() {
    let database = PostgresTestDatabase::create("readyz").await;
    let target: url::Url = database.url().parse().expect("a URL");
    let server = std::net::SocketAddr::new(
        target.host_str().expect("a host").parse().expect("an IP"),
        target.port().unwrap_or(5432),
    );
    let relay = TcpCut::to(server).await;
    let mut through = target.clone();
    through.set_port(Some(relay.addr().port())).expect("a port");
    let mut redis = OwnRedisServer::start();
    let app = TestApp::builder()
        .config(|raw| {
            raw.database_url = through.to_string();
            raw.database.connect_timeout_secs = 1;
        })
        .redis(&redis.url(), 1)
        .build()
        .await;
    let ready = || app.send(Call::new(Method::GET, "/readyz"));

    let reply = ready().await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({"status": "ready", "database": "ok", "redis": "ok"})
    );

    relay.cut();
    let reply = ready().await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(reply.json()["status"], "not_ready");
    assert_ne!(reply.json()["database"], "ok");
    assert_eq!(reply.json()["redis"], "ok");
    assert!(
        !reply.text().contains("postgres://"),
        "no URL in the answer"
    );

    relay.restore();
    redis.stop();
    let reply = ready().await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(
        reply.json()["database"],
        "ok",
        "the pool reconnected by itself"
    );
    assert_ne!(reply.json()["redis"], "ok");

    redis.restart();
    // The Redis connection is made again on the next call: bounded attempts.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = ready().await;
        if reply.status == StatusCode::OK {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", reply.text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(app);
    drop(database);
}

#[tokio::test(start_paused = true)]
async fn production_keeps_readiness_and_metrics_off_the_main_listener() {
    let app = TestApp::builder().production().build().await;
    for path in ["/metrics", "/readyz"] {
        let reply = app.send(Call::new(Method::GET, path)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.state.http.metrics_listen,
        Some("127.0.0.1:9464".parse().expect("an address"))
    );
}
