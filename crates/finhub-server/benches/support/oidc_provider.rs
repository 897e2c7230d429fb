//! oidc-provider (npm), the anchor the hub's logins and session checks are measured beside:
//! `bench/oidc-provider/server.mjs` started from the directory `bench/hub.sh` installed it in
//! (`OIDC_PROVIDER_DIR`), as one process or a cluster, with opaque or HS256 JWT access tokens;
//! and the wrk scripts of its client-credentials grant and its token introspection.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

/// The client the anchor knows, and its secret.
const CLIENT_ID: &str = "bench";
const CLIENT_SECRET: &str = "bench-client-secret-0123456789abcdef";

/// How its access tokens look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Opaque,
    Jwt,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Self::Opaque => "opaque",
            Self::Jwt => "jwt",
        }
    }
}

/// One running oidc-provider, stopped when dropped.
pub(crate) struct OidcProvider {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    /// What `Display` prints: "oidc-provider opaque, 1 process".
    pub(crate) label: String,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `bench/hub.sh` installed oidc-provider (with the server script beside it), if it did.
pub(crate) fn installed() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("OIDC_PROVIDER_DIR")?);
    dir.join("node_modules/oidc-provider")
        .is_dir()
        .then_some(dir)
}

/// The installed oidc-provider's version.
pub(crate) fn version(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(dir.join("node_modules/oidc-provider/package.json"))
        .unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|package| package["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

impl OidcProvider {
    /// Starts one with `format` tokens in `workers` processes; waits (at most 30 s) until it
    /// listens.
    pub(crate) fn start(dir: &std::path::Path, format: Format, workers: u32) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(dir)
            .env("NODE_ENV", "production")
            .env("PORT", port.to_string())
            .env("FORMAT", format.as_str())
            .env("WORKERS", workers.to_string())
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs oidc-provider");
        let stdout = child.stdout.take().expect("its output");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "ready" {
                    let _ = ready_tx.send(());
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        ready_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("oidc-provider listens within 30 s");
        let processes = if workers == 1 {
            "1 process".to_owned()
        } else {
            format!("{workers}-worker cluster")
        };
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            label: format!("oidc-provider {}, {processes}", format.as_str()),
        }
    }

    /// An access token from its client-credentials grant.
    pub(crate) async fn token(&self) -> String {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/token", self.base))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .expect("oidc-provider answers")
            .json()
            .await
            .expect("a token answer");
        body["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}

fn basic() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
}

/// The wrk script of its client-credentials grant (`POST /token`, `client_secret_basic`).
pub(crate) fn grant_script() -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = \"grant_type=client_credentials\"\n\
         wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
         wrk.headers[\"Authorization\"] = \"Basic {}\"\n",
        basic()
    )
}

/// The wrk script of introspecting `token` (`POST /token/introspection`).
pub(crate) fn introspection_script(token: &str) -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = \"token={token}\"\n\
         wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
         wrk.headers[\"Authorization\"] = \"Basic {}\"\n",
        basic()
    )
}
