//! Proxy benchmark, every figure against a baseline measured in the same run:
//! - a small proxied data call, `GET /v1/finra/data/group/otcMarket/name/weeklySummary?limit=1`
//!   (JSON, with a session token), through the hub vs the same call straight to the emulator
//!   (with an upstream token), same load generator (`wrk`): with 1 connection the p50 latency
//!   of both and the difference (target: the hub adds ≤ 0.3 ms), with 64 connections the
//!   requests/s of both and the ratio (target ≥ 0.5×);
//! - the same call through nginx (`proxy_pass`, upstream keep-alive, 2 workers) beside the hub:
//!   requests/s at 64 connections (target ≥ 0.9× nginx's) and p50 at one (target within
//!   0.02 ms of nginx's), and each proxy's CPU time per request at 64 connections and at one (a
//!   figure the machine's other load moves less than the rates), with the emulator's behind it
//!   (the same calls cost the emulator more CPU when the proxy in front of it shares its cores
//!   and caches with it and runs more code per request);
//! - every comparison of two systems under wrk runs in rounds: a run of each, one right after
//!   the other, the order alternating from round to round. Its verdict is the median of the
//!   rounds' ratios (or differences), each round's pair measured within the same spell of the
//!   shared machine's speed; the medians of each side are printed too;
//! - the instructions each of the two proxies runs per request, one request at a time, counted by
//!   callgrind (valgrind) in a second hub and an nginx started under it: a figure that repeats
//!   from run to run, and the functions that run the most;
//! - the same call through the hub with metrics on and off (a second hub process with
//!   `[metrics] enabled = false`), alternating rounds: the difference must stay within the
//!   rounds' own spread;
//! - a download of every row of `otcMarket/weeklySummary` at `Scale::Full` (over 1 000 000
//!   rows) through the hub by finra-client (`stream_raw_rows`, 5 000-row pages, 4 in flight),
//!   while the hub's resident memory is sampled; also a tenth of it. Then twelve rounds of the
//!   full download through the hub, through nginx (set up for streamed bodies: buffering off,
//!   256 KiB buffers, 2 workers) and straight from the emulator, back to back in an order that
//!   turns from round to round (each system first, second and last as often), each proxy's
//!   speed taken against the straight download of its own round, with each proxy's CPU time.
//!   The rounds run twice: with the client's default, pages gzip-compressed as FINRA sends them
//!   to a client that asks (judged), and with compression off (every byte of JSON through each
//!   proxy; reported). Targets: flat memory (the hub's peak RSS grows by a small constant, not
//!   with the rows), and through the hub at least 95 % as fast as straight (median of the
//!   rounds' ratios);
//! - the `finra` CLI downloading every row of one tier through the hub (`finra --hub`, on the
//!   session `finra hub login` keeps) vs straight to the emulator, both `--rate off`, alternating
//!   rounds (target: ≥ 80 % of the direct rows/s).
//!
//! The hub runs as a subprocess (`finhub serve --config …`, 2 serving threads,
//! `RUST_LOG=warn` so the per-request access log is off), so its RSS is its own, read from
//! `/proc/<pid>/status`. The emulators (one at `Scale::Small` for the small call, one at
//! `Scale::Full` for the download), the download client and the sampler run in this process;
//! `wrk` (Debian package) is a third process. All of them share the machine's cores.
//! The emulators' throttle is off and the hub's config raises its limits, so the hub, not
//! FINRA's cap, is measured: data calls per session and per customer 10^8/s, logins 10^8/min,
//! upstream pacing off (`requests_per_second = 0`). The machine (CPU model, cores, caches,
//! features, memory) is printed first. Run: `bench/proxy.sh` or
//! `cargo bench -p finhub-server --bench proxy`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

#[path = "support/mod.rs"]
mod support;

/// The allocator the `finhub` binary runs with, so the hub measured here is the one served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use finhub_clock::SystemClock;

use finhub_server::AppState;
use finhub_server::config::Config;
use finhub_server::demo::{Buffering, NginxStream};
use finra_client::{Auth, Credentials, FinraClient, Pacer, PagingConfig, Query, RetryPolicy};
use finra_emulator::{Credential, EmulatorConfig, RunningEmulator, Scale, Throttle, Tier};
use futures_util::TryStreamExt;
use secrecy::SecretString;
use serde_json::{Value, json};

use support::cpu::CpuTime;
use support::rounds::{Spread, alternating, median, order, verdict};
use support::wrk::Measured;

const SMALL_TENANT: &str = "1111111";
const FULL_TENANT: &str = "2222222";
const UPSTREAM_ID: &str = "bench-hub";
const UPSTREAM_SECRET: &str = "bench-hub-upstream-secret";
const DIRECT_ID: &str = "bench-direct";
const DIRECT_SECRET: &str = "bench-direct-secret";
const SMALL_CALL: &str = "/data/group/otcMarket/name/weeklySummary?limit=1";
/// Seconds of each wrk run, and rounds of each comparison (see `alternating`).
const WRK_SECONDS: u32 = 5;
const WRK_ROUNDS: usize = 5;
/// Rounds of the comparison with nginx, whose targets are the tightest.
const NGINX_ROUNDS: usize = 7;

