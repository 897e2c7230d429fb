//! Forgetting what is over: refresh tokens past their family's end, and sessions past their
//! own end whose family has no refresh token left, deleted a day after they end; runs of failed
//! logins a day after their last failure. In batches short enough that the logins waiting
//! behind a batch for the store's writer barely notice.

use std::ops::AddAssign;

use crate::error::StoreError;
use crate::store::Purged;

use super::{Logins, Sessions};

/// How long an ended session or refresh token is kept before it is deleted. Nothing reads one
/// after its end (its token is refused on its `exp` first); the day covers clocks that differ
/// between instances and leaves a recent refusal's row in place for whoever looks into it.
const ENDED_ROWS_KEPT: time::Duration = time::Duration::days(1);

/// How long a run of failed logins is remembered after its last failure. The longest back-off
/// is 15 minutes, so a run a day quiet no longer holds anyone back; forgetting it only means the
/// next failure under that name starts a new run. Without it, every username a failed login
/// names (most of them made up) would keep a row for ever.
const QUIET_FAILURES_KEPT: time::Duration = time::Duration::days(1);

/// Rows of each kind one batch deletes at most.
const PURGE_BATCH: u32 = 1_000;
/// A batch that deleted this many rows of a kind may have left more.
const FULL: u64 = PURGE_BATCH as u64;

impl Sessions {
    /// Deletes every session and refresh token that ended [`ENDED_ROWS_KEPT`] ago or earlier
    /// (a session only once its family has no refresh token left), batch after batch until one
    /// comes back short. Returns how many went.
    pub async fn purge_ended(&self) -> Result<Purged, StoreError> {
        let ended_by = self.ctx.clock.now_utc() - ENDED_ROWS_KEPT;
        in_batches(
            || self.ctx.store.purge_ended(ended_by, PURGE_BATCH),
            |batch| batch.sessions == FULL || batch.refresh_tokens == FULL,
        )
        .await
    }
}

impl Logins {
    /// Forgets every run of failed logins whose last failure was [`QUIET_FAILURES_KEPT`] ago or
    /// earlier, batch after batch until one comes back short. Returns how many runs went.
    pub async fn forget_quiet_failures(&self) -> Result<u64, StoreError> {
        let quiet_since = self.ctx.clock.now_utc() - QUIET_FAILURES_KEPT;
        in_batches(
            || {
                self.ctx
                    .store
                    .forget_quiet_failures(quiet_since, PURGE_BATCH)
            },
            |&batch| batch == FULL,
        )
        .await
    }
}

/// Runs `delete` batch after batch, adding up what each deleted, until a batch is not `full`,
/// letting other tasks (logins waiting for the store's writer) run between batches.
async fn in_batches<T, F>(
    mut delete: impl FnMut() -> F,
    full: impl Fn(&T) -> bool,
) -> Result<T, StoreError>
where
    T: Default + AddAssign + Copy,
    F: Future<Output = Result<T, StoreError>>,
{
    let mut deleted = T::default();
    loop {
        let batch = delete().await?;
        deleted += batch;
        if !full(&batch) {
            return Ok(deleted);
        }
        tokio::task::yield_now().await;
    }
}
