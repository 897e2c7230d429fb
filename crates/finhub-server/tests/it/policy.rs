//! Address policy and profiles: the tenant's allow-list applies to the peer address, a client's
//! `X-Forwarded-For` cannot get around it, a trusted proxy's can, and the production profile
//! refuses tenants without an allow-list and issues 1 800 s access tokens.

use axum::http::{Method, StatusCode};

use crate::support::{Call, TENANT, TestApp, set_allow_list};

const INSIDE: &str = "203.0.113.7";
const OUTSIDE: &str = "198.51.100.9";

#[tokio::test(start_paused = true)]
async fn logins_from_outside_the_allow_list_are_access_denied() {
    let app = TestApp::builder()
        .allow_list(&["203.0.113.0/24"])
        .build()
        .await;
    let body = app.client_body();
    let reply = app.send(app.token_call(&body).peer(OUTSIDE)).await;
    reply.assert_error(403, "access_denied");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let reply = app.send(app.token_call(&body).peer(INSIDE)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn a_clients_forwarded_for_does_not_get_around_the_allow_list() {
    let app = TestApp::builder()
        .allow_list(&["203.0.113.0/24"])
        .trusted_proxies(&["10.0.0.0/8"])
        .build()
        .await;
    let body = app.client_body();
    for forwarded in [
        INSIDE,
        &format!("{INSIDE}, {INSIDE}"),
        "203.0.113.1, 10.0.0.1",
    ] {
        let call = app
            .token_call(&body)
            .peer(OUTSIDE)
            .set("x-forwarded-for", forwarded);
        app.send(call).await.assert_error(403, "access_denied");
    }
}

#[tokio::test(start_paused = true)]
async fn a_trusted_proxys_forwarded_for_is_honoured_right_most_hop_first() {
    let app = TestApp::builder()
        .allow_list(&["203.0.113.0/24"])
        .trusted_proxies(&["10.0.0.0/8"])
        .build()
        .await;
    let body = app.client_body();
    let from_proxy = |forwarded: &str| {
        app.token_call(&body)
            .peer("10.0.0.5")
            .set("x-forwarded-for", forwarded)
    };
    assert_eq!(app.send(from_proxy(INSIDE)).await.status, StatusCode::OK);
    assert_eq!(
        app.send(from_proxy(&format!("6.6.6.6, {INSIDE}")))
            .await
            .status,
        StatusCode::OK,
        "a client-written left part is ignored"
    );
    assert_eq!(
        app.send(from_proxy(&format!("{INSIDE}, 10.0.0.7")))
            .await
            .status,
        StatusCode::OK,
        "trusted hops are skipped"
    );
    for forwarded in [OUTSIDE, &format!("{INSIDE}, {OUTSIDE}"), "garbage"] {
        app.send(from_proxy(forwarded))
            .await
            .assert_error(403, "access_denied");
    }
}

#[tokio::test(start_paused = true)]
async fn sessions_are_refused_outside_the_allow_list_too() {
    let app = TestApp::builder().allow_list(&["127.0.0.1"]).build().await;
    let token = app.client_login().await.session;
    let call = Call::new(Method::GET, "/v1/auth/session").bearer(&token);
    assert_eq!(app.send(call.clone()).await.status, StatusCode::OK);
    app.send(call.peer(OUTSIDE))
        .await
        .assert_error(403, "access_denied");
    let refresh = Call::new(Method::POST, "/v1/auth/refresh")
        .bearer(&token)
        .peer(OUTSIDE);
    app.send(refresh).await.assert_error(403, "access_denied");
}

#[tokio::test(start_paused = true)]
async fn production_refuses_a_tenant_without_an_allow_list() {
    let app = TestApp::builder()
        .production()
        .allow_list(&[])
        .build()
        .await;
    app.send(app.token_call(&app.client_body()))
        .await
        .assert_error(403, "access_denied");
    set_allow_list(app.store().as_ref(), TENANT, &["127.0.0.0/8".to_owned()]).await;
    let reply = app.send(app.token_call(&app.client_body())).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["expires_in"], 1_800, "production's lifetime");
}
