//! What one proxied request costs the metrics: the request counter and latency histogram under
//! the FINRA route's template, the upstream answer's counter and histogram, and the pacer's
//! wait and queue depth — recorded through `Metrics` as the handlers do — against the same calls
//! on metrics switched off (`[metrics] enabled = false`), measured in the same run, alternating
//! rounds, medians. Target: ≤ 2 µs per request. Also: rendering a scrape. Run:
//! `cargo bench -p finhub-server --bench metrics`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::http::Method;
use finhub_server::metrics::Metrics;
use support::rounds::median;

#[path = "support/mod.rs"]
mod support;

const ROUTE: &str = "/v1/finra/data/group/{group}/name/{name}";
const REQUESTS: u32 = 1_000_000;
const ROUNDS: usize = 5;
const TARGET_NS: f64 = 2_000.0;

/// Records `REQUESTS` proxied requests; nanoseconds per request.
fn record(metrics: &Metrics) -> f64 {
    let started = Instant::now();
    for n in 0..REQUESTS {
        let took = Duration::from_micros(u64::from(n % 2_000));
        metrics.request(black_box(ROUTE), &Method::GET, black_box(200), took);
        metrics.upstream_call("finra", Some(black_box(200)), took);
        if metrics.enabled() {
            metrics.pacer_wait_seconds.observe(took.as_secs_f64());
            metrics.pacer_queue_depth.set(i64::from(n % 7));
        }
    }
    started.elapsed().as_nanos() as f64 / f64::from(REQUESTS)
}

fn main() {
    let on = Metrics::new();
    let off = Metrics::disabled();
    println!(
        "What one proxied request records, {REQUESTS} requests per round, {ROUNDS} alternating \
         rounds, one thread, on {} cores",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    let mut recorded = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..ROUNDS {
        baseline.push(record(&off));
        recorded.push(record(&on));
    }
    let (recorded, baseline) = (median(recorded), median(baseline));
    let cost = recorded - baseline;
    println!(
        "metrics on {recorded:.0} ns/request, off {baseline:.0} ns/request: the metrics add \
         {cost:.0} ns (target ≤ {TARGET_NS:.0} ns: {})",
        if cost <= TARGET_NS { "met" } else { "MISSED" }
    );
    let started = Instant::now();
    let text = on.render();
    println!(
        "a scrape of these families renders {} bytes in {:.0} µs",
        text.len(),
        started.elapsed().as_secs_f64() * 1e6
    );
}
