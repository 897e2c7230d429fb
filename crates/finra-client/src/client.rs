//! [`FinraClient`] and the one place where requests are sent: pacing, the `Authorization`
//! header, the single re-mint after a 401, retries of 429/5xx with backoff, and the mapping of
//! statuses to [`FinraError`]. Also [`FinraClient::send_raw`], the pass-through a proxy uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use finhub_clock::SharedClock;
use futures_util::StreamExt;
use http_body_util::Full;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use secrecy::SecretString;

use crate::builder::FinraClientBuilder;
use crate::catalogue::DatasetMetadata;
use crate::encoding::Coding;
use crate::error::FinraError;
use crate::pacer::Pacer;
use crate::paging::PagingConfig;
use crate::path::ApiPath;
use crate::raw::{RawResponse, RawTransport};
use crate::retry::RetryPolicy;
use crate::token::{AccessToken, TokenManager};

/// Largest error body read (error bodies are small JSON documents).
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A client of FINRA's Query API (or of a FinHub or an emulator in front of it). Cheap to clone;
/// clones share the connection pool, token manager, pacer and metadata cache.
#[derive(Debug, Clone)]
pub struct FinraClient {
    pub(crate) inner: Arc<ClientInner>,
}

#[derive(Debug)]
pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    /// `send_raw`'s own transport.
    pub(crate) raw: RawTransport,
    pub(crate) api_base: Url,
    pub(crate) auth: Authenticator,
    pub(crate) retry: RetryPolicy,
    pub(crate) pacer: Pacer,
    pub(crate) clock: SharedClock,
    pub(crate) paging: PagingConfig,
    /// Whether calls ask for gzip-compressed answers (`Accept-Encoding: gzip`).
    pub(crate) compression: bool,
    /// `/metadata` answers by lower-cased (group, name).
    pub(crate) metadata: Mutex<HashMap<(String, String), Arc<DatasetMetadata>>>,
}

/// Where the `Authorization` header of data calls comes from.
#[derive(Debug)]
pub(crate) enum Authenticator {
    Managed(TokenManager),
    Static(SecretString),
    Source(Arc<dyn crate::BearerSource>),
    Anonymous,
}

/// The token one attempt was sent with.
enum Bearer {
    Managed(AccessToken),
    Static(SecretString),
}

impl Bearer {
    fn header_value(&self) -> Result<HeaderValue, FinraError> {
        let value = match self {
            Self::Managed(token) => token.authorization().cloned(),
            Self::Static(secret) => crate::token::bearer_header(secret),
        };
        value.ok_or_else(|| {
            FinraError::Config(
                "the bearer token holds characters not allowed in a header".to_owned(),
            )
        })
    }
}

/// One Query API call as the client sends it.
#[derive(Debug, Clone)]
pub(crate) struct ApiCall {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) accept: &'static str,
    /// A JSON body.
    pub(crate) body: Option<Bytes>,
    /// For error messages: "the data request", "the metadata request", …
    pub(crate) what: &'static str,
}

/// A successful answer, body read.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// A request for [`FinraClient::send_raw`].
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The method.
    pub method: Method,
    /// The path under the API base (e.g. `/data/group/otcMarket/name/weeklySummary`), in the
    /// canonical form no server can read as another path.
    pub path: ApiPath,
    /// The query string, sent exactly as it is: visible ASCII except `"`, `#`, `<` and `>`
    /// (anything else is refused, see [`crate::is_forwardable_query`]).
    pub query: Option<String>,
    /// Headers to forward (e.g. `Accept`, `Content-Type`). `Authorization`, `Host`, cookies and
    /// hop-by-hop headers are dropped.
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Bytes,
    /// The longest the request may wait for the pacer; `None` waits as long as it takes. When
    /// a slot would start later, `send_raw` answers [`FinraError::RateLimited`] without sending
    /// (a proxy's bounded queue).
    pub max_queue_wait: Option<std::time::Duration>,
}

impl FinraClient {
    /// A builder, defaulting to FINRA production, anonymous access, a 60 s timeout, the default
    /// retry policy and a 20 requests/s pacer.
    pub fn builder() -> FinraClientBuilder {
        FinraClientBuilder::default()
    }

    /// The Query API base URL.
    pub fn api_base(&self) -> &Url {
        &self.inner.api_base
    }

    /// The token manager, when the client mints tokens from credentials.
    pub fn token_manager(&self) -> Option<&TokenManager> {
        match &self.inner.auth {
            Authenticator::Managed(manager) => Some(manager),
            Authenticator::Static(_) | Authenticator::Source(_) | Authenticator::Anonymous => None,
        }
    }

