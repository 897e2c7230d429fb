//! The FIP token service: grant placement, client authentication, the error bodies, the token's
//! shape and its `expires_in`.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::{
    FIRM_ID, FIRM_SECRET, Harness, PUBLIC_ID, PUBLIC_SECRET, api_error, config, start,
    start_default,
};

const INVALID_CREDENTIALS: &str =
    r#"{"error_message":"Invalid Credentials","error":"invalid_client"}"#;
const CREDENTIALS_REQUIRED: &str =
    r#"{"error_message":"Client credentials is required","error":"invalid_client"}"#;
const UNSUPPORTED_GRANT: &str = r#"{"error":"unsupported_grant_type"}"#;

/// Sends a token request with Basic `id:secret`, an optional query string and an optional
/// form body; returns the status and the JSON body.
async fn mint(
    h: &Harness,
    basic: Option<(&str, &str)>,
    query: &str,
    form_body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = h.http.post(format!("{}{query}", h.emulator.token_url()));
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    if let Some(body) = form_body {
        request = request
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_owned());
    }
    let response = request.send().await.expect("token request");
    let status = response.status();
    let text = response.text().await.expect("token body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON body ({e}): {text}"));
    (status, body)
}

fn expected(json_text: &str) -> Value {
    serde_json::from_str(json_text).expect("expected body is JSON")
}

#[tokio::test]
async fn form_body_and_query_string_grants_both_mint_a_token() {
    let h = start_default().await;
    let creds = Some((PUBLIC_ID, PUBLIC_SECRET));
    let (status, body) = mint(&h, creds, "", Some("grant_type=client_credentials")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = mint(&h, creds, "?grant_type=client_credentials", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(h.emulator.counters().tokens_minted(), 2);
}

#[tokio::test]
async fn token_response_looks_like_fip_with_expires_in_as_a_string_of_the_configured_ttl() {
    let h = start(config().with_token_ttl(Duration::from_secs(1_234))).await;
    let response = h
        .http
        .post(h.emulator.token_url())
        .query(&[("grant_type", "client_credentials")])
        .basic_auth(FIRM_ID, Some(FIRM_SECRET))
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(CACHE_CONTROL)
            .map(reqwest::header::HeaderValue::as_bytes),
        Some(&b"no-store"[..])
    );
    let body: Value = response.json().await.expect("token JSON");
    assert_eq!(body["expires_in"], json!("1234"), "a JSON string: {body}");
    assert_eq!(body["token_type"], json!("bearer"));
    assert!(body["scope"].is_string(), "{body}");
    let token = body["access_token"].as_str().expect("access_token string");
    assert!(token.starts_with('*'), "{token}");
    assert!(
        token.len() > 500,
        "FIP tokens are over 500 characters: {}",
        token.len()
    );
}

#[tokio::test]
async fn a_secret_containing_colons_authenticates() {
    let credential =
        finra_emulator::Credential::new("colon-client", "se:cr:et", finra_emulator::Tier::Public);
    let h = start(config().with_credential(credential)).await;
    let token = h.token("colon-client", "se:cr:et").await;
    assert!(token.starts_with('*'));
    let (status, body) = mint(
        &h,
        Some(("colon-client", "se:cr")),
        "?grant_type=client_credentials",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, expected(INVALID_CREDENTIALS));
}

#[tokio::test]
async fn each_minted_token_is_new() {
    let h = start_default().await;
    let first = h.token(PUBLIC_ID, PUBLIC_SECRET).await;
    let second = h.token(PUBLIC_ID, PUBLIC_SECRET).await;
    assert_ne!(first, second);
    assert_eq!(h.emulator.counters().tokens_minted(), 2);
}

#[tokio::test]
async fn wrong_client_values_get_400_invalid_credentials_in_body_and_query_variants() {
    let h = start_default().await;
    for (id, secret) in [
        ("None", "None"),
        (PUBLIC_ID, "wrong-secret"),
        ("unknown-client", PUBLIC_SECRET),
        (PUBLIC_ID, ""),
    ] {
        let basic = Some((id, secret));
        let (status, body) = mint(&h, basic, "", Some("grant_type=client_credentials")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}:{secret}");
        assert_eq!(body, expected(INVALID_CREDENTIALS), "{id}:{secret}");
        let (status, body) = mint(&h, basic, "?grant_type=client_credentials", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}:{secret}");
        assert_eq!(body, expected(INVALID_CREDENTIALS), "{id}:{secret}");
    }
    assert_eq!(h.emulator.counters().tokens_minted(), 0);
}

#[tokio::test]
async fn basic_header_that_is_not_base64_id_colon_secret_gets_invalid_credentials() {
    let h = start_default().await;
    for value in ["Basic %%%not-base64%%%", "Basic bm9jb2xvbg=="] {
        let response = h
            .http
            .post(h.emulator.token_url())
            .query(&[("grant_type", "client_credentials")])
            .header(AUTHORIZATION, value)
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{value}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body, expected(INVALID_CREDENTIALS), "{value}");
    }
}

