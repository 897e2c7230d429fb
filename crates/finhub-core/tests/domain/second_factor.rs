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
    let status = domain.mfa_status().await;
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
    let status = domain.mfa_status().await;
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

mod enrolment_and_checks {
    use std::time::Duration;

    use finhub_core::auth::{PENDING_LIFETIME, SecondFactorProof};
    use finhub_core::error::AuthError;
    use finhub_core::mfa::policy::LOCK_AT;
    use finhub_core::model::{AuthMethod, TotpFactor};
    use secrecy::ExposeSecret;

    use crate::support::{Domain, ctx};

    /// Enrols the user: returns the secret (as the app holds it) and the recovery codes.
    async fn enrol(domain: &Domain) -> (finhub_core::mfa::TotpSecret, Vec<String>) {
        let factors = &domain.auth.second_factors;
        let pending = factors
            .start_totp(&ctx(), &domain.tenant, &domain.user())
            .await
            .expect("start");
        let code = code_now(domain, &pending.secret);
        let codes = factors
            .confirm_totp(
                &ctx(),
                &domain.tenant,
                &domain.user(),
                &pending.factor_id,
                &code,
            )
            .await
            .expect("confirm");
        let shown = codes
            .iter()
            .map(|code| code.display().expose_secret().to_owned())
            .collect();
        (pending.secret, shown)
    }

    async fn active_factor(domain: &Domain) -> TotpFactor {
        domain
            .store
            .totp_factors(&domain.tenant, &domain.user())
            .await
            .expect("factors")
            .into_iter()
            .find(TotpFactor::is_active)
            .expect("an active factor")
    }

    async fn check(
        domain: &Domain,
        proof: SecondFactorProof,
    ) -> Result<Vec<AuthMethod>, AuthError> {
        let factor = active_factor(domain).await;
        domain
            .auth
            .second_factors
            .check(&ctx(), &domain.tenant, &domain.user(), &factor, &proof)
            .await
    }

    /// The code `secret` gives at the domain's current time.
    fn code_now(domain: &Domain, secret: &finhub_core::mfa::TotpSecret) -> String {
        secret
            .code_at(domain.clock.now_utc())
            .expect("code")
            .expose_secret()
            .to_owned()
    }

