//! The second step of a portal sign-in: the person proved their password a few minutes ago (the
//! sign-in token says so) and now gives a code. The same checks as a login, read again now —
//! tenant, portal customer and user live, address allowed, no back-off in force — then the
//! second factor, then a session. Audited as the password login it completes.

use crate::audit::AuditAction;
use crate::error::{AuthError, TokenProblem};
use crate::ids::{CustomerId, TenantId, Username};
use crate::sign_in_token::SignInClaims;
use crate::store::LoginLookup;

use super::audit_trail::{Subject, outcome_of};
use super::login::{Logins, Verified};
use super::portal::PORTAL_CUSTOMER_ID;
use super::{IssuedTokens, RequestContext, SecondFactorProof};

impl Logins {
    /// Completes a portal sign-in with `proof`; every outcome is audited.
    pub(super) async fn complete_first_party(
        &self,
        ctx: &RequestContext,
        claims: &SignInClaims,
        proof: SecondFactorProof,
    ) -> Result<IssuedTokens, AuthError> {
        let result = self.second_step_of_sign_in(ctx, claims, proof).await;
        let subject = Subject {
            tenant: Some(&claims.tenant_id),
            customer: Some(PORTAL_CUSTOMER_ID),
            username: Some(&claims.sub),
        };
        self.ctx
            .audit
            .decision(
                ctx,
                AuditAction::PasswordLogin,
                outcome_of(&result),
                subject,
            )
            .await;
        result
    }

    async fn second_step_of_sign_in(
        &self,
        ctx: &RequestContext,
        claims: &SignInClaims,
        proof: SecondFactorProof,
    ) -> Result<IssuedTokens, AuthError> {
        let invalid = || AuthError::InvalidToken(TokenProblem::Invalid);
        let (Ok(tenant_id), Ok(username), Ok(customer_id)) = (
            TenantId::parse(&claims.tenant_id),
            Username::parse(&claims.sub),
            CustomerId::parse(PORTAL_CUSTOMER_ID),
        ) else {
            return Err(invalid());
        };
        self.ctx
            .check_certificate_binding(ctx, tenant_id.as_str(), PORTAL_CUSTOMER_ID)
            .await?;
        let LoginLookup {
            tenant,
            mfa_policy,
            customer,
            user,
            active_factor,
            failures,
        } = self
            .ctx
            .store
            .login_lookup(&tenant_id, Some(&customer_id), Some(&username), &claims.sub)
            .await?;
        let (Some(tenant), Some(customer), Some(user)) = (tenant, customer, user) else {
            return Err(AuthError::InvalidClient);
        };
        self.ctx.check_address(&tenant, ctx)?;
        self.check_backoff(failures)?;
        if tenant.disabled || customer.disabled || user.disabled {
            return Err(AuthError::InvalidClient);
        }
        let verified = Verified {
            tenant,
            customer,
            user: Some(user.clone()),
            mfa_policy,
            active_factor,
            failures_to_clear: failures.map(|_| claims.sub.clone()),
        };
        let authentication = self
            .second_step(ctx, &verified, &user, Some(&proof))
            .await?;
        self.open_login(ctx, &verified, Some(authentication)).await
    }
}
