//! `TraqsCredentialStore`: one credential per tenant and environment, replaced whole, listed
//! production first, kept apart per tenant, and refused for an unknown tenant.

use finhub_core::model::{TraqsCredential, TraqsEnvironment};

use crate::support::{SharedStore, at, seed_tenant, tenant_id};

const T: &str = "1234567";
const OTHER: &str = "7654321";

fn credential(tenant: &str, environment: TraqsEnvironment, username: &str) -> TraqsCredential {
    TraqsCredential {
        tenant_id: tenant_id(tenant),
        environment,
        username: username.to_owned(),
        sealed_token: format!("sealed token of {username}").into_bytes(),
        expires_at: Some(at(86_400)),
        base_url: Some("http://127.0.0.1:9/".into()),
        updated_at: at(1),
    }
}

pub(crate) async fn traqs_credentials_round_trip_per_environment_and_are_replaced_whole(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    seed_tenant(store.as_ref(), OTHER).await;
    let tenant = tenant_id(T);
    assert_eq!(
        store
            .traqs_credential(&tenant, TraqsEnvironment::Production)
            .await
            .expect("read"),
        None
    );
    let ntf = credential(T, TraqsEnvironment::Ntf, "test@example.com");
    let production = credential(T, TraqsEnvironment::Production, "ops@example.com");
    store.set_traqs_credential(&ntf).await.expect("set ntf");
    store
        .set_traqs_credential(&production)
        .await
        .expect("set production");
    assert_eq!(
        store.traqs_credentials(&tenant).await.expect("list"),
        [production.clone(), ntf.clone()],
        "production first"
    );
    let replaced = TraqsCredential {
        username: "new@example.com".into(),
        sealed_token: b"another sealed token".to_vec(),
        expires_at: None,
        base_url: None,
        updated_at: at(2),
        ..production
    };
    store
        .set_traqs_credential(&replaced)
        .await
        .expect("replace");
    assert_eq!(
        store
            .traqs_credential(&tenant, TraqsEnvironment::Production)
            .await
            .expect("read"),
        Some(replaced)
    );
    assert_eq!(
        store
            .traqs_credential(&tenant, TraqsEnvironment::Ntf)
            .await
            .expect("read"),
        Some(ntf),
        "the other environment is untouched"
    );
    assert!(
        store
            .traqs_credentials(&tenant_id(OTHER))
            .await
            .expect("list")
            .is_empty(),
        "another tenant sees none of them"
    );
    assert!(
        store
            .set_traqs_credential(&credential("99", TraqsEnvironment::Ntf, "x@example.com"))
            .await
            .is_err(),
        "an unknown tenant has no credential"
    );
}

pub(crate) async fn traqs_credentials_ending_before_a_time_are_listed_soonest_first(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    seed_tenant(store.as_ref(), OTHER).await;
    let ends = |tenant, environment, seconds: Option<i64>| TraqsCredential {
        expires_at: seconds.map(at),
        ..credential(tenant, environment, "ops@example.com")
    };
    let late = ends(T, TraqsEnvironment::Production, Some(900));
    let soon = ends(OTHER, TraqsEnvironment::Ntf, Some(100));
    let unknown = ends(T, TraqsEnvironment::Ntf, None);
    for credential in [&late, &soon, &unknown] {
        store.set_traqs_credential(credential).await.expect("set");
    }
    assert_eq!(
        store
            .traqs_credentials_ending_before(at(1_000))
            .await
            .expect("list"),
        [soon.clone(), late]
    );
    assert_eq!(
        store
            .traqs_credentials_ending_before(at(900))
            .await
            .expect("list"),
        [soon],
        "strictly before"
    );
    assert!(
        store
            .traqs_credentials_ending_before(at(100))
            .await
            .expect("list")
            .is_empty()
    );
}
