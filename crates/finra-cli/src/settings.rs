//! The global options (URLs, environment, anonymous mode, timeout) and how they turn into a
//! [`FinraClient`]: which authentication the data commands use, and telling the user on stderr
//! when that is anonymous.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use clap::ValueEnum;
use finra_client::{
    Auth, Credentials, Environment, FinraClient, FinraClientBuilder, FinraError, Pacer,
};
use reqwest::Url;

/// The variable holding a ready bearer token (e.g. a FinHub session token).
pub(crate) const BEARER_TOKEN_VAR: &str = "FINRA_BEARER_TOKEN";

/// The `User-Agent` of the tool.
pub(crate) const USER_AGENT: &str = concat!("finra-cli/", env!("CARGO_PKG_VERSION"));

/// Options every command takes.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Go through this FinHub, on the session `finra hub login` keeps (renewed by itself)
    #[arg(long, env = "FINRA_HUB", global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) hub: Option<Url>,
    /// Query API base URL [default: FINRA's, per --env]
    #[arg(long, env = "FINRA_API_BASE", global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) api_base: Option<Url>,
    /// Token service URL [default: FINRA's, per --env]
    #[arg(long, env = "FINRA_TOKEN_URL", global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) token_url: Option<Url>,
    /// Which FINRA environment (each has its own credentials)
    #[arg(long = "env", value_enum, default_value_t = EnvArg::Production, global = true)]
    pub(crate) environment: EnvArg,
    /// Send no credentials, even when some are configured (public datasets only)
    #[arg(long, global = true)]
    pub(crate) anonymous: bool,
    /// Timeout of each HTTP request, in seconds (give it before the subcommand)
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout: u64,
    /// Requests per second to the Query API: FINRA allows 20 per address; `off` only against
    /// a server without that limit (an emulator with its throttle off, a FinHub that paces)
    #[arg(long, env = "FINRA_RATE", global = true, value_name = "N|off", default_value = "20", value_parser = parse_rate)]
    pub(crate) rate: Rate,
    /// Ask for pages uncompressed (they come gzip-compressed by default, about a tenth of the
    /// bytes): for a proxy on the way that mangles compressed answers
    #[arg(long, global = true)]
    pub(crate) no_compression: bool,
    /// No progress bar and no notes on stderr (errors are still reported)
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// Log what the client does to stderr (`FINRA_LOG=<filter>` for finer control)
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
    /// Client certificate (PEM chain, leaf first; it may hold the key too), for a server that
    /// asks for one — a FinHub in production
    #[arg(
        long = "cert",
        env = "FINRA_CLIENT_CERT",
        global = true,
        value_name = "FILE"
    )]
    pub(crate) client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM), unless the certificate file holds it
    #[arg(
        long = "key",
        env = "FINRA_CLIENT_KEY",
        global = true,
        value_name = "FILE",
        requires = "client_cert"
    )]
    pub(crate) client_key: Option<PathBuf>,
    /// A CA certificate (PEM or DER) to trust beside the system's: a server with a CA of its own
    #[arg(
        long = "cacert",
        env = "FINRA_CA_CERT",
        global = true,
        value_name = "FILE"
    )]
    pub(crate) ca_cert: Option<PathBuf>,
}

/// `--env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EnvArg {
    /// api.finra.org and ews.fip.finra.org
    Production,
    /// FINRA's QA test environment
    Qa,
}

impl EnvArg {
    pub(crate) fn environment(self) -> Environment {
        match self {
            Self::Production => Environment::Production,
            Self::Qa => Environment::Qa,
        }
    }
}

fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("expected an http:// or https:// URL".to_owned());
    }
    Ok(url)
}

/// How data calls authenticate, and why.
#[derive(Debug)]
pub(crate) enum AuthChoice {
    /// `--anonymous`.
    AnonymousByChoice,
    /// No (complete) credentials: the library's explanation of what was found where.
    AnonymousNoCredentials(String),
    /// `FINRA_BEARER_TOKEN`.
    Bearer(String),
    /// Minted from these credentials.
    Credentials(Credentials),
}

/// How the running command authenticates, for error hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    Anonymous,
    Bearer,
    Minted,
    /// A FinHub session (`--hub`).
    Hub,
}

static AUTH_KIND: OnceLock<AuthKind> = OnceLock::new();

/// How the running command authenticated its data calls, once a client was built.
pub(crate) fn auth_kind() -> Option<AuthKind> {
    AUTH_KIND.get().copied()
}

impl GlobalArgs {
    /// The Query API base URL.
    pub(crate) fn api_base(&self) -> String {
        self.api_base.as_ref().map_or_else(
            || self.environment.environment().api_base().to_owned(),
            ToString::to_string,
        )
    }

    /// The token URL.
    pub(crate) fn token_url(&self) -> String {
        self.token_url.as_ref().map_or_else(
            || self.environment.environment().token_url().to_owned(),
            ToString::to_string,
        )
    }

