//! Using a session: authenticating a `userSessionToken`, the 10 % refresh, logout and "who am I".

use std::sync::Arc;

use crate::audit::{AuditAction, AuditOutcome};
use crate::error::{AccessDenial, AuthError, ScopeRefusal, TokenProblem};
use crate::model::{AccountType, Session};
use crate::policy::refresh::{RefreshDecision, decide};
use crate::scope::Scope;
use crate::secret::SecretHash;
use crate::session_token::VerifiedToken;

use super::audit_trail::{Subject, outcome_of};
use super::issue::is_token_subject;
use crate::cert::{CertificateIdentity, ClientCertificate};

use super::RequestContext;
use super::context::Context;

/// How often a session's last use is written at most.
pub const LAST_USED_INTERVAL: time::Duration = time::Duration::minutes(1);

/// Whether the session's access token must still be valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessCheck {
    /// Data calls, "who am I", refresh: an expired access token is refused.
    Required,
    /// Logout: ending a session whose access token expired is allowed.
    NotRequired,
}

/// A session token that passed every check, with its live session.
#[derive(Debug, Clone)]
pub struct AuthenticatedSession {
    /// The verified token: its claims and its session key's hash.
    pub token: Arc<VerifiedToken>,
    /// The session as stored.
    pub session: Arc<Session>,
}

/// The answer of `POST /v1/auth/refresh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshOutcome {
    /// Whether this call extended the access token.
    pub refreshed: bool,
    /// Seconds of validity left.
    pub expires_in: i64,
}

/// The answer of `GET /v1/auth/session`.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The tenant.
    pub tenant_id: String,
    /// The customer.
    pub customer_id: String,
    /// The person, `None` for machines.
    pub username: Option<String>,
    /// The customer's account type.
    pub account_type: AccountType,
    /// The granted scope.
    pub scope: Scope,
    /// Seconds left on the access token.
    pub expires_in: i64,
    /// Seconds left on the session.
    pub session_expires_in: i64,
    /// How the person proved who they are (RFC 8176); `None` for machines.
    pub amr: Option<Vec<crate::model::AuthMethod>>,
}

/// The audit subject of an authenticated session (none when authentication itself failed).
fn subject_of(session: Option<&Session>) -> Subject<'_> {
    session.map_or_else(Subject::default, |s| Subject {
        tenant: Some(s.tenant_id.as_str()),
        customer: Some(s.customer_id.as_str()),
        username: s.username.as_ref().map(crate::ids::Username::as_str),
    })
}

/// Using sessions: authentication of every session call, the 10 % refresh, logout and "who am
/// I". Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sessions {
    pub(super) ctx: Arc<Context>,
}

