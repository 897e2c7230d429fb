//! `POST /v1/auth/token`: the header half of the request-shape checks: the five required headers
//! missing, blank or repeated, content types, `X-Tenant-ID` forms, and recorded headers
//! (`X-Forwarded-For`, `User-Agent`, `sec-ch-ua-platform`) that are data only.

use axum::http::StatusCode;

use crate::support::{TENANT, TestApp};

const HEADERS: [&str; 5] = [
    "Content-Type",
    "sec-ch-ua-platform",
    "X-Forwarded-For",
    "User-Agent",
    "X-Tenant-ID",
];

#[tokio::test]
async fn each_required_header_missing_blank_or_repeated_is_invalid_request_naming_it() {
    let app = TestApp::new().await;
    let body = app.client_body();
    for name in HEADERS {
        let missing = app.send(app.token_call(&body).without(name)).await;
        missing.assert_error(400, "invalid_request");
        assert!(
            missing.description().contains(name),
            "{}",
            missing.description()
        );
        for blank in ["", "   "] {
            let reply = app.send(app.token_call(&body).set(name, blank)).await;
            reply.assert_error(400, "invalid_request");
            assert!(reply.description().contains(name));
        }
        let value = match name {
            "Content-Type" => "application/json",
            "X-Tenant-ID" => TENANT,
            "X-Forwarded-For" => "127.0.0.1",
            _ => "x",
        };
        let repeated = app.send(app.token_call(&body).header(name, value)).await;
        repeated.assert_error(400, "invalid_request");
        assert!(repeated.description().contains(name));
        assert!(repeated.description().contains("exactly once"));
    }
    assert_eq!(app.send(app.token_call(&body)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn content_types_other_than_json_in_utf8_are_415() {
    let app = TestApp::new().await;
    let body = app.client_body();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/json; charset=utf-16",
        "application/json; charset=iso-8859-1",
        "application/xml",
        "application/json-patch+json",
        "json",
    ] {
        let reply = app
            .send(app.token_call(&body).set("content-type", content_type))
            .await;
        reply.assert_error(415, "invalid_request");
    }
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON;charset=\"UTF-8\"",
    ] {
        let reply = app
            .send(app.token_call(&body).set("content-type", content_type))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{content_type}");
    }
}

#[tokio::test]
async fn tenant_ids_that_are_not_one_to_eighteen_digits_are_invalid_request() {
    let app = TestApp::new().await;
    let body = app.client_body();
    for tenant in [
        "../",
        "..%2f1",
        "%00",
        "1234567890123456789",
        "abc",
        "12a",
        "-1",
        " 1",
        "1 ",
        "1e3",
        "0x1",
    ] {
        let reply = app
            .send(app.token_call(&body).set("x-tenant-id", tenant))
            .await;
        reply.assert_error(400, "invalid_request");
        assert!(reply.description().contains("X-Tenant-ID"), "{tenant:?}");
    }
    let reply = app
        .send(app.token_call(&body).set("x-tenant-id", "１２３"))
        .await;
    reply.assert_error(400, "invalid_request");
    // Well-formed but unknown, or a leading zero that makes it another tenant: bad credentials.
    for tenant in ["123456789012345678", "01234567"] {
        let reply = app
            .send(app.token_call(&body).set("x-tenant-id", tenant))
            .await;
        reply.assert_error(401, "invalid_client");
    }
}

#[tokio::test]
async fn recorded_headers_with_odd_values_are_data_not_errors() {
    let app = TestApp::new().await;
    let body = app.client_body();
    for forwarded in [
        "127.0.0.1",
        "10.0.0.1",
        "::1",
        "garbage",
        "1.1.1.1, 2.2.2.2, 3.3.3.3",
        "<script>",
    ] {
        let reply = app
            .send(app.token_call(&body).set("x-forwarded-for", forwarded))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{forwarded}");
    }
    let long_list = vec!["192.168.0.1"; 300].join(", ");
    let reply = app
        .send(app.token_call(&body).set("x-forwarded-for", &long_list))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    for value in [
        "\"Windows\" \"x\"",
        "'; DROP TABLE users; --",
        &"A".repeat(8 * 1024),
    ] {
        let reply = app
            .send(
                app.token_call(&body)
                    .set("user-agent", value)
                    .set("sec-ch-ua-platform", value),
            )
            .await;
        assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    let reply = app
        .send(
            app.token_call(&body)
                .set("user-agent", &"A".repeat(8 * 1024)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}
