//! `MfaStore`: tenants' policy, TOTP factors (one pending and one active per user; confirming
//! replaces the active one), the last used step raised only upwards, recovery codes used once,
//! second-factor failures counted apart from passwords', and removal of everything at once.

use finhub_core::ids::FactorId;
use finhub_core::mfa::MfaPolicy;
use finhub_core::model::TotpFactor;
use finhub_core::secret::SecretHash;
use time::Duration;

use crate::support::{
    CUSTOMER, NOW, SharedStore, USER, at, customer_id, seed_tenant, tenant_id, username,
};

const T: &str = "1234567";

fn pending(id: &str, created: i64) -> TotpFactor {
    TotpFactor {
        tenant_id: tenant_id(T),
        username: username(USER),
        id: FactorId::from_stored(id.to_owned()),
        sealed_secret: format!("sealed secret of {id}").into_bytes(),
        created_at: at(created),
        confirmed_at: None,
        expires_at: Some(at(created) + Duration::minutes(10)),
        last_used_step: None,
    }
}

pub(crate) async fn a_tenants_policy_round_trips_and_unknown_tenants_are_not_found(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let tenant = tenant_id(T);
    assert_eq!(store.mfa_policy(&tenant).await.expect("read"), None);
    for policy in [Some(MfaPolicy::Required), Some(MfaPolicy::Off), None] {
        store.set_mfa_policy(&tenant, policy).await.expect("set");
        assert_eq!(store.mfa_policy(&tenant).await.expect("read"), policy);
    }
    let nobody = tenant_id("99");
    assert!(store.mfa_policy(&nobody).await.is_err());
    assert!(
        store
            .set_mfa_policy(&nobody, Some(MfaPolicy::Optional))
            .await
            .is_err()
    );
}

pub(crate) async fn a_pending_factor_is_replaced_and_confirming_makes_it_the_only_active_one(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let (tenant, user) = (tenant_id(T), username(USER));
    store
        .insert_pending_totp(&pending("first", 0))
        .await
        .expect("pending");
    store
        .insert_pending_totp(&pending("second", 1))
        .await
        .expect("a new pending factor replaces the old one");
    let factors = store.totp_factors(&tenant, &user).await.expect("read");
    assert_eq!(factors, [pending("second", 1)]);

    let first_id = FactorId::from_stored("first".to_owned());
    let second_id = FactorId::from_stored("second".to_owned());
    assert!(
        !store
            .activate_totp(&tenant, &user, &first_id, 5, at(2))
            .await
            .expect("activate"),
        "a replaced pending factor cannot be confirmed"
    );
    assert!(
        !store
            .activate_totp(&tenant, &user, &second_id, 5, at(1) + Duration::minutes(10))
            .await
            .expect("activate"),
        "an expired pending factor cannot be confirmed"
    );
    assert!(
        store
            .activate_totp(&tenant, &user, &second_id, 5, at(2))
            .await
            .expect("activate")
    );
    let active = store.totp_factors(&tenant, &user).await.expect("read");
    assert_eq!(active.len(), 1);
    assert!(active[0].is_active());
    assert_eq!(active[0].confirmed_at, Some(at(2)));
    assert_eq!(active[0].expires_at, None);
    assert_eq!(
        active[0].last_used_step,
        Some(5),
        "the confirming code is used"
    );

    // Re-enrolment: a pending factor beside the active one, then it replaces it.
    store
        .insert_pending_totp(&pending("third", 3))
        .await
        .expect("pending beside active");
    assert_eq!(
        store
            .totp_factors(&tenant, &user)
            .await
            .expect("read")
            .len(),
        2
    );
    let third_id = FactorId::from_stored("third".to_owned());
    assert!(
        store
            .activate_totp(&tenant, &user, &third_id, 9, at(4))
            .await
            .expect("activate")
    );
    let active = store.totp_factors(&tenant, &user).await.expect("read");
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].id, third_id);
}