impl Sessions {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Presence and validity of the connection's certificate: `Ok(Some(..))` for a verified one,
    /// `Ok(None)` where none is needed (no TLS, or optional and absent), 403
    /// `invalid_certificate` for an invalid one or a missing one the profile requires.
    pub fn check_client_certificate<'a>(
        &self,
        certificate: &'a ClientCertificate,
    ) -> Result<Option<&'a CertificateIdentity>, AuthError> {
        self.ctx.check_client_certificate(certificate)
    }

    /// Audits a refusal made outside the domain (address, rate limit, certificate).
    pub async fn audit_refusal(&self, ctx: &RequestContext, error: &AuthError) {
        self.ctx.audit.refusal(ctx, error).await;
    }

    /// Checks a bearer token: signature and claims, the connection's client certificate (bound
    /// to the token's customer; for a certificate-bound token, the very certificate), a live
    /// session that matches the claims, the tenant still enabled, the client address on its
    /// allow-list and `X-Tenant-ID` (when sent) naming the session's tenant.
    /// A certificate refusal is audited (other refusals are not: they are the caller's to audit).
    pub async fn authenticate(
        &self,
        ctx: &RequestContext,
        bearer: Option<&str>,
        access: AccessCheck,
    ) -> Result<AuthenticatedSession, AuthError> {
        self.authenticate_with(ctx, bearer, access, true).await
    }

    /// [`Self::authenticate`]; `audit_certificate_refusal` is false for callers that audit
    /// every outcome themselves (refresh, logout).
    async fn authenticate_with(
        &self,
        ctx: &RequestContext,
        bearer: Option<&str>,
        access: AccessCheck,
        audit_certificate_refusal: bool,
    ) -> Result<AuthenticatedSession, AuthError> {
        let token = bearer.ok_or(AuthError::InvalidToken(TokenProblem::Missing))?;
        let now = self.ctx.clock.now_utc();
        let verified = self.ctx.tokens.verify(token, now.unix_timestamp())?;
        let claims = &verified.claims;
        // The certificate comes before the session (403 before 401): it must be bound to the
        // customer the verified token names, and a bound token must come over its certificate.
        if let Err(refused) = self
            .ctx
            .check_certificate_binding(ctx, &claims.tenant_id, &claims.customer_id)
            .await
        {
            if audit_certificate_refusal {
                let subject = Subject {
                    tenant: Some(&claims.tenant_id),
                    customer: Some(&claims.customer_id),
                    username: None,
                };
                let outcome = AuditOutcome::Failure(refused.code().to_owned());
                self.ctx
                    .audit
                    .decision(ctx, AuditAction::RequestRefused, outcome, subject)
                    .await;
            }
            return Err(refused);
        }
        Context::check_confirmation(ctx, claims.cnf.as_ref())?;
        let (session, tenant) = self.live_session(&verified.key_hash, now).await?;
        let customer_matches = session.customer_id.as_str() == claims.customer_id;
        if session.tenant_id.as_str() != claims.tenant_id
            || !customer_matches
            || !is_token_subject(&claims.sub, session.username.as_ref(), &session.customer_id)
        {
            return Err(AuthError::InvalidToken(TokenProblem::Invalid));
        }
        if session.session_expires_at <= now {
            return Err(AuthError::InvalidToken(TokenProblem::SessionExpired));
        }
        if ctx
            .tenant_header
            .as_deref()
            .is_some_and(|sent| sent != session.tenant_id.as_str())
        {
            return Err(AuthError::AccessDenied(AccessDenial::TenantMismatch));
        }
        self.ctx.check_address(&tenant, ctx)?;
        if access == AccessCheck::Required && session.access_expires_at <= now {
            return Err(AuthError::InvalidToken(TokenProblem::AccessTokenExpired));
        }
        Ok(AuthenticatedSession {
            token: verified,
            session,
        })
    }

    /// The session (not revoked) and its tenant (not disabled), from the cache when it was read
    /// less than [`super::SESSION_CACHE_TTL`] ago. A cached session that looks expired is read
    /// again, in case another instance refreshed it meanwhile. The session's scope is what it
    /// was granted at login narrowed to the tenant's scope now, so narrowing a tenant's scope
    /// applies to its live sessions at their next request (as its allow-list does).
    pub(super) async fn live_session(
        &self,
        key_hash: &SecretHash,
        now: time::OffsetDateTime,
    ) -> Result<(Arc<Session>, Arc<crate::model::Tenant>), AuthError> {
        if let Some(live) = self.cached_session(key_hash, now) {
            return Ok(live);
        }
        // One read per session at a time: the requests that missed with this one find what
        // the first of them read.
        let _turn = self.ctx.sessions.flight(key_hash).await;
        if let Some(live) = self.cached_session(key_hash, now) {
            return Ok(live);
        }
        let instant = self.ctx.clock.instant();
        let revoked = || AuthError::InvalidToken(TokenProblem::Revoked);
        let store = &self.ctx.store;
        let mut session = store
            .session(key_hash)
            .await?
            .filter(|s| s.revoked_at.is_none())
            .ok_or_else(revoked)?;
        let tenant = store
            .tenant(&session.tenant_id)
            .await?
            .filter(|t| !t.disabled)
            .map(Arc::new)
            .ok_or_else(revoked)?;
        session.scope = session.scope.narrowed_to(&tenant.scope);
        self.note_use(&mut session, now).await;
        let session = Arc::new(session);
        self.ctx
            .sessions
            .put(Arc::clone(&session), Arc::clone(&tenant), instant);
        Ok((session, tenant))
    }

    /// The cached session and tenant, unless the cached copy's access token looks expired.
    fn cached_session(
        &self,
        key_hash: &SecretHash,
        now: time::OffsetDateTime,
    ) -> Option<(Arc<Session>, Arc<crate::model::Tenant>)> {
        self.ctx
            .sessions
            .get(key_hash, self.ctx.clock.instant())
            .filter(|(session, _)| session.access_expires_at > now)
    }

    /// Records the use of a session read from the store, at most once per
    /// [`LAST_USED_INTERVAL`]; the cache serves it in between, so the hot path rarely writes.
    /// Informational only: a failed write is logged, never the request's failure.
    async fn note_use(&self, session: &mut Session, now: time::OffsetDateTime) {
        let not_since = now - LAST_USED_INTERVAL;
        if session.last_used_at.is_some_and(|at| at > not_since) {
            return;
        }
        match self
            .ctx
            .store
            .touch_session(&session.key_hash, now, not_since)
            .await
        {
            Ok(_) => session.last_used_at = Some(now),
            Err(error) => tracing::warn!(%error, "recording a session's last use failed"),
        }
    }

    /// `POST /v1/auth/refresh`: extends the access token only when at most 10 % of its validity
    /// remains; of many concurrent refreshes exactly one extends it. `body_token`, when sent,
    /// must belong to the same user and tenant as the authenticated session (else 403).
    pub async fn refresh(
        &self,
        ctx: &RequestContext,
        bearer: Option<&str>,
        body_token: Option<&str>,
    ) -> Result<RefreshOutcome, AuthError> {
        let mut who = None;
        let result = self.refresh_inner(ctx, bearer, body_token, &mut who).await;
        self.ctx
            .audit
            .decision(
                ctx,
                AuditAction::SessionRefresh,
                outcome_of(&result),
                subject_of(who.as_deref()),
            )
            .await;
        result
    }

    async fn refresh_inner(
        &self,
        ctx: &RequestContext,
        bearer: Option<&str>,
        body_token: Option<&str>,
        who: &mut Option<Arc<Session>>,
    ) -> Result<RefreshOutcome, AuthError> {
        let auth = self
            .authenticate_with(ctx, bearer, AccessCheck::Required, false)
            .await?;
        *who = Some(auth.session.clone());
        if let Some(other) = body_token {
            let now = self.ctx.clock.now_utc().unix_timestamp();
            let other = &self.ctx.tokens.verify(other, now)?.claims;
            let mine = &auth.token.claims;
            if other.sub != mine.sub || other.tenant_id != mine.tenant_id {
                return Err(AuthError::InsufficientScope(ScopeRefusal::OtherUsersToken));
            }
        }
        let session = auth.session;
        let now = self.ctx.clock.now_utc();
        match decide(now, session.access_expires_at, session.access_lifetime) {
            RefreshDecision::Expired => {
                Err(AuthError::InvalidToken(TokenProblem::AccessTokenExpired))
            }
            RefreshDecision::NotYet { remaining } => Ok(RefreshOutcome {
                refreshed: false,
                expires_in: remaining.whole_seconds(),
            }),
            RefreshDecision::Refresh => {
                let new_expiry = (now + session.access_lifetime).min(session.session_expires_at);
                let store = &self.ctx.store;
                let extended = store
                    .extend_access(&session.key_hash, session.access_expires_at, new_expiry)
                    .await;
                self.ctx.sessions.forget(&session.key_hash);
                if extended? {
                    return Ok(RefreshOutcome {
                        refreshed: true,
                        expires_in: (new_expiry - now).whole_seconds(),
                    });
                }
                // Another refresh won; report what it left.
                let current = store
                    .session(&session.key_hash)
                    .await?
                    .filter(|s| s.revoked_at.is_none())
                    .ok_or(AuthError::InvalidToken(TokenProblem::Revoked))?;
                Ok(RefreshOutcome {
                    refreshed: false,
                    expires_in: (current.access_expires_at - now).whole_seconds().max(0),
                })
            }
        }
    }

    /// How many sessions of all tenants are live now (neither ended nor expired).
    pub async fn count_active(&self) -> Result<u64, AuthError> {
        let now = self.ctx.clock.now_utc();
        Ok(self.ctx.store.count_active_sessions(now).await?)
    }

    /// Whether the store answers now (readiness).
    pub async fn store_ready(&self) -> Result<(), AuthError> {
        Ok(self.ctx.store.ping().await?)
    }

    /// `POST /v1/auth/logout`: ends the session and its refresh-token family.
    pub async fn logout(
        &self,
        ctx: &RequestContext,
        bearer: Option<&str>,
    ) -> Result<(), AuthError> {
        let mut who = None;
        let result = async {
            let auth = self
                .authenticate_with(ctx, bearer, AccessCheck::NotRequired, false)
                .await?;
            who = Some(auth.session.clone());
            let now = self.ctx.clock.now_utc();
            self.ctx.revoke_session(&auth.session.key_hash, now).await?;
            self.ctx.revoke_family(&auth.session.family_id, now).await?;
            Ok(())
        }
        .await;
        self.ctx
            .audit
            .decision(
                ctx,
                AuditAction::Logout,
                outcome_of(&result),
                subject_of(who.as_deref()),
            )
            .await;
        result
    }

    /// `GET /v1/auth/session`.
    pub async fn session_info(
        &self,
        ctx: &RequestContext,
        bearer: Option<&str>,
    ) -> Result<SessionInfo, AuthError> {
        let auth = self
            .authenticate(ctx, bearer, AccessCheck::Required)
            .await?;
        let now = self.ctx.clock.now_utc();
        let session = auth.session;
        Ok(SessionInfo {
            tenant_id: session.tenant_id.to_string(),
            customer_id: session.customer_id.to_string(),
            username: session.username.as_ref().map(|u| u.as_str().to_owned()),
            account_type: session.account_type,
            scope: session.scope.clone(),
            expires_in: (session.access_expires_at - now).whole_seconds(),
            session_expires_in: (session.session_expires_at - now).whole_seconds(),
            amr: session
                .authentication
                .as_ref()
                .map(|proof| proof.methods.clone()),
        })
    }
}
