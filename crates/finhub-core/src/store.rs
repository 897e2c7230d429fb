//! The storage traits, split by capability. `finhub-store` implements them for SQLite (and later
//! PostgreSQL and Redis); nothing above them knows which backend runs. Every tenant-scoped method
//! takes the `TenantId` first; every time-dependent one takes `now`.

use async_trait::async_trait;
use std::time::Duration;

use time::OffsetDateTime;

use crate::audit::{AuditEvent, AuditQuery};
use crate::cert::{CertificateBinding, CertificateMatcher};
use crate::error::StoreError;
use crate::ids::{CustomerId, FactorId, FamilyId, TenantId, Username};
use crate::mfa::MfaPolicy;
use crate::model::{
    Customer, Principal, RefreshTokenRecord, Session, StoredUpstreamToken, Tenant, TotpFactor,
    TraqsCredential, TraqsEnvironment, UpstreamCredential, UpstreamTokenKey, User, UserRole,
};
use crate::net::AllowList;
use crate::scope::Scope;
use crate::secret::SecretHash;

/// Tenants, customers, users and upstream credentials.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// A tenant by id.
    async fn tenant(&self, tenant: &TenantId) -> Result<Option<Tenant>, StoreError>;
    /// Every tenant.
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;
    /// Creates a tenant (`Conflict` if the id exists).
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Replaces a tenant's scope.
    async fn set_scope(&self, tenant: &TenantId, scope: &Scope) -> Result<(), StoreError>;
    /// Replaces a tenant's allow-list.
    async fn set_allow_list(&self, tenant: &TenantId, list: &AllowList) -> Result<(), StoreError>;
    /// Disables or enables a tenant.
    async fn set_tenant_disabled(
        &self,
        tenant: &TenantId,
        disabled: bool,
    ) -> Result<(), StoreError>;

    /// A customer of a tenant.
    async fn customer(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
    ) -> Result<Option<Customer>, StoreError>;
    /// A tenant's customers.
    async fn list_customers(&self, tenant: &TenantId) -> Result<Vec<Customer>, StoreError>;
    /// Creates a customer.
    async fn insert_customer(&self, customer: &Customer) -> Result<(), StoreError>;
    /// Disables or enables a customer.
    async fn set_customer_disabled(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        disabled: bool,
    ) -> Result<(), StoreError>;

    /// A user of a tenant.
    async fn user(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<Option<User>, StoreError>;
    /// A tenant's users.
    async fn list_users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError>;
    /// Creates a user.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;
    /// Sets a user's role (`NotFound` if there is no such user).
    async fn set_user_role(
        &self,
        tenant: &TenantId,
        username: &Username,
        role: UserRole,
    ) -> Result<(), StoreError>;
    /// Disables or enables a user.
    async fn set_user_disabled(
        &self,
        tenant: &TenantId,
        username: &Username,
        disabled: bool,
    ) -> Result<(), StoreError>;
    /// Replaces a user's password hash (`NotFound` if there is no such user).
    async fn set_password_hash(
        &self,
        tenant: &TenantId,
        username: &Username,
        password_hash: &str,
    ) -> Result<(), StoreError>;

    /// The tenant's upstream credential, if one is set.
    async fn upstream_credential(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<UpstreamCredential>, StoreError>;
    /// Sets (or replaces) the tenant's upstream credential.
    async fn set_upstream_credential(
        &self,
        credential: &UpstreamCredential,
    ) -> Result<(), StoreError>;
}

/// Sessions and refresh tokens.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError>;
    /// Stores a new session and its first refresh token (whose `session_key_hash` is the
    /// session's) atomically: both or neither.
    async fn insert_issued(
        &self,
        session: &Session,
        token: &RefreshTokenRecord,
    ) -> Result<(), StoreError>;
    /// A session by the hash of its key (revoked ones included; callers check).
    async fn session(&self, key_hash: &SecretHash) -> Result<Option<Session>, StoreError>;
    /// Moves a session's access expiry from `expected` to `new`, only if it is still `expected`
    /// and the session is not revoked. Returns whether this call made the change: of many
    /// concurrent refreshes, exactly one wins.
    async fn extend_access(
        &self,
        key_hash: &SecretHash,
        expected: OffsetDateTime,
        new: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Revokes one session.
    async fn revoke_session(
        &self,
        key_hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Revokes every session and refresh token of a family; returns the sessions revoked.
    async fn revoke_family(
        &self,
        family: &FamilyId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Revokes every session and refresh token of `tenant` that rests on `principal` and is not
    /// revoked yet, except those of the family `keep` (the caller's own); returns the sessions
    /// revoked.
    async fn revoke_resting_on(
        &self,
        tenant: &TenantId,
        principal: &Principal,
        keep: Option<&FamilyId>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// A tenant's sessions that are neither revoked nor past their absolute end at `now`.
    async fn list_active_sessions(
        &self,
        tenant: &TenantId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError>;
    /// A person's sessions that are neither revoked nor past their absolute end at `now`,
    /// newest first.
    async fn list_user_sessions(
        &self,
        tenant: &TenantId,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError>;
    /// Records that a request used the session at `now`, unless its last use recorded is later
    /// than `not_since` (so a busy session is written at most once per interval). Returns
    /// whether it wrote.
    async fn touch_session(
        &self,
        key_hash: &SecretHash,
        now: OffsetDateTime,
        not_since: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// How many sessions of all tenants are neither revoked nor past their absolute end at
    /// `now` (for the metrics).
    async fn count_active_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
    /// Whether the store answers a trivial query now (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores a new refresh token.
    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> Result<(), StoreError>;
    /// A refresh token by hash.
    async fn refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenRecord>, StoreError>;
    /// Marks a refresh token used and records its sealed successor, only if it was unused and
    /// not revoked (the caller checks `expires_at` first). Returns whether this call consumed
    /// it: of concurrent exchanges, exactly one wins.
    async fn consume_refresh_token(
        &self,
        hash: &SecretHash,
        now: OffsetDateTime,
        successor: &[u8],
    ) -> Result<bool, StoreError>;

    /// Deletes at most `batch` refresh tokens that expired at or before `ended_by`, then at most
    /// `batch` sessions that ended at or before `ended_by` and whose family has no refresh token
    /// left (a live family's exchange still revokes the session it rests on). Returns how many
    /// of each went.
    async fn purge_ended(&self, ended_by: OffsetDateTime, batch: u32)
    -> Result<Purged, StoreError>;
}

/// What one purge of ended sessions and refresh tokens deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub refresh_tokens: u64,
}

impl std::ops::AddAssign for Purged {
    fn add_assign(&mut self, other: Self) {
        self.sessions += other.sessions;
        self.refresh_tokens += other.refresh_tokens;
    }
}

/// Everything a login checks, read in one go (see [`LoginAttemptStore::login_lookup`]).
#[derive(Debug, Default)]
pub struct LoginLookup {
    pub tenant: Option<Tenant>,
    /// The tenant's second-factor policy as set (`None`: the profile's default applies).
    pub mfa_policy: Option<MfaPolicy>,
    pub customer: Option<Customer>,
    pub user: Option<User>,
    /// The named user's active TOTP factor (never a pending one).
    pub active_factor: Option<TotpFactor>,
    /// The consecutive failures under the attempt key and the time of the last one.
    pub failures: Option<(u32, OffsetDateTime)>,
}

/// Consecutive failed logins per (tenant, username), counted for unknown usernames too, and the
/// one read a login starts with.
#[async_trait]
pub trait LoginAttemptStore: Send + Sync {
    /// The tenant (with its second-factor policy), the tenant's customer and user named (when
    /// given, with the user's active factor) and the failures recorded under `attempt_key`, in
    /// one read: a login costs one round trip to the store whatever it finds, so known and
    /// unknown names also take the same time, and a password login's second step reads nothing
    /// more.
    async fn login_lookup(
        &self,
        tenant: &TenantId,
        customer: Option<&CustomerId>,
        username: Option<&Username>,
        attempt_key: &str,
    ) -> Result<LoginLookup, StoreError>;
    /// Counts one more failure and returns the consecutive count (atomic under concurrency).
    async fn record_failure(
        &self,
        tenant: &TenantId,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError>;
    /// The consecutive failures and the time of the last one.
    async fn failures(
        &self,
        tenant: &TenantId,
        username: &str,
    ) -> Result<Option<(u32, OffsetDateTime)>, StoreError>;
    /// Clears the count after a successful login.
    async fn clear_failures(&self, tenant: &TenantId, username: &str) -> Result<(), StoreError>;
    /// Deletes at most `batch` runs of failures whose last failure was at or before
    /// `quiet_since` (of every tenant, known or not); returns how many went.
    async fn forget_quiet_failures(
        &self,
        quiet_since: OffsetDateTime,
        batch: u32,
    ) -> Result<u64, StoreError>;
}

/// The append-only audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends one event.
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// The most recent events of every tenant (newest first), for administrators and tests.
    async fn recent_audit_events(&self, limit: u32) -> Result<Vec<AuditEvent>, StoreError>;
    /// One tenant's events matching `query`, newest first, one page of them.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
}

/// Client certificates bound to customers.
#[async_trait]
pub trait CertificateBindingStore: Send + Sync {
    /// Binds certificates to a customer (`Conflict` if this exact binding exists, `NotFound` if
    /// the customer does not).
    async fn insert_certificate_binding(
        &self,
        binding: &CertificateBinding,
    ) -> Result<(), StoreError>;
    /// A customer's bindings.
    async fn certificate_bindings(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Vec<CertificateBinding>, StoreError>;
    /// Every binding of a tenant, by customer.
    async fn list_certificate_bindings(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<CertificateBinding>, StoreError>;
    /// Removes one binding (`NotFound` if there is none).
    async fn delete_certificate_binding(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
        matcher: &CertificateMatcher,
    ) -> Result<(), StoreError>;
}

/// Users' second factors: TOTP factors, recovery codes and second-factor failures, and the
/// tenants' second-factor policy.
#[async_trait]
pub trait MfaStore: Send + Sync {
    /// Sets a tenant's policy (`None`: the profile's default).
    async fn set_mfa_policy(
        &self,
        tenant: &TenantId,
        policy: Option<MfaPolicy>,
    ) -> Result<(), StoreError>;
    /// A tenant's policy as set (`None`: the profile's default).
    async fn mfa_policy(&self, tenant: &TenantId) -> Result<Option<MfaPolicy>, StoreError>;

    /// The user's factors: at most one active and one pending.
    async fn totp_factors(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<Vec<TotpFactor>, StoreError>;
    /// Stores a pending factor, replacing any earlier pending one of the user.
    async fn insert_pending_totp(&self, factor: &TotpFactor) -> Result<(), StoreError>;
    /// Makes the pending factor `id` (not expired at `now`) the user's only active one,
    /// confirmed at `now` with `step` used; `false` when there is no such pending factor.
    async fn activate_totp(
        &self,
        tenant: &TenantId,
        username: &Username,
        id: &FactorId,
        step: u64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Raises the active factor's last used step to `step` when it is below it (compare and
    /// set): `true` when this call used the step, `false` when it was used already (a replay)
    /// or the factor is gone.
    async fn use_totp_step(
        &self,
        tenant: &TenantId,
        username: &Username,
        id: &FactorId,
        step: u64,
    ) -> Result<bool, StoreError>;
    /// Removes the user's factors and recovery codes and clears the second-factor failures;
    /// `true` when there was an active factor.
    async fn remove_second_factor(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<bool, StoreError>;

    /// Replaces the user's recovery codes with these hashes.
    async fn replace_recovery_codes(
        &self,
        tenant: &TenantId,
        username: &Username,
        hashes: &[SecretHash],
    ) -> Result<(), StoreError>;
    /// Uses one recovery code: `true` when it was there (it is gone now, whoever races).
    async fn use_recovery_code(
        &self,
        tenant: &TenantId,
        username: &Username,
        hash: &SecretHash,
    ) -> Result<bool, StoreError>;
    /// The user's unused recovery codes.
    async fn recovery_codes_left(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<u32, StoreError>;

    /// Counts one more consecutive second-factor failure; returns the count.
    async fn record_mfa_failure(
        &self,
        tenant: &TenantId,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError>;
    /// The consecutive second-factor failures and the last one's time, if any.
    async fn mfa_failures(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<Option<(u32, OffsetDateTime)>, StoreError>;
    /// Clears the second-factor failures (a success).
    async fn clear_mfa_failures(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<(), StoreError>;

    /// Spends the enrolment token `token_id` (good until `expires_at`): `true` when this call
    /// spent it, `false` when it was spent already (of concurrent calls, exactly one wins).
    /// Spent tokens expired at `now` are forgotten.
    async fn spend_enrollment_token(
        &self,
        tenant: &TenantId,
        token_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Whether the enrolment token `token_id` has been spent.
    async fn enrollment_token_spent(&self, token_id: &str) -> Result<bool, StoreError>;
}

/// Upstream tokens shared by the hub instances over one database, with the lock they mint under:
/// N instances needing a token at once cause one mint. A backend serving one instance (SQLite)
/// shares nothing: each instance's token manager mints alone.
#[async_trait]
pub trait UpstreamTokenStore: Send + Sync {
    /// Whether this backend shares upstream tokens between instances.
    fn shares_upstream_tokens(&self) -> bool;
    /// The token stored for `key`, if any (and only if minted for `key`'s credential).
    async fn upstream_token(
        &self,
        key: &UpstreamTokenKey,
    ) -> Result<Option<StoredUpstreamToken>, StoreError>;
    /// Waits (at most `hold_for`) for the lock every instance minting for `key` shares; the
    /// lock lasts until the guard stores a token or is released, and never longer than
    /// `hold_for` (a holder that vanished loses it then).
    async fn lock_upstream_token(
        &self,
        key: &UpstreamTokenKey,
        hold_for: Duration,
    ) -> Result<Box<dyn UpstreamTokenLock>, StoreError>;
}

/// The held lock of [`UpstreamTokenStore::lock_upstream_token`].
#[async_trait]
pub trait UpstreamTokenLock: Send {
    /// The token stored for the key, read under the lock.
    async fn token(&mut self) -> Result<Option<StoredUpstreamToken>, StoreError>;
    /// Stores a newly minted token for the key and releases the lock.
    async fn store(self: Box<Self>, token: &StoredUpstreamToken) -> Result<(), StoreError>;
    /// Releases the lock, storing nothing.
    async fn release(self: Box<Self>);
}

/// A change another instance made that this one must act on at once (its session cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// A session was revoked.
    SessionRevoked(SecretHash),
    /// A tenant changed (disabled, scope, allow-list, policy).
    TenantChanged(TenantId),
    /// Changes may have been missed (the feed's connection was lost and made again): forget
    /// everything cached.
    Missed,
}

/// Changes made by the other instances over the same database, as they commit.
#[async_trait]
pub trait ChangeFeed: Send {
    /// The next change, waiting for it.
    async fn next(&mut self) -> Result<StoreChange, StoreError>;
}

/// Where a backend shared by several instances announces changes (PostgreSQL); a backend
/// serving one instance (SQLite) has nothing to announce.
#[async_trait]
pub trait ChangeFeedStore: Send + Sync {
    /// A feed of the other instances' changes, or `None` when this backend has none.
    async fn watch_changes(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError>;
}

/// Tenants' TRAQS credentials, one per tenant and environment.
#[async_trait]
pub trait TraqsCredentialStore: Send + Sync {
    /// Sets (or replaces) the tenant's credential for its environment.
    async fn set_traqs_credential(&self, credential: &TraqsCredential) -> Result<(), StoreError>;
    /// The tenant's credential for `environment`, if one is set.
    async fn traqs_credential(
        &self,
        tenant: &TenantId,
        environment: TraqsEnvironment,
    ) -> Result<Option<TraqsCredential>, StoreError>;
    /// The tenant's credentials, production first.
    async fn traqs_credentials(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<TraqsCredential>, StoreError>;
    /// Every tenant's credentials whose known end is before `before`, soonest first.
    async fn traqs_credentials_ending_before(
        &self,
        before: OffsetDateTime,
    ) -> Result<Vec<TraqsCredential>, StoreError>;
}

/// Everything the hub stores.
pub trait Store:
    DirectoryStore
    + SessionStore
    + LoginAttemptStore
    + AuditLog
    + CertificateBindingStore
    + MfaStore
    + TraqsCredentialStore
    + UpstreamTokenStore
    + ChangeFeedStore
    + std::fmt::Debug
{
}

impl<
    T: DirectoryStore
        + SessionStore
        + LoginAttemptStore
        + AuditLog
        + CertificateBindingStore
        + MfaStore
        + TraqsCredentialStore
        + UpstreamTokenStore
        + ChangeFeedStore
        + std::fmt::Debug,
> Store for T
{
}
