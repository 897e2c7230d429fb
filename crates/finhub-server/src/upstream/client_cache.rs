//! Upstream clients kept per credential: a client (and so its upstream token) is reused while
//! its stored credential is unchanged, re-read at most once a second, and concurrent first
//! requests end up sharing one client, so they share one token mint.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How long a client is used without re-reading its stored credential: a replaced credential
/// takes effect within this time.
pub(crate) const CREDENTIAL_RECHECK: Duration = Duration::from_secs(1);

/// Clients by key (a tenant, or a tenant and environment).
pub(crate) struct ClientCache<K, C> {
    entries: Mutex<HashMap<K, Entry<C>>>,
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
            entries: Mutex::new(HashMap::new()),
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

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Entry<C>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
}
