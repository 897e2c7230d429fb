//! Test support: fresh databases (SQLite in memory, or a WAL file in a private temp directory
//! removed on drop), model builders, a fixed clock, and field-by-field comparisons (the domain
//! models have no `PartialEq`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use finhub_core::audit::{AuditAction, AuditEvent, AuditOutcome};
use finhub_core::ids::{CustomerId, FamilyId, TenantId, Username};
use finhub_core::model::{
    AccountType, AuthMethod, Authentication, Customer, RefreshTokenRecord, Session, SessionOrigin,
    Tenant, User, UserRole,
};
use finhub_core::net::NetList;
use finhub_core::scope::Scope;
use finhub_core::secret::SecretHash;
use finhub_core::store::Store;
use finhub_store::testing::PostgresTestDatabase;
use time::OffsetDateTime;

/// The store under test, shared so concurrency tests can hand it to spawned tasks.
pub(crate) type SharedStore = Arc<dyn Store>;

/// A fixed "now" with a sub-millisecond part, so nanosecond round-trips are exercised.
pub(crate) const NOW: OffsetDateTime = time::macros::datetime!(2026-01-05 14:30:00.123_456_789 UTC);

/// `NOW` plus some seconds.
pub(crate) fn at(seconds: i64) -> OffsetDateTime {
    NOW + time::Duration::seconds(seconds)
}

/// A directory under the system temp dir, removed (with everything in it) on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "finhub-store-it-{}-{n}-{label}",
            std::process::id()
        ));
        // A leftover from an earlier run with the same process id would carry old data.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test's temp directory");
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `sqlite:` URL for a database file.
pub(crate) fn sqlite_url(file: &Path) -> String {
    format!("sqlite:{}?mode=rwc", file.display())
}

/// A fresh database for one test; a file database's directory, or a PostgreSQL database, goes
/// when this does.
#[derive(Debug)]
pub(crate) struct TestDb {
    pub(crate) store: SharedStore,
    _dir: Option<TempDir>,
    _postgres: Option<PostgresTestDatabase>,
}

impl TestDb {
    /// A private in-memory SQLite database.
    pub(crate) async fn memory() -> Self {
        let store = finhub_store::connect("sqlite::memory:")
            .await
            .expect("open an in-memory SQLite store");
        Self {
            store,
            _dir: None,
            _postgres: None,
        }
    }

    /// A PostgreSQL database of its own (see `finhub_store::testing`), dropped afterwards.
    pub(crate) async fn postgres(label: &str) -> Self {
        let database = PostgresTestDatabase::create(label).await;
        let store = finhub_store::connect(database.url())
            .await
            .expect("open a PostgreSQL store");
        Self {
            store,
            _dir: None,
            _postgres: Some(database),
        }
    }

    /// A SQLite database in a fresh WAL file.
    pub(crate) async fn file(label: &str) -> Self {
        let dir = TempDir::new(label);
        let store = finhub_store::connect(&sqlite_url(&dir.path().join("finhub.db")))
            .await
            .expect("open a file SQLite store");
        Self {
            store,
            _dir: Some(dir),
            _postgres: None,
        }
    }
}

pub(crate) fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).expect("test tenant id")
}

pub(crate) fn customer_id(id: &str) -> CustomerId {
    CustomerId::parse(id).expect("test customer id")
}

pub(crate) fn username(name: &str) -> Username {
    Username::parse(name).expect("test username")
}

pub(crate) fn family(id: &str) -> FamilyId {
    FamilyId::from_stored(id.to_owned())
}

