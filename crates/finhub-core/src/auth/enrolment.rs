//! A person's own second factor, as `/v1/mfa` manages it: who is asking (a person's session,
//! or an enrolment token right after a password under policy `required`), the factor's status,
//! starting and confirming an enrolment (with an enrolment token the confirmation ends logged
//! in), removing the factor and renewing recovery codes. Changing a factor from a session asks
//! for the password again, and for a code of the active factor when there is one.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::audit::AuditAction;
use crate::enrollment_token::{ENROLLMENT_TOKEN_TYPE, EnrollmentClaims};
use crate::error::{AccessDenial, AuthError, RequestProblem, ScopeRefusal, TokenProblem};
use crate::ids::{CustomerId, FamilyId, TenantId, Username};
use crate::mfa::{MfaPolicy, RecoveryCode};
use crate::model::{AuthMethod, Authentication, TotpFactor, User};
use crate::session_token::SessionTokens;

use super::context::Context;
use super::issue::SessionSpec;
use super::{
    AccessCheck, IssuedTokens, Logins, PendingTotp, RequestContext, SecondFactorProof,
    SecondFactors, Sessions,
};

/// How a `/v1/mfa` caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A person's session (the family it belongs to is kept when the factor is removed).
    Session {
        /// The session's refresh-token family.
        family: FamilyId,
        /// The hash of the session's key (its rate-limit key).
        key_hash: String,
    },
    /// An enrolment token: the password was just proven, the user has no factor yet.
    Enrolment(EnrollmentClaims),
}

/// A person allowed on `/v1/mfa`.
#[derive(Debug, Clone)]
pub struct Enroller {
    /// The tenant.
    pub tenant: TenantId,
    /// The person.
    pub username: Username,
    /// What they came with.
    pub credential: Credential,
}

impl Enroller {
    /// What the caller's requests are counted under: the session, or the enrolment token.
    pub fn limit_key(&self) -> &str {
        match &self.credential {
            Credential::Session { key_hash, .. } => key_hash,
            Credential::Enrolment(claims) => &claims.jti,
        }
    }
}

/// `GET /v1/mfa`: the person's second factor as they may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorStatus {
    /// The tenant's policy in force.
    pub policy: MfaPolicy,
    /// When the active TOTP factor was confirmed, if there is one.
    pub confirmed_at: Option<OffsetDateTime>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
}

/// What a confirmed enrolment gives: the recovery codes (shown once) and, for an enrolment
/// token, the login it ends in.
#[derive(Debug)]
pub struct Enrolled {
    /// Ten recovery codes.
    pub recovery_codes: Vec<RecoveryCode>,
    /// The session of a forced enrolment.
    pub login: Option<IssuedTokens>,
}

/// What re-authenticates a change made from a session.
#[derive(Debug, Default)]
pub struct Reauthentication {
    /// The password, asked again.
    pub password: Option<SecretString>,
    /// A code of the active factor, if there is one.
    pub otp: Option<SecretString>,
}

/// A person's own second factor. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Enrolment {
    ctx: Arc<Context>,
    sessions: Sessions,
    logins: Logins,
    factors: SecondFactors,
}

impl Enrolment {
    pub(crate) fn new(
        ctx: Arc<Context>,
        sessions: Sessions,
        logins: Logins,
        factors: SecondFactors,
    ) -> Self {
        Self {
            ctx,
            sessions,
            logins,
            factors,
        }
    }

    /// Checks a `/v1/mfa` caller's bearer token: an enrolment token (not spent, its user
    /// still without a factor and enabled, over the certificate it was issued on, from an
    /// allowed address) or a person's session (a machine's is 403 `insufficient_scope`).
    pub async fn authenticate(
        &self,
        ctx: &RequestContext,
        bearer: Option<&str>,
    ) -> Result<Enroller, AuthError> {
        let token = bearer.ok_or(AuthError::InvalidToken(TokenProblem::Missing))?;
        if SessionTokens::token_type(token).as_deref() == Some(ENROLLMENT_TOKEN_TYPE) {
            return self.authenticate_enrolment(ctx, token).await;
        }
        let session = self
            .sessions
            .authenticate(ctx, Some(token), AccessCheck::Required)
            .await?;
        let session = session.session;
        let username = session
            .username
            .clone()
            .ok_or(AuthError::InsufficientScope(ScopeRefusal::MachineSession))?;
        Ok(Enroller {
            tenant: session.tenant_id.clone(),
            username,
            credential: Credential::Session {
                family: session.family_id.clone(),
                key_hash: session.key_hash.as_str().to_owned(),
            },
        })
    }

