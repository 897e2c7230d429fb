//! [`InProcess`]: a demo served from this process, for the tests of the hub's clients (the SDK,
//! the `finra` CLI): the hub's one instance answering on its port, stopped and cleaned up when
//! dropped.

use std::path::PathBuf;

use finhub_clock::SharedClock;
use finra_emulator::RunningEmulator;

use super::{DemoCredentials, DemoOptions, prepare};

/// A demo hub serving in this process until dropped.
#[derive(Debug)]
pub struct InProcess {
    /// Its credentials, as `--credentials-out` writes them.
    pub credentials: DemoCredentials,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    dir: PathBuf,
    _emulator: RunningEmulator,
}

impl InProcess {
    /// Prepares the demo (`options`, on `clock`) and serves its first instance — HTTPS in the
    /// production profile.
    pub async fn start(options: &DemoOptions, clock: SharedClock) -> anyhow::Result<Self> {
        let demo = prepare(options, clock.clone()).await?;
        let state = demo.state;
        let limits = state.http.connections.clone();
        let app = crate::http::app(state);
        let served = match demo.tls {
            Some(tls) => tokio::spawn(crate::serve_tls(
                demo.listener,
                app,
                limits,
                tls,
                clock,
                std::future::pending(),
            )),
            None => tokio::spawn(crate::serve(
                demo.listener,
                app,
                limits,
                std::future::pending(),
            )),
        };
        Ok(Self {
            credentials: demo.credentials,
            served,
            dir: demo.dir,
            _emulator: demo.emulator,
        })
    }

    /// The hub's base URL.
    pub fn base_url(&self) -> &str {
        &self.credentials.base_url
    }

    /// A sample of the hub's `/metrics` (`name{labels}`), or 0 before it has moved (or when it
    /// cannot be read).
    pub async fn metric(&self, sample: &str) -> f64 {
        let Ok(answer) = reqwest::get(format!("{}/metrics", self.base_url())).await else {
            return 0.0;
        };
        let text = answer.text().await.unwrap_or_default();
        text.lines()
            .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// The credentials as JSON, as `--credentials-out` writes them.
    pub fn credentials_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.credentials).unwrap_or_default()
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.served.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