    /// Whether data calls carry no `Authorization` header.
    pub fn is_anonymous(&self) -> bool {
        matches!(self.inner.auth, Authenticator::Anonymous)
    }

    /// The pacer every call of this client waits on.
    pub fn pacer(&self) -> &Pacer {
        &self.inner.pacer
    }

    /// The shared clock.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The paging settings.
    pub fn paging_config(&self) -> &PagingConfig {
        &self.inner.paging
    }

    /// Sends a request under the API base and returns FINRA's answer unchanged: no retries and
    /// no status mapping, so a proxy can pass statuses, headers and the body stream through.
    ///
    /// The request is paced and authenticated like every call; with minted tokens, a 401 makes
    /// the client re-mint once and resend (that is token upkeep, not a retry: the token is the
    /// client's business, not the caller's). Errors are only transport failures and timeouts.
    pub async fn send_raw(&self, request: RawRequest) -> Result<RawResponse, FinraError> {
        // Built as text and checked, never normalised: the request goes to exactly the
        // canonical path under the API base, or not at all.
        let uri = crate::path::uri_under(
            &self.inner.api_base,
            &request.path,
            request.query.as_deref(),
        )?;
        let mut headers = request.headers;
        // Looked for among the (few) headers given, rather than each removed by name.
        while let Some(name) = headers.keys().find(|name| is_withheld(name)).cloned() {
            headers.remove(name);
        }
        let mut reminted = false;
        loop {
            // The token first (a mint may take a while), then the pacer slot, so the request
            // leaves right when its slot starts and never arrives bunched with later ones.
            let bearer = self.bearer().await?;
            if let Some(max_wait) = request.max_queue_wait {
                let paced = self.inner.pacer.acquire_within(max_wait).await;
                paced.map_err(|wait| FinraError::RateLimited {
                    retry_after: Some(wait + max_wait),
                })?;
            } else {
                self.inner.pacer.acquire().await;
            }
            let mut outgoing = hyper::Request::new(Full::new(request.body.clone()));
            *outgoing.method_mut() = request.method.clone();
            *outgoing.uri_mut() = uri.clone();
            outgoing.headers_mut().clone_from(&headers);
            if let Some(bearer) = &bearer {
                outgoing
                    .headers_mut()
                    .insert(header::AUTHORIZATION, bearer.header_value()?);
            }
            let response = self.inner.raw.send(outgoing).await?;
            if response.status() == StatusCode::UNAUTHORIZED
                && !reminted
                && self.forget_token(bearer.as_ref()).await
            {
                reminted = true;
                continue;
            }
            return Ok(response);
        }
    }

    /// A URL under the API base made of these path segments (each percent-encoded as one
    /// segment); refused when a segment is empty, `.`, `..` or holds a separator.
    pub(crate) fn endpoint(&self, segments: &[&str]) -> Result<Url, FinraError> {
        crate::path::url_under(&self.inner.api_base, &ApiPath::from_segments(segments)?)
    }

    /// Sends a paced, authenticated Query API call with retries, and reads the body of a
    /// successful answer. Non-success statuses become errors.
    pub(crate) async fn fetch(
        &self,
        call: &ApiCall,
        retry: RetryPolicy,
        max_body_bytes: usize,
    ) -> Result<Fetched, FinraError> {
        let mut retries = 0;
        let mut reminted = false;
        loop {
            let wait = match self.attempt(call, max_body_bytes).await {
                Attempt::Done(result) => return result,
                Attempt::Unauthorized(bearer, error) => {
                    if !reminted && self.forget_token(bearer.as_ref()).await {
                        tracing::debug!("401 on {}: re-minting the access token once", call.what);
                        reminted = true;
                        continue;
                    }
                    return Err(error);
                }
                Attempt::Transient(error, retry_after) => match retry.delay(retries, retry_after) {
                    Some(wait) => {
                        tracing::debug!(%error, ?wait, "retrying {}", call.what);
                        wait
                    }
                    None => return Err(error),
                },
            };
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    async fn attempt(&self, call: &ApiCall, max_body_bytes: usize) -> Attempt {
        // The token first, then the pacer slot (see `send_raw`).
        let bearer = match self.bearer().await {
            Ok(bearer) => bearer,
            Err(error) => return Attempt::Done(Err(error)),
        };
        self.inner.pacer.acquire().await;
        let mut builder = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .header(header::ACCEPT, call.accept);
        if self.inner.compression {
            builder = builder.header(header::ACCEPT_ENCODING, crate::encoding::accepted());
        }
        if let Some(bearer) = &bearer {
            match bearer.header_value() {
                Ok(value) => builder = builder.header(header::AUTHORIZATION, value),
                Err(error) => return Attempt::Done(Err(error)),
            }
        }
        if let Some(body) = &call.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) => return Attempt::transport(error, call.what),
        };
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() {
            return match read_limited(response, max_body_bytes, call.what).await {
                Ok(body) => Attempt::Done(Ok(Fetched {
                    status,
                    headers,
                    body,
                })),
                Err(FinraError::Transport(error)) => {
                    Attempt::Transient(FinraError::Transport(error), None)
                }
                Err(error @ FinraError::Timeout { .. }) => Attempt::Transient(error, None),
                Err(error) => Attempt::Done(Err(error)),
            };
        }
        let body = read_limited(response, MAX_ERROR_BODY_BYTES, call.what)
            .await
            .unwrap_or_default();
        let error = FinraError::from_status(status, &headers, &body);
        if status == StatusCode::UNAUTHORIZED {
            return Attempt::Unauthorized(bearer, error);
        }
        if RetryPolicy::retries_status(status.as_u16()) {
            let retry_after = crate::error::retry_after(&headers);
            return Attempt::Transient(error, retry_after);
        }
        Attempt::Done(Err(error))
    }

