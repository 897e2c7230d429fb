//! Two instances flooding FINRA (the emulator, throttled like FINRA at 20 requests/s per
//! address; both instances send from 127.0.0.1) through one pacer in Redis, beside the same two
//! instances each pacing alone. FINRA's steady rate is counted at the emulator between the 3rd
//! and the 13th second (after the first burst), with its 429s over the whole run.

use std::path::Path;
use std::time::Duration;

use finhub_store::testing::{PostgresTestDatabase, redis_test_prefix, redis_url};
use finra_emulator::{RunningEmulator, Throttle};

use crate::fixture::{DATA_CALL, Instance, Seeded, Shape, emulator};
use crate::support::rounds::verdict;

const FINRA_PATH: &str = "/data/group/otcMarket/name/weeklySummary";
const WARM_UP: Duration = Duration::from_secs(3);
const MEASURED: Duration = Duration::from_secs(10);

pub(crate) fn run(runtime: &tokio::runtime::Runtime, dir: &Path) {
    println!(
        "\n== Shared pacer: two instances flooding FINRA (throttle 20/s per address), wrk -c8 on \
         each for {} s",
        (WARM_UP + MEASURED).as_secs() + 1
    );
    let emulator = runtime.block_on(emulator(Throttle::PerSecond(20)));
    let database = runtime.block_on(PostgresTestDatabase::create("benchpacer"));
    let mut seeded = None;
    let mut results = Vec::new();
    for (name, redis) in [
        ("one pacer in Redis", Some(redis_url())),
        ("a pacer each", None),
    ] {
        let shape = Shape {
            database_url: database.url().to_owned(),
            redis,
            redis_prefix: redis_test_prefix("benchpacer"),
            requests_per_second: finra_client::FINRA_REQUESTS_PER_SECOND,
            expected_instances: 2,
            ..Shape::default()
        };
        let (a, b) = runtime.block_on(async {
            let a = Instance::start(&shape).await;
            let b = Instance::start(&shape).await;
            if seeded.is_none() {
                seeded = Some(Seeded::new(&a, Some(&emulator), &a.base()).await);
            }
            (a, b)
        });
        let script = seeded.as_ref().expect("seeded").session_script();
        // FINRA's bucket is full again before each flood.
        std::thread::sleep(Duration::from_secs(2));
        results.push((name, flood(dir, &emulator, [&a, &b], &script)));
    }
    for (name, (rate, throttled)) in &results {
        println!("{name}: FINRA served {rate:.1} requests/s steady, refused {throttled} (429)");
    }
    let (rate, throttled) = results[0].1;
    println!(
        "shared pacer: {rate:.1}/s = {:.0} % of 20/s (target ≥ 90 %: {}), upstream 429s \
         {throttled} (target 0: {})",
        rate / 20.0 * 100.0,
        verdict(rate >= 18.0),
        verdict(throttled == 0)
    );
    drop(database);
}

/// Floods both instances at once; FINRA's steady rate of answers and its 429s.
fn flood(
    dir: &Path,
    emulator: &RunningEmulator,
    instances: [&Instance; 2],
    script: &str,
) -> (f64, u64) {
    let counters = emulator.counters();
    let throttled_before = counters.throttled();
    let seconds = ((WARM_UP + MEASURED).as_secs() + 1).to_string();
    let served = std::thread::scope(|scope| {
        for (n, instance) in instances.iter().enumerate() {
            let base = instance.base();
            let seconds = seconds.clone();
            scope.spawn(move || {
                crate::support::wrk::run_for(
                    dir,
                    &base,
                    &format!("instance {}", n + 1),
                    DATA_CALL,
                    "8",
                    Some(script),
                    &seconds,
                )
            });
        }
        std::thread::sleep(WARM_UP);
        let start = counters.responses(FINRA_PATH, 200);
        std::thread::sleep(MEASURED);
        counters.responses(FINRA_PATH, 200) - start
    });
    #[expect(clippy::cast_precision_loss, reason = "a few hundred requests")]
    let rate = served as f64 / MEASURED.as_secs_f64();
    (rate, counters.throttled() - throttled_before)
}
