//! Ending sessions: each is revoked in the store (other instances refuse it within their session
//! cache's lifetime) and dropped from this instance's cache at once.

use time::OffsetDateTime;

use crate::error::AuthError;
use crate::ids::{FamilyId, TenantId, Username};
use crate::model::Principal;
use crate::secret::SecretHash;

use super::context::Context;

impl Context {
    /// Revokes one session.
    pub(crate) async fn revoke_session(
        &self,
        key_hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        let revoked = self.store.revoke_session(key_hash, now).await;
        self.sessions.forget(key_hash);
        Ok(revoked?)
    }

    /// Revokes a refresh-token family and its sessions; returns the sessions revoked.
    pub(crate) async fn revoke_family(
        &self,
        family: &FamilyId,
        now: OffsetDateTime,
    ) -> Result<u64, AuthError> {
        let revoked = self.store.revoke_family(family, now).await;
        self.sessions.forget_family(family);
        Ok(revoked?)
    }

    /// Ends every session and refresh-token family of `tenant` resting on `principal`; returns
    /// the sessions ended.
    pub(crate) async fn end_access(
        &self,
        tenant: &TenantId,
        principal: &Principal,
    ) -> Result<u64, AuthError> {
        let now = self.clock.now_utc();
        let ended = self
            .store
            .revoke_resting_on(tenant, principal, None, now)
            .await;
        self.sessions.forget_resting_on(tenant, principal);
        self.logins.forget_tenant(tenant);
        Ok(ended?)
    }

    /// Ends the user's sessions and refresh-token families except `keep` (the caller's own);
    /// returns the sessions ended.
    pub(crate) async fn end_other_sessions(
        &self,
        tenant: &TenantId,
        username: &Username,
        keep: &FamilyId,
    ) -> Result<u64, AuthError> {
        let now = self.clock.now_utc();
        let principal = Principal::User(username.clone());
        let ended = self
            .store
            .revoke_resting_on(tenant, &principal, Some(keep), now)
            .await;
        // The kept session is read again from the store on its next request: still live.
        self.sessions.forget_resting_on(tenant, &principal);
        Ok(ended?)
    }

    /// Drops the tenant's sessions from this instance's cache (its settings changed), so their
    /// next request reads the tenant again.
    pub(crate) fn forget_cached_sessions(&self, tenant: &TenantId) {
        self.sessions.forget_resting_on(tenant, &Principal::Tenant);
        self.logins.forget_tenant(tenant);
    }
}
