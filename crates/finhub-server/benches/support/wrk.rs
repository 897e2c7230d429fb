//! Load from `wrk` (Debian's package): its report read (rate, p50, what went wrong), one run
//! against a hub printed on one line, and the Lua script of a JSON `POST` with the hub's login
//! headers.

use std::path::Path;
use std::process::Command;

/// Seconds of each wrk run.
pub(crate) const SECONDS: &str = "6";

/// What one wrk run measured.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    /// Requests per second (0 when wrk did not report a rate).
    pub(crate) rate: f64,
    /// Median latency in milliseconds (`NaN` when wrk did not report one).
    pub(crate) p50_ms: f64,
    /// Answers outside 2xx and 3xx.
    pub(crate) non_2xx: u64,
    /// wrk's socket-error line, when it printed one.
    pub(crate) socket_errors: Option<String>,
}

impl Measured {
    /// Reads the report of a `wrk --latency` run.
    pub(crate) fn parse(report: &str) -> Self {
        let line = |starts: &str| {
            report
                .lines()
                .map(str::trim_start)
                .find(|line| line.starts_with(starts))
        };
        let value = |starts: &str, field: usize| line(starts)?.split_whitespace().nth(field);
        Self {
            rate: value("Requests/sec:", 1)
                .and_then(|rate| rate.parse().ok())
                .unwrap_or(0.0),
            p50_ms: value("50%", 1).and_then(milliseconds).unwrap_or(f64::NAN),
            non_2xx: line("Non-2xx")
                .and_then(|line| line.rsplit(':').next()?.trim().parse().ok())
                .unwrap_or(0),
            socket_errors: line("Socket errors").map(str::to_owned),
        }
    }

    /// What went wrong in the run (non-2xx answers, socket errors), `; `-joined; empty when
    /// nothing did.
    pub(crate) fn problems(&self) -> String {
        let non_2xx = (self.non_2xx > 0).then(|| format!("{} non-2xx answers", self.non_2xx));
        non_2xx
            .into_iter()
            .chain(self.socket_errors.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }
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
    let measured = report_of(&mut command);
    println!(
        "{label:<46} {:>10.0} req/s  p50 {:>7.2}ms  non-2xx {}",
        measured.rate, measured.p50_ms, measured.non_2xx
    );
    measured
}

/// Runs `command` (a `wrk --latency` run, whatever it is wrapped in) and reads its report.
pub(crate) fn report_of(command: &mut Command) -> Measured {
    let output = command.output().expect("run wrk (apt-get install wrk)");
    Measured::parse(&String::from_utf8_lossy(&output.stdout))
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