    /// The request timeout.
    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }

    /// Whether notes go to stderr.
    pub(crate) fn notes(&self) -> bool {
        !self.quiet
    }

    /// Decides how data calls authenticate.
    pub(crate) fn auth_choice(&self) -> AuthChoice {
        if self.anonymous {
            return AuthChoice::AnonymousByChoice;
        }
        if let Some(token) = bearer_token() {
            return AuthChoice::Bearer(token);
        }
        match Credentials::from_env() {
            Ok(credentials) => AuthChoice::Credentials(credentials),
            Err(FinraError::Config(message)) => AuthChoice::AnonymousNoCredentials(message),
            Err(other) => AuthChoice::AnonymousNoCredentials(other.to_string()),
        }
    }

    /// `--cacert`'s certificate, read.
    pub(crate) fn ca_cert_bytes(&self) -> anyhow::Result<Option<Vec<u8>>> {
        self.ca_cert
            .as_deref()
            .map(|path| read_file(path, "the CA certificate (--cacert)"))
            .transpose()
    }

    /// `--cert` (and `--key`), read into one PEM buffer.
    pub(crate) fn client_identity_bytes(&self) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(path) = &self.client_cert else {
            return Ok(None);
        };
        let mut identity = read_file(path, "the client certificate (--cert)")?;
        if let Some(key) = &self.client_key {
            identity.push(b'\n');
            identity.extend(read_file(key, "the client key (--key)")?);
        }
        Ok(Some(identity))
    }

    /// A client builder with the URLs, timeout and TLS material, without authentication.
    pub(crate) fn builder(&self) -> anyhow::Result<FinraClientBuilder> {
        let mut builder = FinraClient::builder();
        if let Some(ca) = self.ca_cert_bytes()? {
            builder = builder.tls_root_certificate(ca);
        }
        if let Some(identity) = self.client_identity_bytes()? {
            builder = builder.tls_client_identity_pem(identity);
        }
        Ok(self.paced(
            builder
                .api_base(self.api_base())
                .token_url(self.token_url()),
        ))
    }

    /// The timeout, user agent, compression and pacer of every client of the tool.
    pub(crate) fn paced(&self, builder: FinraClientBuilder) -> FinraClientBuilder {
        builder
            .timeout(self.request_timeout())
            .user_agent(USER_AGENT)
            .compression(!self.no_compression)
            .pacer(match self.rate.0 {
                Some(rate) if rate == finra_client::FINRA_REQUESTS_PER_SECOND => Pacer::finra(),
                Some(rate) => Pacer::per_second(rate),
                None => Pacer::unlimited(),
            })
    }

    /// The client data commands use: through the hub on the kept session with `--hub`, else
    /// straight to FINRA, saying on stderr when it runs anonymously.
    pub(crate) async fn data_client(&self) -> anyhow::Result<FinraClient> {
        if self.hub.is_some() {
            let hub = crate::hub::session(self).await?;
            let _ = AUTH_KIND.set(AuthKind::Hub);
            return Ok(self.paced(hub.finra_client_builder()).build()?);
        }
        let choice = self.auth_choice();
        let (auth, kind) = match choice {
            AuthChoice::AnonymousByChoice => (Auth::Anonymous, AuthKind::Anonymous),
            AuthChoice::AnonymousNoCredentials(why) => {
                self.note(&format!(
                    "{why}; running anonymously (public datasets only). `finra auth doctor` explains"
                ));
                (Auth::Anonymous, AuthKind::Anonymous)
            }
            AuthChoice::Bearer(token) => {
                if Credentials::from_env().is_ok() {
                    self.note(&format!(
                        "{BEARER_TOKEN_VAR} is set: using it instead of minting a token from the credentials"
                    ));
                }
                (Auth::bearer(token), AuthKind::Bearer)
            }
            AuthChoice::Credentials(credentials) => {
                (Auth::ClientCredentials(credentials), AuthKind::Minted)
            }
        };
        let _ = AUTH_KIND.set(kind);
        Ok(self.builder()?.auth(auth).build()?)
    }

    /// A note on stderr, unless `--quiet`.
    pub(crate) fn note(&self, text: &str) {
        if self.notes() {
            let _ = writeln!(std::io::stderr().lock(), "note: {text}");
        }
    }
}

/// A certificate or key file, or an error naming it.
fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {what} {}: {e}", path.display()))
}

/// `FINRA_BEARER_TOKEN` (environment, else `.env`), when set and not blank.
pub(crate) fn bearer_token() -> Option<String> {
    crate::userfiles::setting(BEARER_TOKEN_VAR)
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
}

/// `--rate`: requests per second, `None` for no pacing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rate(Option<u32>);

/// Parses `--rate`: a positive number of requests per second, or `off`.
fn parse_rate(text: &str) -> Result<Rate, String> {
    match text {
        "off" => Ok(Rate(None)),
        _ => match text.parse::<u32>() {
            Ok(0) | Err(_) => Err(format!("{text:?}: expected a positive number or off")),
            Ok(rate) => Ok(Rate(Some(rate))),
        },
    }
}
