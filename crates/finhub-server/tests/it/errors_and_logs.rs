//! Errors, headers, logs and audit: the envelope and request id everywhere,
//! 404/405/408/431 in the envelope, health and the no-op route, audit entries in production, and
//! no secret in any log line or audit entry.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use finhub_core::audit::{AuditAction, AuditOutcome};
use finhub_core::mfa::MfaPolicy;
use serde_json::{Value, json};

use crate::support::{Call, PASSWORD, TENANT, TestApp, USERNAME, advance, send_request};

#[tokio::test(start_paused = true)]
async fn unknown_paths_and_methods_answer_in_the_envelope() {
    let app = TestApp::new().await;
    for path in [
        "/",
        "/v1",
        "/v1/auth/token/",
        "/V1/AUTH/TOKEN",
        "/v1/auth/fhsk_leaked",
    ] {
        let reply = app.send(Call::new(Method::GET, path)).await;
        reply.assert_error(404, "not_found");
    }
    assert!(
        !app.logs.text().contains("fhsk_leaked"),
        "unknown paths are not logged"
    );
    for (method, path, allow) in [
        (Method::POST, "/healthz", "GET"),
        (Method::GET, "/v1/auth/logout", "POST"),
        (Method::GET, "/v1/auth/refresh", "POST"),
        (Method::DELETE, "/v1/auth/session", "GET"),
        (Method::POST, "/v1/noop", "GET"),
        (Method::PUT, "/v1/mfa/totp", "POST, DELETE"),
    ] {
        let reply = app.send(Call::new(method, path)).await;
        reply.assert_error(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{path}");
    }
}

#[tokio::test(start_paused = true)]
async fn health_and_the_no_op_route_answer_with_a_request_id() {
    let app = TestApp::new().await;
    let health = app.send(Call::new(Method::GET, "/healthz")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(
        health.json(),
        json!({"status": "ok", "service": "finhub", "version": env!("CARGO_PKG_VERSION")})
    );
    let noop = app.send(Call::new(Method::GET, "/v1/noop")).await;
    assert_eq!(noop.status, StatusCode::NO_CONTENT);
    assert!(noop.body.is_empty());
    let ids: Vec<String> = [health, noop]
        .iter()
        .map(|r| r.header("x-request-id").expect("request id").to_owned())
        .collect();
    assert_ne!(ids[0], ids[1], "every request gets its own id");
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()));
}

#[tokio::test(start_paused = true)]
async fn a_clients_request_id_is_not_taken_over() {
    let app = TestApp::new().await;
    let call = Call::new(Method::GET, "/healthz").header("x-request-id", "attacker-chosen");
    let reply = app.send(call).await;
    assert_ne!(reply.header("x-request-id"), Some("attacker-chosen"));
}

#[tokio::test(start_paused = true)]
async fn headers_over_the_limit_get_431_in_the_envelope() {
    let app = TestApp::new().await;
    let big = app
        .token_call(&app.client_body())
        .header("x-padding", &"p".repeat(17 * 1024));
    app.send(big).await.assert_error(431, "invalid_request");
    let mut many = Call::new(Method::GET, "/healthz");
    for idx in 0..70 {
        many = many.header(&format!("x-h{idx}"), "v");
    }
    app.send(many).await.assert_error(431, "invalid_request");
}

/// A request body that never arrives (a slow client).
struct NeverEnds;

impl HttpBody for NeverEnds {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_whose_body_stops_arriving_gets_408_at_the_time_limit() {
    let app = TestApp::new().await;
    let mut request = app.token_call(&json!({})).into_request();
    *request.body_mut() = Body::new(NeverEnds);
    let router = app.router.clone();
    let task = tokio::spawn(async move { send_request(&router, request).await });
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    advance(29).await;
    assert!(!task.is_finished());
    advance(1).await;
    let reply = task.await.expect("task");
    reply.assert_error(408, "request_timeout");
}

#[tokio::test(start_paused = true)]
async fn errors_of_the_auth_endpoints_are_never_cached() {
    let app = TestApp::new().await;
    let replies = [
        app.send(app.token_call(&json!({}))).await,
        app.send(app.token_call(&app.client_body()).without("user-agent"))
            .await,
        app.session("nope").await,
        app.refresh("nope").await,
        app.logout("nope").await,
    ];
    for reply in replies {
        assert!(reply.status.is_client_error());
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("pragma"), Some("no-cache"));
    }
}

