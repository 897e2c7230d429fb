//! Network policy: tenant address allow-lists, and which address a request really comes from
//! (`X-Forwarded-For` is honoured only when the peer is a configured trusted proxy).

use std::net::IpAddr;

use ipnet::IpNet;

/// A list of networks (`10.0.0.0/8`, `2001:db8::/32`, or single addresses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetList(Vec<IpNet>);

impl NetList {
    /// Parses entries written as CIDR networks or single addresses.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `addr` is in one of the networks (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries as text, for storage and display.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// A tenant's allow-list. Empty means "any address" (refused by the production profile).
pub type AllowList = NetList;

/// Proxies whose `X-Forwarded-For` the hub believes.
pub type TrustedProxies = NetList;

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Garbage in the header
/// falls back to the peer.
pub fn client_address(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    trusted: &TrustedProxies,
) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(addr) if trusted.contains(addr) => {}
            Ok(addr) => return canonical(addr),
            Err(_) => return peer,
        }
    }
    peer
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let trusted = NetList::parse(&["10.0.0.0/8"]).expect("valid");
        assert_eq!(
            client_address(ip("203.0.113.9"), Some("1.2.3.4"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), Some("1.2.3.4"), &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), Some("6.6.6.6, 1.2.3.4, 10.0.0.7"), &trusted),
            ip("1.2.3.4"),
            "the right-most untrusted hop wins; a client-written left part is ignored"
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), Some("garbage"), &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), None, &trusted),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn allow_lists_take_networks_and_single_addresses_and_map_ipv4_in_ipv6() {
        let list =
            NetList::parse(&["192.168.1.0/24", "127.0.0.1", "2001:db8::/32"]).expect("valid");
        assert!(list.contains(ip("192.168.1.77")));
        assert!(list.contains(ip("::ffff:127.0.0.1")));
        assert!(list.contains(ip("2001:db8::1")));
        assert!(!list.contains(ip("192.168.2.1")));
        assert!(NetList::parse(&["not-an-ip"]).is_err());
        assert_eq!(list.to_strings()[1], "127.0.0.1/32");
    }
}
