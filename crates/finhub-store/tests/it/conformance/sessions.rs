//! `SessionStore`, sessions: exact round-trips, the access-expiry compare-and-set, revocation of
//! one session or a whole family, and which sessions count as active.

use finhub_core::error::StoreError;
use finhub_core::model::AccountType;
use finhub_core::scope::Scope;
use finhub_core::secret::SecretHash;
use finhub_core::store::Purged;

use crate::support::{
    CUSTOMER, NOW, SharedStore, assert_session_eq, at, customer, customer_id, family,
    refresh_token, seed_tenant, session, tenant_id, username,
};

const T: &str = "1234567";

pub(crate) async fn sessions_round_trip_to_the_nanosecond(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    store
        .insert_customer(&customer(T, "cus_machine", AccountType::B2c))
        .await
        .expect("second customer");

    let person = session(T, "key-person", "family-1");
    let mut machine = session(T, "key-machine", "family-2");
    machine.customer_id = customer_id("cus_machine");
    machine.username = None;
    machine.account_type = AccountType::B2c;
    machine.scope = Scope::default();
    machine.access_lifetime = time::Duration::new(1_800, 999_999_999);
    machine.access_expires_at = at(1) + time::Duration::nanoseconds(1);
    machine.revoked_at = Some(at(2) + time::Duration::nanoseconds(7));
    machine.authentication = None;
    for session in [&person, &machine] {
        store.insert_session(session).await.expect("insert session");
    }

    for expected in [&person, &machine] {
        let found = store
            .session(&expected.key_hash)
            .await
            .expect("read")
            .expect("present");
        assert_session_eq(&found, expected);
    }
    assert!(
        store
            .session(&SecretHash::of("key-unknown"))
            .await
            .expect("read")
            .is_none()
    );
}

