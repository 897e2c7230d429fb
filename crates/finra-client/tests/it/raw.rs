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
