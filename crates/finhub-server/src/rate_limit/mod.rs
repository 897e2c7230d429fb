//! Request-rate limits: per client address and customer on logins, per session and customer on
//! data calls, per session on `/v1/mfa`. Each [`Limit`] is decided in Redis when the instances
//! share one ([`SharedStore`]), else (or while Redis is away) in this process.

mod local;
mod pacer;
mod shared;

use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::time::Duration;

use finhub_core::error::AuthError;
use finhub_core::ids::{CustomerId, TenantId};
use finhub_core::minted_keys::MintedKeys;
use finhub_core::model::Session;
use finhub_core::secret::SecretHash;
use finhub_core::shared_limits::{Admission, Gcra, LimitKey};
use prometheus_client::metrics::counter::Counter;

pub use self::local::KeyedLimiter;
pub use self::pacer::SharedPacer;
pub use self::shared::SharedStore;
use crate::config::RateLimits;
use crate::metrics::Metrics;

/// What a limit counts by, as text for the shared store's key (hashed there).
pub trait LimitSubject: Hash + Eq + Clone {
    /// How the limit's keys kept in this process are hashed: std's SipHash for keys a caller
    /// chooses, foldhash ([`MintedKeys`]) for keys no caller can choose.
    type Hasher: BuildHasher + Clone + Default;

    /// The text this key is counted under.
    fn subject(&self) -> String;
}

impl LimitSubject for IpAddr {
    type Hasher = RandomState;

    fn subject(&self) -> String {
        self.to_string()
    }
}

/// A digest (a session key's hash): no caller can choose one.
impl LimitSubject for SecretHash {
    type Hasher = MintedKeys;

    fn subject(&self) -> String {
        self.as_str().to_owned()
    }
}

impl LimitSubject for String {
    type Hasher = RandomState;

    fn subject(&self) -> String {
        self.clone()
    }
}

impl LimitSubject for (String, String) {
    type Hasher = RandomState;

    fn subject(&self) -> String {
        // The tenant id has no `/`, so the pair reads back unambiguously.
        format!("{}/{}", self.0, self.1)
    }
}

/// A tenant and customer: read from a verified session.
impl LimitSubject for (TenantId, CustomerId) {
    type Hasher = MintedKeys;

    fn subject(&self) -> String {
        format!("{}/{}", self.0, self.1)
    }
}

/// One limit: `per_period` requests per `period` per key, bursting up to `per_period`.
pub struct Limit<K: LimitSubject> {
    name: &'static str,
    limit: Gcra,
    /// Requests this limit refused (the metrics' counter; the two data limits share one).
    refused: Counter,
    /// The whole limit when alone; this instance's share while the shared store is away.
    local: KeyedLimiter<K, K::Hasher>,
    shared: Option<SharedStore>,
}

impl<K: LimitSubject> fmt::Debug for Limit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limit")
            .field("name", &self.name)
            .field("limit", &self.limit)
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

impl<K: LimitSubject> Limit<K> {
    /// The limit `name`, shared through `shared` when given, its refusals counted in `refused`.
    pub fn new(
        name: &'static str,
        per_period: u32,
        period: Duration,
        shared: Option<&SharedStore>,
        refused: Counter,
    ) -> Self {
        let local_share = shared.map_or(per_period, |store| store.share_of(per_period));
        Self {
            name,
            limit: Gcra::per_period(per_period, period),
            refused,
            local: KeyedLimiter::new(local_share, period),
            shared: shared.cloned(),
        }
    }

    /// Takes one request for `key`, or says how long to wait.
    pub async fn check(&self, key: &K) -> Result<(), Duration> {
        let checked = match &self.shared {
            Some(store) => {
                let shared_key = self.shared_key(key);
                let limits = [(&shared_key, self.limit)];
                match store.admit(self.name, &limits, Duration::ZERO).await {
                    Some(admission) => decided(admission),
                    None => self.local.check(key),
                }
            }
            None => self.local.check(key),
        };
        if checked.is_err() {
            self.refused.inc();
        }
        checked
    }

    /// `key`'s counter in the shared store.
    fn shared_key(&self, key: &K) -> LimitKey {
        LimitKey::new(self.name, &key.subject())
    }

    /// Forgets idle keys kept in this process.
    pub fn retain_recent(&self) {
        self.local.retain_recent();
    }
}

/// A shared store's admission as a limit's answer.
fn decided(admission: Admission) -> Result<(), Duration> {
    match admission {
        Admission::Booked { .. } => Ok(()),
        Admission::Refused { retry_after } => Err(retry_after),
    }
}

