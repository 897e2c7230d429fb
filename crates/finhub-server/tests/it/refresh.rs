//! `POST /v1/auth/refresh` and `GET /v1/auth/session`: the 10 % boundary to the second, expiry,
//! 50 concurrent refreshes refreshing once, the body token of another user, the session's
//! absolute end, and `X-Tenant-ID` naming another tenant.

use axum::http::{Method, StatusCode};
use finhub_core::ids::TenantId;
use finhub_core::model::AccountType;
use serde_json::json;

use crate::support::{Call, SCOPE, TENANT, TestApp, USERNAME, advance, new_client, send};

fn refresh_call(token: &str) -> Call {
    Call::new(Method::POST, "/v1/auth/refresh").bearer(token)
}

#[tokio::test(start_paused = true)]
async fn refresh_happens_at_exactly_ten_percent_remaining_and_not_a_second_before() {
    let app = TestApp::builder().access_ttl(1_000).build().await;
    let token = app.client_login().await.session;
    let reply = app.refresh(&token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"refreshed": false, "expires_in": 1_000, "token_type": "Bearer"})
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    advance(899).await;
    let reply = app.refresh(&token).await;
    assert_eq!(
        reply.json(),
        json!({"refreshed": false, "expires_in": 101, "token_type": "Bearer"})
    );
    advance(1).await;
    let reply = app.refresh(&token).await;
    assert_eq!(
        reply.json(),
        json!({"refreshed": true, "expires_in": 1_000, "token_type": "Bearer"})
    );
    let reply = app.refresh(&token).await;
    assert_eq!(
        reply.json()["refreshed"],
        json!(false),
        "a new lifetime is not refreshed again"
    );
    assert_eq!(app.session(&token).await.json()["expires_in"], json!(1_000));
}

#[tokio::test(start_paused = true)]
async fn an_expired_access_token_gets_401_saying_so_but_can_still_log_out() {
    let app = TestApp::builder().access_ttl(1_000).build().await;
    let token = app.client_login().await.session;
    advance(999).await;
    assert_eq!(app.session(&token).await.json()["expires_in"], json!(1));
    advance(1).await;
    for reply in [app.refresh(&token).await, app.session(&token).await] {
        reply.assert_error(401, "invalid_token");
        assert!(
            reply.description().contains("access token has expired"),
            "{}",
            reply.description()
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer realm=\"finhub\", error=\"invalid_token\"")
        );
    }
    assert_eq!(app.logout(&token).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test(start_paused = true)]
async fn fifty_concurrent_refreshes_refresh_the_session_exactly_once() {
    let app = TestApp::builder().access_ttl(1_000).build().await;
    let token = app.client_login().await.session;
    advance(950).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let router = app.router.clone();
            let call = refresh_call(&token);
            tokio::spawn(async move { send(&router, call).await })
        })
        .collect();
    let mut refreshed = 0;
    for task in tasks {
        let reply = task.await.expect("task");
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json();
        assert_eq!(body["expires_in"], json!(1_000), "{body}");
        if body["refreshed"] == json!(true) {
            refreshed += 1;
        }
    }
    assert_eq!(refreshed, 1);
}

