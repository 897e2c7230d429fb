//! Load from `wrk` (Debian's package): one run against a hub, its rate, p50 and non-2xx count
//! printed on one line, and the Lua script of a JSON `POST` with the hub's login headers.

use std::path::Path;
use std::process::Command;

/// Seconds of each wrk run.
pub(crate) const SECONDS: &str = "6";

/// What one wrk run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measured {
    /// Requests per second.
    pub(crate) rate: f64,
    /// Median latency in milliseconds (`NaN` when wrk did not report one).
    pub(crate) p50_ms: f64,
}

/// Runs wrk (`-t1`, `connections`) for [`SECONDS`] against `base` + `path`, with `script`
/// (written into `dir`) when given; prints a line and returns the requests/s.
pub(crate) fn run(
    dir: &Path,
    base: &str,
    label: &str,
    path: &str,
    connections: &str,
    script: Option<&str>,
) -> f64 {
    run_for(dir, base, label, path, connections, script, SECONDS).rate
}

/// [`run`] for `seconds`, with the median latency too.
pub(crate) fn run_for(
    dir: &Path,
    base: &str,
    label: &str,
    path: &str,
    connections: &str,
    script: Option<&str>,
    seconds: &str,
) -> Measured {
    let mut command = Command::new("wrk");
    command.args(["-t1", "-c", connections, "-d", seconds, "--latency"]);
    if let Some(script) = script {
        let file_name: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = dir.join(format!("{file_name}.lua"));
        std::fs::write(&path, script).expect("lua script");
        command.arg("-s").arg(path);
    }
    command.arg(format!("{base}{path}"));
    let output = command.output().expect("run wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    let rate = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or(0.0);
    let p50 = text
        .lines()
        .find(|l| l.trim_start().starts_with("50%"))
        .map_or("?", |l| l.split_whitespace().nth(1).unwrap_or("?"))
        .to_owned();
    let non_2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map_or("0".to_owned(), |l| {
            l.split(':').nth(1).unwrap_or("?").trim().to_owned()
        });
    println!("{label:<46} {rate:>10.0} req/s  p50 {p50:>8}  non-2xx {non_2xx}");
    Measured {
        rate,
        p50_ms: milliseconds(&p50).unwrap_or(f64::NAN),
    }
}

/// wrk's latency text (`412.00us`, `1.25ms`, `2.00s`) in milliseconds.
fn milliseconds(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// A wrk script that `POST`s `body` as JSON with the headers a login needs, for `tenant`.
pub(crate) fn post_script(body: &serde_json::Value, tenant: &str) -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = [[{}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"sec-ch-ua-platform\"] = \"Linux\"\nwrk.headers[\"X-Forwarded-For\"] = \"127.0.0.1\"\n\
         wrk.headers[\"User-Agent\"] = \"wrk\"\nwrk.headers[\"X-Tenant-ID\"] = \"{tenant}\"\n",
        serde_json::to_string(body).expect("json")
    )
}