fn internal_token_key(session_token: &str) -> String {
    let payload = session_token.split('.').nth(1).expect("payload");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
    claims["internalTokenKey"].as_str().expect("key").to_owned()
}

#[tokio::test(start_paused = true)]
async fn production_audits_every_decision_without_a_secret() {
    let app = TestApp::builder()
        .production()
        .with_user()
        .mfa_policy(MfaPolicy::Optional)
        .build()
        .await;
    let forwarded = "198.51.100.77";
    let agent = "Mozilla/5.0 (audit test)";
    let call = |body: &Value| {
        app.token_call(body)
            .set("x-forwarded-for", forwarded)
            .set("user-agent", agent)
    };
    let ok = app.send(call(&app.password_body(USERNAME, PASSWORD))).await;
    let tokens = ok.tokens();
    advance(5).await;
    let failed = app.send(call(&app.password_body(USERNAME, "wrong"))).await;
    failed.assert_error(401, "invalid_client");
    let refreshed = app.refresh(&tokens.session).await;
    let logged_out = app.logout(&tokens.session).await;
    assert_eq!(logged_out.status, StatusCode::NO_CONTENT);

    let mut events = app.store().recent_audit_events(20).await.expect("audit");
    // The set-up's administrative actions are audited too (with their actor); this test is
    // about the requests' decisions.
    events.retain(|event| event.actor.is_none());
    events.reverse();
    let summary: Vec<(AuditAction, AuditOutcome)> = events
        .iter()
        .map(|e| (e.action, e.outcome.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (AuditAction::PasswordLogin, AuditOutcome::Success),
            (
                AuditAction::PasswordLogin,
                AuditOutcome::Failure("invalid_client".into())
            ),
            (AuditAction::SessionRefresh, AuditOutcome::Success),
            (AuditAction::Logout, AuditOutcome::Success),
        ]
    );
    let replies = [&ok, &failed, &refreshed, &logged_out];
    for (event, reply) in events.iter().zip(replies) {
        assert_eq!(
            Some(event.request_id.as_str()),
            reply.header("x-request-id")
        );
        assert!(event.at.offset().is_utc());
        assert_eq!(event.peer_addr, "127.0.0.1");
        assert_eq!(
            event.client_addr, "127.0.0.1",
            "XFF from a non-proxy is not believed"
        );
    }
    // The session endpoints' entries do not name the session's tenant, customer or user yet
    // (finhub-core audits them with an empty subject).
    for event in &events[..2] {
        assert_eq!(event.tenant.as_deref(), Some(TENANT));
        assert_eq!(
            event.forwarded_for.as_deref(),
            Some(forwarded),
            "recorded as data"
        );
        assert_eq!(event.user_agent.as_deref(), Some(agent));
        assert_eq!(event.username.as_deref(), Some(USERNAME));
        assert_eq!(event.customer.as_deref(), Some(app.b2c.id.as_str()));
    }
    assert_eq!(
        events[0].at,
        time::macros::datetime!(2026-01-05 14:30:00 UTC)
    );
    assert_eq!(
        events[1].at,
        time::macros::datetime!(2026-01-05 14:30:05 UTC)
    );

    let audit_text: String = events
        .iter()
        .map(finhub_core::audit::AuditEvent::to_json_line)
        .collect();
    for secret in secrets_of(&app, &tokens.session, &tokens.refresh) {
        assert!(
            !audit_text.contains(&secret),
            "the audit log holds a secret"
        );
    }
}

fn secrets_of(app: &TestApp, session: &str, refresh: &str) -> Vec<String> {
    vec![
        PASSWORD.to_owned(),
        app.b2b.secret.clone(),
        app.b2c.secret.clone(),
        session.to_owned(),
        session.split('.').nth(2).expect("signature").to_owned(),
        refresh.to_owned(),
        internal_token_key(session),
    ]
}

