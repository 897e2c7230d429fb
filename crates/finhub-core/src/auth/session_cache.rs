//! A short-lived, in-process cache of live sessions and their tenants, so a session check does
//! not read the store on every request. An entry is trusted for at most [`SESSION_CACHE_TTL`]
//! (750 ms): a session revoked by another instance, or a tenant changed by it, is seen here
//! within that time, and every change this instance makes (refresh, logout, rotation,
//! revocation, ending a principal's access) drops the entries it touches at once, so the
//! instance that made it acts on it immediately.
//!
//! When an entry runs out, the requests of that session arriving together read the store once:
//! the first to miss takes the session's [`Flight`] and reads, the others wait for it and then
//! find the entry it put (or, when it found nothing to put, take their own turn).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio::time::Instant;

use crate::ids::{FamilyId, TenantId};
use crate::minted_keys::MintedKeyMap;
use crate::model::{Principal, Session, Tenant};
use crate::secret::SecretHash;

/// How long a cached session may be served without reading the store.
pub const SESSION_CACHE_TTL: Duration = Duration::from_millis(750);
/// Entries kept at most; past it the cache starts over (bounded memory under any load).
const MAX_ENTRIES: usize = 100_000;
/// Sessions being read at once past which lanes nobody holds are swept away.
const MAX_FLIGHTS: usize = 1_024;

#[derive(Debug)]
struct Entry {
    session: Arc<Session>,
    tenant: Arc<Tenant>,
    loaded_at: Instant,
}

/// Live sessions by the hash of their key.
#[derive(Default)]
pub(crate) struct SessionCache {
    entries: Mutex<MintedKeyMap<SecretHash, Entry>>,
    /// The sessions being read from the store now, one turn at a time each.
    flights: Lanes,
}

/// One async lock per session being read from the store, shared with the [`Flight`]s holding
/// them (each removes its session's lane when nobody else waits for it).
type Lanes = Arc<Mutex<MintedKeyMap<SecretHash, Arc<AsyncMutex<()>>>>>;

/// The turn to read one session from the store; the next request waiting for the same session
/// goes when this is dropped (read, failed or cancelled alike).
pub(super) struct Flight {
    key: SecretHash,
    flights: Lanes,
    turn: Option<OwnedMutexGuard<()>>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        let mut flights = lock(&self.flights);
        if let Some(turn) = self.turn.take() {
            let lane = Arc::clone(OwnedMutexGuard::mutex(&turn));
            drop(turn);
            // The map's, this one's: nobody else is waiting for this session.
            if Arc::strong_count(&lane) == 2 {
                flights.remove(&self.key);
            }
        }
    }
}

/// How many entries, not the entries (a service's `Debug` should not print every session).
impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("entries", &self.lock().len())
            .finish()
    }
}

impl SessionCache {
    /// The session and tenant if loaded less than [`SESSION_CACHE_TTL`] ago.
    pub(super) fn get(
        &self,
        key: &SecretHash,
        now: Instant,
    ) -> Option<(Arc<Session>, Arc<Tenant>)> {
        let entries = self.lock();
        let entry = entries.get(key)?;
        (now.saturating_duration_since(entry.loaded_at) < SESSION_CACHE_TTL)
            .then(|| (Arc::clone(&entry.session), Arc::clone(&entry.tenant)))
    }

    /// Waits for the turn to read the session `key` from the store: at once when no other
    /// request is reading it, else when the one before has finished.
    pub(super) async fn flight(&self, key: &SecretHash) -> Flight {
        let lane = {
            let mut flights = lock(&self.flights);
            // A request cancelled while it waited leaves its session's lane behind when the
            // turn before it had already ended; nobody holds such a lane any more.
            if flights.len() >= MAX_FLIGHTS {
                flights.retain(|_, lane| Arc::strong_count(lane) > 1);
            }
            Arc::clone(flights.entry(key.clone()).or_default())
        };
        let turn = lane.lock_owned().await;
        Flight {
            key: key.clone(),
            flights: Arc::clone(&self.flights),
            turn: Some(turn),
        }
    }

    /// Remembers a session read from the store at `now`.
    pub(super) fn put(&self, session: Arc<Session>, tenant: Arc<Tenant>, now: Instant) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            session.key_hash.clone(),
            Entry {
                session,
                tenant,
                loaded_at: now,
            },
        );
    }

    /// Forgets everything (changes may have been missed).
    pub(super) fn clear(&self) {
        self.lock().clear();
    }

    /// Forgets one session (it changed or ended).
    pub(super) fn forget(&self, key: &SecretHash) {
        self.lock().remove(key);
    }

    /// Forgets every session of a refresh-token family (it was revoked).
    pub(super) fn forget_family(&self, family: &FamilyId) {
        self.lock()
            .retain(|_, entry| entry.session.family_id != *family);
    }

    /// Forgets every session of `tenant` that rests on `principal` (its access ended, or the
    /// tenant changed).
    pub(super) fn forget_resting_on(&self, tenant: &TenantId, principal: &Principal) {
        self.lock().retain(|_, entry| {
            let session = &entry.session;
            let rests_on = session.tenant_id == *tenant
                && match principal {
                    Principal::Tenant => true,
                    Principal::Customer(customer) => session.customer_id == *customer,
                    Principal::User(username) => session.username.as_ref() == Some(username),
                };
            !rests_on
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MintedKeyMap<SecretHash, Entry>> {
        lock(&self.entries)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request that takes its turn for `key` and gives it back at once.
    fn waiting_turn(cache: &Arc<SessionCache>, key: &SecretHash) -> tokio::task::JoinHandle<()> {
        let (cache, key) = (Arc::clone(cache), key.clone());
        tokio::spawn(async move { drop(cache.flight(&key).await) })
    }

    /// Lets every spawned task run until it waits.
    async fn run_others() {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn one_request_at_a_time_reads_a_session_and_other_sessions_do_not_wait() {
        let cache = Arc::new(SessionCache::default());
        let key = SecretHash::of("a session key");
        let first = cache.flight(&key).await;
        let second = waiting_turn(&cache, &key);
        run_others().await;
        assert!(!second.is_finished(), "waits while the first reads");
        drop(cache.flight(&SecretHash::of("another session key")).await);
        drop(first);
        second.await.expect("the second's turn");
        assert!(lock(&cache.flights).is_empty(), "nothing left behind");
    }

    #[tokio::test]
    async fn a_request_that_gives_up_waiting_holds_up_nobody() {
        let cache = Arc::new(SessionCache::default());
        let key = SecretHash::of("a session key");
        let first = cache.flight(&key).await;
        let gave_up = waiting_turn(&cache, &key);
        let third = waiting_turn(&cache, &key);
        run_others().await;
        gave_up.abort();
        assert!(gave_up.await.expect_err("aborted").is_cancelled());
        assert!(!third.is_finished());
        drop(first);
        third.await.expect("the third's turn");
        assert!(lock(&cache.flights).is_empty());
    }

    #[tokio::test]
    async fn lanes_left_by_requests_that_gave_up_are_swept_away() {
        let cache = SessionCache::default();
        for n in 0..MAX_FLIGHTS {
            // What a request cancelled after the turn before it ended leaves behind.
            let key = SecretHash::of(&format!("session {n}"));
            lock(&cache.flights).insert(key, Arc::default());
        }
        let held = SecretHash::of("a session being read");
        let turn = cache.flight(&held).await;
        let flights = lock(&cache.flights);
        assert_eq!(flights.len(), 1, "only the lane in use is kept");
        assert!(flights.contains_key(&held));
        drop(flights);
        drop(turn);
        assert!(lock(&cache.flights).is_empty());
    }
}
