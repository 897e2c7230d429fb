//! The context the domain's services share: the store, the clock, the keys, the settings, the
//! audit trail and this instance's session and login caches.

use std::sync::Arc;

use finhub_clock::SharedClock;

use crate::crypto::DataKey;
use crate::error::AuthError;
use crate::ids::TenantId;
use crate::mfa::MfaPolicy;
use crate::password::PasswordHasher;
use crate::session_token::SessionTokens;
use crate::store::Store;

use super::AuthSettings;
use super::audit_trail::AuditTrail;
use super::login_cache::LoginCache;
use super::session_cache::SessionCache;

/// What every service of one hub instance reads and writes through.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: SharedClock,
    pub(crate) hasher: PasswordHasher,
    pub(crate) tokens: SessionTokens,
    pub(crate) data_key: Arc<DataKey>,
    pub(crate) settings: AuthSettings,
    pub(crate) audit: AuditTrail,
    pub(crate) sessions: SessionCache,
    pub(crate) logins: LoginCache,
}

impl Context {
    /// The tenant's second-factor policy in force: as set, else the profile's default.
    pub(crate) async fn mfa_policy(&self, tenant: &TenantId) -> Result<MfaPolicy, AuthError> {
        Ok(self.policy_in_force(self.store.mfa_policy(tenant).await?))
    }

    /// The policy in force for a tenant whose policy as set is `stored`.
    pub(crate) fn policy_in_force(&self, stored: Option<MfaPolicy>) -> MfaPolicy {
        stored.unwrap_or_else(|| MfaPolicy::default_for(self.settings.profile))
    }
}
