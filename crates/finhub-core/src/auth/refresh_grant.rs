//! The `refresh_token` grant: the customer's credentials plus a refresh token give a new session
//! and a rotated refresh token. A token used again within the grace window gets the same new pair
//! (a client's retry); used again after it, its whole family is revoked (reuse detection).

use secrecy::{ExposeSecret, SecretString};

use crate::error::AuthError;
use crate::secret::SecretHash;

use super::issue::SessionSpec;
use super::login::{Client, Logins};
use super::{IssuedTokens, LoginRequest, RequestContext};

impl Logins {
    pub(super) async fn exchange_refresh_token(
        &self,
        ctx: &RequestContext,
        request: &LoginRequest,
        refresh_token: SecretString,
    ) -> Result<IssuedTokens, AuthError> {
        let verified = self
            .verify_credentials(ctx, request, Client::Registered)
            .await?;
        self.clear_failures(&request.tenant, &verified).await?;
        let store = &self.ctx.store;
        let hash = SecretHash::of(refresh_token.expose_secret());
        let now = self.ctx.clock.now_utc();
        let record = store
            .refresh_token(&hash)
            .await?
            .filter(|r| r.tenant_id == verified.tenant.id && r.customer_id == verified.customer.id)
            .ok_or(AuthError::InvalidGrant)?;
        if record.revoked_at.is_some() || record.expires_at <= now {
            return Err(AuthError::InvalidGrant);
        }
        let user = match &record.username {
            Some(name) => {
                let user = store.user(&record.tenant_id, name).await?;
                Some(
                    user.filter(|u| !u.disabled)
                        .ok_or(AuthError::InvalidGrant)?,
                )
            }
            None => None,
        };

        if record.used_at.is_none() {
            let spec = SessionSpec {
                tenant: &verified.tenant,
                customer: &verified.customer,
                username: user.as_ref().map(|u| &u.username),
                family: record.family_id.clone(),
                family_expires_at: record.expires_at,
                confirmation: self.ctx.confirmation_for(ctx),
                origin: ctx.origin(),
                // The family keeps how its login was proved, and when.
                authentication: record.authentication.clone(),
            };
            let (tokens, session) = self.issue_session(spec).await?;
            let sealed = self.seal_successor(&hash, &tokens, &session)?;
            if store.consume_refresh_token(&hash, now, &sealed).await? {
                self.ctx
                    .revoke_session(&record.session_key_hash, now)
                    .await?;
                return Ok(tokens);
            }
            // Another exchange of the same token won the race: drop ours, answer as a replay.
            self.ctx.revoke_session(&session.key_hash, now).await?;
        }
        self.replay(&hash).await
    }

    /// A used token presented again: the same pair within the grace window, else revoke the family.
    async fn replay(&self, hash: &SecretHash) -> Result<IssuedTokens, AuthError> {
        let store = &self.ctx.store;
        let now = self.ctx.clock.now_utc();
        let record = store
            .refresh_token(hash)
            .await?
            .ok_or(AuthError::InvalidGrant)?;
        let within_grace = record
            .used_at
            .is_some_and(|used| now - used <= self.ctx.settings.refresh_grace);
        match (
            &record.successor,
            within_grace && record.revoked_at.is_none(),
        ) {
            (Some(sealed), true) => {
                let successor = self.open_successor(hash, sealed)?;
                let session_hash = SecretHash::from_stored(successor.session_key_hash);
                let session = store
                    .session(&session_hash)
                    .await?
                    .filter(|s| s.revoked_at.is_none())
                    .ok_or(AuthError::InvalidGrant)?;
                Ok(IssuedTokens {
                    expires_in: (session.access_expires_at - now).whole_seconds().max(0),
                    scope: session.scope,
                    customer_id: session.customer_id.to_string(),
                    tenant_id: session.tenant_id.to_string(),
                    user_session_token: SecretString::from(successor.user_session_token),
                    refresh_token: SecretString::from(successor.refresh_token),
                })
            }
            _ => {
                let revoked = self.ctx.revoke_family(&record.family_id, now).await?;
                tracing::warn!(
                    tenant.id = %record.tenant_id,
                    sessions_revoked = revoked,
                    "refresh token reused after its grace window: family revoked"
                );
                Err(AuthError::InvalidGrant)
            }
        }
    }
}
