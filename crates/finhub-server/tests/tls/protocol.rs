//! The protocol: TLS 1.2 and 1.3 only. rustls has no code for older versions, so the refusal is
//! shown three ways: the server configuration supports exactly 1.2 and 1.3; a client speaking
//! only TLS 1.1 (or 1.0) — a hand-built ClientHello, since no Rust client here offers those
//! versions — gets a fatal alert instead of a ServerHello; and, where the `openssl` command is
//! installed, `openssl s_client -tls1_1` fails the handshake. Clients limited to 1.2 or to 1.3
//! both get in. A silent client is dropped after the handshake timeout.

use std::time::Duration;

use reqwest::StatusCode;
use rustls::ProtocolVersion;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Hub, PKI, client_config, client_from, tls_server};

#[test]
fn the_server_configuration_is_built_for_exactly_tls_1_2_and_1_3() {
    // rustls keeps a config's enabled versions private; the hub builds every server config from
    // this list (and the handshake tests below show what it does on the wire).
    let versions: Vec<ProtocolVersion> = finhub_server::tls::PROTOCOL_VERSIONS
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(
        versions,
        [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]
    );
    let tls = tls_server(true);
    assert_eq!(tls.server_config().alpn_protocols, [b"http/1.1".to_vec()]);
    assert!(tls.asks_for_client_certificates());
    assert!(!tls_server(false).asks_for_client_certificates());
}

/// A TLS 1.0/1.1 ClientHello (legacy version field, CBC suites, no `supported_versions`).
fn legacy_client_hello(version: [u8; 2]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version);
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // no session id
    let suites: [u16; 4] = [0xc013, 0xc009, 0x002f, 0x0035];
    body.extend_from_slice(
        &u16::try_from(suites.len() * 2)
            .expect("small")
            .to_be_bytes(),
    );
    for suite in suites {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression: null
    let mut handshake = vec![1]; // ClientHello
    handshake.extend_from_slice(&u32::try_from(body.len()).expect("small").to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&u16::try_from(handshake.len()).expect("small").to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

#[tokio::test]
async fn clients_limited_to_tls_1_1_or_1_0_get_a_fatal_alert_not_a_server_hello() {
    let hub = Hub::production().await;
    for (name, version) in [("TLS 1.1", [3, 2]), ("TLS 1.0", [3, 1])] {
        let mut tcp = TcpStream::connect(hub.addr).await.expect("connect");
        tcp.write_all(&legacy_client_hello(version))
            .await
            .expect("send the ClientHello");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
            .await
            .expect("the server answers at once, it does not hang");
        let _ = read; // a reset after the alert is fine
        assert!(answer.len() >= 7, "{name}: {answer:?}");
        assert_eq!(
            answer[0], 0x15,
            "{name}: an alert record, not a handshake: {answer:?}"
        );
        assert_eq!(answer[5], 2, "{name}: fatal");
        assert!(
            [40, 70].contains(&answer[6]),
            "{name}: handshake_failure or protocol_version, got {}",
            answer[6]
        );
    }
}

#[tokio::test]
async fn openssl_s_client_limited_to_tls_1_1_cannot_connect() {
    let hub = Hub::production().await;
    let addr = hub.addr.to_string();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &addr,
                "-tls1_1",
                "-cipher",
                "DEFAULT@SECLEVEL=0",
            ])
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await
    .expect("join");
    let Ok(output) = run else {
        eprintln!("openssl is not installed: covered by the hand-built ClientHello test");
        return;
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if text.contains("nknown option") || text.contains("not supported") {
        eprintln!("this openssl cannot offer TLS 1.1 at all: {text}");
        return;
    }
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("alert") || text.contains("no protocols available"),
        "{text}"
    );
    assert!(
        !text.contains("BEGIN CERTIFICATE"),
        "no server certificate was sent: {text}"
    );
}

#[tokio::test]
async fn clients_limited_to_tls_1_2_or_to_tls_1_3_both_get_in() {
    let hub = Hub::production().await;
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let client = client_from(client_config(Some(&PKI.bound), &[version]), false);
        let answer = hub.login(&client, &hub.client_body()).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{version:?}: {:?}",
            answer.body
        );
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_dropped() {
    let hub = Hub::production().await;
    let mut tcp = TcpStream::connect(hub.addr).await.expect("connect");
    // Say nothing; the hub closes the connection after its handshake timeout (5 s here).
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(15), tcp.read(&mut buffer))
        .await
        .expect("closed by the hub, not left open");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // Meanwhile the hub serves others.
    let client = client_from(
        client_config(Some(&PKI.bound), rustls::DEFAULT_VERSIONS),
        false,
    );
    let health = hub.get(&client, "/healthz", "").await;
    assert_eq!(health.status, StatusCode::OK);
}
