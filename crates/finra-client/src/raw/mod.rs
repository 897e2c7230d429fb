//! The transport of [`FinraClient::send_raw`](crate::FinraClient::send_raw): bare hyper HTTP/1.1
//! connections (TLS by rustls with the platform's certificate verifier, as for every other call
//! of this crate), and FINRA's answer as status, headers and an HTTP body.
//!
//! A proxy sends every call of its callers through here, so it skips what reqwest adds per
//! request and a proxy does not need (redirect and retry layers that copy the request, URL
//! conversions both ways) and what a general pooled client does (a pool shared across threads
//! behind a lock, checkout futures, a boxed request future): the connections are kept per thread
//! (`connections.rs`). The timeout covers the whole exchange, body included, as reqwest's does.

mod connections;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use reqwest::StatusCode;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::time::{Instant, Sleep};

use self::connections::Connections;
use url::Position;

use crate::builder::TlsSettings;
use crate::error::FinraError;

/// Raw calls to the API base's host: its connections, the timeout, and the headers every call
/// carries.
pub(crate) struct RawTransport {
    connections: Connections,
    timeout: Duration,
    user_agent: HeaderValue,
    /// The API base's `Host` header, made once rather than formatted by hyper per request.
    host: HeaderValue,
}

impl std::fmt::Debug for RawTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawTransport")
            .field("timeout", &self.timeout)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl RawTransport {
    /// A transport to `api_base`'s host with this timeout and user agent; `https` verified by
    /// the platform's verifier (plus the extra roots, DER certificates, when given), presenting
    /// the client certificate when one is set.
    pub(crate) fn new(
        api_base: &Url,
        timeout: Duration,
        user_agent: &str,
        tls: TlsSettings,
    ) -> Result<Self, FinraError> {
        let user_agent = HeaderValue::from_str(user_agent)
            .map_err(|_| FinraError::Config("the user agent is not a valid header".to_owned()))?;
        // The host and the port when it is not the scheme's default, as the URL keeps them.
        let host = HeaderValue::from_str(&api_base[Position::BeforeHost..Position::AfterPort])
            .map_err(|_| {
                FinraError::Config("the API base's host is not a valid header".to_owned())
            })?;
        let connect_timeout = timeout.min(Duration::from_secs(10));
        Ok(Self {
            connections: Connections::new(api_base, connect_timeout, tls)?,
            timeout,
            user_agent,
            host,
        })
    }

    /// Sends one request (its URI under the API base); the answer's body must be read before
    /// `timeout` runs out.
    pub(crate) async fn send(
        &self,
        mut request: hyper::Request<Full<Bytes>>,
    ) -> Result<RawResponse, FinraError> {
        // On a connection to the host itself the request line names only the path and query.
        let origin_form = request
            .uri()
            .path_and_query()
            .map_or_else(|| hyper::Uri::from_static("/"), |path| path.clone().into());
        *request.uri_mut() = origin_form;
        let headers = request.headers_mut();
        headers
            .entry(reqwest::header::USER_AGENT)
            .or_insert_with(|| self.user_agent.clone());
        headers
            .entry(reqwest::header::HOST)
            .or_insert_with(|| self.host.clone());
        let deadline = Instant::now() + self.timeout;
        let response = tokio::time::timeout_at(deadline, self.connections.send(request))
            .await
            .map_err(|_| FinraError::Timeout {
                what: "the proxied request".to_owned(),
            })??;
        Ok(RawResponse { response, deadline })
    }
}

/// rustls with the platform's verifier (and extra roots).
pub(super) fn tls_config(settings: &TlsSettings) -> Result<rustls::ClientConfig, FinraError> {
    let extra_roots = &settings.extra_roots;
    let tls_error = |e: &dyn std::fmt::Display| FinraError::Config(format!("TLS setup: {e}"));
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = if extra_roots.is_empty() {
        rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(
            extra_roots.iter().map(|certificate| {
                use rustls::pki_types::pem::PemObject;
                rustls::pki_types::CertificateDer::from_pem_slice(certificate).unwrap_or_else(
                    |_| rustls::pki_types::CertificateDer::from(certificate.clone()),
                )
            }),
            Arc::clone(&provider),
        )
    }
    .map_err(|e| tls_error(&e))?;
    // ALPN (HTTP/1.1) is set by the caller.
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&e))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    match &settings.identity {
        None => Ok(builder.with_no_client_auth()),
        Some(identity) => {
            use rustls::pki_types::pem::PemObject;
            use rustls::pki_types::{CertificateDer, PrivateKeyDer};
            let unusable = || {
                FinraError::Config(
                    "the client certificate is not a PEM certificate chain with its private key"
                        .to_owned(),
                )
            };
            let chain = CertificateDer::pem_slice_iter(&identity.0)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| unusable())?;
            let key = PrivateKeyDer::from_pem_slice(&identity.0).map_err(|_| unusable())?;
            if chain.is_empty() {
                return Err(unusable());
            }
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_error(&e))
        }
    }
}

/// FINRA's answer to a [`RawRequest`](crate::RawRequest), unchanged: status, headers and body.
#[derive(Debug)]
pub struct RawResponse {
    response: hyper::Response<Incoming>,
    deadline: Instant,
}

impl RawResponse {
    /// The status FINRA answered.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The headers FINRA answered (paging headers, `FINRA-api-request-id`, …).
    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// Status, headers (owned) and the body as an HTTP body that a server can send on as it is,
    /// with FINRA's exact length when FINRA gave one.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, RawBody) {
        let (parts, body) = self.response.into_parts();
        let body = RawBody {
            body,
            deadline: self.deadline,
            timer: None,
        };
        (parts.status, parts.headers, body)
    }

    /// The body as it arrives.
    pub fn into_body_stream(self) -> impl Stream<Item = Result<Bytes, FinraError>> + Send {
        let (_, _, body) = self.into_parts();
        body.into_data_stream()
    }

    /// The whole body, refused past `max_bytes`.
    pub async fn bytes(self, max_bytes: usize) -> Result<Bytes, FinraError> {
        crate::client::collect_limited(self.into_body_stream(), max_bytes, "the response body")
            .await
    }
}

/// The body of a [`RawResponse`] as an [`http_body::Body`], streamed as FINRA sends it; an error
/// once the client's timeout has run out.
#[derive(Debug)]
pub struct RawBody {
    body: Incoming,
    deadline: Instant,
    /// Armed the first time the body has to wait (a small body that is already here never
    /// touches the timer).
    timer: Option<Pin<Box<Sleep>>>,
}

impl Body for RawBody {
    type Data = Bytes;
    type Error = FinraError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, FinraError>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(connections::transport)));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(FinraError::Timeout {
                what: "the response body".to_owned(),
            }))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
