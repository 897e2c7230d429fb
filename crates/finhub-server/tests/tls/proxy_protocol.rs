//! Behind a load balancer that passes TCP through (TLS ends at the hub) and says who the client
//! is with a PROXY protocol v2 header: the client certificate and the client's address both
//! reach the hub's decisions. A balancer stands in here as a relay in the test (it writes the
//! header, then copies bytes both ways). The header is believed only from `trusted_proxies`, and
//! required from them.

use std::net::SocketAddr;

use ppp::v2::{Builder as HeaderBuilder, Command, Protocol, Version};
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::support::{FreezeGuard, Hub, PKI, client, event_of, login_at};

/// A relay on `127.0.0.1:0` to `hub` that starts each connection with a PROXY header naming
/// `client` as the source (or none); its address.
async fn balancer(hub: SocketAddr, client: Option<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(hub).await else {
                    return;
                };
                if let Some(client) = client {
                    let header = HeaderBuilder::with_addresses(
                        Version::Two | Command::Proxy,
                        Protocol::Stream,
                        (client, hub),
                    )
                    .build()
                    .expect("a header");
                    if outbound.write_all(&header).await.is_err() {
                        return;
                    }
                }
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    addr
}

/// `path` through `balancer` (which listens on 127.0.0.1, as the server certificate names).
fn via(balancer: SocketAddr, path: &str) -> String {
    format!("https://{balancer}{path}")
}

#[tokio::test(start_paused = true)]
async fn the_client_certificate_and_the_clients_address_both_survive_the_balancer() {
    let _freeze = FreezeGuard::new();
    let hub = Hub::builder()
        .behind_proxies(&["127.0.0.1/32"])
        .allow_list(&["203.0.113.0/24"])
        .start()
        .await;
    let outside: SocketAddr = "203.0.113.7:51000".parse().expect("address");
    let front = balancer(hub.addr, Some(outside)).await;
    let client = client(Some(&PKI.bound));
    let body = hub.client_body();

    let answer = login_at(&client, &format!("https://{front}"), &body).await;
    assert_eq!(answer.status, StatusCode::OK);
    let request_id = answer.request_id();
    let events = hub.audit().await;
    let event = event_of(&events, &request_id);
    assert_eq!(
        event.peer_addr, "203.0.113.7",
        "the header's source is the peer"
    );
    assert_eq!(event.client_addr, "203.0.113.7");
    assert_eq!(
        event.client_certificate.as_deref(),
        Some(PKI.bound.fingerprint().to_hex().as_str()),
        "the certificate was checked by the hub"
    );

    // A client the allow-list does not name, through the same balancer: refused for its own
    // address, not the balancer's.
    let elsewhere: SocketAddr = "198.51.100.9:40000".parse().expect("address");
    let other_front = balancer(hub.addr, Some(elsewhere)).await;
    let refused = login_at(&client, &format!("https://{other_front}"), &body).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test(start_paused = true)]
async fn a_trusted_proxy_must_send_the_header_and_nobody_else_is_believed() {
    let _freeze = FreezeGuard::new();
    let hub = Hub::builder()
        .behind_proxies(&["127.0.0.1/32"])
        .allow_list(&["203.0.113.0/24"])
        .start()
        .await;
    let client = client(Some(&PKI.bound));
    // From the trusted address without a header: the connection is closed.
    let bare = balancer(hub.addr, None).await;
    assert!(
        client.get(via(bare, "/healthz")).send().await.is_err(),
        "no header from a trusted proxy"
    );
    // A header from an address that is not a trusted proxy is not read as one: its bytes are
    // not TLS, so that connection fails too, and nothing it claimed is believed.
    let untrusted = Hub::builder()
        .behind_proxies(&["10.9.9.9/32"])
        .allow_list(&["203.0.113.0/24"])
        .start()
        .await;
    let outside: SocketAddr = "203.0.113.7:51000".parse().expect("address");
    let spoofing = balancer(untrusted.addr, Some(outside)).await;
    assert!(client.get(via(spoofing, "/healthz")).send().await.is_err());
    // Direct, from an address that is not a proxy: served as it is, its own address used (and
    // refused by the allow-list).
    let direct = untrusted.login(&client, &untrusted.client_body()).await;
    assert_eq!(direct.status, StatusCode::FORBIDDEN);
}