#[tokio::test(start_paused = true)]
async fn logs_hold_one_line_per_request_and_no_secret() {
    let app = TestApp::builder().with_user().build().await;
    let person = app.password_login().await;
    let machine = app.client_login().await;
    app.send(app.token_call(&app.password_body(USERNAME, "wrong password!")))
        .await
        .assert_error(401, "invalid_client");
    let rotated = app
        .send(app.token_call(&app.refresh_grant_body(&machine.refresh)))
        .await
        .tokens();
    advance(11).await;
    app.send(app.token_call(&app.refresh_grant_body(&machine.refresh)))
        .await
        .assert_error(400, "invalid_grant");
    app.refresh(&person.session).await;
    app.session(&person.session).await;
    let body = json!({"userSessionToken": rotated.session}).to_string();
    let with_body = Call::new(Method::POST, "/v1/auth/refresh")
        .bearer(&person.session)
        .header("content-type", "application/json")
        .body(body);
    app.send(with_body).await;
    app.logout(&person.session).await;
    app.session(&person.session).await;

    let logs = app.logs.text();
    let request_lines = logs.lines().filter(|l| l.contains("http.status=")).count();
    assert_eq!(request_lines, 10, "{logs}");
    assert!(
        logs.contains("/v1/auth/token") && logs.contains("request.id="),
        "{logs}"
    );
    let mut secrets = secrets_of(&app, &person.session, &person.refresh);
    secrets.extend(secrets_of(&app, &machine.session, &machine.refresh));
    secrets.extend(secrets_of(&app, &rotated.session, &rotated.refresh));
    secrets.push("wrong password!".to_owned());
    for secret in secrets {
        assert!(!logs.contains(&secret), "a log line holds a secret");
    }
}

#[tokio::test(start_paused = true)]
async fn odd_inputs_on_every_endpoint_never_answer_500() {
    let app = TestApp::new().await;
    let token = app.client_login().await.session;
    let bodies: [&[u8]; 6] = [
        b"\x00\x01\x02",
        b"\xff\xfe",
        b"{\"userSessionToken\":\"\\u0000\"}",
        b"{\"a\":",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]",
        b"\"\\ud800\"",
    ];
    for path in ["/v1/auth/token", "/v1/auth/refresh", "/v1/auth/logout"] {
        for body in bodies {
            for content_type in ["application/json", "text/plain"] {
                let call = Call::new(Method::POST, path)
                    .bearer(&token)
                    .header("content-type", content_type)
                    .header("x-tenant-id", TENANT)
                    .body(body.to_vec());
                let reply = app.send(call).await;
                assert!(reply.status.as_u16() < 500, "{path} {:?}", reply.status);
            }
        }
    }
}

/// A state over the same store whose data key is another one, as after a botched key rotation.
fn sibling_with_another_data_key(app: &TestApp) -> finhub_server::http::App {
    use base64::Engine;
    let other_key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    finhub_server::http::app(app.sibling_with(|raw| raw.keys.data_key = Some(other_key)))
}

#[tokio::test(start_paused = true)]
async fn a_server_fault_answers_internal_error_and_logs_its_detail_once() {
    let app = TestApp::new().await;
    let sibling = sibling_with_another_data_key(&app);
    let tokens = app.client_login().await;
    let first = app
        .send(app.token_call(&app.refresh_grant_body(&tokens.refresh)))
        .await
        .tokens();
    // The retry within the grace window needs the sealed pair, which this key cannot open.
    let call = app.token_call(&app.refresh_grant_body(&tokens.refresh));
    let reply = crate::support::send(&sibling, call).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = reply.json();
    assert_eq!(body["error"], "server_error");
    assert_eq!(body["error_description"], "internal error");
    assert_eq!(body["requestId"].as_str(), reply.header("x-request-id"));
    let logs = app.logs.text();
    let request_id = reply.header("x-request-id").expect("request id");
    let detail_lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("request failed") && l.contains(request_id))
        .collect();
    assert_eq!(detail_lines.len(), 1, "{logs}");
    assert!(detail_lines[0].contains("cannot be opened"), "{logs}");
    for secret in secrets_of(&app, &first.session, &first.refresh) {
        assert!(!logs.contains(&secret));
    }
}
