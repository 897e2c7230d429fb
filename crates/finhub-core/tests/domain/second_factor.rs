//! Administering second factors: a tenant's policy (the profile's default until set; production
//! refuses `off`), a user's status as an administrator sees it, and the reset that removes the
//! factor and recovery codes, lifts the lock and ends the user's sessions, audited.

use finhub_core::audit::AuditAction;
use finhub_core::auth::Profile;
use finhub_core::error::{AuthError, RequestProblem, StoreError};
use finhub_core::ids::{FactorId, Username};
use finhub_core::mfa::MfaPolicy;
use finhub_core::mfa::policy::LOCK_AT;
use finhub_core::model::TotpFactor;
use finhub_core::secret::SecretHash;

use crate::support::{Domain, PASSWORD, accepts, service};

/// Gives the user an active factor, two recovery codes and `failures` second-factor failures,
/// straight in the store (enrolment is not what these tests are about).
async fn enrolled_with_failures(domain: &Domain, failures: u32) {
    let (tenant, user) = (&domain.tenant, domain.user());
    let now = domain.clock.now_utc();
    let id = FactorId::generate();
    let factor = TotpFactor {
        tenant_id: tenant.clone(),
        username: user.clone(),
        id: id.clone(),
        sealed_secret: b"sealed".to_vec(),
        created_at: now,
        confirmed_at: None,
        expires_at: Some(now + time::Duration::minutes(10)),
        last_used_step: None,
    };
    let store = &domain.store;
    store.insert_pending_totp(&factor).await.expect("pending");
    assert!(
        store
            .activate_totp(tenant, &user, &id, 1, now)
            .await
            .expect("activate")
    );
    store
        .replace_recovery_codes(tenant, &user, &[SecretHash::of("a"), SecretHash::of("b")])
        .await
        .expect("codes");
    for _ in 0..failures {
        store
            .record_mfa_failure(tenant, &user, now)
            .await
            .expect("failure");
    }
}

#[tokio::test(start_paused = true)]
async fn the_policy_is_the_profiles_default_until_set_and_setting_it_is_audited() {
    let domain = Domain::new().await;
    let admin = &domain.auth.admin;
    let status = admin
        .mfa_status(&domain.tenant, &domain.user())
        .await
        .expect("status");
    assert_eq!(status.policy, MfaPolicy::Optional, "integration's default");
    for policy in [Some(MfaPolicy::Required), Some(MfaPolicy::Off), None] {
        admin
            .set_mfa_policy(&domain.admin, &domain.tenant, policy)
            .await
            .expect("set");
        let status = admin
            .mfa_status(&domain.tenant, &domain.user())
            .await
            .expect("status");
        assert_eq!(status.policy, policy.unwrap_or(MfaPolicy::Optional));
    }
    let events = admin.recent_audit_events(3).await.expect("audit");
    assert!(events.iter().all(|event| {
        event.action == AuditAction::AdminSetMfaPolicy
            && event.actor.as_deref() == Some("ops-oliver")
    }));

    // A production instance over the same store: its default is `required`, and it refuses `off`.
    let production = service(&domain.store, &domain.clock, Profile::Production);
    let status = production
        .admin
        .mfa_status(&domain.tenant, &domain.user())
        .await
        .expect("status");
    assert_eq!(status.policy, MfaPolicy::Required);
    assert!(matches!(
        production
            .admin
            .set_mfa_policy(&domain.admin, &domain.tenant, Some(MfaPolicy::Off))
            .await,
        Err(AuthError::InvalidRequest(
            RequestProblem::MfaOffInProduction
        ))
    ));
}

#[tokio::test(start_paused = true)]
async fn the_status_shows_enrolment_codes_failures_and_the_lock_and_nothing_secret() {
    let domain = Domain::new().await;
    enrolled_with_failures(&domain, LOCK_AT).await;
    let status = domain
        .auth
        .admin
        .mfa_status(&domain.tenant, &domain.user())
        .await
        .expect("status");
    assert_eq!(status.enrolled_at, Some(domain.clock.now_utc()));
    assert_eq!(status.recovery_codes_left, 2);
    assert_eq!(status.failures, LOCK_AT);
    assert!(status.locked);

    let nobody = Username::parse("bob").expect("username");
    let missing = domain.auth.admin.mfa_status(&domain.tenant, &nobody).await;
    assert!(
        matches!(&missing, Err(AuthError::Store(StoreError::NotFound(what))) if what == "user bob of tenant 1234567"),
        "{missing:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_reset_removes_the_factor_lifts_the_lock_and_ends_the_users_sessions() {
    let domain = Domain::new().await;
    let tokens = domain.login(PASSWORD).await.expect("login");
    enrolled_with_failures(&domain, LOCK_AT).await;
    let ended = domain
        .auth
        .admin
        .reset_mfa(&domain.admin, &domain.tenant, &domain.user())
        .await
        .expect("reset");
    assert_eq!(ended, 1);
    assert!(accepts(&domain.auth.sessions, &tokens).await.is_err());
    assert!(matches!(
        domain.exchange(&tokens).await,
        Err(AuthError::InvalidGrant)
    ));
    let status = domain
        .auth
        .admin
        .mfa_status(&domain.tenant, &domain.user())
        .await
        .expect("status");
    assert_eq!(
        (
            status.enrolled_at,
            status.recovery_codes_left,
            status.failures,
            status.locked
        ),
        (None, 0, 0, false)
    );
    let event = &domain
        .auth
        .admin
        .recent_audit_events(1)
        .await
        .expect("audit")[0];
    assert_eq!(event.action, AuditAction::MfaReset);
    assert_eq!(event.username.as_deref(), Some("alice"));
    assert_eq!(event.sessions_ended, Some(1));
}