    /// A well-formed code other than `code`.
    fn other_than(code: &str) -> &'static str {
        if code == "000000" { "111111" } else { "000000" }
    }

    fn otp(code: &str) -> SecondFactorProof {
        SecondFactorProof::Otp(code.into())
    }

    #[tokio::test(start_paused = true)]
    async fn the_confirming_code_is_used_and_each_later_step_is_accepted_once() {
        let domain = Domain::new().await;
        let (secret, recovery) = enrol(&domain).await;
        assert_eq!(recovery.len(), 10);
        let now = domain.clock.now_utc();
        let confirming = secret
            .code_at(now)
            .expect("code")
            .expose_secret()
            .to_owned();
        assert!(
            matches!(
                check(&domain, otp(&confirming)).await,
                Err(AuthError::InvalidOtp)
            ),
            "the enrolment code is refused at the next login"
        );
        tokio::time::advance(Duration::from_secs(30)).await;
        let next = code_now(&domain, &secret);
        let spaced = format!("{} {}", &next[..3], &next[3..]);
        assert_eq!(
            check(&domain, otp(&spaced)).await.expect("accepted"),
            [AuthMethod::Otp, AuthMethod::Mfa]
        );
        assert!(matches!(
            check(&domain, otp(&next)).await,
            Err(AuthError::InvalidOtp)
        ));
    }

    /// A wrong code claims the step no code has (so that it costs the write a replayed code
    /// costs): that uses up nothing, and the right code of the same step is still accepted.
    #[tokio::test(start_paused = true)]
    async fn a_wrong_code_uses_up_no_step() {
        let domain = Domain::new().await;
        let (secret, _) = enrol(&domain).await;
        let used_before = active_factor(&domain).await.last_used_step;
        tokio::time::advance(Duration::from_secs(30)).await;
        let right = code_now(&domain, &secret);
        let wrong = other_than(&right);
        assert!(matches!(
            check(&domain, otp(wrong)).await,
            Err(AuthError::InvalidOtp)
        ));
        assert_eq!(active_factor(&domain).await.last_used_step, used_before);
        assert_eq!(
            check(&domain, otp(&right)).await.expect("accepted"),
            [AuthMethod::Otp, AuthMethod::Mfa]
        );
        assert!(active_factor(&domain).await.last_used_step > used_before);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wrong_or_late_confirmation_enrols_nothing() {
        let domain = Domain::new().await;
        let factors = &domain.auth.second_factors;
        let pending = factors
            .start_totp(&ctx(), &domain.tenant, &domain.user())
            .await
            .expect("start");
        let right = code_now(&domain, &pending.secret);
        let wrong = other_than(&right);
        assert!(matches!(
            factors
                .confirm_totp(
                    &ctx(),
                    &domain.tenant,
                    &domain.user(),
                    &pending.factor_id,
                    wrong
                )
                .await,
            Err(AuthError::InvalidOtp)
        ));
        tokio::time::advance(Duration::try_from(PENDING_LIFETIME).expect("duration")).await;
        let late = code_now(&domain, &pending.secret);
        assert!(matches!(
            factors
                .confirm_totp(
                    &ctx(),
                    &domain.tenant,
                    &domain.user(),
                    &pending.factor_id,
                    &late
                )
                .await,
            Err(AuthError::InvalidOtp)
        ));
        let status = domain.mfa_status().await;
        assert_eq!((status.enrolled_at, status.failures), (None, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn fifty_concurrent_submissions_of_one_code_have_exactly_one_success() {
        let domain = Domain::new().await;
        let (secret, _) = enrol(&domain).await;
        tokio::time::advance(Duration::from_secs(30)).await;
        let code = code_now(&domain, &secret);
        let factor = active_factor(&domain).await;
        let attempts = (0..50).map(|_| {
            let factors = domain.auth.second_factors.clone();
            let (tenant, user, factor, code) = (
                domain.tenant.clone(),
                domain.user(),
                factor.clone(),
                code.clone(),
            );
            tokio::spawn(async move {
                factors
                    .check(&ctx(), &tenant, &user, &factor, &otp(&code))
                    .await
            })
        });
        let mut successes = 0;
        for attempt in attempts.collect::<Vec<_>>() {
            if attempt.await.expect("task").is_ok() {
                successes += 1;
            }
        }
        assert_eq!(successes, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn recovery_codes_work_once_and_malformed_input_counts_as_a_failure() {
        let domain = Domain::new().await;
        let (_, recovery) = enrol(&domain).await;
        let typed = recovery[0].to_lowercase();
        assert_eq!(
            check(
                &domain,
                SecondFactorProof::RecoveryCode(typed.as_str().into())
            )
            .await
            .expect("accepted"),
            [AuthMethod::Mfa]
        );
        for proof in [
            SecondFactorProof::RecoveryCode(typed.into()),
            SecondFactorProof::RecoveryCode("not a code".into()),
            otp("１２３４５６"),
            otp(&"9".repeat(10_000)),
        ] {
            assert!(matches!(
                check(&domain, proof).await,
                Err(AuthError::InvalidOtp)
            ));
        }
        let status = domain.mfa_status().await;
        assert_eq!(status.failures, 4);
        assert_eq!(status.recovery_codes_left, 9);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_from_the_fifth_and_lock_at_one_hundred_until_a_reset() {
        let domain = Domain::new().await;
        let (secret, recovery) = enrol(&domain).await;
        let wrong = || otp("not-a-code");
        for _ in 0..5 {
            assert!(matches!(
                check(&domain, wrong()).await,
                Err(AuthError::InvalidOtp)
            ));
        }
        // From the 5th consecutive failure: 1 s, then doubling.
        assert!(matches!(
            check(&domain, wrong()).await,
            Err(AuthError::RateLimited { retry_after }) if retry_after == Duration::from_secs(1)
        ));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(matches!(
            check(&domain, wrong()).await,
            Err(AuthError::InvalidOtp)
        ));
        assert!(matches!(
            check(&domain, wrong()).await,
            Err(AuthError::RateLimited { retry_after }) if retry_after == Duration::from_secs(2)
        ));
        // On to the lock, waiting out each back-off (at most 15 minutes).
        for _ in 6..LOCK_AT {
            tokio::time::advance(Duration::from_secs(15 * 60)).await;
            assert!(matches!(
                check(&domain, wrong()).await,
                Err(AuthError::InvalidOtp)
            ));
        }
        tokio::time::advance(Duration::from_secs(15 * 60)).await;
        let right = code_now(&domain, &secret);
        assert!(matches!(
            check(&domain, otp(&right)).await,
            Err(AuthError::InvalidOtp)
        ));
        assert!(matches!(
            check(
                &domain,
                SecondFactorProof::RecoveryCode(recovery[1].as_str().into())
            )
            .await,
            Err(AuthError::InvalidOtp)
        ));
        assert!(domain.mfa_status().await.locked);
        domain
            .auth
            .admin
            .reset_mfa(&domain.admin, &domain.tenant, &domain.user())
            .await
            .expect("reset");
        let (secret, _) = enrol(&domain).await;
        tokio::time::advance(Duration::from_secs(30)).await;
        let code = code_now(&domain, &secret);
        assert!(
            check(&domain, otp(&code)).await.is_ok(),
            "the reset lifted the lock"
        );
    }
}
