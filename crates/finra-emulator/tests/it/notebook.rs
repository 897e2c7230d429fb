//! The six requests of the darkpool debugging notebook, replayed against the emulator:
//! FINRA's real answers were 200, 200, 400 `Client credentials is required`, 200 JSON,
//! 200 JSON and 200 with a token starting with `*`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::{Harness, OTC, PUBLIC_ID, PUBLIC_SECRET, WEEKLY, start_default};

fn assert_token(body: &Value) {
    let token = body["access_token"]
        .as_str()
        .expect("access_token is a string");
    assert!(token.starts_with('*'), "{token}");
}

async fn json_rows(response: reqwest::Response) -> Vec<Value> {
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let rows: Vec<Value> = response.json().await.expect("a JSON array");
    assert!(!rows.is_empty(), "weeklySummary has rows");
    assert!(rows.iter().all(Value::is_object), "flat objects");
    rows
}

/// In [13]: `requests.post(TOKEN_URL, auth=(key, secret), data={"grant_type": …})`.
async fn test_1_form_body_grant(h: &Harness) {
    let response = h
        .http
        .post(h.emulator.token_url())
        .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("test 1");
    assert_eq!(response.status(), StatusCode::OK);
    assert_token(&response.json().await.expect("token JSON"));
}

/// In [14]: grant in the query string, Basic auth, no body.
async fn test_2_query_string_grant(h: &Harness) {
    let response = h
        .http
        .post(format!(
            "{}?grant_type=client_credentials",
            h.emulator.token_url()
        ))
        .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET))
        .send()
        .await
        .expect("test 2");
    assert_eq!(response.status(), StatusCode::OK);
    assert_token(&response.json().await.expect("token JSON"));
}

/// In [15]: `X-API-KEY`/`X-API-SECRET` headers instead of Basic.
async fn test_3_api_key_headers(h: &Harness) {
    let response = h
        .http
        .post(h.emulator.token_url())
        .header("X-API-KEY", PUBLIC_ID)
        .header("X-API-SECRET", PUBLIC_SECRET)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("test 3");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON error");
    assert_eq!(
        body,
        json!({"error_message": "Client credentials is required", "error": "invalid_client"})
    );
}

/// In [16]: data GET with only an `X-API-KEY` header.
async fn test_4_data_get_with_api_key_header(h: &Harness) {
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .header(ACCEPT, "application/json")
        .header("X-API-KEY", PUBLIC_ID)
        .send()
        .await
        .expect("test 4");
    json_rows(response).await;
}

/// In [17]: data POST with Basic auth (the notebook's values) and `{}`.
async fn test_5_data_post_with_basic(h: &Harness, id: &str, secret: &str) {
    let response = h
        .http
        .post(h.data_url(OTC, WEEKLY))
        .basic_auth(id, Some(secret))
        .header(ACCEPT, "application/json")
        .json(&json!({}))
        .send()
        .await
        .expect("test 5");
    json_rows(response).await;
}

/// In [18]: a hand-built `Authorization: Basic …` header and a string form body.
async fn test_6_hand_built_basic_header(h: &Harness) {
    let encoded = STANDARD.encode(format!("{PUBLIC_ID}:{PUBLIC_SECRET}"));
    let response = h
        .http
        .post(h.emulator.token_url())
        .header(AUTHORIZATION, format!("Basic {encoded}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("test 6");
    assert_eq!(response.status(), StatusCode::OK);
    assert_token(&response.json().await.expect("token JSON"));
}

#[tokio::test]
async fn notebook_requests_get_finras_recorded_answers() {
    let h = start_default().await;
    test_1_form_body_grant(&h).await;
    test_2_query_string_grant(&h).await;
    test_3_api_key_headers(&h).await;
    test_4_data_get_with_api_key_header(&h).await;
    test_5_data_post_with_basic(&h, PUBLIC_ID, PUBLIC_SECRET).await;
    test_6_hand_built_basic_header(&h).await;
    assert_eq!(h.emulator.counters().tokens_minted(), 3);
}

#[tokio::test]
async fn data_post_with_none_none_basic_credentials_is_still_served() {
    // Earlier runs of the notebook sent `None:None` because the .env file was not loaded.
    let h = start_default().await;
    test_5_data_post_with_basic(&h, "None", "None").await;
}

#[tokio::test]
async fn notebook_data_get_and_post_return_the_same_first_page() {
    let h = start_default().await;
    let get = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .header(ACCEPT, "application/json")
        .send()
        .await
        .expect("GET");
    let post = h
        .http
        .post(h.data_url(OTC, WEEKLY))
        .header(ACCEPT, "application/json")
        .json(&json!({}))
        .send()
        .await
        .expect("POST");
    assert_eq!(json_rows(get).await, json_rows(post).await);
}
