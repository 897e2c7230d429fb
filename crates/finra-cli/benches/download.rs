//! Download benchmark of the `finra` CLI: every row of `otcMarket/weeklySummary` for one tier
//! (T1, about 425 000 rows at `--scale full`, under FINRA's 500 000 maximum offset so that a
//! plain offset loop can fetch them too), written as NDJSON, against baselines measured in the
//! same run:
//!
//! 1. **Throttle on** (the emulator at FINRA's 20 requests/s): `finra query … --all --format
//!    ndjson` as a fraction of the cap (20 pages/s × the rows of one full page), and the 429s
//!    the emulator sent during the run (read from its counters).
//! 2. **Throttle off**: the same command against a plain sequential Python `requests` offset loop
//!    (`bench/client/plain_loop.py`) and against finra-py from PyPI
//!    (`bench/client/finra_py_loop.py`); the ratio finra / plain loop.
//! 3. **Memory**: peak RSS of each client process, for the whole tier and for its newest tenth of
//!    weeks (about 10× fewer rows), measured by `bench/client/maxrss.py` (getrusage); the CLI's
//!    should stay flat.
//!
//! Run: `bench/client.sh` (installs `requests` and `finra-py` into `target/bench-venv`, then runs
//! `cargo bench -p finra-cli --bench download`). Without that venv the Python baselines are
//! reported as skipped. The emulator runs in this process on its own tokio runtime (so its
//! counters can be read); the clients run as child processes; all share the machine's cores.
//! Environment: `FINRA_BENCH_PYTHON` (the interpreter with `requests` and `finra-py`),
//! `FINRA_BENCH_RUNS` (runs of each measurement, median reported; default 1).

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use finra_emulator::{EmulatorConfig, RunningEmulator, Scale, Throttle};
use serde_json::{Value, json};

const GROUP: &str = "otcMarket";
const NAME: &str = "weeklySummary";
const TIER: &str = "T1";
/// FINRA's request cap, and the emulator's throttle in phase 1.
const CAP_REQUESTS_PER_SECOND: u32 = 20;
const PAGE: u64 = 5_000;
const CLIENT_ID: &str = "demo-client";
const CLIENT_SECRET: &str = "demo-secret";
/// Longest a single client run may take before it is killed.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

const TARGET_CAP_FRACTION: f64 = 0.90;
const TARGET_SPEEDUP: f64 = 3.0;
/// "Flat" memory: with about 10x the rows, peak RSS may grow by at most this factor (memory
/// that grew with the rows would grow about 10x; a fixed window of pages in flight, a little).
const TARGET_FLAT_RSS: f64 = 1.5;

// ---------------------------------------------------------------------------------------------
// The in-process emulator

/// An emulator on its own multi-threaded tokio runtime; `stop` shuts it down and frees its data.
struct InProcessEmulator {
    runtime: tokio::runtime::Runtime,
    running: Option<RunningEmulator>,
    http: reqwest::Client,
}

