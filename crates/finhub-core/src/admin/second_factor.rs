//! Administering second factors: a tenant's policy, a user's second factor as an administrator
//! sees it, and the reset that removes it, lifts its lock and ends the user's sessions.

use time::OffsetDateTime;

use crate::audit::AuditAction;
use crate::error::{AuthError, RequestProblem};
use crate::ids::{TenantId, Username};
use crate::mfa::MfaPolicy;
use crate::mfa::policy::LOCK_AT;
use crate::model::Principal;

use super::{Administration, Administrator, admin_subject};

/// A user's second factor, as `finhub admin mfa status` shows it. Nothing secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaStatus {
    /// The tenant's policy in force.
    pub policy: MfaPolicy,
    /// When the user's TOTP factor was confirmed; `None` without one.
    pub enrolled_at: Option<OffsetDateTime>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// Consecutive second-factor failures.
    pub failures: u32,
    /// Whether the failures locked the factor (until a reset).
    pub locked: bool,
}

impl Administration {
    /// Sets the tenant's second-factor policy (`None`: the profile's default, `optional` in
    /// integration and `required` in production); production refuses `off`.
    pub async fn set_mfa_policy(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        policy: Option<MfaPolicy>,
    ) -> Result<(), AuthError> {
        let profile = self.ctx.settings.profile;
        if policy.is_some_and(|policy| !policy.allowed_in(profile)) {
            return Err(AuthError::InvalidRequest(
                RequestProblem::MfaOffInProduction,
            ));
        }
        self.ctx
            .store
            .set_mfa_policy(tenant, policy)
            .await
            .map_err(super::naming(|| format!("tenant {tenant}")))?;
        let subject = admin_subject(tenant, &Principal::Tenant);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminSetMfaPolicy, subject, None)
            .await;
        Ok(())
    }

    /// The user's second factor as an administrator sees it.
    pub async fn mfa_status(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<MfaStatus, AuthError> {
        self.existing_user(tenant, username).await?;
        let store = &self.ctx.store;
        let policy = self.ctx.mfa_policy(tenant).await?;
        let enrolled_at = store
            .totp_factors(tenant, username)
            .await?
            .into_iter()
            .find_map(|factor| factor.confirmed_at);
        let failures = store
            .mfa_failures(tenant, username)
            .await?
            .map_or(0, |(count, _)| count);
        Ok(MfaStatus {
            policy,
            enrolled_at,
            recovery_codes_left: store.recovery_codes_left(tenant, username).await?,
            failures,
            locked: failures >= LOCK_AT,
        })
    }

    /// Removes the user's second factor and recovery codes, lifts the lock and ends every
    /// session of the user (whoever held the factor keeps nothing); returns the sessions ended.
    /// Under policy `required` the user's next login enrols again.
    pub async fn reset_mfa(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<u64, AuthError> {
        self.existing_user(tenant, username).await?;
        let store = &self.ctx.store;
        store.remove_second_factor(tenant, username).await?;
        let principal = Principal::User(username.clone());
        let ended = self.ctx.end_access(tenant, &principal).await?;
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::MfaReset, subject, Some(ended))
            .await;
        Ok(ended)
    }
}
