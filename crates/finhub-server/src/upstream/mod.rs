//! Upstream FINRA access: one `FinraClient` (with its own token manager) per tenant credential,
//! all sharing one pacer, because FINRA caps requests per address and every tenant shares the
//! hub's. Upstream credentials and tokens never leave this module except as `Authorization`
//! headers on requests to FINRA.

mod client_cache;
mod result_links;
mod token_share;
mod traqs;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use finhub_clock::SharedClock;
use finhub_core::error::AuthError;
use finhub_core::ids::TenantId;
use finhub_core::model::UpstreamTarget;
use finhub_core::model::UpstreamTokenKey;
use finhub_core::secret::SecretHash;
use finhub_core::upstream_credentials::UpstreamCredentials;
use finra_client::{
    Auth, Credentials, Environment, FinraClient, OnMint, Pacer, RetryPolicy, TokenManager,
};
use secrecy::ExposeSecret;
use token_share::TokenShare;

use client_cache::ClientCache;
pub use result_links::{ResultLinks, SealedLink};
pub use traqs::{
    EXPIRY_WARNING, TraqsUnavailable, TraqsUpstreams, client_environment,
    warn_of_ending_traqs_tokens,
};

/// How much longer than one upstream call a mint may hold the instances' shared lock.
pub(super) const MINT_LOCK_MARGIN: Duration = Duration::from_secs(5);

/// Why no upstream client could be had.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The tenant has no upstream credential configured.
    #[error("tenant {0} has no upstream FINRA credential")]
    NoCredential(TenantId),
    /// The stored credential could not be read or used.
    #[error("the upstream credential cannot be used: {0}")]
    Unusable(String),
    /// Reading it failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// Settings of upstream calls.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamSettings {
    /// Time limit of one upstream call (then 504).
    pub timeout: Duration,
    /// Upstream requests per second for the whole hub (FINRA: 20); `0` = unlimited.
    pub requests_per_second: u32,
    /// How long a request may wait for an upstream slot before the hub answers 429.
    pub max_queue_wait: Duration,
}

/// Per-tenant clients over one shared pacer.
pub struct Upstreams {
    credentials: UpstreamCredentials,
    clock: SharedClock,
    pacer: Pacer,
    /// Told of every FINRA token this instance mints.
    on_mint: OnMint,
    settings: UpstreamSettings,
    clients: ClientCache<TenantId, FinraClient>,
    links: ResultLinks,
    /// Fetches result links (pre-signed, so no token and no pacing: they are not Query API calls).
    results_http: reqwest::Client,
}

impl fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstreams")
            .field("settings", &self.settings)
            .field("pacer", &self.pacer)
            .finish_non_exhaustive()
    }
}

