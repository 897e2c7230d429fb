//! `UpstreamTokenStore` over SQLite: a SQLite database serves one hub instance, which needs no
//! token shared with others (its token manager already mints one at a time), so nothing is kept
//! and there is no lock to take.

use std::time::Duration;

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::model::{StoredUpstreamToken, UpstreamTokenKey};
use finhub_core::store::{UpstreamTokenLock, UpstreamTokenStore};

use super::SqliteStore;

/// Why there is no lock.
#[derive(Debug, thiserror::Error)]
#[error("SQLite serves one instance: upstream tokens are not shared")]
struct NotShared;

#[async_trait]
impl UpstreamTokenStore for SqliteStore {
    fn shares_upstream_tokens(&self) -> bool {
        false
    }

    async fn upstream_token(
        &self,
        _key: &UpstreamTokenKey,
    ) -> Result<Option<StoredUpstreamToken>, StoreError> {
        Ok(None)
    }

    async fn lock_upstream_token(
        &self,
        _key: &UpstreamTokenKey,
        _hold_for: Duration,
    ) -> Result<Box<dyn UpstreamTokenLock>, StoreError> {
        Err(StoreError::Unavailable(Box::new(NotShared)))
    }
}
