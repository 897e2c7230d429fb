//! Tenants' FINRA credentials and TRAQS refresh tokens: sealed with the data key at rest (bound
//! to the tenant, and for TRAQS to the environment), opened only for the upstream clients, and
//! FINRA's refusals of them audited.

use std::sync::Arc;

use finhub_clock::SharedClock;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::admin::NewTraqsCredential;
use crate::audit::{AuditAction, AuditOutcome};
use crate::auth::{AuditTrail, RequestContext, Subject};
use crate::crypto::DataKey;
use crate::error::AuthError;
use crate::ids::{TenantId, Username};
use crate::model::{
    Session, StoredUpstreamToken, TraqsCredential, TraqsEnvironment, UpstreamCredential,
    UpstreamTarget, UpstreamTokenKey,
};
use crate::store::{Store, UpstreamTokenLock};

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
    /// The TRAQS host, when not the environment's own.
    pub base_url: Option<String>,
}

/// An upstream token another instance stored, opened.
#[derive(Debug)]
pub struct OpenedUpstreamToken {
    /// The token.
    pub secret: SecretString,
    /// When it ends.
    pub expires_at: OffsetDateTime,
    /// Its whole lifetime.
    pub lifetime: time::Duration,
}

/// The lock the instances sharing a database mint an upstream token under, held.
pub struct UpstreamTokenGuard {
    lock: Box<dyn UpstreamTokenLock>,
    key: UpstreamTokenKey,
    data_key: Arc<DataKey>,
}

impl std::fmt::Debug for UpstreamTokenGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamTokenGuard")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl UpstreamTokenGuard {
    /// The token stored for the key, read under the lock.
    pub async fn token(&mut self) -> Result<Option<OpenedUpstreamToken>, AuthError> {
        let stored = self.lock.token().await?;
        stored
            .map(|stored| open_token(&self.data_key, &self.key, &stored))
            .transpose()
    }

    /// Stores a newly minted token (sealed) and releases the lock.
    pub async fn store(
        self,
        secret: &SecretString,
        expires_at: OffsetDateTime,
        lifetime: time::Duration,
    ) -> Result<(), AuthError> {
        let sealed_token = self.data_key.seal(
            secret.expose_secret().as_bytes(),
            &token_sealing_context(&self.key),
        )?;
        self.lock
            .store(&StoredUpstreamToken {
                sealed_token,
                expires_at,
                lifetime,
            })
            .await?;
        Ok(())
    }

    /// Releases the lock, storing nothing.
    pub async fn release(self) {
        self.lock.release().await;
    }
}

/// A TRAQS credential close to its end, as the daily warning names it (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndingTraqsCredential {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The environment.
    pub environment: TraqsEnvironment,
    /// The TRAQS username.
    pub username: String,
    /// When the refresh token ends.
    pub expires_at: OffsetDateTime,
}

/// Tenants' upstream credentials: all the proxy needs of the domain besides the session check.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct UpstreamCredentials {
    store: Arc<dyn Store>,
    data_key: Arc<DataKey>,
    audit: AuditTrail,
    clock: SharedClock,
}

