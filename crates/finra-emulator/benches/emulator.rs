//! Emulator benchmark at `--scale full`: how fast it serves 5 000-row JSON pages of
//! weeklySummary (filtered and unfiltered paged scan), and how much memory the whole emulator
//! process uses, against a baseline measured in the same run: serialising the same rows with
//! `serde_json` alone.
//!
//! Run: `cargo bench -p finra-emulator --bench emulator` (or `bench/emulator.sh`). The emulator
//! runs as its own process (the release binary, throttle off) so its resident memory is its own;
//! the load generator is this process, on the same two cores, one keep-alive connection.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ITERATIONS: usize = 40;
const PAGE: usize = 5_000;
const TARGET_MEDIAN: Duration = Duration::from_millis(20);
const TARGET_RSS_KIB: u64 = 1024 * 1024;

struct EmulatorProcess {
    child: Child,
    base_url: String,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_emulator() -> EmulatorProcess {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_finra-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--scale",
            "full",
            "--throttle",
            "off",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the finra-emulator binary");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut first_line = String::new();
    reader
        .read_line(&mut first_line)
        .expect("read the emulator's first line");
    // Keep draining its stdout so the emulator never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base_url = first_line
        .trim()
        .strip_prefix("listening on ")
        .expect("first line is `listening on http://ADDR`")
        .to_owned();
    println!(
        "emulator --scale full ready in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    EmulatorProcess { child, base_url }
}

/// `(VmRSS, VmHWM)` of a process in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx]
}

fn summary(label: &str, mut times: Vec<Duration>, baseline: Duration) -> Duration {
    times.sort();
    let median = percentile(&times, 0.5);
    println!(
        "{label:<44} median {:>7.2} ms  p90 {:>7.2} ms  = {:>5.2}x serde_json baseline  (target < {} ms: {})",
        median.as_secs_f64() * 1e3,
        percentile(&times, 0.9).as_secs_f64() * 1e3,
        median.as_secs_f64() / baseline.as_secs_f64(),
        TARGET_MEDIAN.as_millis(),
        if median < TARGET_MEDIAN {
            "met"
        } else {
            "MISSED"
        },
    );
    median
}

async fn timed_page(request: reqwest::RequestBuilder) -> (Duration, bytes::Bytes) {
    let started = Instant::now();
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200, "page status");
    let body = response.bytes().await.expect("body");
    (started.elapsed(), body)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let emulator = start_emulator();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let data_url = format!(
        "{}/data/group/otcMarket/name/weeklySummary",
        emulator.base_url
    );

    // A week and tier to filter on, from the emulator's own partitions.
    let partitions: Value = client
        .get(format!(
            "{}/partitions/group/otcMarket/name/weeklySummary",
            emulator.base_url
        ))
        .send()
        .await
        .expect("partitions")
        .json()
        .await
        .expect("partitions JSON");
    let first = &partitions["availablePartitions"][0]["partitions"];
    let (week, tier) = (first[0].clone(), first[1].clone());

    // Baseline: serialising one 5 000-row page with serde_json alone.
    let (_, sample) = timed_page(
        client
            .get(format!("{data_url}?limit={PAGE}"))
            .header("Accept", "application/json"),
    )
    .await;
    let rows: Vec<Value> = serde_json::from_slice(&sample).expect("rows");
    assert_eq!(rows.len(), PAGE, "a full page");
    let mut baseline_times: Vec<Duration> = (0..ITERATIONS)
        .map(|_| {
            let started = Instant::now();
            let bytes = serde_json::to_vec(&rows).expect("serialise");
            std::hint::black_box(bytes);
            started.elapsed()
        })
        .collect();
    baseline_times.sort();
    let baseline = percentile(&baseline_times, 0.5);
    println!(
        "page size {} rows = {} bytes of JSON ({} bytes a row)",
        rows.len(),
        sample.len(),
        sample.len() / rows.len()
    );
    println!(
        "{:<44} median {:>7.2} ms (baseline)",
        "serde_json::to_vec of the same 5 000 rows",
        baseline.as_secs_f64() * 1e3
    );

    let mut partition_filtered = Vec::new();
    let mut scan_filtered = Vec::new();
    let mut paged_scan = Vec::new();
    let filtered_body = json!({
        "limit": PAGE,
        "compareFilters": [
            {"fieldName": "weekStartDate", "fieldValue": week, "compareType": "EQUAL"},
            {"fieldName": "tierIdentifier", "fieldValue": tier, "compareType": "EQUAL"},
        ],
    });
    let scan_body = json!({
        "limit": PAGE,
        "compareFilters": [
            {"fieldName": "totalWeeklyShareQuantity", "fieldValue": "1000", "compareType": "GREATER"},
        ],
    });
    for iteration in 0..ITERATIONS {
        let (elapsed, _) = timed_page(
            client
                .post(&data_url)
                .header("Accept", "application/json")
                .json(&filtered_body),
        )
        .await;
        partition_filtered.push(elapsed);
        let (elapsed, _) = timed_page(
            client
                .post(&data_url)
                .header("Accept", "application/json")
                .json(&scan_body),
        )
        .await;
        scan_filtered.push(elapsed);
        let offset = iteration * PAGE;
        let (elapsed, _) = timed_page(
            client
                .get(format!("{data_url}?limit={PAGE}&offset={offset}"))
                .header("Accept", "application/json"),
        )
        .await;
        paged_scan.push(elapsed);
    }
    let medians = [
        summary(
            "filtered page (week + tier EQUAL)",
            partition_filtered,
            baseline,
        ),
        summary(
            "filtered page (scan: totalWeeklyShareQuantity>1000)",
            scan_filtered,
            baseline,
        ),
        summary(
            "unfiltered paged scan (offset += 5 000)",
            paged_scan,
            baseline,
        ),
    ];

    let (rss, hwm) = memory_kib(emulator.child.id());
    println!(
        "emulator memory: resident {:.0} MiB, peak {:.0} MiB (target < 1024 MiB: {})",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        if hwm < TARGET_RSS_KIB {
            "met"
        } else {
            "MISSED"
        }
    );
    let all_met = medians.iter().all(|m| *m < TARGET_MEDIAN) && hwm < TARGET_RSS_KIB;
    println!(
        "machine: {} cores; load generator on the same cores, one keep-alive connection; {}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        if all_met {
            "all targets met"
        } else {
            "SOME TARGETS MISSED"
        }
    );
}
