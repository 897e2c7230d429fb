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

/// What consulting the share gave a process about to mint.
pub(crate) enum Consulted<T> {
    /// A fresh token another process stored, taken as this process's own.
    Adopted(T),
    /// The lock, held, and nothing usable stored: mint, then store.
    Locked(Box<dyn SharedTokenLock>),
    /// The share failed (logged): mint alone.
    Unavailable,
}

/// Consults the share before minting: a stored token `adopt` accepts, or else the lock —
/// re-reading the store once it is held, since the previous holder may just have stored one —
/// or, when the share fails, nothing (this process then mints alone, and the log says so).
pub(crate) async fn consult<T>(
    shared: &dyn SharedTokens,
    mut adopt: impl FnMut(Option<SharedToken>) -> Option<T>,
) -> Consulted<T> {
    match shared.load().await {
        Ok(stored) => {
            if let Some(token) = adopt(stored) {
                return Consulted::Adopted(token);
            }
        }
        Err(error) => {
            tracing::warn!(%error, "the shared token store is unavailable; minting alone");
            return Consulted::Unavailable;
        }
    }
    let mut lock = match shared.lock().await {
        Ok(lock) => lock,
        Err(error) => {
            tracing::warn!(%error, "the shared token lock is unavailable; minting alone");
            return Consulted::Unavailable;
        }
    };
    match lock.load().await {
        Ok(stored) => match adopt(stored) {
            Some(token) => {
                lock.release().await;
                Consulted::Adopted(token)
            }
            None => Consulted::Locked(lock),
        },
        Err(error) => {
            tracing::warn!(%error, "reading the shared token failed; minting alone");
            lock.release().await;
            Consulted::Unavailable
        }
    }
}

/// After a mint under `lock` (if held): stores the new token for the other processes, or
/// releases the lock when the mint failed.
pub(crate) async fn finish<T, E>(
    lock: Option<Box<dyn SharedTokenLock>>,
    minted: &Result<T, E>,
    shared: impl FnOnce(&T) -> SharedToken,
) {
    let Some(lock) = lock else {
        return;
    };
    match minted {
        Ok(token) => {
            if let Err(error) = lock.store(&shared(token)).await {
                tracing::warn!(%error, "storing the minted token for the other instances failed");
            }
        }
        Err(_) => lock.release().await,
    }
}
