//! Tests on tokio's paused clock with real sockets and SQLite: a guard that keeps the clock
//! from auto-advancing while real I/O is awaited, and bounded real-time waits that never move
//! it.
//!
//! sqlx talks to SQLite on its own worker thread and sockets progress outside the runtime;
//! while the runtime waits for them, tokio's paused clock would auto-advance to the next timer
//! and fire it. One idle `spawn_blocking` task, which tokio counts as blocking work in progress,
//! stops that: time then moves only by `tokio::time::advance`.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::time::Duration;

pub(crate) use finhub_clock::testing::FreezeGuard;

/// A short real-time pause on a blocking thread: sockets and sqlx progress, tokio's paused clock
/// does not move.
pub(crate) async fn real_pause() {
    tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(1)))
        .await
        .expect("pause");
}

/// Waits (real time, bounded) until `done` holds, without moving tokio's clock.
pub(crate) async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        real_pause().await;
    }
}

/// Waits (real time, bounded) until `done` — an asynchronous check, such as a request — holds,
/// without moving tokio's clock.
pub(crate) async fn until_async(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        real_pause().await;
    }
}

/// Lets every task that can make progress without tokio's clock moving do so (a few
/// milliseconds of real time in which nothing is left to do).
pub(crate) async fn settle() {
    for _ in 0..10 {
        real_pause().await;
    }
}
