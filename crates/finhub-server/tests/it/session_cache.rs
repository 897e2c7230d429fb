//! The session cache: an instance serves a session from memory for at most 750 ms; the
//! instance that revokes a session refuses it at once, another instance within that time.

use axum::http::{Method, StatusCode};
use finhub_core::auth::SESSION_CACHE_TTL;

use crate::support::{Call, TestApp, advance, send};

/// A second hub instance over the same store and keys (as behind a load balancer).
fn second_instance(app: &TestApp) -> finhub_server::http::App {
    finhub_server::http::app(app.sibling())
}

fn session_call(token: &str) -> Call {
    Call::new(Method::GET, "/v1/auth/session").bearer(token)
}

#[tokio::test(start_paused = true)]
async fn a_logout_is_refused_at_once_here_and_within_the_cache_lifetime_on_another_instance() {
    let app = TestApp::new().await;
    let other = second_instance(&app);
    let tokens = app.client_login().await;

    // Both instances have the session cached now.
    assert_eq!(
        app.send(session_call(&tokens.session)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&other, session_call(&tokens.session)).await.status,
        StatusCode::OK
    );

    let logout = Call::new(Method::POST, "/v1/auth/logout").bearer(&tokens.session);
    assert_eq!(app.send(logout).await.status, StatusCode::NO_CONTENT);

    // The instance that ended the session refuses it at once.
    app.send(session_call(&tokens.session))
        .await
        .assert_error(401, "invalid_token");
    // The other may still serve it from its cache, but never for the cache's lifetime or more.
    let within = send(&other, session_call(&tokens.session)).await.status;
    assert!(
        within == StatusCode::OK || within == StatusCode::UNAUTHORIZED,
        "{within:?}"
    );
    tokio::time::advance(SESSION_CACHE_TTL).await;
    send(&other, session_call(&tokens.session))
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test(start_paused = true)]
async fn a_refresh_on_one_instance_is_seen_by_the_other_once_its_cached_copy_looks_expired() {
    let app = TestApp::builder().access_ttl(100).build().await;
    let other = second_instance(&app);
    let tokens = app.client_login().await;
    assert_eq!(
        send(&other, session_call(&tokens.session)).await.status,
        StatusCode::OK
    );

    // At 95 s (5 % left) the first instance refreshes; 10 s later the other instance's cached
    // copy says "expired", so it reads the store again and sees the new expiry.
    advance(95).await;
    let refresh = Call::new(Method::POST, "/v1/auth/refresh").bearer(&tokens.session);
    let refreshed = app.send(refresh).await.json();
    assert_eq!(refreshed["refreshed"], true);
    advance(10).await;
    let reply = send(&other, session_call(&tokens.session)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["expires_in"], 90);
}
