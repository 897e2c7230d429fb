//! [`FinraClientBuilder`]: the few settings a [`FinraClient`] has (where FINRA is, how to
//! authenticate, timeout, retries, user agent, clock, and the shareable pacer and token
//! manager), with FINRA production as the default and presets for FINRA's QA environment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finhub_clock::{SharedClock, SystemClock};
use reqwest::Url;

use crate::client::{Authenticator, ClientInner, FinraClient};
use crate::credentials::Auth;
use crate::error::FinraError;
use crate::on_mint::OnMint;
use crate::pacer::Pacer;
use crate::paging::PagingConfig;
use crate::raw::RawTransport;
use crate::retry::RetryPolicy;
use crate::token::TokenManager;

/// The `User-Agent` sent unless another is set.
pub(crate) const DEFAULT_USER_AGENT: &str = concat!("finra-client/", env!("CARGO_PKG_VERSION"));
/// The request timeout unless another is set.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// FINRA's environments (each has its own credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// `https://api.finra.org`, tokens from `ews.fip.finra.org`.
    #[default]
    Production,
    /// FINRA's QA test environment: `https://api-int.qa.finra.org`, tokens from
    /// `ews-qaint.fip.qa.finra.org`.
    Qa,
}

impl Environment {
    /// The Query API base URL.
    pub fn api_base(self) -> &'static str {
        match self {
            Self::Production => "https://api.finra.org",
            Self::Qa => "https://api-int.qa.finra.org",
        }
    }

    /// The token service URL.
    pub fn token_url(self) -> &'static str {
        match self {
            Self::Production => "https://ews.fip.finra.org/fip/rest/ews/oauth2/access_token",
            Self::Qa => "https://ews-qaint.fip.qa.finra.org/fip/rest/ews/oauth2/access_token",
        }
    }
}

/// Builds a [`FinraClient`]; see [`FinraClient::builder`].
#[derive(Debug)]
pub struct FinraClientBuilder {
    api_base: String,
    token_url: String,
    auth: Auth,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    clock: Option<SharedClock>,
    pacer: Option<Pacer>,
    token_manager: Option<TokenManager>,
    paging: PagingConfig,
    /// DER certificates trusted beside the platform's roots.
    extra_roots: Vec<Vec<u8>>,
    /// A client certificate chain and its private key, PEM, presented to servers that ask.
    identity: Option<ClientIdentity>,
    on_mint: Option<OnMint>,
    compression: bool,
}

impl Default for FinraClientBuilder {
    fn default() -> Self {
        Self {
            api_base: Environment::Production.api_base().to_owned(),
            token_url: Environment::Production.token_url().to_owned(),
            auth: Auth::Anonymous,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            clock: None,
            pacer: None,
            token_manager: None,
            paging: PagingConfig::default(),
            extra_roots: Vec::new(),
            identity: None,
            on_mint: None,
            compression: true,
        }
    }
}

impl FinraClientBuilder {
    /// Runs `on_mint` after every token the client's own token manager mints (with
    /// [`Auth::ClientCredentials`]; a manager given by [`Self::token_manager`] has its own).
    pub fn on_mint(mut self, on_mint: OnMint) -> Self {
        self.on_mint = Some(on_mint);
        self
    }