impl InProcessEmulator {
    fn start(throttle: Throttle) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("emulator")
            .build()
            .expect("build the emulator's runtime");
        let started = Instant::now();
        let config = EmulatorConfig::default()
            .with_scale(Scale::Full)
            .with_throttle(throttle);
        let running = runtime
            .block_on(finra_emulator::spawn(config))
            .expect("start the emulator");
        println!(
            "emulator --scale full, throttle {}: ready in {:.2} s on {}",
            throttle_label(throttle),
            started.elapsed().as_secs_f64(),
            running.base_url()
        );
        Self {
            runtime,
            running: Some(running),
            http: reqwest::Client::new(),
        }
    }

    fn running(&self) -> &RunningEmulator {
        self.running.as_ref().expect("emulator running")
    }

    fn base_url(&self) -> String {
        self.running().base_url()
    }

    fn token_url(&self) -> String {
        self.running().token_url()
    }

    fn counts(&self) -> Counts {
        let counters = self.running().counters();
        Counts {
            throttled: counters.throttled(),
            status_429: counters.responses_with_status(429),
            data_responses: counters.responses_under("/data/"),
            all_responses: counters.total_responses(),
        }
    }

    /// One anonymous JSON request with a 5 000 limit: (Record-Total, Total-Records-On-Page,
    /// body bytes).
    fn probe_page(&self, filters: &[Filter]) -> (u64, u64, usize) {
        let url = format!("{}/data/group/{GROUP}/name/{NAME}", self.base_url());
        let body = json!({ "limit": PAGE, "compareFilters": compare_filters(filters) });
        let request = self
            .http
            .post(url)
            .header("Accept", "application/json")
            .json(&body)
            .timeout(Duration::from_secs(60));
        self.runtime.block_on(async move {
            let response = request.send().await.expect("probe request");
            assert_eq!(response.status(), 200, "probe status");
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("probe response lacks {name}"))
            };
            let (total, on_page) = (header("Record-Total"), header("Total-Records-On-Page"));
            let bytes = response.bytes().await.expect("probe body").len();
            (total, on_page, bytes)
        })
    }

    /// `(weekStartDate, tierIdentifier)` pairs from `/partitions`, newest week first.
    fn partitions(&self) -> Vec<(String, String)> {
        let url = format!("{}/partitions/group/{GROUP}/name/{NAME}", self.base_url());
        let request = self.http.get(url).timeout(Duration::from_secs(60));
        let listing: Value = self.runtime.block_on(async move {
            request
                .send()
                .await
                .expect("partitions request")
                .json()
                .await
                .expect("partitions JSON")
        });
        let mut pairs: Vec<(String, String)> = listing["availablePartitions"]
            .as_array()
            .expect("availablePartitions")
            .iter()
            .filter_map(|p| {
                let values = p["partitions"].as_array()?;
                Some((
                    values.first()?.as_str()?.to_owned(),
                    values.get(1)?.as_str()?.to_owned(),
                ))
            })
            .collect();
        pairs.sort_by(|a, b| b.cmp(a));
        pairs
    }

    /// Stops serving, waits for in-flight requests, and frees the data and the runtime.
    fn stop(mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(running.shutdown());
        }
    }
}

fn throttle_label(throttle: Throttle) -> String {
    match throttle {
        Throttle::PerSecond(rate) => format!("{rate} req/s"),
        Throttle::Off => "off".to_owned(),
    }
}

/// One compare filter, written the `finra` CLI's way (`FIELD OP VALUE`), which the Python
/// scripts parse too.
#[derive(Debug, Clone)]
struct Filter {
    field: String,
    /// `=` or `>=`.
    op: &'static str,
    value: String,
}

impl Filter {
    fn new(field: &str, op: &'static str, value: &str) -> Self {
        Self {
            field: field.to_owned(),
            op,
            value: value.to_owned(),
        }
    }

    fn cli(&self) -> String {
        format!("{} {} {}", self.field, self.op, self.value)
    }

    fn compare_type(&self) -> &'static str {
        match self.op {
            ">=" => "GTE",
            _ => "EQUAL",
        }
    }
}

fn compare_filters(filters: &[Filter]) -> Value {
    filters
        .iter()
        .map(|f| json!({"fieldName": f.field, "fieldValue": f.value, "compareType": f.compare_type()}))
        .collect()
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    throttled: u64,
    status_429: u64,
    data_responses: u64,
    all_responses: u64,
}

