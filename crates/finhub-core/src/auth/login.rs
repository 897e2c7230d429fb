//! Logins with the `password` and `client_credentials` grants: one code path that looks up the
//! tenant, customer, user (with what the second step needs) and failure count in one read,
//! always runs one Argon2 verification for the password grant (a dummy one for unknown users)
//! and answers every kind of bad credential identically.

use std::sync::{Arc, LazyLock};

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::audit::AuditAction;
use crate::error::AuthError;
use crate::ids::{CustomerId, FamilyId, TenantId, Username};
use crate::mfa::MfaPolicy;
use crate::model::{AccountType, Authentication, Customer, Tenant, TotpFactor, User};
use crate::policy::login_backoff;
use crate::secret::SecretHash;
use crate::store::LoginLookup;

use super::audit_trail::{Subject, outcome_of};
use super::context::Context;
use super::issue::SessionSpec;
use super::portal::PORTAL_CUSTOMER_ID;
use super::{IssuedTokens, LoginGrant, LoginRequest, RequestContext, SecondFactors};

/// Compared against when the customer is unknown, so that path costs the same.
static DUMMY_SECRET_HASH: LazyLock<SecretHash> =
    LazyLock::new(|| SecretHash::of("dummy customer secret for unknown customers"));

/// Who passed the credential check.
#[derive(Debug)]
pub(super) struct Verified {
    pub(super) tenant: Tenant,
    pub(super) customer: Customer,
    pub(super) user: Option<User>,
    /// The tenant's second-factor policy as set (`None`: the profile's default).
    pub(super) mfa_policy: Option<MfaPolicy>,
    /// The user's active factor, read with the credentials: the second step reads nothing more.
    pub(super) active_factor: Option<TotpFactor>,
    /// The failure count's key, when a run of failures is there to clear once the login
    /// succeeds as a whole.
    pub(super) failures_to_clear: Option<String>,
}

/// Who is logging in: a registered customer proving its secret, or the hub's own portal
/// (its built-in customer, whose secret no one holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Client {
    /// A customer with its secret.
    Registered,
    /// The portal, through [`PORTAL_CUSTOMER_ID`].
    FirstParty,
}

/// Logins: the `password`, `client_credentials` and `refresh_token` grants, each ending in a new
/// session. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Logins {
    pub(super) ctx: Arc<Context>,
    pub(super) second_factors: SecondFactors,
}

impl Logins {
    pub(crate) fn new(ctx: Arc<Context>, second_factors: SecondFactors) -> Self {
        Self {
            ctx,
            second_factors,
        }
    }

    /// The password hasher logins verify with (it counts its verifications).
    pub fn hasher(&self) -> &crate::password::PasswordHasher {
        &self.ctx.hasher
    }

    /// The second-factor checks logins make (they count their verifications).
    pub fn second_factors(&self) -> &SecondFactors {
        &self.second_factors
    }

    /// `POST /v1/auth/token`: any of the three grants. Every outcome is audited.
    pub async fn login(
        &self,
        ctx: &RequestContext,
        request: LoginRequest,
    ) -> Result<IssuedTokens, AuthError> {
        self.login_as(ctx, request, Client::Registered).await
    }

    /// A login by `client`; every outcome is audited.
    pub(super) async fn login_as(
        &self,
        ctx: &RequestContext,
        request: LoginRequest,
        client: Client,
    ) -> Result<IssuedTokens, AuthError> {
        let (action, username) = match &request.grant {
            LoginGrant::Password { username, .. } => {
                (AuditAction::PasswordLogin, Some(username.clone()))
            }
            LoginGrant::ClientCredentials => (AuditAction::ClientCredentialsLogin, None),
            LoginGrant::RefreshToken { .. } => (AuditAction::RefreshTokenGrant, None),
        };
        let tenant = request.tenant.to_string();
        let customer = request.customer_id.clone();
        // The certificate comes before any credential (403 before 401).
        let result = match self
            .ctx
            .check_certificate_binding(ctx, &tenant, &customer)
            .await
        {
            Err(refused) => Err(refused),
            Ok(()) => match request.grant.clone() {
                LoginGrant::RefreshToken { refresh_token } => {
                    self.exchange_refresh_token(ctx, &request, refresh_token)
                        .await
                }
                LoginGrant::Password { .. } | LoginGrant::ClientCredentials => {
                    self.login_with_credentials(ctx, &request, client).await
                }
            },
        };
        let subject = Subject {
            tenant: Some(&tenant),
            customer: Some(&customer),
            username: username.as_deref(),
        };
        self.ctx
            .audit
            .decision(ctx, action, outcome_of(&result), subject)
            .await;
        result
    }

