//! The portal as the domain sees it: FinHub's own first-party client. A person signs in through
//! the tenant's built-in customer (made on first use; its secret is random and held by no one),
//! and the portal session is an ordinary session of that customer whose internal key the
//! browser's cookie holds. Between a right password and the code, the portal holds a signed
//! sign-in token bound to the browser, never the password. A person's own sessions are listed
//! and ended here; everything else goes through the services the API uses.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::audit::{AuditAction, AuditOutcome};
use crate::error::{AuthError, EnrollmentToken, TokenProblem};
use crate::ids::{CustomerId, FamilyId, TenantId, Username};
use crate::model::{AccountType, Customer, Session, UserRole};
use crate::secret::{OpaqueSecret, SecretHash};
use crate::sign_in_token::{SIGN_IN_TOKEN_LIFETIME, SignInClaims};

use super::audit_trail::{Subject, outcome_of};
use super::context::Context;
use super::enrolment::{Credential, Enroller};
use super::login::Client;
use super::{
    IssuedTokens, LoginGrant, LoginRequest, Logins, RequestContext, SecondFactorProof, Sessions,
};

/// The id of every tenant's built-in portal customer.
pub const PORTAL_CUSTOMER_ID: &str = "finhub-portal";

/// What the browser's cookie holds once signed in: the portal session's internal key.
pub struct PortalKey(SecretString);

impl PortalKey {
    /// The key, for the cookie.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for PortalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PortalKey([redacted])")
    }
}

/// How a sign-in with a right password goes on.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in.
    SignedIn(PortalKey),
    /// The person has a second factor: ask for a code, carrying this sign-in token.
    CodeNeeded(SecretString),
    /// The tenant requires a factor the person does not have yet: enrol with this token.
    EnrolmentNeeded(EnrollmentToken),
}

/// A signed-in portal session: the person, their role now, and the session.
#[derive(Debug, Clone)]
pub struct PortalSession {
    /// The tenant.
    pub tenant: TenantId,
    /// The person.
    pub username: Username,
    /// Their role, read at this request.
    pub role: UserRole,
    /// The portal's session.
    pub session: Arc<Session>,
}

impl PortalSession {
    /// The person as `/v1/mfa`'s operations know them (through this session).
    pub fn enroller(&self) -> Enroller {
        Enroller {
            tenant: self.tenant.clone(),
            username: self.username.clone(),
            credential: Credential::Session {
                family: self.session.family_id.clone(),
                key_hash: self.session.key_hash.as_str().to_owned(),
            },
        }
    }
}

/// The portal's sign-in, session check and a person's own sessions. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Portal {
    ctx: Arc<Context>,
    logins: Logins,
    sessions: Sessions,
}

impl Portal {
    pub(crate) fn new(ctx: Arc<Context>, logins: Logins, sessions: Sessions) -> Self {
        Self {
            ctx,
            logins,
            sessions,
        }
    }

    /// Signs a person in with their password from the browser whose cookie is `browser`.
    /// Every bad credential (an unknown tenant included) is one `InvalidClient`.
    pub async fn sign_in(
        &self,
        ctx: &RequestContext,
        tenant: &str,
        username: String,
        password: SecretString,
        browser: &str,
    ) -> Result<SignIn, AuthError> {
        let tenant = TenantId::parse(tenant).map_err(|_| AuthError::InvalidClient)?;
        self.ensure_customer(&tenant).await?;
        let request = LoginRequest {
            tenant: tenant.clone(),
            customer_id: PORTAL_CUSTOMER_ID.to_owned(),
            customer_secret: SecretString::from(String::new()),
            account_type: AccountType::B2c,
            grant: LoginGrant::Password {
                username: username.clone(),
                password,
                second_factor: None,
            },
        };
        match self.logins.login_as(ctx, request, Client::FirstParty).await {
            Ok(tokens) => Ok(SignIn::SignedIn(self.key_of(&tokens)?)),
            Err(AuthError::MfaRequired) => {
                let now = self.ctx.clock.now_utc();
                let claims = SignInClaims {
                    iss: String::new(),
                    aud: String::new(),
                    sub: username,
                    tenant_id: tenant.to_string(),
                    bnd: SecretHash::of(browser).as_str().to_owned(),
                    iat: now.unix_timestamp(),
                    exp: (now + SIGN_IN_TOKEN_LIFETIME).unix_timestamp(),
                    typ: String::new(),
                };
                Ok(SignIn::CodeNeeded(self.ctx.tokens.sign_sign_in(claims)?))
            }
            Err(AuthError::MfaEnrollmentRequired(token)) => Ok(SignIn::EnrolmentNeeded(token)),
            Err(refused) => Err(refused),
        }
    }

    /// The second step of a sign-in: the sign-in token from the same browser and a code or a
    /// recovery code. A token from another browser, or past its five minutes, is refused.
    pub async fn sign_in_code(
        &self,
        ctx: &RequestContext,
        sign_in_token: &str,
        browser: &str,
        proof: SecondFactorProof,
    ) -> Result<PortalKey, AuthError> {
        let now = self.ctx.clock.now_utc();
        let claims = self
            .ctx
            .tokens
            .verify_sign_in(sign_in_token, now.unix_timestamp())?;
        if !SecretHash::from_stored(claims.bnd.clone()).matches(browser) {
            return Err(AuthError::InvalidToken(TokenProblem::Invalid));
        }
        let tokens = self
            .logins
            .complete_first_party(ctx, &claims, proof)
            .await?;
        self.key_of(&tokens)
    }

