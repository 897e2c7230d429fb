//! A callback run each time a token is minted (FINRA) or exchanged (TRAQS) by this process —
//! not when one is adopted from the cache or from another process — so an embedding service
//! can count its mints.

use std::fmt;
use std::sync::Arc;

/// Called after every successful mint. Cheap to clone.
#[derive(Clone)]
pub struct OnMint(Arc<dyn Fn() + Send + Sync>);

impl OnMint {
    /// Runs `callback` after every mint; it must be quick (it runs on the minting task).
    pub fn new(callback: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Arc::new(callback))
    }

    pub(crate) fn minted(&self) {
        (self.0)();
    }
}

impl fmt::Debug for OnMint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnMint")
    }
}
