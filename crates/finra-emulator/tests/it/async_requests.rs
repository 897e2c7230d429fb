//! Asynchronous requests on tokio's paused clock: 202 + `Location`, pending then complete status,
//! the pre-signed result link (no auth, expiry, forgery), the poll interval and the hourly quota.

use std::time::Duration;

use finhub_clock::{Clock, TokioClock, format_utc_seconds};
use finra_emulator::AsyncTimings;
use reqwest::header::{ACCEPT, LOCATION, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    FIRM_ID, FIRM_SECRET, Harness, OTC, PUBLIC_ID, PUBLIC_SECRET, REG_SHO, WEEKLY, api_error,
    client, config, header_str, header_u64, start, weekly_partition_body,
};

const READY_AFTER: Duration = Duration::from_secs(30);
const MIN_POLL: Duration = Duration::from_secs(10);
const LINK_TTL: Duration = Duration::from_secs(120);
const QUOTA: u32 = 3;

async fn harness() -> (Harness, TokioClock) {
    let clock = TokioClock::fixed();
    let timings = AsyncTimings {
        ready_after: READY_AFTER,
        min_poll_interval: MIN_POLL,
        result_link_ttl: LINK_TTL,
        quota_per_hour: std::num::NonZeroU32::new(QUOTA).expect("a quota of at least one"),
    };
    let h = start(
        config()
            .with_clock(clock.shared())
            .with_async_timings(timings),
    )
    .await;
    (h, clock)
}

/// Submits `body` asynchronously (JSON results); returns the response.
async fn submit(h: &Harness, name: &str, body: &Value, token: Option<&str>) -> Response {
    let mut request = body.clone();
    request["async"] = json!(true);
    h.post_as(OTC, name, &request, token).await
}

/// Submits and returns the `Location` status URL, checking the 202.
async fn submit_ok(h: &Harness, name: &str, body: &Value, token: Option<&str>) -> String {
    let response = submit(h, name, body, token).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = header_str(response.headers(), LOCATION.as_str()).to_owned();
    assert!(
        response.bytes().await.expect("body").is_empty(),
        "a 202 has no body"
    );
    location
}

async fn poll(h: &Harness, location: &str, token: Option<&str>) -> Response {
    let mut request = h.http.get(location);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("status poll")
}

#[tokio::test(start_paused = true)]
async fn async_request_goes_from_pending_to_complete_with_a_result_link_equal_to_the_sync_rows() {
    let (h, clock) = harness().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let body = weekly_partition_body(&week, &tier);
    let submitted_at = clock.now_utc();
    let location = submit_ok(&h, WEEKLY, &body, None).await;
    let prefix = format!(
        "{}/async-requests/group/otcMarket/name/weeklySummary/",
        h.emulator.base_url()
    );
    let request_id = location
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("Location is the status URL: {location}"));
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");

    let pending = poll(&h, &location, None).await;
    assert_eq!(pending.status(), StatusCode::ACCEPTED);
    let pending: Value = pending.json().await.expect("status JSON");
    assert_eq!(pending["status"], json!("pending"));
    assert_eq!(pending["requestId"], json!(request_id));
    assert_eq!(
        pending["requestTimestamp"],
        json!(format_utc_seconds(submitted_at))
    );

    tokio::time::advance(READY_AFTER).await;
    let complete = poll(&h, &location, None).await;
    assert_eq!(complete.status(), StatusCode::OK);
    let complete: Value = complete.json().await.expect("status JSON");
    assert_eq!(complete["status"], json!("complete"));
    assert_eq!(complete["requestId"], json!(request_id));
    assert_eq!(
        complete["expires"],
        json!(format_utc_seconds(clock.now_utc() + LINK_TTL))
    );
    let link = complete["resultLink"]
        .as_str()
        .expect("resultLink")
        .to_owned();

    // The link is pre-signed: a client with no credentials and no headers gets the rows.
    let result = client().get(&link).send().await.expect("result link");
    assert_eq!(result.status(), StatusCode::OK);
    let rows: Vec<Value> = result.json().await.expect("JSON rows");
    assert!(!rows.is_empty());
    assert_eq!(
        rows,
        h.fetch_all(OTC, WEEKLY, &body).await,
        "same rows as the sync query"
    );
}

