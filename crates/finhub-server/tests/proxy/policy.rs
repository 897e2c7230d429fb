//! The hub's own decisions before FINRA is called: the scope (403 `insufficient_scope`, no
//! upstream call), FINRA's entitlements (its 403 passed through unchanged), `X-Tenant-ID`,
//! the paths and methods it proxies (404/405), and the per-session and per-customer data rate
//! limits (429 with `Retry-After`).

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Call, Hub, advance};

const SMALL: &str = "/data/group/otcMarket/name/weeklySummary?limit=1";

#[tokio::test(start_paused = true)]
async fn a_group_outside_the_scope_is_refused_403_without_calling_finra() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let before = (hub.counters().snapshot(), hub.counters().tokens_minted());
    for path in [
        "/data/group/firm/name/firmProfile",
        "/data/group/firm/name/firmProfile/id/1",
        "/metadata/group/registration/name/brokerDealerFirmList",
        "/partitions/group/FIRM/name/firmProfile",
        "/async-requests/group/firm/name/firmProfile/abc",
    ] {
        let reply = hub.send(hub.get(path, &tokens.session)).await;
        reply.assert_error(403, "insufficient_scope");
    }
    let post = hub.post(
        "/data/group/firm/name/firmProfile",
        &tokens.session,
        &json!({"limit": 1}),
    );
    hub.send(post).await.assert_error(403, "insufficient_scope");
    assert_eq!(
        (hub.counters().snapshot(), hub.counters().tokens_minted()),
        before,
        "FINRA was not called"
    );
    // Groups match case-insensitively, as FINRA's do.
    let upper = "/data/group/OTCMARKET/name/weeklySummary?limit=1";
    hub.send(hub.get(upper, &tokens.session)).await.assert_ok();
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn a_scope_granting_firm_over_a_public_credential_passes_finras_403_through() {
    let hub = Hub::builder()
        .scope("finra:otcMarket finra:firm")
        .build()
        .await;
    let tokens = hub.login_warm().await;
    let path = "/data/group/firm/name/firmProfile?limit=1";
    let through_hub = hub.send(hub.get(path, &tokens.session)).await;
    let public_token = hub.direct_token().await;
    let direct = hub
        .direct(
            Method::GET,
            path,
            "application/json",
            None,
            Some(&public_token),
        )
        .await;
    assert_eq!(direct.status, StatusCode::FORBIDDEN, "{}", direct.text());
    assert_eq!(
        through_hub.status,
        StatusCode::FORBIDDEN,
        "{}",
        through_hub.text()
    );
    // FINRA's body, unchanged except for FINRA's own request id, which is the one in its header.
    let mut hub_body = through_hub.json();
    let mut direct_body = direct.json();
    assert_eq!(
        hub_body["requestId"].as_str(),
        through_hub.header("finra-api-request-id")
    );
    hub_body["requestId"].take();
    direct_body["requestId"].take();
    assert_eq!(hub_body, direct_body);
    assert!(
        hub_body["message"]
            .as_str()
            .is_some_and(|m| m.contains("basic API credential")),
        "{hub_body}"
    );
    assert_eq!(
        through_hub.header("content-type"),
        direct.header("content-type")
    );
    assert!(through_hub.body != b"", "not the hub's envelope");
    assert!(
        through_hub.json().get("error").is_none(),
        "not the hub's envelope"
    );
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn an_x_tenant_id_other_than_the_sessions_is_refused_403() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let calls = hub.counters().total_responses();
    let other = hub
        .get(SMALL, &tokens.session)
        .header("x-tenant-id", "7654321");
    hub.send(other).await.assert_error(403, "access_denied");
    let leading_zero = hub
        .get(SMALL, &tokens.session)
        .header("x-tenant-id", "01234567");
    hub.send(leading_zero)
        .await
        .assert_error(403, "access_denied");
    let twice = hub
        .get(SMALL, &tokens.session)
        .header("x-tenant-id", crate::support::TENANT)
        .header("x-tenant-id", crate::support::TENANT);
    hub.send(twice).await.assert_error(400, "invalid_request");
    assert_eq!(
        hub.counters().total_responses(),
        calls,
        "FINRA was not called"
    );
    let same = hub
        .get(SMALL, &tokens.session)
        .header("x-tenant-id", crate::support::TENANT);
    hub.send(same).await.assert_ok();
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn paths_the_hub_does_not_proxy_are_404_and_wrong_methods_405() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let before = hub.counters().snapshot();
    for (method, path) in [
        (Method::POST, "/v1/finra/fip/rest/ews/oauth2/access_token"),
        (Method::GET, "/v1/finra/fip/rest/ews/oauth2/access_token"),
        (Method::GET, "/v1/finra/admin"),
        (Method::POST, "/v1/finra/admin"),
        (Method::GET, "/v1/finra/async-results/abc?X-Amz-Signature=x"),
        (Method::GET, "/v1/finra/data/group/otcMarket"),
        (
            Method::GET,
            "/v1/finra/data/group/otcMarket/name/weeklySummary/extra",
        ),
        (Method::GET, "/v1/finra/"),
        (Method::GET, "/v1/finra/datasets/more"),
    ] {
        let call = Call::new(method.clone(), path)
            .bearer(&tokens.session)
            .header("accept", "application/json");
        let reply = hub.send(call).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
        reply.assert_error(404, "not_found");
    }
    for (method, path) in [
        (
            Method::DELETE,
            "/v1/finra/data/group/otcMarket/name/weeklySummary",
        ),
        (
            Method::PUT,
            "/v1/finra/data/group/otcMarket/name/weeklySummary",
        ),
        (
            Method::PATCH,
            "/v1/finra/data/group/otcMarket/name/weeklySummary",
        ),
        (
            Method::POST,
            "/v1/finra/metadata/group/otcMarket/name/weeklySummary",
        ),
        (
            Method::POST,
            "/v1/finra/partitions/group/otcMarket/name/weeklySummary",
        ),
        (Method::POST, "/v1/finra/datasets"),
        (
            Method::POST,
            "/v1/finra/data/group/otcMarket/name/weeklySummary/id/1",
        ),
        (
            Method::DELETE,
            "/v1/finra/async-requests/group/otcMarket/name/weeklySummary/x",
        ),
        (Method::POST, "/v1/finra/results/anything"),
    ] {
        let call = Call::new(method.clone(), path)
            .bearer(&tokens.session)
            .header("accept", "application/json");
        let reply = hub.send(call).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            reply.text()
        );
        reply.assert_error(405, "method_not_allowed");
        let allow = if path.starts_with("/v1/finra/data/") && path.ends_with("name/weeklySummary") {
            "GET, POST"
        } else {
            "GET"
        };
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
    assert_eq!(hub.counters().snapshot(), before, "FINRA was not called");
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn the_per_session_data_limit_answers_429_with_retry_after() {
    let hub = Hub::builder()
        .config(|raw| {
            raw.rate_limits.data_per_session_per_second = Some(3);
            raw.rate_limits.data_per_customer_per_second = Some(100);
        })
        .build()
        .await;
    let tokens = hub.login_warm().await;
    for _ in 0..3 {
        hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    }
    let limited = hub.send(hub.get(SMALL, &tokens.session)).await;
    limited.assert_error(429, "rate_limited");
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=1).contains(&retry_after), "{retry_after}");
    assert_eq!(
        hub.counters()
            .responses("/data/group/otcMarket/name/weeklySummary", 200),
        3,
        "the refused call never reached FINRA"
    );
    // Another session of the same customer has its own allowance.
    let other = hub.login().await;
    hub.send(hub.get(SMALL, &other.session)).await.assert_ok();
    advance(Duration::from_secs(1)).await;
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn the_per_customer_data_limit_holds_across_sessions() {
    let hub = Hub::builder()
        .config(|raw| {
            raw.rate_limits.data_per_session_per_second = Some(3);
            raw.rate_limits.data_per_customer_per_second = Some(4);
        })
        .build()
        .await;
    let first = hub.login_warm().await;
    let second = hub.login().await;
    for _ in 0..3 {
        hub.send(hub.get(SMALL, &first.session)).await.assert_ok();
    }
    hub.send(hub.get(SMALL, &second.session)).await.assert_ok();
    let limited = hub.send(hub.get(SMALL, &second.session)).await;
    limited.assert_error(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    advance(Duration::from_secs(1)).await;
    hub.send(hub.get(SMALL, &second.session)).await.assert_ok();
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn a_raised_session_limit_lets_a_burst_through() {
    let hub = Hub::builder()
        .config(|raw| {
            raw.rate_limits.data_per_session_per_second = Some(60);
            raw.rate_limits.data_per_customer_per_second = Some(1_000);
            raw.upstream.requests_per_second = 0;
        })
        .build()
        .await;
    let tokens = hub.login_warm().await;
    // 60 at once: over the integration default of 50 / s, within the raised limit.
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let sender = hub.sender();
            let call = hub.get(SMALL, &tokens.session);
            tokio::spawn(async move { sender.send(call).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("a request task").assert_ok();
    }
    hub.send(hub.get(SMALL, &tokens.session))
        .await
        .assert_error(429, "rate_limited");
    hub.assert_no_leaks().await;
}
