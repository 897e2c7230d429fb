//! Plain-words explanations for what `auth doctor` finds: each failure says why it happens
//! and how to fix it, and network failures carry their full chain of causes.

use std::error::Error;

use finra_client::{Environment, FinraError};
use reqwest::Url;

use super::credentials::Inspection;

/// Why something failed and what to do.
#[derive(Debug, Default)]
pub(crate) struct Explanation {
    pub(crate) why: Vec<String>,
    pub(crate) fix: Vec<String>,
    /// The error and its causes, outermost first.
    pub(crate) chain: Vec<String>,
}

impl Explanation {
    pub(super) fn new(why: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            why: vec![why.into()],
            fix: vec![fix.into()],
            chain: Vec::new(),
        }
    }

    fn why(mut self, text: impl Into<String>) -> Self {
        self.why.push(text.into());
        self
    }

    fn fix(mut self, text: impl Into<String>) -> Self {
        self.fix.push(text.into());
        self
    }

    fn with_chain(mut self, error: &(dyn Error + 'static)) -> Self {
        self.chain = chain(error);
        self
    }
}

/// The messages of `error` and its sources, each once.
pub(crate) fn chain(error: &(dyn Error + 'static)) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if !lines
            .last()
            .is_some_and(|previous| previous.contains(&text))
        {
            lines.push(text);
        }
        next = current.source();
    }
    lines
}

/// What the doctor knows about the setup, for explanations.
#[derive(Debug)]
pub(crate) struct Setup<'a> {
    pub(crate) inspection: &'a Inspection,
    pub(crate) token_url: &'a Url,
    pub(crate) api_base: &'a Url,
}

impl Setup<'_> {
    /// "FINRA production" / "FINRA's QA environment" / "a non-FINRA host (…)".
    fn token_environment(&self) -> String {
        environment_of(self.token_url)
    }
}

/// Which FINRA environment a URL belongs to, in words.
pub(crate) fn environment_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let qa_hosts = [Environment::Qa.api_base(), Environment::Qa.token_url()];
    if qa_hosts.iter().any(|u| {
        Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .as_deref()
            == Some(host)
    }) {
        "FINRA's QA test environment".to_owned()
    } else if is_finra_host(url) {
        "FINRA production".to_owned()
    } else {
        format!("{host}: not a FINRA host; an emulator, a FinHub, or a mistake")
    }
}

/// Whether the URL's host is FINRA's.
pub(crate) fn is_finra_host(url: &Url) -> bool {
    url.host_str()
        .is_some_and(|h| h == "finra.org" || h.ends_with(".finra.org"))
}

const TOKEN_PATH: &str = "/fip/rest/ews/oauth2/access_token";

/// Why the token request failed (the request sent the right way, by the library).
pub(crate) fn token_failure(error: &FinraError, setup: &Setup<'_>) -> Explanation {
    match error {
        FinraError::BadCredentials { reason, .. } if reason == "Invalid Credentials" => {
            invalid_credentials(setup)
        }
        FinraError::BadCredentials { reason, .. } if reason == "Client credentials is required" => {
            Explanation::new(
                "no HTTP Basic Authorization header reached the token service. FINRA reads the client \
                 id and secret only from HTTP Basic; custom headers such as X-API-KEY / X-API-SECRET \
                 are ignored (the notebook's Test 3)",
                "finra sends HTTP Basic, so something between here and FINRA removed the header: \
                 check proxies (HTTPS_PROXY) and any gateway in front of the token URL",
            )
        }
        FinraError::BadCredentials { reason, code } => Explanation::new(
            format!("the token service refused the credentials: {reason} ({code})"),
            "check the client id and secret in FINRA's API Console",
        ),
        FinraError::UnsupportedGrantType => Explanation::new(
            "the token service wants grant_type=client_credentials exactly once: sending it in both \
             the query string and the form body (or not at all) gets unsupported_grant_type",
            "finra sends it once in the query string; if the token URL already carries a different \
             grant_type, remove it from --token-url / FINRA_TOKEN_URL",
        ),
        FinraError::BadRequest { status, message } if matches!(status, 404 | 405) => {
            wrong_token_url(*status, message, setup)
        }
        FinraError::NotFound { message } => wrong_token_url(404, message, setup),
        FinraError::BadRequest { status, message } => Explanation::new(
            format!("the token service refused the request ({status}): {message}"),
            format!(
                "check the token URL ({}), and see FINRA's token request format",
                setup.token_url
            ),
        ),
        FinraError::Server { status, message } if (300..400).contains(status) => Explanation::new(
            format!(
                "the token URL answered a redirect ({status}: {message}); tokens are never fetched through redirects"
            ),
            "use the final URL (https://, the exact path) as --token-url / FINRA_TOKEN_URL",
        ),
        FinraError::Server { status, message } => Explanation::new(
            format!("the token service failed on its side ({status}): {message}"),
            "try again later; if it persists, FINRA support can check (quote the time of this report)",
        ),
        FinraError::RateLimited { .. } => Explanation::new(
            "the token service is rate limiting this address",
            "wait a minute and run the doctor again; reuse tokens (they last about 12 hours) instead of minting per request",
        ),
        FinraError::Decode { what, .. } => Explanation::new(
            format!(
                "the token URL answered, but not with a token ({what}): it is not FINRA's token service (a login page, a proxy, or the API base?)"
            ),
            format!("point --token-url / FINRA_TOKEN_URL at the token service, …{TOKEN_PATH}"),
        ),
        FinraError::Timeout { .. } | FinraError::Transport(_) => network(
            error,
            matches!(error, FinraError::Timeout { .. }),
            setup.token_url,
            "the token service",
        ),
        other => Explanation::new(other.to_string(), "see the error above"),
    }
}

