//! The running emulator's shared state, and the handle tests use to control and observe it.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

use crate::asyncreq::AsyncJobs;
use crate::config::EmulatorConfig;
use crate::counters::Counters;
use crate::data::Catalogue;
use crate::faults::Faults;
use crate::throttle::Throttler;
use crate::tokens::TokenRegistry;
use crate::traqs::Accounts;

/// An emulator: its data, issued tokens, counters and fault queues. Cheap to clone; every clone
/// is the same emulator.
#[derive(Debug, Clone)]
pub struct Emulator {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: EmulatorConfig,
    pub(crate) catalogue: Catalogue,
    pub(crate) tokens: TokenRegistry,
    pub(crate) throttler: Throttler,
    pub(crate) counters: Counters,
    pub(crate) faults: Faults,
    pub(crate) async_jobs: AsyncJobs,
    /// TRAQS accounts and tokens of this emulator's environment.
    pub(crate) traqs: Accounts,
    /// The address `serve` listens on (for absolute links when a request has no `Host`).
    pub(crate) local_addr: OnceLock<SocketAddr>,
    /// Becomes `true` when the server starts shutting down (ends injected hangs).
    pub(crate) shutting_down: watch::Sender<bool>,
}

impl Emulator {
    /// Generates the data and sets up an emulator for `config`. Nothing listens yet: see
    /// [`Emulator::serve`] or [`crate::spawn`].
    pub fn new(config: EmulatorConfig) -> Self {
        let catalogue = Catalogue::generate(config.seed, config.scale);
        let throttler = Throttler::new(config.throttle);
        Self {
            inner: Arc::new(Inner {
                catalogue,
                throttler,
                tokens: TokenRegistry::default(),
                counters: Counters::default(),
                faults: Faults::default(),
                async_jobs: AsyncJobs::default(),
                traqs: Accounts::new(config.traqs.clone(), config.clock.clone()),
                local_addr: OnceLock::new(),
                shutting_down: watch::Sender::new(false),
                config,
            }),
        }
    }

    /// Live counters: tokens minted, responses per path and status, 429s sent.
    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Fault queues: make the next token or data calls fail.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// The configuration this emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// TRAQS access tokens minted (exchanges of refresh tokens).
    pub fn traqs_access_tokens_minted(&self) -> u64 {
        self.inner.traqs.access_tokens_minted()
    }

    /// TRAQS refresh tokens minted (by signed-in users).
    pub fn traqs_refresh_tokens_minted(&self) -> u64 {
        self.inner.traqs.refresh_tokens_minted()
    }

    /// The datasets it serves.
    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.catalogue
    }
}
