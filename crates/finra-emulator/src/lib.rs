//! An offline, faithful emulator of FINRA's API platform: the FIP OAuth2 token service, the Query
//! API (data, metadata, partitions, datasets, async requests) and synthetic datasets, with the
//! controls tests need (shared clock, counters, fault injection).
//!
//! Run it in-process on an ephemeral port:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use finra_emulator::{EmulatorConfig, Fault, spawn};
//!
//! let emulator = spawn(EmulatorConfig::default()).await?;
//! let url = format!("{}/data/group/otcMarket/name/weeklySummary", emulator.base_url());
//! emulator.faults().fail_next_data_calls(1, Fault::ServiceUnavailable);
//! // … call `url` with any HTTP client; the first call gets 503 …
//! assert_eq!(emulator.counters().tokens_minted(), 0);
//! # Ok(()) }
//! ```
//!
//! Or serve on your own listener with [`serve`] / [`Emulator::serve`].

mod asyncreq;
pub mod config;
mod counters;
pub mod data;
mod faults;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod http;
mod query;
mod state;
mod throttle;
mod tokens;
pub mod traqs;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    AsyncTimings, Credential, EmptyResult, EmulatorConfig, RowOrder, Scale, Throttle, Tier,
};
pub use counters::Counters;
pub use faults::{Fault, FaultTarget, Faults};
pub use state::Emulator;

/// The token service's path.
pub const TOKEN_PATH: &str = "/fip/rest/ews/oauth2/access_token";

/// Generates the data for `config` and serves the emulator on `listener` until `shutdown`
/// completes; requests in flight are finished first.
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    Emulator::new(config).serve(listener, shutdown).await
}

impl Emulator {
    /// Serves this emulator on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let _ = self.inner.local_addr.set(listener.local_addr()?);
        let shutting_down = self.inner.shutting_down.clone();
        let app = http::router(self).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                shutting_down.send_replace(true);
            })
            .await
    }
}

/// An emulator serving on `127.0.0.1` on an ephemeral port, stopped when dropped.
#[derive(Debug)]
pub struct RunningEmulator {
    emulator: Emulator,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts an emulator for `config` on `127.0.0.1:0`.
pub async fn spawn(config: EmulatorConfig) -> std::io::Result<RunningEmulator> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let emulator = Emulator::new(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(emulator.clone().serve(listener, async move {
        let _ = stopped.await;
    }));
    Ok(RunningEmulator {
        emulator,
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

impl RunningEmulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Query API base URL, e.g. `http://127.0.0.1:40123` (FINRA's `https://api.finra.org`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token URL (FINRA's `https://ews.fip.finra.org/fip/rest/ews/oauth2/access_token`).
    pub fn token_url(&self) -> String {
        format!("http://{}{TOKEN_PATH}", self.addr)
    }

    /// The emulator itself: counters, faults, config, catalogue.
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Live counters.
    pub fn counters(&self) -> &Counters {
        self.emulator.counters()
    }

    /// Fault queues.
    pub fn faults(&self) -> &Faults {
        self.emulator.faults()
    }

    /// Stops serving and waits until in-flight requests are done.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
