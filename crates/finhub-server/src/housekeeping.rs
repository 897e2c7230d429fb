//! The serving hub's background work: idle rate-limit keys forgotten every minute (so a flood of
//! new addresses cannot grow memory without bound), every hour the sessions and refresh tokens
//! that ended a day ago deleted and the runs of failed logins a day quiet forgotten (so the
//! database grows neither with every login nor with every made-up username), once a day a
//! warning in the log for every TRAQS refresh token within 14 days of its end, and, over a
//! database several instances share, following their changes into this instance's session
//! cache.

use std::time::Duration;

use finhub_core::store::Purged;
use tokio::time::{Instant, sleep_until};

use crate::state::AppState;
use crate::upstream::warn_of_ending_traqs_tokens;

/// How often idle rate-limit keys are forgotten.
const LIMITER_SWEEP: Duration = Duration::from_secs(60);
/// How often ended sessions and refresh tokens, and quiet runs of failed logins, are deleted.
const PURGE: Duration = Duration::from_secs(60 * 60);
/// How often TRAQS refresh tokens close to their end are warned of.
const TRAQS_WARNING: Duration = Duration::from_secs(24 * 60 * 60);

/// Runs the chores, and follows the other instances' changes (over a database several share),
/// until the task is dropped or aborted; the purge and the TRAQS warning run at once, then
/// hourly and daily.
pub async fn run(state: AppState) {
    tokio::join!(chores(&state), state.sessions.follow_changes());
}

async fn chores(state: &AppState) {
    let mut next_sweep = Instant::now() + LIMITER_SWEEP;
    let mut next_purge = Instant::now();
    let mut next_warning = Instant::now();
    loop {
        if next_purge <= Instant::now() {
            purge_ended_sessions(state).await;
            forget_quiet_failures(state).await;
            // One purge catches up on any length of time: a late one is not repeated.
            next_purge = Instant::now() + PURGE;
        }
        if next_warning <= Instant::now() {
            warn_of_ending_traqs_tokens(state.traqs.credentials()).await;
            next_warning += TRAQS_WARNING;
        }
        if next_sweep <= Instant::now() {
            state.limiters.retain_recent();
            next_sweep += LIMITER_SWEEP;
        }
        sleep_until(next_sweep.min(next_purge).min(next_warning)).await;
    }
}

/// Deletes the sessions and refresh tokens that ended a day ago; a failure is logged and left
/// to the next hour's run.
async fn purge_ended_sessions(state: &AppState) {
    match state.sessions.purge_ended().await {
        Ok(purged) if purged == Purged::default() => {}
        Ok(purged) => {
            tracing::info!(
                sessions = purged.sessions,
                refresh_tokens = purged.refresh_tokens,
                "deleted ended sessions and refresh tokens"
            );
        }
        Err(error) => {
            tracing::warn!(%error, "cannot delete ended sessions; trying again in an hour");
        }
    }
}

/// Forgets the runs of failed logins a day quiet; a failure is logged and left to the next
/// hour's run.
async fn forget_quiet_failures(state: &AppState) {
    match state.logins.forget_quiet_failures().await {
        Ok(0) => {}
        Ok(runs) => tracing::info!(runs, "forgot runs of failed logins quiet for a day"),
        Err(error) => {
            tracing::warn!(
                %error,
                "cannot forget quiet runs of failed logins; trying again in an hour"
            );
        }
    }
}
