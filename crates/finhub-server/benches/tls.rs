//! TLS benchmark, every figure beside a baseline measured in the same run:
//! - full TLS handshakes per second with client certificates (mutual TLS, session resumption off,
//!   one `GET /v1/noop` per connection, `Connection: close`), TLS 1.3 and TLS 1.2, against new
//!   plain-HTTP connections per second doing the same;
//! - requests per second on kept-alive TLS 1.3 connections against kept-alive plain HTTP, same
//!   route.
//!
//! One binary, one run: the hub (production profile: mandatory client certificates, the
//! certificate gate runs on every request) is served by `serve_tls` (HTTPS, throw-away ECDSA
//! P-256 PKI from `finhub_server::tls::pki`) and by `serve` (plain HTTP) from the same state, on a
//! tokio runtime with 2 workers. The load generator is a second tokio runtime (2 workers) in the
//! same process speaking raw HTTP/1.1 over tokio-rustls (wrk cannot present client
//! certificates) — it shares the same two cores with the server, so the absolute figures are
//! lower bounds and the ratios are the result. Client sockets close with a zero linger, so
//! hundreds of thousands of short connections leave no TIME_WAIT behind.
//!
//! Run: `bench/tls.sh` or `cargo bench -p finhub-server --bench tls`; `FINHUB_BENCH_SECONDS`
//! (default 5) and `FINHUB_BENCH_CONNECTIONS` (default 32) change the obvious things.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use finhub_clock::SystemClock;
use finhub_server::AppState;
use finhub_server::config::{Config, RawConfig};
use finhub_server::tls::pki::{CertificateAuthority, IssuedCertificate};
use finhub_server::tls::{TlsMaterial, TlsServer};
use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const KEEP_ALIVE: &[u8] = b"GET /v1/noop HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const CLOSE: &[u8] = b"GET /v1/noop HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

