//! Scale-out benchmark, every figure against a baseline measured in the same run with the same
//! load generator (`wrk`, one thread), rounds alternating between the systems compared, medians
//! of three:
//! - **Store:** `client_credentials` logins/s on PostgreSQL vs SQLite (targets: ≥ 0.5× and
//!   ≥ 1 500/s) and `GET /v1/auth/session` (target ≥ 0.9×: the session cache keeps the store off
//!   the hot path).
//! - **Limits:** a small proxied data call with the rate limits in Redis vs in this process:
//!   requests/s at 64 connections (target ≥ 0.8×) and p50 at one connection (target: Redis adds
//!   ≤ 0.3 ms).
//! - **Shared pacer:** two instances flooding FINRA (the emulator's throttle on: 20 requests/s
//!   per address) through one pacer in Redis (target: together ≥ 90 % of 20/s, zero upstream
//!   429s), beside the same two instances each pacing alone.
//! - **Behind nginx:** session checks and logins through nginx (`stream`, PROXY headers,
//!   2 workers) to one and to two instances, beside one instance reached directly.
//!
//! `bench/scale-out.sh [store] [limits] [pacer] [balancer]` runs only the parts named.
//!
//! The instances run in this process (tokio, 2 workers), the emulator too; PostgreSQL, Redis,
//! nginx and wrk are processes of their own, all on the machine's cores. PostgreSQL is the
//! server `POSTGRES_TEST_URL` names (databases of the benchmark's own, dropped afterwards),
//! Redis the one `REDIS_TEST_URL` names (keys under a prefix of the benchmark's own);
//! `bench/scale-out.sh` provides both, and wrk and nginx.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

#[path = "../support/mod.rs"]
mod support;

/// The allocator the `finhub` binary runs with, so the hub measured here is the one served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod balancer;
mod fixture;
mod limits;
mod pacer;
mod store;

use std::path::PathBuf;

const ROUNDS: usize = 3;
const SECONDS: &str = "4";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir: PathBuf =
        std::env::temp_dir().join(format!("finhub-scale-out-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "FinHub scale-out benchmark on {} cores shared by the hub instances (one process, 2 tokio \
         workers), PostgreSQL, Redis, nginx and wrk (-t1); {ROUNDS} alternating rounds of \
         {SECONDS} s, medians; limits raised so they are checked but never refuse",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    // `cargo bench --bench scale_out -- limits pacer` runs only the parts named.
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let parts: [(&str, Part); 4] = [
        ("store", store::run),
        ("limits", limits::run),
        ("pacer", pacer::run),
        ("balancer", balancer::run),
    ];
    for (name, run) in parts {
        if chosen.is_empty() || chosen.iter().any(|c| c == name) {
            run(&runtime, &dir);
        }
    }
    drop(runtime);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One part of the benchmark.
type Part = fn(&tokio::runtime::Runtime, &std::path::Path);

/// One wrk run (see `support::wrk::run_for`) of this benchmark's length.
fn wrk(
    dir: &std::path::Path,
    base: &str,
    label: &str,
    path: &str,
    connections: &str,
    script: &str,
) -> support::wrk::Measured {
    support::wrk::run_for(dir, base, label, path, connections, Some(script), SECONDS)
}
