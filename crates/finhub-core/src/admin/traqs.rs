//! Administering tenants' TRAQS credentials: one per tenant and environment, the refresh token a
//! person minted (sealed at rest, bound to tenant and environment, never shown again) with its
//! username and, when known, its end.

use secrecy::SecretString;
use time::OffsetDateTime;

use crate::audit::AuditAction;
use crate::error::{AuthError, RequestProblem};
use crate::ids::TenantId;
use crate::model::{Principal, TraqsEnvironment};

use super::{Administration, Administrator, admin_subject};

/// A TRAQS credential to set: a person's refresh token and what belongs with it.
#[derive(Debug)]
pub struct NewTraqsCredential {
    /// The environment.
    pub environment: TraqsEnvironment,
    /// The TRAQS username (an e-mail address) the token belongs to.
    pub username: String,
    /// The refresh token.
    pub refresh_token: SecretString,
    /// When it ends, when known (the hub warns from 14 days before).
    pub expires_at: Option<OffsetDateTime>,
    /// The TRAQS host's base URL, when not the environment's own (an emulator, a proxy).
    pub base_url: Option<String>,
}

/// A TRAQS credential as an administrator sees it: never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraqsCredentialStatus {
    /// The environment.
    pub environment: TraqsEnvironment,
    /// The TRAQS username.
    pub username: String,
    /// When the refresh token ends, when known.
    pub expires_at: Option<OffsetDateTime>,
    /// The TRAQS host, when not the environment's own.
    pub base_url: Option<String>,
    /// When it was set.
    pub updated_at: OffsetDateTime,
}

impl Administration {
    /// Sets (or replaces) the tenant's TRAQS credential for `environment`.
    pub async fn set_traqs_credential(
        &self,
        admin: &Administrator,
        tenant: &TenantId,
        new: &NewTraqsCredential,
    ) -> Result<(), AuthError> {
        if new.username.trim().is_empty() {
            return Err(AuthError::InvalidRequest(
                RequestProblem::TraqsUsernameMissing,
            ));
        }
        if let Some(url) = &new.base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(AuthError::InvalidRequest(RequestProblem::TraqsBaseUrl));
        }
        self.existing_tenant(tenant).await?;
        let now = self.ctx.clock.now_utc();
        let credential = self.upstream.seal_traqs(tenant, new, now)?;
        self.ctx.store.set_traqs_credential(&credential).await?;
        let subject = admin_subject(tenant, &Principal::Tenant);
        self.ctx
            .audit
            .admin(admin, AuditAction::AdminSetTraqsCredential, subject, None)
            .await;
        Ok(())
    }

    /// The tenant's TRAQS credentials, production first.
    pub async fn traqs_status(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<TraqsCredentialStatus>, AuthError> {
        self.existing_tenant(tenant).await?;
        Ok(self
            .ctx
            .store
            .traqs_credentials(tenant)
            .await?
            .into_iter()
            .map(|credential| TraqsCredentialStatus {
                environment: credential.environment,
                username: credential.username,
                expires_at: credential.expires_at,
                base_url: credential.base_url,
                updated_at: credential.updated_at,
            })
            .collect())
    }
}