pub(crate) async fn session_inserts_conflict_and_need_their_customer_and_user(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    let first = session(T, "key", "family");
    store.insert_session(&first).await.expect("insert");
    let mut again = session(T, "key", "another family");
    again.access_expires_at = at(5);
    assert!(matches!(
        store.insert_session(&again).await,
        Err(StoreError::Conflict(_))
    ));
    let kept = store
        .session(&first.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_session_eq(&kept, &first);

    let mut unknown_customer = session(T, "key-2", "family");
    unknown_customer.customer_id = customer_id("cus_nobody");
    assert!(matches!(
        store.insert_session(&unknown_customer).await,
        Err(StoreError::NotFound(_))
    ));
    let mut unknown_user = session(T, "key-3", "family");
    unknown_user.username = Some(username("nobody"));
    assert!(matches!(
        store.insert_session(&unknown_user).await,
        Err(StoreError::NotFound(_))
    ));
    let mut unknown_tenant = session("999", "key-4", "family");
    unknown_tenant.customer_id = customer_id(CUSTOMER);
    assert!(matches!(
        store.insert_session(&unknown_tenant).await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn extend_access_is_a_compare_and_set_refused_for_revoked_sessions(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let live = session(T, "key", "family");
    store.insert_session(&live).await.expect("insert");
    let first = live.access_expires_at;
    let second = at(6_000);

    assert!(
        !store
            .extend_access(&live.key_hash, at(1), second)
            .await
            .expect("stale expectation"),
        "a wrong expected value changes nothing"
    );
    assert!(
        !store
            .extend_access(
                &live.key_hash,
                first + time::Duration::nanoseconds(1),
                second
            )
            .await
            .expect("off by a nanosecond"),
        "the comparison is exact to the nanosecond"
    );
    assert!(
        store
            .extend_access(&live.key_hash, first, second)
            .await
            .expect("extend")
    );
    let found = store
        .session(&live.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.access_expires_at, second);
    assert!(
        !store
            .extend_access(&live.key_hash, first, at(9_000))
            .await
            .expect("replay"),
        "the old value no longer matches"
    );
    assert!(
        !store
            .extend_access(&SecretHash::of("unknown"), first, second)
            .await
            .expect("unknown session")
    );

    store
        .revoke_session(&live.key_hash, at(10))
        .await
        .expect("revoke");
    assert!(
        !store
            .extend_access(&live.key_hash, second, at(9_000))
            .await
            .expect("revoked"),
        "a revoked session is never extended"
    );
    let found = store
        .session(&live.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.access_expires_at, second);
}

pub(crate) async fn revoking_a_session_keeps_the_first_time_and_unknown_sessions_are_not_found(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let live = session(T, "key", "family");
    let other = session(T, "key-other", "family");
    store.insert_session(&live).await.expect("insert");
    store.insert_session(&other).await.expect("insert other");

    store
        .revoke_session(&live.key_hash, at(10))
        .await
        .expect("revoke");
    store
        .revoke_session(&live.key_hash, at(20))
        .await
        .expect("revoking again is not an error");
    let found = store
        .session(&live.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.revoked_at, Some(at(10)));
    let untouched = store
        .session(&other.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        untouched.revoked_at, None,
        "only the named session is revoked"
    );

    assert!(matches!(
        store
            .revoke_session(&SecretHash::of("unknown"), at(1))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn active_sessions_exclude_revoked_and_ended_ones(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    let live = session(T, "key-live", "f1");
    let mut access_expired = session(T, "key-access-expired", "f2");
    access_expired.access_expires_at = at(-1);
    let mut revoked = session(T, "key-revoked", "f3");
    revoked.revoked_at = Some(at(-5));
    let mut ended = session(T, "key-ended", "f4");
    ended.created_at = at(-13 * 3_600);
    ended.access_expires_at = at(-12 * 3_600);
    ended.session_expires_at = at(-1);
    let mut ends_now = session(T, "key-ends-now", "f5");
    ends_now.session_expires_at = NOW;
    for session in [&live, &access_expired, &revoked, &ended, &ends_now] {
        store.insert_session(session).await.expect("insert");
    }

    let active = store
        .list_active_sessions(&tenant_id(T), NOW)
        .await
        .expect("list");
    let mut keys: Vec<SecretHash> = active.iter().map(|s| s.key_hash.clone()).collect();
    let mut expected = vec![live.key_hash.clone(), access_expired.key_hash.clone()];
    keys.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    expected.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(
        keys, expected,
        "revoked sessions and sessions at or past their absolute end are not active; an expired \
         access token alone does not end a session"
    );
    assert_eq!(store.count_active_sessions(NOW).await.expect("count"), 2);
    store.ping().await.expect("the store answers");

    store
        .revoke_session(&live.key_hash, at(1))
        .await
        .expect("revoke");
    let active = store
        .list_active_sessions(&tenant_id(T), at(1))
        .await
        .expect("list");
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].key_hash, access_expired.key_hash);
    let later = store
        .list_active_sessions(&tenant_id(T), at(12 * 3_600))
        .await
        .expect("list");
    assert!(later.is_empty(), "every session has ended 12 h later");
    assert_eq!(store.count_active_sessions(at(1)).await.expect("count"), 1);
    assert_eq!(
        store
            .count_active_sessions(at(12 * 3_600))
            .await
            .expect("count"),
        0
    );
}

pub(crate) async fn revoke_family_revokes_its_sessions_and_refresh_tokens_and_nothing_else(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let first = session(T, "key-1", "family-f");
    let mut already_revoked = session(T, "key-2", "family-f");
    already_revoked.revoked_at = Some(at(-60));
    let bystander = session(T, "key-3", "family-g");
    for session in [&first, &already_revoked, &bystander] {
        store.insert_session(session).await.expect("insert session");
    }
    let used = {
        let mut token = refresh_token(T, "rt-1", "family-f", "key-1");
        token.used_at = Some(at(-30));
        token.successor = Some(vec![1, 2, 3]);
        token
    };
    let current = refresh_token(T, "rt-2", "family-f", "key-1");
    let bystander_token = refresh_token(T, "rt-3", "family-g", "key-3");
    for token in [&used, &current, &bystander_token] {
        store
            .insert_refresh_token(token)
            .await
            .expect("insert token");
    }

    let revoked = store
        .revoke_family(&family("family-f"), at(100))
        .await
        .expect("revoke family");
    assert_eq!(revoked, 1, "only sessions not already revoked are counted");

    let found = store
        .session(&first.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.revoked_at, Some(at(100)));
    let found = store
        .session(&already_revoked.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        found.revoked_at,
        Some(at(-60)),
        "the first revocation time is kept"
    );
    for token in [&used, &current] {
        let found = store
            .refresh_token(&token.hash)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(
            found.revoked_at,
            Some(at(100)),
            "every token of the family is revoked"
        );
    }
    assert!(
        !store
            .consume_refresh_token(&current.hash, at(101), b"pair")
            .await
            .expect("consume"),
        "a revoked token cannot be exchanged"
    );
    assert!(
        !store
            .extend_access(&first.key_hash, first.access_expires_at, at(7_200))
            .await
            .expect("extend"),
        "a revoked session cannot be refreshed"
    );

    let found = store
        .session(&bystander.key_hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.revoked_at, None, "other families are untouched");
    let found = store
        .refresh_token(&bystander_token.hash)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.revoked_at, None);

    assert_eq!(
        store
            .revoke_family(&family("family-f"), at(200))
            .await
            .expect("again"),
        0
    );
    assert_eq!(
        store
            .revoke_family(&family("family-unknown"), at(200))
            .await
            .expect("unknown family"),
        0
    );
}

/// Ending a principal's access revokes exactly the sessions and refresh tokens resting on it:
/// a user's through every customer, a customer's of every user and machine, a tenant's all —
/// never another tenant's, and never twice.
pub(crate) async fn revoking_what_rests_on_a_principal_revokes_exactly_that(store: &SharedStore) {
    use finhub_core::model::Principal;
    const OTHER: &str = "7654321";
    seed_tenant(store.as_ref(), T).await;
    seed_tenant(store.as_ref(), OTHER).await;
    store
        .insert_customer(&customer(T, "cus_other", AccountType::B2b))
        .await
        .expect("second customer");
    store
        .insert_user(&crate::support::user(T, "bob"))
        .await
        .expect("second user");
    // alice via the main customer, bob via the main customer, a machine via the other
    // customer, alice in the other tenant; each with a refresh token.
    let alice = session(T, "key-alice", "family-alice");
    let mut bob = session(T, "key-bob", "family-bob");
    bob.username = Some(username("bob"));
    let mut machine = session(T, "key-machine", "family-machine");
    machine.customer_id = customer_id("cus_other");
    machine.username = None;
    let elsewhere = session(OTHER, "key-elsewhere", "family-elsewhere");
    // alice's second login, the one she acts from: kept when she ends her other sessions.
    let alice_here = session(T, "key-alice-here", "family-alice-here");
    for (session, token, tenant) in [
        (&alice, "rt-alice", T),
        (&alice_here, "rt-alice-here", T),
        (&bob, "rt-bob", T),
        (&machine, "rt-machine", T),
        (&elsewhere, "rt-elsewhere", OTHER),
    ] {
        let mut record = refresh_token(tenant, token, session.family_id.as_str(), "unused");
        record.session_key_hash = session.key_hash.clone();
        record.customer_id = session.customer_id.clone();
        record.username = session.username.clone();
        store.insert_issued(session, &record).await.expect("issue");
    }
    let revoked = |key: &'static str| async move {
        store
            .session(&SecretHash::of(key))
            .await
            .expect("read")
            .expect("present")
            .revoked_at
            .is_some()
    };
    let token_revoked = |token: &'static str| async move {
        store
            .refresh_token(&SecretHash::of(token))
            .await
            .expect("read")
            .expect("present")
            .revoked_at
            .is_some()
    };

    let user = Principal::User(username(crate::support::USER));
    let here = family("family-alice-here");
    assert_eq!(
        store
            .revoke_resting_on(&tenant_id(T), &user, Some(&here), at(1))
            .await
            .expect("revoke"),
        1
    );
    assert!(revoked("key-alice").await && token_revoked("rt-alice").await);
    assert!(
        !revoked("key-alice-here").await && !token_revoked("rt-alice-here").await,
        "the kept family is untouched"
    );
    assert!(!revoked("key-bob").await && !revoked("key-elsewhere").await);
    assert!(
        !token_revoked("rt-elsewhere").await,
        "another tenant's alice is untouched"
    );
    assert_eq!(
        store
            .revoke_resting_on(&tenant_id(T), &user, Some(&here), at(2))
            .await
            .expect("again"),
        0,
        "never twice"
    );

    let other_customer = Principal::Customer(customer_id("cus_other"));
    assert_eq!(
        store
            .revoke_resting_on(&tenant_id(T), &other_customer, None, at(3))
            .await
            .expect("revoke"),
        1
    );
    assert!(revoked("key-machine").await && token_revoked("rt-machine").await);
    assert!(!revoked("key-bob").await);

    assert_eq!(
        store
            .revoke_resting_on(&tenant_id(T), &Principal::Tenant, None, at(4))
            .await
            .expect("revoke"),
        2,
        "only bob's and alice's kept one were left"
    );
    assert!(revoked("key-bob").await && token_revoked("rt-bob").await);
    assert!(revoked("key-alice-here").await && token_revoked("rt-alice-here").await);
    assert!(!revoked("key-elsewhere").await && !token_revoked("rt-elsewhere").await);
    // The first revocation time is kept.
    let alice_now = store
        .session(&SecretHash::of("key-alice"))
        .await
        .expect("read")
        .expect("present");
    assert_eq!(alice_now.revoked_at, Some(at(1)));
}

pub(crate) async fn a_persons_sessions_are_listed_newest_first_with_their_origin(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    seed_tenant(store.as_ref(), "7654321").await;
    let older = session(T, "key-older", "family-1");
    let mut newer = session(T, "key-newer", "family-2");
    newer.created_at = at(10);
    newer.origin.platform = None;
    newer.origin.user_agent = Some("finra/0.1".into());
    let mut revoked = session(T, "key-revoked", "family-3");
    revoked.revoked_at = Some(at(5));
    let mut ended = session(T, "key-ended", "family-4");
    ended.session_expires_at = at(20);
    let elsewhere = session("7654321", "key-elsewhere", "family-5");
    for session in [&older, &newer, &revoked, &ended, &elsewhere] {
        store.insert_session(session).await.expect("insert session");
    }
    store
        .insert_user(&crate::support::user(T, "bob"))
        .await
        .expect("another user");
    let mut bobs = session(T, "key-bob", "family-6");
    bobs.username = Some(username("bob"));
    store.insert_session(&bobs).await.expect("bob's session");

    let listed = store
        .list_user_sessions(&tenant_id(T), &username(crate::support::USER), at(30))
        .await
        .expect("list");
    let keys: Vec<_> = listed.iter().map(|s| s.key_hash.clone()).collect();
    assert_eq!(keys, [newer.key_hash.clone(), older.key_hash.clone()]);
    assert_session_eq(&listed[0], &newer);
    assert_session_eq(&listed[1], &older);
}

pub(crate) async fn the_last_use_is_written_at_most_once_per_interval(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    let live = session(T, "key", "family");
    store.insert_session(&live).await.expect("insert");
    let last_used = |store: &SharedStore| {
        let hash = live.key_hash.clone();
        let store = std::sync::Arc::clone(store);
        async move {
            store
                .session(&hash)
                .await
                .expect("read")
                .expect("present")
                .last_used_at
        }
    };
    let minute = time::Duration::minutes(1);
    assert_eq!(last_used(store).await, None);
    // Never used: written.
    assert!(
        store
            .touch_session(&live.key_hash, at(100), at(100) - minute)
            .await
            .expect("touch")
    );
    assert_eq!(last_used(store).await, Some(at(100)));
    // Within the minute: not written again.
    assert!(
        !store
            .touch_session(&live.key_hash, at(130), at(130) - minute)
            .await
            .expect("touch")
    );
    assert_eq!(last_used(store).await, Some(at(100)));
    // A minute on: written.
    assert!(
        store
            .touch_session(&live.key_hash, at(160), at(160) - minute)
            .await
            .expect("touch")
    );
    assert_eq!(last_used(store).await, Some(at(160)));
    // An unknown session: nothing written, no error.
    assert!(
        !store
            .touch_session(&SecretHash::of("key-unknown"), at(300), at(240))
            .await
            .expect("touch")
    );
}

pub(crate) async fn ended_sessions_and_refresh_tokens_are_purged_in_batches_live_families_kept(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    // Every refresh token of the family "over" has ended by `ended_by` (one exactly then), so
    // its ended sessions go; the family "live" has a token left, so its ended session stays.
    let ended_by = at(8 * 24 * 3_600);
    let mut over_last = session(T, "key-over-2", "over");
    over_last.session_expires_at = ended_by;
    let mut over_last_token = refresh_token(T, "rt-over-2", "over", "key-over-2");
    over_last_token.expires_at = ended_by;
    let mut live_token = refresh_token(T, "rt-live", "live", "key-live");
    live_token.expires_at = ended_by + time::Duration::nanoseconds(1);
    // Sessions with no refresh token at all: the one ended goes, the one not yet ended stays.
    let mut lone = session(T, "key-lone", "lone");
    lone.session_expires_at = ended_by + time::Duration::seconds(1);
    let sessions = [
        session(T, "key-over-1", "over"),
        over_last,
        session(T, "key-live", "live"),
        lone,
        session(T, "key-lone-ended", "lone-ended"),
    ];
    let tokens = [
        refresh_token(T, "rt-over-1", "over", "key-over-1"),
        over_last_token,
        live_token,
    ];
    for session in &sessions {
        store.insert_session(session).await.expect("insert session");
    }
    for token in &tokens {
        store
            .insert_refresh_token(token)
            .await
            .expect("insert token");
    }

    // One row of each kind per batch: a family's sessions wait until its last token is gone.
    let mut batches = Vec::new();
    loop {
        let purged = store.purge_ended(ended_by, 1).await.expect("purge");
        batches.push((purged.refresh_tokens, purged.sessions));
        if purged == Purged::default() {
            break;
        }
    }
    assert_eq!(batches, [(1, 1), (1, 1), (0, 1), (0, 0)]);

    for (key, kept) in [
        ("key-over-1", false),
        ("key-over-2", false),
        ("key-live", true),
        ("key-lone", true),
        ("key-lone-ended", false),
    ] {
        let found = store.session(&SecretHash::of(key)).await.expect("read");
        assert_eq!(found.is_some(), kept, "session {key}");
    }
    for (token, kept) in [
        ("rt-over-1", false),
        ("rt-over-2", false),
        ("rt-live", true),
    ] {
        let found = store
            .refresh_token(&SecretHash::of(token))
            .await
            .expect("read");
        assert_eq!(found.is_some(), kept, "refresh token {token}");
    }

    // A batch as large as there is ends it in one call.
    let later = store
        .purge_ended(ended_by + time::Duration::days(1), 100)
        .await
        .expect("purge later");
    assert_eq!(
        later,
        Purged {
            sessions: 2,
            refresh_tokens: 1
        }
    );
}
