//! A short-lived, in-process cache of live sessions and their tenants, so a session check does
//! not read the store on every request. An entry is trusted for at most [`SESSION_CACHE_TTL`]
//! (750 ms): a session revoked by another instance, or a tenant changed by it, is seen here
//! within that time, and every change this instance makes (refresh, logout, rotation,
//! revocation, ending a principal's access) drops the entries it touches at once, so the
//! instance that made it acts on it immediately.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::ids::{FamilyId, TenantId};
use crate::model::{Principal, Session, Tenant};
use crate::secret::SecretHash;

/// How long a cached session may be served without reading the store.
pub const SESSION_CACHE_TTL: Duration = Duration::from_millis(750);
/// Entries kept at most; past it the cache starts over (bounded memory under any load).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug)]
struct Entry {
    session: Arc<Session>,
    tenant: Arc<Tenant>,
    loaded_at: Instant,
}

/// Live sessions by the hash of their key.
#[derive(Default)]
pub(crate) struct SessionCache {
    entries: Mutex<HashMap<SecretHash, Entry>>,
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SecretHash, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
