//! Raw token requests `auth doctor` sends on purpose the ways that fail (the notebook's
//! variants), to show what older code got, and what the answers reveal: whether the URL is a
//! FINRA-like token service, and how far the local clock is from the server's `Date`.

use std::time::Duration;

use finra_client::Credentials;
use finra_client::{ExposeSecret, StatusCode};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, DATE, LOCATION};
use serde::Deserialize;
use time::OffsetDateTime;

/// A way of asking for a token that FINRA refuses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Variant<'a> {
    /// HTTP Basic `None:None`: what Python sent when the `.env` file was never loaded.
    NoneNone,
    /// `X-API-KEY` / `X-API-SECRET` headers instead of HTTP Basic (placeholder values: the
    /// answer does not depend on them).
    CustomHeaders,
    /// The real credentials, `grant_type` in the query string and in the form body.
    GrantTypeTwice(&'a Credentials),
}

impl Variant<'_> {
    /// What the request does, for the report.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Self::NoneNone => "HTTP Basic None:None (what an unloaded .env sends from Python)",
            Self::CustomHeaders => "X-API-KEY / X-API-SECRET headers instead of HTTP Basic",
            Self::GrantTypeTwice(_) => {
                "grant_type=client_credentials in the query string and in the body"
            }
        }
    }

    /// What FINRA answers it, and what that means.
    pub(crate) fn expected(&self) -> &'static str {
        match self {
            Self::NoneNone => "400 \"Invalid Credentials\": the values are wrong",
            Self::CustomHeaders => {
                "400 \"Client credentials is required\": FINRA only reads HTTP Basic"
            }
            Self::GrantTypeTwice(_) => "unsupported_grant_type: send grant_type once",
        }
    }

    /// Whether `answer` is what FINRA answers.
    pub(crate) fn matches(&self, answer: &Answer) -> bool {
        match self {
            Self::NoneNone => {
                answer.status == 400
                    && answer.error_message.as_deref() == Some("Invalid Credentials")
            }
            Self::CustomHeaders => {
                answer.status == 400
                    && answer.error_message.as_deref() == Some("Client credentials is required")
            }
            Self::GrantTypeTwice(_) => answer.error.as_deref() == Some("unsupported_grant_type"),
        }
    }
}

/// What the token service answered (never the body of a success: it holds a token).
#[derive(Debug, Clone, Default)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) error: Option<String>,
    pub(crate) error_message: Option<String>,
    /// A Query-API-style `message` (e.g. a 404 from a non-token path).
    pub(crate) message: Option<String>,
    /// Where a redirect points (without its query string).
    pub(crate) location: Option<String>,
    /// The server's clock.
    pub(crate) date: Option<OffsetDateTime>,
    /// Whether the body was JSON.
    pub(crate) json: bool,
    /// How long the answer took.
    pub(crate) elapsed: Duration,
}

impl Answer {
    /// `400 invalid_client "Invalid Credentials"`.
    pub(crate) fn summary(&self) -> String {
        let mut text = self.status.to_string();
        if let Some(reason) = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            text.push(' ');
            text.push_str(reason);
        }
        if self.status == 200 {
            text.push_str(" (a token was issued; not shown)");
            return text;
        }
        if let Some(error) = &self.error {
            text.push_str(&format!(", error {error}"));
        }
        if let Some(message) = self.error_message.as_ref().or(self.message.as_ref()) {
            text.push_str(&format!(": {message:?}"));
        }
        if let Some(location) = &self.location {
            text.push_str(&format!(" → {location}"));
        }
        text
    }

    /// Whether this is the FIP token service's error shape (`{"error": …}` JSON).
    pub(crate) fn is_fip_error(&self) -> bool {
        self.json && self.error.is_some()
    }
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The HTTP client of the probes: no redirects followed, the tool's timeout.
pub(crate) fn http_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "finra-cli/",
            env!("CARGO_PKG_VERSION"),
            " (auth doctor)"
        ))
        .build()
}

/// The token URL without any `grant_type` (the probes place it themselves).
fn bare(token_url: &Url) -> Url {
    let mut url = token_url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "grant_type")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    url
}

/// Sends one variant. Errors carry no URL.
pub(crate) async fn send(
    http: &reqwest::Client,
    token_url: &Url,
    variant: Variant<'_>,
) -> reqwest::Result<Answer> {
    send_inner(http, token_url, variant)
        .await
        .map_err(reqwest::Error::without_url)
}

async fn send_inner(
    http: &reqwest::Client,
    token_url: &Url,
    variant: Variant<'_>,
) -> reqwest::Result<Answer> {
    let url = bare(token_url);
    let mut with_grant = url.clone();
    with_grant
        .query_pairs_mut()
        .append_pair("grant_type", "client_credentials");
    let form = "application/x-www-form-urlencoded";
    let request = match variant {
        Variant::NoneNone => http
            .post(with_grant)
            .basic_auth("None", Some("None"))
            .header(reqwest::header::CONTENT_LENGTH, 0),
        Variant::CustomHeaders => http
            .post(url)
            .header("X-API-KEY", "placeholder-key")
            .header("X-API-SECRET", "placeholder-secret")
            .header(CONTENT_TYPE, form)
            .body("grant_type=client_credentials"),
        Variant::GrantTypeTwice(credentials) => http
            .post(with_grant)
            .basic_auth(
                credentials.client_id(),
                Some(credentials.client_secret().expose_secret()),
            )
            .header(CONTENT_TYPE, form)
            .body("grant_type=client_credentials"),
    };
    let started = std::time::Instant::now();
    let response = request
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let elapsed = started.elapsed();
    let parsed: Option<Body> = if status == 200 {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    let location = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| l.split('?').next().unwrap_or(l).to_owned());
    Ok(Answer {
        status,
        json: parsed.is_some(),
        error: parsed.as_ref().and_then(|b| {
            b.error
                .as_ref()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
        }),
        error_message: parsed.as_ref().and_then(|b| b.error_message.clone()),
        message: parsed.and_then(|b| b.message),
        location,
        date: headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date),
        elapsed,
    })
}

/// An HTTP date, `Sun, 21 Dec 2025 23:26:13 GMT`.
pub(crate) fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        let date = parse_http_date("Sun, 21 Dec 2025 23:26:13 GMT").expect("parses");
        assert_eq!(date.unix_timestamp(), 1_766_359_573);
        assert!(parse_http_date("yesterday").is_none());
    }

    #[test]
    fn probes_place_grant_type_themselves() {
        let url = Url::parse("https://h/t?grant_type=client_credentials&x=1").expect("url");
        assert_eq!(bare(&url).as_str(), "https://h/t?x=1");
        let plain = Url::parse("https://h/t").expect("url");
        assert_eq!(bare(&plain).as_str(), "https://h/t");
    }
}