pub(crate) async fn the_login_lookup_carries_the_policy_and_the_active_factor_alone(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let (tenant, user) = (tenant_id(T), username(USER));
    let lookup = |name: Option<&'static str>| {
        let (store, tenant) = (store.clone(), tenant.clone());
        async move {
            store
                .login_lookup(
                    &tenant,
                    Some(&customer_id(CUSTOMER)),
                    name.map(username).as_ref(),
                    name.unwrap_or("client:cus"),
                )
                .await
                .expect("lookup")
        }
    };
    let found = lookup(Some(USER)).await;
    assert_eq!((found.mfa_policy, found.active_factor), (None, None));

    store
        .set_mfa_policy(&tenant, Some(MfaPolicy::Required))
        .await
        .expect("set");
    store
        .insert_pending_totp(&pending("first", 0))
        .await
        .expect("pending");
    let found = lookup(Some(USER)).await;
    assert_eq!(found.mfa_policy, Some(MfaPolicy::Required));
    assert_eq!(
        found.active_factor, None,
        "a pending factor is not the active one"
    );

    let first_id = FactorId::from_stored("first".to_owned());
    assert!(
        store
            .activate_totp(&tenant, &user, &first_id, 5, at(2))
            .await
            .expect("activate")
    );
    // A new pending factor beside the active one changes nothing the lookup reads.
    store
        .insert_pending_totp(&pending("second", 3))
        .await
        .expect("pending beside active");
    let found = lookup(Some(USER)).await;
    let active = store
        .totp_factors(&tenant, &user)
        .await
        .expect("read")
        .into_iter()
        .find(TotpFactor::is_active);
    assert!(active.is_some());
    assert_eq!(
        found.active_factor, active,
        "every column of the active factor"
    );
    assert!(found.user.is_some() && found.customer.is_some());

    // A machine's lookup names no user, and an unknown user has no factor.
    for name in [None, Some("nobody")] {
        let found = lookup(name).await;
        assert_eq!(found.active_factor, None);
        assert_eq!(found.mfa_policy, Some(MfaPolicy::Required));
    }
}

pub(crate) async fn a_step_is_used_once_and_only_upwards(store: &SharedStore) {
    seed_tenant(store.as_ref(), T).await;
    let (tenant, user) = (tenant_id(T), username(USER));
    let id = FactorId::from_stored("f".to_owned());
    assert!(
        !store
            .use_totp_step(&tenant, &user, &id, 1)
            .await
            .expect("use"),
        "no factor, nothing used"
    );
    store
        .insert_pending_totp(&pending("f", 0))
        .await
        .expect("pending");
    assert!(
        !store
            .use_totp_step(&tenant, &user, &id, 1)
            .await
            .expect("use"),
        "a pending factor is not used for logins"
    );
    store
        .activate_totp(&tenant, &user, &id, 10, at(1))
        .await
        .expect("activate");
    for (step, used) in [
        (10, false),
        (0, false),
        (9, false),
        (11, true),
        (11, false),
        (13, true),
        (12, false),
    ] {
        assert_eq!(
            store
                .use_totp_step(&tenant, &user, &id, step)
                .await
                .expect("use"),
            used,
            "step {step}"
        );
    }
}

