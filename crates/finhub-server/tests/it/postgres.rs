//! The hub on PostgreSQL, as two instances behind a load balancer would run it: two `AppState`s
//! (each with its own session cache, limiters and pool of connections to the database) over one
//! PostgreSQL database. Logins, refreshes, rotations and logouts decided on either hold on both,
//! and the races between them have exactly one winner.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::paused_time::until_async;
use crate::support::{Call, Reply, TestApp, USERNAME, advance, send};

/// Two instances over one PostgreSQL database: the app's own router and a second one.
async fn two_instances(access_ttl: u64) -> (TestApp, finhub_server::http::App) {
    let app = TestApp::builder()
        .postgres()
        .with_user()
        .access_ttl(access_ttl)
        .build()
        .await;
    let other = finhub_server::http::app(app.sibling());
    (app, other)
}

fn refresh_call(token: &str) -> Call {
    Call::new(Method::POST, "/v1/auth/refresh").bearer(token)
}

fn session_call(token: &str) -> Call {
    Call::new(Method::GET, "/v1/auth/session").bearer(token)
}

#[tokio::test(start_paused = true)]
async fn a_login_on_one_instance_is_a_session_on_the_other_and_logout_ends_it_on_both() {
    let (app, other) = two_instances(3_600).await;
    let tokens = app.password_login().await;
    // The first instance has the session in its cache from here on.
    assert_eq!(app.session(&tokens.session).await.status, StatusCode::OK);
    let there = send(&other, session_call(&tokens.session)).await;
    assert_eq!(there.status, StatusCode::OK, "{}", there.text());
    assert_eq!(there.json()["username"], json!(USERNAME));

    assert_eq!(
        send(
            &other,
            Call::new(Method::POST, "/v1/auth/logout").bearer(&tokens.session)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    // The first instance may have the session cached for up to 750 ms; past that, refused.
    advance(1).await;
    app.session(&tokens.session)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test(start_paused = true)]
async fn two_hundred_concurrent_refreshes_over_both_instances_refresh_once() {
    let (app, other) = two_instances(1_000).await;
    let token = app.client_login().await.session;
    advance(950).await;
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let router = if n % 2 == 0 {
                app.router.clone()
            } else {
                other.clone()
            };
            let call = refresh_call(&token);
            tokio::spawn(async move { send(&router, call).await })
        })
        .collect();
    let mut refreshed = 0;
    for task in tasks {
        let reply: Reply = task.await.expect("task");
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        if reply.json()["refreshed"] == json!(true) {
            refreshed += 1;
        }
    }
    assert_eq!(refreshed, 1);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_token_raced_on_both_instances_rotates_once_and_every_winner_gets_that_pair() {
    let (app, other) = two_instances(3_600).await;
    let old = app.client_login().await;
    let body = app.refresh_grant_body(&old.refresh);
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let router = if n % 2 == 0 {
                app.router.clone()
            } else {
                other.clone()
            };
            let call = app.token_call(&body);
            tokio::spawn(async move { send(&router, call).await })
        })
        .collect();
    let mut pairs = Vec::new();
    for task in tasks {
        let reply: Reply = task.await.expect("task");
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        pairs.push(reply.tokens());
    }
    pairs.dedup();
    assert_eq!(
        pairs.len(),
        1,
        "one rotation; the rest replayed it in the grace window"
    );
    let new = &pairs[0];
    app.session(&old.session)
        .await
        .assert_error(401, "invalid_token");
    assert_eq!(
        send(&other, session_call(&new.session)).await.status,
        StatusCode::OK
    );

    // After the grace window the old token is a reuse: the whole family is revoked, on both.
    advance(120).await;
    app.send(app.token_call(&body))
        .await
        .assert_error(400, "invalid_grant");
    advance(1).await;
    send(&other, session_call(&new.session))
        .await
        .assert_error(401, "invalid_token");
}

/// Polls (real time, bounded; tokio's clock stays frozen, so the cache's 750 ms never pass)
/// until the session check on `router` answers `status`.
async fn until_session_is(router: &finhub_server::http::App, token: &str, status: StatusCode) {
    until_async(
        &format!("the session check to answer {status}"),
        async || send(router, session_call(token)).await.status == status,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_revocation_on_one_instance_reaches_the_others_cache_as_it_commits() {
    let (app, other) = two_instances(3_600).await;
    let follower = app
        .state
        .sessions
        .open_change_feed()
        .await
        .expect("open the feed")
        .expect("PostgreSQL has a feed");
    let following = tokio::spawn(follower.run());

    // Cached on the first instance, logged out on the second: refused on the first at once,
    // with no time passing.
    let tokens = app.client_login().await;
    assert_eq!(app.session(&tokens.session).await.status, StatusCode::OK);
    assert_eq!(
        send(
            &other,
            Call::new(Method::POST, "/v1/auth/logout").bearer(&tokens.session)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    until_session_is(&app.router, &tokens.session, StatusCode::UNAUTHORIZED).await;

    // A tenant changed on the second instance: its cached sessions are read again at once.
    let tokens = app.client_login().await;
    assert_eq!(
        app.session(&tokens.session).await.json()["scope"],
        json!(crate::support::SCOPE)
    );
    other_admin(&app)
        .set_scope(
            &finhub_core::admin::Administrator::new("test"),
            &app.tenant,
            finhub_core::scope::Scope::parse("finra:otcMarket").expect("scope"),
        )
        .await
        .expect("narrow the scope");
    until_async("the narrowed scope on the first instance", async || {
        app.session(&tokens.session).await.json()["scope"] == json!("finra:otcMarket")
    })
    .await;
    following.abort();
}

#[tokio::test(start_paused = true)]
async fn a_lost_feed_connection_drops_the_whole_cache() {
    use sqlx::Connection as _;

    let (app, _other) = two_instances(3_600).await;
    let follower = app
        .state
        .sessions
        .open_change_feed()
        .await
        .expect("open the feed")
        .expect("PostgreSQL has a feed");
    let following = tokio::spawn(follower.run());
    let tokens = app.client_login().await;
    assert_eq!(app.session(&tokens.session).await.status, StatusCode::OK);

    // Revoked behind the feed's back (triggers off for this connection): the cache still
    // serves the session, as it may for up to 750 ms.
    let mut db = sqlx::PgConnection::connect(&app.raw.database_url)
        .await
        .expect("connect");
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut db)
        .await
        .expect("triggers off");
    sqlx::query("UPDATE sessions SET revoked_at = created_at WHERE revoked_at IS NULL")
        .execute(&mut db)
        .await
        .expect("revoke quietly");
    assert_eq!(app.session(&tokens.session).await.status, StatusCode::OK);

    // The feed's connection is cut: changes may have been missed, so everything cached goes.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .execute(&mut db)
    .await
    .expect("cut the feed");
    until_session_is(&app.router, &tokens.session, StatusCode::UNAUTHORIZED).await;
    following.abort();
}

/// The domain of a second instance over the same database.
fn other_admin(app: &TestApp) -> finhub_core::admin::Administration {
    app.sibling().admin.clone()
}
