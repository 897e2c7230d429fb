//! Request-rate limits on `POST /v1/auth/token`: per client address and per (tenant, customer),
//! checked before any credential work, answered with 429 and `Retry-After`, audited, and not
//! reset by changing `X-Forwarded-For`.

use axum::http::{Method, StatusCode};
use finhub_core::audit::{AuditAction, AuditOutcome};
use finhub_core::ids::TenantId;
use finhub_core::model::AccountType;
use serde_json::json;

use crate::support::{Call, TENANT, TestApp, advance, new_client};

#[tokio::test(start_paused = true)]
async fn the_per_address_limit_answers_429_with_retry_after_whatever_forwarded_for_says() {
    let app = TestApp::builder().per_address_per_minute(3).build().await;
    let body = app.client_body();
    for _ in 0..3 {
        assert_eq!(app.send(app.token_call(&body)).await.status, StatusCode::OK);
    }
    let reply = app.send(app.token_call(&body)).await;
    reply.assert_error(429, "rate_limited");
    assert_eq!(reply.header("retry-after"), Some("20"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    for forwarded in ["1.2.3.4", "10.9.8.7", "::1", "203.0.113.1, 198.51.100.2"] {
        let call = app.token_call(&body).set("x-forwarded-for", forwarded);
        app.send(call).await.assert_error(429, "rate_limited");
    }
    let other_peer = app.token_call(&body).peer("192.0.2.10");
    assert_eq!(app.send(other_peer).await.status, StatusCode::OK);
    advance(19).await;
    let reply = app.send(app.token_call(&body)).await;
    reply.assert_error(429, "rate_limited");
    assert_eq!(reply.header("retry-after"), Some("1"));
    advance(1).await;
    assert_eq!(app.send(app.token_call(&body)).await.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn malformed_requests_count_against_the_address_too() {
    let app = TestApp::builder().per_address_per_minute(2).build().await;
    for _ in 0..2 {
        let reply = app.send(app.token_call(&json!({})).body("nonsense")).await;
        reply.assert_error(400, "invalid_request");
    }
    app.send(app.token_call(&app.client_body()))
        .await
        .assert_error(429, "rate_limited");
}

#[tokio::test(start_paused = true)]
async fn the_per_customer_limit_holds_across_addresses() {
    let app = TestApp::builder().per_customer_per_minute(2).build().await;
    let body = app.client_body();
    for peer in ["192.0.2.1", "192.0.2.2"] {
        let reply = app.send(app.token_call(&body).peer(peer)).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let reply = app.send(app.token_call(&body).peer("192.0.2.3")).await;
    reply.assert_error(429, "rate_limited");
    assert_eq!(reply.header("retry-after"), Some("30"));
    let mut wrong_secret = body.clone();
    wrong_secret["customerSecret"] = json!("fhcs_wrong");
    app.send(app.token_call(&wrong_secret).peer("192.0.2.4"))
        .await
        .assert_error(429, "rate_limited");

    let tenant = TenantId::parse(TENANT).expect("tenant");
    let other = new_client(app.admin(), &tenant, AccountType::B2b).await;
    let mut other_body = body.clone();
    other_body["customerId"] = json!(other.id);
    other_body["customerSecret"] = json!(other.secret);
    assert_eq!(
        app.send(app.token_call(&other_body)).await.status,
        StatusCode::OK,
        "customers are limited separately"
    );
    advance(30).await;
    assert_eq!(app.send(app.token_call(&body)).await.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn refusals_by_rate_are_audited_in_production() {
    let app = TestApp::builder()
        .production()
        .per_address_per_minute(1)
        .build()
        .await;
    let body = app.client_body();
    assert_eq!(app.send(app.token_call(&body)).await.status, StatusCode::OK);
    let reply = app.send(app.token_call(&body)).await;
    reply.assert_error(429, "rate_limited");
    let events = app.store().recent_audit_events(10).await.expect("audit");
    let refused = events
        .iter()
        .find(|e| e.action == AuditAction::RequestRefused)
        .expect("the refusal is audited");
    assert_eq!(
        refused.outcome,
        AuditOutcome::Failure("rate_limited".into())
    );
    assert_eq!(
        Some(refused.request_id.as_str()),
        reply.header("x-request-id")
    );
}

#[tokio::test(start_paused = true)]
async fn session_endpoints_are_not_limited_by_the_login_limits() {
    let app = TestApp::builder().per_address_per_minute(1).build().await;
    let token = app.client_login().await.session;
    for _ in 0..20 {
        let call = Call::new(Method::GET, "/v1/auth/session").bearer(&token);
        assert_eq!(app.send(call).await.status, StatusCode::OK);
    }
}
