//! `send_raw`: FINRA's status, headers and body passed through unchanged, for proxies.

use bytes::Bytes;
use finra_client::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use finra_client::{Method, RawRequest, StatusCode};
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
        path_and_query: path.to_owned(),
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

/// The emulator behind a TLS front with a throw-away CA (a certificate for `localhost`):
/// FINRA's https, offline. Returns the front's base URL and the CA certificate (DER).
async fn tls_front(emulator: &finra_emulator::RunningEmulator) -> (String, Vec<u8>) {
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
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
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
    (format!("https://localhost:{port}"), ca_cert.der().to_vec())
}

#[tokio::test]
async fn raw_calls_go_over_https_to_a_trusted_server_only() {
    let emulator = spawn(config(&clock())).await;
    let (https_base, ca) = tls_front(&emulator).await;
    let request = || RawRequest {
        method: Method::GET,
        path_and_query: "/data/group/otcMarket/name/weeklySummary?limit=3".to_owned(),
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
            path_and_query: "/datasets".to_owned(),
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
