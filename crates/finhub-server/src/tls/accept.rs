//! HTTPS on the shared accept loop: the TLS handshake runs in the connection's own task (bounded
//! by the handshake timeout, so a silent client holds nothing for long), the client certificate
//! is validated once per connection, and its [`super::TlsConnectionInfo`] goes into every
//! request of the connection.

use std::future::Future;

use finhub_clock::SharedClock;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::TlsServer;
use crate::serve::{
    Application, ConnectionLimits, ConnectionSlots, connection_slots, serve_connections,
};

/// Serves the hub over HTTPS on `listener` until `shutdown` completes, then finishes requests in
/// flight. Every request carries its connection's [`super::TlsConnectionInfo`].
pub async fn serve_tls(
    listener: TcpListener,
    app: impl Application,
    limits: ConnectionLimits,
    tls: TlsServer,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = connection_slots(&limits);
    serve_tls_sharing(listener, app, limits, slots, tls, clock, shutdown).await
}

/// [`serve_tls`], taking its connections' slots from `slots`.
pub(crate) async fn serve_tls_sharing(
    listener: TcpListener,
    app: impl Application,
    limits: ConnectionLimits,
    slots: ConnectionSlots,
    tls: TlsServer,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(std::sync::Arc::clone(tls.server_config()));
    let handshake = move |tcp, peer| {
        let acceptor = acceptor.clone();
        let tls = tls.clone();
        let clock = std::sync::Arc::clone(&clock);
        async move {
            match tokio::time::timeout(tls.handshake_timeout(), acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let info = tls.inspect(stream.get_ref().1, clock.now_utc());
                    Some((stream, Some(info)))
                }
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    None
                }
            }
        }
    };
    serve_connections(listener, app, limits, slots, shutdown, handshake).await
}
