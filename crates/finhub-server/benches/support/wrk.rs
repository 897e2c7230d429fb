//! Load from `wrk` (Debian's package): one run against a hub, its rate, p50 and non-2xx count
//! printed on one line, and the Lua script of a JSON `POST` with the hub's login headers.

use std::path::Path;
use std::process::Command;

/// Seconds of each wrk run.
pub(crate) const SECONDS: &str = "6";

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
    run_for(dir, base, label, path, connections, script, SECONDS)
}

/// [`run`] for `seconds`.
pub(crate) fn run_for(
    dir: &Path,
    base: &str,
    label: &str,
    path: &str,
    connections: &str,
    script: Option<&str>,
    seconds: &str,
) -> f64 {
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
    rate
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
