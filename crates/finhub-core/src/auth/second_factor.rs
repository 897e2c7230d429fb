//! A person's second factor: enrolling a TOTP factor (a pending factor whose first code confirms
//! it, then a batch of recovery codes) and checking a code or a recovery code. A TOTP step is
//! accepted once per user (compare-and-set in the store; the confirming code counts as used),
//! a recovery code once. Failures are counted per user apart from password failures: from the
//! 5th consecutive one attempts wait (1 s doubling to 15 minutes), at 100 the factor locks until
//! an administrator resets it. Every step is audited, never with a code or a secret.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use crate::audit::{AuditAction, AuditOutcome};
use crate::error::AuthError;
use crate::ids::{FactorId, TenantId, Username};
use crate::mfa::policy::LOCK_AT;
use crate::mfa::{RecoveryCode, TotpCode, TotpSecret};
use crate::model::{AuthMethod, TotpFactor};
use crate::policy::login_backoff;

use super::RequestContext;
use super::audit_trail::Subject;
use super::context::Context;

/// How long a pending factor waits for its confirming code.
pub const PENDING_LIFETIME: Duration = Duration::minutes(10);

/// The step a code that matches none claims: the Unix epoch's, which a confirmed factor has
/// always used or passed (confirming claims the confirming code's step), so claiming it never
/// succeeds and changes nothing.
const NO_STEP: u64 = 0;

/// What proves a second factor, as the person typed it. `Debug` shows which kind, never the
/// code.
#[derive(Debug, Clone)]
pub enum SecondFactorProof {
    /// A TOTP code (normalised here; anything else is a failure like a wrong code).
    Otp(SecretString),
    /// A recovery code.
    RecoveryCode(SecretString),
}

/// A pending TOTP factor: what the person's authenticator app needs. Shown once.
#[derive(Debug)]
pub struct PendingTotp {
    /// The factor the confirming code is for.
    pub factor_id: FactorId,
    /// The secret (its Base32 and URI are for the person only).
    pub secret: TotpSecret,
    /// When the pending factor lapses.
    pub expires_at: OffsetDateTime,
}

/// A user's TOTP factors.
#[derive(Debug)]
pub(super) struct UserFactors {
    /// The confirmed one, which logins check.
    pub(super) active: Option<TotpFactor>,
    /// The one waiting for its confirming code.
    pub(super) pending: Option<TotpFactor>,
}

/// Enrolling and checking second factors. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SecondFactors {
    ctx: Arc<Context>,
    /// TOTP verifications run (by this service and its clones).
    verifications: Arc<AtomicU64>,
}

/// The associated data a user's TOTP secret is sealed with: a sealed secret copied to another
/// user's or factor's row does not open.
fn sealing_context(tenant: &TenantId, username: &Username, factor: &FactorId) -> String {
    format!("totp:{tenant}|{username}|{}", factor.as_str())
}

