//! A tenant's FINRA token shared by the hub instances over one database: `finra-client`'s
//! [`SharedTokens`] over the domain's sealed store of upstream tokens and the lock the instances
//! mint under (`UpstreamCredentials::{shared_token, lock_shared_token}`).

use std::time::Duration;

use async_trait::async_trait;
use finhub_core::model::UpstreamTokenKey;
use finhub_core::upstream_credentials::{
    OpenedUpstreamToken, UpstreamCredentials, UpstreamTokenGuard,
};
use finra_client::{ShareError, SharedToken, SharedTokenLock, SharedTokens};

/// One tenant credential's share.
#[derive(Debug)]
pub(super) struct TokenShare {
    pub(super) credentials: UpstreamCredentials,
    pub(super) key: UpstreamTokenKey,
    /// The longest a mint may hold the lock (then a waiting instance gives up and mints).
    pub(super) hold_for: Duration,
}

#[async_trait]
impl SharedTokens for TokenShare {
    async fn load(&self) -> Result<Option<SharedToken>, ShareError> {
        Ok(self.credentials.shared_token(&self.key).await?.map(shared))
    }

    async fn lock(&self) -> Result<Box<dyn SharedTokenLock>, ShareError> {
        let guard = self
            .credentials
            .lock_shared_token(&self.key, self.hold_for)
            .await?;
        Ok(Box::new(Held(guard)))
    }
}

struct Held(UpstreamTokenGuard);

#[async_trait]
impl SharedTokenLock for Held {
    async fn load(&mut self) -> Result<Option<SharedToken>, ShareError> {
        Ok(self.0.token().await?.map(shared))
    }

    async fn store(self: Box<Self>, token: &SharedToken) -> Result<(), ShareError> {
        let lifetime = time::Duration::try_from(token.lifetime)?;
        self.0
            .store(&token.secret, token.expires_at, lifetime)
            .await?;
        Ok(())
    }

    async fn release(self: Box<Self>) {
        self.0.release().await;
    }
}

fn shared(token: OpenedUpstreamToken) -> SharedToken {
    SharedToken {
        secret: token.secret,
        expires_at: token.expires_at,
        lifetime: token.lifetime.try_into().unwrap_or_default(),
    }
}
