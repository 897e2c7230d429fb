//! Over a real loopback connection, where the transport matters: the peer address comes from the
//! socket, duplicated headers arrive as two lines, and oversized headers meet hyper's limits
//! before the router's.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::support::{TENANT, TestApp};

/// A hub serving `app`'s state on an ephemeral loopback port until dropped.
struct Served {
    base: String,
    _stop: oneshot::Sender<()>,
}

async fn serve(app: &TestApp) -> Served {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let state = app.state.clone();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        finhub_server::serve(listener, state, shutdown)
            .await
            .expect("serve");
    });
    Served { base, _stop: stop }
}

fn login(client: &reqwest::Client, served: &Served, body: &Value) -> reqwest::RequestBuilder {
    client
        .post(format!("{}/v1/auth/token", served.base))
        .header("content-type", "application/json")
        .header("sec-ch-ua-platform", "\"Linux\"")
        .header("x-forwarded-for", "203.0.113.5")
        .header("user-agent", "finhub-tests")
        .header("x-tenant-id", TENANT)
        .body(body.to_string())
}

#[tokio::test]
async fn a_real_connection_logs_in_and_uses_its_session() {
    let app = TestApp::builder().allow_list(&["127.0.0.1"]).build().await;
    let served = serve(&app).await;
    let client = reqwest::Client::new();
    let reply = login(&client, &served, &app.client_body())
        .send()
        .await
        .expect("send");
    assert_eq!(
        reply.status(),
        StatusCode::OK,
        "the socket's peer is on the allow-list"
    );
    assert!(reply.headers().contains_key("x-request-id"));
    let body: Value = reply.json().await.expect("json");
    let token = body["userSessionToken"].as_str().expect("token");
    let session = client
        .get(format!("{}/v1/auth/session", served.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    assert_eq!(session.status(), StatusCode::OK);
}

#[tokio::test]
async fn headers_repeated_on_the_wire_are_refused() {
    let app = TestApp::new().await;
    let served = serve(&app).await;
    let client = reqwest::Client::new();
    for name in ["x-tenant-id", "user-agent", "content-type"] {
        let value = if name == "x-tenant-id" {
            TENANT
        } else {
            "application/json"
        };
        let reply = login(&client, &served, &app.client_body())
            .header(name, value)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status(), StatusCode::BAD_REQUEST, "{name}");
        let body: Value = reply.json().await.expect("json");
        assert_eq!(body["error"], "invalid_request");
    }
}

/// Headers over the hub's 16 KiB get the envelope; headers over hyper's own limits (more than
/// 100 of them, or more than its read buffer of about 400 KiB) are refused by hyper before the
/// router runs: a bare 431 without the envelope or a request id.
#[tokio::test]
async fn oversized_headers_meet_the_hubs_limit_and_then_hypers() {
    let app = TestApp::new().await;
    let served = serve(&app).await;
    let client = reqwest::Client::new();
    let health = format!("{}/healthz", served.base);

    let reply = client
        .get(&health)
        .header("x-padding", "p".repeat(20 * 1024))
        .send()
        .await
        .expect("send");
    assert_eq!(reply.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let body: Value = reply.json().await.expect("the envelope");
    assert_eq!(body["error"], "invalid_request");

    let mut many = client.get(&health);
    for idx in 0..150 {
        many = many.header(format!("x-h{idx}"), "v");
    }
    let reply = many.send().await.expect("send");
    assert_eq!(reply.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(
        !reply.headers().contains_key("x-request-id"),
        "hyper answered"
    );

    let huge = client
        .get(&health)
        .header("x-padding", "p".repeat(1024 * 1024))
        .send()
        .await;
    // hyper answers 431 and closes; a client still writing may see the reset instead.
    if let Ok(reply) = huge {
        assert_eq!(reply.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert!(
            !reply.headers().contains_key("x-request-id"),
            "hyper answered"
        );
    }
}
