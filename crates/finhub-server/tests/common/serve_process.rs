//! `finhub serve` as a child process over a test hub's database, keys and issuer (the kill
//! tests): its settings passed as `FINHUB_…` variables, its address read from its first line,
//! killed with SIGKILL when asked or dropped.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use finhub_server::config::RawConfig;

use super::test_hub::ISSUER;

/// A `finhub serve` process.
pub(crate) struct ServeProcess {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl ServeProcess {
    /// Starts `finhub serve` on a free loopback port with `raw`'s database, keys and access-token
    /// lifetime, the test issuer, plain HTTP, FINRA unpaced, and `extra` variables.
    pub(crate) fn start(raw: &RawConfig, extra: &[(&str, String)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_finhub"));
        command
            .arg("serve")
            .env_clear()
            .env("RUST_LOG", "warn")
            .env("FINHUB_LISTEN", "127.0.0.1:0")
            .env("FINHUB_PUBLIC_URL", ISSUER)
            .env("FINHUB_DATABASE_URL", &raw.database_url)
            .env(
                "FINHUB_KEYS__SESSION_SECRET",
                raw.keys.session_secret.clone().unwrap_or_default(),
            )
            .env(
                "FINHUB_KEYS__DATA_KEY",
                raw.keys.data_key.clone().unwrap_or_default(),
            )
            .env("FINHUB_TLS__PLAIN_HTTP", "true")
            .env(
                "FINHUB_SESSIONS__ACCESS_TOKEN_TTL_SECS",
                raw.sessions
                    .access_token_ttl_secs
                    .unwrap_or(900)
                    .to_string(),
            )
            .env("FINHUB_UPSTREAM__REQUESTS_PER_SECOND", "0");
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start finhub serve");
        let stdout = child.stdout.take().expect("stdout");
        let (line, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = line.send(first);
        });
        let first = received
            .recv_timeout(Duration::from_secs(30))
            .expect("finhub serve says where it listens");
        let addr: SocketAddr = first
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("finhub serve's first line: {first:?}"));
        Self { child, addr }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL, and waits for the process to be gone.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
