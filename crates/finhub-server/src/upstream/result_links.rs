//! The hub's own result links for FINRA's asynchronous results: FINRA's pre-signed link,
//! sealed with the hub's data key together with the tenant and an expiry, so a client can fetch
//! the result through the hub without a token and without ever seeing FINRA's link.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use finhub_clock::SharedClock;
use finhub_core::crypto::DataKey;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a sealed link carries.
#[derive(Serialize, Deserialize)]
pub struct SealedLink {
    /// The tenant whose upstream produced the result.
    pub tenant: String,
    /// FINRA's pre-signed link.
    pub upstream: String,
    /// Unix seconds after which the hub refuses the link.
    pub expires: i64,
}

impl fmt::Debug for SealedLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedLink")
            .field("tenant", &self.tenant)
            .field("upstream", &"[sealed]")
            .field("expires", &self.expires)
            .finish()
    }
}

const CONTEXT: &str = "finhub-result-link";

/// Seals and opens result links with the data key.
#[derive(Debug, Clone)]
pub struct ResultLinks {
    data_key: Arc<DataKey>,
    clock: SharedClock,
    lifetime: time::Duration,
}

impl ResultLinks {
    /// Links valid for `lifetime` (never longer than FINRA's own).
    pub fn new(data_key: Arc<DataKey>, clock: SharedClock, lifetime: time::Duration) -> Self {
        Self {
            data_key,
            clock,
            lifetime,
        }
    }

    /// The opaque path segment for a FINRA link.
    pub fn seal(&self, tenant: &str, upstream: &str) -> Option<String> {
        let link = SealedLink {
            tenant: tenant.to_owned(),
            upstream: upstream.to_owned(),
            expires: (self.clock.now_utc() + self.lifetime).unix_timestamp(),
        };
        let plaintext = serde_json::to_vec(&link).ok()?;
        let sealed = self.data_key.seal(&plaintext, CONTEXT).ok()?;
        Some(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens a segment made by [`ResultLinks::seal`]; `None` if forged or expired.
    pub fn open(&self, segment: &str, now: OffsetDateTime) -> Option<SealedLink> {
        let sealed = URL_SAFE_NO_PAD.decode(segment).ok()?;
        let plaintext = self.data_key.open(&sealed, CONTEXT).ok()?;
        let link: SealedLink = serde_json::from_slice(&plaintext).ok()?;
        (link.expires > now.unix_timestamp()).then_some(link)
    }
}
