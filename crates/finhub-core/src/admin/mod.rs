//! Administration: creating tenants, customers (whose secret is returned once), users, scopes,
//! allow-lists, upstream credentials (sealed at rest) and client-certificate bindings, listing
//! and revoking sessions, and ending access: disabling a tenant, customer or user, or changing a
//! user's password, ends at once every session and refresh-token family resting on it (in the
//! store, so every instance refuses them within its session cache's lifetime, and in this
//! instance's cache), and is audited with who did it and how many sessions it ended.
//! Enabling again revives nothing. The `finhub admin` CLI is a thin layer over these. Users'
//! second factors are administered in `second_factor`, tenants' TRAQS credentials in `traqs`.

mod second_factor;
mod traqs;

use std::sync::Arc;

use secrecy::SecretString;

use crate::audit::{AuditAction, AuditEvent, AuditQuery};
use crate::auth::{AdminSubject, Context};
use crate::cert::{CertificateBinding, CertificateMatcher};
use crate::error::{AuthError, StoreError};
use crate::ids::{CustomerId, TenantId, Username};
use crate::model::{
    AccountType, Customer, Principal, Session, Tenant, UpstreamTarget, User, UserRole,
};
use crate::net::AllowList;
use crate::scope::Scope;
use crate::secret::{CUSTOMER_SECRET_PREFIX, OpaqueSecret};
use crate::upstream_credentials::UpstreamCredentials;

pub use second_factor::MfaStatus;
pub use traqs::{NewTraqsCredential, TraqsCredentialStatus};

/// A customer just created, with its secret (shown once, never stored in clear).
#[derive(Debug)]
pub struct NewCustomer {
    /// The stored customer.
    pub customer: Customer,
    /// The generated secret.
    pub secret: OpaqueSecret,
}

/// Who performs an administrative action, for the audit log.
#[derive(Debug, Clone)]
pub struct Administrator {
    /// The operating-system user running `finhub admin` (or the name a caller gives).
    pub actor: String,
    /// The id the action's audit entry carries.
    pub request_id: String,
}

impl Administrator {
    /// An administrator named `actor`, with a fresh id for its audit entries.
    pub fn new(actor: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            request_id: format!("admin-{}", crate::secret::random_base64url(12)),
        }
    }
}

/// A store error about a record, naming the record as an administrator reads it ("tenant
/// 7654321", "user bob of tenant 7654321") instead of by its table.
fn naming(record: impl FnOnce() -> String) -> impl FnOnce(StoreError) -> AuthError {
    move |error| {
        AuthError::Store(match error {
            StoreError::Conflict(_) => StoreError::Conflict(record()),
            StoreError::NotFound(_) => StoreError::NotFound(record()),
            other => other,
        })
    }
}

/// Administration of tenants, customers, users, certificates, upstream credentials and sessions:
/// each operation with its checks, its audit entry and its effect on live sessions in one place.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Administration {
    ctx: Arc<Context>,
    upstream: UpstreamCredentials,
}

impl Administration {
    pub(crate) fn new(ctx: Arc<Context>, upstream: UpstreamCredentials) -> Self {
        Self { ctx, upstream }
    }

    /// The hub clock's time, which listed sessions' expiries are measured against.
    pub fn now(&self) -> time::OffsetDateTime {
        self.ctx.clock.now_utc()
    }

