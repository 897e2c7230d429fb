//! Compressed answers against a scripted server: the client asks for gzip unless told not to,
//! inflates pages and error bodies, and refuses a body that inflates past its limit or comes in
//! a coding it never asked for, with a decode error rather than memory spent or a panic.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::post;
use finra_client::{FinraClient, FinraError, Pacer, Query, RetryPolicy};
use flate2::Compression;
use flate2::write::GzEncoder;

/// What the scripted server answers a data request with.
#[derive(Clone, Copy)]
enum Answer {
    /// Two rows, gzip-compressed when the request allows gzip.
    Rows,
    /// 64 MiB of spaces (valid JSON padding) compressed to a few hundred KiB.
    Bomb,
    /// The rows, labelled with a coding the client never asks for.
    Brotli,
    /// A 400 with FINRA's error body, compressed.
    BadRequest,
}

#[derive(Clone)]
struct Server {
    answer: Answer,
    /// The `Accept-Encoding` of every request, or `None` for a request without one.
    asked: Arc<Mutex<Vec<Option<String>>>>,
}

const ROWS: &str = r#"[{"id":1,"label":"one"},{"id":2,"label":"two"}]"#;

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(body).expect("into memory");
    encoder.finish().expect("into memory")
}

async fn data(
    State(server): State<Server>,
    request: HeaderMap,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let asked = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let wants_gzip = asked.as_deref().is_some_and(|value| value.contains("gzip"));
    server
        .asked
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(asked);
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in [("record-total", 2_u64), ("total-records-on-page", 2)] {
        headers.insert(name, HeaderValue::from(value));
    }
    let gzipped = || HeaderValue::from_static("gzip");
    match server.answer {
        Answer::Rows if wants_gzip => {
            headers.insert(header::CONTENT_ENCODING, gzipped());
            (StatusCode::OK, headers, gzip(ROWS.as_bytes()))
        }
        Answer::Rows => (StatusCode::OK, headers, ROWS.as_bytes().to_vec()),
        Answer::Bomb => {
            let mut padded = ROWS.as_bytes().to_vec();
            padded.resize(64 * 1024 * 1024, b' ');
            headers.insert(header::CONTENT_ENCODING, gzipped());
            (StatusCode::OK, headers, gzip(&padded))
        }
        Answer::Brotli => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            (StatusCode::OK, headers, ROWS.as_bytes().to_vec())
        }
        Answer::BadRequest => {
            headers.insert(header::CONTENT_ENCODING, gzipped());
            let body = br#"{"statusCode":400,"message":"Field 'nope' is not in the dataset"}"#;
            (StatusCode::BAD_REQUEST, headers, gzip(body))
        }
    }
}

/// The scripted server's base URL and the `Accept-Encoding` values it will have seen.
async fn serve(answer: Answer) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/data/group/test/name/encoded", post(data))
        .with_state(Server {
            answer,
            asked: Arc::clone(&asked),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), asked)
}

fn client(base: &str, compression: bool) -> FinraClient {
    FinraClient::builder()
        .api_base(base)
        .pacer(Pacer::unlimited())
        .retry(RetryPolicy::none())
        .compression(compression)
        .build()
        .expect("client")
}

fn query() -> Query {
    Query::new("test", "encoded")
}

fn seen(asked: &Mutex<Vec<Option<String>>>) -> Vec<Option<String>> {
    asked
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

#[tokio::test]
async fn pages_are_asked_for_gzip_and_inflated_unless_compression_is_off() {
    let (base, asked) = serve(Answer::Rows).await;
    let compressed = client(&base, true)
        .query_page(&query())
        .await
        .expect("a page");
    let plain = client(&base, false)
        .query_page(&query())
        .await
        .expect("a page");
    assert_eq!(compressed.rows, plain.rows);
    let ids: Vec<_> = compressed
        .rows
        .iter()
        .map(|row| row["id"].clone())
        .collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(compressed.info.record_total, Some(2));
    assert_eq!(seen(&asked), [Some("gzip".to_owned()), None]);
}

#[tokio::test]
async fn a_page_inflating_past_the_page_limit_is_refused() {
    let (base, asked) = serve(Answer::Bomb).await;
    let error = client(&base, true)
        .query_page(&query())
        .await
        .expect_err("too large once inflated");
    let FinraError::Decode { what, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert!(what.contains("bytes once inflated"), "{what}");
    assert_eq!(seen(&asked).len(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn a_coding_the_client_never_asked_for_is_a_decode_error() {
    let (base, _) = serve(Answer::Brotli).await;
    let error = client(&base, true)
        .query_page(&query())
        .await
        .expect_err("br");
    assert!(
        matches!(&error, FinraError::Decode { what, .. } if what.contains("Content-Encoding br")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_compressed_error_body_still_gives_finras_message() {
    let (base, _) = serve(Answer::BadRequest).await;
    let error = client(&base, true)
        .query_page(&query())
        .await
        .expect_err("400");
    assert!(
        error
            .to_string()
            .contains("Field 'nope' is not in the dataset"),
        "{error}"
    );
}