const TARGET_P50_ADDED_MS: f64 = 0.3;
const TARGET_RATE_RATIO: f64 = 0.5;
/// "Flat": the hub's peak RSS during the 1 000 000-row download may exceed its RSS before by at
/// most this much (the download moves about 600 MB of JSON through the hub).
const TARGET_PEAK_GROWTH_MIB: f64 = 64.0;
/// Rounds of the full download through each proxy and straight, back to back: twice each order
/// `support::rounds::order` gives three systems.
const DOWNLOAD_ROUNDS: usize = 12;
/// The download through the hub at least this fast as straight from the emulator.
const TARGET_DOWNLOAD_SPEED: f64 = 0.95;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!(
        "FinHub proxy benchmark on {cores} cores (shared with other work on this machine: numbers \
         are noisy). The hub is a subprocess (`finhub serve`, 2 serving threads, RUST_LOG=warn); the \
         emulators, the download client and the memory sampler share this process; wrk (1 thread) \
         runs on the same {cores} cores. Emulator throttle off; hub limits raised in its config \
         (data calls 10^8/s per session and per customer, logins 10^8/min) and upstream pacing \
         off (requests_per_second = 0)."
    );
    println!("machine: {}", support::machine::Machine::read().describe());

    let started = Instant::now();
    let small = runtime
        .block_on(finra_emulator::spawn(emulator_config(Scale::Small)))
        .expect("small emulator");
    let full = runtime
        .block_on(finra_emulator::spawn(emulator_config(Scale::Full)))
        .expect("full emulator");
    let full_rows = full
        .emulator()
        .catalogue()
        .find("otcMarket", "weeklySummary")
        .expect("dataset")
        .table
        .len();
    println!(
        "emulators ready in {:.1} s (Scale::Small for the small call; Scale::Full, weeklySummary \
         {full_rows} rows, for the download)",
        started.elapsed().as_secs_f64()
    );

    let dir = std::env::temp_dir().join(format!("finhub-proxy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Plain HTTP on loopback: with a `[tls]` section where the hub's config has one (the mTLS
    // work requires `tls.plain_http = true` to serve HTTP), without it where it does not.
    let mut config_path = write_config(&dir, true);
    if Config::load(Some(&config_path)).is_err() {
        config_path = write_config(&dir, false);
    }
    let customers = runtime.block_on(seed(&config_path, &small, &full));
    let hub = Hub::start(&config_path);
    println!("hub pid {} on {}", hub.child.id(), hub.base);

    let http = reqwest::Client::new();
    let small_session = runtime.block_on(login(&http, &hub.base, SMALL_TENANT, &customers.0));
    let full_session = runtime.block_on(login(&http, &hub.base, FULL_TENANT, &customers.1));
    let direct_token = runtime.block_on(mint(&http, &small.token_url()));
    // One call each way first: connections and the upstream token in place.
    let hub_url = format!("{}/v1/finra{SMALL_CALL}", hub.base);
    let direct_url = format!("{}{SMALL_CALL}", small.base_url());
    runtime.block_on(async {
        for (url, token) in [(&hub_url, &small_session), (&direct_url, &direct_token)] {
            let response = http
                .get(url.as_str())
                .header("accept", "application/json")
                .bearer_auth(token)
                .send()
                .await
                .expect("warm-up call");
            assert_eq!(response.status(), 200, "warm-up call to {url}");
        }
    });

    let hub_script = script(&dir, "hub", &small_session);
    let direct_script = script(&dir, "direct", &direct_token);
    let selected = |name: &str| std::env::args().skip(1).any(|arg| arg == name);
    // `bench/proxy.sh download` measures only the download (section 2).
    if selected("download") {
        download_section(&runtime, &dir, &hub, &full, &full_session, full_rows);
        drop(hub);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    // `bench/proxy.sh nginx` measures only the hub beside nginx (sections 1c and 1d),
    // `bench/proxy.sh instructions` only section 1d.
    if selected("nginx") || selected("instructions") {
        if selected("nginx") {
            beside_nginx(&dir, &small, &hub, &hub_url, &hub_script, &direct_script);
        }
        instructions_beside_nginx(&dir, &small, &config_path, &small_session, &direct_token);
        drop(hub);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    println!(
        "\n1. GET {SMALL_CALL} (Accept: application/json), {WRK_ROUNDS} rounds of a wrk run of \
         {WRK_SECONDS} s each way, back to back in alternating order; verdicts on the median of \
         the rounds' differences and ratios"
    );
    let one_connection = alternating(
        WRK_ROUNDS,
        || {
            wrk(
                "direct to the emulator, 1 connection",
                &direct_url,
                1,
                &direct_script,
            )
            .p50_ms
        },
        || {
            wrk(
                "through the hub,        1 connection",
                &hub_url,
                1,
                &hub_script,
            )
            .p50_ms
        },
    );
    report_p50_added("direct", &one_connection, TARGET_P50_ADDED_MS);
    let many_connections = alternating(
        WRK_ROUNDS,
        || {
            wrk(
                "direct to the emulator, 64 connections",
                &direct_url,
                64,
                &direct_script,
            )
            .rate
        },
        || {
            wrk(
                "through the hub,        64 connections",
                &hub_url,
                64,
                &hub_script,
            )
            .rate
        },
    );
    report_rate_ratio("", "direct", &many_connections, TARGET_RATE_RATIO);
    if cores >= 2 {
        pinned_comparison(&hub, &hub_url, &hub_script, &direct_url, &direct_script);
    }
    beside_nginx(&dir, &small, &hub, &hub_url, &hub_script, &direct_script);
    instructions_beside_nginx(&dir, &small, &config_path, &small_session, &direct_token);
    metrics_on_and_off(&dir, &config_path, &hub_url, &hub_script);
    println!(
        "  for reference, the hub's own routes (where its time goes): the no-op route, and the \
         session check every proxied call makes"
    );
    let noop_url = format!("{}/v1/noop", hub.base);
    let session_url = format!("{}/v1/auth/session", hub.base);
    for connections in [1, 64] {
        wrk(
            &format!("hub GET /v1/noop,         {connections:>2} connection(s)"),
            &noop_url,
            connections,
            &hub_script,
        );
        wrk(
            &format!("hub GET /v1/auth/session, {connections:>2} connection(s)"),
            &session_url,
            connections,
            &hub_script,
        );
    }

    download_section(&runtime, &dir, &hub, &full, &full_session, full_rows);

    cli_through_hub(&dir, &hub, &full, &customers.1);

    drop(hub);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Section 2: every row of the full dataset through the hub (its memory sampled, also for a
/// tenth of the rows) and straight from the emulator, each checked for every row; then the
/// download's speed ([`download_speed`]).
fn download_section(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    hub: &Hub,
    full: &RunningEmulator,
    full_session: &str,
    full_rows: usize,
) {
    println!(
        "\n2. Download of otcMarket/weeklySummary (Scale::Full) by finra-client stream_raw_rows, \
         5 000-row pages, 4 in flight, gzip-compressed (the client's default); hub RSS sampled \
         every 10 ms"
    );
    let via_hub = hub_client(hub, full_session, Encoding::Gzip);
    let direct = emulator_client(&full.base_url(), full, Encoding::Gzip);
    let newest_weeks = runtime.block_on(newest_weeks(&direct, 5));
    let tenth = Query::new("otcMarket", "weeklySummary").domain("weekStartDate", newest_weeks);
    let everything = Query::new("otcMarket", "weeklySummary");

    let small_run = download(runtime, &via_hub, tenth, Some(hub), &[]);
    println!(
        "  through the hub, newest 5 weeks: {} rows, {:.1} MB in {:.1} s ({:.0} rows/s); hub RSS \
         before {:.1} MiB, peak during {:.1} MiB (+{:.1}), after {:.1} MiB",
        small_run.rows,
        small_run.bytes as f64 / 1e6,
        small_run.seconds,
        small_run.rows as f64 / small_run.seconds,
        mib(small_run.rss_before),
        mib(small_run.rss_peak),
        mib(small_run.rss_peak.saturating_sub(small_run.rss_before)),
        mib(small_run.rss_after),
    );
    let hwm_before = hub.status_kib("VmHWM");
    let full_run = download(runtime, &via_hub, everything.clone(), Some(hub), &[]);
    let hwm_after = hub.status_kib("VmHWM");
    let growth = mib(full_run.rss_peak.saturating_sub(full_run.rss_before));
    println!(
        "  through the hub, all rows:      {} rows, {:.1} MB in {:.1} s ({:.0} rows/s); hub RSS \
         before {:.1} MiB, peak during {:.1} MiB (+{growth:.1}), after {:.1} MiB; VmHWM {:.1} → {:.1} MiB",
        full_run.rows,
        full_run.bytes as f64 / 1e6,
        full_run.seconds,
        full_run.rows as f64 / full_run.seconds,
        mib(full_run.rss_before),
        mib(full_run.rss_peak),
        mib(full_run.rss_after),
        mib(hwm_before),
        mib(hwm_after),
    );
    let direct_run = download(runtime, &direct, everything.clone(), None, &[]);
    println!(
        "  straight from the emulator:     {} rows, {:.1} MB in {:.1} s ({:.0} rows/s)",
        direct_run.rows,
        direct_run.bytes as f64 / 1e6,
        direct_run.seconds,
        direct_run.rows as f64 / direct_run.seconds,
    );
    println!(
        "  every row once: {} (hub {}, direct {}, dataset {full_rows})",
        verdict(full_run.rows == full_rows as u64 && direct_run.rows == full_rows as u64),
        full_run.rows,
        direct_run.rows,
    );
    println!(
        "  flat memory: peak growth {growth:.1} MiB for {} rows vs {:.1} MiB for {} rows (target ≤ \
         {TARGET_PEAK_GROWTH_MIB} MiB: {})",
        full_run.rows,
        mib(small_run.rss_peak.saturating_sub(small_run.rss_before)),
        small_run.rows,
        verdict(growth <= TARGET_PEAK_GROWTH_MIB)
    );
    for encoding in [Encoding::Gzip, Encoding::Identity] {
        download_speed(runtime, dir, hub, full, full_rows, full_session, encoding);
    }
}

/// A client of the hub's FINRA paths on `session`, asking for pages `encoding`.
fn hub_client(hub: &Hub, session: &str, encoding: Encoding) -> FinraClient {
    client(
        &format!("{}/v1/finra", hub.base),
        None,
        Auth::BearerToken(SecretString::from(session.to_owned())),
        encoding,
    )
}

/// A client of `api_base` (the full emulator, or nginx in front of it) with the bench's own
/// credential at the emulator's token service, asking for pages `encoding`.
fn emulator_client(api_base: &str, full: &RunningEmulator, encoding: Encoding) -> FinraClient {
    client(
        api_base,
        Some(&full.token_url()),
        Auth::ClientCredentials(Credentials::new(DIRECT_ID, DIRECT_SECRET)),
        encoding,
    )
}

/// How the download's pages travel: as the client asks for them by default, or with
/// compression off.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Gzip,
    Identity,
}

impl Encoding {
    fn describe(self) -> &'static str {
        match self {
            Self::Gzip => "gzip-compressed (the client's default; judged)",
            Self::Identity => "uncompressed (the client with compression off; reported)",
        }
    }
}

/// The download's speed with pages `encoding`: rounds of the same full download through the
/// hub, through nginx (set up for streamed bodies) and straight, back to back in the order
/// [`order`] gives each round (no system always runs first, or always right after another),
/// each proxy's speed taken against the straight download of its own round (which cancels the
/// machine's slower and faster spells) and the median of those ratios reported, with each
/// proxy's CPU time per download.
fn download_speed(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    hub: &Hub,
    full: &RunningEmulator,
    full_rows: usize,
    full_session: &str,
    encoding: Encoding,
) {
    let everything = &Query::new("otcMarket", "weeklySummary");
    let (via_hub, direct) = (
        &hub_client(hub, full_session, encoding),
        &emulator_client(&full.base_url(), full, encoding),
    );
    let nginx = nginx_in_front_of(full, Buffering::Streaming, &dir.join("nginx-download"));
    let via_nginx = nginx.as_ref().map(|(running, listen)| {
        let client = emulator_client(&format!("http://{listen}"), full, encoding);
        (running, client)
    });
    let hub_pid = [hub.child.id()];
    // The systems of each round, run in the order `order` gives the round.
    let mut systems = vec![Route::Hub, Route::Straight];
    if let Some((running, via_nginx)) = &via_nginx {
        systems.insert(1, Route::Nginx(running, via_nginx));
    }
    let (mut through_hub, mut through_nginx, mut straight) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..DOWNLOAD_ROUNDS {
        for place in order(systems.len(), round) {
            match systems[place] {
                Route::Hub => through_hub.push(download(
                    runtime,
                    via_hub,
                    everything.clone(),
                    None,
                    &hub_pid,
                )),
                Route::Nginx(running, via_nginx) => {
                    // Looked up each round: nginx forks its workers after it starts accepting.
                    let nginx_pids = running.process_ids();
                    through_nginx.push(download(
                        runtime,
                        via_nginx,
                        everything.clone(),
                        None,
                        &nginx_pids,
                    ));
                }
                Route::Straight => {
                    straight.push(download(runtime, direct, everything.clone(), None, &[]));
                }
            }
        }
    }
    let seconds = |runs: &[Download]| {
        runs.iter()
            .map(|run| format!("{:.2}", run.seconds))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Each proxy's speed as a fraction of the straight download of the same round.
    let speeds = |runs: &[Download]| -> Vec<f64> {
        runs.iter()
            .zip(&straight)
            .map(|(run, direct)| direct.seconds / run.seconds)
            .collect()
    };
    let percents = |speeds: &[f64]| {
        speeds
            .iter()
            .map(|speed| format!("{:.0}", 100.0 * speed))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cpu = |runs: &[Download]| median(runs.iter().map(|run| run.cpu_seconds));
    println!(
        "  {DOWNLOAD_ROUNDS} rounds of the full download, pages {}, each through the hub, through \
         nginx (proxy_buffering off, 256 KiB buffers, 2 workers) and straight, back to back in an \
         order that turns from round to round (each system in each place as often); seconds:",
        encoding.describe()
    );
    println!("    through the hub: {}", seconds(&through_hub));
    if nginx.is_some() {
        println!("    through nginx:   {}", seconds(&through_nginx));
    }
    println!("    straight:        {}", seconds(&straight));
    let every_row = through_hub
        .iter()
        .chain(&through_nginx)
        .chain(&straight)
        .all(|run| run.rows == full_rows as u64);
    println!("  every row in every round: {}", verdict(every_row));
    let hub_speeds = speeds(&through_hub);
    let hub_speed = median(hub_speeds.iter().copied());
    println!(
        "  hub / straight speed per round {} %: median {:.1} % (target ≥ {:.0} %: {}); the hub's \
         CPU per download {:.2} s",
        percents(&hub_speeds),
        100.0 * hub_speed,
        100.0 * TARGET_DOWNLOAD_SPEED,
        match encoding {
            Encoding::Gzip => verdict(hub_speed >= TARGET_DOWNLOAD_SPEED),
            Encoding::Identity if hub_speed >= TARGET_DOWNLOAD_SPEED => "reached, reported",
            Encoding::Identity => "not reached, reported",
        },
        cpu(&through_hub),
    );
    if nginx.is_some() {
        let nginx_speeds = speeds(&through_nginx);
        let hub_vs_nginx: Vec<f64> = through_hub
            .iter()
            .zip(&through_nginx)
            .map(|(hub, nginx)| nginx.seconds / hub.seconds)
            .collect();
        println!(
            "  nginx / straight speed per round {} %: median {:.1} %; nginx's CPU per download \
             {:.2} s; hub / nginx speed: median {:.0} %",
            percents(&nginx_speeds),
            100.0 * median(nginx_speeds.iter().copied()),
            cpu(&through_nginx),
            100.0 * median(hub_vs_nginx),
        );
    } else {
        println!("  beside nginx: skipped, nginx is not installed (bench/proxy.sh installs it)");
    }
}

/// The `finra` binary beside this benchmark's (`cargo build --release -p finra-cli`; the bench
/// script builds it), if it is there.
fn finra_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let binary = exe.parent()?.parent()?.join("finra");
    binary.is_file().then_some(binary)
}

/// Rows a `finra … --format ndjson` run printed and its rows/s, reported under `label`.
fn finra_rows(label: &str, mut command: Command) -> (u64, f64) {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start finra");
    let stdout = child.stdout.take().expect("finra's stdout");
    let mut rows = 0_u64;
    let mut reader = BufReader::with_capacity(1 << 20, stdout);
    let mut line = Vec::new();
    while reader
        .read_until(b'\n', &mut line)
        .expect("read finra's rows")
        > 0
    {
        rows += 1;
        line.clear();
    }
    assert!(child.wait().expect("finra ends").success(), "finra failed");
    let seconds = started.elapsed().as_secs_f64();
    let rate = rows as f64 / seconds;
    println!("  {label:<26}{rows} rows in {seconds:.2} s ({rate:.0} rows/s)");
    (rows, rate)
}

/// Section 3: the `finra` CLI downloading every row of one tier through the hub (`--hub`, on the
/// session `finra hub login` keeps) vs straight to the emulator, both with `--rate off`,
/// alternating rounds: the rows/s of each and the ratio (target ≥ 80 %).
fn cli_through_hub(dir: &Path, hub: &Hub, full: &RunningEmulator, customer: &(String, String)) {
    const ROUNDS: usize = 3;
    const TARGET: f64 = 0.8;
    let Some(finra) = finra_binary() else {
        println!(
            "\n3. The finra CLI through the hub: skipped, no `finra` beside this benchmark (`cargo \
             build --release -p finra-cli` first; bench/proxy.sh does)"
        );
        return;
    };
    let config_home = dir.join("finra-config");
    let command = || {
        let mut command = Command::new(&finra);
        command
            .env_clear()
            .env("XDG_CONFIG_HOME", &config_home)
            .current_dir(dir);
        command
    };
    let mut login = command();
    login
        .args(["--hub", &hub.base, "hub", "login", "--tenant", FULL_TENANT])
        .args(["--customer-id", &customer.0])
        .env("FINRA_HUB_CUSTOMER_SECRET", &customer.1);
    assert!(
        login.status().expect("finra hub login").success(),
        "finra hub login"
    );
    let query = [
        "--rate",
        "off",
        "--quiet",
        "query",
        "otcMarket/weeklySummary",
        "--filter",
        "tierIdentifier = T1",
        "--all",
        "--format",
        "ndjson",
    ];
    println!(
        "\n3. The finra CLI: every row of otcMarket/weeklySummary tier T1 (Scale::Full), `--rate off \
         --all --format ndjson`, through the hub (`--hub`) vs straight to the emulator, {ROUNDS} \
         alternating rounds, medians"
    );
    let (mut direct, mut through) = (Vec::new(), Vec::new());
    let mut counts = (0, 0);
    for _ in 0..ROUNDS {
        let mut straight = command();
        straight
            .args([
                "--api-base",
                &full.base_url(),
                "--token-url",
                &full.token_url(),
            ])
            .args(query)
            .env("FINRA_API_KEY", DIRECT_ID)
            .env("FINRA_API_SECRET", DIRECT_SECRET);
        let (rows, rate) = finra_rows("straight to the emulator:", straight);
        direct.push(rate);
        counts.0 = rows;
        let mut via_hub = command();
        via_hub.args(["--hub", &hub.base]).args(query);
        let (rows, rate) = finra_rows("through the hub:", via_hub);
        through.push(rate);
        counts.1 = rows;
    }
    let (direct, through) = (median(direct), median(through));
    let ratio = through / direct;
    println!(
        "  rows/s direct {direct:.0}, through the hub {through:.0}: hub / direct = {:.0} % (target ≥ \
         {:.0} %: {}); the same rows both ways: {}",
        ratio * 100.0,
        TARGET * 100.0,
        verdict(ratio >= TARGET),
        verdict(counts.0 == counts.1 && counts.0 > 0)
    );
}

/// The 64-connection comparison again with the upstream on a CPU of its own, as FINRA runs on
/// machines of its own: this process (the emulators) on CPU 1; the hub and wrk on CPU 0. Above,
/// the emulator's CPU time comes out of the hub's share, which no deployment has.
fn pinned_comparison(
    hub: &Hub,
    hub_url: &str,
    hub_script: &Path,
    direct_url: &str,
    direct_script: &Path,
) {
    let own = std::process::id();
    if !(pin(own, "1") && pin(hub.child.id(), "0")) {
        println!("  (taskset unavailable: the pinned comparison is skipped)");
        return;
    }
    println!(
        "  pinned: the emulator alone on CPU 1 (a remote upstream); wrk, and the hub when used, \
         on CPU 0"
    );
    let pairs = alternating(
        WRK_ROUNDS,
        || {
            wrk_on(
                Some("0"),
                "direct to the emulator, 64 connections",
                direct_url,
                64,
                direct_script,
            )
            .rate
        },
        || {
            wrk_on(
                Some("0"),
                "through the hub,        64 connections",
                hub_url,
                64,
                hub_script,
            )
            .rate
        },
    );
    pin(own, "0-1");
    pin(hub.child.id(), "0-1");
    report_rate_ratio("pinned ", "direct", &pairs, TARGET_RATE_RATIO);
}

/// nginx (2 workers, as many as the hub's serving threads) as an HTTP reverse proxy in front of
/// `emulator`, its files under `dir`, and where it listens; `None` when nginx is not installed.
fn nginx_in_front_of(
    emulator: &RunningEmulator,
    buffering: Buffering,
    dir: &Path,
) -> Option<(NginxStream, std::net::SocketAddr)> {
    nginx_started_by(emulator, buffering, dir, |nginx| Command::new(nginx))
}

/// [`nginx_in_front_of`], nginx started by `program` (given nginx's binary).
fn nginx_started_by(
    emulator: &RunningEmulator,
    buffering: Buffering,
    dir: &Path,
    program: impl FnOnce(&Path) -> Command,
) -> Option<(NginxStream, std::net::SocketAddr)> {
    let nginx = program(&NginxStream::installed()?);
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let upstream: std::net::SocketAddr = emulator
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("the emulator's address");
    let running = NginxStream::start_http_proxy(nginx, listen, upstream, 2, buffering, dir)
        .expect("nginx starts");
    Some((running, listen))
}

/// Section 1c: the same call through nginx (`proxy_pass`, upstream keep-alive, 2 workers, as
/// many as the hub's serving threads) beside the hub, in alternating rounds: requests/s
/// at 64 connections (target: the median of the rounds' ratios ≥ 0.9×), p50 at one connection
/// (target: the median of the rounds' differences ≤ 0.02 ms) and each proxy's CPU time per
/// request at 64 connections and at one, user and system apart, with the emulator's behind
/// each (reported).
fn beside_nginx(
    dir: &Path,
    small: &RunningEmulator,
    hub: &Hub,
    hub_url: &str,
    hub_script: &Path,
    direct_script: &Path,
) {
    const TARGET_RATIO: f64 = 0.9;
    const TARGET_P50_MS: f64 = 0.02;
    let Some((nginx, listen)) = nginx_in_front_of(small, Buffering::Default, &dir.join("nginx"))
    else {
        println!(
            "\n1c. beside nginx: skipped, nginx is not installed (bench/proxy.sh installs it)"
        );
        return;
    };
    let nginx_url = format!("http://{listen}{SMALL_CALL}");
    println!(
        "\n1c. The same call through nginx (proxy_pass to the emulator, upstream keep-alive, 2 \
         workers) beside the hub: at 64 connections, then at one, {NGINX_ROUNDS} rounds of a wrk \
         run through each, back to back in alternating order; verdicts on the median of the \
         rounds' ratios and differences"
    );
    // A wrk run through each proxy, with the proxy's CPU time per request. nginx forks its
    // workers once it runs: its processes are looked up each run.
    let through_nginx = |label, connections| {
        with_cpu_per_request(&nginx.process_ids(), || {
            wrk(label, &nginx_url, connections, direct_script)
        })
    };
    let through_hub = |label, connections| {
        with_cpu_per_request(&[hub.child.id()], || {
            wrk(label, hub_url, connections, hub_script)
        })
    };
    let many = alternating(
        NGINX_ROUNDS,
        || through_nginx("through nginx,   64 connections", 64),
        || through_hub("through the hub, 64 connections", 64),
    );
    let one = alternating(
        NGINX_ROUNDS,
        || through_nginx("through nginx,    1 connection", 1),
        || through_hub("through the hub,  1 connection", 1),
    );
    // Medians of the rounds: each proxy's CPU time per request, and the emulator's behind it.
    let cpu = |rounds: &[(RunWithCpu, RunWithCpu)], pick: fn(&RunWithCpu) -> CpuTime| {
        let (mut nginx, mut hub) = (CpuRounds::default(), CpuRounds::default());
        for (through_nginx, through_hub) in rounds {
            nginx.push(pick(through_nginx));
            hub.push(pick(through_hub));
        }
        (nginx.medians(), hub.medians())
    };
    for (connections, rounds) in [("64 connections", &many), ("one connection", &one)] {
        let (nginx, hub) = cpu(rounds, |measured| measured.proxy);
        let (behind_nginx, behind_hub) = cpu(rounds, |measured| measured.emulator);
        println!(
            "  CPU time per request at {connections} (medians of rounds): nginx {nginx}, hub \
             {hub}: hub / nginx = {:.2}×; the emulator's behind nginx {behind_nginx}, behind \
             the hub {behind_hub}",
            hub.total() / nginx.total(),
        );
    }
    let rates: Vec<(f64, f64)> = many
        .iter()
        .map(|(nginx, hub)| (nginx.run.rate, hub.run.rate))
        .collect();
    report_rate_ratio("", "nginx", &rates, TARGET_RATIO);
    let p50s: Vec<(f64, f64)> = one
        .iter()
        .map(|(nginx, hub)| (nginx.run.p50_ms, hub.run.p50_ms))
        .collect();
    report_p50_added("nginx", &p50s, TARGET_P50_MS);
}

/// Section 1d: the instructions each proxy runs per request, counted by callgrind (valgrind),
/// which repeat from run to run where the seconds above move with the machine's other load. A
/// second hub over the same database and nginx (2 workers) each run under callgrind; the same
/// call goes through each one request at a time on one kept-alive connection, first
/// [`COUNTED_WARM_UP`] uncounted, then [`COUNTED_REQUESTS`] counted, in [`COUNTED_ROUNDS`]
/// alternating rounds. Reported: instructions per request of each (every thread and process of
/// the proxy, the kernel's work not included), their ratio, and the functions that ran the most.
fn instructions_beside_nginx(
    dir: &Path,
    small: &RunningEmulator,
    config: &Path,
    hub_session: &str,
    direct_token: &str,
) {
    const COUNTED_WARM_UP: usize = 200;
    const COUNTED_REQUESTS: usize = 1_000;
    const COUNTED_ROUNDS: usize = 3;
    if !support::callgrind::installed() {
        println!(
            "\n1d. instructions per request: skipped, valgrind is not installed (bench/proxy.sh \
             installs it)"
        );
        return;
    }
    // Kept after the run, for `callgrind_annotate`; emptied first.
    let counts = std::env::temp_dir().join("finhub-proxy-callgrind");
    let _ = std::fs::remove_dir_all(&counts);
    std::fs::create_dir_all(&counts).expect("the callgrind directory");
    let hub = Hub::start_as(
        support::callgrind::command(Path::new(env!("CARGO_BIN_EXE_finhub")), &counts),
        config,
    );
    let Some((nginx, listen)) = nginx_started_by(
        small,
        Buffering::Default,
        &dir.join("nginx-callgrind"),
        |nginx| support::callgrind::command(nginx, &counts),
    ) else {
        println!("\n1d. instructions per request: skipped, nginx is not installed");
        return;
    };
    println!(
        "\n1d. Instructions per request, each proxy under callgrind (one request at a time on one \
         connection; {COUNTED_WARM_UP} uncounted, then {COUNTED_REQUESTS} counted per round, \
         {COUNTED_ROUNDS} alternating rounds; user-space instructions of every thread and process \
         of the proxy)"
    );
    let hub_address = hub.base.trim_start_matches("http://").to_owned();
    let hub_request = request_bytes(&format!("/v1/finra{SMALL_CALL}"), hub_session);
    let nginx_request = request_bytes(SMALL_CALL, direct_token);
    let mut hub_connection = KeptConnection::open(&hub_address);
    let mut nginx_connection = KeptConnection::open(&listen.to_string());
    hub_connection.send(&hub_request, COUNTED_WARM_UP);
    nginx_connection.send(&nginx_request, COUNTED_WARM_UP);
    let count = |pids: &[u32], connection: &mut KeptConnection, request: &[u8]| {
        support::callgrind::zero(pids);
        connection.send(request, COUNTED_REQUESTS);
        let dumps: Vec<(u64, PathBuf)> = support::callgrind::dump(pids, &counts)
            .into_iter()
            .map(|dump| (support::callgrind::instructions(&dump), dump))
            .collect();
        let total: u64 = dumps.iter().map(|(instructions, _)| instructions).sum();
        // The dump of the process that served the requests: the one that counted the most.
        let (_, busiest) = dumps.into_iter().max().expect("a dump");
        (total as f64 / COUNTED_REQUESTS as f64, busiest)
    };
    let (mut hub_counts, mut nginx_counts) = (Vec::new(), Vec::new());
    let (mut hub_dump, mut nginx_dump) = (PathBuf::new(), PathBuf::new());
    for round in 1..=COUNTED_ROUNDS {
        let (hub_count, dump) = count(&[hub.child.id()], &mut hub_connection, &hub_request);
        hub_dump = dump;
        let (nginx_count, dump) =
            count(&nginx.process_ids(), &mut nginx_connection, &nginx_request);
        nginx_dump = dump;
        println!(
            "  round {round}: hub {hub_count:.0}, nginx {nginx_count:.0} instructions per request"
        );
        hub_counts.push(hub_count);
        nginx_counts.push(nginx_count);
    }
    let (hub_count, nginx_count) = (median(hub_counts), median(nginx_counts));
    println!(
        "  instructions per request nginx {nginx_count:.0}, hub {hub_count:.0}: hub / nginx = \
         {:.2}× (medians)",
        hub_count / nginx_count
    );
    // valgrind's virtual CPU lacks the SHA extensions, so SHA-256 runs there in several times
    // the instructions a CPU with them runs (the hub hashes each session token it is shown).
    let sha256 = support::callgrind::instructions_in(&hub_dump, "sha256_block_data_order") as f64
        / COUNTED_REQUESTS as f64;
    println!(
        "  of the hub's, SHA-256's compression function {sha256:.0} (valgrind's CPU has no SHA \
         extensions, which CPUs with them run in a fraction of that); without it the hub runs \
         {:.0}: {:.2}× nginx",
        hub_count - sha256,
        (hub_count - sha256) / nginx_count
    );
    for (label, dump) in [("the hub", &hub_dump), ("nginx", &nginx_dump)] {
        println!(
            "  where {label}'s instructions go (last round, instructions in the function itself; \
             all of them: callgrind_annotate {}):",
            dump.display()
        );
        for line in support::callgrind::top_functions(dump, 12) {
            println!("    {}", line.chars().take(150).collect::<String>());
        }
    }
}

/// A `GET` of `path` with the benchmark's headers and `token`, as wrk sends it.
fn request_bytes(path: &str, token: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    )
    .into_bytes()
}

/// One kept-alive HTTP/1.1 connection that sends requests one at a time, opened again when the
/// server closes it (nginx does after 1 000 requests).
struct KeptConnection {
    address: String,
    reader: BufReader<std::net::TcpStream>,
}

impl KeptConnection {
    fn open(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            reader: Self::connect(address),
        }
    }

    fn connect(address: &str) -> BufReader<std::net::TcpStream> {
        let stream = std::net::TcpStream::connect(address).expect("connect to the proxy");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        BufReader::new(stream)
    }

    /// Sends `request` `times` times, one after another, each answer read whole and checked
    /// to be a 200 with a `Content-Length` body.
    fn send(&mut self, request: &[u8], times: usize) {
        use std::io::{Read, Write};
        let mut line = String::new();
        for _ in 0..times {
            self.reader
                .get_mut()
                .write_all(request)
                .expect("send a request");
            line.clear();
            self.reader.read_line(&mut line).expect("a status line");
            assert!(
                line.starts_with("HTTP/1.1 200"),
                "unexpected answer: {line:?}"
            );
            let (mut length, mut closing) = (None, false);
            loop {
                line.clear();
                self.reader.read_line(&mut line).expect("a header line");
                if line == "\r\n" {
                    break;
                }
                let Some((name, value)) = line.split_once(':') else {
                    continue;
                };
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<u64>().ok();
                } else if name.eq_ignore_ascii_case("connection") {
                    closing = value.trim().eq_ignore_ascii_case("close");
                }
            }
            let length = length.expect("an answer with a Content-Length");
            std::io::copy(&mut self.reader.by_ref().take(length), &mut std::io::sink())
                .expect("the answer's body");
            if closing {
                self.reader = Self::connect(&self.address);
            }
        }
    }
}

/// A wrk run through a proxy, with CPU time per request, in microseconds: the proxy's, and the
/// emulator's behind it (this process, where the emulators run; the one not called is idle).
struct RunWithCpu {
    run: Measured,
    proxy: CpuTime,
    emulator: CpuTime,
}

/// Runs `run` (a wrk run through the proxy whose processes are `pids`) and measures it.
fn with_cpu_per_request(pids: &[u32], run: impl FnOnce() -> Measured) -> RunWithCpu {
    let own = [std::process::id()];
    let (proxy_before, emulator_before) = (
        support::cpu::of_processes(pids),
        support::cpu::of_processes(&own),
    );
    let run = run();
    let per_request = 1e6 / (run.rate * f64::from(WRK_SECONDS)).max(1.0);
    RunWithCpu {
        proxy: support::cpu::of_processes(pids)
            .minus(proxy_before)
            .scaled(per_request),
        emulator: support::cpu::of_processes(&own)
            .minus(emulator_before)
            .scaled(per_request),
        run,
    }
}

/// Microseconds per request, as the report prints them.
impl std::fmt::Display for CpuTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} µs (user {:.1}, system {:.1})",
            self.total(),
            self.user,
            self.system
        )
    }
}

