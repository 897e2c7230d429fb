//! Asynchronous requests: submit, poll no more often than allowed, fetch the result link
//! without credentials, within an overall timeout.

use std::time::Duration;

use finra_client::{AsyncOptions, AsyncStatus, CompareOp, FinraError, Format, Query};
use finra_emulator::AsyncTimings;

use crate::support::*;

fn timings(ready_after: Duration, min_poll_interval: Duration) -> AsyncTimings {
    AsyncTimings {
        ready_after,
        min_poll_interval,
        result_link_ttl: Duration::from_secs(7_200),
        quota_per_hour: std::num::NonZeroU32::new(20).expect("not zero"),
    }
}

/// (202 pending polls, 200 complete polls, 429s) on the async status path.
fn polls(emulator: &finra_emulator::RunningEmulator) -> (u64, u64, u64) {
    let mut counts = (0, 0, 0);
    for ((path, status), n) in emulator.counters().snapshot() {
        if path.starts_with("/async-requests/") {
            match status {
                202 => counts.0 += n,
                200 => counts.1 += n,
                429 => counts.2 += n,
                _ => {}
            }
        }
    }
    counts
}

#[tokio::test(start_paused = true)]
async fn an_async_request_polls_once_a_minute_and_fetches_the_result() {
    let clock = clock();
    let emulator = spawn(
        config(&clock)
            .with_async_timings(timings(Duration::from_secs(90), Duration::from_secs(60))),
    )
    .await;
    let client = public_client(&emulator, &clock);
    let query = Query::new("otcMarket", "regShoDaily");
    let started = tokio::time::Instant::now();
    let result = client
        .run_async(&query, Format::Json, &AsyncOptions::default())
        .await
        .expect("async result");
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(120),
        "polled at 60 s and 120 s"
    );
    assert_eq!(polls(&emulator), (1, 1, 0));
    let rows = result.rows().expect("json rows");
    let total = record_total(&client, &query).await;
    assert_eq!(rows.len() as u64, total);
}

#[tokio::test(start_paused = true)]
async fn polling_too_soon_honours_retry_after() {
    let clock = clock();
    let emulator = spawn(
        config(&clock).with_async_timings(timings(Duration::from_secs(5), Duration::from_secs(30))),
    )
    .await;
    let client = public_client(&emulator, &clock);
    let options = AsyncOptions {
        poll_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(600),
    };
    let query = Query::new("otcMarket", "thresholdList");
    let request = client
        .submit_async(&query, Format::Csv)
        .await
        .expect("submitted");
    assert!(request.request_id().is_some_and(|id| id.len() == 36));
    let link = client
        .wait_for_async(&request, &options)
        .await
        .expect("ready");
    assert!(!format!("{link:?}").contains("Signature="), "{link:?}");
    assert_eq!(polls(&emulator), (1, 1, 1), "one 429, then waited as told");
    let result = client
        .fetch_async_result(&link, Format::Csv)
        .await
        .expect("result");
    let text = String::from_utf8_lossy(&result.body);
    assert!(
        text.starts_with("\"tradeDate\"")
            || text.lines().next().is_some_and(|h| h.contains("tradeDate"))
    );
    assert_eq!(
        text.lines().count() as u64,
        record_total(&client, &query).await + 1
    );
}

#[tokio::test(start_paused = true)]
async fn a_result_that_is_never_ready_times_out() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_async_timings(timings(
        Duration::from_secs(86_400),
        Duration::from_secs(60),
    )))
    .await;
    let client = public_client(&emulator, &clock);
    let options = AsyncOptions {
        poll_interval: Duration::from_secs(60),
        timeout: Duration::from_secs(300),
    };
    let error = client
        .run_async(
            &Query::new("otcMarket", "thresholdList"),
            Format::Json,
            &options,
        )
        .await
        .expect_err("timeout");
    assert!(matches!(error, FinraError::Timeout { .. }), "{error:?}");
    assert!(polls(&emulator).0 >= 4);
}

#[tokio::test(start_paused = true)]
async fn status_polls_report_pending_then_complete() {
    let clock = clock();
    let emulator = spawn(
        config(&clock).with_async_timings(timings(Duration::from_secs(10), Duration::from_secs(1))),
    )
    .await;
    let client = builder(&emulator, &clock)
        .build()
        .expect("anonymous client");
    let query = Query::new("otcMarket", "weeklySummary")
        .compare("tierIdentifier", CompareOp::Equal, "T1")
        .limit(50);
    let request = client
        .submit_async(&query, Format::Json)
        .await
        .expect("submitted");
    assert_eq!(
        client.async_status(&request).await.expect("status"),
        AsyncStatus::Pending
    );
    tokio::time::advance(Duration::from_secs(10)).await;
    let AsyncStatus::Complete(link) = client.async_status(&request).await.expect("status") else {
        panic!("expected complete");
    };
    assert!(link.expires().is_some_and(|e| e.ends_with(" UTC")));
    let rows = client
        .fetch_async_result(&link, Format::Json)
        .await
        .expect("result")
        .rows()
        .expect("rows");
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(|r| r["tierIdentifier"] == "T1"));
}
