//! Upstream TRAQS access: one `TraqsClient` per tenant and environment, built from the tenant's
//! sealed refresh token, so all of a tenant's downloads in an environment share one access token
//! (exchanged one at a time, and once between all instances over a database they share); and
//! the daily warning for refresh tokens close to their end.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use finhub_clock::SharedClock;
use finhub_core::error::AuthError;
use finhub_core::ids::TenantId;
use finhub_core::model::{TraqsEnvironment, UpstreamTokenKey};
use finhub_core::secret::SecretHash;
use finhub_core::upstream_credentials::UpstreamCredentials;
use finra_client::OnMint;
use finra_client::traqs::{TraqsClient, TraqsEnvironment as ClientEnvironment};
use secrecy::ExposeSecret;

use super::MINT_LOCK_MARGIN;
use super::client_cache::ClientCache;
use super::token_share::TokenShare;

/// How long before a refresh token's end the hub warns, once a day.
pub const EXPIRY_WARNING: time::Duration = time::Duration::days(14);

/// Why no TRAQS client could be had.
#[derive(Debug, thiserror::Error)]
pub enum TraqsUnavailable {
    /// The tenant has no TRAQS credential for the environment.
    #[error("the tenant has no TRAQS credential for {}", .0.as_str())]
    NoCredential(TraqsEnvironment),
    /// The stored credential cannot be used (a base URL that does not parse).
    #[error("the TRAQS credential cannot be used: {0}")]
    Unusable(String),
    /// Reading it failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// Per-tenant, per-environment TRAQS clients over one HTTP client.
pub struct TraqsUpstreams {
    credentials: UpstreamCredentials,
    clock: SharedClock,
    timeout: Duration,
    /// Told of every access token this instance exchanges.
    on_mint: OnMint,
    http: reqwest::Client,
    clients: ClientCache<(TenantId, TraqsEnvironment), TraqsClient>,
}

impl fmt::Debug for TraqsUpstreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraqsUpstreams").finish_non_exhaustive()
    }
}

impl TraqsUpstreams {
    /// TRAQS access for the tenants whose credentials `credentials` opens; `timeout` bounds
    /// connecting and each wait for TRAQS's next bytes (a long file streams as long as it keeps
    /// coming).
    pub fn new(
        credentials: UpstreamCredentials,
        clock: SharedClock,
        timeout: Duration,
        on_mint: OnMint,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("finhub/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            credentials,
            clock,
            timeout,
            on_mint,
            http,
            clients: ClientCache::default(),
        }
    }

    /// The domain's side: opening credentials, auditing downloads and expired tokens.
    pub fn credentials(&self) -> &UpstreamCredentials {
        &self.credentials
    }

    /// The tenant's client for `environment`, built (or rebuilt after the credential changed)
    /// on demand.
    pub async fn client_for(
        &self,
        tenant: &TenantId,
        environment: TraqsEnvironment,
    ) -> Result<TraqsClient, TraqsUnavailable> {
        let key = (tenant.clone(), environment);
        let now = self.clock.instant();
        if let Some(client) = self.clients.fresh(&key, now) {
            return Ok(client);
        }
        let credential = self
            .credentials
            .open_traqs(tenant, environment)
            .await?
            .ok_or(TraqsUnavailable::NoCredential(environment))?;
        let fingerprint = format!(
            "{}\u{0}{}\u{0}{}",
            credential.username,
            credential.base_url.as_deref().unwrap_or_default(),
            SecretHash::of(credential.refresh_token.expose_secret()).as_str()
        );
        if let Some(client) = self.clients.matching(&key, &fingerprint, now) {
            return Ok(client);
        }
        let mut builder = TraqsClient::builder(client_environment(environment))
            .username(credential.username)
            .refresh_token(credential.refresh_token)
            .http_client(self.http.clone())
            .clock(self.clock.clone())
            .on_mint(self.on_mint.clone());
        if let Some(base_url) = credential.base_url {
            builder = builder.base_url(base_url);
        }
        if self.credentials.shares_upstream_tokens() {
            builder = builder.shared(Arc::new(TokenShare {
                credentials: self.credentials.clone(),
                key: UpstreamTokenKey {
                    tenant_id: tenant.clone(),
                    kind: match environment {
                        TraqsEnvironment::Production => "traqs-production",
                        TraqsEnvironment::Ntf => "traqs-ntf",
                    },
                    credential: SecretHash::of(&fingerprint),
                },
                hold_for: self.timeout + MINT_LOCK_MARGIN,
            }));
        }
        let client = builder
            .build()
            .map_err(|error| TraqsUnavailable::Unusable(error.to_string()))?;
        Ok(self.clients.keep(key, fingerprint, client, now))
    }
}

/// The client library's name for an environment.
pub fn client_environment(environment: TraqsEnvironment) -> ClientEnvironment {
    match environment {
        TraqsEnvironment::Production => ClientEnvironment::Production,
        TraqsEnvironment::Ntf => ClientEnvironment::Ntf,
    }
}

/// Logs a warning for every tenant's TRAQS refresh token that ends within [`EXPIRY_WARNING`]
/// (or has ended); returns how many. Run once a day by the serving hub.
pub async fn warn_of_ending_traqs_tokens(credentials: &UpstreamCredentials) -> usize {
    let ending = match credentials.traqs_ending_within(EXPIRY_WARNING).await {
        Ok(ending) => ending,
        Err(error) => {
            tracing::error!(%error, "listing TRAQS credentials close to their end failed");
            return 0;
        }
    };
    for credential in &ending {
        tracing::warn!(
            tenant.id = %credential.tenant_id,
            environment = credential.environment.as_str(),
            username = %credential.username,
            expires_at = %credential.expires_at,
            "a tenant's TRAQS refresh token ends within 14 days (or has ended): an administrator \
             must renew it with `finhub admin traqs login` before then"
        );
    }
    ending.len()
}