/// One proxy's CPU time per request, round by round.
#[derive(Default)]
struct CpuRounds {
    user: Vec<f64>,
    system: Vec<f64>,
}

impl CpuRounds {
    fn push(&mut self, round: CpuTime) {
        self.user.push(round.user);
        self.system.push(round.system);
    }

    /// The median of the user times and that of the system times (each on its own).
    fn medians(&self) -> CpuTime {
        CpuTime {
            user: median(self.user.iter().copied()),
            system: median(self.system.iter().copied()),
        }
    }
}

/// Sets the CPU affinity of every thread of `pid`; whether `taskset` did.
fn pin(pid: u32, cpus: &str) -> bool {
    Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn emulator_config(scale: Scale) -> EmulatorConfig {
    EmulatorConfig::default()
        .with_scale(scale)
        .with_throttle(Throttle::Off)
        .with_credentials([
            Credential::new(UPSTREAM_ID, UPSTREAM_SECRET, Tier::Public),
            Credential::new(DIRECT_ID, DIRECT_SECRET, Tier::Public),
        ])
}

/// The hub's config: SQLite in `dir`, limits raised, upstream pacing off, plain HTTP.
fn write_config(dir: &Path, tls_section: bool) -> PathBuf {
    write_config_as(dir, tls_section, "hub.toml", "")
}

/// The benchmark's config with `extra` appended, as `name` in `dir`.
fn write_config_as(dir: &Path, tls_section: bool, name: &str, extra: &str) -> PathBuf {
    let mut text = format!(
        r#"profile = "integration"
listen = "127.0.0.1:0"
database_url = "sqlite:{}?mode=rwc"

[keys]
session_secret = "proxy-bench-session-key-0123456789abcdef"
data_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

# Raised for the benchmark: it measures the proxy, not the rate limiters.
[rate_limits]
token_per_address_per_minute = 100000000
token_per_customer_per_minute = 100000000
data_per_session_per_second = 100000000
data_per_customer_per_second = 100000000

# The emulator's throttle is off, so is the hub's pacing.
[upstream]
requests_per_second = 0
timeout_secs = 120

# Two serving threads, as many as nginx's workers beside it.
[http]
threads = 2
"#,
        dir.join("hub.db").display()
    );
    if tls_section {
        text.push_str("\n[tls]\nplain_http = true\n");
    }
    text.push_str(extra);
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the hub's config");
    path
}

/// The same hub again with `[metrics] enabled = false` (a second process over the same
/// database, so the session works on both), then the small call through each, alternating
/// rounds: what recording metrics costs a proxied call, beside the rounds' own spread.
fn metrics_on_and_off(dir: &Path, config: &Path, hub_url: &str, script: &Path) {
    let tls_section = std::fs::read_to_string(config)
        .unwrap_or_default()
        .contains("[tls]");
    let off_config = write_config_as(
        dir,
        tls_section,
        "hub-no-metrics.toml",
        "\n[metrics]\nenabled = false\n",
    );
    let off = Hub::start(&off_config);
    let path = hub_url.split_once("/v1/").map_or("", |(_, rest)| rest);
    let off_url = format!("{}/v1/{path}", off.base);
    println!(
        "\n1b. The same call through the hub with metrics on and off (a second `finhub serve` with \
         `[metrics] enabled = false`), {WRK_ROUNDS} alternating rounds"
    );
    for connections in [64, 1] {
        let (on_runs, off_runs): (Vec<Measured>, Vec<Measured>) = alternating(
            WRK_ROUNDS,
            || {
                wrk(
                    &format!("metrics on,  {connections:>2} connection(s)"),
                    hub_url,
                    connections,
                    script,
                )
            },
            || {
                wrk(
                    &format!("metrics off, {connections:>2} connection(s)"),
                    &off_url,
                    connections,
                    script,
                )
            },
        )
        .into_iter()
        .unzip();
        let figure = |run: &Measured| {
            if connections == 1 {
                run.p50_ms
            } else {
                run.rate
            }
        };
        let spread = |runs: &[Measured]| {
            let values: Vec<f64> = runs.iter().map(figure).collect();
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (median(values), low, high)
        };
        let (on, on_low, on_high) = spread(&on_runs);
        let (off_median, off_low, off_high) = spread(&off_runs);
        let unit = if connections == 1 { "ms p50" } else { "req/s" };
        let within = (on - off_median).abs() <= (on_high - on_low).max(off_high - off_low);
        println!(
            "  {connections:>2} connection(s): metrics on {on:.3} {unit} (rounds {on_low:.3}–{on_high:.3}), \
             off {off_median:.3} {unit} (rounds {off_low:.3}–{off_high:.3}): difference {:.3} \
             (within the rounds' spread: {})",
            on - off_median,
            verdict(within)
        );
    }
}

/// Two tenants, each with a `b2b` customer and an upstream credential: one on the small
/// emulator, one on the full one. Returns the customers' (id, secret).
async fn seed(
    config: &Path,
    small: &RunningEmulator,
    full: &RunningEmulator,
) -> ((String, String), (String, String)) {
    let config = Config::load(Some(config)).expect("the bench config");
    let state = AppState::build(config, SystemClock::shared())
        .await
        .expect("the hub's state");
    let auth = &state.admin;
    let mut customers = Vec::new();
    for (tenant, emulator) in [(SMALL_TENANT, small), (FULL_TENANT, full)] {
        let upstream = support::seed::Upstream {
            client_id: UPSTREAM_ID,
            secret: UPSTREAM_SECRET,
            api_base: emulator.base_url(),
            token_url: emulator.token_url(),
        };
        customers.push(support::seed::tenant(auth, tenant, Some(upstream)).await);
    }
    let full_customer = customers.pop().expect("two customers");
    let small_customer = customers.pop().expect("two customers");
    (small_customer, full_customer)
}

/// The hub as a child process, killed when dropped.
struct Hub {
    child: Child,
    base: String,
}

impl Hub {
    fn start(config: &Path) -> Self {
        Self::start_as(Command::new(env!("CARGO_BIN_EXE_finhub")), config)
    }

    /// The hub started by `program`: the `finhub` binary, or a profiler with the binary as its
    /// last argument.
    fn start_as(mut program: Command, config: &Path) -> Self {
        let mut child = program
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start `finhub serve`");
        let stdout = child.stdout.take().expect("the hub's stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the hub's first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line of the hub: {line:?}"))
            .to_owned();
        Self { child, base }
    }

    /// A `/proc/<pid>/status` field in KiB (e.g. `VmRSS`, `VmHWM`).
    fn status_kib(&self, field: &str) -> u64 {
        status_kib(self.child.id(), field)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_kib(pid: u32, field: &str) -> u64 {
    support::machine::kib_field(&format!("/proc/{pid}/status"), field).unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    customer: &(String, String),
) -> String {
    let body = json!({
        "grantType": "client_credentials",
        "customerId": customer.0,
        "customerSecret": customer.1,
        "accountType": "b2b",
    });
    let response = support::seed::post_login(http, base, tenant, &body).await;
    assert_eq!(response.status(), 200, "bench login");
    let body: Value = response.json().await.expect("login JSON");
    body["userSessionToken"]
        .as_str()
        .expect("session token")
        .to_owned()
}

/// An upstream token for the direct calls, minted with the bench's own credential.
async fn mint(http: &reqwest::Client, token_url: &str) -> String {
    let response = http
        .post(format!("{token_url}?grant_type=client_credentials"))
        .basic_auth(DIRECT_ID, Some(DIRECT_SECRET))
        .send()
        .await
        .expect("mint");
    let body: Value = response.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

fn script(dir: &Path, label: &str, token: &str) -> PathBuf {
    let path = dir.join(format!("{label}.lua"));
    std::fs::write(
        &path,
        format!(
            "wrk.headers[\"Accept\"] = \"application/json\"\n\
             wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
        ),
    )
    .expect("lua script");
    path
}

/// Reports requests/s through the hub against `baseline`'s, from rounds of `(baseline, hub)`:
/// each side's median, and the verdict on the median of the rounds' ratios.
fn report_rate_ratio(prefix: &str, baseline: &str, rounds: &[(f64, f64)], target: f64) {
    let ratio = Spread::of(rounds.iter().map(|(base, hub)| hub / base));
    println!(
        "  {prefix}requests/s {baseline} {:.0}, through the hub {:.0} (medians); hub / {baseline} \
         per round: median {:.2}×, quartiles {:.2}–{:.2}× (target ≥ {target}×: {})",
        median(rounds.iter().map(|pair| pair.0)),
        median(rounds.iter().map(|pair| pair.1)),
        ratio.median,
        ratio.low,
        ratio.high,
        verdict(ratio.median >= target)
    );
}

/// Reports the p50 latency through the hub against `baseline`'s, from rounds of
/// `(baseline, hub)` in milliseconds: each side's median, and the verdict on the median of the
/// rounds' differences.
fn report_p50_added(baseline: &str, rounds: &[(f64, f64)], target_ms: f64) {
    let added = Spread::of(rounds.iter().map(|(base, hub)| hub - base));
    println!(
        "  p50 {baseline} {:.3} ms, through the hub {:.3} ms (medians); hub − {baseline} per round: \
         median {:+.3} ms, quartiles {:+.3}…{:+.3} (target ≤ {target_ms} ms: {})",
        median(rounds.iter().map(|pair| pair.0)),
        median(rounds.iter().map(|pair| pair.1)),
        added.median,
        added.low,
        added.high,
        verdict(added.median <= target_ms)
    );
}

/// Runs wrk and prints its figures.
fn wrk(label: &str, url: &str, connections: u32, script: &Path) -> Measured {
    wrk_on(None, label, url, connections, script)
}

/// [`wrk`], pinned to the CPUs `cpus` (a `taskset` list) when given.
fn wrk_on(cpus: Option<&str>, label: &str, url: &str, connections: u32, script: &Path) -> Measured {
    let mut command = match cpus {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.args(["-c", cpus, "wrk"]);
            command
        }
        None => Command::new("wrk"),
    };
    command
        .args(["-t1", "-c", &connections.to_string(), "-d"])
        .arg(format!("{WRK_SECONDS}s"))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(url);
    let run = support::wrk::report_of(&mut command);
    let problems = run.problems();
    println!(
        "  {label}: {:>8.0} req/s  p50 {:.3} ms{}",
        run.rate,
        run.p50_ms,
        if problems.is_empty() {
            String::new()
        } else {
            format!("  ({problems})")
        }
    );
    run
}

/// A finra-client of `api_base`, unpaced and without retries, asking for pages `encoding`.
fn client(api_base: &str, token_url: Option<&str>, auth: Auth, encoding: Encoding) -> FinraClient {
    let mut builder = FinraClient::builder()
        .api_base(api_base)
        .compression(encoding == Encoding::Gzip);
    if let Some(token_url) = token_url {
        builder = builder.token_url(token_url);
    }
    builder
        .auth(auth)
        .pacer(Pacer::unlimited())
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(120))
        .paging(PagingConfig::default())
        .build()
        .expect("client")
}

/// The newest `n` weeks of weeklySummary.
async fn newest_weeks(client: &FinraClient, n: usize) -> Vec<String> {
    let partitions = client
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions");
    let mut weeks: Vec<String> = partitions
        .available_partitions
        .iter()
        .filter_map(|p| p.partitions.first().cloned())
        .collect();
    weeks.sort_unstable();
    weeks.dedup();
    weeks.into_iter().rev().take(n).collect()
}

struct Download {
    rows: u64,
    bytes: u64,
    seconds: f64,
    /// CPU time (user and system) of the processes given to [`download`] while it ran.
    cpu_seconds: f64,
    rss_before: u64,
    rss_peak: u64,
    rss_after: u64,
}

/// The ways the download goes in [`download_speed`]'s rounds.
#[derive(Clone, Copy)]
enum Route<'a> {
    Hub,
    /// Through nginx, with the client that goes through it.
    Nginx(&'a NginxStream, &'a FinraClient),
    Straight,
}