impl Counts {
    fn since(self, before: Self) -> Self {
        Self {
            throttled: self.throttled - before.throttled,
            status_429: self.status_429 - before.status_429,
            data_responses: self.data_responses - before.data_responses,
            all_responses: self.all_responses - before.all_responses,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Clients and their runs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Cli,
    PlainLoop,
    FinraPy,
}

impl Client {
    fn label(self) -> &'static str {
        match self {
            Self::Cli => "finra CLI (Rust)",
            Self::PlainLoop => "plain Python requests loop",
            Self::FinraPy => "finra-py (PyPI) offset loop",
        }
    }
}

/// A query: EQUAL filters on weeklySummary, and the rows it must deliver.
struct Query {
    label: String,
    filters: Vec<Filter>,
    expected_rows: u64,
}

struct Tools {
    root: PathBuf,
    /// Runs `bench/client/maxrss.py` (standard library only).
    wrapper_python: PathBuf,
    /// An interpreter with `requests` (and maybe `finra-py`), or why there is none.
    requests_python: Result<PathBuf, String>,
    finra_py_python: Result<PathBuf, String>,
    dir: TempDir,
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
struct Run {
    rows: u64,
    wall_s: f64,
    maxrss_kib: u64,
    counts: Counts,
}

impl Run {
    fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.wall_s
    }
}

type Outcome = Result<Run, String>;

fn run_client(
    client: Client,
    emulator: &InProcessEmulator,
    query: &Query,
    tools: &Tools,
) -> Outcome {
    let out = tools.dir.path.join("rows.ndjson");
    let _ = std::fs::remove_file(&out);
    let script = |name: &str| tools.root.join("bench/client").join(name);
    let timeout_s = RUN_TIMEOUT.as_secs().to_string();
    let mut command = Command::new(&tools.wrapper_python);
    command
        .arg(script("maxrss.py"))
        .args(["--timeout", &timeout_s, "--"]);
    match client {
        Client::Cli => {
            command
                .arg(env!("CARGO_BIN_EXE_finra"))
                .args(["query", &format!("{GROUP}/{NAME}")]);
            for filter in &query.filters {
                command.args(["--filter", &filter.cli()]);
            }
            command
                .args(["--all", "--format", "ndjson", "--out"])
                .arg(&out);
            // Without the emulator's throttle the CLI's own pacer (FINRA's 20/s) is switched
            // off too: the phase measures the client's speed, not the cap.
            if emulator.running().emulator().config().throttle == Throttle::Off {
                command.args(["--rate", "off"]);
            }
        }
        Client::PlainLoop | Client::FinraPy => {
            let (python, name) = if client == Client::PlainLoop {
                (&tools.requests_python, "plain_loop.py")
            } else {
                (&tools.finra_py_python, "finra_py_loop.py")
            };
            let python = python.as_ref().map_err(Clone::clone)?;
            command
                .arg(python)
                .arg(script(name))
                .args(["--api-base", &emulator.base_url()])
                .args(["--token-url", &emulator.token_url()])
                .args(["--group", GROUP, "--name", NAME])
                .args(["--deadline", &timeout_s]);
            for filter in &query.filters {
                command.args(["--filter", &filter.cli()]);
            }
            command.arg("--out").arg(&out);
        }
    }
    command
        .current_dir(&tools.dir.path)
        .env("FINRA_API_BASE", emulator.base_url())
        .env("FINRA_TOKEN_URL", emulator.token_url())
        .env("FINRA_API_KEY", CLIENT_ID)
        .env("FINRA_API_SECRET", CLIENT_SECRET)
        .env_remove("FINRA_BEARER_TOKEN")
        .env("PYTHONDONTWRITEBYTECODE", "1");

    let before = emulator.counts();
    let measured = run_measured(command, &tools.dir.path);
    let counts = emulator.counts().since(before);
    let rows = count_lines(&out);
    let _ = std::fs::remove_file(&out);
    let (wall_s, maxrss_kib) = measured?;
    let rows = rows.map_err(|e| format!("cannot read the output: {e}"))?;
    if rows != query.expected_rows {
        return Err(format!(
            "wrote {rows} rows, expected {} (Record-Total)",
            query.expected_rows
        ));
    }
    Ok(Run {
        rows,
        wall_s,
        maxrss_kib,
        counts,
    })
}

/// Runs the `maxrss.py` command line; returns (wall seconds, peak RSS KiB) of the wrapped command.
fn run_measured(mut command: Command, dir: &Path) -> Result<(f64, u64), String> {
    let stdout_path = dir.join("wrapper.stdout");
    let stderr_path = dir.join("wrapper.stderr");
    let file = |path: &Path| File::create(path).map_err(|e| format!("{}: {e}", path.display()));
    command
        .stdin(Stdio::null())
        .stdout(file(&stdout_path)?)
        .stderr(file(&stderr_path)?);
    let mut child = command.spawn().map_err(|e| format!("cannot start: {e}"))?;
    // The wrapper kills the client at RUN_TIMEOUT; this is the backstop for the wrapper itself.
    let deadline = Instant::now() + RUN_TIMEOUT + Duration::from_secs(30);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("the maxrss.py wrapper did not finish in time".to_owned());
            }
            Err(e) => return Err(format!("wait: {e}")),
        }
    }
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let _ = std::fs::remove_file(&stdout_path);
    let _ = std::fs::remove_file(&stderr_path);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .ok_or_else(|| format!("no report from maxrss.py: {}", tail(&stderr)))?;
    match report["returncode"].as_i64() {
        Some(0) => {}
        Some(code) => return Err(format!("exit {code}: {}", tail(&stderr))),
        None => {
            return Err(format!(
                "killed after {} s: {}",
                RUN_TIMEOUT.as_secs(),
                tail(&stderr)
            ));
        }
    }
    let wall_s = report["wall_s"].as_f64().ok_or("no wall_s in the report")?;
    let maxrss_kib = report["maxrss_kib"]
        .as_u64()
        .ok_or("no maxrss_kib in the report")?;
    Ok((wall_s, maxrss_kib))
}

