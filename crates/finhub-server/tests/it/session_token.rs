//! The `userSessionToken` through the HTTP layer: tampered, forged and re-signed tokens all get
//! 401 `invalid_token` with `WWW-Authenticate`, the bearer scheme is case-insensitive, two
//! `Authorization` headers are refused, and a token in the query string is never read.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::{Call, Reply, SIGNING_SECRET, TestApp};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn decode_part(part: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Signs any header and claims with the hub's own key, as an insider with the key could.
fn sign(header_typ: Option<&str>, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = header_typ.map(str::to_owned);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(SIGNING_SECRET.as_bytes()),
    )
    .expect("sign")
}

#[track_caller]
fn assert_invalid_token(reply: &Reply, label: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
    assert_eq!(reply.error(), "invalid_token", "{label}");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"finhub\", error=\"invalid_token\""),
        "{label}"
    );
}

#[tokio::test(start_paused = true)]
async fn tampered_and_forged_session_tokens_are_invalid_token() {
    let app = TestApp::new().await;
    let token = app.client_login().await.session;
    assert_eq!(app.session(&token).await.status, StatusCode::OK);
    let parts: Vec<&str> = token.split('.').collect();
    let (header, payload, signature) = (parts[0], parts[1], parts[2]);
    let header_json = decode_part(header);
    let claims = decode_part(payload);
    assert_eq!(header_json["typ"], "finhub-session+jwt");
    assert!(claims["internalTokenKey"].is_string());

    let with_header = |changes: Value| {
        let mut h = header_json.clone();
        for (k, v) in changes.as_object().expect("object") {
            h[k] = v.clone();
        }
        b64(&h)
    };
    let with_claim = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    let mut cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!("{}.{payload}.", with_header(json!({"alg": "none"}))),
        ),
        (
            "alg None",
            format!("{}.{payload}.", with_header(json!({"alg": "None"}))),
        ),
        (
            "alg nOnE with signature",
            format!(
                "{}.{payload}.{signature}",
                with_header(json!({"alg": "nOnE"}))
            ),
        ),
        ("stripped signature", format!("{header}.{payload}.")),
        ("no signature segment", format!("{header}.{payload}")),
        (
            "HS512 label",
            format!(
                "{}.{payload}.{signature}",
                with_header(json!({"alg": "HS512"}))
            ),
        ),
        (
            "RS256 label",
            format!(
                "{}.{payload}.{signature}",
                with_header(json!({"alg": "RS256"}))
            ),
        ),
        (
            "unknown kid",
            format!(
                "{}.{payload}.{signature}",
                with_header(json!({"kid": "k9"}))
            ),
        ),
        (
            "path kid",
            format!(
                "{}.{payload}.{signature}",
                with_header(json!({"kid": "../../dev/null"}))
            ),
        ),
        (
            "embedded jwk",
            format!(
                "{}.{payload}.{signature}",
                with_header(json!({"jwk": {"kty": "oct", "k": "AAAA"}}))
            ),
        ),
        (
            "changed tenant",
            format!(
                "{header}.{}.{signature}",
                b64(&with_claim("tenantId", json!("7654321")))
            ),
        ),
        (
            "changed subject",
            format!(
                "{header}.{}.{signature}",
                b64(&with_claim("sub", json!("client:cus_other")))
            ),
        ),
        ("five segments", format!("{token}.a.b")),
        ("padding", format!("{header}=.{payload}.{signature}")),
        ("garbage", "not-a-token".to_owned()),
        (
            "too long",
            format!("{header}.{}.{signature}", "A".repeat(5_000)),
        ),
        ("empty", String::new()),
    ];
    // Correctly signed with the hub's key, but with the wrong type, audience, issuer or times.
    let signed: Vec<(&str, String)> = vec![
        ("header typ JWT", sign(Some("JWT"), "k1", &claims)),
        ("no header typ", sign(None, "k1", &claims)),
        (
            "claim typ",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("typ", json!("refresh")),
            ),
        ),
        (
            "wrong aud",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("aud", json!("other")),
            ),
        ),
        (
            "aud array",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("aud", json!(["finhub", "x"])),
            ),
        ),
        (
            "wrong iss",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("iss", json!("http://evil.test")),
            ),
        ),
        (
            "exp as string",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("exp", json!(claims["exp"].to_string())),
            ),
        ),
        (
            "exp float",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("exp", json!(1e30)),
            ),
        ),
        (
            "exp past",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("exp", json!(claims["iat"])),
            ),
        ),
        (
            "iat future",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("iat", json!(claims["exp"])),
            ),
        ),
        (
            "extra claim",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("admin", json!(true)),
            ),
        ),
        // The session's key with another subject: the stored session's user must match `sub`.
        (
            "other subject, real key",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("sub", json!("alice")),
            ),
        ),
        (
            "other tenant, real key",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("tenantId", json!("7654321")),
            ),
        ),
        (
            "unknown session key",
            sign(
                Some("finhub-session+jwt"),
                "k1",
                &with_claim("internalTokenKey", json!("fhsk_nope")),
            ),
        ),
    ];
    cases.extend(signed);
    for (label, forged) in &cases {
        assert_invalid_token(&app.session(forged).await, label);
        assert_invalid_token(&app.refresh(forged).await, label);
    }
    let mut without_exp = claims.clone();
    without_exp.as_object_mut().map(|o| o.remove("exp"));
    let forged = sign(Some("finhub-session+jwt"), "k1", &without_exp);
    assert_invalid_token(&app.session(&forged).await, "exp missing");
    assert_invalid_token(&app.logout(&forged).await, "exp missing");
    assert_eq!(
        app.session(&token).await.status,
        StatusCode::OK,
        "the real one still works"
    );
}

