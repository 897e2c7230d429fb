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

/// `finhub admin traqs login` as an operator runs it: the password and the authenticator's code
/// on stdin, a refresh token minted at the (emulated) TRAQS and stored sealed; `status` then
/// shows the user and its expiry, never the token.
#[tokio::test]
async fn admin_traqs_login_mints_and_stores_a_refresh_token() {
    use finra_emulator::traqs::{TraqsConfig, TraqsEnvironment, TraqsUser};
    use std::io::Write as _;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let user: TraqsUser = format!("ops@example.com:pass word:{SECRET}:ORF")
        .parse()
        .expect("user");
    let emulator = finra_emulator::spawn(finra_emulator::EmulatorConfig::default().with_traqs(
        TraqsConfig {
            environment: TraqsEnvironment::Production,
            users: vec![user],
            ..TraqsConfig::default()
        },
    ))
    .await
    .expect("emulator");
    let dir = std::env::temp_dir().join(format!("finhub-traqs-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let config = dir.join("finhub.toml");
    let example = Command::new(env!("CARGO_BIN_EXE_finhub"))
        .arg("print-config")
        .output()
        .expect("print-config");
    std::fs::write(&config, example.stdout).expect("config");
    let config_file = config.clone();
    let admin = move |args: &[&str], input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_finhub"))
            .arg("admin")
            .arg("--config")
            .arg(&config_file)
            .args(args)
            .env("USER", "ops")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("finhub admin");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("stdin written");
        let output = child.wait_with_output().expect("finished");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, _, err) = admin(
        &["tenant", "create", "--id", "1234567", "--name", "Acme"],
        "",
    );
    assert!(ok, "{err}");
    let code = finhub_core::mfa::TotpSecret::from_base32(SECRET)
        .expect("Base32")
        .code_at(time::OffsetDateTime::now_utc())
        .expect("a code");
    let code = secrecy::ExposeSecret::expose_secret(&code).to_owned();
    let base = emulator.base_url();
    let (ok, out, err) = tokio::task::spawn_blocking({
        let admin = admin.clone();
        let input = format!("pass word\n{code}\n");
        move || {
            admin(
                &[
                    "traqs",
                    "login",
                    "--tenant",
                    "1234567",
                    "--username",
                    "ops@example.com",
                    "--base-url",
                    &base,
                ],
                &input,
            )
        }
    })
    .await
    .expect("join");
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("TRAQS credential for production minted and set"),
        "{out}"
    );
    let (ok, status, err) = admin(&["traqs", "status", "--tenant", "1234567"], "");
    assert!(ok, "{err}");
    assert!(
        status.starts_with("production: ops@example.com (expires "),
        "{status}"
    );
    assert!(!format!("{out}{err}{status}").contains("trq_"));
    assert_eq!(emulator.emulator().traqs_refresh_tokens_minted(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `finhub completions SHELL`, `finhub man` and `finhub openapi` print what they generate.
#[test]
fn completions_man_page_and_api_description_are_printed() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_finhub"))
            .args(args)
            .output()
            .expect("finhub runs");
        assert!(output.status.success(), "{args:?}");
        String::from_utf8(output.stdout).expect("text")
    };
    let bash = run(&["completions", "bash"]);
    assert!(
        bash.contains("_finhub()") && bash.contains("print-config"),
        "{bash}"
    );
    assert!(run(&["completions", "zsh"]).starts_with("#compdef finhub"));
    assert!(run(&["completions", "fish"]).contains("complete -c finhub"));
    let man = run(&["man"]);
    assert!(
        man.contains(".TH finhub 1") && man.contains("serve"),
        "{man}"
    );
    assert_eq!(
        run(&["openapi"]),
        finhub_server::http::openapi::document_json()
    );
    let refused = Command::new(env!("CARGO_BIN_EXE_finhub"))
        .args(["completions", "tcsh"])
        .output()
        .expect("finhub runs");
    assert_eq!(refused.status.code(), Some(2), "a usage error");
}
