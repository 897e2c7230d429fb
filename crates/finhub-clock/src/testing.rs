//! Paused time with real I/O (feature `testing`): sockets and SQLite progress outside the
//! runtime, and while the runtime waits for them tokio's paused clock would auto-advance to the
//! next timer and fire it. A [`FreezeGuard`] stops that, so time moves only by
//! `tokio::time::advance`.

use std::sync::mpsc;

/// Keeps tokio's paused clock from auto-advancing while it lives: one idle `spawn_blocking`
/// task, which tokio counts as work in progress.
#[derive(Debug)]
pub struct FreezeGuard(#[allow(dead_code, reason = "held for its drop")] mpsc::Sender<()>);

impl FreezeGuard {
    /// The guard; must be made inside a runtime.
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = receiver.recv();
        });
        Self(sender)
    }
}

impl Default for FreezeGuard {
    fn default() -> Self {
        Self::new()
    }
}
