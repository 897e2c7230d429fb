//! Asynchronous requests: submit a query with `async: true` (202 + `Location`), poll its status
//! no more often than allowed (60 s by default, as FINRA asks; a 429 from polling is honoured),
//! then fetch the pre-signed result link *without* credentials, all within an overall timeout.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;

use crate::client::{ApiCall, FinraClient};
use crate::error::FinraError;
use crate::page::Row;
use crate::query::{Format, Query};
use crate::retry::RetryPolicy;

/// Largest status answer read.
const MAX_STATUS_BYTES: usize = 1024 * 1024;
/// Largest result read (an async result holds at most 100 000 rows).
const MAX_RESULT_BYTES: usize = 512 * 1024 * 1024;

/// Polling and patience of asynchronous requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncOptions {
    /// Time between status polls, and before the first (FINRA asks for at most one a minute).
    pub poll_interval: Duration,
    /// The most the whole request (submit, polls, result) may take.
    pub timeout: Duration,
}

impl Default for AsyncOptions {
    /// Poll once a minute, give up after 30 minutes.
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// A submitted asynchronous request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncRequest {
    status_url: Url,
    format: Format,
}

impl AsyncRequest {
    /// The status URL FINRA gave in `Location`.
    pub fn status_url(&self) -> &Url {
        &self.status_url
    }

    /// FINRA's request id (the last path segment of the status URL).
    pub fn request_id(&self) -> Option<&str> {
        self.status_url.path_segments()?.next_back()
    }

    /// The format the result will have.
    pub fn format(&self) -> Format {
        self.format
    }
}

/// A pre-signed result link. `Debug` hides its signature.
#[derive(Clone, PartialEq, Eq)]
pub struct ResultLink {
    url: Url,
    expires: Option<String>,
}

impl ResultLink {
    /// The link (it carries a signature: treat it as a secret until it expires).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// When it expires, as FINRA wrote it (`2026-02-03 04:05:06 UTC`).
    pub fn expires(&self) -> Option<&str> {
        self.expires.as_deref()
    }
}

impl fmt::Debug for ResultLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        shown.set_query(None);
        f.debug_struct("ResultLink")
            .field("url", &format_args!("{shown}?[signature redacted]"))
            .field("expires", &self.expires)
            .finish()
    }
}

/// The status of an asynchronous request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsyncStatus {
    /// Not ready yet (FINRA's `pending` or `unavailable`).
    Pending,
    /// Ready: fetch the link.
    Complete(ResultLink),
}

/// The result of an asynchronous request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncResult {
    /// The body as FINRA's result link served it.
    pub body: Bytes,
    /// Its format.
    pub format: Format,
}

impl AsyncResult {
    /// The rows of a JSON result.
    pub fn rows(&self) -> Result<Vec<Row>, FinraError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| FinraError::decode(format!("the async result ({e})"), &self.body))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    result_link: Option<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    error_messages: Option<serde_json::Value>,
}