    async fn authenticate_enrolment(
        &self,
        ctx: &RequestContext,
        token: &str,
    ) -> Result<Enroller, AuthError> {
        let invalid = AuthError::InvalidToken(TokenProblem::Invalid);
        let revoked = AuthError::InvalidToken(TokenProblem::Revoked);
        let now = self.ctx.clock.now_utc();
        let claims = self
            .ctx
            .tokens
            .verify_enrollment(token, now.unix_timestamp())?;
        self.ctx
            .check_certificate_binding(ctx, &claims.tenant_id, &claims.customer_id)
            .await?;
        Context::check_confirmation(ctx, claims.cnf.as_ref())?;
        let (Ok(tenant_id), Ok(username), Ok(customer_id)) = (
            TenantId::parse(&claims.tenant_id),
            Username::parse(&claims.sub),
            CustomerId::parse(&claims.customer_id),
        ) else {
            return Err(invalid);
        };
        if ctx
            .tenant_header
            .as_deref()
            .is_some_and(|sent| sent != tenant_id.as_str())
        {
            return Err(AuthError::AccessDenied(AccessDenial::TenantMismatch));
        }
        let store = &self.ctx.store;
        let tenant = store.tenant(&tenant_id).await?.ok_or(invalid)?;
        self.ctx.check_address(&tenant, ctx)?;
        let live = !tenant.disabled
            && store
                .customer(&tenant_id, &customer_id)
                .await?
                .is_some_and(|customer| !customer.disabled)
            && store
                .user(&tenant_id, &username)
                .await?
                .is_some_and(|user| !user.disabled)
            && !store.enrollment_token_spent(&claims.jti).await?
            && self
                .factors
                .factors_of(&tenant_id, &username)
                .await?
                .active
                .is_none();
        if !live {
            return Err(revoked);
        }
        Ok(Enroller {
            tenant: tenant_id,
            username,
            credential: Credential::Enrolment(claims),
        })
    }

    /// `GET /v1/mfa`.
    pub async fn status(&self, enroller: &Enroller) -> Result<FactorStatus, AuthError> {
        let (tenant, username) = (&enroller.tenant, &enroller.username);
        Ok(FactorStatus {
            policy: self.ctx.mfa_policy(tenant).await?,
            confirmed_at: self
                .factors
                .factors_of(tenant, username)
                .await?
                .active
                .and_then(|factor| factor.confirmed_at),
            recovery_codes_left: self.ctx.store.recovery_codes_left(tenant, username).await?,
        })
    }

    /// `POST /v1/mfa/totp`: a new pending factor (replacing an earlier pending one). From a
    /// session, the password again, and a code of the active factor when there is one.
    pub async fn start(
        &self,
        ctx: &RequestContext,
        enroller: &Enroller,
        proof: Reauthentication,
    ) -> Result<PendingTotp, AuthError> {
        self.refuse_when_off(&enroller.tenant).await?;
        if let Credential::Session { .. } = enroller.credential {
            let active = self
                .factors
                .factors_of(&enroller.tenant, &enroller.username)
                .await?
                .active;
            self.reauthenticate(ctx, enroller, active.as_ref(), proof)
                .await?;
        }
        self.factors
            .start_totp(ctx, &enroller.tenant, &enroller.username)
            .await
    }

    /// `POST /v1/mfa/totp/confirm`: the pending factor's first code makes it the active one and
    /// returns ten new recovery codes. With an enrolment token, the token is spent and the
    /// answer carries the session the login now gets (`amr` `pwd otp mfa`).
    pub async fn confirm(
        &self,
        ctx: &RequestContext,
        enroller: &Enroller,
        otp: &SecretString,
    ) -> Result<Enrolled, AuthError> {
        let (tenant, username) = (&enroller.tenant, &enroller.username);
        self.refuse_when_off(tenant).await?;
        let pending = self
            .factors
            .factors_of(tenant, username)
            .await?
            .pending
            .ok_or(AuthError::InvalidRequest(
                RequestProblem::NoPendingEnrolment,
            ))?;
        let recovery_codes = self
            .factors
            .confirm_totp(ctx, tenant, username, &pending.id, otp.expose_secret())
            .await?;
        let login = match &enroller.credential {
            Credential::Session { .. } => None,
            Credential::Enrolment(claims) => Some(self.log_in(ctx, enroller, claims).await?),
        };
        Ok(Enrolled {
            recovery_codes,
            login,
        })
    }

