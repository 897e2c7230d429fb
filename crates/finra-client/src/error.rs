//! The one error type of this crate, [`FinraError`]: each variant says what the caller can do
//! about it, and none ever carries a secret (tokens, client secrets, `Authorization` headers,
//! signed URLs).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// Longest excerpt of a response body kept in an error.
const EXCERPT_CHARS: usize = 200;

/// Everything that can go wrong talking to FINRA (or to a FinHub in front of it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FinraError {
    /// The token service refused the client id and secret. `reason` is FINRA's own
    /// `error_message`: `Invalid Credentials` means wrong or empty values (e.g. a `.env` file that
    /// was never loaded, so `None:None` was sent); `Client credentials is required` means no HTTP
    /// Basic authentication reached FINRA. Fix the credentials; retrying will not help.
    #[error("FINRA's token service refused the credentials: {reason} ({code})")]
    BadCredentials {
        /// FINRA's `error_message`, e.g. `Invalid Credentials`.
        reason: String,
        /// FINRA's `error` code, e.g. `invalid_client`.
        code: String,
    },

    /// The token service answered `unsupported_grant_type`: `grant_type` was missing, not
    /// `client_credentials`, or sent twice (in the query string and in the body).
    #[error(
        "FINRA's token service answered unsupported_grant_type: send grant_type=client_credentials exactly once"
    )]
    UnsupportedGrantType,

    /// A data call was refused with 401 even after the access token was re-minted once (or no
    /// token could be re-minted: anonymous mode, a fixed bearer token). Check the credentials'
    /// status with FINRA, or log in again when the token is a FinHub session token.
    #[error("FINRA answered 401 Unauthorized: {message}")]
    Unauthorized {
        /// The server's message.
        message: String,
    },

    /// 403: the credential is valid but not entitled to this dataset (e.g. a public credential on
    /// a `firm` dataset). Another credential tier is needed.
    #[error("not entitled (403): {message}")]
    NotEntitled {
        /// FINRA's `message`, e.g. `basic API credential cannot be used to access X dataset`.
        message: String,
    },

    /// 404: no such dataset, endpoint or async request. Check the group and name
    /// (`FinraClient::datasets` lists them).
    #[error("not found (404): {message}")]
    NotFound {
        /// FINRA's `message`.
        message: String,
    },

    /// FINRA refused the request as malformed (400, or another 4xx such as 405 or 415). Fix the
    /// request; `message` is FINRA's explanation, e.g. an unknown field or a bad date format.
    #[error("FINRA refused the request ({status}): {message}")]
    BadRequest {
        /// The HTTP status (usually 400).
        status: u16,
        /// FINRA's `message`.
        message: String,
    },

    /// The query was refused before sending it: FINRA would answer 400, or the result cannot
    /// be paged without losing rows (e.g. sorting without an EQUAL filter on every partition
    /// field, or one partition slice larger than the maximum offset).
    #[error("invalid query: {message}")]
    InvalidQuery {
        /// What is wrong and how to fix it.
        message: String,
    },

    /// 429: too many requests, after the retries the policy allows. Wait `retry_after` (when
    /// FINRA said how long) and try again, or share one `Pacer` between clients.
    #[error("rate limited by FINRA (429){}", retry_after_text(*.retry_after))]
    RateLimited {
        /// The wait FINRA asked for in `Retry-After`.
        retry_after: Option<Duration>,
    },

    /// A server-side failure (5xx), after the retries the policy allows. Try again later.
    #[error("FINRA server error ({status}): {message}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },

    /// No answer in time: the request timeout, or the overall timeout of an async request.
    #[error("timed out: {what}")]
    Timeout {
        /// What timed out.
        what: String,
    },

    /// The HTTP exchange failed (connection refused, reset, TLS, …). URLs are stripped.
    #[error("could not talk to FINRA: {0}")]
    Transport(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// A response could not be decoded. `excerpt` is the start of the body (withheld when the
    /// body could hold a token).
    #[error("could not decode {what}: {excerpt}")]
    Decode {
        /// What was being decoded and why it failed.
        what: String,
        /// The start of the offending body.
        excerpt: String,
    },

    /// FINRA's answers contradict each other (e.g. `Record-Total` changed while paging, so rows
    /// could be lost or repeated). The data changed during the download: start it again.
    #[error("inconsistent answers from FINRA: {message}")]
    Inconsistent {
        /// What did not add up.
        message: String,
    },

    /// An asynchronous request failed, or its result link expired or was refused. Submit it
    /// again.
    #[error("asynchronous request failed: {message}")]
    AsyncFailed {
        /// What FINRA said.
        message: String,
    },

    /// A request path or a returned link was refused before anything was sent: it was not in
    /// canonical form, or a URL parser would have sent it somewhere other than it names (dot
    /// segments, backslashes, encoded slashes, a host spelled another way). The text is never
    /// echoed: it may hold whatever a caller pasted into it.
    #[error("refused an unsafe {what}: {reason}")]
    UnsafeUrl {
        /// `request path` or `link`.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The TRAQS refresh token is no longer accepted (expired, revoked, or not the username's):
    /// no program can renew it. A person must sign in to TRAQS in this environment (password
    /// and authenticator code) and generate a new one, e.g. with `finra traqs login`.
    #[error(
        "the TRAQS refresh token for {environment} is no longer accepted ({reason}): a person must \
         sign in to TRAQS ({environment}) with password and authenticator code and generate a new \
         one (`finra traqs login`)"
    )]
    TraqsRefreshTokenExpired {
        /// `production` or `ntf`.
        environment: String,
        /// What the token service said.
        reason: String,
    },

    /// The client is misconfigured (bad URL, missing credentials, …).
    #[error("configuration error: {0}")]
    Config(String),
}

