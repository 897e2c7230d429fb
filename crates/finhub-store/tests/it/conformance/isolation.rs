//! Tenant isolation: every tenant-scoped method, asked about tenant A's record under tenant B,
//! finds nothing and changes nothing, even when B has a record with the same id.

use finhub_core::error::StoreError;
use finhub_core::model::{AccountType, UpstreamCredential, UpstreamTarget};
use finhub_core::net::NetList;
use finhub_core::scope::Scope;

use crate::support::{
    NOW, SharedStore, at, customer, customer_id, seed_tenant, session, tenant, tenant_id, user,
    username,
};

const A: &str = "1001";
const B: &str = "2002";

pub(crate) async fn customers_of_one_tenant_are_invisible_to_another(store: &SharedStore) {
    store.insert_tenant(&tenant(A)).await.expect("tenant A");
    store.insert_tenant(&tenant(B)).await.expect("tenant B");
    let only_in_a = customer(A, "cus_only_a", AccountType::B2b);
    store
        .insert_customer(&only_in_a)
        .await
        .expect("customer of A");

    assert!(
        store
            .customer(&tenant_id(B), &only_in_a.id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .list_customers(&tenant_id(B))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(matches!(
        store
            .set_customer_disabled(&tenant_id(B), &only_in_a.id, true)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let untouched = store
        .customer(&tenant_id(A), &only_in_a.id)
        .await
        .expect("read")
        .expect("present");
    assert!(!untouched.disabled, "B's update did not reach A's customer");

    // The same id in both tenants names two independent customers.
    let shared_id = customer_id("cus_same");
    store
        .insert_customer(&customer(A, "cus_same", AccountType::B2b))
        .await
        .expect("A's");
    store
        .insert_customer(&customer(B, "cus_same", AccountType::B2c))
        .await
        .expect("B's");
    store
        .set_customer_disabled(&tenant_id(B), &shared_id, true)
        .await
        .expect("disable B's");
    let in_a = store
        .customer(&tenant_id(A), &shared_id)
        .await
        .expect("read")
        .expect("present");
    let in_b = store
        .customer(&tenant_id(B), &shared_id)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        (in_a.account_type, in_a.disabled),
        (AccountType::B2b, false)
    );
    assert_eq!((in_b.account_type, in_b.disabled), (AccountType::B2c, true));
    assert_ne!(in_a.secret_hash, in_b.secret_hash);
    assert_eq!(
        store
            .list_customers(&tenant_id(A))
            .await
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        store
            .list_customers(&tenant_id(B))
            .await
            .expect("list")
            .len(),
        1
    );
}

pub(crate) async fn users_of_one_tenant_are_invisible_to_another(store: &SharedStore) {
    store.insert_tenant(&tenant(A)).await.expect("tenant A");
    store.insert_tenant(&tenant(B)).await.expect("tenant B");
    store
        .insert_user(&user(A, "only-a"))
        .await
        .expect("user of A");

    assert!(
        store
            .user(&tenant_id(B), &username("only-a"))
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .list_users(&tenant_id(B))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(matches!(
        store
            .set_user_disabled(&tenant_id(B), &username("only-a"), true)
            .await,
        Err(StoreError::NotFound(_))
    ));

    let mut b_alice = user(B, "alice");
    b_alice.password_hash = "$argon2id$b".to_owned();
    store
        .insert_user(&user(A, "alice"))
        .await
        .expect("A's alice");
    store.insert_user(&b_alice).await.expect("B's alice");
    store
        .set_user_disabled(&tenant_id(A), &username("alice"), true)
        .await
        .expect("disable A's alice");
    let in_a = store
        .user(&tenant_id(A), &username("alice"))
        .await
        .expect("read")
        .expect("present");
    let in_b = store
        .user(&tenant_id(B), &username("alice"))
        .await
        .expect("read")
        .expect("present");
    assert!(in_a.disabled);
    assert!(!in_b.disabled);
    assert_eq!(in_b.password_hash, "$argon2id$b");
}

pub(crate) async fn upstream_credentials_and_tenant_settings_stay_with_their_tenant(
    store: &SharedStore,
) {
    store.insert_tenant(&tenant(A)).await.expect("tenant A");
    store.insert_tenant(&tenant(B)).await.expect("tenant B");
    let credential = UpstreamCredential {
        tenant_id: tenant_id(A),
        client_id: "a-client".to_owned(),
        sealed_secret: vec![7; 32],
        target: UpstreamTarget::FinraQa,
    };
    store
        .set_upstream_credential(&credential)
        .await
        .expect("A's credential");
    assert!(
        store
            .upstream_credential(&tenant_id(B))
            .await
            .expect("read")
            .is_none()
    );

    store
        .set_scope(&tenant_id(B), &Scope::default())
        .await
        .expect("B's scope");
    store
        .set_allow_list(&tenant_id(B), &NetList::default())
        .await
        .expect("B's allow-list");
    store
        .set_tenant_disabled(&tenant_id(B), true)
        .await
        .expect("disable B");
    let a = store
        .tenant(&tenant_id(A))
        .await
        .expect("read")
        .expect("present");
    let expected = tenant(A);
    assert_eq!(a.scope, expected.scope);
    assert_eq!(a.allow_list, expected.allow_list);
    assert!(!a.disabled);
}

pub(crate) async fn sessions_of_one_tenant_are_not_listed_for_another(store: &SharedStore) {
    seed_tenant(store.as_ref(), A).await;
    seed_tenant(store.as_ref(), B).await;
    store
        .insert_session(&session(A, "key-a", "family-a"))
        .await
        .expect("A's session");
    store
        .insert_session(&session(B, "key-b", "family-b"))
        .await
        .expect("B's session");

    let in_a = store
        .list_active_sessions(&tenant_id(A), NOW)
        .await
        .expect("list A");
    let in_b = store
        .list_active_sessions(&tenant_id(B), NOW)
        .await
        .expect("list B");
    assert_eq!(in_a.len(), 1);
    assert_eq!(in_b.len(), 1);
    assert_eq!(in_a[0].tenant_id, tenant_id(A));
    assert_eq!(in_b[0].tenant_id, tenant_id(B));
    assert!(
        store
            .list_active_sessions(&tenant_id("3003"), at(1))
            .await
            .expect("list unknown")
            .is_empty()
    );

    // A session must name a customer and user of its own tenant.
    let mut crossed = session(B, "key-crossed", "family-c");
    crossed.customer_id = customer_id("cus_only_in_a");
    store
        .insert_customer(&customer(A, "cus_only_in_a", AccountType::B2b))
        .await
        .expect("A's second customer");
    assert!(matches!(
        store.insert_session(&crossed).await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn login_failures_are_counted_per_tenant(store: &SharedStore) {
    for _ in 0..3 {
        store
            .record_failure(&tenant_id(A), "mallory", NOW)
            .await
            .expect("A's failure");
    }
    assert!(
        store
            .failures(&tenant_id(B), "mallory")
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store
            .record_failure(&tenant_id(B), "mallory", at(1))
            .await
            .expect("B's failure"),
        1
    );
    store
        .clear_failures(&tenant_id(B), "mallory")
        .await
        .expect("clear B");
    let in_a = store
        .failures(&tenant_id(A), "mallory")
        .await
        .expect("read");
    assert_eq!(
        in_a.map(|(count, _)| count),
        Some(3),
        "B's clear left A's count"
    );
}
