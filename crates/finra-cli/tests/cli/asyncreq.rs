//! `finra async`: submit, poll, fetch; the same rows as the synchronous query, within the
//! timeout. The emulator's result is ready after a second, and the binary polls every second.

use std::time::Duration;

use finra_client::Row;
use finra_emulator::AsyncTimings;

use crate::support::{Finra, canonical, config, newest_partition, spawn};

fn quick() -> AsyncTimings {
    AsyncTimings {
        ready_after: Duration::from_secs(1),
        min_poll_interval: Duration::from_secs(1),
        ..AsyncTimings::default()
    }
}

#[tokio::test]
async fn async_returns_the_same_rows_as_the_sync_query() {
    let emulator = spawn(config().with_async_timings(quick())).await;
    let (week, tier) = newest_partition(&emulator).await;
    let week_filter = format!("weekStartDate = {week}");
    let tier_filter = format!("tierIdentifier = {tier}");
    let filters = ["--filter", &week_filter, "--filter", &tier_filter];

    let sync = Finra::at(&emulator)
        .credentials()
        .run(
            &[
                &[
                    "query",
                    "otcMarket/weeklySummary",
                    "--all",
                    "--format",
                    "json",
                ][..],
                &filters,
            ]
            .concat(),
        )
        .await;
    sync.expect_code(0);
    let sync_rows: Vec<Row> = serde_json::from_str(&sync.stdout).expect("JSON array");
    assert!(!sync_rows.is_empty());

    let started = std::time::Instant::now();
    let out = Finra::at(&emulator)
        .credentials()
        .run(
            &[
                &[
                    "async",
                    "otcMarket/weeklySummary",
                    "--format",
                    "json",
                    "--poll-interval",
                    "1",
                    "--timeout",
                    "30",
                ][..],
                &filters,
            ]
            .concat(),
        )
        .await;
    out.expect_code(0);
    assert!(started.elapsed() < Duration::from_secs(20));
    let async_rows: Vec<Row> = serde_json::from_str(&out.stdout).expect("JSON array");
    assert_eq!(canonical(&async_rows), canonical(&sync_rows));
    assert!(out.stderr.contains("submitted"), "{}", out.stderr);

    // CSV to a file: a header and the same number of rows.
    let out = Finra::at(&emulator)
        .credentials()
        .run(
            &[
                &[
                    "async",
                    "otcMarket/weeklySummary",
                    "--poll-interval",
                    "1",
                    "--out",
                    "result.csv",
                ][..],
                &filters,
            ]
            .concat(),
        )
        .await;
    out.expect_code(0);
    assert_eq!(out.dir.files(), ["result.csv"]);
    let csv = std::fs::read_to_string(out.dir.path().join("result.csv")).expect("written");
    assert_eq!(csv.lines().count(), sync_rows.len() + 1);
}

#[tokio::test]
async fn async_gives_up_after_its_timeout() {
    let emulator = spawn(config().with_async_timings(AsyncTimings {
        ready_after: Duration::from_secs(60),
        ..quick()
    }))
    .await;
    let started = std::time::Instant::now();
    let out = Finra::at(&emulator)
        .credentials()
        .run(&[
            "async",
            "otcMarket/weeklySummary",
            "--limit",
            "10",
            "--poll-interval",
            "1",
            "--timeout",
            "2",
        ])
        .await;
    out.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}
