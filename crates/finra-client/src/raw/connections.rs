//! The connections raw calls go out on: HTTP/1.1 to the API base's host (over TLS when the base
//! is `https`), opened on the first call that finds none idle and kept per thread for the next
//! calls. A thread's calls use connections its own runtime drives, so a proxied call wakes no
//! other thread; a kept connection the server has closed is dropped when next looked at, and a
//! call it could not even start on goes out on another.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use reqwest::Url;
use rustls::pki_types::ServerName;
use thread_local::ThreadLocal;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::builder::TlsSettings;
use crate::error::FinraError;

type Sender = SendRequest<Full<Bytes>>;

/// Most connections a thread keeps; a call that finds them all busy opens one more for itself,
/// closed once its answer is read.
const MAX_KEPT: usize = 1024;

/// The API base's host and how to reach it, with each thread's open connections to it.
pub(super) struct Connections {
    host: String,
    port: u16,
    /// `Some` for `https`: the name the server's certificate must carry.
    server_name: Option<ServerName<'static>>,
    tls_settings: TlsSettings,
    /// Built on the first `https` connection (it loads the platform's root certificates, which
    /// a client that never sends a raw call would pay for at start-up for nothing).
    tls: OnceLock<TlsConnector>,
    connect_timeout: Duration,
    kept: ThreadLocal<RefCell<Vec<Sender>>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("port", &self.port)
            .field("https", &self.server_name.is_some())
            .field(
                "kept_here",
                &self.kept.get().map_or(0, |kept| kept.borrow().len()),
            )
            .finish_non_exhaustive()
    }
}

impl Connections {
    /// Connections to `api_base`'s host, opened within `connect_timeout`.
    pub(super) fn new(
        api_base: &Url,
        connect_timeout: Duration,
        tls_settings: TlsSettings,
    ) -> Result<Self, FinraError> {
        let config = |what: &str| FinraError::Config(format!("the API base {what}"));
        let host = api_base
            .host()
            .ok_or_else(|| config("has no host"))?
            .to_owned();
        let port = api_base
            .port_or_known_default()
            .ok_or_else(|| config("has no port"))?;
        let server_name = match api_base.scheme() {
            "https" => Some(
                match &host {
                    url::Host::Domain(domain) => ServerName::try_from(domain.clone()),
                    url::Host::Ipv4(ip) => Ok(ServerName::from(std::net::IpAddr::V4(*ip))),
                    url::Host::Ipv6(ip) => Ok(ServerName::from(std::net::IpAddr::V6(*ip))),
                }
                .map_err(|_| config("host is not a TLS server name"))?,
            ),
            "http" => None,
            _ => return Err(config("is neither http nor https")),
        };
        // Brackets off an IPv6 literal: the form a socket address parses from.
        let host = match host {
            url::Host::Domain(domain) => domain,
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        Ok(Self {
            host,
            port,
            server_name,
            tls_settings,
            tls: OnceLock::new(),
            connect_timeout,
            kept: ThreadLocal::new(),
        })
    }

    /// Sends `request` (origin-form URI) on a kept connection that is idle, or on a new one.
    pub(super) async fn send(
        &self,
        mut request: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<Incoming>, FinraError> {
        while let Some(mut sender) = self.idle() {
            let answer = sender.try_send_request(request);
            self.keep(sender);
            match answer.await {
                Ok(response) => return Ok(response),
                Err(mut refused) => match refused.take_message() {
                    // Closed before the request left: nothing was sent, try another.
                    Some(unsent) => request = unsent,
                    None => return Err(transport(refused.into_error())),
                },
            }
        }
        // Boxed: opening a connection (TCP, TLS, the HTTP handshake) is rare and its future
        // kilobytes, which every request's future would otherwise carry, allocate and copy.
        let mut sender = Box::pin(self.open()).await?;
        sender.ready().await.map_err(transport)?;
        let answer = sender.try_send_request(request);
        self.keep(sender);
        answer
            .await
            .map_err(|refused| transport(refused.into_error()))
    }

    /// The idle kept connection of this thread's used last, dropping the closed ones on the
    /// way. Last in, first out, as nginx's and hyper's pools: a lone caller keeps one warm
    /// connection (its buffers, its task and the server's side of it) instead of taking turns on
    /// every connection a busier moment opened.
    fn idle(&self) -> Option<Sender> {
        let mut kept = self.kept.get()?.borrow_mut();
        kept.retain(|sender| !sender.is_closed());
        let idle = kept.iter().rposition(Sender::is_ready)?;
        Some(kept.remove(idle))
    }

    /// Keeps a connection (busy or idle) for this thread's next calls, last, unless it keeps
    /// enough.
    fn keep(&self, sender: Sender) {
        let mut kept = self.kept.get_or_default().borrow_mut();
        if kept.len() < MAX_KEPT {
            kept.push(sender);
        }
    }

    /// A new connection, driven by a task of the current runtime.
    async fn open(&self) -> Result<Sender, FinraError> {
        let connect = async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(transport)?;
            let _ = tcp.set_nodelay(true);
            Ok::<_, FinraError>(tcp)
        };
        let tcp = tokio::time::timeout(self.connect_timeout, connect)
            .await
            .map_err(|_| FinraError::Timeout {
                what: "connecting to the API".to_owned(),
            })??;
        match &self.server_name {
            None => self.handshake(tcp).await,
            Some(name) => {
                let tls = self
                    .tls()?
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(transport)?;
                self.handshake(tls).await
            }
        }
    }

    /// HTTP/1.1 over `io`, its connection driven by a spawned task.
    async fn handshake<Io>(&self, io: Io) -> Result<Sender, FinraError>
    where
        Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, connection) = http1::handshake(TokioIo::new(io))
            .await
            .map_err(transport)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a connection to the API ended with an error");
            }
        });
        Ok(sender)
    }

    /// The TLS connector, built on first use.
    fn tls(&self) -> Result<&TlsConnector, FinraError> {
        if let Some(connector) = self.tls.get() {
            return Ok(connector);
        }
        let mut config = super::tls_config(&self.tls_settings)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(self
            .tls
            .get_or_init(|| TlsConnector::from(Arc::new(config))))
    }
}

/// A failure of the connection itself (connecting, TLS, HTTP), as the client reports it.
pub(super) fn transport(error: impl std::error::Error + Send + Sync + 'static) -> FinraError {
    FinraError::Transport(Box::new(error))
}
