//! The PROXY protocol from trusted load balancers: a balancer that passes TCP through (so TLS,
//! and the client certificate, end at the hub) tells the hub the client's address in a header
//! before the connection's first byte — version 2 (binary; HAProxy's `send-proxy-v2`) or
//! version 1 (one text line; what nginx's `proxy_protocol on` sends). The hub reads it only on
//! connections whose peer is one of `trusted_proxies`, and only when `proxy_protocol = true`;
//! from them the header is required (a connection without one is closed). Parsing is `ppp`'s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use finhub_core::net::TrustedProxies;
use ppp::v1;
use ppp::v2::{Addresses, Command, Header};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// The fixed start of a version 2 header: signature (12 bytes), version and command, family and
/// protocol, and the length of the rest (2 bytes).
const FIXED_PART: usize = 16;
/// What every header starts with, and how much is read before telling the versions apart: the
/// shortest version 1 line (`PROXY UNKNOWN\r\n`) is longer.
const START: usize = 8;
/// The longest version 1 line, CRLF included.
const MAX_V1: usize = 107;
/// Longest address block and extensions read (IPv6 addresses take 36 bytes; balancers add a few
/// small TLVs).
const MAX_REST: usize = 1_024;

/// Whose connections start with a PROXY header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyProtocol(Option<Arc<TrustedProxies>>);

impl ProxyProtocol {
    /// No connection carries a header (the default).
    pub fn off() -> Self {
        Self(None)
    }

    /// Connections from `proxies` start with a header.
    pub fn from(proxies: TrustedProxies) -> Self {
        Self(Some(Arc::new(proxies)))
    }

    /// Whether a connection from `peer` must start with a header.
    fn expected_from(&self, peer: SocketAddr) -> bool {
        self.0
            .as_ref()
            .is_some_and(|proxies| proxies.contains(peer.ip()))
    }

    /// The address the connection speaks for: the client's as the header gives it (read within
    /// `within`), or `peer` when no header is expected or the balancer speaks for itself
    /// (`LOCAL`, a health check). `None`: the header is missing, malformed or late — close.
    pub(super) async fn client_of(
        &self,
        tcp: &mut TcpStream,
        peer: SocketAddr,
        within: Duration,
    ) -> Option<SocketAddr> {
        if !self.expected_from(peer) {
            return Some(peer);
        }
        match tokio::time::timeout(within, read_header(tcp)).await {
            Ok(Ok(bytes)) => match parse(&bytes) {
                Ok(Some(client)) => Some(client),
                Ok(None) => Some(peer),
                Err(problem) => {
                    tracing::warn!(%peer, problem, "a trusted proxy sent a bad PROXY header");
                    None
                }
            },
            Ok(Err(error)) => {
                tracing::warn!(%peer, %error, "a trusted proxy's connection has no PROXY header");
                None
            }
            Err(_) => {
                tracing::warn!(%peer, "a trusted proxy sent no PROXY header in time");
                None
            }
        }
    }
}

/// Reads exactly one header and nothing after it. Its first bytes tell the version — refused
/// at once when they are neither, so a connection that sent something else is not kept waiting:
/// version 2's fixed part, then the length it gives (at most [`MAX_REST`]); version 1's line, a
/// byte at a time up to its line feed (at most [`MAX_V1`] bytes), so the client's own first
/// bytes stay unread.
async fn read_header(tcp: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let invalid = |what: &'static str| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut bytes = vec![0; START];
    tcp.read_exact(&mut bytes).await?;
    if bytes.starts_with(b"PROXY ") {
        while bytes.last() != Some(&b'\n') {
            if bytes.len() >= MAX_V1 {
                return Err(invalid("a PROXY line longer than version 1 allows"));
            }
            bytes.push(tcp.read_u8().await?);
        }
        return Ok(bytes);
    }
    if !ppp::v2::PROTOCOL_PREFIX.starts_with(&bytes) {
        return Err(invalid("not a PROXY protocol header"));
    }
    bytes.resize(FIXED_PART, 0);
    tcp.read_exact(&mut bytes[START..]).await?;
    if !bytes.starts_with(ppp::v2::PROTOCOL_PREFIX) {
        return Err(invalid("not a PROXY protocol header"));
    }
    let rest = usize::from(u16::from_be_bytes([bytes[14], bytes[15]]));
    if rest > MAX_REST {
        return Err(invalid("a PROXY header longer than the hub reads"));
    }
    bytes.resize(FIXED_PART + rest, 0);
    tcp.read_exact(&mut bytes[FIXED_PART..]).await?;
    Ok(bytes)
}

