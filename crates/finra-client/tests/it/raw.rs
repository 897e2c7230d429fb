//! `send_raw`: FINRA's status, headers and body passed through unchanged, for proxies.

use bytes::Bytes;
use finra_client::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use finra_client::{ApiPath, FinraError, Method, RawRequest, StatusCode};
use finra_emulator::Fault;
use futures_util::TryStreamExt;

use crate::support::*;

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // A caller's own Authorization is never forwarded.
    headers.insert(
        "authorization",
        HeaderValue::from_static("Bearer the-callers-own"),
    );
    headers
}

fn post(path: &str, body: &'static str) -> RawRequest {
    RawRequest {
        method: Method::POST,
        path: ApiPath::parse(path).expect("a canonical path"),
        query: None,
        headers: json_headers(),
        body: Bytes::from_static(body.as_bytes()),
        max_queue_wait: None,
    }
}

#[tokio::test(start_paused = true)]
async fn pages_pass_through_with_paging_headers_and_body() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    let response = client
        .send_raw(post("/data/group/firm/name/firmProfile", r#"{"limit": 7}"#))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["record-limit"], "7");
    assert!(response.headers().contains_key("record-total"));
    assert!(response.headers().contains_key("finra-api-request-id"));
    let chunks: Vec<Bytes> = response
        .into_body_stream()
        .try_collect()
        .await
        .expect("body");
    let body: Vec<u8> = chunks.concat();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("json rows");
    assert_eq!(
        rows.len(),
        7,
        "the client's token was sent, not the caller's header"
    );
    assert_eq!(emulator.counters().tokens_minted(), 1);
}

#[tokio::test(start_paused = true)]
async fn error_statuses_pass_through_without_retries() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = public_client(&emulator, &clock);
    let response = client
        .send_raw(post("/data/group/otcMarket/name/nope", "{}"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = response.bytes(64 * 1024).await.expect("body");
    let error: serde_json::Value = serde_json::from_slice(&body).expect("FINRA's error body");
    assert_eq!(error["statusCode"], 404);

    emulator.faults().fail_next_data_calls(
        1,
        Fault::TooManyRequests {
            retry_after: std::time::Duration::from_secs(4),
        },
    );
    let response = client
        .send_raw(post("/data/group/otcMarket/name/weeklySummary", "{}"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "4");
    emulator
        .faults()
        .fail_next_data_calls(1, Fault::ServiceUnavailable);
    let response = client
        .send_raw(post("/data/group/otcMarket/name/weeklySummary", "{}"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(start_paused = true)]
async fn a_401_re_mints_the_token_once_before_answering() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    emulator
        .faults()
        .fail_next_data_calls(1, Fault::Unauthorized);
    let response = client
        .send_raw(post("/data/group/firm/name/firmProfile", r#"{"limit": 1}"#))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(emulator.counters().tokens_minted(), 2);

    let anonymous = builder(&emulator, &clock).build().expect("client");
    let response = anonymous
        .send_raw(post("/data/group/firm/name/firmProfile", "{}"))
        .await
        .expect("answer");
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "passed through"
    );
}

/// A TLS front's certificate authority, and a client certificate it issued (PEM, with its key).
struct FrontPki {
    ca_der: Vec<u8>,
    ca_pem: String,
    client_identity_pem: String,
}

/// The emulator behind a TLS front with a throw-away CA (a certificate for `localhost`):
/// FINRA's https, offline. Returns the front's base URL and the CA certificate (DER).
async fn tls_front(emulator: &finra_emulator::RunningEmulator) -> (String, Vec<u8>) {
    let (base, pki) = tls_front_with(emulator, false).await;
    (base, pki.ca_der)
}

/// [`tls_front`], requiring a client certificate of its CA when `mutual`.
async fn tls_front_with(
    emulator: &finra_emulator::RunningEmulator,
    mutual: bool,
) -> (String, FrontPki) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("server params")
        .signed_by(&key, &issuer)
        .expect("server certificate");
    let client_key = KeyPair::generate().expect("client key");
    let client_cert = CertificateParams::new(vec!["client".to_owned()])
        .expect("client params")
        .signed_by(&client_key, &issuer)
        .expect("client certificate");
    let builder = tokio_rustls::rustls::ServerConfig::builder();
    let builder = if mutual {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.add(ca_cert.der().clone()).expect("CA root");
        let verifier =
            tokio_rustls::rustls::server::WebPkiClientVerifier::builder(std::sync::Arc::new(roots))
                .build()
                .expect("client verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(
            vec![cert.der().clone()],
            tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let upstream = emulator.base_url().trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = tokio::net::TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    let pki = FrontPki {
        ca_der: ca_cert.der().to_vec(),
        ca_pem: ca_cert.pem(),
        client_identity_pem: format!("{}{}", client_cert.pem(), client_key.serialize_pem()),
    };
    (format!("https://localhost:{port}"), pki)
}

#[tokio::test]
async fn a_server_that_asks_for_a_client_certificate_gets_the_one_configured() {
    let emulator = spawn(config(&clock())).await;
    let (https_base, pki) = tls_front_with(&emulator, true).await;
    let request = || RawRequest {
        method: Method::GET,
        path: ApiPath::parse("/data/group/otcMarket/name/weeklySummary").expect("path"),
        query: Some("limit=2".to_owned()),
        headers: json_headers(),
        body: Bytes::new(),
        max_queue_wait: None,
    };
    let client = |identity: Option<&str>| {
        let mut builder = finra_client::FinraClient::builder()
            .api_base(https_base.as_str())
            .tls_root_certificate(pki.ca_pem.clone().into_bytes())
            .retry(finra_client::RetryPolicy::none());
        if let Some(identity) = identity {
            builder = builder.tls_client_identity_pem(identity.as_bytes().to_vec());
        }
        builder.build().expect("client")
    };
    let presenting = client(Some(&pki.client_identity_pem));
    let response = presenting.send_raw(request()).await.expect("raw over mTLS");
    assert_eq!(response.status(), StatusCode::OK);
    let page = presenting
        .query_page(&finra_client::Query::new("otcMarket", "weeklySummary").limit(2))
        .await
        .expect("a page over mTLS");
    assert_eq!(page.rows.len(), 2);

    let anonymous = client(None);
    assert!(
        anonymous.send_raw(request()).await.is_err(),
        "no certificate"
    );
    assert!(
        anonymous
            .query_page(&finra_client::Query::new("otcMarket", "weeklySummary").limit(2))
            .await
            .is_err()
    );
    let unusable = finra_client::FinraClient::builder()
        .tls_client_identity_pem(b"not a certificate".to_vec())
        .build();
    assert!(
        matches!(unusable, Err(finra_client::FinraError::Config(_))),
        "{unusable:?}"
    );
}

#[tokio::test]
async fn raw_calls_go_over_https_to_a_trusted_server_only() {
    let emulator = spawn(config(&clock())).await;
    let (https_base, ca) = tls_front(&emulator).await;
    let request = || RawRequest {
        method: Method::GET,
        path: ApiPath::parse("/data/group/otcMarket/name/weeklySummary").expect("path"),
        query: Some("limit=3".to_owned()),
        headers: json_headers(),
        body: Bytes::new(),
        max_queue_wait: None,
    };
    let trusting = finra_client::FinraClient::builder()
        .api_base(https_base.as_str())
        .tls_root_certificate(ca)
        .retry(finra_client::RetryPolicy::none())
        .build()
        .expect("client");
    let response = trusting.send_raw(request()).await.expect("https answer");
    assert_eq!(response.status(), StatusCode::OK);
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&response.bytes(1 << 20).await.expect("body")).expect("json");
    assert_eq!(rows.len(), 3);
    // The client's other calls trust the same CA.
    let page = trusting
        .query_page(&finra_client::Query::new("otcMarket", "weeklySummary").limit(2))
        .await
        .expect("a page over https");
    assert_eq!(page.rows.len(), 2);

    // Without the CA, the certificate is refused: a transport error, nothing sent.
    let untrusting = finra_client::FinraClient::builder()
        .api_base(https_base.as_str())
        .retry(finra_client::RetryPolicy::none())
        .build()
        .expect("client");
    let error = untrusting
        .send_raw(request())
        .await
        .expect_err("an unknown CA");
    assert!(
        matches!(error, finra_client::FinraError::Transport(_)),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stalls_past_the_timeout_ends_in_a_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Headers and 3 of 100 promised bytes, then nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut request = [0_u8; 4096];
        let _ = socket.read(&mut request).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc")
            .await;
        std::future::pending::<()>().await;
    });
    let client = finra_client::FinraClient::builder()
        .api_base(format!("http://{addr}"))
        .timeout(std::time::Duration::from_secs(5))
        .retry(finra_client::RetryPolicy::none())
        .build()
        .expect("client");
    let response = client
        .send_raw(RawRequest {
            method: Method::GET,
            path: ApiPath::parse("/datasets").expect("path"),
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            max_queue_wait: None,
        })
        .await
        .expect("the headers arrive in time");
    assert_eq!(response.status(), StatusCode::OK);
    let error = response.bytes(1 << 20).await.expect_err("the body stalls");
    assert!(
        matches!(error, finra_client::FinraError::Timeout { .. }),
        "{error:?}"
    );
}

/// A server that answers every request with 204: what it saw, how many connections it
/// accepted, and which connection each request came on.
struct AnsweringServer {
    base: String,
    request_lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Every header line received, lower-cased, in order.
    header_lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// For each request, in order: the connection it came on (0 for the first accepted).
    served_on: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl AnsweringServer {
    /// A client of this server's, without retries.
    fn client(&self) -> finra_client::FinraClient {
        finra_client::FinraClient::builder()
            .api_base(self.base.clone())
            .retry(finra_client::RetryPolicy::none())
            .build()
            .expect("client")
    }
}

/// An [`AnsweringServer`]; with `close`, each answer says so and the connection closes after it.
async fn answering_server(close: bool) -> AnsweringServer {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = AnsweringServer {
        base: format!("http://{addr}"),
        request_lines: Arc::default(),
        header_lines: Arc::default(),
        connections: Arc::new(AtomicUsize::new(0)),
        served_on: Arc::default(),
    };
    let (recorded, headers, accepted, served_on) = (
        Arc::clone(&server.request_lines),
        Arc::clone(&server.header_lines),
        Arc::clone(&server.connections),
        Arc::clone(&server.served_on),
    );
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let connection = accepted.fetch_add(1, Ordering::SeqCst);
            let (recorded, headers, served_on) = (
                Arc::clone(&recorded),
                Arc::clone(&headers),
                Arc::clone(&served_on),
            );
            tokio::spawn(async move {
                let mut socket = BufReader::new(socket);
                loop {
                    let mut line = String::new();
                    if socket.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    recorded
                        .lock()
                        .expect("lock")
                        .push(line.trim_end().to_owned());
                    served_on.lock().expect("lock").push(connection);
                    // The rest of the head (no request here has a body).
                    loop {
                        let mut header = String::new();
                        if socket.read_line(&mut header).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if header == "\r\n" {
                            break;
                        }
                        headers
                            .lock()
                            .expect("lock")
                            .push(header.trim_end().to_ascii_lowercase());
                    }
                    let answer: &[u8] = if close {
                        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                    } else {
                        b"HTTP/1.1 204 No Content\r\n\r\n"
                    };
                    if socket.get_mut().write_all(answer).await.is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    server
}

fn get(path: ApiPath, query: Option<&str>) -> RawRequest {
    RawRequest {
        method: Method::GET,
        path,
        query: query.map(str::to_owned),
        headers: HeaderMap::new(),
        body: Bytes::new(),
        max_queue_wait: None,
    }
}

#[tokio::test]
async fn raw_calls_reach_exactly_the_canonical_path_under_the_base() {
    let server = answering_server(false).await;
    let seen = &server.request_lines;
    let client = finra_client::FinraClient::builder()
        .api_base(format!("{}/v1/finra/", server.base))
        .retry(finra_client::RetryPolicy::none())
        .build()
        .expect("client");
    let path =
        ApiPath::from_segments(&["data", "group", "otcMarket", "name", "a b;"]).expect("a path");
    let response = client
        .send_raw(get(path, Some("limit=1&fields=a,b&q='x'")))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        *seen.lock().expect("lock"),
        ["GET /v1/finra/data/group/otcMarket/name/a%20b%3B?limit=1&fields=a,b&q='x' HTTP/1.1"]
    );

    // A query string a URL library would have to rewrite is refused, and nothing is sent.
    for query in [
        "a=1#b",
        "a=1 2",
        "a=\u{e9}",
        "a=\r\nX-Injected: 1",
        "a=\"b\"",
    ] {
        let error = client
            .send_raw(get(ApiPath::parse("/datasets").expect("path"), Some(query)))
            .await
            .expect_err(query);
        assert!(matches!(error, FinraError::UnsafeUrl { .. }), "{error:?}");
    }
    assert_eq!(seen.lock().expect("lock").len(), 1, "nothing else was sent");
}

/// A caller's credentials and its framing and hop-by-hop headers never go out; its other
/// headers do, each value as given, beside the client's own `Host` and `User-Agent`.
#[tokio::test]
async fn raw_calls_withhold_credentials_and_hop_by_hop_headers() {
    let server = answering_server(false).await;
    let mut request = get(ApiPath::parse("/datasets").expect("path"), None);
    for (name, value) in [
        ("authorization", "Bearer the-callers-own"),
        ("proxy-authorization", "Basic eDp5"),
        ("cookie", "session=callers"),
        ("host", "elsewhere.example"),
        ("content-length", "99"),
        ("transfer-encoding", "chunked"),
        ("trailer", "x-sum"),
        ("connection", "upgrade"),
        ("te", "trailers"),
        ("upgrade", "websocket"),
        ("keep-alive", "timeout=5"),
        ("accept", "application/json"),
        ("data-api-version", "2"),
        ("accept", "text/plain"),
    ] {
        request.headers.append(
            finra_client::header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    let response = server.client().send_raw(request).await.expect("answer");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let host = format!("host: {}", server.base.trim_start_matches("http://"));
    let mut sent = server.header_lines.lock().expect("lock").clone();
    sent.sort();
    let mut expected = vec![
        "accept: application/json".to_owned(),
        "accept: text/plain".to_owned(),
        "data-api-version: 2".to_owned(),
        host,
        format!("user-agent: finra-client/{}", env!("CARGO_PKG_VERSION")),
    ];
    expected.sort();
    assert_eq!(sent, expected);
}

/// Every escape a proxy could be fed: none of them becomes a path, so none can reach
/// `send_raw`, and the typed calls refuse names that would not stay one segment.
#[tokio::test]
async fn escaping_paths_and_names_are_refused_before_anything_is_sent() {
    let server = answering_server(false).await;
    let seen = &server.request_lines;
    let client = server.client();
    for text in [
        "/data/group/otcMarket/name/..\\..\\firm\\name\\firmProfile",
        "/data/group/otcMarket/name/..%5C..%5Cfirm%5Cname%5CfirmProfile",
        "/data/group/otcMarket/name/..%5c..%5cfip%5crest%5cews%5coauth2%5caccess_token",
        "/data/group/otcMarket/../../firm/name/firmProfile",
        "/data/group/otcMarket/name/%2e%2e/%2e%2e/firm",
        "/data/group/otcMarket/name/%2E%2E/%2E%2E/firm",
        "/data/group/otcMarket/name/%252e%252e/firm",
        "/data/group/otcMarket/name/a%2Fb",
        "/data/group/otcMarket/name/weeklySummary;jsessionid=1",
        "/data/group//name/weeklySummary",
        "/data/group/otcMarket/name/weekly%00Summary",
        "/data/group/otcMarket/name/wéekly",
    ] {
        let error = ApiPath::parse(text).expect_err(text);
        assert!(
            matches!(error, FinraError::UnsafeUrl { .. }),
            "{text}: {error:?}"
        );
        assert!(
            !error.to_string().contains("otcMarket"),
            "the refusal does not echo the path: {error}"
        );
    }
    for name in ["..", ".", "..\\..\\firm", "a/b", ""] {
        let error = client
            .query_page(&finra_client::Query::new("otcMarket", name).limit(1))
            .await
            .expect_err(name);
        assert!(
            matches!(error, FinraError::UnsafeUrl { .. }),
            "{name:?}: {error:?}"
        );
        let error = client.metadata("otcMarket", name).await.expect_err(name);
        assert!(
            matches!(error, FinraError::UnsafeUrl { .. }),
            "{name:?}: {error:?}"
        );
    }
    assert!(seen.lock().expect("lock").is_empty(), "nothing was sent");
}

#[tokio::test]
async fn raw_calls_reuse_a_kept_connection_and_never_one_the_server_closed() {
    use std::sync::atomic::Ordering;
    for (close, connections) in [(false, 1), (true, 3)] {
        let server = answering_server(close).await;
        let client = server.client();
        for call in 0..3 {
            let response = client
                .send_raw(get(ApiPath::parse("/datasets").expect("path"), None))
                .await
                .unwrap_or_else(|error| panic!("call {call} (close: {close}): {error:?}"));
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
            response.bytes(1024).await.expect("the (empty) body");
        }
        assert_eq!(
            server.connections.load(Ordering::SeqCst),
            connections,
            "connections opened when the server closes: {close}"
        );
    }
}

/// As a keep-alive pool should, the connection a call goes out on is the one used last that is
/// idle: a lone caller keeps reusing one warm connection instead of taking turns on all of them.
#[tokio::test]
async fn raw_calls_go_out_on_the_idle_connection_used_last() {
    let server = answering_server(false).await;
    let client = server.client();
    let call = || async {
        let response = client
            .send_raw(get(ApiPath::parse("/datasets").expect("path"), None))
            .await
            .expect("answer");
        response.bytes(1024).await.expect("the (empty) body");
    };
    // Three calls at once: none finds an idle connection, so each opens its own.
    tokio::join!(call(), call(), call());
    assert_eq!(
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    for _ in 0..4 {
        call().await;
    }
    let served_on = server.served_on.lock().expect("lock").clone();
    let (together, one_by_one) = served_on.split_at(3);
    assert_eq!(
        one_by_one, [one_by_one[0]; 4],
        "one connection for the calls one by one: {served_on:?}"
    );
    assert!(together.contains(&one_by_one[0]));
}
