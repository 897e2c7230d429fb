//! Rate limits shared through Redis by two instances (two `AppState`s over one store and one
//! Redis key prefix, Redis reading the hub's paused clock, so nothing refills): a login limit
//! admits its number across both, not twice it; with Redis gone each instance admits its share
//! (limit ÷ expected_instances), answers never turn into 500s, and the log says so once; with
//! Redis back the limits are shared again.

use std::time::Duration;

use axum::http::StatusCode;
use finhub_server::http::App;
use finhub_store::testing::{OwnRedisServer, redis_url};

use crate::support::{Reply, TestApp, send, until};

/// Sends `count` client-credentials logins, alternating between the two instances, all at once;
/// returns how many were admitted (the rest must be 429s).
async fn logins_admitted(app: &TestApp, instances: [&App; 2], count: usize) -> usize {
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let router = instances[n % 2].clone();
            let call = app.token_call(&app.client_body());
            tokio::spawn(async move { send(&router, call).await })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        let reply: Reply = task.await.expect("a login task");
        match reply.status {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => reply.assert_error(429, "rate_limited"),
            other => panic!(
                "a login answered {other}: {}\nthe hub logged:\n{}",
                reply.text(),
                app.logs.text()
            ),
        }
    }
    admitted
}

#[tokio::test(start_paused = true)]
async fn the_per_address_login_limit_is_counted_once_across_two_instances() {
    let app = TestApp::builder()
        .redis(&redis_url(), 2)
        .per_address_per_minute(6)
        .per_customer_per_minute(1_000)
        .build()
        .await;
    let other = finhub_server::http::app(app.sibling());
    assert_eq!(logins_admitted(&app, [&app.router, &other], 20).await, 6);
    // The shared count holds the retry time too: one interval (10 s) frees one login.
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(logins_admitted(&app, [&app.router, &other], 4).await, 1);
    let shared = app.state.limiters.shared().expect("shared limits");
    assert_eq!(shared.fallbacks(), 0);
}

#[tokio::test(start_paused = true)]
async fn without_redis_each_instance_admits_its_share_and_shared_limits_resume_when_it_returns() {
    let mut redis = OwnRedisServer::start();
    let app = TestApp::builder()
        .redis(&redis.url(), 2)
        .per_address_per_minute(6)
        .per_customer_per_minute(1_000)
        .build()
        .await;
    let other = finhub_server::http::app(app.sibling());
    assert_eq!(logins_admitted(&app, [&app.router, &other], 2).await, 2);

    redis.stop();
    // Each instance alone allows 6 ÷ 2 = 3 a minute: 6 of 20, and no 500 among the rest.
    assert_eq!(logins_admitted(&app, [&app.router, &other], 20).await, 6);
    let shared = app.state.limiters.shared().expect("shared limits");
    assert!(
        shared.fallbacks() >= 10,
        "{} decisions alone",
        shared.fallbacks()
    );
    assert_eq!(
        app.logs.count("Redis is away"),
        2,
        "logged once a minute by each instance, not per request"
    );

    redis.restart();
    // Reconnecting happens in the background; wait (real time, bounded) until Redis answers.
    let probe = tokio::spawn({
        let shared = shared.clone();
        async move {
            for _ in 0..200 {
                if shared.ping().await.is_ok() {
                    return true;
                }
                tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(25)))
                    .await
                    .expect("pause");
            }
            false
        }
    });
    until("the probe to finish", || probe.is_finished()).await;
    assert!(probe.await.expect("probe"), "Redis answers again");
    // The restarted Redis starts from empty counters: the whole limit, across both, once.
    assert_eq!(logins_admitted(&app, [&app.router, &other], 10).await, 6);
    assert!(app.logs.text().contains("the limits are shared again"));
}