/// `Invalid Credentials`: tailored when the values are placeholders or empty.
fn invalid_credentials(setup: &Setup<'_>) -> Explanation {
    let placeholders = setup.inspection.placeholders();
    if !placeholders.is_empty() {
        return Explanation::new(
            format!(
                "the credentials sent are placeholder text ({}), not a client id and secret: the \
                 notebook's None:None. The real values were never loaded where these were set",
                placeholders.join(", ")
            ),
            "put the real values in the .env file of the directory you run from (FINRA_API_KEY=<client id>, \
             FINRA_API_SECRET=<client secret>) or export them; in Python, check that load_dotenv() found \
             the file (it returns False when it did not) before reading os.getenv",
        );
    }
    let explanation = Explanation::new(
        "the token service does not know this client id and secret pair (FINRA answers 400 \
         \"Invalid Credentials\" for any wrong value, including None:None when a .env file was \
         not loaded)",
        "check the secret: a wrong, expired or rotated secret gets exactly this; reset it in FINRA \
         Gateway's API Console",
    );
    let explanation = if is_finra_host(setup.token_url) {
        explanation
            .why(format!(
                "the token URL is {}: QA and production credentials are separate, and one \
                 environment's credentials are Invalid Credentials in the other",
                setup.token_environment()
            ))
            .fix("use --env qa (or --env production) to match where the credential was issued")
    } else {
        explanation.why(format!(
            "the token URL is on {}, not FINRA: it accepts only the credentials it was set up \
             with (an emulator's or a FinHub's own), not FINRA's",
            setup.token_url.host_str().unwrap_or("?")
        ))
    };
    explanation.fix(
        "make sure the values reach the program: a .env file that was not loaded sends None:None; \
         finra reads ./.env from the current directory",
    )
}

pub(crate) fn wrong_token_url(status: u16, message: &str, setup: &Setup<'_>) -> Explanation {
    let mut explanation = Explanation::new(
        format!(
            "the token URL answered {status} ({message}): there is no token service at this path{}",
            match setup.token_url.host_str() {
                Some(host) if !is_finra_host(setup.token_url) => {
                    format!(" (and {host} is not a FINRA host)")
                }
                _ => String::new(),
            }
        ),
        format!(
            "set --token-url / FINRA_TOKEN_URL to FINRA's token service, {} (production) or {} (QA); \
             for an emulator or a FinHub, its base URL followed by {TOKEN_PATH}",
            Environment::Production.token_url(),
            Environment::Qa.token_url()
        ),
    );
    if setup.token_url.path() != TOKEN_PATH {
        explanation = explanation.why(format!(
            "the path is {} where FINRA's is {TOKEN_PATH}",
            setup.token_url.path()
        ));
    }
    explanation
}