    /// Both URLs of one of FINRA's environments.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.api_base = environment.api_base().to_owned();
        self.token_url = environment.token_url().to_owned();
        self
    }

    /// The Query API base URL: FINRA's, an emulator's, or a FinHub's (`…/v1/finra`).
    pub fn api_base(mut self, url: impl Into<String>) -> Self {
        self.api_base = url.into();
        self
    }

    /// The token service URL.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// How data calls authenticate (default: [`Auth::Anonymous`]).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Timeout of each HTTP request, body included (default: 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries of idempotent calls (default: [`RetryPolicy::default`]; [`RetryPolicy::none`] to
    /// surface every failure at once).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Trusts this certificate (a root CA, DER or PEM) beside the platform's trusted roots: for
    /// a TLS inspecting proxy, or a FinHub or emulator with its own CA.
    pub fn tls_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Presents this client certificate (PEM: the chain, leaf first, and its private key, in
    /// one buffer or two concatenated) to servers that ask for one — a FinHub in production
    /// requires it. Checked when the client is built.
    pub fn tls_client_identity_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.identity = Some(ClientIdentity(pem.into()));
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The shared clock (default: the system clock). Tests pass the emulator's.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The request pacer (default: a new 20 requests/s pacer for this client). Pass one pacer to
    /// every client of a process: FINRA's cap is per address.
    pub fn pacer(mut self, pacer: Pacer) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Authenticate with this (shared) token manager; it takes precedence over
    /// [`auth`](Self::auth).
    pub fn token_manager(mut self, token_manager: TokenManager) -> Self {
        self.token_manager = Some(token_manager);
        self
    }

    /// Paging limits and concurrency (default: [`PagingConfig::default`]).
    pub fn paging(mut self, paging: PagingConfig) -> Self {
        self.paging = paging;
        self
    }

    /// Whether Query API calls ask for gzip-compressed answers (on by default: FINRA's pages
    /// travel about ten times smaller). Answers are inflated as they arrive, within the same
    /// size limits as uncompressed ones. [`FinraClient::send_raw`] never asks by itself: it
    /// passes on the `Accept-Encoding` it is given, and the body as it comes.
    pub fn compression(mut self, enabled: bool) -> Self {
        self.compression = enabled;
        self
    }

    /// The client, or [`FinraError::Config`] for an unusable URL or setting.
    pub fn build(self) -> Result<FinraClient, FinraError> {
        let api_base = parse_base(&self.api_base)?;
        if self.paging.page_size == 0 || self.paging.concurrency == 0 {
            return Err(FinraError::Config(
                "paging page_size and concurrency must be at least 1".to_owned(),
            ));
        }
        let tls = TlsSettings {
            extra_roots: self.extra_roots,
            identity: self.identity,
        };
        let http = http_client(self.timeout, &self.user_agent, &tls)?;
        let raw = RawTransport::new(&api_base, self.timeout, &self.user_agent, tls)?;
        let clock = self.clock.unwrap_or_else(SystemClock::shared);
        let auth = match (self.token_manager, self.auth) {
            (Some(manager), _) => Authenticator::Managed(manager),
            (None, Auth::ClientCredentials(credentials)) => {
                let mut manager = TokenManager::builder(credentials)
                    .token_url(self.token_url)
                    .http_client(http.clone())
                    .clock(Arc::clone(&clock))
                    .retry(self.retry);
                if let Some(on_mint) = self.on_mint {
                    manager = manager.on_mint(on_mint);
                }
                Authenticator::Managed(manager.build()?)
            }
            (None, Auth::Anonymous) => Authenticator::Anonymous,
            (None, Auth::BearerToken(token)) => Authenticator::Static(token),
            (None, Auth::Source(source)) => Authenticator::Source(source),
        };
        Ok(FinraClient {
            inner: Arc::new(ClientInner {
                http,
                raw,
                api_base,
                auth,
                retry: self.retry,
                pacer: self.pacer.unwrap_or_default(),
                clock,
                paging: self.paging,
                compression: self.compression,
                metadata: Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// An HTTP client as this crate uses it: timeout, user agent, and no redirects (a redirect
/// must never carry a token somewhere else).
pub(crate) fn default_http_client(
    timeout: Duration,
    user_agent: &str,
) -> Result<reqwest::Client, FinraError> {
    http_client(timeout, user_agent, &TlsSettings::default())
}

/// A client certificate chain and its key, PEM. (No `Debug` of the key.)
#[derive(Clone)]
pub(crate) struct ClientIdentity(pub(crate) Vec<u8>);

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientIdentity(..)")
    }
}

/// What both transports trust and present.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    /// DER certificates trusted beside the platform's roots.
    pub(crate) extra_roots: Vec<Vec<u8>>,
    /// The client certificate, if any.
    pub(crate) identity: Option<ClientIdentity>,
}

/// [`default_http_client`], also trusting the extra roots (DER) and presenting the identity.
fn http_client(
    timeout: Duration,
    user_agent: &str,
    tls: &TlsSettings,
) -> Result<reqwest::Client, FinraError> {
    let mut builder = reqwest::Client::builder();
    for certificate in &tls.extra_roots {
        let certificate = if certificate.starts_with(b"-----BEGIN") {
            reqwest::Certificate::from_pem(certificate)
        } else {
            reqwest::Certificate::from_der(certificate)
        }
        .map_err(|e| FinraError::Config(format!("invalid root certificate: {e}")))?;
        builder = builder.add_root_certificate(certificate);
    }
    if let Some(identity) = &tls.identity {
        let identity = reqwest::Identity::from_pem(&identity.0).map_err(|_| {
            FinraError::Config(
                "the client certificate is not a PEM certificate chain with its private key"
                    .to_owned(),
            )
        })?;
        builder = builder.identity(identity);
    }
    builder
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| FinraError::Config(format!("cannot build the HTTP client: {e}")))
}

fn parse_base(text: &str) -> Result<Url, FinraError> {
    let url = Url::parse(text.trim_end_matches('/'))
        .map_err(|e| FinraError::Config(format!("invalid API base URL {text:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(FinraError::Config(format!(
            "invalid API base URL {text:?}: expected http:// or https://"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(FinraError::Config(format!(
            "invalid API base URL {text:?}: no query string or fragment allowed"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_have_finra_urls() {
        assert_eq!(Environment::Qa.api_base(), "https://api-int.qa.finra.org");
        assert!(
            Environment::Production
                .token_url()
                .starts_with("https://ews.fip.finra.org/")
        );
    }

    #[test]
    fn bad_urls_are_configuration_errors() {
        for bad in ["not a url", "ftp://x", "http://h/base?key=1"] {
            let error = FinraClient::builder().api_base(bad).build().expect_err(bad);
            assert!(matches!(error, FinraError::Config(_)), "{error:?}");
        }
        let ok = FinraClient::builder()
            .api_base("http://127.0.0.1:1/v1/finra/")
            .build()
            .expect("valid");
        assert_eq!(ok.api_base().as_str(), "http://127.0.0.1:1/v1/finra");
    }
}