impl Upstreams {
    /// Upstream access for the tenants whose credentials `credentials` opens.
    pub fn new(
        credentials: UpstreamCredentials,
        clock: SharedClock,
        settings: UpstreamSettings,
        pacer: Pacer,
        links: ResultLinks,
        on_mint: OnMint,
    ) -> Self {
        Self {
            credentials,
            clock,
            pacer,
            on_mint,
            settings,
            clients: ClientCache::default(),
            links,
            results_http: reqwest::Client::builder()
                .timeout(settings.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &UpstreamSettings {
        &self.settings
    }

    /// The pacer all upstream calls share.
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// Audits FINRA refusing the tenant's stored credential, with FINRA's reason (which the
    /// caller never sees).
    pub async fn audit_rejection(
        &self,
        ctx: &finhub_core::auth::RequestContext,
        tenant: &str,
        reason: &str,
    ) {
        self.credentials.audit_rejection(ctx, tenant, reason).await;
    }

    /// Signs and opens the hub's result links.
    pub fn links(&self) -> &ResultLinks {
        &self.links
    }

    /// The tenant's client, built (or rebuilt after the credential changed) on demand. Its token
    /// manager is kept, so every request of the tenant shares one upstream token.
    pub async fn client_for(&self, tenant: &TenantId) -> Result<FinraClient, UpstreamError> {
        let now = self.clock.instant();
        if let Some(client) = self.clients.fresh(tenant, now) {
            return Ok(client);
        }
        let credential = self
            .credentials
            .open(tenant)
            .await?
            .ok_or_else(|| UpstreamError::NoCredential(tenant.clone()))?;
        let fingerprint = format!(
            "{}\u{0}{:?}\u{0}{}",
            credential.client_id,
            credential.target,
            SecretHash::of(credential.client_secret.expose_secret()).as_str()
        );
        if let Some(client) = self.clients.matching(tenant, &fingerprint, now) {
            return Ok(client);
        }
        let (api_base, token_url) = match &credential.target {
            UpstreamTarget::FinraProduction => (
                Environment::Production.api_base().to_owned(),
                Environment::Production.token_url().to_owned(),
            ),
            UpstreamTarget::FinraQa => (
                Environment::Qa.api_base().to_owned(),
                Environment::Qa.token_url().to_owned(),
            ),
            UpstreamTarget::Custom {
                api_base,
                token_url,
            } => (api_base.clone(), token_url.clone()),
        };
        let credentials = Credentials::new(credential.client_id, credential.client_secret);
        let builder = FinraClient::builder().api_base(api_base);
        // Over a database several instances share, the tenant's token is shared too: one mint
        // for all of them.
        let builder = if self.credentials.shares_upstream_tokens() {
            let share = TokenShare {
                credentials: self.credentials.clone(),
                key: UpstreamTokenKey {
                    tenant_id: tenant.clone(),
                    kind: "finra",
                    credential: SecretHash::of(&format!("{fingerprint}\u{0}{token_url}")),
                },
                hold_for: self.settings.timeout + MINT_LOCK_MARGIN,
            };
            let manager = TokenManager::builder(credentials)
                .token_url(token_url)
                .clock(self.clock.clone())
                .retry(RetryPolicy::none())
                .shared(Arc::new(share))
                .on_mint(self.on_mint.clone())
                .build()
                .map_err(|e| UpstreamError::Unusable(e.to_string()))?;
            builder.token_manager(manager)
        } else {
            builder
                .token_url(token_url)
                .auth(Auth::ClientCredentials(credentials))
                .on_mint(self.on_mint.clone())
        };
        let client = builder
            .pacer(self.pacer.clone())
            .clock(self.clock.clone())
            .timeout(self.settings.timeout)
            .retry(RetryPolicy::none())
            .user_agent(concat!("finhub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| UpstreamError::Unusable(e.to_string()))?;
        Ok(self.clients.keep(tenant.clone(), fingerprint, client, now))
    }

    /// Fetches FINRA's pre-signed result link (no `Authorization`: the link is the credential).
    pub async fn fetch_result(
        &self,
        url: reqwest::Url,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.results_http.get(url).send().await
    }

    /// Mints the tenant's upstream token in the background (after a login), so the first data
    /// call does not wait for it. Failures are logged, never surfaced: login must not fail
    /// because FINRA is down. A tenant found without an upstream credential is not looked up
    /// again for [`client_cache::CREDENTIAL_RECHECK`]: its logins cost no read for nothing
    /// (a credential set meanwhile is used by the first data call, which never skips the read).
    pub fn warm(self: &std::sync::Arc<Self>, tenant: TenantId) {
        if self.clients.recently_absent(&tenant, self.clock.instant()) {
            return;
        }
        let upstreams = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            let client = match upstreams.client_for(&tenant).await {
                Ok(client) => client,
                Err(UpstreamError::NoCredential(_)) => {
                    let now = upstreams.clock.instant();
                    upstreams.clients.note_absent(tenant, now);
                    return;
                }
                Err(error) => {
                    tracing::warn!(tenant.id = %tenant, %error, "upstream credential unusable");
                    return;
                }
            };
            if let Some(manager) = client.token_manager()
                && let Err(error) = manager.token().await
            {
                tracing::warn!(tenant.id = %tenant, %error, "warming the upstream token failed");
            }
        });
    }
}