#[tokio::test(start_paused = true)]
async fn a_body_token_must_be_the_same_users() {
    let app = TestApp::new().await;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    let other = new_client(app.admin(), &tenant, AccountType::B2b).await;
    let mine = app.client_login().await.session;
    let mut body = app.client_body();
    body["customerId"] = json!(other.id);
    body["customerSecret"] = json!(other.secret);
    let theirs = app.send(app.token_call(&body)).await.tokens().session;

    let with_body = |body: &str| {
        refresh_call(&mine)
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let reply = app
        .send(with_body(&json!({"userSessionToken": theirs}).to_string()))
        .await;
    reply.assert_error(403, "insufficient_scope");
    let reply = app
        .send(with_body(&json!({"userSessionToken": mine}).to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = app.send(with_body("{}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = app.send(refresh_call(&mine).body("")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = app
        .send(with_body(
            &json!({"userSessionToken": "forged"}).to_string(),
        ))
        .await;
    reply.assert_error(401, "invalid_token");
    for bad in [
        r#"{"userSessionToken": 5}"#,
        r#"{"userSessionToken": null}"#,
        r#"{"token": "x"}"#,
        r#"{"userSessionToken": "a", "userSessionToken": "b"}"#,
        "[]",
        "nonsense",
    ] {
        app.send(with_body(bad))
            .await
            .assert_error(400, "invalid_request");
    }
    let text = refresh_call(&mine)
        .header("content-type", "text/plain")
        .body(json!({"userSessionToken": mine}).to_string());
    app.send(text).await.assert_error(415, "invalid_request");
    let untyped = refresh_call(&mine).body(json!({"userSessionToken": mine}).to_string());
    app.send(untyped).await.assert_error(415, "invalid_request");
}

#[tokio::test(start_paused = true)]
async fn a_session_ends_at_its_absolute_lifetime_however_often_it_is_refreshed() {
    let app = TestApp::builder()
        .access_ttl(1_000)
        .session_ttl(3_000)
        .build()
        .await;
    let token = app.client_login().await.session;
    for expected in [1_000, 1_000] {
        advance(900).await;
        let body = app.refresh(&token).await.json();
        assert_eq!(body["refreshed"], json!(true));
        assert_eq!(body["expires_in"], json!(expected));
    }
    advance(900).await;
    let body = app.refresh(&token).await.json();
    assert_eq!(
        body,
        json!({"refreshed": true, "expires_in": 300, "token_type": "Bearer"}),
        "capped"
    );
    assert_eq!(
        app.session(&token).await.json()["session_expires_in"],
        json!(300)
    );
    advance(300).await;
    app.refresh(&token).await.assert_error(401, "invalid_token");
    app.session(&token).await.assert_error(401, "invalid_token");
}

#[tokio::test(start_paused = true)]
async fn the_session_endpoint_says_who_and_for_how_long() {
    let app = TestApp::builder().with_user().build().await;
    let machine = app.client_login().await.session;
    advance(60).await;
    let reply = app.session(&machine).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(
        reply.json(),
        json!({
            "tenantId": TENANT,
            "customerId": app.b2b.id,
            "username": null,
            "accountType": "b2b",
            "scope": SCOPE,
            "expires_in": 3_540,
            "session_expires_in": 43_140,
        })
    );
    let person = app.password_login().await.session;
    let body = app.session(&person).await.json();
    assert_eq!(body["username"], json!(USERNAME));
    assert_eq!(body["accountType"], json!("b2c"));
    assert_eq!(body["customerId"], json!(app.b2c.id));
}

#[tokio::test(start_paused = true)]
async fn x_tenant_id_must_name_the_sessions_tenant_when_sent() {
    let app = TestApp::new().await;
    let token = app.client_login().await.session;
    for path in ["/v1/auth/session", "/v1/auth/refresh", "/v1/auth/logout"] {
        let method = if path.ends_with("session") {
            Method::GET
        } else {
            Method::POST
        };
        for other in ["7654321", "01234567", "abc"] {
            let call = Call::new(method.clone(), path)
                .bearer(&token)
                .header("x-tenant-id", other);
            app.send(call).await.assert_error(403, "access_denied");
        }
        let call = Call::new(method.clone(), path)
            .bearer(&token)
            .header("x-tenant-id", TENANT)
            .header("x-tenant-id", TENANT);
        app.send(call).await.assert_error(400, "invalid_request");
    }
    let call = Call::new(Method::GET, "/v1/auth/session")
        .bearer(&token)
        .header("x-tenant-id", TENANT);
    assert_eq!(app.send(call).await.status, StatusCode::OK);
}
