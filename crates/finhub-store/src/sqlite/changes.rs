//! `ChangeFeedStore` over SQLite: a SQLite database serves one hub instance, whose own changes
//! already reach its caches directly, so there is no feed.

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::store::{ChangeFeed, ChangeFeedStore};

use super::SqliteStore;

#[async_trait]
impl ChangeFeedStore for SqliteStore {
    async fn watch_changes(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError> {
        Ok(None)
    }
}