impl UpstreamCredentials {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        data_key: Arc<DataKey>,
        audit: AuditTrail,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            data_key,
            audit,
            clock,
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
        new: &NewTraqsCredential,
        now: OffsetDateTime,
    ) -> Result<TraqsCredential, AuthError> {
        let sealed_token = self.data_key.seal(
            new.refresh_token.expose_secret().as_bytes(),
            &traqs_sealing_context(tenant, new.environment),
        )?;
        Ok(TraqsCredential {
            tenant_id: tenant.clone(),
            environment: new.environment,
            username: new.username.clone(),
            sealed_token,
            expires_at: new.expires_at,
            base_url: new.base_url.clone(),
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
            base_url: stored.base_url,
        }))
    }

    /// Whether the store shares upstream tokens between the instances over it.
    pub fn shares_upstream_tokens(&self) -> bool {
        self.store.shares_upstream_tokens()
    }

    /// The upstream token another instance stored for `key`, opened.
    pub async fn shared_token(
        &self,
        key: &UpstreamTokenKey,
    ) -> Result<Option<OpenedUpstreamToken>, AuthError> {
        self.store
            .upstream_token(key)
            .await?
            .map(|stored| open_token(&self.data_key, key, &stored))
            .transpose()
    }

    /// Waits (at most `hold_for`) for the lock the instances mint `key`'s token under.
    pub async fn lock_shared_token(
        &self,
        key: &UpstreamTokenKey,
        hold_for: std::time::Duration,
    ) -> Result<UpstreamTokenGuard, AuthError> {
        let lock = self.store.lock_upstream_token(key, hold_for).await?;
        Ok(UpstreamTokenGuard {
            lock,
            key: key.clone(),
            data_key: Arc::clone(&self.data_key),
        })
    }

    /// Every tenant's TRAQS credentials that end within `within` of now (or have ended),
    /// soonest first.
    pub async fn traqs_ending_within(
        &self,
        within: time::Duration,
    ) -> Result<Vec<EndingTraqsCredential>, AuthError> {
        let before = self.clock.now_utc() + within;
        Ok(self
            .store
            .traqs_credentials_ending_before(before)
            .await?
            .into_iter()
            .filter_map(|credential| {
                Some(EndingTraqsCredential {
                    expires_at: credential.expires_at?,
                    tenant_id: credential.tenant_id,
                    environment: credential.environment,
                    username: credential.username,
                })
            })
            .collect())
    }

    /// Audits a TRAQS download asked for with `session`: allowed, or refused with `code`.
    pub async fn audit_traqs_download(
        &self,
        ctx: &RequestContext,
        session: &Session,
        refused: Option<&str>,
    ) {
        let outcome = refused.map_or(AuditOutcome::Success, |code| {
            AuditOutcome::Failure(code.to_owned())
        });
        self.audit
            .decision(
                ctx,
                AuditAction::TraqsDownload,
                outcome,
                Subject {
                    tenant: Some(session.tenant_id.as_str()),
                    customer: Some(session.customer_id.as_str()),
                    username: session.username.as_ref().map(Username::as_str),
                },
            )
            .await;
    }

    /// Audits TRAQS refusing the tenant's refresh token as expired: an administrator must
    /// renew it.
    pub async fn audit_traqs_expired(
        &self,
        ctx: &RequestContext,
        tenant: &TenantId,
        environment: TraqsEnvironment,
    ) {
        self.audit
            .decision(
                ctx,
                AuditAction::TraqsRefreshTokenExpired,
                AuditOutcome::Failure(format!("{}_refresh_token_expired", environment.as_str())),
                Subject {
                    tenant: Some(tenant.as_str()),
                    ..Subject::default()
                },
            )
            .await;
    }

    /// Audits FINRA refusing the tenant's upstream credential, with FINRA's reason (which the
    /// caller never sees).
    pub async fn audit_rejection(&self, ctx: &RequestContext, tenant: &str, reason: &str) {
        self.audit.upstream_rejection(ctx, tenant, reason).await;
    }
}

/// A stored upstream token opened; one sealed for another key does not open.
fn open_token(
    data_key: &DataKey,
    key: &UpstreamTokenKey,
    stored: &StoredUpstreamToken,
) -> Result<OpenedUpstreamToken, AuthError> {
    let token = data_key.open(&stored.sealed_token, &token_sealing_context(key))?;
    let token = String::from_utf8(token)
        .map_err(|_| AuthError::Internal("an upstream token is not UTF-8".into()))?;
    Ok(OpenedUpstreamToken {
        secret: SecretString::from(token),
        expires_at: stored.expires_at,
        lifetime: stored.lifetime,
    })
}

/// The associated data an upstream token is sealed with: tenant, upstream and credential.
fn token_sealing_context(key: &UpstreamTokenKey) -> String {
    format!(
        "upstream-token:{}|{}|{}",
        key.tenant_id,
        key.kind,
        key.credential.as_str()
    )
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
