//! The accept loop both listeners share, and [`serve`] (plain HTTP) on it: at most
//! `max_connections` served at once (past it, each loop holds one more connection unserved
//! and the rest wait in the listen queue), HTTP/1.1 only, the idle and
//! header-read time limits of every connection, the peer address (and, over TLS, the
//! connection's TLS facts) in every request, and graceful shutdown: stop accepting, let requests
//! in flight finish, close idle connections. [`ServingThreads`] runs the same loop on several
//! threads.

mod deadlines;
mod proxy_protocol;
mod threads;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

use crate::http::body_end::BodyWithEnd;
use crate::tls::TlsConnectionInfo;
use deadlines::{Activity, TimedIo};

pub use proxy_protocol::ProxyProtocol;
pub use threads::ServingThreads;

/// What a listener serves: the hub's [`crate::http::App`], or another axum router (the
/// operations listener's).
pub trait Application:
    Service<hyper::Request<Incoming>, Response = Response, Error = Infallible, Future: Send>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<A> Application for A where
    A: Service<hyper::Request<Incoming>, Response = Response, Error = Infallible, Future: Send>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// The connections a listener (or a group of them) may have open at once: one permit each.
pub(crate) type ConnectionSlots = Arc<Semaphore>;

/// Slots for `limits.max_connections` connections.
pub(crate) fn connection_slots(limits: &ConnectionLimits) -> ConnectionSlots {
    Arc::new(Semaphore::new(limits.max_connections))
}

/// The time limits and the cap of a listener's connections, and whose connections start with a
/// PROXY protocol header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a request's headers may take to arrive once its first byte has.
    pub header_read_timeout: Duration,
    /// How long a connection may wait for its next request (or its first).
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Whose connections start with a PROXY protocol v2 header (trusted load balancers).
    pub proxy_protocol: ProxyProtocol,
}

/// Serves `app` (the hub's [`crate::http::app`]) over plain HTTP on `listener` within
/// `limits` until `shutdown` completes, then finishes requests in flight.
///
/// Plain HTTP has no client certificates, so no certificate policy applies to what it serves:
/// `finhub serve` uses it only for the integration profile with `tls.plain_http = true`, and the
/// production profile goes through [`crate::serve_tls`].
pub async fn serve(
    listener: TcpListener,
    app: impl Application,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = connection_slots(&limits);
    serve_plain_sharing(listener, app, limits, slots, shutdown).await
}

/// [`serve`], taking its connections' slots from `slots`.
pub(crate) async fn serve_plain_sharing(
    listener: TcpListener,
    app: impl Application,
    limits: ConnectionLimits,
    slots: ConnectionSlots,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_connections(
        listener,
        app,
        limits,
        slots,
        shutdown,
        |tcp, _| async move { Some((tcp, None)) },
    )
    .await
}

/// Accepts connections on `listener` while `slots` has one free, runs `handshake` on each in
/// its own task (plain HTTP: the TCP stream itself; HTTPS: the TLS handshake, `None` when it
/// fails), and serves HTTP/1.1 on what it gives, until `shutdown` completes.
pub(crate) async fn serve_connections<Io, Handshake, Handshaking>(
    listener: TcpListener,
    app: impl Application,
    limits: ConnectionLimits,
    slots: ConnectionSlots,
    shutdown: impl Future<Output = ()> + Send + 'static,
    handshake: Handshake,
) -> std::io::Result<()>
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    Handshake: Fn(TcpStream, SocketAddr) -> Handshaking + Clone + Send + 'static,
    Handshaking: Future<Output = Option<(Io, Option<TlsConnectionInfo>)>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (mut tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Then a slot: at the cap, this connection waits unserved and the next ones wait in
        // the listen queue. Taken after the accept, so a loop waiting for a connection holds
        // none (several loops share one cap: an idle one must not keep a slot from the others).
        let slot = tokio::select! {
            slot = ConnectionSlots::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let watcher = graceful.watcher();
        let handshake = handshake.clone();
        let app = app.clone();
        let limits = limits.clone();
        tokio::spawn(async move {
            let _slot = slot;
            // Behind a trusted balancer, the client's address is the header's.
            let Some(peer) = limits
                .proxy_protocol
                .client_of(&mut tcp, peer, limits.header_read_timeout)
                .await
            else {
                return;
            };
            let Some((io, tls)) = handshake(tcp, peer).await else {
                return;
            };
            let activity = Activity::new(&limits);
            let io = TimedIo::new(io, Arc::clone(&activity));
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    let in_flight = activity.request_started();
                    let extensions = request.extensions_mut();
                    extensions.insert(ConnectInfo(peer));
                    if let Some(tls) = &tls {
                        extensions.insert(tls.clone());
                    }
                    let answer = app.clone().oneshot(request);
                    async move {
                        let response = answer.await?;
                        // The request stays in flight until its answer has been written.
                        Ok::<_, Infallible>(
                            response.map(|body| BodyWithEnd::new(body, move || drop(in_flight))),
                        )
                    }
                });
            // The connection's time limits are `TimedIo`'s: hyper gets no timer, so it arms
            // none of its own per request.
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(io), service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