/// The client address a header gives: `Some` for a proxied TCP connection over IPv4 or IPv6,
/// `None` for version 2's `LOCAL` and version 1's `UNKNOWN`; anything else is an error.
fn parse(bytes: &[u8]) -> Result<Option<SocketAddr>, &'static str> {
    if bytes.starts_with(b"PROXY ") {
        let header = v1::Header::try_from(bytes).map_err(|_| "not a PROXY protocol v1 line")?;
        return Ok(match header.addresses {
            v1::Addresses::Tcp4(ip) => Some(SocketAddr::from((ip.source_address, ip.source_port))),
            v1::Addresses::Tcp6(ip) => Some(SocketAddr::from((ip.source_address, ip.source_port))),
            v1::Addresses::Unknown => None,
        });
    }
    let header = Header::try_from(bytes).map_err(|_| "not a PROXY protocol v2 header")?;
    if header.command == Command::Local {
        return Ok(None);
    }
    match header.addresses {
        Addresses::IPv4(ip) => Ok(Some(SocketAddr::from((ip.source_address, ip.source_port)))),
        Addresses::IPv6(ip) => Ok(Some(SocketAddr::from((ip.source_address, ip.source_port)))),
        Addresses::Unix(_) | Addresses::Unspecified => {
            Err("a PROXY header without an IP source address")
        }
    }
}

#[cfg(test)]
mod tests {
    use ppp::v2::{Builder, Protocol, Version};

    use super::*;

    fn header(command: Command, source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
        Builder::with_addresses(
            Version::Two | command,
            Protocol::Stream,
            (source, destination),
        )
        .build()
        .expect("a header")
    }

    #[test]
    fn a_proxied_connection_speaks_for_its_source_and_local_for_the_balancer() {
        let client: SocketAddr = "203.0.113.7:51000".parse().expect("address");
        let hub: SocketAddr = "10.0.0.2:8443".parse().expect("address");
        assert_eq!(
            parse(&header(Command::Proxy, client, hub)),
            Ok(Some(client))
        );
        let v6: SocketAddr = "[2001:db8::7]:51000".parse().expect("address");
        let hub6: SocketAddr = "[2001:db8::2]:8443".parse().expect("address");
        assert_eq!(parse(&header(Command::Proxy, v6, hub6)), Ok(Some(v6)));
        assert_eq!(parse(&header(Command::Local, client, hub)), Ok(None));
    }

    #[test]
    fn a_version_1_line_speaks_for_its_source_too() {
        assert_eq!(
            parse(b"PROXY TCP4 203.0.113.7 10.0.0.2 51000 8443\r\n"),
            Ok(Some("203.0.113.7:51000".parse().expect("address")))
        );
        assert_eq!(
            parse(b"PROXY TCP6 2001:db8::7 2001:db8::2 51000 8443\r\n"),
            Ok(Some("[2001:db8::7]:51000".parse().expect("address")))
        );
        assert_eq!(parse(b"PROXY UNKNOWN\r\n"), Ok(None));
    }

    #[test]
    fn anything_else_is_refused() {
        let client: SocketAddr = "203.0.113.7:51000".parse().expect("address");
        let hub: SocketAddr = "10.0.0.2:8443".parse().expect("address");
        let mut good = header(Command::Proxy, client, hub);
        assert!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").is_err());
        assert!(
            parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n").is_err(),
            "a port missing"
        );
        assert!(parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2").is_err(), "no CRLF");
        assert!(
            parse(b"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n").is_err(),
            "family mismatch"
        );
        assert!(parse(&good[..good.len() - 1]).is_err(), "truncated");
        good[12] = 0x31;
        assert!(parse(&good).is_err(), "version 3");
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn only_trusted_peers_are_expected_to_send_a_header() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".to_owned()]).expect("list");
        let policy = ProxyProtocol::from(proxies);
        assert!(policy.expected_from("10.1.2.3:4000".parse().expect("address")));
        assert!(!policy.expected_from("192.0.2.1:4000".parse().expect("address")));
        assert!(!ProxyProtocol::off().expected_from("10.1.2.3:4000".parse().expect("address")));
    }
}