#[tokio::test(start_paused = true)]
async fn the_bearer_scheme_is_case_insensitive_and_must_be_sent_once() {
    let app = TestApp::new().await;
    let token = app.client_login().await.session;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let call = Call::new(Method::GET, "/v1/auth/session")
            .header("authorization", &format!("{scheme} {token}"));
        assert_eq!(app.send(call).await.status, StatusCode::OK, "{scheme}");
    }
    let twice = Call::new(Method::GET, "/v1/auth/session")
        .bearer(&token)
        .bearer(&token);
    app.send(twice).await.assert_error(400, "invalid_request");
    for value in [
        format!("Basic {token}"),
        token.clone(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
    ] {
        let call = Call::new(Method::GET, "/v1/auth/session").header("authorization", &value);
        assert_invalid_token(&app.send(call).await, &value);
    }
    let missing = app.send(Call::new(Method::GET, "/v1/auth/session")).await;
    assert_invalid_token(&missing, "no Authorization");
    assert!(missing.description().contains("Authorization: Bearer"));
}

#[tokio::test(start_paused = true)]
async fn a_token_in_the_query_string_is_never_read() {
    let app = TestApp::new().await;
    let token = app.client_login().await.session;
    for query in ["access_token", "token", "userSessionToken", "authorization"] {
        let uri = format!("/v1/auth/session?{query}={token}");
        assert_invalid_token(&app.send(Call::new(Method::GET, &uri)).await, query);
        let uri = format!("/v1/auth/refresh?{query}={token}");
        assert_invalid_token(&app.send(Call::new(Method::POST, &uri)).await, query);
    }
    let logs = app.logs.text();
    assert!(
        !logs.contains(&token),
        "a token in a query string is not logged either"
    );
}

#[tokio::test(start_paused = true)]
async fn a_token_of_another_hub_instance_with_another_store_is_refused() {
    let first = TestApp::new().await;
    let second = TestApp::new().await;
    let token = first.client_login().await.session;
    assert_invalid_token(&second.session(&token).await, "another hub's session");
}
