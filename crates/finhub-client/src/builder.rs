//! [`HubClientBuilder`]: where the hub is, the tenant and the customer (API client) an app logs
//! in through, how the client presents itself, and optionally a client certificate, a CA to
//! trust, a session file and the clock.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use finhub_clock::{SharedClock, SystemClock};
use secrecy::SecretString;
use url::Url;

use crate::client::{HubClient, Inner};
use crate::error::HubError;

/// The customer's kind, as the hub's `accountType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountType {
    /// Business to business (the only kind that may use client credentials).
    #[default]
    B2b,
    /// Business to consumer.
    B2c,
}

impl AccountType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::B2b => "b2b",
            Self::B2c => "b2c",
        }
    }
}

/// Builds a [`HubClient`]; see [`HubClient::builder`].
#[derive(Debug)]
pub struct HubClientBuilder {
    hub: String,
    tenant: Option<String>,
    customer_id: Option<String>,
    customer_secret: Option<SecretString>,
    account_type: AccountType,
    user_agent: String,
    platform: String,
    forwarded_for: String,
    timeout: Duration,
    identity: Option<Identity>,
    roots: Vec<Vec<u8>>,
    session_file: Option<PathBuf>,
    clock: Option<SharedClock>,
}

/// A client certificate and key, PEM. (No `Debug` of the key.)
#[derive(Clone)]
pub(crate) struct Identity(pub(crate) Vec<u8>);

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity(..)")
    }
}

impl HubClientBuilder {
    pub(crate) fn new(hub: impl Into<String>) -> Self {
        Self {
            hub: hub.into(),
            tenant: None,
            customer_id: None,
            customer_secret: None,
            account_type: AccountType::B2b,
            user_agent: concat!("finhub-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            platform: platform().to_owned(),
            forwarded_for: "unknown".to_owned(),
            timeout: Duration::from_secs(60),
            identity: None,
            roots: Vec::new(),
            session_file: None,
            clock: None,
        }
    }

    /// The tenant (`X-Tenant-ID`: 1–18 digits).
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// The customer (API client) to log in through, and its secret.
    pub fn customer(mut self, id: impl Into<String>, secret: impl Into<SecretString>) -> Self {
        self.customer_id = Some(id.into());
        self.customer_secret = Some(secret.into());
        self
    }

    /// The customer's kind (default `b2b`).
    pub fn account_type(mut self, account_type: AccountType) -> Self {
        self.account_type = account_type;
        self
    }

    /// The app's `User-Agent` (default `finhub-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The end user's platform for `sec-ch-ua-platform` (default: this machine's).
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = platform.into();
        self
    }

    /// The end user's address for `X-Forwarded-For`, when the app logs in on a person's behalf
    /// (default `unknown`).
    pub fn forwarded_for(mut self, address: impl Into<String>) -> Self {
        self.forwarded_for = address.into();
        self
    }

    /// The timeout of each call to the hub (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The client certificate a production hub requires: PEM, the chain (leaf first) and its
    /// private key, in one buffer.
    pub fn client_identity_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.identity = Some(Identity(pem.into()));
        self
    }

    /// Trusts this CA certificate (PEM or DER) beside the platform's roots: a hub whose
    /// certificate chains to a CA of its own.
    pub fn ca_certificate(mut self, certificate: impl Into<Vec<u8>>) -> Self {
        self.roots.push(certificate.into());
        self
    }

    /// Keeps the session in this file (written with mode 0600; it holds the session and refresh
    /// tokens, never a password or the customer secret), and starts from the session it holds
    /// when it is this hub's, tenant's and customer's.
    pub fn session_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.session_file = Some(path.into());
        self
    }

    /// The clock expiry is decided on (default: the system clock). Tests pass the hub's.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The client, or [`HubError::Config`] for an unusable setting.
    pub fn build(self) -> Result<HubClient, HubError> {
        let hub = Url::parse(self.hub.trim_end_matches('/'))
            .map_err(|e| HubError::Config(format!("invalid hub URL {:?}: {e}", self.hub)))?;
        if !matches!(hub.scheme(), "http" | "https") || hub.cannot_be_a_base() {
            return Err(HubError::Config(format!(
                "invalid hub URL {:?}: expected http:// or https://",
                self.hub
            )));
        }
        let tenant = self
            .tenant
            .ok_or_else(|| HubError::Config("the tenant is required".to_owned()))?;
        if tenant.is_empty() || tenant.len() > 18 || !tenant.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HubError::Config(format!(
                "the tenant must be 1 to 18 digits, not {tenant:?}"
            )));
        }
        let (Some(customer_id), Some(customer_secret)) = (self.customer_id, self.customer_secret)
        else {
            return Err(HubError::Config(
                "the customer id and secret are required".to_owned(),
            ));
        };
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .user_agent(self.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none());
        for root in &self.roots {
            let certificate = reqwest::Certificate::from_pem(root)
                .or_else(|_| reqwest::Certificate::from_der(root))
                .map_err(|_| HubError::Config("the CA certificate is not PEM or DER".to_owned()))?;
            http = http.add_root_certificate(certificate);
        }
        if let Some(identity) = &self.identity {
            let identity = reqwest::Identity::from_pem(&identity.0).map_err(|_| {
                HubError::Config(
                    "the client certificate is not a PEM certificate chain with its private key"
                        .to_owned(),
                )
            })?;
            http = http.identity(identity);
        }
        let http = http
            .build()
            .map_err(|e| HubError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(HubClient::from_inner(Arc::new(Inner::new(
            crate::client::Settings {
                hub,
                tenant,
                customer_id,
                customer_secret,
                account_type: self.account_type,
                user_agent: self.user_agent,
                platform: self.platform,
                forwarded_for: self.forwarded_for,
                identity: self.identity,
                roots: self.roots,
                session_file: self.session_file,
            },
            http,
            self.clock.unwrap_or_else(SystemClock::shared),
        ))))
    }
}

/// This machine's platform as `sec-ch-ua-platform` names it.
fn platform() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        "windows" => "Windows",
        "android" => "Android",
        "ios" => "iOS",
        _ => "Unknown",
    }
}
