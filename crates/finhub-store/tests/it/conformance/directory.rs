//! `DirectoryStore`: tenants, customers, users and upstream credentials round-trip; duplicate
//! inserts conflict; updates of missing records are `NotFound`.

use finhub_core::error::StoreError;
use finhub_core::model::{AccountType, UpstreamCredential, UpstreamTarget, UserRole};
use finhub_core::net::NetList;
use finhub_core::scope::Scope;

use crate::support::{
    SharedStore, assert_customer_eq, assert_tenant_eq, assert_user_eq, customer, customer_id,
    tenant, tenant_id, user, username,
};

pub(crate) async fn tenants_round_trip_and_their_settings_can_be_replaced(store: &SharedStore) {
    assert!(store.list_tenants().await.expect("list").is_empty());
    let mut second = tenant("0042");
    second.scope = Scope::default();
    second.allow_list = NetList::default();
    second.disabled = true;
    let first = tenant("1234567");
    store.insert_tenant(&first).await.expect("insert first");
    store.insert_tenant(&second).await.expect("insert second");

    let found = store
        .tenant(&first.id)
        .await
        .expect("read")
        .expect("present");
    assert_tenant_eq(&found, &first);
    let found = store
        .tenant(&second.id)
        .await
        .expect("read")
        .expect("present");
    assert_tenant_eq(&found, &second);
    assert!(
        store
            .tenant(&tenant_id("42"))
            .await
            .expect("read")
            .is_none(),
        "leading zeros count"
    );

    let listed = store.list_tenants().await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_tenant_eq(&listed[0], &second);
    assert_tenant_eq(&listed[1], &first);

    let scope = Scope::parse("finra:firm").expect("scope");
    let allow_list = NetList::parse(&["127.0.0.1"]).expect("allow-list");
    store.set_scope(&first.id, &scope).await.expect("set scope");
    store
        .set_allow_list(&first.id, &allow_list)
        .await
        .expect("set allow-list");
    store
        .set_tenant_disabled(&first.id, true)
        .await
        .expect("disable");
    let found = store
        .tenant(&first.id)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.scope, scope);
    assert_eq!(found.allow_list, allow_list);
    assert!(found.disabled);
    store
        .set_tenant_disabled(&first.id, false)
        .await
        .expect("enable");
    let found = store
        .tenant(&first.id)
        .await
        .expect("read")
        .expect("present");
    assert!(!found.disabled);
    assert_eq!(found.name, first.name, "other fields are untouched");
}

