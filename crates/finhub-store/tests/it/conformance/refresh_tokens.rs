//! `SessionStore`, refresh tokens: round-trips, single use with the successor kept for the grace
//! window, and refusal of revoked or unknown tokens.

use finhub_core::error::StoreError;
use finhub_core::secret::SecretHash;

use crate::support::{
    SharedStore, assert_refresh_token_eq, assert_session_eq, at, customer_id, refresh_token,
    seed_tenant, session,
};

const T: &str = "1234567";

pub(crate) async fn refresh_tokens_round_trip_and_conflict_on_reinsert(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    let fresh = refresh_token(T, "rt-fresh", "family", "key");
    let mut machine = refresh_token(T, "rt-machine", "family-2", "key-2");
    machine.username = None;
    machine.used_at = Some(at(-10) + time::Duration::nanoseconds(3));
    machine.successor = Some(vec![0; 300]);
    machine.revoked_at = Some(at(-1));
    for token in [&fresh, &machine] {
        store.insert_refresh_token(token).await.expect("insert");
    }
    for expected in [&fresh, &machine] {
        let found = store
            .refresh_token(&expected.hash)
            .await
            .expect("read")
            .expect("present");
        assert_refresh_token_eq(&found, expected);
    }
    assert!(
        store
            .refresh_token(&SecretHash::of("rt-unknown"))
            .await
            .expect("read")
            .is_none()
    );

    assert!(matches!(
        store.insert_refresh_token(&fresh).await,
        Err(StoreError::Conflict(_))
    ));
    let mut orphan = refresh_token(T, "rt-orphan", "family", "key");
    orphan.customer_id = customer_id("cus_nobody");
    assert!(matches!(
        store.insert_refresh_token(&orphan).await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn a_refresh_token_is_consumed_once_and_keeps_its_successor(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    let token = refresh_token(T, "rt", "family", "key");
    store.insert_refresh_token(&token).await.expect("insert");

    assert!(
        store
            .consume_refresh_token(&token.hash, at(60), b"sealed pair 1")
            .await
            .expect("consume")
    );
    assert!(
        !store
            .consume_refresh_token(&token.hash, at(61), b"sealed pair 2")
            .await
            .expect("consume again"),
        "a refresh token is single-use"
    );
    let found = store
        .refresh_token(&token.hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.used_at, Some(at(60)));
    assert_eq!(found.successor.as_deref(), Some(&b"sealed pair 1"[..]));
    assert_eq!(found.revoked_at, None);
}

pub(crate) async fn revoked_or_unknown_refresh_tokens_cannot_be_consumed(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    let mut revoked = refresh_token(T, "rt-revoked", "family", "key");
    revoked.revoked_at = Some(at(-1));
    store.insert_refresh_token(&revoked).await.expect("insert");
    assert!(
        !store
            .consume_refresh_token(&revoked.hash, at(1), b"pair")
            .await
            .expect("consume revoked")
    );
    let found = store
        .refresh_token(&revoked.hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.used_at, None);
    assert_eq!(found.successor, None);

    assert!(
        !store
            .consume_refresh_token(&SecretHash::of("rt-unknown"), at(1), b"pair")
            .await
            .expect("consume unknown")
    );
}

pub(crate) async fn a_session_and_its_refresh_token_are_issued_together_or_not_at_all(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let first = session(T, "key", "family");
    let token = refresh_token(T, "rt", "family", "key");
    store.insert_issued(&first, &token).await.expect("issue");
    let stored = store.session(&first.key_hash).await.expect("read");
    assert_session_eq(&stored.expect("session"), &first);
    let stored = store.refresh_token(&token.hash).await.expect("read");
    assert_refresh_token_eq(&stored.expect("token"), &token);

    // The token's hash collides with the one just stored: the new session must not be left
    // behind.
    let second = session(T, "key-2", "family-2");
    let colliding = refresh_token(T, "rt", "family-2", "key-2");
    assert!(matches!(
        store.insert_issued(&second, &colliding).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .session(&second.key_hash)
            .await
            .expect("read")
            .is_none(),
        "a failed issue rolled back its session"
    );
}
