//! Following the changes other instances over the same database make: a session they revoke, a
//! tenant they change, is dropped from this instance's session cache as soon as the change
//! commits, instead of up to the cache's 750 ms later. When changes may have been missed (the
//! feed's connection was lost), the whole cache is dropped.

use std::time::Duration;

use crate::error::StoreError;
use crate::model::Principal;
use crate::store::{ChangeFeed, StoreChange};

use super::Sessions;

/// How long to wait before opening a failed feed again.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

/// An open feed of the other instances' changes, ready to follow.
pub struct ChangeFollower {
    sessions: Sessions,
    feed: Box<dyn ChangeFeed>,
}

impl std::fmt::Debug for ChangeFollower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFollower").finish_non_exhaustive()
    }
}

impl Sessions {
    /// Follows the other instances' changes until the task is dropped; returns at once when the
    /// store has no feed (a database serving one instance). Failures are logged, the cache
    /// dropped, and the feed opened again after a second.
    pub async fn follow_changes(&self) {
        loop {
            match self.open_change_feed().await {
                Ok(Some(follower)) => {
                    if let Err(error) = follower.run().await {
                        tracing::warn!(%error, "the change feed failed; opening it again");
                    }
                }
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, "cannot follow the other instances' changes; retrying");
                }
            }
            self.ctx.sessions.clear();
            self.ctx.logins.clear();
            tokio::time::sleep(REOPEN_AFTER).await;
        }
    }

    /// Opens the feed (when it returns, changes committed from then on are seen) and drops
    /// what was cached before; `None` when the store has no feed.
    pub async fn open_change_feed(&self) -> Result<Option<ChangeFollower>, StoreError> {
        let Some(feed) = self.ctx.store.watch_changes().await? else {
            return Ok(None);
        };
        self.ctx.sessions.clear();
        self.ctx.logins.clear();
        Ok(Some(ChangeFollower {
            sessions: self.clone(),
            feed,
        }))
    }
}

impl ChangeFollower {
    /// Applies each change to the session cache as it arrives, until the feed fails.
    pub async fn run(mut self) -> Result<(), StoreError> {
        let ctx = &self.sessions.ctx;
        let (cache, logins) = (&ctx.sessions, &ctx.logins);
        loop {
            match self.feed.next().await? {
                StoreChange::SessionRevoked(key) => cache.forget(&key),
                StoreChange::TenantChanged(tenant) => {
                    cache.forget_resting_on(&tenant, &Principal::Tenant);
                    logins.forget_tenant(&tenant);
                }
                StoreChange::Missed => {
                    tracing::warn!("changes may have been missed; the session cache is dropped");
                    cache.clear();
                    logins.clear();
                }
            }
        }
    }
}