pub(crate) async fn tenant_inserts_conflict_and_updates_of_missing_tenants_are_not_found(
    store: &SharedStore,
) {
    store.insert_tenant(&tenant("7")).await.expect("insert");
    let mut again = tenant("7");
    again.name = "Someone else".to_owned();
    assert!(matches!(
        store.insert_tenant(&again).await,
        Err(StoreError::Conflict(_))
    ));
    let kept = store
        .tenant(&tenant_id("7"))
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        kept.name, "Tenant 7",
        "a conflicting insert changes nothing"
    );

    let missing = tenant_id("8");
    assert!(matches!(
        store.set_scope(&missing, &Scope::default()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_allow_list(&missing, &NetList::default()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_tenant_disabled(&missing, true).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store.tenant(&missing).await.expect("read").is_none(),
        "updates create nothing"
    );
}

pub(crate) async fn customers_round_trip_and_can_be_disabled(store: &SharedStore) {
    store.insert_tenant(&tenant("1")).await.expect("tenant");
    let business = customer("1", "cus_b", AccountType::B2b);
    let consumer = customer("1", "cus_a", AccountType::B2c);
    store.insert_customer(&business).await.expect("insert b2b");
    store.insert_customer(&consumer).await.expect("insert b2c");

    let found = store
        .customer(&tenant_id("1"), &business.id)
        .await
        .expect("read")
        .expect("present");
    assert_customer_eq(&found, &business);
    let listed = store.list_customers(&tenant_id("1")).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_customer_eq(&listed[0], &consumer);
    assert_customer_eq(&listed[1], &business);
    assert!(
        store
            .customer(&tenant_id("1"), &customer_id("cus_c"))
            .await
            .expect("read")
            .is_none()
    );

    store
        .set_customer_disabled(&tenant_id("1"), &business.id, true)
        .await
        .expect("disable");
    let found = store
        .customer(&tenant_id("1"), &business.id)
        .await
        .expect("read")
        .expect("present");
    assert!(found.disabled);
    let other = store
        .customer(&tenant_id("1"), &consumer.id)
        .await
        .expect("read")
        .expect("present");
    assert!(!other.disabled, "only the named customer is disabled");
}

pub(crate) async fn customer_inserts_conflict_and_need_their_tenant(store: &SharedStore) {
    store.insert_tenant(&tenant("1")).await.expect("tenant");
    let first = customer("1", "cus_x", AccountType::B2b);
    store.insert_customer(&first).await.expect("insert");
    let again = customer("1", "cus_x", AccountType::B2c);
    assert!(matches!(
        store.insert_customer(&again).await,
        Err(StoreError::Conflict(_))
    ));

    let orphan = customer("2", "cus_y", AccountType::B2b);
    assert!(matches!(
        store.insert_customer(&orphan).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .set_customer_disabled(&tenant_id("1"), &customer_id("cus_missing"), true)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn users_round_trip_with_exact_usernames_and_can_be_disabled(store: &SharedStore) {
    store.insert_tenant(&tenant("1")).await.expect("tenant");
    let alice = user("1", "alice@example.com");
    let upper = user("1", "Alice@example.com");
    let unicode = user("1", "Zoë");
    for user in [&alice, &upper, &unicode] {
        store.insert_user(user).await.expect("insert user");
    }

    for expected in [&alice, &upper, &unicode] {
        let found = store
            .user(&tenant_id("1"), &expected.username)
            .await
            .expect("read")
            .expect("present");
        assert_user_eq(&found, expected);
    }
    assert!(
        store
            .user(&tenant_id("1"), &username("ALICE@example.com"))
            .await
            .expect("read")
            .is_none(),
        "usernames are compared exactly"
    );
    let listed = store.list_users(&tenant_id("1")).await.expect("list");
    let mut names: Vec<&str> = listed.iter().map(|user| user.username.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Alice@example.com", "Zoë", "alice@example.com"]);

    store
        .set_user_disabled(&tenant_id("1"), &alice.username, true)
        .await
        .expect("disable");
    let found = store
        .user(&tenant_id("1"), &alice.username)
        .await
        .expect("read")
        .expect("present");
    assert!(found.disabled);
    let other = store
        .user(&tenant_id("1"), &upper.username)
        .await
        .expect("read")
        .expect("present");
    assert!(!other.disabled);
}

pub(crate) async fn user_inserts_conflict_and_need_their_tenant(store: &SharedStore) {
    store.insert_tenant(&tenant("1")).await.expect("tenant");
    store.insert_user(&user("1", "bob")).await.expect("insert");
    assert!(matches!(
        store.insert_user(&user("1", "bob")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.insert_user(&user("2", "bob")).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .set_user_disabled(&tenant_id("1"), &username("carol"), true)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn upstream_credentials_round_trip_and_are_replaced_whole(store: &SharedStore) {
    store.insert_tenant(&tenant("1")).await.expect("tenant");
    let tenant = tenant_id("1");
    assert!(
        store
            .upstream_credential(&tenant)
            .await
            .expect("read")
            .is_none()
    );

    let targets = [
        UpstreamTarget::FinraQa,
        UpstreamTarget::Custom {
            api_base: "http://127.0.0.1:8700".to_owned(),
            token_url: "http://127.0.0.1:8700/fip/rest/ews/oauth2/access_token".to_owned(),
        },
        UpstreamTarget::FinraProduction,
    ];
    for (idx, target) in targets.into_iter().enumerate() {
        let credential = UpstreamCredential {
            tenant_id: tenant.clone(),
            client_id: format!("client-{idx}"),
            sealed_secret: vec![0, 1, 2, 255, u8::try_from(idx).expect("small")],
            target,
        };
        store
            .set_upstream_credential(&credential)
            .await
            .expect("set credential");
        let found = store
            .upstream_credential(&tenant)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(found.tenant_id, credential.tenant_id);
        assert_eq!(found.client_id, credential.client_id);
        assert_eq!(found.sealed_secret, credential.sealed_secret);
        assert_eq!(found.target, credential.target);
    }

    let orphan = UpstreamCredential {
        tenant_id: tenant_id("2"),
        client_id: "client".to_owned(),
        sealed_secret: vec![1],
        target: UpstreamTarget::FinraQa,
    };
    assert!(matches!(
        store.set_upstream_credential(&orphan).await,
        Err(StoreError::NotFound(_))
    ));
}

/// A user's password hash is replaced in place (nothing else of the user changes); a user that
/// does not exist is `NotFound`, in this tenant or any other.
pub(crate) async fn a_users_password_hash_can_be_replaced(store: &SharedStore) {
    store.insert_tenant(&tenant("1")).await.expect("tenant");
    store.insert_tenant(&tenant("2")).await.expect("tenant");
    let alice = user("1", "alice");
    store.insert_user(&alice).await.expect("insert user");
    store
        .set_password_hash(&tenant_id("1"), &alice.username, "$argon2id$v=19$new")
        .await
        .expect("replace");
    let found = store
        .user(&tenant_id("1"), &alice.username)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found.password_hash, "$argon2id$v=19$new");
    assert_eq!(found.disabled, alice.disabled);
    for (tenant, name) in [("1", "bob"), ("2", "alice")] {
        assert!(matches!(
            store
                .set_password_hash(&tenant_id(tenant), &username(name), "$argon2id$x")
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
}

pub(crate) async fn a_users_role_can_be_set_and_missing_users_are_not_found(store: &SharedStore) {
    store.insert_tenant(&tenant("1")).await.expect("tenant");
    let mut admin = user("1", "ada");
    admin.role = UserRole::TenantAdmin;
    let member = user("1", "bob");
    for user in [&admin, &member] {
        store.insert_user(user).await.expect("insert user");
    }
    let read = |name: &'static str| async move {
        store
            .user(&tenant_id("1"), &username(name))
            .await
            .expect("read")
            .expect("present")
            .role
    };
    assert_eq!(read("ada").await, UserRole::TenantAdmin);
    assert_eq!(read("bob").await, UserRole::Member);

    store
        .set_user_role(&tenant_id("1"), &username("bob"), UserRole::TenantAdmin)
        .await
        .expect("promote");
    store
        .set_user_role(&tenant_id("1"), &username("ada"), UserRole::Member)
        .await
        .expect("demote");
    assert_eq!(read("ada").await, UserRole::Member);
    assert_eq!(read("bob").await, UserRole::TenantAdmin);
    // The login lookup reads the role too.
    let lookup = store
        .login_lookup(&tenant_id("1"), None, Some(&username("bob")), "bob")
        .await
        .expect("lookup");
    assert_eq!(lookup.user.expect("user").role, UserRole::TenantAdmin);
    assert!(matches!(
        store
            .set_user_role(&tenant_id("1"), &username("nobody"), UserRole::TenantAdmin)
            .await,
        Err(StoreError::NotFound(_))
    ));
}