#[tokio::test]
async fn no_basic_authentication_gets_400_client_credentials_is_required() {
    let h = start_default().await;
    let (status, body) = mint(&h, None, "?grant_type=client_credentials", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, expected(CREDENTIALS_REQUIRED));
    let response = h
        .http
        .post(h.emulator.token_url())
        .query(&[("grant_type", "client_credentials")])
        .bearer_auth("some-token")
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, expected(CREDENTIALS_REQUIRED));
}

#[tokio::test]
async fn form_content_type_is_recognised_whatever_its_letter_case_or_parameters() {
    // Media types are case-insensitive (RFC 9110 §8.3.1).
    let h = start_default().await;
    for content_type in [
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded",
    ] {
        let response = h
            .http
            .post(h.emulator.token_url())
            .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET))
            .header(CONTENT_TYPE, content_type)
            .body("grant_type=client_credentials")
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), StatusCode::OK, "{content_type}");
    }
}

#[tokio::test]
async fn grant_type_in_query_and_body_at_once_is_unsupported_grant_type() {
    let h = start_default().await;
    let creds = Some((PUBLIC_ID, PUBLIC_SECRET));
    let (status, body) = mint(
        &h,
        creds,
        "?grant_type=client_credentials",
        Some("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, expected(UNSUPPORTED_GRANT));
    assert_eq!(h.emulator.counters().tokens_minted(), 0);
}

#[tokio::test]
async fn missing_or_other_grant_types_are_unsupported_grant_type() {
    let h = start_default().await;
    let creds = Some((PUBLIC_ID, PUBLIC_SECRET));
    let cases: [(&str, Option<&str>); 6] = [
        ("", None),
        ("", Some("")),
        ("?grant_type=password", None),
        ("", Some("grant_type=authorization_code")),
        (
            "?grant_type=client_credentials&grant_type=client_credentials",
            None,
        ),
        ("?grant_type=CLIENT_CREDENTIALS", None),
    ];
    for (query, body) in cases {
        let (status, answer) = mint(&h, creds, query, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query} {body:?}");
        assert_eq!(answer, expected(UNSUPPORTED_GRANT), "{query} {body:?}");
    }
    assert_eq!(h.emulator.counters().tokens_minted(), 0);
}

#[tokio::test]
async fn token_errors_are_json() {
    let h = start_default().await;
    let response = h
        .http
        .post(h.emulator.token_url())
        .basic_auth("None", Some("None"))
        .query(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
}

#[tokio::test]
async fn get_on_the_token_path_is_405() {
    let h = start_default().await;
    let response = h
        .http
        .get(h.emulator.token_url())
        .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET))
        .query(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    api_error(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(h.emulator.counters().tokens_minted(), 0);
}
