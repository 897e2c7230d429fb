//! Races the hub relies on the store to settle: fifty tasks released together at a barrier call
//! the same method on the same record, on as many connections as the backend pools.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Barrier;

use crate::support::{NOW, SharedStore, at, refresh_token, seed_tenant, session, tenant_id};

const TASKS: usize = 50;
const T: &str = "1234567";

/// Runs `call(store, task index)` in `TASKS` spawned tasks that start together; returns their
/// results in task order.
async fn race<F, Fut, R>(store: &SharedStore, call: F) -> Vec<R>
where
    F: Fn(SharedStore, usize) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(TASKS));
    let handles: Vec<_> = (0..TASKS)
        .map(|idx| {
            let barrier = Arc::clone(&barrier);
            let call = call(Arc::clone(store), idx);
            tokio::spawn(async move {
                barrier.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(TASKS);
    for handle in handles {
        results.push(handle.await.expect("a racing task panicked"));
    }
    results
}

pub(crate) async fn fifty_concurrent_extend_access_calls_have_exactly_one_winner(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let live = session(T, "key", "family");
    store.insert_session(&live).await.expect("insert");
    let expected = live.access_expires_at;

    let results = race(store, |store, idx| {
        let key_hash = live.key_hash.clone();
        let offset = i64::try_from(idx).expect("small");
        async move {
            store
                .extend_access(&key_hash, expected, at(7_200 + offset))
                .await
        }
    })
    .await;

    let winners: Vec<usize> = results
        .into_iter()
        .enumerate()
        .filter_map(|(idx, result)| result.expect("extend_access").then_some(idx))
        .collect();
    assert_eq!(winners.len(), 1, "exactly one refresh wins: {winners:?}");
    let winner = i64::try_from(winners[0]).expect("small");
    let found = store
        .session(&live.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        found.access_expires_at,
        at(7_200 + winner),
        "the winner's value is stored"
    );
}

pub(crate) async fn fifty_concurrent_consumes_of_a_refresh_token_have_exactly_one_winner(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let token = refresh_token(T, "rt", "family", "key");
    store.insert_refresh_token(&token).await.expect("insert");

    let results = race(store, |store, idx| {
        let hash = token.hash.clone();
        async move {
            let successor = format!("sealed pair of task {idx}");
            store
                .consume_refresh_token(&hash, at(60), successor.as_bytes())
                .await
        }
    })
    .await;

    let winners: Vec<usize> = results
        .into_iter()
        .enumerate()
        .filter_map(|(idx, result)| result.expect("consume_refresh_token").then_some(idx))
        .collect();
    assert_eq!(winners.len(), 1, "exactly one exchange wins: {winners:?}");
    let found = store
        .refresh_token(&token.hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.used_at, Some(at(60)));
    assert_eq!(
        found.successor,
        Some(format!("sealed pair of task {}", winners[0]).into_bytes()),
        "the winner's successor is the one kept"
    );
}

pub(crate) async fn fifty_concurrent_failures_count_fifty(store: &SharedStore) {
    let results = race(store, |store, _| async move {
        store.record_failure(&tenant_id(T), "mallory", NOW).await
    })
    .await;

    let mut counts: Vec<u32> = results
        .into_iter()
        .map(|result| result.expect("record_failure"))
        .collect();
    counts.sort_unstable();
    let expected: Vec<u32> = (1..=50).collect();
    assert_eq!(counts, expected, "every failure is counted once, none lost");
    assert_eq!(
        store
            .failures(&tenant_id(T), "mallory")
            .await
            .expect("read"),
        Some((50, NOW))
    );

    store
        .clear_failures(&tenant_id(T), "mallory")
        .await
        .expect("clear");
    assert!(
        store
            .failures(&tenant_id(T), "mallory")
            .await
            .expect("read")
            .is_none()
    );
}

pub(crate) async fn fifty_concurrent_uses_of_a_totp_step_have_exactly_one_winner(
    store: &SharedStore,
) {
    use finhub_core::ids::FactorId;
    use finhub_core::model::TotpFactor;

    seed_tenant(store.as_ref(), T).await;
    let user = crate::support::username(crate::support::USER);
    let id = FactorId::from_stored("factor".to_owned());
    let factor = TotpFactor {
        tenant_id: tenant_id(T),
        username: user.clone(),
        id: id.clone(),
        sealed_secret: b"sealed".to_vec(),
        created_at: NOW,
        confirmed_at: None,
        expires_at: Some(at(600)),
        last_used_step: None,
    };
    store.insert_pending_totp(&factor).await.expect("pending");
    store
        .activate_totp(&tenant_id(T), &user, &id, 1, NOW)
        .await
        .expect("activate");
    let results = race(store, |store, _| {
        let (user, id) = (user.clone(), id.clone());
        async move { store.use_totp_step(&tenant_id(T), &user, &id, 2).await }
    })
    .await;
    let winners = results
        .into_iter()
        .filter(|result| *result.as_ref().expect("use_totp_step"))
        .count();
    assert_eq!(winners, 1, "one code, one login");
}

pub(crate) async fn fifty_concurrent_uses_of_a_recovery_code_have_exactly_one_winner(
    store: &SharedStore,
) {
    use finhub_core::secret::SecretHash;

    seed_tenant(store.as_ref(), T).await;
    let user = crate::support::username(crate::support::USER);
    let hash = SecretHash::of("the one recovery code");
    store
        .replace_recovery_codes(&tenant_id(T), &user, std::slice::from_ref(&hash))
        .await
        .expect("codes");
    let results = race(store, |store, _| {
        let (user, hash) = (user.clone(), hash.clone());
        async move { store.use_recovery_code(&tenant_id(T), &user, &hash).await }
    })
    .await;
    let winners = results
        .into_iter()
        .filter(|result| *result.as_ref().expect("use_recovery_code"))
        .count();
    assert_eq!(winners, 1, "a recovery code is used once");
}

pub(crate) async fn fifty_concurrent_spends_of_an_enrollment_token_have_exactly_one_winner(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let results = race(store, |store, _| async move {
        store
            .spend_enrollment_token(
                &tenant_id(T),
                "enr_once",
                crate::support::at(600),
                crate::support::at(0),
            )
            .await
    })
    .await;
    let winners = results
        .into_iter()
        .filter(|result| *result.as_ref().expect("spend_enrollment_token"))
        .count();
    assert_eq!(winners, 1, "an enrolment token is spent once");
}

pub(crate) async fn fifty_concurrent_issues_are_each_answered_for_their_own_rows(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    // Task 7 issues a session under a key another session already has: only it is refused
    // (whether or not the store writes concurrent issues together).
    store
        .insert_session(&session(T, "key-7", "family-taken"))
        .await
        .expect("the session task 7 collides with");
    let results = race(store, |store, idx| async move {
        let key = format!("key-{idx}");
        let family = format!("family-{idx}");
        let issued = session(T, &key, &family);
        let token = refresh_token(T, &format!("token-{idx}"), &family, &key);
        store.insert_issued(&issued, &token).await
    })
    .await;
    for (idx, result) in results.iter().enumerate() {
        if idx == 7 {
            assert!(
                matches!(result, Err(finhub_core::error::StoreError::Conflict(_))),
                "{result:?}"
            );
        } else {
            assert!(result.is_ok(), "task {idx}: {result:?}");
        }
    }
    for idx in (0..TASKS).filter(|idx| *idx != 7) {
        let key = finhub_core::secret::SecretHash::of(&format!("key-{idx}"));
        let found = store.session(&key).await.expect("read").expect("written");
        assert_eq!(found.family_id.as_str(), format!("family-{idx}"));
        let token = finhub_core::secret::SecretHash::of(&format!("token-{idx}"));
        assert!(store.refresh_token(&token).await.expect("read").is_some());
    }
    // Task 7's refresh token was not written either (both or neither).
    let token = finhub_core::secret::SecretHash::of("token-7");
    assert!(store.refresh_token(&token).await.expect("read").is_none());
    let taken = store
        .session(&finhub_core::secret::SecretHash::of("key-7"))
        .await
        .expect("read")
        .expect("the earlier session");
    assert_eq!(taken.family_id.as_str(), "family-taken");
}
