//! The `refresh_token` grant and logout: rotation, a replay inside the grace window getting the
//! same pair, a replay after it revoking the family, and logout ending both the session and its
//! refresh tokens.

use axum::http::StatusCode;
use finhub_core::ids::TenantId;
use finhub_core::model::AccountType;
use serde_json::json;

use crate::support::{TENANT, TestApp, Tokens, USERNAME, advance, new_client};

#[tokio::test(start_paused = true)]
async fn the_refresh_token_grant_rotates_the_pair_and_ends_the_old_session() {
    let app = TestApp::new().await;
    let old = app.client_login().await;
    advance(60).await;
    let reply = app.exchange(&old.refresh).await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["expires_in"], json!(3_600));
    assert_eq!(body["token_type"], json!("Bearer"));
    let new = reply.tokens();
    assert_ne!(new.session, old.session);
    assert_ne!(new.refresh, old.refresh);
    app.session(&old.session)
        .await
        .assert_error(401, "invalid_token");
    assert_eq!(app.session(&new.session).await.status, StatusCode::OK);
    let next = app.exchange(&new.refresh).await.tokens();
    assert_eq!(app.session(&next.session).await.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn a_persons_refresh_token_keeps_the_person() {
    let app = TestApp::builder().with_user().build().await;
    let old = app.password_login().await;
    let mut body = app.refresh_grant_body(&old.refresh);
    body["customerId"] = json!(app.b2c.id);
    body["customerSecret"] = json!(app.b2c.secret);
    body["accountType"] = json!("b2c");
    let new = app.send(app.token_call(&body)).await.tokens();
    assert_eq!(
        app.session(&new.session).await.json()["username"],
        json!(USERNAME)
    );
}

#[tokio::test(start_paused = true)]
async fn a_replay_inside_the_grace_window_gets_the_same_pair() {
    let app = TestApp::new().await;
    let old = app.client_login().await;
    let first = app.exchange(&old.refresh).await.tokens();
    advance(10).await;
    let again = app.exchange(&old.refresh).await.tokens();
    assert_eq!(again, first, "a client's retry gets the pair it missed");
    assert_eq!(app.session(&first.session).await.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn a_replay_after_the_grace_window_is_invalid_grant_and_revokes_the_family() {
    let app = TestApp::new().await;
    let old = app.client_login().await;
    let first: Tokens = app.exchange(&old.refresh).await.tokens();
    advance(11).await;
    app.exchange(&old.refresh)
        .await
        .assert_error(400, "invalid_grant");
    app.session(&first.session)
        .await
        .assert_error(401, "invalid_token");
    app.exchange(&first.refresh)
        .await
        .assert_error(400, "invalid_grant");
}

#[tokio::test(start_paused = true)]
async fn logout_ends_the_session_and_its_refresh_tokens() {
    let app = TestApp::new().await;
    let tokens = app.client_login().await;
    let reply = app.logout(&tokens.session).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let reply = app.session(&tokens.session).await;
    reply.assert_error(401, "invalid_token");
    assert!(reply.description().contains("ended or revoked"));
    app.refresh(&tokens.session)
        .await
        .assert_error(401, "invalid_token");
    app.logout(&tokens.session)
        .await
        .assert_error(401, "invalid_token");
    app.exchange(&tokens.refresh)
        .await
        .assert_error(400, "invalid_grant");
}

#[tokio::test(start_paused = true)]
async fn a_refresh_token_works_only_with_its_own_customers_credentials() {
    let app = TestApp::new().await;
    let tokens = app.client_login().await;
    let other = new_client(
        app.admin(),
        &TenantId::parse(TENANT).expect("tenant"),
        AccountType::B2b,
    )
    .await;
    let mut body = app.refresh_grant_body(&tokens.refresh);
    body["customerId"] = json!(other.id);
    body["customerSecret"] = json!(other.secret);
    app.send(app.token_call(&body))
        .await
        .assert_error(400, "invalid_grant");
    let mut body = app.refresh_grant_body(&tokens.refresh);
    body["customerSecret"] = json!("fhcs_wrong");
    app.send(app.token_call(&body))
        .await
        .assert_error(401, "invalid_client");
    app.exchange("fhrt_unknown")
        .await
        .assert_error(400, "invalid_grant");
    assert_eq!(
        app.exchange(&tokens.refresh).await.status,
        StatusCode::OK,
        "the failed attempts did not spend it"
    );
}