/// A network failure reaching `url`, classified from its chain of causes.
pub(crate) fn network(
    error: &(dyn Error + 'static),
    timed_out: bool,
    url: &Url,
    what: &str,
) -> Explanation {
    let causes = chain(error);
    let text = causes.join(" ").to_ascii_lowercase();
    let host = url.host_str().unwrap_or("?");
    let port = url.port_or_known_default().unwrap_or(0);
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    let explanation = if timed_out || has(&["timed out", "timeout"]) {
        Explanation::new(
            format!(
                "{what} at {host}:{port} did not answer in time: a firewall or proxy dropping the connection, a VPN, or a host that does not exist on this network"
            ),
            "check that the host is reachable from here (a browser, curl); behind a corporate proxy set HTTPS_PROXY; raise --timeout on a slow link",
        )
    } else if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no address associated",
        "nodename nor servname",
        "name resolution",
    ]) {
        Explanation::new(
            format!(
                "the host name {host} does not resolve (DNS): a typo in the URL, no network, or a host that only exists inside another network (FINRA's QA hosts resolve for entitled firms)"
            ),
            "check the URL (--api-base / --token-url, FINRA_API_BASE / FINRA_TOKEN_URL) and the network connection",
        )
    } else if has(&["connection refused"]) {
        Explanation::new(
            format!(
                "nothing accepts connections at {host}:{port} (connection refused): a wrong host or port, or a service that is not running"
            ),
            "check the URL's host and port; for an emulator or a FinHub, check that it is running and listening there",
        )
    } else if has(&[
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "unknownissuer",
        "unknown issuer",
    ]) {
        Explanation::new(
            format!(
                "the TLS connection to {host} failed: a proxy that intercepts TLS (its certificate is not trusted), a wrong clock (certificates look not yet valid or expired), or http/https mixed up"
            ),
            format!(
                "check this computer's clock (it reads {} UTC), that the URL's scheme is right, and whether a corporate proxy needs its certificate installed",
                time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            ),
        )
    } else if has(&[
        "connection reset",
        "broken pipe",
        "connection closed",
        "unexpected eof",
    ]) {
        Explanation::new(
            format!(
                "the connection to {host}:{port} was cut: a proxy or firewall in between, or http:// used for an https:// service (or the reverse)"
            ),
            "check the URL's scheme and port, and any proxy settings (HTTPS_PROXY, NO_PROXY)",
        )
    } else {
        Explanation::new(
            format!("could not talk to {what} at {host}:{port}"),
            "check the network, the URL and any proxy settings",
        )
    };
    explanation.with_chain(error)
}

/// How a data call authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataAuth {
    Anonymous,
    Minted,
    Bearer,
}

/// Why a data call failed.
pub(crate) fn data_failure(error: &FinraError, how: DataAuth, setup: &Setup<'_>) -> Explanation {
    let base = setup.api_base;
    match (error, how) {
        (FinraError::Timeout { .. } | FinraError::Transport(_), _) => network(
            error,
            matches!(error, FinraError::Timeout { .. }),
            base,
            "the Query API",
        ),
        (FinraError::NotFound { message }, _)
        | (
            FinraError::BadRequest {
                status: 404 | 405,
                message,
            },
            _,
        ) => Explanation::new(
            format!(
                "the API base {base} does not serve FINRA's Query API paths (/data/group/…): {message}"
            ),
            format!(
                "set --api-base / FINRA_API_BASE to {} (production), {} (QA), or a FinHub's …/v1/finra",
                Environment::Production.api_base(),
                Environment::Qa.api_base()
            ),
        ),
        (FinraError::Unauthorized { .. }, DataAuth::Anonymous) => Explanation::new(
            "the Query API refused an anonymous request for a public dataset (FINRA has served otcMarket without credentials since 2022)",
            "this API base wants a token: configure credentials (FINRA_API_KEY / FINRA_API_SECRET) or FINRA_BEARER_TOKEN",
        ),
        (FinraError::Unauthorized { .. }, DataAuth::Minted) => Explanation::new(
            "the Query API refused the token the token service just issued: the two URLs belong to different services or environments (e.g. a QA token sent to production)",
            "use matching URLs: --env production or --env qa, or both URLs of the same emulator / FinHub",
        ),
        (FinraError::Unauthorized { .. }, DataAuth::Bearer) => Explanation::new(
            "the Query API refused FINRA_BEARER_TOKEN: it expired, or it is not a token for this API base",
            "get a new token (log in again for a FinHub session token), or unset FINRA_BEARER_TOKEN to mint tokens from the credentials",
        ),
        (FinraError::NotEntitled { message }, _) => Explanation::new(
            format!("the credential is not entitled: {message}"),
            "public credentials see otcMarket and fixedIncomeMarket; other groups need a firm credential",
        ),
        (FinraError::RateLimited { .. }, _) => Explanation::new(
            "the Query API is rate limiting this address (20 requests/s)",
            "wait a moment and try again; other programs on this address share the limit",
        ),
        (FinraError::Server { status, message }, _) => Explanation::new(
            format!("the Query API failed on its side ({status}): {message}"),
            "try again later",
        ),
        (FinraError::Decode { what, .. }, _) => Explanation::new(
            format!(
                "the API base answered something that is not FINRA's ({what}): a login page or a proxy?"
            ),
            "check --api-base / FINRA_API_BASE",
        ),
        (other, _) => Explanation::new(other.to_string(), "see the error above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_placed_in_their_environment() {
        let url = |u: &str| Url::parse(u).expect("url");
        assert_eq!(
            environment_of(&url(Environment::Production.token_url())),
            "FINRA production"
        );
        assert_eq!(
            environment_of(&url(Environment::Qa.api_base())),
            "FINRA's QA test environment"
        );
        assert!(environment_of(&url("http://127.0.0.1:8700")).contains("not a FINRA host"));
        assert!(!is_finra_host(&url("https://finra.org.evil.example")));
    }
}