impl SecondFactors {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self {
            ctx,
            verifications: Arc::default(),
        }
    }

    /// How many TOTP verifications (secret opened, window computed) have run: lets tests check
    /// that a wrong code and a replayed one cost the same.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Starts enrolling a TOTP factor: a fresh secret, sealed, as the user's pending factor
    /// (replacing an earlier pending one); the active factor, if any, stays until this one is
    /// confirmed.
    pub async fn start_totp(
        &self,
        ctx: &RequestContext,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<PendingTotp, AuthError> {
        let now = self.ctx.clock.now_utc();
        let factor_id = FactorId::generate();
        let secret = TotpSecret::generate();
        let sealed_secret = self.ctx.data_key.seal(
            secret.expose_bytes(),
            &sealing_context(tenant, username, &factor_id),
        )?;
        let expires_at = now + PENDING_LIFETIME;
        self.ctx
            .store
            .insert_pending_totp(&TotpFactor {
                tenant_id: tenant.clone(),
                username: username.clone(),
                id: factor_id.clone(),
                sealed_secret,
                created_at: now,
                confirmed_at: None,
                expires_at: Some(expires_at),
                last_used_step: None,
            })
            .await?;
        self.audit(
            ctx,
            tenant,
            username,
            AuditAction::MfaEnrollmentStarted,
            Ok(()),
        )
        .await;
        Ok(PendingTotp {
            factor_id,
            secret,
            expires_at,
        })
    }

    /// Confirms the pending factor `factor_id` with its first code: it becomes the user's only
    /// active factor (the code's step counts as used) and a new batch of recovery codes replaces
    /// any earlier one; returns the codes, shown once. A wrong or expired confirmation is
    /// `invalid_otp` and counts as a failure.
    pub async fn confirm_totp(
        &self,
        ctx: &RequestContext,
        tenant: &TenantId,
        username: &Username,
        factor_id: &FactorId,
        code: &str,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        let result = self.confirm_inner(tenant, username, factor_id, code).await;
        let outcome = result.as_ref().map(|_| ()).map_err(AuthError::code);
        match &result {
            Err(AuthError::InvalidOtp) => self.count_failure(ctx, tenant, username).await?,
            Ok(_) => {
                self.ctx.store.clear_mfa_failures(tenant, username).await?;
                self.audit(ctx, tenant, username, AuditAction::MfaEnrolled, outcome)
                    .await;
            }
            Err(_) => {}
        }
        result
    }

    async fn confirm_inner(
        &self,
        tenant: &TenantId,
        username: &Username,
        factor_id: &FactorId,
        code: &str,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        self.check_not_blocked(tenant, username).await?;
        let now = self.ctx.clock.now_utc();
        let pending = self
            .factors_of(tenant, username)
            .await?
            .pending
            .filter(|factor| factor.id == *factor_id)
            .filter(|factor| factor.expires_at.is_some_and(|end| end > now))
            .ok_or(AuthError::InvalidOtp)?;
        let step = self
            .matched_step(&pending, code, now)?
            .ok_or(AuthError::InvalidOtp)?;
        if !self
            .ctx
            .store
            .activate_totp(tenant, username, factor_id, step, now)
            .await?
        {
            return Err(AuthError::InvalidOtp);
        }
        self.new_recovery_codes(tenant, username).await
    }

    /// A new batch of recovery codes for the user, replacing the old one; shown once.
    pub(super) async fn new_recovery_codes(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        let codes = RecoveryCode::batch();
        let hashes: Vec<_> = codes.iter().map(RecoveryCode::hash).collect();
        self.ctx
            .store
            .replace_recovery_codes(tenant, username, &hashes)
            .await?;
        Ok(codes)
    }

    /// The user's factors: the active one and the pending one, each if there is one.
    pub(super) async fn factors_of(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<UserFactors, AuthError> {
        let (active, pending): (Vec<_>, Vec<_>) = self
            .ctx
            .store
            .totp_factors(tenant, username)
            .await?
            .into_iter()
            .partition(TotpFactor::is_active);
        Ok(UserFactors {
            active: active.into_iter().next(),
            pending: pending.into_iter().next(),
        })
    }

    /// Checks a second factor of a user with an active factor: the methods it adds to the
    /// login's `amr` (`otp` + `mfa` for a TOTP code, `mfa` for a recovery code), or
    /// `invalid_otp` (wrong, replayed or malformed; also whatever is sent to a locked factor),
    /// or 429 while failures back off.
    pub async fn check(
        &self,
        ctx: &RequestContext,
        tenant: &TenantId,
        username: &Username,
        factor: &TotpFactor,
        proof: &SecondFactorProof,
    ) -> Result<Vec<AuthMethod>, AuthError> {
        let earlier_failures = self.check_not_blocked(tenant, username).await?;
        let now = self.ctx.clock.now_utc();
        let accepted = match proof {
            SecondFactorProof::Otp(code) => {
                let matched = self.matched_step(factor, code.expose_secret(), now)?;
                // A code that matches no step still claims one, the step no code ever has
                // (below every step a confirmed factor has used, so nothing changes): a wrong
                // code costs the same write as a replayed one, and which of the two was sent
                // does not show in how long the refusal takes.
                let claimed = self
                    .ctx
                    .store
                    .use_totp_step(tenant, username, &factor.id, matched.unwrap_or(NO_STEP))
                    .await?;
                (claimed && matched.is_some()).then(|| vec![AuthMethod::Otp, AuthMethod::Mfa])
            }
            SecondFactorProof::RecoveryCode(code) => {
                match RecoveryCode::parse(code.expose_secret()) {
                    Some(code) => self
                        .ctx
                        .store
                        .use_recovery_code(tenant, username, &code.hash())
                        .await?
                        .then(|| vec![AuthMethod::Mfa]),
                    None => None,
                }
            }
        };
        let Some(methods) = accepted else {
            self.count_failure(ctx, tenant, username).await?;
            return Err(AuthError::InvalidOtp);
        };
        // Only a run of failures needs clearing; most checks have none to clear.
        if earlier_failures {
            self.ctx.store.clear_mfa_failures(tenant, username).await?;
        }
        self.audit(ctx, tenant, username, AuditAction::MfaVerified, Ok(()))
            .await;
        Ok(methods)
    }

    /// The step `code` matches for `factor` at `now`, if any: the secret is opened (bound to
    /// its tenant, user and factor), and a code that is not six digits matches nothing.
    fn matched_step(
        &self,
        factor: &TotpFactor,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Option<u64>, AuthError> {
        let Some(code) = TotpCode::parse(code) else {
            return Ok(None);
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let opened = self.ctx.data_key.open(
            &factor.sealed_secret,
            &sealing_context(&factor.tenant_id, &factor.username, &factor.id),
        )?;
        TotpSecret::from_bytes(opened)?.verify(&code, now)
    }

    /// A locked factor refuses everything (`invalid_otp`); a run of failures backs off (429).
    /// Otherwise, whether there is a run of failures (for a success to clear).
    async fn check_not_blocked(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<bool, AuthError> {
        let Some((count, last)) = self.ctx.store.mfa_failures(tenant, username).await? else {
            return Ok(false);
        };
        if count >= LOCK_AT {
            return Err(AuthError::InvalidOtp);
        }
        let free = self.ctx.settings.login_failures_before_backoff;
        match login_backoff::blocked_for(count, free, last, self.ctx.clock.now_utc()) {
            Some(retry_after) => Err(AuthError::RateLimited { retry_after }),
            None => Ok(true),
        }
    }

    /// One more failure, audited; the one that reaches the lock is audited as such.
    async fn count_failure(
        &self,
        ctx: &RequestContext,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<(), AuthError> {
        let now = self.ctx.clock.now_utc();
        let count = self
            .ctx
            .store
            .record_mfa_failure(tenant, username, now)
            .await?;
        let action = if count == LOCK_AT {
            AuditAction::MfaLocked
        } else {
            AuditAction::MfaFailed
        };
        self.audit(
            ctx,
            tenant,
            username,
            action,
            Err(AuthError::InvalidOtp.code()),
        )
        .await;
        Ok(())
    }

    /// Audits one step (when auditing is on), never with a code or a secret.
    pub(super) async fn audit(
        &self,
        ctx: &RequestContext,
        tenant: &TenantId,
        username: &Username,
        action: AuditAction,
        outcome: Result<(), &'static str>,
    ) {
        let outcome = match outcome {
            Ok(()) => AuditOutcome::Success,
            Err(code) => AuditOutcome::Failure(code.to_owned()),
        };
        let subject = Subject {
            tenant: Some(tenant.as_str()),
            customer: None,
            username: Some(username.as_str()),
        };
        self.ctx.audit.decision(ctx, action, outcome, subject).await;
    }
}
