//! Counters a test can read: tokens minted, requests served per path and status, 429s sent,
//! pages sent gzip-compressed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one emulator. Cheap to read at any time.
#[derive(Debug, Default)]
pub struct Counters {
    tokens_minted: AtomicU64,
    throttled: AtomicU64,
    pages_compressed: AtomicU64,
    responses: Mutex<HashMap<(String, u16), u64>>,
}

impl Counters {
    /// Access tokens the token service has issued.
    pub fn tokens_minted(&self) -> u64 {
        self.tokens_minted.load(Ordering::SeqCst)
    }

    /// Requests the throttle refused with 429 (injected 429 faults are not counted here).
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::SeqCst)
    }

    /// Data pages sent gzip-compressed (their request allowed it).
    pub fn pages_compressed(&self) -> u64 {
        self.pages_compressed.load(Ordering::SeqCst)
    }

    /// Responses sent for exactly this path (no query string), with this status.
    pub fn responses(&self, path: &str, status: u16) -> u64 {
        self.locked()
            .get(&(path.to_owned(), status))
            .copied()
            .unwrap_or(0)
    }

    /// Responses sent with this status, on any path.
    pub fn responses_with_status(&self, status: u16) -> u64 {
        self.locked()
            .iter()
            .filter(|((_, s), _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }

    /// Responses sent on paths starting with `prefix` (e.g. `/data/`), any status.
    pub fn responses_under(&self, prefix: &str) -> u64 {
        self.locked()
            .iter()
            .filter(|((p, _), _)| p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Every response sent, on any path and with any status.
    pub fn total_responses(&self) -> u64 {
        self.locked().values().sum()
    }

    /// A copy of the per-(path, status) table.
    pub fn snapshot(&self) -> HashMap<(String, u16), u64> {
        self.locked().clone()
    }

    pub(crate) fn record_token_minted(&self) {
        self.tokens_minted.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn record_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn record_page_compressed(&self) {
        self.pages_compressed.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn record_response(&self, path: &str, status: u16) {
        *self.locked().entry((path.to_owned(), status)).or_insert(0) += 1;
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u16), u64>> {
        // A poisoned lock only means a panic elsewhere; the counts are still meaningful.
        self.responses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
