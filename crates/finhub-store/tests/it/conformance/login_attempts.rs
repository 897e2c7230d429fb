//! `LoginAttemptStore`: consecutive failures count up per (tenant, username as sent), for
//! unknown tenants and usernames too, and a success clears them.

use crate::support::{NOW, SharedStore, at, seed_tenant, tenant_id};

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
