//! The scaled-out shape as `finhub demo --profile production --database postgres://…
//! --redis redis://… --instances 2` runs it: two hub instances over one PostgreSQL database and
//! one Redis, behind nginx (Debian's, `stream` module) passing TCP through with PROXY headers.
//! Over mutual TLS through nginx: logins land on both instances and a session from one is valid
//! on the other; the client certificate is still checked (none: refused); the client's address
//! is the one nginx saw (a client the allow-list does not name is refused, and audited under its
//! own address); an instance reached directly, without nginx's header, closes the connection.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::Request;
use finhub_server::demo::{DemoOptions, prepare};
use finhub_store::testing::{PostgresTestDatabase, redis_url};
use hyper::body::Incoming;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::demo_tls_config;

/// An HTTPS client trusting the demo's CA, with its client certificate or without, opening a
/// new connection (so nginx picks an instance afresh) for every request, from `local`.
fn client(credentials: &Value, with_certificate: bool, local: IpAddr) -> reqwest::Client {
    let config = demo_tls_config(credentials, with_certificate);
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .pool_max_idle_per_host(0)
        .local_address(local)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTPS client")
}

async fn login(
    client: &reqwest::Client,
    credentials: &Value,
) -> reqwest::Result<(StatusCode, Value)> {
    let body = json!({
        "grantType": "client_credentials",
        "customerId": credentials["customerId"],
        "customerSecret": credentials["customerSecret"],
        "accountType": "b2b",
    });
    let response = client
        .post(format!(
            "{}/v1/auth/token",
            credentials["baseUrl"].as_str().expect("baseUrl")
        ))
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .header("sec-ch-ua-platform", "\"Linux\"")
        .header("x-forwarded-for", "127.0.0.1")
        .header("user-agent", "finhub-nginx-test")
        .header(
            "x-tenant-id",
            credentials["tenantId"].as_str().expect("tenantId"),
        )
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status();
    let bytes = response.bytes().await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_over_mutual_tls_share_sessions_and_see_the_real_client() {
    assert!(
        finhub_server::demo::NginxStream::installed().is_some(),
        "this test runs nginx (Debian's nginx and libnginx-mod-stream; scripts/test.sh installs \
         them)"
    );
    let database = PostgresTestDatabase::create("nginx").await;
    let out = std::env::temp_dir().join(format!("finhub-nginx-demo-{}.json", std::process::id()));
    let options = DemoOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        profile: "production".into(),
        credentials_out: Some(out.clone()),
        database: Some(database.url().to_owned()),
        redis: Some(redis_url()),
        instances: 2,
        ..DemoOptions::default()
    };
    let demo = prepare(&options, finhub_clock::SystemClock::shared())
        .await
        .expect("the scaled-out demo starts");
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("credentials file")).expect("JSON");
    let _ = std::fs::remove_file(&out);
    let balancer = demo.balancer.as_ref().expect("nginx in front");
    assert_eq!(
        credentials["baseUrl"],
        json!(format!("https://{}", balancer.listen())),
        "clients are sent to nginx"
    );

    // Serve both instances, counting the requests each one answers.
    let tls = demo.tls.clone().expect("production serves HTTPS");
    let mut direct = Vec::new();
    let mut served = Vec::new();
    for (state, listener) in
        std::iter::once((demo.state.clone(), demo.listener)).chain(demo.siblings)
    {
        direct.push(listener.local_addr().expect("an address"));
        let count = Arc::new(AtomicUsize::new(0));
        served.push(Arc::clone(&count));
        let router = finhub_server::http::app(state.clone()).map_request(
            move |request: Request<Incoming>| {
                count.fetch_add(1, Ordering::SeqCst);
                request
            },
        );
        tokio::spawn(finhub_server::serve_tls(
            listener,
            router,
            state.http.connections.clone(),
            tls.clone(),
            state.clock.clone(),
            std::future::pending::<()>(),
        ));
    }

    let loopback = IpAddr::from([127, 0, 0, 1]);
    let hub = client(&credentials, true, loopback);
    let mut sessions = Vec::new();
    for _ in 0..6 {
        let (status, tokens) = login(&hub, &credentials).await.expect("an answer");
        assert_eq!(status, StatusCode::OK, "{tokens}");
        sessions.push(
            tokens["userSessionToken"]
                .as_str()
                .expect("a session")
                .to_owned(),
        );
    }
    let counts: Vec<usize> = served.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert!(
        counts.iter().all(|&n| n > 0),
        "nginx spread the logins: {counts:?}"
    );

    // Every session works wherever nginx sends its next connection.
    let base = credentials["baseUrl"].as_str().expect("baseUrl");
    for session in sessions.iter().chain(sessions.iter()) {
        let response = hub
            .get(format!("{base}/v1/auth/session"))
            .bearer_auth(session)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
    }

    // No client certificate: refused, through nginx as directly.
    let anonymous = client(&credentials, false, loopback);
    match login(&anonymous, &credentials).await {
        Ok((status, body)) => {
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert_eq!(body["error"], "invalid_certificate");
        }
        Err(error) => assert!(!error.is_status(), "refused at the handshake: {error}"),
    }

    // A client on another address: nginx's header names it, and the production allow-list
    // (127.0.0.1 and ::1) refuses it.
    let elsewhere = client(&credentials, true, IpAddr::from([127, 0, 0, 2]));
    let (status, body) = login(&elsewhere, &credentials).await.expect("an answer");
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "access_denied", "{body}");
    let events = demo
        .state
        .admin
        .recent_audit_events(50)
        .await
        .expect("the audit log");
    assert!(
        events.iter().any(|event| event.client_addr == "127.0.0.2"),
        "the refusal is audited under the client's address"
    );

    // An instance reached directly (from an address it trusts as a proxy) without a header:
    // the connection is closed, nothing is answered.
    let straight = client(&credentials, true, loopback);
    let error = straight
        .get(format!("https://{}/healthz", direct[0]))
        .send()
        .await
        .expect_err("closed without a PROXY header");
    assert!(!error.is_status(), "{error}");

    drop(demo.balancer);
    drop(demo.emulator);
    let _ = std::fs::remove_dir_all(&demo.dir);
}