    /// The token for the next attempt, minted or refreshed as needed.
    async fn bearer(&self) -> Result<Option<Bearer>, FinraError> {
        Ok(match &self.inner.auth {
            Authenticator::Managed(manager) => Some(Bearer::Managed(manager.token().await?)),
            Authenticator::Static(secret) => Some(Bearer::Static(secret.clone())),
            Authenticator::Source(source) => Some(Bearer::Static(source.bearer().await?)),
            Authenticator::Anonymous => None,
        })
    }

    /// After a 401: forgets the token that was refused, if it was a minted one or its source can
    /// renew it. Returns whether another token can help.
    async fn forget_token(&self, bearer: Option<&Bearer>) -> bool {
        match (&self.inner.auth, bearer) {
            (Authenticator::Managed(manager), Some(Bearer::Managed(token))) => {
                manager.invalidate(token);
                true
            }
            (Authenticator::Source(source), Some(Bearer::Static(token))) => {
                source.refused(token).await
            }
            _ => false,
        }
    }
}

/// Whether `send_raw` withholds a caller's header: the credentials (the client sends its own),
/// and the framing and hop-by-hop headers (the connection to FINRA sets its own).
fn is_withheld(name: &header::HeaderName) -> bool {
    [
        header::AUTHORIZATION,
        header::PROXY_AUTHORIZATION,
        header::COOKIE,
        header::HOST,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::TRAILER,
        header::CONNECTION,
        header::TE,
        header::UPGRADE,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
}

/// The outcome of one attempt.
enum Attempt {
    Done(Result<Fetched, FinraError>),
    Unauthorized(Option<Bearer>, FinraError),
    Transient(FinraError, Option<std::time::Duration>),
}

impl Attempt {
    fn transport(error: reqwest::Error, what: &str) -> Self {
        if RetryPolicy::retries_transport(&error) {
            Self::Transient(FinraError::from_reqwest(error, what), None)
        } else {
            Self::Done(Err(FinraError::from_reqwest(error, what)))
        }
    }
}

/// Reads a whole body, inflated when it came gzip-compressed, refusing more than `max_bytes`
/// (inflated) and any other `Content-Encoding`.
pub(crate) async fn read_limited(
    response: reqwest::Response,
    max_bytes: usize,
    what: &str,
) -> Result<Bytes, FinraError> {
    let coding = Coding::of(response.headers()).map_err(|coding| FinraError::Decode {
        what: format!(
            "{what} (sent with Content-Encoding {coding}, which the client never asks for)"
        ),
        excerpt: "[body not read]".to_owned(),
    })?;
    let chunks = response
        .bytes_stream()
        .map(|chunk| chunk.map_err(|e| FinraError::from_reqwest(e, what)));
    crate::encoding::collect(coding, chunks, max_bytes, what).await
}

/// Collects a body's chunks, refused past `max_bytes`.
pub(crate) async fn collect_limited(
    chunks: impl futures_util::Stream<Item = Result<Bytes, FinraError>>,
    max_bytes: usize,
    what: &str,
) -> Result<Bytes, FinraError> {
    let mut chunks = std::pin::pin!(chunks);
    let mut body = BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max_bytes {
            return Err(FinraError::Decode {
                what: format!("{what} (larger than {max_bytes} bytes)"),
                excerpt: crate::error::excerpt(&body),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