    /// The portal key of the session a forced enrolment ended in.
    pub fn enrolled(&self, tokens: &IssuedTokens) -> Result<PortalKey, AuthError> {
        self.key_of(tokens)
    }

    /// The signed-in portal session the cookie `key` names: live, of the portal's customer,
    /// within its absolute end, from an allowed address, over an accepted certificate.
    pub async fn session(
        &self,
        ctx: &RequestContext,
        key: &str,
    ) -> Result<PortalSession, AuthError> {
        let revoked = || AuthError::InvalidToken(TokenProblem::Revoked);
        let now = self.ctx.clock.now_utc();
        let (session, tenant) = self
            .sessions
            .live_session(&SecretHash::of(key), now)
            .await?;
        if session.customer_id.as_str() != PORTAL_CUSTOMER_ID {
            return Err(revoked());
        }
        if session.session_expires_at <= now {
            return Err(AuthError::InvalidToken(TokenProblem::SessionExpired));
        }
        self.ctx
            .check_certificate_binding(ctx, tenant.id.as_str(), PORTAL_CUSTOMER_ID)
            .await?;
        self.ctx.check_address(&tenant, ctx)?;
        let username = session.username.clone().ok_or_else(revoked)?;
        let user = self
            .ctx
            .store
            .user(&tenant.id, &username)
            .await?
            .filter(|user| !user.disabled)
            .ok_or_else(revoked)?;
        Ok(PortalSession {
            tenant: tenant.id.clone(),
            username,
            role: user.role,
            session,
        })
    }

    /// Signs out: ends the portal session and its family. Audited as a logout.
    pub async fn sign_out(&self, ctx: &RequestContext, portal: &PortalSession) {
        let now = self.ctx.clock.now_utc();
        let result = async {
            self.ctx
                .revoke_session(&portal.session.key_hash, now)
                .await?;
            self.ctx.revoke_family(&portal.session.family_id, now).await
        }
        .await;
        self.audit(ctx, AuditAction::Logout, &result, portal).await;
    }

    /// The person's live sessions, through every customer, newest first.
    pub async fn my_sessions(&self, portal: &PortalSession) -> Result<Vec<Session>, AuthError> {
        let now = self.ctx.clock.now_utc();
        Ok(self
            .ctx
            .store
            .list_user_sessions(&portal.tenant, &portal.username, now)
            .await?)
    }

    /// Ends one of the person's logins (the session's whole refresh-token family); `NotFound`
    /// unless it is theirs and live. Returns the sessions ended.
    pub async fn end_session(
        &self,
        ctx: &RequestContext,
        portal: &PortalSession,
        family: &str,
    ) -> Result<u64, AuthError> {
        let result = async {
            let mine = self
                .my_sessions(portal)
                .await?
                .into_iter()
                .find(|session| session.family_id.as_str() == family)
                .ok_or_else(|| {
                    AuthError::Store(crate::error::StoreError::NotFound("session".into()))
                })?;
            let now = self.ctx.clock.now_utc();
            self.ctx.revoke_family(&mine.family_id, now).await
        }
        .await;
        self.audit(ctx, AuditAction::SessionsEnded, &result, portal)
            .await;
        result
    }

    /// Ends every login of the person but the portal's own; returns the sessions ended.
    pub async fn end_other_sessions(
        &self,
        ctx: &RequestContext,
        portal: &PortalSession,
    ) -> Result<u64, AuthError> {
        let keep: &FamilyId = &portal.session.family_id;
        let result = self
            .ctx
            .end_other_sessions(&portal.tenant, &portal.username, keep)
            .await;
        self.audit(ctx, AuditAction::SessionsEnded, &result, portal)
            .await;
        result
    }

    /// The tenant's built-in customer, made when the tenant has none yet (another instance
    /// making it at the same moment is fine).
    async fn ensure_customer(&self, tenant: &TenantId) -> Result<(), AuthError> {
        let id = CustomerId::parse(PORTAL_CUSTOMER_ID)
            .map_err(|_| AuthError::Internal("the portal's customer id does not parse".into()))?;
        let store = &self.ctx.store;
        if store.customer(tenant, &id).await?.is_some() || store.tenant(tenant).await?.is_none() {
            return Ok(());
        }
        let customer = Customer {
            id,
            tenant_id: tenant.clone(),
            name: "FinHub portal".to_owned(),
            account_type: AccountType::B2c,
            // A secret no one is given: the customer cannot log in through the API.
            secret_hash: OpaqueSecret::generate("unused_").hash(),
            disabled: false,
        };
        match store.insert_customer(&customer).await {
            Ok(()) | Err(crate::error::StoreError::Conflict(_)) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// The internal key of a session the portal was just issued.
    fn key_of(&self, tokens: &IssuedTokens) -> Result<PortalKey, AuthError> {
        let now = self.ctx.clock.now_utc().unix_timestamp();
        let verified = self
            .ctx
            .tokens
            .verify(tokens.user_session_token.expose_secret(), now)?;
        Ok(PortalKey(SecretString::from(
            verified.claims.internal_token_key.clone(),
        )))
    }

    async fn audit<T>(
        &self,
        ctx: &RequestContext,
        action: AuditAction,
        result: &Result<T, AuthError>,
        portal: &PortalSession,
    ) {
        let outcome: AuditOutcome = outcome_of(result);
        let subject = Subject {
            tenant: Some(portal.tenant.as_str()),
            customer: Some(PORTAL_CUSTOMER_ID),
            username: Some(portal.username.as_str()),
        };
        self.ctx.audit.decision(ctx, action, outcome, subject).await;
    }
}