    /// Creates a tenant.
    pub async fn create_tenant(
        &self,
        admin: &Administrator,
        id: TenantId,
        name: &str,
        scope: Scope,
    ) -> Result<Tenant, AuthError> {
        let tenant = Tenant {
            id,
            name: name.to_owned(),
            scope,
            allow_list: AllowList::default(),
            disabled: false,
        };
        self.ctx
            .store
            .insert_tenant(&tenant)
            .await
            .map_err(naming(|| format!("tenant {}", tenant.id)))?;
        let subject = admin_subject(&tenant.id, &Principal::Tenant);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminCreateTenant, subject, None)
            .await;
        Ok(tenant)
    }

    /// Every tenant.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, AuthError> {
        Ok(self.ctx.store.list_tenants().await?)
    }

    /// A tenant's customers.
    pub async fn list_customers(&self, tenant: &TenantId) -> Result<Vec<Customer>, AuthError> {
        Ok(self.ctx.store.list_customers(tenant).await?)
    }

    /// A tenant's users.
    pub async fn list_users(&self, tenant: &TenantId) -> Result<Vec<User>, AuthError> {
        Ok(self.ctx.store.list_users(tenant).await?)
    }

    /// Replaces a tenant's scope. Live sessions read narrower at their next request: at once on
    /// this instance, within the session cache's lifetime on others.
    pub async fn set_scope(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        scope: Scope,
    ) -> Result<(), AuthError> {
        self.ctx
            .store
            .set_scope(tenant, &scope)
            .await
            .map_err(naming(|| format!("tenant {tenant}")))?;
        self.after_tenant_change(admin, tenant, AuditAction::AdminSetScope)
            .await;
        Ok(())
    }

    /// Replaces a tenant's allow-list, applied at every session's next request (at once on this
    /// instance, within the session cache's lifetime on others).
    pub async fn set_allow_list(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        allow_list: &AllowList,
    ) -> Result<(), AuthError> {
        self.ctx
            .store
            .set_allow_list(tenant, allow_list)
            .await
            .map_err(naming(|| format!("tenant {tenant}")))?;
        self.after_tenant_change(admin, tenant, AuditAction::AdminSetAllowList)
            .await;
        Ok(())
    }

    /// The tenant's upstream credential as an administrator sees it: client id and target,
    /// never the secret.
    pub async fn upstream_credential_summary(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<(String, UpstreamTarget)>, AuthError> {
        Ok(self
            .ctx
            .store
            .upstream_credential(tenant)
            .await?
            .map(|credential| (credential.client_id, credential.target)))
    }

    /// The newest audit events of every tenant, newest first.
    pub async fn recent_audit_events(&self, limit: u32) -> Result<Vec<AuditEvent>, AuthError> {
        Ok(self.ctx.store.recent_audit_events(limit).await?)
    }

    /// One tenant's audit events matching `query`, newest first, one page.
    pub async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, AuthError> {
        Ok(self.ctx.store.audit_events(query).await?)
    }

    /// Creates a customer of `tenant` with a generated 256-bit secret.
    pub async fn create_customer(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        name: &str,
        account_type: AccountType,
    ) -> Result<NewCustomer, AuthError> {
        self.existing_tenant(tenant).await?;
        let secret = OpaqueSecret::generate(CUSTOMER_SECRET_PREFIX);
        let customer = Customer {
            id: CustomerId::generate(),
            tenant_id: tenant.clone(),
            name: name.to_owned(),
            account_type,
            secret_hash: secret.hash(),
            disabled: false,
        };
        self.ctx.store.insert_customer(&customer).await?;
        let principal = Principal::Customer(customer.id.clone());
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminCreateCustomer, subject, None)
            .await;
        Ok(NewCustomer { customer, secret })
    }

    /// Creates a user of `tenant` with an Argon2id-hashed password.
    pub async fn create_user(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        username: Username,
        password: SecretString,
    ) -> Result<User, AuthError> {
        self.existing_tenant(tenant).await?;
        let password_hash = self.ctx.hasher.hash(password).await?;
        let user = User {
            tenant_id: tenant.clone(),
            username,
            password_hash,
            disabled: false,
            role: UserRole::Member,
        };
        self.ctx.store.insert_user(&user).await.map_err(naming(|| {
            format!("user {} of tenant {tenant}", user.username)
        }))?;
        let principal = Principal::User(user.username.clone());
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminCreateUser, subject, None)
            .await;
        Ok(user)
    }

    /// Sets (or replaces) the tenant's upstream FINRA credential, sealing the secret.
    pub async fn set_upstream_credential(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        client_id: &str,
        client_secret: &SecretString,
        target: UpstreamTarget,
    ) -> Result<(), AuthError> {
        self.existing_tenant(tenant).await?;
        let credential = self
            .upstream
            .seal(tenant, client_id, client_secret, target)?;
        self.ctx.store.set_upstream_credential(&credential).await?;
        let subject = admin_subject(tenant, &Principal::Tenant);
        self.ctx
            .audit
            .admin(
                admin,
                AuditAction::AdminSetUpstreamCredential,
                subject,
                None,
            )
            .await;
        Ok(())
    }

    /// The tenant's sessions that are still usable.
    pub async fn list_sessions(&self, tenant: &TenantId) -> Result<Vec<Session>, AuthError> {
        let now = self.ctx.clock.now_utc();
        Ok(self.ctx.store.list_active_sessions(tenant, now).await?)
    }

    /// Revokes every active session of a tenant (optionally only one user's); returns how many.
    pub async fn revoke_sessions(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        username: Option<&Username>,
    ) -> Result<u64, AuthError> {
        let now = self.ctx.clock.now_utc();
        let mut revoked = 0;
        for session in self.ctx.store.list_active_sessions(tenant, now).await? {
            if username.is_none_or(|name| session.username.as_ref() == Some(name)) {
                // Ending the family ends this session and every refresh token of its login.
                revoked += self.ctx.revoke_family(&session.family_id, now).await?;
            }
        }
        let principal = username.map_or(Principal::Tenant, |name| Principal::User(name.clone()));
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminRevoke, subject, Some(revoked))
            .await;
        Ok(revoked)
    }

    /// Binds certificates to a customer: from now on its logins and sessions must come over a
    /// certificate one of its bindings matches (whenever a certificate is presented; always in
    /// production).
    pub async fn bind_certificate(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        customer: &CustomerId,
        matcher: CertificateMatcher,
    ) -> Result<CertificateBinding, AuthError> {
        self.existing_tenant(tenant).await?;
        if self.ctx.store.customer(tenant, customer).await?.is_none() {
            return Err(AuthError::Store(StoreError::NotFound(format!(
                "customer {customer} of tenant {tenant}"
            ))));
        }
        let binding = CertificateBinding {
            tenant_id: tenant.clone(),
            customer_id: customer.clone(),
            matcher,
            created_at: self.ctx.clock.now_utc(),
        };
        self.ctx.store.insert_certificate_binding(&binding).await?;
        let principal = Principal::Customer(customer.clone());
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminBindCertificate, subject, None)
            .await;
        Ok(binding)
    }

    /// Removes a binding. Sessions already bound to the certificate (RFC 8705) stop working at
    /// their next request, because the binding is checked on every request.
    pub async fn unbind_certificate(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        customer: &CustomerId,
        matcher: &CertificateMatcher,
    ) -> Result<(), AuthError> {
        self.ctx
            .store
            .delete_certificate_binding(tenant, customer, matcher)
            .await?;
        let principal = Principal::Customer(customer.clone());
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminUnbindCertificate, subject, None)
            .await;
        Ok(())
    }

    /// A tenant's bindings (only one customer's, when given).
    pub async fn certificate_bindings(
        &self,
        tenant: &TenantId,
        customer: Option<&CustomerId>,
    ) -> Result<Vec<CertificateBinding>, AuthError> {
        let store = &self.ctx.store;
        Ok(match customer {
            Some(customer) => store.certificate_bindings(tenant, customer).await?,
            None => store.list_certificate_bindings(tenant).await?,
        })
    }

    /// Disables (ending every session resting on it) or enables a tenant; returns the sessions
    /// ended.
    pub async fn set_tenant_disabled(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        disabled: bool,
    ) -> Result<u64, AuthError> {
        self.ctx
            .store
            .set_tenant_disabled(tenant, disabled)
            .await
            .map_err(naming(|| format!("tenant {tenant}")))?;
        self.after_access_change(admin, tenant, &Principal::Tenant, disabled)
            .await
    }

    /// Disables (ending every session made through it) or enables a customer; returns the
    /// sessions ended.
    pub async fn set_customer_disabled(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        customer: &CustomerId,
        disabled: bool,
    ) -> Result<u64, AuthError> {
        self.ctx
            .store
            .set_customer_disabled(tenant, customer, disabled)
            .await
            .map_err(naming(|| format!("customer {customer} of tenant {tenant}")))?;
        let principal = Principal::Customer(customer.clone());
        self.after_access_change(admin, tenant, &principal, disabled)
            .await
    }

    /// Disables (ending every session of the person) or enables a user; returns the sessions
    /// ended.
    pub async fn set_user_disabled(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        username: &Username,
        disabled: bool,
    ) -> Result<u64, AuthError> {
        self.ctx
            .store
            .set_user_disabled(tenant, username, disabled)
            .await
            .map_err(naming(|| format!("user {username} of tenant {tenant}")))?;
        let principal = Principal::User(username.clone());
        self.after_access_change(admin, tenant, &principal, disabled)
            .await
    }

    /// Sets a user's role (a tenant administrator also manages the tenant's users and reads
    /// its audit trail in the portal). Their sessions go on: the portal reads the role at each
    /// request.
    pub async fn set_user_role(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        username: &Username,
        role: UserRole,
    ) -> Result<(), AuthError> {
        self.ctx
            .store
            .set_user_role(tenant, username, role)
            .await
            .map_err(naming(|| format!("user {username} of tenant {tenant}")))?;
        let principal = Principal::User(username.clone());
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminSetRole, subject, None)
            .await;
        Ok(())
    }

    /// A user of a tenant (`NotFound` when there is none).
    pub async fn user(&self, tenant: &TenantId, username: &Username) -> Result<User, AuthError> {
        self.existing_user(tenant, username).await
    }

    /// Replaces a user's password, ending every session of the person (whoever knew the old
    /// password keeps nothing); returns the sessions ended.
    pub async fn set_user_password(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        username: &Username,
        password: SecretString,
    ) -> Result<u64, AuthError> {
        let password_hash = self.ctx.hasher.hash(password).await?;
        self.ctx
            .store
            .set_password_hash(tenant, username, &password_hash)
            .await
            .map_err(naming(|| format!("user {username} of tenant {tenant}")))?;
        let principal = Principal::User(username.clone());
        let ended = self.ctx.end_access(tenant, &principal).await?;
        let subject = admin_subject(tenant, &principal);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminSetPassword, subject, Some(ended))
            .await;
        Ok(ended)
    }

    /// After a tenant's settings changed: its sessions are read again at their next request
    /// (at once here), and the change is audited.
    async fn after_tenant_change(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        action: AuditAction,
    ) {
        self.ctx.forget_cached_sessions(tenant);
        let subject = admin_subject(tenant, &Principal::Tenant);
        self.ctx.audit.admin(admin, action, subject, None).await;
    }

    /// After a principal was disabled (its sessions end) or enabled (nothing is revived): the
    /// audit entry; returns the sessions ended.
    async fn after_access_change(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        principal: &Principal,
        disabled: bool,
    ) -> Result<u64, AuthError> {
        let subject = admin_subject(tenant, principal);
        if !disabled {
            self.ctx
                .audit
                .admin(admin, AuditAction::AdminEnable, subject, None)
                .await;
            return Ok(0);
        }
        let ended = self.ctx.end_access(tenant, principal).await?;
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminDisable, subject, Some(ended))
            .await;
        Ok(ended)
    }

    async fn existing_user(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<User, AuthError> {
        self.ctx.store.user(tenant, username).await?.ok_or_else(|| {
            AuthError::Store(StoreError::NotFound(format!(
                "user {username} of tenant {tenant}"
            )))
        })
    }

    async fn existing_tenant(&self, tenant: &TenantId) -> Result<Tenant, AuthError> {
        self.ctx
            .store
            .tenant(tenant)
            .await?
            .ok_or_else(|| AuthError::Store(StoreError::NotFound(format!("tenant {tenant}"))))
    }
}

/// The audit subject of a principal of `tenant`.
fn admin_subject<'a>(tenant: &'a TenantId, principal: &'a Principal) -> AdminSubject<'a> {
    let (customer, username) = match principal {
        Principal::Tenant => (None, None),
        Principal::Customer(customer) => (Some(customer.as_str()), None),
        Principal::User(username) => (None, Some(username.as_str())),
    };
    AdminSubject {
        tenant: tenant.as_str(),
        customer,
        username,
    }
}