    /// The session a forced enrolment ends in. Only one confirmation activates a pending
    /// factor, so the token is spent once; a token spent meanwhile ends nothing but itself.
    async fn log_in(
        &self,
        ctx: &RequestContext,
        enroller: &Enroller,
        claims: &EnrollmentClaims,
    ) -> Result<IssuedTokens, AuthError> {
        let store = &self.ctx.store;
        let now = self.ctx.clock.now_utc();
        let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp)
            .map_err(|_| AuthError::InvalidToken(TokenProblem::Invalid))?;
        if !store
            .spend_enrollment_token(&enroller.tenant, &claims.jti, expires_at, now)
            .await?
        {
            return Err(AuthError::InvalidToken(TokenProblem::Revoked));
        }
        let revoked = || AuthError::InvalidToken(TokenProblem::Revoked);
        let tenant = store.tenant(&enroller.tenant).await?.ok_or_else(revoked)?;
        let customer_id = CustomerId::parse(&claims.customer_id).map_err(|_| revoked())?;
        let customer = store
            .customer(&enroller.tenant, &customer_id)
            .await?
            .ok_or_else(revoked)?;
        let spec = SessionSpec {
            tenant: &tenant,
            customer: &customer,
            username: Some(&enroller.username),
            family: FamilyId::generate(now),
            family_expires_at: now + self.ctx.settings.refresh_token_lifetime,
            confirmation: self.ctx.confirmation_for(ctx),
            origin: ctx.origin(),
            authentication: Some(Authentication {
                methods: vec![AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa],
                at: now,
            }),
        };
        let (tokens, _session) = self.logins.issue_session(spec).await?;
        Ok(tokens)
    }

    /// `DELETE /v1/mfa/totp`: removes the factor and the recovery codes and ends the person's
    /// other sessions (this one stays). Under policy `required` the next login enrols again.
    pub async fn remove(
        &self,
        ctx: &RequestContext,
        enroller: &Enroller,
        proof: Reauthentication,
    ) -> Result<u64, AuthError> {
        let family = Self::session_family(enroller)?;
        let (tenant, username) = (&enroller.tenant, &enroller.username);
        self.reauthenticate_with_factor(ctx, enroller, proof)
            .await?;
        self.ctx
            .store
            .remove_second_factor(tenant, username)
            .await?;
        let ended = self
            .ctx
            .end_other_sessions(tenant, username, family)
            .await?;
        self.factors
            .audit(ctx, tenant, username, AuditAction::MfaRemoved, Ok(()))
            .await;
        Ok(ended)
    }

    /// `POST /v1/mfa/recovery-codes`: a new batch of ten, voiding the old one.
    pub async fn renew_recovery_codes(
        &self,
        ctx: &RequestContext,
        enroller: &Enroller,
        proof: Reauthentication,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        Self::session_family(enroller)?;
        let (tenant, username) = (&enroller.tenant, &enroller.username);
        self.refuse_when_off(tenant).await?;
        self.reauthenticate_with_factor(ctx, enroller, proof)
            .await?;
        let codes = self.factors.new_recovery_codes(tenant, username).await?;
        self.factors
            .audit(
                ctx,
                tenant,
                username,
                AuditAction::MfaRecoveryCodesReplaced,
                Ok(()),
            )
            .await;
        Ok(codes)
    }

    /// The session's family; an enrolment token cannot remove or renew anything.
    fn session_family(enroller: &Enroller) -> Result<&FamilyId, AuthError> {
        match &enroller.credential {
            Credential::Session { family, .. } => Ok(family),
            Credential::Enrolment(_) => Err(AuthError::InvalidToken(TokenProblem::Invalid)),
        }
    }

    /// Policy `off`: nobody enrols (403 `access_denied`).
    async fn refuse_when_off(&self, tenant: &TenantId) -> Result<(), AuthError> {
        if self.ctx.mfa_policy(tenant).await? == MfaPolicy::Off {
            return Err(AuthError::AccessDenied(AccessDenial::SecondFactorOff));
        }
        Ok(())
    }

    /// [`Self::reauthenticate`] for a change to the active factor (there must be one).
    async fn reauthenticate_with_factor(
        &self,
        ctx: &RequestContext,
        enroller: &Enroller,
        proof: Reauthentication,
    ) -> Result<(), AuthError> {
        let active = self
            .factors
            .factors_of(&enroller.tenant, &enroller.username)
            .await?
            .active
            .ok_or(AuthError::InvalidRequest(RequestProblem::NoFactor))?;
        self.reauthenticate(ctx, enroller, Some(&active), proof)
            .await
    }

    /// The password again (its failures count in the login back-off; wrong → 403
    /// `access_denied`), then a code of `active` when there is one (`mfa_required` without
    /// one, `invalid_otp` for a wrong one, counted like a login's).
    async fn reauthenticate(
        &self,
        ctx: &RequestContext,
        enroller: &Enroller,
        active: Option<&TotpFactor>,
        proof: Reauthentication,
    ) -> Result<(), AuthError> {
        let (tenant, username) = (&enroller.tenant, &enroller.username);
        let password = proof
            .password
            .ok_or(AuthError::InvalidRequest(RequestProblem::PasswordRequired))?;
        let store = &self.ctx.store;
        let key = username.as_str();
        self.logins
            .check_backoff(store.failures(tenant, key).await?)?;
        let user: Option<User> = store.user(tenant, username).await?;
        let phc = user.map(|user| user.password_hash);
        if !self.ctx.hasher.verify(password, phc).await? {
            store
                .record_failure(tenant, key, self.ctx.clock.now_utc())
                .await?;
            return Err(AuthError::AccessDenied(AccessDenial::WrongPassword));
        }
        let Some(factor) = active else {
            return Ok(());
        };
        let otp = proof.otp.ok_or(AuthError::MfaRequired)?;
        self.factors
            .check(ctx, tenant, username, factor, &SecondFactorProof::Otp(otp))
            .await?;
        Ok(())
    }
}
