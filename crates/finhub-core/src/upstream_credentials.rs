//! Tenants' FINRA credentials: sealed with the data key at rest (bound to the tenant), opened
//! only for the upstream token manager, and FINRA's refusals of them audited.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::auth::{AuditTrail, RequestContext};
use crate::crypto::DataKey;
use crate::error::AuthError;
use crate::ids::TenantId;
use crate::model::{UpstreamCredential, UpstreamTarget};
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

    /// Audits FINRA refusing the tenant's upstream credential, with FINRA's reason (which the
    /// caller never sees).
    pub async fn audit_rejection(&self, ctx: &RequestContext, tenant: &str, reason: &str) {
        self.audit.upstream_rejection(ctx, tenant, reason).await;
    }
}

/// The associated data a tenant's secret is sealed with: a sealed secret copied to another
/// tenant's row does not open.
fn sealing_context(tenant: &TenantId) -> String {
    format!("upstream-credential:{tenant}")
}