/// The limiters of the request-rate policy.
#[derive(Debug)]
pub struct Limiters {
    /// `POST /v1/auth/token` per client address.
    pub token_per_address: Limit<IpAddr>,
    /// `POST /v1/auth/token` per (tenant, customer id as sent).
    pub token_per_customer: Limit<(String, String)>,
    /// Data calls per session (key hash).
    pub data_per_session: Limit<SecretHash>,
    /// Data calls per (tenant, customer).
    pub data_per_customer: Limit<(TenantId, CustomerId)>,
    /// `/v1/mfa` calls per session or enrolment token.
    pub mfa_per_session: Limit<String>,
    shared: Option<SharedStore>,
}

impl Limiters {
    /// Limiters for these limits, shared through `shared` when given, their refusals counted
    /// in `metrics`.
    pub fn new(limits: &RateLimits, shared: Option<SharedStore>, metrics: &Metrics) -> Self {
        let minute = Duration::from_secs(60);
        let second = Duration::from_secs(1);
        let store = shared.as_ref();
        Self {
            token_per_address: Limit::new(
                "token_address",
                limits.token_per_address_per_minute,
                minute,
                store,
                metrics.rate_limited_counter("token_address"),
            ),
            token_per_customer: Limit::new(
                "token_customer",
                limits.token_per_customer_per_minute,
                minute,
                store,
                metrics.rate_limited_counter("token_customer"),
            ),
            data_per_session: Limit::new(
                "data_session",
                limits.data_per_session_per_second,
                second,
                store,
                metrics.rate_limited_counter("data"),
            ),
            data_per_customer: Limit::new(
                "data_customer",
                limits.data_per_customer_per_second,
                second,
                store,
                metrics.rate_limited_counter("data"),
            ),
            mfa_per_session: Limit::new(
                "mfa_session",
                limits.mfa_per_session_per_minute,
                minute,
                store,
                metrics.rate_limited_counter("mfa_session"),
            ),
            shared,
        }
    }

    /// Takes a data call (a proxied FINRA call, a TRAQS file) from the session's and its
    /// customer's limits — in one step when they are shared, so a refusal by one spends
    /// nothing of the other; when either is spent, how long to wait.
    pub async fn check_data_call(&self, session: &Session) -> Result<(), AuthError> {
        let customer = (session.tenant_id.clone(), session.customer_id.clone());
        let (per_session, per_customer) = (&self.data_per_session, &self.data_per_customer);
        let shared = match &self.shared {
            Some(store) => {
                let session_key = per_session.shared_key(&session.key_hash);
                let customer_key = per_customer.shared_key(&customer);
                let limits = [
                    (&session_key, per_session.limit),
                    (&customer_key, per_customer.limit),
                ];
                store.admit("data", &limits, Duration::ZERO).await
            }
            None => None,
        };
        let checked = match shared {
            Some(admission) => decided(admission),
            None => match per_session.local.check(&session.key_hash) {
                Ok(()) => per_customer.local.check(&customer),
                refused => refused,
            },
        };
        checked.map_err(|retry_after| {
            // Both data limits count their refusals under `data`.
            per_session.refused.inc();
            AuthError::RateLimited { retry_after }
        })
    }

    /// The shared store, when the instances share their limits.
    pub fn shared(&self) -> Option<&SharedStore> {
        self.shared.as_ref()
    }

    /// Forgets idle keys of every limiter, so a flood of new keys cannot exhaust memory.
    pub fn retain_recent(&self) {
        self.token_per_address.retain_recent();
        self.token_per_customer.retain_recent();
        self.data_per_session.retain_recent();
        self.data_per_customer.retain_recent();
        self.mfa_per_session.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use std::any::TypeId;

    use super::*;

    fn hasher_of<K: LimitSubject>() -> TypeId
    where
        K::Hasher: 'static,
    {
        TypeId::of::<K::Hasher>()
    }

    #[test]
    fn keys_a_caller_chooses_keep_siphash_and_only_verified_keys_take_the_fast_hasher() {
        let siphash = TypeId::of::<RandomState>();
        assert_eq!(hasher_of::<IpAddr>(), siphash);
        assert_eq!(hasher_of::<String>(), siphash);
        assert_eq!(hasher_of::<(String, String)>(), siphash);
        let fast = TypeId::of::<MintedKeys>();
        assert_eq!(hasher_of::<SecretHash>(), fast);
        assert_eq!(hasher_of::<(TenantId, CustomerId)>(), fast);
    }
}
