//! What only the SQLite backend has: URLs and backend choice, a file created on first use in WAL
//! mode, one file shared by two stores (the hub and `finhub admin`), private in-memory
//! databases, and how unreadable rows and unreachable databases are reported.

use std::sync::Arc;

use finhub_core::error::StoreError;
use finhub_core::store::{DirectoryStore, Store};
use finhub_store::{Backend, SqliteStore, UrlError};

use crate::support::{
    NOW, TempDir, at, refresh_token, seed_tenant, session, sqlite_url, tenant, tenant_id,
};

#[test]
fn the_backend_is_chosen_from_the_url_scheme() {
    assert_eq!(
        Backend::from_url("sqlite::memory:").ok(),
        Some(Backend::Sqlite)
    );
    assert_eq!(
        Backend::from_url("sqlite:/var/lib/finhub.db?mode=rwc").ok(),
        Some(Backend::Sqlite)
    );
    assert_eq!(
        Backend::from_url("SQLITE://finhub.db").ok(),
        Some(Backend::Sqlite)
    );
    assert_eq!(
        Backend::from_url("postgres://u:p@db/finhub").ok(),
        Some(Backend::Postgres)
    );
    assert_eq!(
        Backend::from_url("postgresql://db/finhub").ok(),
        Some(Backend::Postgres)
    );
    for bad in ["mysql://db", "finhub.db", "", "redis://cache"] {
        assert!(
            matches!(Backend::from_url(bad), Err(UrlError::UnknownScheme)),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_unavailable_without_echoing_the_url() {
    // Nothing listens on port 1: the connection is refused at once.
    let Err(error) = finhub_store::connect("postgres://admin:hunter2@127.0.0.1:1/finhub").await
    else {
        panic!("nothing listens there");
    };
    let StoreError::Unavailable(source) = &error else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert!(
        !format!("{error:?} {source}").contains("hunter2"),
        "the URL's password stays out"
    );

    let Err(error) = finhub_store::connect("mysql://db/finhub").await else {
        panic!("MySQL is not a backend");
    };
    assert!(matches!(error, StoreError::Unavailable(_)));
}

#[tokio::test]
async fn a_missing_file_is_created_in_wal_mode_with_or_without_mode_rwc() {
    let dir = TempDir::new("create");
    for (name, url) in [
        (
            "plain.db",
            format!("sqlite:{}", dir.path().join("plain.db").display()),
        ),
        ("rwc.db", sqlite_url(&dir.path().join("rwc.db"))),
    ] {
        let store = SqliteStore::connect(&url)
            .await
            .expect("create the database");
        store.insert_tenant(&tenant("1")).await.expect("write");
        assert!(dir.path().join(name).is_file(), "{name} exists");
        assert!(
            dir.path().join(format!("{name}-wal")).is_file(),
            "{name} is in WAL mode (its write-ahead log exists while open)"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_unavailable() {
    let dir = TempDir::new("unopenable");
    let url = sqlite_url(&dir.path().join("no-such-dir").join("finhub.db"));
    assert!(matches!(
        SqliteStore::connect(&url).await,
        Err(StoreError::Unavailable(_))
    ));
    let url = format!("sqlite:{}?mode=rw", dir.path().join("absent.db").display());
    assert!(
        matches!(
            SqliteStore::connect(&url).await,
            Err(StoreError::Unavailable(_))
        ),
        "an explicit mode=rw does not create the file"
    );
    assert!(matches!(
        SqliteStore::connect("sqlite:x.db?bogus=1").await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn in_memory_stores_are_private_to_each_connect() {
    let first = finhub_store::connect("sqlite::memory:")
        .await
        .expect("first");
    let second = finhub_store::connect("sqlite::memory:")
        .await
        .expect("second");
    first.insert_tenant(&tenant("1")).await.expect("write");
    assert!(first.tenant(&tenant_id("1")).await.expect("read").is_some());
    assert!(
        second
            .tenant(&tenant_id("1"))
            .await
            .expect("read")
            .is_none()
    );
}

/// An in-memory database lives as long as its one connection. On tokio's paused clock, with
/// nothing to stop it, the clock jumps to the next timer whenever the runtime waits for SQLite's
/// worker thread — here the time limit on taking the connection from the pool — so every call
/// that is still being served when its limit passes is cancelled; none may cost the connection.
#[tokio::test]
async fn an_in_memory_database_outlives_calls_cancelled_at_their_time_limit() {
    let store = finhub_store::connect("sqlite::memory:")
        .await
        .expect("store");
    store.insert_tenant(&tenant("1")).await.expect("write");
    tokio::time::pause();
    for _ in 0..100 {
        let reads: Vec<_> = (0..20)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.tenant(&tenant_id("1")).await })
            })
            .collect();
        for read in reads {
            match read.await.expect("a read") {
                Ok(found) => assert!(found.is_some(), "the tenant is still there"),
                Err(StoreError::Unavailable(cause)) => assert!(
                    cause.to_string().contains("timed out"),
                    "only the time limit fails a read: {cause}"
                ),
                Err(other) => panic!("a read failed: {other:?}"),
            }
        }
    }
    tokio::time::resume();
    assert!(
        store.tenant(&tenant_id("1")).await.expect("read").is_some(),
        "the database is still the one written to"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_see_each_others_writes() {
    let dir = TempDir::new("shared");
    let url = sqlite_url(&dir.path().join("finhub.db"));
    // The hub and `finhub admin`: two independent pools on one file, each running migrations.
    let server: Arc<dyn Store> = finhub_store::connect(&url).await.expect("server store");
    let admin: Arc<dyn Store> = finhub_store::connect(&url).await.expect("admin store");

    seed_tenant(admin.as_ref(), "1234567").await;
    let tenant = tenant_id("1234567");
    assert!(
        server.tenant(&tenant).await.expect("read").is_some(),
        "the hub sees the new tenant"
    );

    let live = session("1234567", "key", "family");
    server.insert_session(&live).await.expect("login");
    server
        .insert_refresh_token(&refresh_token("1234567", "rt", "family", "key"))
        .await
        .expect("refresh token");
    let listed = admin
        .list_active_sessions(&tenant, NOW)
        .await
        .expect("admin lists");
    assert_eq!(listed.len(), 1);

    let revoked = admin
        .revoke_family(&live.family_id, at(5))
        .await
        .expect("admin revokes");
    assert_eq!(revoked, 1);
    let found = server
        .session(&live.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        found.revoked_at,
        Some(at(5)),
        "the hub sees the revocation at once"
    );

    // Both write to the same row at once; the busy timeout serialises them, nothing is lost.
    let mut handles = Vec::new();
    for store in [&server, &admin] {
        for _ in 0..25 {
            let store = Arc::clone(store);
            handles.push(tokio::spawn(async move {
                store
                    .record_failure(&tenant_id("1234567"), "mallory", NOW)
                    .await
            }));
        }
    }
    for handle in handles {
        handle.await.expect("task").expect("record failure");
    }
    assert_eq!(
        server.failures(&tenant, "mallory").await.expect("read"),
        Some((50, NOW))
    );
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = TempDir::new("reopen");
    let url = sqlite_url(&dir.path().join("finhub.db"));
    let store = SqliteStore::connect(&url).await.expect("open");
    seed_tenant(&store, "1").await;
    store.close().await;

    let reopened = SqliteStore::connect(&url)
        .await
        .expect("reopen (migrations already applied)");
    assert!(
        reopened
            .tenant(&tenant_id("1"))
            .await
            .expect("read")
            .is_some()
    );
}

#[tokio::test]
async fn unreadable_rows_are_reported_as_corrupt() {
    let dir = TempDir::new("corrupt");
    let url = sqlite_url(&dir.path().join("finhub.db"));
    let store = SqliteStore::connect(&url).await.expect("open");
    seed_tenant(&store, "1").await;

    // Another program damages the row behind the store's back.
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("raw connection");
    sqlx::query("UPDATE tenants SET scope = 'not a scope', allow_list = '[\"nonsense\"]'")
        .execute(&pool)
        .await
        .expect("damage the row");
    pool.close().await;

    let Err(StoreError::Corrupt(what)) = store.tenant(&tenant_id("1")).await else {
        panic!("a damaged row is Corrupt");
    };
    assert!(what.contains("scope"), "{what}");
    assert!(matches!(
        store.list_tenants().await,
        Err(StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn an_unreadable_certificate_binding_is_reported_as_corrupt() {
    use finhub_core::cert::{CertFingerprint, CertificateBinding, CertificateMatcher};
    use finhub_core::store::CertificateBindingStore;

    let dir = TempDir::new("corrupt-binding");
    let url = sqlite_url(&dir.path().join("finhub.db"));
    let store = SqliteStore::connect(&url).await.expect("open");
    seed_tenant(&store, "1").await;
    let binding = CertificateBinding {
        tenant_id: tenant_id("1"),
        customer_id: crate::support::customer_id(crate::support::CUSTOMER),
        matcher: CertificateMatcher::Fingerprint(CertFingerprint::of_der(b"leaf")),
        created_at: crate::support::NOW,
    };
    store
        .insert_certificate_binding(&binding)
        .await
        .expect("insert");

    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("raw connection");
    sqlx::query("UPDATE certificate_bindings SET value = 'not hex'")
        .execute(&pool)
        .await
        .expect("damage the row");
    pool.close().await;

    let Err(StoreError::Corrupt(what)) = store.list_certificate_bindings(&tenant_id("1")).await
    else {
        panic!("a damaged binding is Corrupt");
    };
    assert!(what.contains("certificate binding"), "{what}");
}
