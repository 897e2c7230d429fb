//! Ended sessions and refresh tokens are deleted a day after they end, never while their family
//! can still be refreshed; runs of failed logins are forgotten a day after their last failure;
//! and the serving hub's hourly chore does both.

use finhub_core::store::Purged;

use crate::support::{Reply, TestApp, advance, settle, until};

const HOUR: u64 = 60 * 60;
const DAY: u64 = 24 * HOUR;

async fn purge(app: &TestApp) -> Purged {
    app.state.sessions.purge_ended().await.expect("purge")
}

async fn forget_quiet_failures(app: &TestApp) -> u64 {
    app.state
        .logins
        .forget_quiet_failures()
        .await
        .expect("forget")
}

/// A password login under a made-up username, refused as every bad credential is.
async fn failed_login(app: &TestApp, username: &str) -> Reply {
    app.send(app.token_call(&app.password_body(username, "wrong")))
        .await
}

#[tokio::test(start_paused = true)]
async fn a_run_of_failed_logins_is_forgotten_a_day_after_its_last_failure() {
    let app = TestApp::new().await;
    // Five failures under a made-up name: the fifth starts the back-off.
    for _ in 0..5 {
        failed_login(&app, "nobody")
            .await
            .assert_error(401, "invalid_client");
    }
    failed_login(&app, "nobody")
        .await
        .assert_error(429, "rate_limited");

    advance(DAY - 1).await;
    assert_eq!(
        forget_quiet_failures(&app).await,
        0,
        "a second short of a day"
    );
    assert_eq!(
        app.store()
            .failures(&app.tenant, "nobody")
            .await
            .expect("read")
            .map(|(count, _)| count),
        Some(5)
    );
    advance(1).await;
    assert_eq!(forget_quiet_failures(&app).await, 1);
    assert!(
        app.store()
            .failures(&app.tenant, "nobody")
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        forget_quiet_failures(&app).await,
        0,
        "nothing left to forget"
    );

    // The next failure under the name starts a new run: four more go by before any back-off.
    for _ in 0..4 {
        failed_login(&app, "nobody")
            .await
            .assert_error(401, "invalid_client");
    }
}

#[tokio::test(start_paused = true)]
async fn a_familys_rows_go_a_day_after_its_end_and_not_a_second_before() {
    let app = TestApp::new().await;
    let old = app.client_login().await;
    let lone = app.client_login().await;

    // Two days on, both first sessions ended a day and a half ago, but their families (seven
    // days) live: nothing goes, and the exchange that revokes the old session still works.
    advance(2 * DAY).await;
    assert_eq!(purge(&app).await, Purged::default());
    let new = app.exchange(&old.refresh).await.tokens();
    app.session(&new.session).await.assert_ok();

    // The families end seven days after the logins; their rows are kept one day more.
    advance(6 * DAY - 1).await;
    assert_eq!(purge(&app).await, Purged::default());
    app.exchange(&lone.refresh)
        .await
        .assert_error(400, "invalid_grant");
    advance(1).await;
    assert_eq!(
        purge(&app).await,
        Purged {
            sessions: 3,
            refresh_tokens: 3
        },
        "the old, new and lone sessions, and their families' three refresh tokens"
    );
    assert_eq!(purge(&app).await, Purged::default(), "nothing left to go");

    // A deleted refresh token and session are refused as they were before.
    app.exchange(&new.refresh)
        .await
        .assert_error(400, "invalid_grant");
    app.session(&new.session)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test(start_paused = true)]
async fn the_serving_hubs_chores_purge_and_forget_at_start_and_then_hourly() {
    let app = TestApp::new().await;
    let purges = || app.logs.count("deleted ended sessions and refresh tokens");
    app.client_login().await;
    app.client_login().await;
    failed_login(&app, "nobody")
        .await
        .assert_error(401, "invalid_client");
    let forgotten = || {
        app.logs
            .count("forgot runs of failed logins quiet for a day")
    };
    let chores = tokio::spawn(finhub_server::housekeeping::run(app.state.clone()));
    settle().await;
    assert_eq!(purges(), 0, "nothing has ended at start");
    assert_eq!(forgotten(), 0, "the failure is recent at start");

    // Eight days on (the families' end and a day), the next hourly run deletes them, once.
    advance(8 * DAY).await;
    until("the purge", || purges() == 1).await;
    let logs = app.logs.text();
    assert!(
        logs.contains("sessions=2") && logs.contains("refresh_tokens=2"),
        "{logs}"
    );
    until("the failures forgotten", || forgotten() == 1).await;
    assert!(app.logs.text().contains("runs=1"), "{}", app.logs.text());
    advance(HOUR).await;
    settle().await;
    assert_eq!(purges(), 1, "a run that deletes nothing says nothing");
    assert_eq!(forgotten(), 1, "nor one that forgets nothing");
    chores.abort();
}