    async fn login_with_credentials(
        &self,
        ctx: &RequestContext,
        request: &LoginRequest,
        client: Client,
    ) -> Result<IssuedTokens, AuthError> {
        if matches!(request.grant, LoginGrant::ClientCredentials)
            && request.account_type == AccountType::B2c
        {
            return Err(AuthError::UnauthorizedClient);
        }
        let verified = self.verify_credentials(ctx, request, client).await?;
        if matches!(request.grant, LoginGrant::ClientCredentials)
            && verified.customer.account_type != AccountType::B2b
        {
            return Err(AuthError::UnauthorizedClient);
        }
        // A person proves a password and, where one is needed, a second factor; a machine
        // proves nothing `amr` names.
        let authentication = match (&verified.user, &request.grant) {
            (Some(user), LoginGrant::Password { second_factor, .. }) => Some(
                self.second_step(ctx, &verified, user, second_factor.as_ref())
                    .await?,
            ),
            _ => None,
        };
        self.open_login(ctx, &verified, authentication).await
    }

    /// The session a login that passed every check starts (a new refresh-token family), and
    /// the run of failures it ends cleared.
    pub(super) async fn open_login(
        &self,
        ctx: &RequestContext,
        verified: &Verified,
        authentication: Option<Authentication>,
    ) -> Result<IssuedTokens, AuthError> {
        let now = self.ctx.clock.now_utc();
        let spec = SessionSpec {
            tenant: &verified.tenant,
            customer: &verified.customer,
            username: verified.user.as_ref().map(|u| &u.username),
            family: FamilyId::generate(now),
            family_expires_at: now + self.ctx.settings.refresh_token_lifetime,
            confirmation: self.ctx.confirmation_for(ctx),
            origin: ctx.origin(),
            authentication,
        };
        let (tokens, _session) = self.issue_session(spec).await?;
        self.clear_failures(&verified.tenant.id, verified).await?;
        Ok(tokens)
    }

    /// Clears the run of failures a successful login ends, if there is one.
    pub(super) async fn clear_failures(
        &self,
        tenant: &TenantId,
        verified: &Verified,
    ) -> Result<(), AuthError> {
        if let Some(key) = &verified.failures_to_clear {
            self.ctx.store.clear_failures(tenant, key).await?;
        }
        Ok(())
    }

