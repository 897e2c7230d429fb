//! `LoginAttemptStore`: consecutive failures count up per (tenant, username as sent), for
//! unknown tenants and usernames too; a success clears them, and runs quiet long enough are
//! forgotten.

use crate::support::{
    CUSTOMER, NOW, SharedStore, USER, assert_customer_eq, assert_tenant_eq, assert_user_eq, at,
    customer, customer_id, seed_tenant, tenant, tenant_id, user, username,
};
use finhub_core::model::AccountType;

pub(crate) async fn failures_count_up_and_clear(store: &SharedStore) {
    seed_tenant(store.as_ref(), "1").await;
    let tenant = tenant_id("1");
    assert!(
        store
            .failures(&tenant, "alice")
            .await
            .expect("read")
            .is_none()
    );

    for (expected, seconds) in [(1, 0), (2, 5), (3, 9)] {
        let count = store
            .record_failure(&tenant, "alice", at(seconds))
            .await
            .expect("record");
        assert_eq!(count, expected);
    }
    assert_eq!(
        store.failures(&tenant, "alice").await.expect("read"),
        Some((3, at(9))),
        "the count and the time of the last failure, to the nanosecond"
    );
    assert!(
        store
            .failures(&tenant, "Alice")
            .await
            .expect("read")
            .is_none(),
        "usernames are counted exactly as sent"
    );

    store.clear_failures(&tenant, "alice").await.expect("clear");
    assert!(
        store
            .failures(&tenant, "alice")
            .await
            .expect("read")
            .is_none()
    );
    store
        .clear_failures(&tenant, "alice")
        .await
        .expect("clearing nothing is fine");
    assert_eq!(
        store
            .record_failure(&tenant, "alice", at(20))
            .await
            .expect("record"),
        1,
        "counting starts again after a clear"
    );

    // Unknown tenants and usernames are counted, so probing them is throttled as well.
    let unknown = tenant_id("999999");
    assert_eq!(
        store
            .record_failure(&unknown, "no such user", NOW)
            .await
            .expect("record unknown"),
        1
    );
    assert_eq!(
        store
            .failures(&unknown, "no such user")
            .await
            .expect("read"),
        Some((1, NOW))
    );
}

pub(crate) async fn the_login_lookup_reads_tenant_customer_user_and_failures_at_once(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), "1").await;
    seed_tenant(store.as_ref(), "2").await;
    let one = tenant_id("1");
    store
        .record_failure(&one, USER, at(3))
        .await
        .expect("record");
    let found = store
        .login_lookup(
            &one,
            Some(&customer_id(CUSTOMER)),
            Some(&username(USER)),
            USER,
        )
        .await
        .expect("lookup");
    assert_tenant_eq(found.tenant.as_ref().expect("tenant"), &tenant("1"));
    assert_customer_eq(
        found.customer.as_ref().expect("customer"),
        &customer("1", CUSTOMER, AccountType::B2b),
    );
    assert_user_eq(found.user.as_ref().expect("user"), &user("1", USER));
    assert_eq!(found.failures, Some((1, at(3))));

    // Nothing named, or names that do not exist: the tenant alone.
    for (customer, name, key) in [
        (None, None, "client:cus_main"),
        (
            Some(customer_id("cus_nobody")),
            Some(username("bob")),
            "bob",
        ),
    ] {
        let found = store
            .login_lookup(&one, customer.as_ref(), name.as_ref(), key)
            .await
            .expect("lookup");
        assert!(found.tenant.is_some());
        assert!(found.customer.is_none() && found.user.is_none() && found.failures.is_none());
    }

    // Tenant 2's customer and user are not found through tenant 1, nor its failures.
    store
        .record_failure(&tenant_id("2"), "carol", at(1))
        .await
        .expect("record");
    let crossed = store
        .login_lookup(
            &one,
            Some(&customer_id(CUSTOMER)),
            Some(&username("carol")),
            "carol",
        )
        .await
        .expect("lookup");
    assert!(crossed.user.is_none() && crossed.failures.is_none());

    // An unknown tenant still reports the failures counted under its id.
    let ghost = tenant_id("9999");
    store
        .record_failure(&ghost, USER, NOW)
        .await
        .expect("record");
    let found = store
        .login_lookup(
            &ghost,
            Some(&customer_id(CUSTOMER)),
            Some(&username(USER)),
            USER,
        )
        .await
        .expect("lookup");
    assert!(found.tenant.is_none() && found.customer.is_none() && found.user.is_none());
    assert_eq!(found.failures, Some((1, NOW)));
}

pub(crate) async fn quiet_runs_of_failures_are_forgotten_in_batches(store: &SharedStore) {
    seed_tenant(store.as_ref(), "1").await;
    let known = tenant_id("1");
    let unknown = tenant_id("999999");
    let quiet_since = at(150);
    // Runs whose last failure was at or before `quiet_since` go, of any tenant, known or not;
    // a run whose earlier failures were long ago but whose last one was later stays.
    for (tenant, name, seconds) in [
        (&known, "alice", 100),
        (&unknown, "made up", 150),
        (&known, "bob", 10),
        (&known, "bob", 151),
    ] {
        store
            .record_failure(tenant, name, at(seconds))
            .await
            .expect("record");
    }
    // Second-factor failures are another count, and not forgotten this way.
    let user = username(USER);
    store
        .record_mfa_failure(&known, &user, at(1))
        .await
        .expect("record second factor");

    let mut batches = Vec::new();
    loop {
        let forgotten = store
            .forget_quiet_failures(quiet_since, 1)
            .await
            .expect("forget");
        batches.push(forgotten);
        if forgotten == 0 {
            break;
        }
    }
    assert_eq!(batches, [1, 1, 0], "one run per batch of one");

    for (tenant, name, kept) in [
        (&known, "alice", None),
        (&unknown, "made up", None),
        (&known, "bob", Some((2, at(151)))),
    ] {
        assert_eq!(
            store.failures(tenant, name).await.expect("read"),
            kept,
            "{name}"
        );
    }
    assert_eq!(
        store.mfa_failures(&known, &user).await.expect("read"),
        Some((1, at(1)))
    );
    assert_eq!(
        store
            .record_failure(&known, "alice", at(200))
            .await
            .expect("record"),
        1,
        "a forgotten run's name starts a new run"
    );

    // A batch as large as there is ends it in one call.
    assert_eq!(
        store
            .forget_quiet_failures(at(500), 100)
            .await
            .expect("forget later"),
        2
    );
    assert!(store.failures(&known, "bob").await.expect("read").is_none());
}