impl FinraError {
    /// The HTTP status the server answered with, when this error is its answer (not a failure
    /// to get one, nor a refusal before sending).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::BadCredentials { .. } | Self::UnsupportedGrantType => Some(400),
            Self::TraqsRefreshTokenExpired { .. } => Some(400),
            Self::Unauthorized { .. } => Some(401),
            Self::NotEntitled { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::BadRequest { status, .. } | Self::Server { status, .. } => Some(*status),
            Self::InvalidQuery { .. }
            | Self::Timeout { .. }
            | Self::Transport(_)
            | Self::Decode { .. }
            | Self::Inconsistent { .. }
            | Self::AsyncFailed { .. }
            | Self::UnsafeUrl { .. }
            | Self::Config(_) => None,
        }
    }

    /// Whether retrying the same call later could succeed (rate limits, server errors,
    /// timeouts, transport failures).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Timeout { .. }
                | Self::Transport(_)
        )
    }

    /// Maps a reqwest error, with its URL removed (URLs can carry signatures).
    pub(crate) fn from_reqwest(error: reqwest::Error, what: &str) -> Self {
        if error.is_timeout() {
            Self::Timeout {
                what: what.to_owned(),
            }
        } else {
            Self::Transport(Box::new(error.without_url()))
        }
    }

    /// A decode error with an excerpt of `body`, withheld when the body may hold a token.
    pub(crate) fn decode(what: impl Into<String>, body: &[u8]) -> Self {
        Self::Decode {
            what: what.into(),
            excerpt: excerpt(body),
        }
    }

    /// The error for a non-success data-call response with this body.
    pub(crate) fn from_status(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let message = server_message(body)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_owned());
        match status.as_u16() {
            401 => Self::Unauthorized { message },
            403 => Self::NotEntitled { message },
            404 => Self::NotFound { message },
            429 => Self::RateLimited {
                retry_after: retry_after(headers),
            },
            code @ 400..=499 => Self::BadRequest {
                status: code,
                message,
            },
            code => Self::Server {
                status: code,
                message,
            },
        }
    }
}

fn retry_after_text(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(": retry after {} s", wait.as_secs_f64().ceil()),
        None => String::new(),
    }
}

/// `Retry-After` in whole seconds (the HTTP-date form is ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The human message of an error body: FINRA's `message`, FIP's `error_message`, or a FinHub
/// envelope's `error_description`; else a short excerpt of a non-JSON body.
pub(crate) fn server_message(body: &[u8]) -> Option<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => ["message", "error_message", "error_description", "error"]
            .iter()
            .find_map(|key| value.get(key)?.as_str().map(|text| truncate(text, 500))),
        Err(_) => Some(excerpt(body)),
    }
}

/// The start of a body for an error message, as text. Bodies that mention an access token are
/// withheld entirely.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.contains("access_token") || text.contains("Bearer ") {
        return format!("[{} bytes withheld: the body may hold a token]", body.len());
    }
    if text.trim().is_empty() {
        return "[empty body]".to_owned();
    }
    truncate(text.trim(), EXCERPT_CHARS)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_withhold_token_bodies_and_truncate_long_ones() {
        let token_body = br#"{"access_token": "*AAJTSQACMDIABHR5c"#;
        let withheld = excerpt(token_body);
        assert!(!withheld.contains("AAJTS"), "{withheld}");
        let long = "x".repeat(1_000);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(b"  "), "[empty body]");
    }

    #[test]
    fn server_messages_come_from_the_known_keys() {
        assert_eq!(
            server_message(br#"{"statusCode":400,"message":"bad field"}"#).as_deref(),
            Some("bad field")
        );
        assert_eq!(
            server_message(br#"{"error":"invalid_token","error_description":"expired"}"#)
                .as_deref(),
            Some("expired")
        );
        assert_eq!(server_message(b"").as_deref(), None);
        assert_eq!(
            server_message(b"<html>oops</html>").as_deref(),
            Some("<html>oops</html>")
        );
    }

    #[test]
    fn statuses_map_to_what_the_caller_can_do() {
        let headers = HeaderMap::new();
        let of = |code: u16| {
            FinraError::from_status(
                StatusCode::from_u16(code).expect("valid status"),
                &headers,
                br#"{"message":"m"}"#,
            )
        };
        assert!(matches!(of(401), FinraError::Unauthorized { .. }));
        assert!(matches!(of(403), FinraError::NotEntitled { .. }));
        assert!(matches!(of(404), FinraError::NotFound { .. }));
        assert!(matches!(
            of(400),
            FinraError::BadRequest { status: 400, .. }
        ));
        assert!(matches!(
            of(415),
            FinraError::BadRequest { status: 415, .. }
        ));
        assert!(matches!(
            of(429),
            FinraError::RateLimited { retry_after: None }
        ));
        assert!(matches!(of(503), FinraError::Server { status: 503, .. }));
    }
}
