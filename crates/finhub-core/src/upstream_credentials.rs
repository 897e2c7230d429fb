//! Tenants' FINRA credentials and TRAQS refresh tokens: sealed with the data key at rest (bound
//! to the tenant, and for TRAQS to the environment), opened only for the upstream clients, and
//! FINRA's refusals of them audited.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::auth::{AuditTrail, RequestContext};
use crate::crypto::DataKey;
use crate::error::AuthError;
use crate::ids::TenantId;
use crate::model::{TraqsCredential, TraqsEnvironment, UpstreamCredential, UpstreamTarget};
use crate::store::Store;

/// An upstream credential with its secret opened, for the upstream token manager only.
#[derive(Debug)]
pub struct OpenedUpstreamCredential {
    /// The FINRA client id.
    pub client_id: String,
    /// The FINRA client secret.
    pub client_secret: SecretString,
    /// Where it points.
    pub target: UpstreamTarget,
}

/// A TRAQS credential with its refresh token opened, for the TRAQS client only.
#[derive(Debug)]
pub struct OpenedTraqsCredential {
    /// The TRAQS username.
    pub username: String,
    /// The refresh token.
    pub refresh_token: SecretString,
    /// When it ends, when known.
    pub expires_at: Option<OffsetDateTime>,
}

/// Tenants' upstream credentials: all the proxy needs of the domain besides the session check.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct UpstreamCredentials {
    store: Arc<dyn Store>,
    data_key: Arc<DataKey>,
    audit: AuditTrail,
}

impl UpstreamCredentials {
    pub(crate) fn new(store: Arc<dyn Store>, data_key: Arc<DataKey>, audit: AuditTrail) -> Self {
        Self {
            store,
            data_key,
            audit,
        }
    }

    /// The credential as stored, its secret sealed for `tenant`.
    pub(crate) fn seal(
        &self,
        tenant: &TenantId,
        client_id: &str,
        client_secret: &SecretString,
        target: UpstreamTarget,
    ) -> Result<UpstreamCredential, AuthError> {
        let sealed_secret = self.data_key.seal(
            client_secret.expose_secret().as_bytes(),
            &sealing_context(tenant),
        )?;
        Ok(UpstreamCredential {
            tenant_id: tenant.clone(),
            client_id: client_id.to_owned(),
            sealed_secret,
            target,
        })
    }

    /// The tenant's upstream credential with the secret opened (for the upstream token manager).
    pub async fn open(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<OpenedUpstreamCredential>, AuthError> {
        let Some(stored) = self.store.upstream_credential(tenant).await? else {
            return Ok(None);
        };
        let secret = self
            .data_key
            .open(&stored.sealed_secret, &sealing_context(tenant))?;
        let secret = String::from_utf8(secret)
            .map_err(|_| AuthError::Internal("upstream secret is not UTF-8".into()))?;
        Ok(Some(OpenedUpstreamCredential {
            client_id: stored.client_id,
            client_secret: SecretString::from(secret),
            target: stored.target,
        }))
    }

    /// The tenant's TRAQS credential for `environment`, sealed, as the store keeps it.
    pub(crate) fn seal_traqs(
        &self,
        tenant: &TenantId,
        environment: TraqsEnvironment,
        username: &str,
        refresh_token: &SecretString,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<TraqsCredential, AuthError> {
        let sealed_token = self.data_key.seal(
            refresh_token.expose_secret().as_bytes(),
            &traqs_sealing_context(tenant, environment),
        )?;
        Ok(TraqsCredential {
            tenant_id: tenant.clone(),
            environment,
            username: username.to_owned(),
            sealed_token,
            expires_at,
            updated_at: now,
        })
    }

    /// The tenant's TRAQS credential for `environment` with the refresh token opened (for the
    /// TRAQS client only).
    pub async fn open_traqs(
        &self,
        tenant: &TenantId,
        environment: TraqsEnvironment,
    ) -> Result<Option<OpenedTraqsCredential>, AuthError> {
        let Some(stored) = self.store.traqs_credential(tenant, environment).await? else {
            return Ok(None);
        };
        let token = self.data_key.open(
            &stored.sealed_token,
            &traqs_sealing_context(tenant, environment),
        )?;
        let token = String::from_utf8(token)
            .map_err(|_| AuthError::Internal("a TRAQS refresh token is not UTF-8".into()))?;
        Ok(Some(OpenedTraqsCredential {
            username: stored.username,
            refresh_token: SecretString::from(token),
            expires_at: stored.expires_at,
        }))
    }

    /// Audits FINRA refusing the tenant's upstream credential, with FINRA's reason (which the
    /// caller never sees).
    pub async fn audit_rejection(&self, ctx: &RequestContext, tenant: &str, reason: &str) {
        self.audit.upstream_rejection(ctx, tenant, reason).await;
    }
}

/// The associated data a TRAQS refresh token is sealed with: copied to another tenant's or
/// environment's row, it does not open.
fn traqs_sealing_context(tenant: &TenantId, environment: TraqsEnvironment) -> String {
    format!("traqs-credential:{tenant}|{}", environment.as_str())
}

/// The associated data a tenant's secret is sealed with: a sealed secret copied to another
/// tenant's row does not open.
fn sealing_context(tenant: &TenantId) -> String {
    format!("upstream-credential:{tenant}")
}
