//! `CertificateBindingStore`: bindings by fingerprint and by subject pattern round-trip (to the
//! nanosecond), are listed per customer and per tenant in a stable order, conflict when repeated,
//! need their customer, are removed one at a time, and stay with their tenant.

use finhub_core::cert::{CertFingerprint, CertificateBinding, CertificateMatcher, SubjectPattern};
use finhub_core::error::StoreError;
use finhub_core::model::AccountType;

use crate::support::{
    CUSTOMER, NOW, SharedStore, at, customer, customer_id, seed_tenant, tenant_id,
};

fn fingerprint(seed: &[u8]) -> CertificateMatcher {
    CertificateMatcher::Fingerprint(CertFingerprint::of_der(seed))
}

fn pattern(text: &str) -> CertificateMatcher {
    CertificateMatcher::Subject(SubjectPattern::parse(text).expect("test pattern"))
}

fn binding(tenant: &str, customer: &str, matcher: CertificateMatcher) -> CertificateBinding {
    CertificateBinding {
        tenant_id: tenant_id(tenant),
        customer_id: customer_id(customer),
        matcher,
        created_at: NOW,
    }
}

pub(crate) async fn bindings_round_trip_per_customer_and_per_tenant(store: &SharedStore) {
    seed_tenant(store.as_ref(), "1234567").await;
    store
        .insert_customer(&customer("1234567", "cus_other", AccountType::B2c))
        .await
        .expect("second customer");
    let by_pattern = binding("1234567", CUSTOMER, pattern("dns:*.acme.example"));
    let mut by_fingerprint = binding("1234567", CUSTOMER, fingerprint(b"leaf one"));
    by_fingerprint.created_at = at(5);
    let other = binding("1234567", "cus_other", fingerprint(b"leaf two"));
    for b in [&by_pattern, &other, &by_fingerprint] {
        store.insert_certificate_binding(b).await.expect("insert");
    }

    let mine = store
        .certificate_bindings(&tenant_id("1234567"), &customer_id(CUSTOMER))
        .await
        .expect("read");
    assert_eq!(mine, [by_fingerprint.clone(), by_pattern.clone()]);
    let all = store
        .list_certificate_bindings(&tenant_id("1234567"))
        .await
        .expect("list");
    assert_eq!(all, [by_fingerprint, by_pattern, other]);
    assert!(
        store
            .certificate_bindings(&tenant_id("1234567"), &customer_id("cus_none"))
            .await
            .expect("read")
            .is_empty()
    );
}

pub(crate) async fn binding_inserts_conflict_and_need_their_customer(store: &SharedStore) {
    seed_tenant(store.as_ref(), "1234567").await;
    let first = binding("1234567", CUSTOMER, fingerprint(b"leaf"));
    store
        .insert_certificate_binding(&first)
        .await
        .expect("insert");
    let mut again = first.clone();
    again.created_at = at(60);
    assert!(matches!(
        store.insert_certificate_binding(&again).await,
        Err(StoreError::Conflict(_))
    ));
    // The same certificate may be bound to the customer by a pattern as well.
    store
        .insert_certificate_binding(&binding("1234567", CUSTOMER, pattern("cn:acme-*")))
        .await
        .expect("a pattern beside the fingerprint");
    for orphan in [
        binding("1234567", "cus_missing", fingerprint(b"leaf")),
        binding("7654321", CUSTOMER, fingerprint(b"leaf")),
    ] {
        assert!(
            matches!(
                store.insert_certificate_binding(&orphan).await,
                Err(StoreError::NotFound(_))
            ),
            "{orphan:?}"
        );
    }
}

pub(crate) async fn unbinding_removes_exactly_one_binding(store: &SharedStore) {
    seed_tenant(store.as_ref(), "1234567").await;
    let tenant = tenant_id("1234567");
    let customer = customer_id(CUSTOMER);
    let keep = binding("1234567", CUSTOMER, pattern("cn:acme-*"));
    let remove = binding("1234567", CUSTOMER, fingerprint(b"leaf"));
    for b in [&keep, &remove] {
        store.insert_certificate_binding(b).await.expect("insert");
    }
    store
        .delete_certificate_binding(&tenant, &customer, &remove.matcher)
        .await
        .expect("delete");
    assert_eq!(
        store
            .certificate_bindings(&tenant, &customer)
            .await
            .expect("read"),
        [keep]
    );
    assert!(matches!(
        store
            .delete_certificate_binding(&tenant, &customer, &remove.matcher)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn bindings_of_one_tenant_are_invisible_to_another(store: &SharedStore) {
    seed_tenant(store.as_ref(), "1001").await;
    seed_tenant(store.as_ref(), "2002").await;
    let in_a = binding("1001", CUSTOMER, fingerprint(b"leaf of A"));
    store
        .insert_certificate_binding(&in_a)
        .await
        .expect("insert");

    let b = tenant_id("2002");
    assert!(
        store
            .certificate_bindings(&b, &customer_id(CUSTOMER))
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        store
            .list_certificate_bindings(&b)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(matches!(
        store
            .delete_certificate_binding(&b, &customer_id(CUSTOMER), &in_a.matcher)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .list_certificate_bindings(&tenant_id("1001"))
            .await
            .expect("list"),
        [in_a]
    );
}
