//! Tokens shared between processes minting for the same credential (several hub instances behind
//! a load balancer): a [`TokenManager`](crate::TokenManager) given [`SharedTokens`] first adopts a
//! token another process stored, and otherwise mints under a lock all of them share, re-reading
//! the stored token once it holds the lock — so however many processes and tasks need a token at
//! once, one mint happens. Where the tokens are kept and how the lock works is the implementer's
//! (the hub: sealed in PostgreSQL under an advisory lock). When the share fails, the manager
//! mints alone and says so in the log: a shared store being down never stops data calls.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use time::OffsetDateTime;

/// Why the share could not be used (for the log).
pub type ShareError = Box<dyn std::error::Error + Send + Sync>;

/// A token as processes share it. `Debug` never shows it.
#[derive(Clone)]
pub struct SharedToken {
    /// The token.
    pub secret: SecretString,
    /// When it ends (wall time: processes share no monotonic clock).
    pub expires_at: OffsetDateTime,
    /// Its whole lifetime (for the refresh margin).
    pub lifetime: Duration,
}

impl fmt::Debug for SharedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedToken")
            .field("secret", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// Where the processes minting for one credential keep its token, and the lock they mint under.
#[async_trait]
pub trait SharedTokens: Send + Sync + fmt::Debug {
    /// The token stored last, if any (without the lock).
    async fn load(&self) -> Result<Option<SharedToken>, ShareError>;
    /// Waits for the lock every process minting for this credential shares; it is held until
    /// the returned guard stores a token or is released (or its holder goes away).
    async fn lock(&self) -> Result<Box<dyn SharedTokenLock>, ShareError>;
}

/// The held lock of [`SharedTokens::lock`].
#[async_trait]
pub trait SharedTokenLock: Send {
    /// The token stored last, read under the lock.
    async fn load(&mut self) -> Result<Option<SharedToken>, ShareError>;
    /// Stores a newly minted token and releases the lock.
    async fn store(self: Box<Self>, token: &SharedToken) -> Result<(), ShareError>;
    /// Releases the lock without storing anything.
    async fn release(self: Box<Self>);
}
