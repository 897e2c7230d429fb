//! `UpstreamTokenStore`: where the backend shares upstream tokens (PostgreSQL), one lock per
//! tenant and upstream — a second holder waits, and gives up at its bound — the token stored
//! under it read back by the next holder and only for the credential it was minted with; where
//! it does not (SQLite), nothing is stored and there is no lock.

use std::time::Duration;

use finhub_core::error::StoreError;
use finhub_core::model::{StoredUpstreamToken, UpstreamTokenKey};
use finhub_core::secret::SecretHash;

use crate::support::{SharedStore, at, seed_tenant, tenant_id};

const T: &str = "1234567";
const OTHER: &str = "7654321";
const HOLD: Duration = Duration::from_secs(5);

fn key(tenant: &str, credential: &str) -> UpstreamTokenKey {
    UpstreamTokenKey {
        tenant_id: tenant_id(tenant),
        kind: "finra",
        credential: SecretHash::of(credential),
    }
}

pub(crate) async fn upstream_tokens_are_shared_under_one_lock_per_tenant_where_the_backend_shares(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    seed_tenant(store.as_ref(), OTHER).await;
    let mine = key(T, "credential one");
    assert_eq!(store.upstream_token(&mine).await.expect("read"), None);
    if !store.shares_upstream_tokens() {
        let refused = store.lock_upstream_token(&mine, HOLD).await;
        assert!(matches!(refused, Err(StoreError::Unavailable(_))));
        return;
    }

    let mut held = store.lock_upstream_token(&mine, HOLD).await.expect("lock");
    assert_eq!(held.token().await.expect("read under the lock"), None);
    // Another holder of the same key waits, and gives up at its own bound.
    let waited = store
        .lock_upstream_token(&key(T, "credential one"), Duration::from_millis(300))
        .await;
    assert!(
        matches!(waited, Err(StoreError::Unavailable(_))),
        "the second holder waited and gave up"
    );
    // Another tenant's lock is its own.
    store
        .lock_upstream_token(&key(OTHER, "credential one"), HOLD)
        .await
        .expect("another tenant's lock")
        .release()
        .await;

    let token = StoredUpstreamToken {
        sealed_token: b"sealed upstream token".to_vec(),
        expires_at: at(600),
        lifetime: time::Duration::seconds(600),
    };
    held.store(&token).await.expect("store and release");
    let mut next = store
        .lock_upstream_token(&mine, HOLD)
        .await
        .expect("free again");
    assert_eq!(next.token().await.expect("read"), Some(token.clone()));
    next.release().await;
    assert_eq!(
        store.upstream_token(&mine).await.expect("read"),
        Some(token)
    );
    assert_eq!(
        store
            .upstream_token(&key(T, "a replaced credential"))
            .await
            .expect("read"),
        None,
        "minted with another credential"
    );
    assert_eq!(
        store
            .upstream_token(&key(OTHER, "credential one"))
            .await
            .expect("read"),
        None
    );
    // A released lock stored nothing.
    let released = store.lock_upstream_token(&mine, HOLD).await.expect("lock");
    released.release().await;
    assert!(store.upstream_token(&mine).await.expect("read").is_some());
}