/// The last meaningful line of a process's stderr, for error messages.
fn tail(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("(no output)")
        .chars()
        .take(300)
        .collect()
}

fn count_lines(path: &Path) -> std::io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buffer = vec![0_u8; 1 << 20];
    let mut lines = 0_u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// Runs `client` `runs` times and keeps the run with the median wall time (peak RSS: the
/// largest seen). The first failure ends the series.
fn measure(
    client: Client,
    emulator: &InProcessEmulator,
    query: &Query,
    tools: &Tools,
    runs: usize,
) -> Outcome {
    let mut done = Vec::with_capacity(runs);
    for _ in 0..runs {
        let run = run_client(client, emulator, query, tools)?;
        done.push(run);
    }
    let maxrss_kib = done.iter().map(|r| r.maxrss_kib).max().unwrap_or(0);
    done.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    let mut median = done[done.len() / 2];
    median.maxrss_kib = maxrss_kib;
    Ok(median)
}

// ---------------------------------------------------------------------------------------------
// Set-up

struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("finra-client-bench-{}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create the temporary directory");
        Self { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn python_imports(python: &Path, modules: &str) -> Result<(), String> {
    let output = Command::new(python)
        .args(["-c", &format!("import {modules}")])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} cannot import {modules} (run bench/client.sh, which installs them)",
            python.display()
        ))
    }
}

fn tools() -> Tools {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    let venv = root.join("target/bench-venv/bin/python");
    let python = std::env::var_os("FINRA_BENCH_PYTHON")
        .map(PathBuf::from)
        .or_else(|| venv.exists().then_some(venv))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let requests_python = python_imports(&python, "requests").map(|()| python.clone());
    let finra_py_python =
        python_imports(&python, "finra.auth, finra.filters, finra.utils").map(|()| python.clone());
    Tools {
        root,
        wrapper_python: python,
        requests_python,
        finra_py_python,
        dir: TempDir::new(),
    }
}

