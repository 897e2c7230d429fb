//! `POST /v1/auth/token`: the answer's shape, and the body half of the request-shape checks:
//! malformed JSON, field types, grant and account types, sizes. None of these reach a credential
//! check, and none answers 500.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Call, SCOPE, TENANT, TestApp};

#[tokio::test]
async fn a_login_answers_the_seed_fields_with_an_integer_expires_in_and_no_store() {
    let app = TestApp::new().await;
    let reply = app.send(app.token_call(&app.client_body())).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["expires_in"], json!(3_600));
    assert!(body["expires_in"].is_i64());
    let object = body.as_object().expect("object");
    assert_eq!(object.len(), 7, "{body}");
    for field in [
        "token_type",
        "scope",
        "customerId",
        "tenantId",
        "userSessionToken",
        "refreshToken",
    ] {
        assert!(body[field].is_string(), "{field} must be a string: {body}");
    }
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], SCOPE);
    assert_eq!(body["customerId"], app.b2b.id.as_str());
    assert_eq!(body["tenantId"], TENANT);
    assert_eq!(
        body["userSessionToken"]
            .as_str()
            .map(|t| t.split('.').count()),
        Some(3)
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    assert_eq!(reply.header("x-request-id").map(str::len), Some(36));
}

#[tokio::test]
async fn malformed_json_bodies_are_invalid_request() {
    let app = TestApp::new().await;
    let good = app.client_body().to_string();
    let mut bodies: Vec<Vec<u8>> = [
        String::new(),
        "{".to_owned(),
        "not json".to_owned(),
        "null".to_owned(),
        "[]".to_owned(),
        "\"client_credentials\"".to_owned(),
        format!("{good} trailing"),
        format!("{good}{good}"),
        good.replacen('{', "{\"grantType\":\"client_credentials\",", 1),
        good.replacen('{', "{\"isAdmin\":\"true\",", 1),
        good.replacen('{', "{\"scope\":\"finra:all\",", 1),
        good.replacen('{', "{\"grant\\u0054ype\":\"client_credentials\",", 1),
        good.replace("b2b\"", "b2b\\ud800\""),
        format!(
            "{{\"grantType\":{}{}}}",
            "[".repeat(5_000),
            "]".repeat(5_000)
        ),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    bodies.push(b"{\"grantType\":\"client_credentials\xff\"}".to_vec());
    for body in bodies {
        let reply = app
            .send(app.token_call(&json!({})).body(body.clone()))
            .await;
        reply.assert_error(400, "invalid_request");
        assert!(
            !reply.description().contains(&app.b2b.secret),
            "an error never echoes a secret"
        );
    }
}

#[tokio::test]
async fn every_field_must_be_a_non_empty_string() {
    let app = TestApp::new().await;
    for field in ["customerId", "customerSecret", "accountType", "grantType"] {
        for value in [
            json!(null),
            json!(1),
            json!(true),
            json!(["x"]),
            json!({"a": "b"}),
            json!(""),
        ] {
            let mut body = app.client_body();
            body[field] = value.clone();
            let reply = app.send(app.token_call(&body)).await;
            let expected = if field == "grantType" && value == json!("") {
                "unsupported_grant_type"
            } else {
                "invalid_request"
            };
            reply.assert_error(400, expected);
        }
    }
}

#[tokio::test]
async fn grant_types_must_match_exactly_and_are_checked_first() {
    let app = TestApp::new().await;
    for grant in [
        "PASSWORD",
        "Password",
        "password ",
        "implicit",
        "authorization_code",
        "",
        "refresh-token",
    ] {
        let body = json!({ "grantType": grant, "username": 42, "accountType": "nope" });
        app.send(app.token_call(&body))
            .await
            .assert_error(400, "unsupported_grant_type");
    }
    let mut body = app.client_body();
    body.as_object_mut().map(|o| o.remove("grantType"));
    app.send(app.token_call(&body))
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn account_types_other_than_b2b_and_b2c_are_invalid_request() {
    let app = TestApp::new().await;
    for account_type in ["B2B", "b2b ", "business", "b2x", "B2C"] {
        let mut body = app.client_body();
        body["accountType"] = json!(account_type);
        app.send(app.token_call(&body))
            .await
            .assert_error(400, "invalid_request");
    }
    let mut body = app.client_body();
    body.as_object_mut().map(|o| o.remove("accountType"));
    app.send(app.token_call(&body))
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn a_b2c_customer_may_not_use_client_credentials() {
    let app = TestApp::new().await;
    let body = json!({
        "grantType": "client_credentials",
        "customerId": app.b2c.id,
        "customerSecret": app.b2c.secret,
        "accountType": "b2c",
    });
    app.send(app.token_call(&body))
        .await
        .assert_error(400, "unauthorized_client");
}

#[tokio::test]
async fn each_grant_refuses_fields_it_does_not_take_and_requires_its_own() {
    let app = TestApp::new().await;
    let with = |field: &str, value: &str| {
        let mut body = app.client_body();
        body[field] = json!(value);
        body
    };
    let mut cases: Vec<Value> = vec![
        with("username", "alice"),
        with("password", "secret"),
        with("refreshToken", "fhrt_x"),
        with("otp", "123456"),
    ];
    let mut password_without_password = app.password_body("alice", "x");
    password_without_password
        .as_object_mut()
        .map(|o| o.remove("password"));
    cases.push(password_without_password);
    cases.push({
        let mut body = app.password_body("alice", "x");
        body["refreshToken"] = json!("fhrt_x");
        body
    });
    cases.push({
        let mut body = app.refresh_grant_body("fhrt_x");
        body["username"] = json!("alice");
        body
    });
    cases.push({
        let mut body = app.refresh_grant_body("fhrt_x");
        body.as_object_mut().map(|o| o.remove("refreshToken"));
        body
    });
    cases.push({
        let mut body = app.client_body();
        body.as_object_mut().map(|o| o.remove("customerSecret"));
        body
    });
    for body in cases {
        let reply = app.send(app.token_call(&body)).await;
        reply.assert_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn oversized_values_and_bodies_are_refused_never_truncated() {
    let app = TestApp::new().await;
    let long_username = app.password_body(&"u".repeat(10_000), "x");
    app.send(app.token_call(&long_username))
        .await
        .assert_error(400, "invalid_request");
    let long_password = app.password_body("alice", &"p".repeat(5_000));
    app.send(app.token_call(&long_password))
        .await
        .assert_error(400, "invalid_request");
    let megabyte_password = app.password_body("alice", &"p".repeat(1 << 20));
    app.send(app.token_call(&megabyte_password))
        .await
        .assert_error(413, "invalid_request");

    // The limit is 64 KiB exactly: a body of that size is read, one byte more is not.
    let limit = 64 * 1024;
    let body = app.client_body().to_string();
    let padded = |size: usize| format!("{body}{}", " ".repeat(size - body.len()));
    let at_limit = app
        .send(app.token_call(&json!({})).body(padded(limit)))
        .await;
    assert_eq!(at_limit.status, StatusCode::OK);
    let over = app
        .send(app.token_call(&json!({})).body(padded(limit + 1)))
        .await;
    over.assert_error(413, "invalid_request");
    let declared = app
        .send(
            app.token_call(&app.client_body())
                .set("content-length", &(limit + 1).to_string()),
        )
        .await;
    declared.assert_error(413, "invalid_request");
}

#[tokio::test]
async fn control_characters_in_client_values_are_bad_credentials_not_errors() {
    let app = TestApp::new().await;
    for (field, value) in [
        ("customerId", "cus_\r\nx"),
        ("customerId", "cus_\u{0}"),
        ("customerSecret", "secret\r\nInjected: yes"),
        ("customerSecret", "\u{0}"),
        ("customerId", "cus_\u{200b}"),
    ] {
        let mut body = app.client_body();
        body[field] = json!(value);
        app.send(app.token_call(&body))
            .await
            .assert_error(401, "invalid_client");
    }
}

#[tokio::test]
async fn the_login_route_takes_only_post() {
    let app = TestApp::new().await;
    for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
        let reply = app.send(Call::new(method, "/v1/auth/token")).await;
        reply.assert_error(405, "method_not_allowed");
    }
}