    /// Checks the customer (and, for the password grant, the user) credentials of a login.
    /// Refuses with `AccessDenied` outside the tenant's allow-list, `RateLimited` while a run of
    /// failures backs off, and one `InvalidClient` for every bad credential.
    pub(super) async fn verify_credentials(
        &self,
        ctx: &RequestContext,
        request: &LoginRequest,
        client: Client,
    ) -> Result<Verified, AuthError> {
        let store = &self.ctx.store;
        // Failures are counted per username as sent, or per customer for machines.
        let (attempt_key, username) = match &request.grant {
            LoginGrant::Password { username, .. } => {
                (username.clone(), Username::parse(username).ok())
            }
            LoginGrant::ClientCredentials | LoginGrant::RefreshToken { .. } => {
                (format!("client:{}", request.customer_id), None)
            }
        };
        let customer_id = CustomerId::parse(&request.customer_id).ok();
        let LoginLookup {
            tenant,
            mfa_policy,
            customer,
            user,
            active_factor,
            failures,
        } = self
            .lookup(
                request,
                customer_id.as_ref(),
                username.as_ref(),
                &attempt_key,
            )
            .await?;
        if let Some(tenant) = &tenant {
            self.ctx.check_address(tenant, ctx)?;
        }
        self.check_backoff(failures)?;

        let secret_ok = match client {
            Client::Registered => {
                let secret = request.customer_secret.expose_secret();
                let hash = customer
                    .as_ref()
                    .map_or(&*DUMMY_SECRET_HASH, |c| &c.secret_hash);
                hash.matches(secret) && customer.is_some()
            }
            // The hub itself: no secret to show, only its own built-in customer.
            Client::FirstParty => customer
                .as_ref()
                .is_some_and(|c| c.id.as_str() == PORTAL_CUSTOMER_ID),
        };

        let password_ok = match &request.grant {
            LoginGrant::Password { password, .. } => {
                let phc = user.as_ref().map(|u| u.password_hash.clone());
                self.ctx
                    .hasher
                    .verify(SecretString::clone(password), phc)
                    .await?
            }
            LoginGrant::ClientCredentials | LoginGrant::RefreshToken { .. } => true,
        };

        let verified = match (tenant, customer) {
            (Some(tenant), Some(customer))
                if secret_ok
                    && password_ok
                    && !tenant.disabled
                    && !customer.disabled
                    && customer.tenant_id == tenant.id
                    && customer.account_type == request.account_type
                    && user.as_ref().is_none_or(|u| !u.disabled)
                    && (user.is_some()
                        || !matches!(request.grant, LoginGrant::Password { .. })) =>
            {
                // A machine that logged in with no failures counted: its next logins read the
                // cache.
                if matches!(request.grant, LoginGrant::ClientCredentials) && failures.is_none() {
                    let instant = self.ctx.clock.instant();
                    self.ctx.logins.put(&tenant, &customer, instant);
                }
                Some(Verified {
                    tenant,
                    customer,
                    user,
                    mfa_policy,
                    active_factor,
                    // Only a run of failures needs clearing; most logins have none to clear.
                    failures_to_clear: failures.map(|_| attempt_key.clone()),
                })
            }
            _ => None,
        };
        let now = self.ctx.clock.now_utc();
        match verified {
            Some(verified) => Ok(verified),
            None => {
                if let Some(customer) = &customer_id {
                    self.ctx.logins.forget(&request.tenant, customer);
                }
                store
                    .record_failure(&request.tenant, &attempt_key, now)
                    .await?;
                Err(AuthError::InvalidClient)
            }
        }
    }

    /// What a login reads: for a machine's login, from the login cache when it holds the
    /// tenant and customer (no failures are counted against them then); else from the store in
    /// one read.
    async fn lookup(
        &self,
        request: &LoginRequest,
        customer_id: Option<&CustomerId>,
        username: Option<&Username>,
        attempt_key: &str,
    ) -> Result<LoginLookup, AuthError> {
        let machine = matches!(request.grant, LoginGrant::ClientCredentials);
        let instant = self.ctx.clock.instant();
        if machine
            && let Some(customer_id) = customer_id
            && let Some((tenant, customer)) =
                self.ctx.logins.get(&request.tenant, customer_id, instant)
        {
            return Ok(LoginLookup {
                tenant: Some(tenant),
                customer: Some(customer),
                ..LoginLookup::default()
            });
        }
        Ok(self
            .ctx
            .store
            .login_lookup(&request.tenant, customer_id, username, attempt_key)
            .await?)
    }

    /// Refuses an attempt while a run of failures backs off.
    pub(super) fn check_backoff(
        &self,
        failures: Option<(u32, OffsetDateTime)>,
    ) -> Result<(), AuthError> {
        if let Some((count, last)) = failures
            && let Some(retry_after) = login_backoff::blocked_for(
                count,
                self.ctx.settings.login_failures_before_backoff,
                last,
                self.ctx.clock.now_utc(),
            )
        {
            return Err(AuthError::RateLimited { retry_after });
        }
        Ok(())
    }
}
