//! A short-lived, in-process cache of what a machine's login reads: the tenant and the customer
//! of a `client_credentials` login that succeeded with no run of failures counted against it. A machine
//! logging in again and again then costs no read of the store; the secret is still checked
//! against the cached hash every time. An entry is trusted for at most [`SESSION_CACHE_TTL`]
//! (750 ms), like the session cache, so a change made elsewhere (another instance, `finhub
//! admin`) applies within it; a change this instance makes (ending access, a tenant's
//! settings) and a failed login drop the entries it touches at once. A customer with failures
//! counted is never cached: its back-off is read from the store each time.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::time::Instant;

use crate::ids::{CustomerId, TenantId};
use crate::model::{Customer, Tenant};

use super::SESSION_CACHE_TTL;

/// Entries kept at most; past it the cache starts over (bounded memory under any load).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
struct Entry {
    tenant: Tenant,
    customer: Customer,
    loaded_at: Instant,
}

/// Tenants and customers of recent machine logins, by tenant, then customer (a lookup needs no
/// key built).
#[derive(Debug, Default)]
pub(crate) struct LoginCache {
    entries: Mutex<HashMap<TenantId, HashMap<CustomerId, Entry>>>,
}

impl LoginCache {
    /// The tenant and customer if read less than [`SESSION_CACHE_TTL`] ago.
    pub(super) fn get(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
        now: Instant,
    ) -> Option<(Tenant, Customer)> {
        let entries = self.lock();
        let entry = entries.get(tenant)?.get(customer)?;
        (now.saturating_duration_since(entry.loaded_at) < SESSION_CACHE_TTL)
            .then(|| (entry.tenant.clone(), entry.customer.clone()))
    }

    /// Remembers a tenant and customer read from the store at `now`.
    pub(super) fn put(&self, tenant: &Tenant, customer: &Customer, now: Instant) {
        let mut entries = self.lock();
        if entries.values().map(HashMap::len).sum::<usize>() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.entry(tenant.id.clone()).or_default().insert(
            customer.id.clone(),
            Entry {
                tenant: tenant.clone(),
                customer: customer.clone(),
                loaded_at: now,
            },
        );
    }

    /// Forgets one customer (a failed login).
    pub(super) fn forget(&self, tenant: &TenantId, customer: &CustomerId) {
        if let Some(customers) = self.lock().get_mut(tenant) {
            customers.remove(customer);
        }
    }

    /// Forgets every customer of `tenant` (its settings or its access changed).
    pub(super) fn forget_tenant(&self, tenant: &TenantId) {
        self.lock().remove(tenant);
    }

    /// Forgets everything (changes may have been missed).
    pub(super) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, HashMap<CustomerId, Entry>>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
