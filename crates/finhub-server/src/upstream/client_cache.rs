//! Upstream clients kept per credential: a client (and so its upstream token) is reused while
//! its stored credential is unchanged, re-read at most once a second, and concurrent first
//! requests end up sharing one client, so they share one token mint. Keys found without a
//! credential are remembered for as long, for work that may skip them (warming a token).

use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use finhub_core::minted_keys::MintedKeyMap;
use tokio::time::Instant;

/// How long a client is used without re-reading its stored credential: a replaced credential
/// takes effect within this time.
pub(crate) const CREDENTIAL_RECHECK: Duration = Duration::from_secs(1);

/// Clients by key (a tenant, or a tenant and environment).
pub(crate) struct ClientCache<K, C> {
    entries: Mutex<MintedKeyMap<K, Entry<C>>>,
    /// Keys last found with no stored credential, and when.
    absent: Mutex<MintedKeyMap<K, Instant>>,
}

struct Entry<C> {
    /// Which credential the client was built from (never a secret in clear: its hash).
    fingerprint: String,
    client: C,
    /// When the stored credential was last compared with `fingerprint`.
    checked_at: Instant,
}

impl<K, C> Default for ClientCache<K, C> {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
            absent: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash + Clone, C: Clone> ClientCache<K, C> {
    /// The client, if its credential was compared with the store within [`CREDENTIAL_RECHECK`].
    pub(crate) fn fresh(&self, key: &K, now: Instant) -> Option<C> {
        self.lock()
            .get(key)
            .filter(|entry| now.saturating_duration_since(entry.checked_at) < CREDENTIAL_RECHECK)
            .map(|entry| entry.client.clone())
    }

    /// The client, if it was built from the credential `fingerprint` names (which the caller
    /// has just read): it counts as checked now.
    pub(crate) fn matching(&self, key: &K, fingerprint: &str, now: Instant) -> Option<C> {
        let mut entries = self.lock();
        let entry = entries
            .get_mut(key)
            .filter(|entry| entry.fingerprint == fingerprint)?;
        entry.checked_at = now;
        Some(entry.client.clone())
    }

    /// Keeps `client` as the one for `key`, unless a concurrent request kept one built from the
    /// same credential meanwhile: then that one is returned and `client` dropped unused.
    pub(crate) fn keep(&self, key: K, fingerprint: String, client: C, now: Instant) -> C {
        let mut entries = self.lock();
        if let Some(entry) = entries.get_mut(&key)
            && entry.fingerprint == fingerprint
        {
            entry.checked_at = now;
            return entry.client.clone();
        }
        lock(&self.absent).remove(&key);
        entries.insert(
            key,
            Entry {
                fingerprint,
                client: client.clone(),
                checked_at: now,
            },
        );
        client
    }

    /// Notes that `key` has no stored credential (read at `now`).
    pub(crate) fn note_absent(&self, key: K, now: Instant) {
        lock(&self.absent).insert(key, now);
    }

    /// Whether `key` was found without a credential within [`CREDENTIAL_RECHECK`] and has not
    /// been kept with one since.
    pub(crate) fn recently_absent(&self, key: &K, now: Instant) -> bool {
        lock(&self.absent)
            .get(key)
            .is_some_and(|at| now.saturating_duration_since(*at) < CREDENTIAL_RECHECK)
    }

    fn lock(&self) -> MutexGuard<'_, MintedKeyMap<K, Entry<C>>> {
        lock(&self.entries)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_client_is_reused_until_its_credential_changes_and_races_keep_the_first() {
        let cache: ClientCache<&str, u32> = ClientCache::default();
        let now = Instant::now();
        assert_eq!(cache.fresh(&"t", now), None);
        assert_eq!(cache.keep("t", "a".into(), 1, now), 1);
        // A concurrent request that built its own client for the same credential gets the
        // first one.
        assert_eq!(cache.keep("t", "a".into(), 2, now), 1);
        assert_eq!(cache.fresh(&"t", now + Duration::from_millis(999)), Some(1));
        let later = now + CREDENTIAL_RECHECK;
        assert_eq!(cache.fresh(&"t", later), None, "due for a re-read");
        assert_eq!(cache.matching(&"t", "a", later), Some(1));
        assert_eq!(cache.fresh(&"t", later), Some(1), "checked again");
        assert_eq!(
            cache.matching(&"t", "b", later),
            None,
            "replaced credential"
        );
        assert_eq!(cache.keep("t", "b".into(), 3, later), 3);
        assert_eq!(cache.fresh(&"t", later), Some(3));
        assert_eq!(cache.fresh(&"other", later), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_without_a_credential_is_remembered_for_a_recheck_interval_or_until_kept() {
        let cache: ClientCache<&str, u32> = ClientCache::default();
        let now = Instant::now();
        assert!(!cache.recently_absent(&"t", now));
        cache.note_absent("t", now);
        assert!(cache.recently_absent(&"t", now + Duration::from_millis(999)));
        assert!(!cache.recently_absent(&"t", now + CREDENTIAL_RECHECK));
        assert!(!cache.recently_absent(&"other", now));
        // A credential found meanwhile (a client kept) ends it at once.
        cache.note_absent("t", now);
        cache.keep("t", "a".into(), 1, now);
        assert!(!cache.recently_absent(&"t", now));
    }
}