struct Fixture {
    tls_addr: SocketAddr,
    plain_addr: SocketAddr,
    ca: CertificateAuthority,
    client: IssuedCertificate,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn start() -> Fixture {
    let now = time::OffsetDateTime::now_utc();
    let ca = CertificateAuthority::new("FinHub bench CA", now).expect("CA");
    let server = ca.issue_server(&[], now).expect("server certificate");
    let client = ca
        .issue_client("bench-client", now)
        .expect("client certificate");
    let mut raw = RawConfig {
        profile: "production".into(),
        listen: "127.0.0.1:0".into(),
        database_url: "sqlite::memory:".into(),
        ..RawConfig::default()
    };
    raw.keys.session_secret = Some("bench-session-key-0123456789abcdef".into());
    raw.keys.data_key = Some(base64::engine::general_purpose::STANDARD.encode([3u8; 32]));
    let config = Config::from_raw(raw).expect("bench config");
    let state = AppState::build(config, SystemClock::shared())
        .await
        .expect("state");
    let tls = TlsServer::from_material(&TlsMaterial {
        cert_chain_pem: server.cert_pem.clone().into_bytes(),
        key_pem: server.key_pem.clone().into_bytes(),
        client_ca_pems: vec![ca.certificate().cert_pem.clone().into_bytes()],
        crls: vec![ca.crl(&[], now).expect("CRL").into_bytes()],
        handshake_timeout: None,
    })
    .expect("TLS material");
    let tls_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let plain_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let tls_addr = tls_listener.local_addr().expect("addr");
    let plain_addr = plain_listener.local_addr().expect("addr");
    let limits = state.http.connections.clone();
    let app = finhub_server::http::app(state.clone());
    tokio::spawn(finhub_server::serve_tls(
        tls_listener,
        app.clone(),
        limits.clone(),
        tls,
        state.clock.clone(),
        std::future::pending(),
    ));
    tokio::spawn(finhub_server::serve(
        plain_listener,
        app,
        limits,
        std::future::pending(),
    ));
    Fixture {
        tls_addr,
        plain_addr,
        ca,
        client,
    }
}

fn client_config(
    fixture: &Fixture,
    version: &'static SupportedProtocolVersion,
    with_certificate: bool,
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(fixture.ca.certificate().der.clone())
        .expect("root");
    let builder = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[version])
    .expect("version")
    .with_root_certificates(roots);
    let mut config = if with_certificate {
        builder
            .with_client_auth_cert(
                vec![fixture.client.der.clone()],
                PrivateKeyDer::from_pem_slice(fixture.client.key_pem.as_bytes()).expect("key"),
            )
            .expect("client certificate")
    } else {
        builder.with_no_client_auth()
    };
    // Every connection is a full handshake.
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

/// Sends one request and reads the response head; returns its status code.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<u16> {
    stream.write_all(request).await?;
    buffer.clear();
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if buffer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let status = std::str::from_utf8(buffer.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(status)
}

async fn connect(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_zero_linger();
    tcp
}

/// One connection, one request, closed: TLS when `tls` is set.
async fn one_shot(addr: SocketAddr, tls: Option<&TlsConnector>, buffer: &mut Vec<u8>) -> u16 {
    let tcp = connect(addr).await;
    match tls {
        Some(connector) => {
            let name = ServerName::try_from("127.0.0.1").expect("name");
            let mut stream = connector.connect(name, tcp).await.expect("TLS handshake");
            exchange(&mut stream, CLOSE, buffer).await.expect("request")
        }
        None => {
            let mut stream = tcp;
            exchange(&mut stream, CLOSE, buffer).await.expect("request")
        }
    }
}

/// Result of one phase: operations per second and the median latency of one operation.
struct Rate {
    per_second: f64,
    p50: Duration,
}

fn summarise(counts: Vec<Vec<Duration>>, elapsed: Duration) -> Rate {
    let mut all: Vec<Duration> = counts.into_iter().flatten().collect();
    all.sort_unstable();
    let p50 = all.get(all.len() / 2).copied().unwrap_or_default();
    Rate {
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50,
    }
}

/// `connections` tasks opening a connection per request until the deadline.
async fn new_connections(
    addr: SocketAddr,
    tls: Option<TlsConnector>,
    connections: u64,
    seconds: u64,
) -> Rate {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let tls = tls.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut buffer = Vec::with_capacity(1024);
                while Instant::now() < deadline {
                    let one = Instant::now();
                    let status = one_shot(addr, tls.as_ref(), &mut buffer).await;
                    assert_eq!(status, 204, "every connection is served");
                    latencies.push(one.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.push(task.await.expect("join"));
    }
    summarise(all, started.elapsed())
}

/// `connections` kept-alive connections sending requests back to back until the deadline.
async fn kept_alive(
    addr: SocketAddr,
    tls: Option<TlsConnector>,
    connections: u64,
    seconds: u64,
) -> Rate {
    let mut streams = Vec::new();
    for _ in 0..connections {
        let tcp = connect(addr).await;
        streams.push(match &tls {
            Some(connector) => {
                let name = ServerName::try_from("127.0.0.1").expect("name");
                Stream::Tls(Box::new(connector.connect(name, tcp).await.expect("TLS")))
            }
            None => Stream::Plain(tcp),
        });
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut buffer = Vec::with_capacity(1024);
                while Instant::now() < deadline {
                    let one = Instant::now();
                    let status = match &mut stream {
                        Stream::Tls(s) => exchange(s.as_mut(), KEEP_ALIVE, &mut buffer).await,
                        Stream::Plain(s) => exchange(s, KEEP_ALIVE, &mut buffer).await,
                    }
                    .expect("request");
                    assert_eq!(status, 204);
                    latencies.push(one.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.push(task.await.expect("join"));
    }
    summarise(all, started.elapsed())
}

enum Stream {
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Plain(TcpStream),
}

fn line(label: &str, rate: &Rate, unit: &str) {
    println!(
        "{label:<58} {:>9.0} {unit}  p50 {:>8.2} ms",
        rate.per_second,
        rate.p50.as_secs_f64() * 1_000.0
    );
}

fn main() {
    let seconds = env_number("FINHUB_BENCH_SECONDS", 5);
    let connections = env_number("FINHUB_BENCH_CONNECTIONS", 32);
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let generator = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("load-generator runtime");
    let fixture = server.block_on(start());
    println!(
        "TLS benchmark: hub (production profile, mandatory client certificates) on 2 tokio \
         workers; load generator: 2 more tokio workers in the same process, on the same {} \
         cores; {connections} concurrent connections, {seconds} s per phase, ECDSA P-256 \
         certificates, aws-lc-rs.",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );

    generator.block_on(async {
        // Sanity: the gate works on this path (403 without a certificate, 204 with one).
        let mut buffer = Vec::new();
        let anonymous = TlsConnector::from(client_config(&fixture, &rustls::version::TLS13, false));
        assert_eq!(
            one_shot(fixture.tls_addr, Some(&anonymous), &mut buffer).await,
            403
        );
        let tls13 = TlsConnector::from(client_config(&fixture, &rustls::version::TLS13, true));
        let tls12 = TlsConnector::from(client_config(&fixture, &rustls::version::TLS12, true));
        assert_eq!(
            one_shot(fixture.tls_addr, Some(&tls13), &mut buffer).await,
            204
        );
        // Warm-up.
        let _ = new_connections(fixture.tls_addr, Some(tls13.clone()), connections, 1).await;
        let _ = kept_alive(fixture.plain_addr, None, connections, 1).await;

        println!("\nNew connections, one GET /v1/noop each:");
        let plain_new = new_connections(fixture.plain_addr, None, connections, seconds).await;
        line("plain HTTP (baseline)", &plain_new, "conn/s");
        let mtls13 =
            new_connections(fixture.tls_addr, Some(tls13.clone()), connections, seconds).await;
        line(
            "full TLS 1.3 handshake + client certificate",
            &mtls13,
            "conn/s",
        );
        let mtls12 = new_connections(fixture.tls_addr, Some(tls12), connections, seconds).await;
        line(
            "full TLS 1.2 handshake + client certificate",
            &mtls12,
            "conn/s",
        );
        println!(
            "ratio mTLS 1.3 / plain: {:.3}   mTLS 1.2 / plain: {:.3}",
            mtls13.per_second / plain_new.per_second,
            mtls12.per_second / plain_new.per_second
        );

        println!("\nKept-alive connections, GET /v1/noop back to back:");
        let plain_kept = kept_alive(fixture.plain_addr, None, connections, seconds).await;
        line("plain HTTP (baseline)", &plain_kept, "req/s");
        let tls_kept = kept_alive(fixture.tls_addr, Some(tls13), connections, seconds).await;
        line("TLS 1.3 with client certificate", &tls_kept, "req/s");
        println!(
            "ratio TLS / plain: {:.3}",
            tls_kept.per_second / plain_kept.per_second
        );
    });
}
