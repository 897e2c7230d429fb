//! The per-address throttle on tokio's paused clock, the counters, and fault injection on data
//! and token calls.

use std::time::Duration;

use finra_emulator::{Fault, FaultTarget, Throttle};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::support::{
    Harness, PUBLIC_ID, PUBLIC_SECRET, api_error, config, header_u64, start, start_default,
};

const DATA_PATH: &str = "/data/group/otcMarket/name/weeklySummary";

async fn get_data(h: &Harness) -> reqwest::Response {
    h.http
        .get(h.url(&format!("{DATA_PATH}?limit=1")))
        .send()
        .await
        .expect("data GET")
}

async fn mint(client: &Client, h: &Harness) -> reqwest::Result<reqwest::Response> {
    client
        .post(h.emulator.token_url())
        .query(&[("grant_type", "client_credentials")])
        .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET))
        .send()
        .await
}

#[tokio::test(start_paused = true)]
async fn the_request_after_a_burst_of_the_rate_is_429_until_a_second_passes() {
    let h = start(config().with_throttle(Throttle::PerSecond(5))).await;
    for round in 1..=2 {
        for i in 0..5 {
            assert_eq!(
                get_data(&h).await.status(),
                StatusCode::OK,
                "round {round} call {i}"
            );
        }
        let refused = get_data(&h).await;
        let retry_after = header_u64(refused.headers(), RETRY_AFTER.as_str());
        assert!(retry_after >= 1, "Retry-After {retry_after}");
        let body = api_error(refused, StatusCode::TOO_MANY_REQUESTS).await;
        assert_eq!(body["message"], "Too Many Requests");
        assert_eq!(h.emulator.counters().throttled(), round);
        assert_eq!(h.emulator.counters().responses(DATA_PATH, 429), round);
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    assert_eq!(h.emulator.counters().responses(DATA_PATH, 200), 10);
}

#[tokio::test(start_paused = true)]
async fn the_throttle_covers_the_query_api_but_not_the_token_service() {
    let h = start(config().with_throttle(Throttle::PerSecond(2))).await;
    for _ in 0..2 {
        assert_eq!(get_data(&h).await.status(), StatusCode::OK);
    }
    let metadata = h
        .http
        .get(h.url("/metadata/group/otcMarket/name/regShoDaily"))
        .send();
    let response = metadata.await.expect("metadata");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    for _ in 0..5 {
        assert_eq!(
            mint(&h.http, &h).await.expect("mint").status(),
            StatusCode::OK
        );
    }
    assert_eq!(h.emulator.counters().tokens_minted(), 5);
}

#[tokio::test(start_paused = true)]
async fn throttle_off_never_throttles() {
    let h = start(config().with_throttle(Throttle::Off)).await;
    for _ in 0..100 {
        assert_eq!(get_data(&h).await.status(), StatusCode::OK);
    }
    assert_eq!(h.emulator.counters().throttled(), 0);
    assert_eq!(h.emulator.counters().responses(DATA_PATH, 200), 100);
}

#[tokio::test]
async fn counters_count_tokens_and_responses_per_path_and_status() {
    let h = start_default().await;
    let counters = h.emulator.counters();
    assert_eq!(counters.total_responses(), 0);
    h.token(PUBLIC_ID, PUBLIC_SECRET).await;
    assert_eq!(counters.tokens_minted(), 1);
    for _ in 0..3 {
        get_data(&h).await;
    }
    let missing = "/data/group/otcMarket/name/noSuchDataset";
    h.http.get(h.url(missing)).send().await.expect("404");
    assert_eq!(counters.responses(DATA_PATH, 200), 3);
    assert_eq!(counters.responses(missing, 404), 1);
    assert_eq!(counters.responses(finra_emulator::TOKEN_PATH, 200), 1);
    assert_eq!(counters.responses_under("/data/"), 4);
    assert_eq!(counters.responses_with_status(404), 1);
    assert_eq!(counters.total_responses(), 5);
}

/// The status and `Retry-After` each fault must produce.
fn faults() -> [(Fault, StatusCode); 4] {
    [
        (Fault::Unauthorized, StatusCode::UNAUTHORIZED),
        (
            Fault::TooManyRequests {
                retry_after: Duration::from_secs(7),
            },
            StatusCode::TOO_MANY_REQUESTS,
        ),
        (
            Fault::InternalServerError,
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (Fault::ServiceUnavailable, StatusCode::SERVICE_UNAVAILABLE),
    ]
}

#[tokio::test]
async fn data_call_faults_hit_the_next_n_calls_then_service_resumes() {
    let h = start_default().await;
    let queue = h.emulator.faults();
    for (fault, status) in faults() {
        queue.fail_next_data_calls(2, fault);
        for _ in 0..2 {
            let response = get_data(&h).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(header_u64(response.headers(), RETRY_AFTER.as_str()), 7);
            }
            api_error(response, status).await;
        }
        assert_eq!(queue.pending(FaultTarget::DataCalls), 0);
        assert_eq!(
            get_data(&h).await.status(),
            StatusCode::OK,
            "{fault:?} is over"
        );
    }
    assert_eq!(
        h.emulator.counters().throttled(),
        0,
        "injected 429s are not throttling"
    );

    queue.fail_next_data_calls(1, Fault::MalformedBody);
    let response = get_data(&h).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let text = response.text().await.expect("body");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "malformed: {text}"
    );

    queue.fail_next_data_calls(1, Fault::ServiceUnavailable);
    let datasets = h
        .http
        .get(h.url("/datasets"))
        .send()
        .await
        .expect("datasets");
    api_error(datasets, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(get_data(&h).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn data_faults_leave_token_calls_alone_and_token_faults_leave_data_calls_alone() {
    let h = start_default().await;
    let queue = h.emulator.faults();
    queue.fail_next_data_calls(1, Fault::InternalServerError);
    queue.fail_next_token_calls(1, Fault::InternalServerError);
    let token = mint(&h.http, &h).await.expect("mint");
    assert_eq!(token.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(queue.pending(FaultTarget::DataCalls), 1);
    assert_eq!(
        get_data(&h).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(queue.pending(FaultTarget::TokenCalls), 0);
    assert_eq!(
        mint(&h.http, &h).await.expect("mint").status(),
        StatusCode::OK
    );
    assert_eq!(get_data(&h).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_call_faults_hit_the_next_n_calls_then_tokens_are_minted_again() {
    let h = start_default().await;
    let queue = h.emulator.faults();
    for (fault, status) in faults() {
        queue.fail_next_token_calls(2, fault);
        for _ in 0..2 {
            let response = mint(&h.http, &h).await.expect("mint");
            assert_eq!(response.status(), status, "{fault:?}");
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(header_u64(response.headers(), RETRY_AFTER.as_str()), 7);
            }
            let body: Value = response.json().await.expect("a JSON error body");
            assert!(body.is_object(), "{body}");
        }
        assert_eq!(
            mint(&h.http, &h).await.expect("mint").status(),
            StatusCode::OK
        );
    }
    queue.fail_next_token_calls(1, Fault::MalformedBody);
    let response = mint(&h.http, &h).await.expect("mint");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("body");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "malformed: {text}"
    );
    assert_eq!(
        h.emulator.counters().tokens_minted(),
        4,
        "faulted calls mint nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_call_times_out_the_client_and_the_emulator_stays_healthy() {
    let h = start_default().await;
    let impatient = Client::builder()
        .pool_idle_timeout(None)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    h.emulator.faults().fail_next_data_calls(1, Fault::Hang);
    let error = impatient
        .get(h.url(DATA_PATH))
        .send()
        .await
        .expect_err("the hanging call times out");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(get_data(&h).await.status(), StatusCode::OK);

    h.emulator.faults().fail_next_token_calls(1, Fault::Hang);
    let error = mint(&impatient, &h)
        .await
        .expect_err("the hanging mint times out");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(
        mint(&h.http, &h).await.expect("mint").status(),
        StatusCode::OK
    );
}

#[tokio::test(start_paused = true)]
async fn shutting_down_releases_a_hanging_call() {
    let h = start_default().await;
    h.emulator.faults().fail_next_data_calls(1, Fault::Hang);
    let request = h.http.get(h.url(DATA_PATH)).send();
    let hanging = tokio::spawn(request);
    // Let the request reach the emulator and start hanging.
    while h.emulator.faults().pending(FaultTarget::DataCalls) > 0 {
        tokio::task::yield_now().await;
    }
    let bound = Duration::from_secs(60);
    tokio::time::timeout(bound, h.emulator.shutdown())
        .await
        .expect("shutdown does not wait for the hang forever")
        .expect("clean shutdown");
    let outcome = tokio::time::timeout(bound, hanging)
        .await
        .expect("the hanging call ends")
        .expect("request task");
    if let Ok(response) = outcome {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