pub(crate) fn tenant(id: &str) -> Tenant {
    Tenant {
        id: tenant_id(id),
        name: format!("Tenant {id}"),
        scope: Scope::parse("finra:otcMarket finra:fixedIncomeMarket").expect("test scope"),
        allow_list: NetList::parse(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
            .expect("test allow-list"),
        disabled: false,
    }
}

pub(crate) fn customer(tenant: &str, id: &str, account_type: AccountType) -> Customer {
    Customer {
        id: customer_id(id),
        tenant_id: tenant_id(tenant),
        name: format!("Customer {id}"),
        account_type,
        secret_hash: SecretHash::of(&format!("secret of {tenant}/{id}")),
        disabled: false,
    }
}

pub(crate) fn user(tenant: &str, name: &str) -> User {
    User {
        tenant_id: tenant_id(tenant),
        username: username(name),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt-of-{name}$hash"),
        disabled: false,
        role: UserRole::Member,
    }
}

/// The customer every seeded tenant has.
pub(crate) const CUSTOMER: &str = "cus_main";
/// The user every seeded tenant has.
pub(crate) const USER: &str = "alice";

/// Creates a tenant with one `b2b` customer (`CUSTOMER`) and one user (`USER`).
pub(crate) async fn seed_tenant(store: &dyn Store, id: &str) {
    store
        .insert_tenant(&tenant(id))
        .await
        .expect("insert tenant");
    store
        .insert_customer(&customer(id, CUSTOMER, AccountType::B2b))
        .await
        .expect("insert customer");
    store
        .insert_user(&user(id, USER))
        .await
        .expect("insert user");
}

/// A live session of `USER` in a seeded tenant: access valid for an hour, session for 12 h.
pub(crate) fn session(tenant: &str, key: &str, family_id: &str) -> Session {
    Session {
        key_hash: SecretHash::of(key),
        tenant_id: tenant_id(tenant),
        customer_id: customer_id(CUSTOMER),
        username: Some(username(USER)),
        account_type: AccountType::B2b,
        scope: Scope::parse("finra:otcMarket").expect("test scope"),
        family_id: family(family_id),
        created_at: NOW,
        access_expires_at: at(3_600),
        access_lifetime: time::Duration::seconds(3_600),
        session_expires_at: at(12 * 3_600),
        revoked_at: None,
        authentication: Some(login_proof()),
        origin: SessionOrigin {
            platform: Some("macOS".into()),
            user_agent: Some("Mozilla/5.0 (Macintosh) Test/1.0".into()),
            address: Some("192.0.2.10".into()),
        },
        last_used_at: None,
    }
}

/// How `USER`'s login was proved: password and TOTP code, at a time with nanoseconds.
pub(crate) fn login_proof() -> Authentication {
    Authentication {
        methods: vec![AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa],
        at: NOW - time::Duration::nanoseconds(1_234_567_891),
    }
}

/// An unused refresh token of `USER` in a seeded tenant, issued with the session `key`.
pub(crate) fn refresh_token(
    tenant: &str,
    token: &str,
    family_id: &str,
    key: &str,
) -> RefreshTokenRecord {
    RefreshTokenRecord {
        hash: SecretHash::of(token),
        family_id: family(family_id),
        tenant_id: tenant_id(tenant),
        customer_id: customer_id(CUSTOMER),
        username: Some(username(USER)),
        session_key_hash: SecretHash::of(key),
        expires_at: at(7 * 24 * 3_600),
        used_at: None,
        successor: None,
        revoked_at: None,
        authentication: Some(login_proof()),
    }
}

pub(crate) fn audit_event(at: OffsetDateTime, request_id: &str) -> AuditEvent {
    AuditEvent {
        at,
        request_id: request_id.to_owned(),
        action: AuditAction::PasswordLogin,
        outcome: AuditOutcome::Success,
        tenant: Some("1234567".to_owned()),
        customer: Some(CUSTOMER.to_owned()),
        username: Some(USER.to_owned()),
        peer_addr: "127.0.0.1".to_owned(),
        client_addr: "127.0.0.1".to_owned(),
        forwarded_for: None,
        user_agent: Some("it/1.0".to_owned()),
        platform: Some("\"Linux\"".to_owned()),
        client_certificate: None,
        actor: None,
        sessions_ended: None,
    }
}

pub(crate) fn assert_tenant_eq(actual: &Tenant, expected: &Tenant) {
    assert_eq!(actual.id, expected.id);
    assert_eq!(actual.name, expected.name);
    assert_eq!(actual.scope, expected.scope);
    assert_eq!(actual.allow_list, expected.allow_list);
    assert_eq!(actual.disabled, expected.disabled);
}

pub(crate) fn assert_customer_eq(actual: &Customer, expected: &Customer) {
    assert_eq!(actual.id, expected.id);
    assert_eq!(actual.tenant_id, expected.tenant_id);
    assert_eq!(actual.name, expected.name);
    assert_eq!(actual.account_type, expected.account_type);
    assert_eq!(actual.secret_hash, expected.secret_hash);
    assert_eq!(actual.disabled, expected.disabled);
}

pub(crate) fn assert_user_eq(actual: &User, expected: &User) {
    assert_eq!(actual.tenant_id, expected.tenant_id);
    assert_eq!(actual.username, expected.username);
    assert_eq!(actual.password_hash, expected.password_hash);
    assert_eq!(actual.disabled, expected.disabled);
    assert_eq!(actual.role, expected.role);
}

pub(crate) fn assert_session_eq(actual: &Session, expected: &Session) {
    assert_eq!(actual.key_hash, expected.key_hash);
    assert_eq!(actual.tenant_id, expected.tenant_id);
    assert_eq!(actual.customer_id, expected.customer_id);
    assert_eq!(actual.username, expected.username);
    assert_eq!(actual.account_type, expected.account_type);
    assert_eq!(actual.scope, expected.scope);
    assert_eq!(actual.family_id, expected.family_id);
    assert_eq!(actual.created_at, expected.created_at);
    assert_eq!(actual.access_expires_at, expected.access_expires_at);
    assert_eq!(actual.access_lifetime, expected.access_lifetime);
    assert_eq!(actual.session_expires_at, expected.session_expires_at);
    assert_eq!(actual.revoked_at, expected.revoked_at);
    assert_eq!(actual.authentication, expected.authentication);
    assert_eq!(actual.origin, expected.origin);
    assert_eq!(actual.last_used_at, expected.last_used_at);
}

pub(crate) fn assert_refresh_token_eq(actual: &RefreshTokenRecord, expected: &RefreshTokenRecord) {
    assert_eq!(actual.hash, expected.hash);
    assert_eq!(actual.family_id, expected.family_id);
    assert_eq!(actual.tenant_id, expected.tenant_id);
    assert_eq!(actual.customer_id, expected.customer_id);
    assert_eq!(actual.username, expected.username);
    assert_eq!(actual.session_key_hash, expected.session_key_hash);
    assert_eq!(actual.expires_at, expected.expires_at);
    assert_eq!(actual.used_at, expected.used_at);
    assert_eq!(actual.successor, expected.successor);
    assert_eq!(actual.revoked_at, expected.revoked_at);
    assert_eq!(actual.authentication, expected.authentication);
}