fn runs() -> usize {
    std::env::var("FINRA_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
}

// ---------------------------------------------------------------------------------------------
// Report

fn rows_per_request(run: &Run) -> f64 {
    run.rows as f64 / run.counts.data_responses.max(1) as f64
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn print_header() {
    println!(
        "  {:<30} {:>8} {:>8} {:>9} {:>8} {:>7} {:>6} {:>9}",
        "client", "rows", "wall s", "rows/s", "data req", "req/s", "429s", "peak RSS"
    );
}

fn print_run(client: Client, outcome: &Outcome) {
    match outcome {
        Ok(run) => println!(
            "  {:<30} {:>8} {:>8.2} {:>9.0} {:>8} {:>7.1} {:>6} {:>5.1} MiB",
            client.label(),
            run.rows,
            run.wall_s,
            run.rows_per_s(),
            run.counts.data_responses,
            run.counts.data_responses as f64 / run.wall_s,
            run.counts.status_429,
            mib(run.maxrss_kib),
        ),
        Err(why) => println!("  {:<30} NOT MEASURED: {why}", client.label()),
    }
}

struct Target {
    name: String,
    figure: String,
    goal: String,
    met: Option<bool>,
}

fn main() {
    let runs = runs();
    let tools = tools();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!(
        "finra client download benchmark: {GROUP}/{NAME}, tierIdentifier = {TIER}, NDJSON out"
    );
    println!(
        "machine: {cores} cores, shared by the in-process emulator, the client under test and \
         this harness (and by anyone else's builds on this machine: figures are noisy; ratios \
         within this run are what count); {runs} run(s) per measurement, median"
    );

    // ---- Phase 1: throttle on ----------------------------------------------------------------
    println!();
    let emulator = InProcessEmulator::start(Throttle::PerSecond(CAP_REQUESTS_PER_SECOND));
    let tier_filter = vec![Filter::new("tierIdentifier", "=", TIER)];
    let (tier_rows, rows_on_page, page_bytes) = emulator.probe_page(&tier_filter);
    let cap_rows_per_s = f64::from(CAP_REQUESTS_PER_SECOND) * rows_on_page as f64;
    let partitions = emulator.partitions();
    // Let the throttle's bucket refill after the probe requests.
    std::thread::sleep(Duration::from_secs(2));
    println!(
        "{TIER}: {tier_rows} rows (Record-Total); a {PAGE}-limit page holds {rows_on_page} rows \
         ({:.2} MB, Total-Records-On-Page) -> cap = {CAP_REQUESTS_PER_SECOND} x {rows_on_page} = \
         {cap_rows_per_s:.0} rows/s",
        page_bytes as f64 / 1e6
    );
    let full = Query {
        label: format!("tier {TIER}"),
        filters: tier_filter,
        expected_rows: tier_rows,
    };
    println!(
        "phase 1: emulator throttle {CAP_REQUESTS_PER_SECOND} req/s per address (FINRA's cap)"
    );
    print_header();
    let throttled = measure(Client::Cli, &emulator, &full, &tools, runs);
    print_run(Client::Cli, &throttled);
    emulator.stop();

    // ---- Phase 2: throttle off ---------------------------------------------------------------
    println!();
    let emulator = InProcessEmulator::start(Throttle::Off);
    // The small query: the same tier, its newest weeks only, about a tenth of its rows.
    let weeks: Vec<&str> = partitions
        .iter()
        .filter(|(_, tier)| tier == TIER)
        .map(|(week, _)| week.as_str())
        .collect();
    let n_weeks = (weeks.len() + 5) / 10;
    let since = weeks
        .get(n_weeks.max(1) - 1)
        .expect("a week of the tier")
        .to_owned();
    let small_filters = vec![
        Filter::new("tierIdentifier", "=", TIER),
        Filter::new("weekStartDate", ">=", since),
    ];
    let (small_rows, _, _) = emulator.probe_page(&small_filters);
    let small = Query {
        label: format!(
            "tier {TIER}, weekStartDate >= {since} ({} weeks)",
            n_weeks.max(1)
        ),
        filters: small_filters,
        expected_rows: small_rows,
    };
    println!(
        "phase 2: emulator throttle off; query {} ({tier_rows} rows), then {} ({small_rows} rows, \
         {:.1}x fewer) for memory",
        full.label,
        small.label,
        tier_rows as f64 / small_rows as f64
    );
    let clients = [Client::Cli, Client::PlainLoop, Client::FinraPy];
    print_header();
    let unthrottled: Vec<(Client, Outcome)> = clients
        .iter()
        .map(|&client| {
            let outcome = measure(client, &emulator, &full, &tools, runs);
            print_run(client, &outcome);
            (client, outcome)
        })
        .collect();
    println!("  same clients, {}:", small.label);
    let smaller: Vec<(Client, Outcome)> = clients
        .iter()
        .map(|&client| {
            let outcome = measure(client, &emulator, &small, &tools, runs);
            print_run(client, &outcome);
            (client, outcome)
        })
        .collect();
    emulator.stop();

    // ---- Targets -----------------------------------------------------------------------------
    let find = |list: &[(Client, Outcome)], client: Client| -> Outcome {
        list.iter()
            .find(|(c, _)| *c == client)
            .map_or_else(|| Err("not run".to_owned()), |(_, o)| o.clone())
    };
    let mut targets = Vec::new();
    match &throttled {
        Ok(run) => {
            let fraction = run.rows_per_s() / cap_rows_per_s;
            targets.push(Target {
                name: "throttle on: rows/s as a share of the cap".to_owned(),
                figure: format!(
                    "{:.1} % ({:.0} / {cap_rows_per_s:.0} rows/s)",
                    fraction * 100.0,
                    run.rows_per_s()
                ),
                goal: format!(">= {:.0} %", TARGET_CAP_FRACTION * 100.0),
                met: Some(fraction >= TARGET_CAP_FRACTION),
            });
            targets.push(Target {
                name: "throttle on: 429s the emulator sent".to_owned(),
                figure: format!(
                    "{} (throttle counter {})",
                    run.counts.status_429, run.counts.throttled
                ),
                goal: "0".to_owned(),
                met: Some(run.counts.status_429 == 0 && run.counts.throttled == 0),
            });
            targets.push(Target {
                name: "  (info) throttle on: data requests/s (a burst of 20, then 20/s)".to_owned(),
                figure: format!(
                    "{:.1} req/s ({} data requests in {:.2} s, {:.0} rows/request)",
                    run.counts.data_responses as f64 / run.wall_s,
                    run.counts.data_responses,
                    run.wall_s,
                    rows_per_request(run)
                ),
                goal: String::new(),
                met: None,
            });
            targets.push(Target {
                name: "  (info) throttle on: steady-state bound, 20 req/s x rows/request"
                    .to_owned(),
                figure: format!(
                    "{:.1} % of the cap ({:.0} rows/s): what a long download at this page fill \
                     reaches",
                    f64::from(CAP_REQUESTS_PER_SECOND) * rows_per_request(run) / cap_rows_per_s
                        * 100.0,
                    f64::from(CAP_REQUESTS_PER_SECOND) * rows_per_request(run)
                ),
                goal: String::new(),
                met: None,
            });
        }
        Err(why) => targets.push(Target {
            name: "throttle on: rows/s as a share of the cap".to_owned(),
            figure: format!("not measured: {why}"),
            goal: format!(">= {:.0} %", TARGET_CAP_FRACTION * 100.0),
            met: Some(false),
        }),
    }
    let cli = find(&unthrottled, Client::Cli);
    if let Ok(run) = &cli {
        targets.push(Target {
            name: "  (info) throttle off: finra CLI requests/s (its pacer off: --rate off)"
                .to_owned(),
            figure: format!(
                "{:.1} req/s ({} data requests in {:.2} s)",
                run.counts.data_responses as f64 / run.wall_s,
                run.counts.data_responses,
                run.wall_s
            ),
            goal: String::new(),
            met: None,
        });
    }
    for (peer, goal) in [
        (Client::PlainLoop, Some(TARGET_SPEEDUP)),
        (Client::FinraPy, None),
    ] {
        let name = format!("throttle off: finra CLI / {} rows/s", peer.label());
        let name = if goal.is_some() {
            name
        } else {
            format!("  (info) {name}")
        };
        let (figure, met) = match (&cli, &find(&unthrottled, peer)) {
            (Ok(ours), Ok(theirs)) => {
                let ratio = ours.rows_per_s() / theirs.rows_per_s();
                (
                    format!(
                        "{ratio:.2}x ({:.0} / {:.0})",
                        ours.rows_per_s(),
                        theirs.rows_per_s()
                    ),
                    goal.map(|g| ratio >= g),
                )
            }
            (Err(why), _) | (_, Err(why)) => (format!("not measured: {why}"), goal.map(|_| false)),
        };
        targets.push(Target {
            name,
            figure,
            goal: goal.map_or_else(String::new, |g| format!(">= {g:.0}x")),
            met,
        });
    }
    let rss_pairs = std::iter::once((
        "finra CLI, throttle on",
        throttled.clone(),
        find(&smaller, Client::Cli),
        true,
    ))
    .chain(clients.iter().map(|&client| {
        (
            client.label(),
            find(&unthrottled, client),
            find(&smaller, client),
            client == Client::Cli,
        )
    }));
    for (label, big, little, judged) in rss_pairs {
        let (figure, met) = match (big, little) {
            (Ok(big), Ok(little)) => {
                let ratio = big.maxrss_kib as f64 / little.maxrss_kib as f64;
                (
                    format!(
                        "{ratio:.2}x ({:.1} MiB for {} rows / {:.1} MiB for {} rows; {:+.0} B \
                         per extra row)",
                        mib(big.maxrss_kib),
                        big.rows,
                        mib(little.maxrss_kib),
                        little.rows,
                        (big.maxrss_kib as f64 - little.maxrss_kib as f64) * 1024.0
                            / (big.rows as f64 - little.rows as f64)
                    ),
                    judged.then_some(ratio <= TARGET_FLAT_RSS),
                )
            }
            (Err(why), _) | (_, Err(why)) => {
                (format!("not measured: {why}"), judged.then_some(false))
            }
        };
        let name = format!("memory flat: peak RSS ratio, {label}");
        targets.push(Target {
            name: if judged {
                name
            } else {
                format!("  (info) {name}")
            },
            figure,
            goal: if judged {
                format!("<= {TARGET_FLAT_RSS:.2}x")
            } else {
                String::new()
            },
            met,
        });
    }
    if let (Ok(ours), Ok(theirs)) = (&cli, find(&unthrottled, Client::PlainLoop)) {
        targets.push(Target {
            name: "  (info) peak RSS finra CLI / plain loop".to_owned(),
            figure: format!(
                "{:.2}x ({:.1} / {:.1} MiB)",
                mib(ours.maxrss_kib) / mib(theirs.maxrss_kib),
                mib(ours.maxrss_kib),
                mib(theirs.maxrss_kib)
            ),
            goal: String::new(),
            met: None,
        });
    }

    println!();
    println!("{:<66} {:<8} {:<7} figure", "target", "goal", "result");
    for target in &targets {
        println!(
            "{:<66} {:<8} {:<7} {}",
            target.name,
            target.goal,
            target.met.map_or("", verdict),
            target.figure
        );
    }
    let all_met = targets.iter().all(|t| t.met != Some(false));
    println!();
    println!(
        "emulator in this process: phase 1 throttle {CAP_REQUESTS_PER_SECOND} req/s, phase 2 \
         throttle off; wall time is the client process's, start to exit (token, planning and \
         writing included); rows = NDJSON lines written, checked against Record-Total; {}",
        if all_met {
            "all targets met"
        } else {
            "SOME TARGETS MISSED"
        }
    );
}
