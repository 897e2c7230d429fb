//! Redis for tests: the shared server `REDIS_TEST_URL` names (default: the local one) with a key
//! prefix no other run uses (keys expire by themselves, nothing is flushed), and
//! [`OwnRedisServer`], a `redis-server` of the test's own on a free port, for tests that stop
//! it, restart it or flush its scripts.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The variable naming the shared Redis the tests use.
pub const REDIS_VARIABLE: &str = "REDIS_TEST_URL";

/// The shared Redis the tests use.
pub fn redis_url() -> String {
    std::env::var(REDIS_VARIABLE).unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A key prefix no other test or run uses; `label` goes into it.
pub fn redis_test_prefix(label: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("finhub_test:{}:{n}:{nanos}:{label}", std::process::id())
}

/// A `redis-server` of the test's own (no persistence, loopback only), stopped when this goes.
#[derive(Debug)]
pub struct OwnRedisServer {
    address: SocketAddr,
    process: Option<Child>,
    /// Over TLS only: the certificate and key files (PEM) it serves with.
    tls: Option<(PathBuf, PathBuf)>,
}

impl OwnRedisServer {
    /// Starts one on a free port and waits until it answers.
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not answer within ten seconds.
    pub fn start() -> Self {
        Self::on_a_free_port(None)
    }

    /// Like [`OwnRedisServer::start`], but speaking only TLS with this certificate chain and key
    /// (PEM files; no client certificates asked).
    ///
    /// # Panics
    /// As [`OwnRedisServer::start`].
    pub fn start_tls(cert_file: &Path, key_file: &Path) -> Self {
        Self::on_a_free_port(Some((cert_file.to_owned(), key_file.to_owned())))
    }

    fn on_a_free_port(tls: Option<(PathBuf, PathBuf)>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self {
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            process: None,
            tls,
        };
        server.restart();
        server
    }

    /// Its URL (`rediss://` over TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://{}", self.address)
    }

    /// Sends it one command (`SCRIPT FLUSH`, `CLIENT PAUSE …`), ignoring the reply.
    ///
    /// # Panics
    /// When it does not accept the command.
    pub async fn command(&self, args: &[&str]) {
        self.reply(args).await;
    }

    /// Sends it one command whose reply is text (`INFO commandstats`), and returns the reply.
    ///
    /// # Panics
    /// When it does not accept the command, or its reply is not text.
    pub async fn reply(&self, args: &[&str]) -> String {
        let client = redis::Client::open(self.url()).expect("a valid URL");
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the test's redis-server");
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command
            .query_async::<String>(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("{args:?}: {error}"))
    }

    /// Kills it (SIGKILL): clients see their connections drop and new ones refused.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Starts it again on the same port (empty: no data, no scripts), waiting until it answers.
    ///
    /// # Panics
    /// As [`OwnRedisServer::start`].
    pub fn restart(&mut self) {
        self.stop();
        let port = self.address.port().to_string();
        let mut command = Command::new("redis-server");
        command.args(["--bind", "127.0.0.1"]);
        match &self.tls {
            None => {
                command.args(["--port", &port]);
            }
            Some((cert, key)) => {
                command
                    .args([
                        "--port",
                        "0",
                        "--tls-port",
                        &port,
                        "--tls-auth-clients",
                        "no",
                    ])
                    .arg("--tls-cert-file")
                    .arg(cert)
                    .arg("--tls-key-file")
                    .arg(key);
            }
        }
        let process = command
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("tests that stop Redis start their own redis-server (scripts/test.sh installs it): {error}")
            });
        self.process = Some(process);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(self.address).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start listening on {} within ten seconds",
                self.address
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for OwnRedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