impl FinraClient {
    /// Submits `query` as an asynchronous request (not retried: each submission counts against
    /// FINRA's hourly quota).
    pub async fn submit_async(
        &self,
        query: &Query,
        format: Format,
    ) -> Result<AsyncRequest, FinraError> {
        self.check_sort(query).await?;
        let body = serde_json::to_vec(&query.body(
            query.sort_fields(),
            query.get_limit(),
            query.get_offset(),
            true,
        ))
        .map_err(|e| FinraError::Config(format!("cannot serialise the query: {e}")))?;
        let call = ApiCall {
            method: Method::POST,
            url: self.endpoint(&["data", "group", query.group(), "name", query.name()])?,
            accept: format.accept(),
            body: Some(Bytes::from(body)),
            what: "the async submission",
        };
        let fetched = self
            .fetch(&call, RetryPolicy::none(), MAX_STATUS_BYTES)
            .await?;
        let location = fetched
            .headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok());
        match (fetched.status, location) {
            (StatusCode::ACCEPTED, Some(location)) => Ok(AsyncRequest {
                status_url: self.same_origin(location)?,
                format,
            }),
            (status, _) => Err(FinraError::decode(
                format!("the async submission (status {status}, expected 202 with a Location)"),
                &fetched.body,
            )),
        }
    }

    /// One status poll. A 429 (polled too soon) is [`FinraError::RateLimited`].
    pub async fn async_status(&self, request: &AsyncRequest) -> Result<AsyncStatus, FinraError> {
        let call = ApiCall {
            method: Method::GET,
            url: request.status_url.clone(),
            accept: "application/json",
            body: None,
            what: "the async status request",
        };
        let fetched = self
            .fetch(&call, RetryPolicy::none(), MAX_STATUS_BYTES)
            .await?;
        let status: StatusBody = serde_json::from_slice(&fetched.body)
            .map_err(|e| FinraError::decode(format!("the async status ({e})"), &fetched.body))?;
        let state = status.status.unwrap_or_default().to_ascii_lowercase();
        match (state.as_str(), status.result_link) {
            ("complete" | "success", Some(link)) => Ok(AsyncStatus::Complete(ResultLink {
                url: self.resolve(&link)?,
                expires: status.expires,
            })),
            ("pending" | "unavailable" | "", None) => Ok(AsyncStatus::Pending),
            ("failed", _) => Err(FinraError::AsyncFailed {
                message: status.error_messages.map_or_else(
                    || "FINRA reported the request as failed".to_owned(),
                    |m| m.to_string(),
                ),
            }),
            (other, _) => Err(FinraError::decode(
                format!("the async status (status {other:?})"),
                &fetched.body,
            )),
        }
    }

    /// Polls until the result is ready, waiting `poll_interval` before each poll (longer when
    /// FINRA's `Retry-After` says so), and returns the result link.
    pub async fn wait_for_async(
        &self,
        request: &AsyncRequest,
        options: &AsyncOptions,
    ) -> Result<ResultLink, FinraError> {
        let polling = async {
            let mut wait = options.poll_interval;
            loop {
                tokio::time::sleep(wait).await;
                wait = options.poll_interval;
                match self.async_status(request).await {
                    Ok(AsyncStatus::Complete(link)) => return Ok(link),
                    Ok(AsyncStatus::Pending) => {}
                    Err(FinraError::RateLimited { retry_after }) => {
                        wait = retry_after
                            .unwrap_or(options.poll_interval)
                            .max(options.poll_interval);
                        tracing::debug!(?wait, "async status polled too soon");
                    }
                    Err(error) => return Err(error),
                }
            }
        };
        tokio::time::timeout(options.timeout, polling)
            .await
            .map_err(|_| FinraError::Timeout {
                what: format!(
                    "the async request was not ready within {:?}",
                    options.timeout
                ),
            })?
    }

    /// Fetches a result link. It is pre-signed: no credentials are sent, and it is not paced
    /// (it is not the Query API).
    pub async fn fetch_async_result(
        &self,
        link: &ResultLink,
        format: Format,
    ) -> Result<AsyncResult, FinraError> {
        let response = self
            .inner
            .http
            .get(link.url.clone())
            .send()
            .await
            .map_err(|e| FinraError::from_reqwest(e, "the async result"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body =
            crate::client::read_limited(response, MAX_RESULT_BYTES, "the async result").await?;
        match status {
            StatusCode::OK => Ok(AsyncResult { body, format }),
            StatusCode::NO_CONTENT => Ok(AsyncResult {
                body: Bytes::new(),
                format,
            }),
            StatusCode::FORBIDDEN => Err(FinraError::AsyncFailed {
                message: format!(
                    "the result link was refused ({}): it expired or is not valid; submit the request again",
                    xml_code(&body).unwrap_or("403")
                ),
            }),
            other => Err(FinraError::from_status(other, &headers, &body)),
        }
    }

    /// Submits, waits and fetches, all within `options.timeout`.
    pub async fn run_async(
        &self,
        query: &Query,
        format: Format,
        options: &AsyncOptions,
    ) -> Result<AsyncResult, FinraError> {
        let run = async {
            let request = self.submit_async(query, format).await?;
            let link = self.wait_for_async(&request, options).await?;
            self.fetch_async_result(&link, format).await
        };
        tokio::time::timeout(options.timeout, run)
            .await
            .map_err(|_| FinraError::Timeout {
                what: format!(
                    "the async request did not finish within {:?}",
                    options.timeout
                ),
            })?
    }

    /// Resolves a link against the API base, refused when it would not go exactly where it
    /// names.
    fn resolve(&self, link: &str) -> Result<Url, FinraError> {
        crate::path::resolve_link(Some(&self.inner.api_base), link)
    }

    /// A status URL, refused unless it is on the API's origin (it is polled with the token).
    fn same_origin(&self, link: &str) -> Result<Url, FinraError> {
        let url = self.resolve(link)?;
        if url.origin() != self.inner.api_base.origin() {
            return Err(FinraError::Config(format!(
                "refusing to send credentials to {}: the async status URL is not on the API base's origin",
                url.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }
}

/// The `<Code>` of an object store's XML error body.
fn xml_code(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    text.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_link_debug_hides_the_signature() {
        let link = ResultLink {
            url: Url::parse("http://h/async-results/1?X-Amz-Signature=abcdef").expect("url"),
            expires: None,
        };
        let debug = format!("{link:?}");
        assert!(!debug.contains("abcdef"), "{debug}");
    }

    #[test]
    fn xml_error_codes_are_read() {
        let body =
            b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>x</Message></Error>";
        assert_eq!(xml_code(body), Some("AccessDenied"));
        assert_eq!(xml_code(b"nope"), None);
    }
}