pub(crate) async fn recovery_codes_are_used_once_and_a_new_batch_voids_the_old(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let (tenant, user) = (tenant_id(T), username(USER));
    let old: Vec<SecretHash> = (0..10)
        .map(|i| SecretHash::of(&format!("old {i}")))
        .collect();
    store
        .replace_recovery_codes(&tenant, &user, &old)
        .await
        .expect("batch");
    assert_eq!(
        store
            .recovery_codes_left(&tenant, &user)
            .await
            .expect("count"),
        10
    );
    assert!(
        store
            .use_recovery_code(&tenant, &user, &old[3])
            .await
            .expect("use")
    );
    assert!(
        !store
            .use_recovery_code(&tenant, &user, &old[3])
            .await
            .expect("use")
    );
    assert_eq!(
        store
            .recovery_codes_left(&tenant, &user)
            .await
            .expect("count"),
        9
    );

    let new: Vec<SecretHash> = (0..10)
        .map(|i| SecretHash::of(&format!("new {i}")))
        .collect();
    store
        .replace_recovery_codes(&tenant, &user, &new)
        .await
        .expect("batch");
    assert!(
        !store
            .use_recovery_code(&tenant, &user, &old[4])
            .await
            .expect("use")
    );
    assert!(
        store
            .use_recovery_code(&tenant, &user, &new[4])
            .await
            .expect("use")
    );
    let other = tenant_id("7654321");
    seed_tenant(store.as_ref(), "7654321").await;
    assert!(
        !store
            .use_recovery_code(&other, &user, &new[5])
            .await
            .expect("use"),
        "codes stay with their tenant"
    );
}

pub(crate) async fn second_factor_failures_count_apart_from_passwords_and_removal_clears_all(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let (tenant, user) = (tenant_id(T), username(USER));
    for (expected, seconds) in [(1, 0), (2, 3), (3, 7)] {
        assert_eq!(
            store
                .record_mfa_failure(&tenant, &user, at(seconds))
                .await
                .expect("record"),
            expected
        );
    }
    assert_eq!(
        store.mfa_failures(&tenant, &user).await.expect("read"),
        Some((3, at(7)))
    );
    assert!(
        store.failures(&tenant, USER).await.expect("read").is_none(),
        "password failures are another count"
    );
    store
        .clear_mfa_failures(&tenant, &user)
        .await
        .expect("clear");
    assert!(
        store
            .mfa_failures(&tenant, &user)
            .await
            .expect("read")
            .is_none()
    );

    let id = FactorId::from_stored("f".to_owned());
    store
        .insert_pending_totp(&pending("f", 0))
        .await
        .expect("pending");
    store
        .activate_totp(&tenant, &user, &id, 1, at(1))
        .await
        .expect("activate");
    store
        .replace_recovery_codes(&tenant, &user, &[SecretHash::of("code")])
        .await
        .expect("codes");
    store
        .record_mfa_failure(&tenant, &user, NOW)
        .await
        .expect("record");
    assert!(
        store
            .remove_second_factor(&tenant, &user)
            .await
            .expect("remove")
    );
    assert!(
        store
            .totp_factors(&tenant, &user)
            .await
            .expect("read")
            .is_empty()
    );
    assert_eq!(
        store
            .recovery_codes_left(&tenant, &user)
            .await
            .expect("count"),
        0
    );
    assert!(
        store
            .mfa_failures(&tenant, &user)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        !store
            .remove_second_factor(&tenant, &user)
            .await
            .expect("remove"),
        "nothing left to remove"
    );
}

/// An enrolment token is spent once: of two spends the second is refused, and a spent token is
/// remembered until it expires (then forgotten by the next spend).
pub(crate) async fn an_enrollment_token_is_spent_once_and_forgotten_after_it_expires(
    store: &SharedStore,
) {
    seed_tenant(store.as_ref(), T).await;
    let tenant = tenant_id(T);
    let until = at(600);
    assert!(!store.enrollment_token_spent("enr_a").await.expect("read"));
    assert!(
        store
            .spend_enrollment_token(&tenant, "enr_a", until, at(0))
            .await
            .expect("spend")
    );
    assert!(store.enrollment_token_spent("enr_a").await.expect("read"));
    assert!(
        !store
            .spend_enrollment_token(&tenant, "enr_a", until, at(1))
            .await
            .expect("spend again"),
        "spent once only"
    );
    assert!(!store.enrollment_token_spent("enr_b").await.expect("read"));
    // Spending another token after the first expired forgets the first.
    assert!(
        store
            .spend_enrollment_token(&tenant, "enr_b", at(1_200), at(600))
            .await
            .expect("spend")
    );
    assert!(!store.enrollment_token_spent("enr_a").await.expect("read"));
}
