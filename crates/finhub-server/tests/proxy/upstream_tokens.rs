//! The tenant's upstream token: warmed by the login (which still succeeds when FINRA is down),
//! reused by data calls, minted once however many requests wait when it expires, and re-minted
//! once when FINRA answers 401.

use std::time::Duration;

use axum::http::StatusCode;

use crate::support::{Hub, advance, settle};

const SMALL: &str = "/data/group/otcMarket/name/weeklySummary?limit=1";

#[tokio::test(start_paused = true)]
async fn the_login_warms_the_upstream_token_and_data_calls_reuse_it() {
    let hub = Hub::new().await;
    assert_eq!(hub.counters().tokens_minted(), 0);
    let tokens = hub.login_warm().await;
    assert_eq!(hub.counters().tokens_minted(), 1);
    for _ in 0..5 {
        hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    }
    let second = hub.login().await;
    settle().await;
    hub.send(hub.get(SMALL, &second.session)).await.assert_ok();
    assert_eq!(
        hub.counters().tokens_minted(),
        1,
        "one upstream token for the tenant, whatever the sessions"
    );
    assert_eq!(hub.counters().responses_with_status(401), 0);
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn an_expired_upstream_token_is_minted_once_for_200_concurrent_requests() {
    let hub = Hub::builder()
        .unpaced()
        .emulator(|emulator| emulator.with_token_ttl(Duration::from_secs(120)))
        .build()
        .await;
    let tokens = hub.login_warm().await;
    assert_eq!(hub.counters().tokens_minted(), 1);
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();

    advance(Duration::from_secs(121)).await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let sender = hub.sender();
            let call = hub.get(SMALL, &tokens.session);
            tokio::spawn(async move { sender.send(call).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("a request task").status);
    }
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(
        hub.counters().tokens_minted(),
        2,
        "exactly one upstream mint for the 200 requests"
    );
    assert_eq!(
        hub.counters().responses_with_status(401),
        0,
        "the expired token was never sent"
    );
    assert_eq!(
        hub.counters()
            .responses("/data/group/otcMarket/name/weeklySummary", 200),
        201
    );
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn a_401_from_finra_is_answered_by_one_re_mint_and_the_request_succeeds() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    hub.faults()
        .fail_next_data_calls(1, finra_emulator::Fault::Unauthorized);
    let reply = hub.send(hub.get(SMALL, &tokens.session)).await;
    reply.assert_ok();
    assert_eq!(hub.counters().tokens_minted(), 2, "one re-mint");
    assert_eq!(hub.counters().responses_with_status(401), 1);
    // The new token serves the next calls without another mint.
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    assert_eq!(hub.counters().tokens_minted(), 2);

    // FINRA refusing twice in a row: one re-mint only, then FINRA's 401 passes through.
    hub.faults()
        .fail_next_data_calls(2, finra_emulator::Fault::Unauthorized);
    let refused = hub.send(hub.get(SMALL, &tokens.session)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        refused.text()
    );
    assert_eq!(hub.counters().tokens_minted(), 3);
    assert_eq!(refused.json()["statusCode"], 401, "FINRA's own body");
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn the_login_succeeds_while_finra_is_down_and_the_data_call_answers_502() {
    let mut hub = Hub::new().await;
    hub.shutdown_emulator().await;
    let tokens = hub.login().await;
    settle().await;
    let reply = hub.send(hub.get(SMALL, &tokens.session)).await;
    reply.assert_error(502, "upstream_unavailable");
    assert!(
        !reply.text().contains(&hub.emulator_addr),
        "no upstream address in the answer"
    );
    hub.assert_no_leaks().await;
}

/// Two hub processes over one PostgreSQL database share the tenant's upstream token: the second
/// adopts the token the first minted, and 200 requests spread over both at its expiry cause one
/// mint between them. The token is stored sealed, never in clear.
#[tokio::test(start_paused = true)]
async fn two_instances_over_postgres_mint_one_upstream_token_between_them() {
    let hub = Hub::builder()
        .postgres()
        .unpaced()
        .emulator(|emulator| emulator.with_token_ttl(Duration::from_secs(120)))
        .build()
        .await;
    let other = hub.second_process().await;
    let tokens = hub.login_warm().await;
    assert_eq!(hub.counters().tokens_minted(), 1);
    other
        .send(hub.get(SMALL, &tokens.session))
        .await
        .assert_ok();
    assert_eq!(
        hub.counters().tokens_minted(),
        1,
        "the second instance adopted it"
    );

    advance(Duration::from_secs(121)).await;
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let sender = if n % 2 == 0 {
                hub.sender()
            } else {
                other.clone()
            };
            let call = hub.get(SMALL, &tokens.session);
            tokio::spawn(async move { sender.send(call).await })
        })
        .collect();
    for task in tasks {
        let reply = task.await.expect("a request task");
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
    assert_eq!(
        hub.counters().tokens_minted(),
        2,
        "one mint for both instances"
    );
    assert_eq!(hub.counters().responses_with_status(401), 0);
    hub.assert_no_leaks().await;
}
