//! The hub the tests talk to: `finhub demo` in-process on a free port, its credentials, and its
//! counters as `/metrics` shows them.

use std::net::SocketAddr;
use std::path::PathBuf;

use finhub_client::{HubClient, HubClientBuilder};
use finhub_clock::{SharedClock, TokioClock};
use finhub_server::demo::{DemoOptions, prepare};
use secrecy::SecretString;
use serde_json::Value;

/// A running demo hub.
pub(crate) struct Hub {
    pub(crate) base: String,
    pub(crate) credentials: Value,
    pub(crate) clock: SharedClock,
    dir: PathBuf,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    _emulator: finra_emulator::RunningEmulator,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.served.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Hub {
    /// The integration demo.
    pub(crate) async fn integration() -> Self {
        Self::start("integration").await
    }

    /// The production demo: HTTPS, a client certificate bound to the demo customer.
    pub(crate) async fn production() -> Self {
        Self::start("production").await
    }

    async fn start(profile: &str) -> Self {
        let out = std::env::temp_dir().join(format!(
            "finhub-client-test-{}-{}.json",
            std::process::id(),
            rand_suffix()
        ));
        let options = DemoOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            profile: profile.to_owned(),
            credentials_out: Some(out.clone()),
            ..DemoOptions::default()
        };
        // The production demo's certificates are made on its clock: start at the real time.
        let clock = TokioClock::starting_at(time::OffsetDateTime::now_utc()).shared();
        let demo = prepare(&options, clock.clone())
            .await
            .expect("the demo starts");
        let credentials: Value =
            serde_json::from_slice(&std::fs::read(&out).expect("credentials")).expect("JSON");
        let _ = std::fs::remove_file(&out);
        let base = credentials["baseUrl"].as_str().expect("baseUrl").to_owned();
        let state = demo.state;
        let limits = state.http.connections.clone();
        let app = finhub_server::http::router(state);
        let served = match demo.tls {
            Some(tls) => tokio::spawn(finhub_server::serve_tls(
                demo.listener,
                app,
                limits,
                tls,
                clock.clone(),
                std::future::pending(),
            )),
            None => tokio::spawn(finhub_server::serve(
                demo.listener,
                app,
                limits,
                std::future::pending(),
            )),
        };
        Self {
            base,
            credentials,
            clock,
            dir: demo.dir,
            served,
            _emulator: demo.emulator,
        }
    }

    pub(crate) fn text(&self, key: &str) -> String {
        self.credentials[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}"))
            .to_owned()
    }

    /// A client builder for the demo tenant and customer, on the hub's clock.
    pub(crate) fn client(&self) -> HubClientBuilder {
        HubClient::builder(&self.base)
            .tenant(self.text("tenantId"))
            .customer(
                self.text("customerId"),
                SecretString::from(self.text("customerSecret")),
            )
            .clock(self.clock.clone())
    }

    /// A counter of the hub's `/metrics` (0 when it has not moved yet).
    pub(crate) async fn counter(&self, sample: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("/metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
