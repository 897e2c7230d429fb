//! The `finhub` binary as an operator runs it: `serve` with the printed example's keys starts
//! in the integration profile but warns, its log lines are JSON objects when `[log] format =
//! "json"` says so, without colour codes when standard error is not a terminal, and the
//! example's relative database path lands beside the config file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_warns_about_placeholder_keys_in_json_lines_without_colours() {
    let dir = std::env::temp_dir().join(format!("finhub-binary-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let example = Command::new(env!("CARGO_BIN_EXE_finhub"))
        .arg("print-config")
        .output()
        .expect("print-config");
    let config = String::from_utf8(example.stdout)
        .expect("text")
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("format = \"text\"", "format = \"json\"");
    let file = dir.join("finhub.toml");
    std::fs::write(&file, config).expect("write the config");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_finhub"))
        .arg("serve")
        .arg("--config")
        .arg(&file)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start finhub serve");
    let received = lines_of(serve.stderr.take().expect("stderr"));
    let listening = lines_of(serve.stdout.take().expect("stdout"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut warnings = Vec::new();
    while warnings.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = received.recv_timeout(left) else {
            break;
        };
        warnings.push(line);
    }
    let first = listening.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    let database_beside_the_config = dir.join("finhub.db").is_file();
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        first.is_ok_and(|line| line.starts_with("listening on http://127.0.0.1:")),
        "the integration profile starts"
    );
    assert!(database_beside_the_config);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    for (line, key) in warnings
        .iter()
        .zip(["keys.session_secret", "keys.data_key"])
    {
        assert!(!line.contains('\u{1b}'), "no colour codes: {line:?}");
        let event: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert_eq!(event["level"], "WARN", "{line}");
        let message = event["fields"]["message"].as_str().expect("a message");
        assert!(
            message.starts_with(key) && message.contains("openssl rand"),
            "{line}"
        );
    }
}

/// The lines a child writes to a pipe, as they come.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            if lines.send(line.unwrap_or_default()).is_err() {
                return;
            }
        }
    });
    received
}
