//! The HTTPS accept loop: accept TCP, run the TLS handshake in the connection's own task (bounded
//! by the handshake timeout, so a silent client holds nothing for long), validate the client
//! certificate once per connection, and serve HTTP/1.1 with hyper, inserting the peer address
//! (`ConnectInfo`) and the [`super::TlsConnectionInfo`] into every request's extensions. Graceful
//! shutdown: stop accepting, let requests in flight finish, close idle connections.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::TlsServer;
use crate::state::AppState;

/// Time allowed for a request's headers to arrive (also on a kept-alive connection).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the hub over HTTPS on `listener` until `shutdown` completes, then finishes requests in
/// flight. Every request carries its connection's [`super::TlsConnectionInfo`].
pub async fn serve_tls(
    listener: TcpListener,
    state: AppState,
    tls: TlsServer,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Certificates are validated on the hub's clock, like every other expiry.
    let clock = std::sync::Arc::clone(state.auth.clock());
    let router = crate::http::router(state);
    let acceptor = TlsAcceptor::from(std::sync::Arc::clone(tls.server_config()));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
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
        let _ = tcp.set_nodelay(true);
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let tls = tls.clone();
        let router = router.clone();
        let clock = std::sync::Arc::clone(&clock);
        tokio::spawn(async move {
            let stream =
                match tokio::time::timeout(tls.handshake_timeout(), acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(error)) => {
                        tracing::debug!(%peer, %error, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            let info = tls.inspect(stream.get_ref().1, clock.now_utc());
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    let extensions = request.extensions_mut();
                    extensions.insert(ConnectInfo(peer));
                    extensions.insert(info.clone());
                    router.clone().oneshot(request)
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%peer, %error, "HTTPS connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