/// Streams every row of `query`, sampling the hub's RSS meanwhile when `hub` is given and
/// measuring the CPU time the processes `cpu_of` spend meanwhile.
fn download(
    runtime: &tokio::runtime::Runtime,
    client: &FinraClient,
    query: Query,
    hub: Option<&Hub>,
    cpu_of: &[u32],
) -> Download {
    let pid = hub.map(|hub| hub.child.id());
    let rss_before = pid.map_or(0, |pid| status_kib(pid, "VmRSS"));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = pid.map(|pid| {
        let peak = Arc::clone(&peak);
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(status_kib(pid, "VmRSS"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    });
    let cpu_before = support::cpu::of_processes(cpu_of);
    let started = Instant::now();
    let (rows, bytes) = runtime.block_on(async {
        let mut stream = client.stream_raw_rows(query);
        let (mut rows, mut bytes) = (0_u64, 0_u64);
        while let Some(row) = stream.try_next().await.expect("a row") {
            rows += 1;
            bytes += row.get().len() as u64;
        }
        (rows, bytes)
    });
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = support::cpu::of_processes(cpu_of).minus(cpu_before).total();
    done.store(true, Ordering::Relaxed);
    if let Some(sampler) = sampler {
        sampler.join().expect("sampler");
    }
    let rss_after = pid.map_or(0, |pid| status_kib(pid, "VmRSS"));
    Download {
        rows,
        bytes,
        seconds,
        cpu_seconds,
        rss_before,
        rss_peak: peak.load(Ordering::Relaxed).max(rss_after),
        rss_after,
    }
}