#[tokio::test(start_paused = true)]
async fn polling_faster_than_the_minimum_interval_is_429_with_retry_after() {
    let (h, _clock) = harness().await;
    let location = submit_ok(&h, WEEKLY, &json!({"limit": 10}), None).await;
    assert_eq!(
        poll(&h, &location, None).await.status(),
        StatusCode::ACCEPTED
    );
    let too_soon = poll(&h, &location, None).await;
    let retry_after = header_u64(too_soon.headers(), RETRY_AFTER.as_str());
    assert!(
        (1..=MIN_POLL.as_secs()).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    api_error(too_soon, StatusCode::TOO_MANY_REQUESTS).await;
    tokio::time::advance(MIN_POLL).await;
    assert_eq!(
        poll(&h, &location, None).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test(start_paused = true)]
async fn result_link_expires_after_its_ttl_and_rejects_a_forged_signature() {
    let (h, _clock) = harness().await;
    let location = submit_ok(&h, WEEKLY, &json!({"limit": 10}), None).await;
    tokio::time::advance(READY_AFTER).await;
    let complete: Value = poll(&h, &location, None).await.json().await.expect("JSON");
    let link = complete["resultLink"]
        .as_str()
        .expect("resultLink")
        .to_owned();
    // Later polls report the same link and the same absolute expiry.
    tokio::time::advance(MIN_POLL).await;
    let again: Value = poll(&h, &location, None).await.json().await.expect("JSON");
    assert_eq!(again["expires"], complete["expires"]);
    assert_eq!(again["resultLink"], complete["resultLink"]);
    let (unsigned, signature) = link.split_once("X-Amz-Signature=").expect("a signed link");
    let forged_signature: String = signature
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();
    let forged = format!("{unsigned}X-Amz-Signature={forged_signature}");
    let plain = client();
    assert_eq!(
        plain.get(&forged).send().await.expect("forged").status(),
        StatusCode::FORBIDDEN
    );
    let without = unsigned.trim_end_matches(['?', '&']);
    assert_eq!(
        plain.get(without).send().await.expect("unsigned").status(),
        StatusCode::FORBIDDEN
    );

    tokio::time::advance(LINK_TTL - MIN_POLL - Duration::from_secs(1)).await;
    assert_eq!(
        plain.get(&link).send().await.expect("link").status(),
        StatusCode::OK
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        plain.get(&link).send().await.expect("link").status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(start_paused = true)]
async fn the_submission_after_the_hourly_quota_is_429_per_dataset_and_account() {
    let (h, _clock) = harness().await;
    let body = json!({"limit": 5});
    for _ in 0..QUOTA {
        submit_ok(&h, WEEKLY, &body, None).await;
    }
    let refused = submit(&h, WEEKLY, &body, None).await;
    assert!(refused.headers().contains_key(RETRY_AFTER));
    api_error(refused, StatusCode::TOO_MANY_REQUESTS).await;
    // Other datasets and other accounts have their own quota.
    submit_ok(&h, REG_SHO, &body, None).await;
    let token = h.token(PUBLIC_ID, PUBLIC_SECRET).await;
    submit_ok(&h, WEEKLY, &body, Some(&token)).await;
    // The window rolls: an hour later the anonymous quota is free again.
    tokio::time::advance(Duration::from_secs(3_600)).await;
    submit_ok(&h, WEEKLY, &body, None).await;
}

#[tokio::test(start_paused = true)]
async fn an_accounts_async_request_is_visible_only_to_that_account() {
    let (h, _clock) = harness().await;
    let owner = h.token(PUBLIC_ID, PUBLIC_SECRET).await;
    let other = h.token(FIRM_ID, FIRM_SECRET).await;
    let location = submit_ok(&h, WEEKLY, &json!({"limit": 5}), Some(&owner)).await;
    api_error(poll(&h, &location, None).await, StatusCode::UNAUTHORIZED).await;
    tokio::time::advance(MIN_POLL).await;
    api_error(
        poll(&h, &location, Some(&other)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    tokio::time::advance(MIN_POLL).await;
    assert_eq!(
        poll(&h, &location, Some(&owner)).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test(start_paused = true)]
async fn refused_polls_by_other_callers_do_not_use_up_the_owners_poll_interval() {
    let (h, _clock) = harness().await;
    let owner = h.token(PUBLIC_ID, PUBLIC_SECRET).await;
    let other = h.token(FIRM_ID, FIRM_SECRET).await;
    let location = submit_ok(&h, WEEKLY, &json!({"limit": 5}), Some(&owner)).await;
    // Callers who may not see the request are refused as such, whatever the poll timing ...
    api_error(poll(&h, &location, None).await, StatusCode::UNAUTHORIZED).await;
    api_error(
        poll(&h, &location, Some(&other)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // ... and their refused polls do not make the owner's first poll "too soon".
    assert_eq!(
        poll(&h, &location, Some(&owner)).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test(start_paused = true)]
async fn async_get_and_text_results_follow_the_submitted_format() {
    let (h, _clock) = harness().await;
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .query(&[
            ("async", "true"),
            ("limit", "25"),
            ("fields", "weekStartDate,MPID"),
        ])
        .send()
        .await
        .expect("async GET");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = header_str(response.headers(), LOCATION.as_str()).to_owned();
    tokio::time::advance(READY_AFTER).await;
    let complete: Value = poll(&h, &location, None).await.json().await.expect("JSON");
    let link = complete["resultLink"].as_str().expect("resultLink");
    let result = client().get(link).send().await.expect("result");
    assert_eq!(header_str(result.headers(), "content-type"), "text/plain");
    let text = result.text().await.expect("text");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("\"weekStartDate\",\"MPID\""));
    assert_eq!(lines.count(), 25);
}

#[tokio::test(start_paused = true)]
async fn unknown_async_request_id_is_404() {
    let (h, _clock) = harness().await;
    let path = format!(
        "/async-requests/group/otcMarket/name/weeklySummary/{}",
        uuid::Uuid::new_v4()
    );
    let response = h
        .http
        .get(h.url(&path))
        .header(ACCEPT, "application/json")
        .send()
        .await;
    api_error(response.expect("status"), StatusCode::NOT_FOUND).await;
}

#[tokio::test(start_paused = true)]
async fn data_call_faults_also_hit_status_polls_without_counting_as_a_poll() {
    let (h, _clock) = harness().await;
    let location = submit_ok(&h, WEEKLY, &json!({"limit": 5}), None).await;
    h.emulator
        .faults()
        .fail_next_data_calls(1, finra_emulator::Fault::ServiceUnavailable);
    api_error(
        poll(&h, &location, None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(
        poll(&h, &location, None).await.status(),
        StatusCode::ACCEPTED
    );
}
