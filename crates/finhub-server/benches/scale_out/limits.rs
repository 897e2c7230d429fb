//! The data path's rate limits in Redis (two GCRA steps per call: session and customer) beside
//! the same limits in this process, on the small proxied call with upstream pacing off.

use std::path::Path;

use finhub_store::testing::{redis_test_prefix, redis_url};
use finra_emulator::Throttle;

use crate::fixture::{DATA_CALL, Instance, Seeded, Shape, emulator};
use crate::support::rounds::{median, verdict};
use crate::{ROUNDS, wrk};

pub(crate) fn run(runtime: &tokio::runtime::Runtime, dir: &Path) {
    println!("\n== Limits: in Redis beside in this process (proxied data call, pacing off)");
    let emulator = runtime.block_on(emulator(Throttle::Off));
    let hubs = runtime.block_on(async {
        let mut hubs = Vec::new();
        for (name, redis) in [
            ("in-process limits", None),
            ("Redis limits", Some(redis_url())),
        ] {
            let file = dir.join(format!("limits-{}.db", hubs.len()));
            let instance = Instance::start(&Shape {
                database_url: format!("sqlite:{}?mode=rwc", file.display()),
                redis,
                redis_prefix: redis_test_prefix("bench"),
                ..Shape::default()
            })
            .await;
            let seeded = Seeded::new(&instance, Some(&emulator), &instance.base()).await;
            hubs.push((name, instance, seeded));
        }
        hubs
    });
    let mut rates = [Vec::new(), Vec::new()];
    let mut p50s = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (idx, (name, instance, seeded)) in hubs.iter().enumerate() {
            let base = instance.base();
            let script = seeded.session_script();
            let many = wrk(
                dir,
                &base,
                &format!("{name}: 64 connections"),
                DATA_CALL,
                "64",
                &script,
            );
            rates[idx].push(many.rate);
            let one = wrk(
                dir,
                &base,
                &format!("{name}: 1 connection"),
                DATA_CALL,
                "1",
                &script,
            );
            p50s[idx].push(one.p50_ms);
        }
    }
    let [local_rate, redis_rate] = rates.map(median);
    let [local_p50, redis_p50] = p50s.map(median);
    let shared = hubs[1]
        .1
        .state
        .limiters
        .shared()
        .map_or(0, finhub_server::rate_limit::SharedStore::fallbacks);
    println!(
        "data calls/s at 64 connections: in-process {local_rate:.0}, Redis {redis_rate:.0}: ratio \
         {:.2} (target ≥ 0.80: {})",
        redis_rate / local_rate,
        verdict(redis_rate >= 0.8 * local_rate)
    );
    println!(
        "p50 at 1 connection: in-process {local_p50:.3} ms, Redis {redis_p50:.3} ms: Redis adds \
         {:.3} ms (target ≤ 0.3 ms: {}); decisions taken without Redis: {shared}",
        redis_p50 - local_p50,
        verdict(redis_p50 - local_p50 <= 0.3)
    );
}
