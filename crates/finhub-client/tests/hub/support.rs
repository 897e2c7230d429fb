//! The hub the tests talk to: `finhub demo` in-process on a free port, its credentials, and its
//! counters as `/metrics` shows them.

use std::net::SocketAddr;

use finhub_client::{HubClient, HubClientBuilder};
use finhub_clock::{SharedClock, TokioClock};
use finhub_server::demo::{DemoOptions, InProcess};
use secrecy::SecretString;
use serde_json::Value;

/// A running demo hub.
pub(crate) struct Hub {
    pub(crate) base: String,
    pub(crate) credentials: Value,
    pub(crate) clock: SharedClock,
    demo: InProcess,
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
        let options = DemoOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            profile: profile.to_owned(),
            ..DemoOptions::default()
        };
        // The production demo's certificates are made on its clock: start at the real time.
        let clock = TokioClock::starting_at(time::OffsetDateTime::now_utc()).shared();
        let demo = InProcess::start(&options, clock.clone())
            .await
            .expect("the demo starts");
        Self {
            base: demo.base_url().to_owned(),
            credentials: demo.credentials_json(),
            clock,
            demo,
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
        self.demo.metric(sample).await
    }
}
