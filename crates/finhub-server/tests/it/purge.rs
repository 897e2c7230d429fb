//! Ended sessions and refresh tokens are deleted a day after they end, never while their family
//! can still be refreshed, and the serving hub's hourly chore does it.

use finhub_core::store::Purged;

use crate::support::{TestApp, advance, settle, until};

const HOUR: u64 = 60 * 60;
const DAY: u64 = 24 * HOUR;

async fn purge(app: &TestApp) -> Purged {
    app.state.sessions.purge_ended().await.expect("purge")
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
async fn the_serving_hubs_chores_purge_at_start_and_then_hourly() {
    let app = TestApp::new().await;
    let purges = || {
        app.logs
            .text()
            .matches("deleted ended sessions and refresh tokens")
            .count()
    };
    app.client_login().await;
    app.client_login().await;
    let chores = tokio::spawn(finhub_server::housekeeping::run(app.state.clone()));
    settle().await;
    assert_eq!(purges(), 0, "nothing has ended at start");

    // Eight days on (the families' end and a day), the next hourly run deletes them, once.
    advance(8 * DAY).await;
    until("the purge", || purges() == 1).await;
    let logs = app.logs.text();
    assert!(
        logs.contains("sessions=2") && logs.contains("refresh_tokens=2"),
        "{logs}"
    );
    advance(HOUR).await;
    settle().await;
    assert_eq!(purges(), 1, "a run that deletes nothing says nothing");
    chores.abort();
}
