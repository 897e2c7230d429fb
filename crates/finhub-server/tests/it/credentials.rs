//! Credential handling: every kind of bad credential gets the same 401, the dummy Argon2
//! verification runs for unknown users, usernames are compared exactly, and failed logins back
//! off from the fifth without ever locking anyone out for good.

use axum::http::StatusCode;
use finhub_core::ids::{CustomerId, TenantId, Username};
use finhub_core::model::AccountType;
use finhub_core::scope::Scope;
use serde_json::{Value, json};

use crate::support::{
    Call, PASSWORD, Reply, TENANT, TestApp, USERNAME, add_user, advance, new_client,
};

const OTHER_TENANT: &str = "7654321";

/// One login attempt, then enough time for any back-off to pass, so attempts are independent.
async fn attempt(app: &TestApp, call: Call) -> Reply {
    let reply = app.send(call).await;
    advance(16 * 60).await;
    reply
}

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("tenant id")
}

#[tokio::test(start_paused = true)]
async fn every_kind_of_bad_credential_gets_the_same_status_body_and_headers() {
    let app = TestApp::builder().with_user().build().await;
    let auth = app.admin();
    auth.create_tenant(
        &finhub_core::admin::Administrator::new("test set-up"),
        tenant(OTHER_TENANT),
        "Other",
        Scope::parse("finra:otcMarket").expect("scope"),
    )
    .await
    .expect("tenant");
    add_user(auth, OTHER_TENANT, "carol", "carol's password").await;
    let other_client = new_client(auth, &tenant(OTHER_TENANT), AccountType::B2c).await;

    let good = app.password_body(USERNAME, PASSWORD);
    let ok = attempt(&app, app.token_call(&good)).await;
    assert_eq!(ok.status, StatusCode::OK);

    let with = |field: &str, value: &str| {
        let mut body = good.clone();
        body[field] = json!(value);
        body
    };
    let mut other_customer = good.clone();
    other_customer["customerId"] = json!(other_client.id);
    other_customer["customerSecret"] = json!(other_client.secret);
    let cases: Vec<(&str, Call)> = vec![
        (
            "unknown tenant",
            app.token_call(&good).set("x-tenant-id", "999"),
        ),
        (
            "another tenant's header",
            app.token_call(&good).set("x-tenant-id", OTHER_TENANT),
        ),
        (
            "unknown customer",
            app.token_call(&with("customerId", "cus_nobody")),
        ),
        ("unknown user", app.token_call(&with("username", "bob"))),
        (
            "wrong password",
            app.token_call(&with("password", "Correct horse battery staple")),
        ),
        (
            "wrong secret",
            app.token_call(&with("customerSecret", "fhcs_wrong")),
        ),
        (
            "another tenant's user",
            app.token_call(&with("username", "carol")),
        ),
        ("another tenant's customer", app.token_call(&other_customer)),
        (
            "accountType not the customer's",
            app.token_call(&with("accountType", "b2b")),
        ),
    ];
    let mut replies = Vec::new();
    for (label, call) in cases {
        replies.push((label, attempt(&app, call).await));
    }

    let store = app.store();
    let tenant_id = tenant(TENANT);
    let customer = CustomerId::parse(&app.b2c.id).expect("customer id");
    let user = Username::parse(USERNAME).expect("username");
    store
        .set_user_disabled(&tenant_id, &user, true)
        .await
        .expect("disable");
    replies.push(("disabled user", attempt(&app, app.token_call(&good)).await));
    store
        .set_user_disabled(&tenant_id, &user, false)
        .await
        .expect("enable");
    store
        .set_customer_disabled(&tenant_id, &customer, true)
        .await
        .expect("disable");
    replies.push((
        "disabled customer",
        attempt(&app, app.token_call(&good)).await,
    ));
    store
        .set_customer_disabled(&tenant_id, &customer, false)
        .await
        .expect("enable");
    store
        .set_tenant_disabled(&tenant_id, true)
        .await
        .expect("disable");
    replies.push((
        "disabled tenant",
        attempt(&app, app.token_call(&good)).await,
    ));

    let (_, first) = &replies[0];
    for (label, reply) in &replies {
        reply.assert_error(401, "invalid_client");
        assert_eq!(
            reply.body_without_request_id(),
            first.body_without_request_id(),
            "{label}"
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer realm=\"finhub\""),
            "{label}"
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{label}");
        let mut names: Vec<&str> = reply
            .headers
            .keys()
            .map(axum::http::HeaderName::as_str)
            .collect();
        let mut first_names: Vec<&str> = first
            .headers
            .keys()
            .map(axum::http::HeaderName::as_str)
            .collect();
        names.sort_unstable();
        first_names.sort_unstable();
        assert_eq!(names, first_names, "{label}");
    }
}

#[tokio::test(start_paused = true)]
async fn machine_logins_answer_every_bad_credential_alike() {
    let app = TestApp::new().await;
    let good = app.client_body();
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let calls = [
        app.token_call(&with("customerSecret", json!("fhcs_wrong"))),
        app.token_call(&with("customerSecret", json!(app.b2c.secret))),
        app.token_call(&with("customerId", json!(app.b2c.id))),
        app.token_call(&with("customerId", json!("cus_nobody"))),
        app.token_call(&good).set("x-tenant-id", "999"),
    ];
    let mut bodies = Vec::new();
    for call in calls {
        let reply = attempt(&app, call).await;
        reply.assert_error(401, "invalid_client");
        bodies.push(reply.body_without_request_id());
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn usernames_are_compared_exactly_and_odd_unicode_never_errors() {
    let app = TestApp::new().await;
    let nfc = "Jos\u{e9}";
    add_user(app.admin(), TENANT, nfc, PASSWORD).await;
    let ok = attempt(&app, app.token_call(&app.password_body(nfc, PASSWORD))).await;
    assert_eq!(ok.status, StatusCode::OK, "the NFC spelling is the user");
    for other in [
        "Jose\u{301}",       // NFD: another user
        "Jos\u{e9}\u{200b}", // zero-width space
        "J\u{43e}s\u{e9}",   // Cyrillic o
        "jos\u{e9}",         // case
        " Jos\u{e9}",        // leading space
        "Jos\u{e9}\r\nadmin",
        "Jo\u{0}s\u{e9}",
        "\u{202e}\u{e9}soJ", // right-to-left override
    ] {
        let reply = attempt(&app, app.token_call(&app.password_body(other, PASSWORD))).await;
        reply.assert_error(401, "invalid_client");
    }
}

#[tokio::test(start_paused = true)]
async fn an_otp_is_accepted_with_the_password_grant_and_not_yet_checked() {
    let app = TestApp::builder().with_user().build().await;
    let mut body = app.password_body(USERNAME, PASSWORD);
    body["otp"] = json!("000000");
    let reply = app.send(app.token_call(&body)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn each_login_starts_a_new_session_and_leaves_the_others_valid() {
    let app = TestApp::new().await;
    let first = app.client_login().await;
    let second = app.client_login().await;
    assert_ne!(first, second);
    assert_eq!(app.session(&first.session).await.status, StatusCode::OK);
    assert_eq!(app.session(&second.session).await.status, StatusCode::OK);
}

/// The structure of equal timing, checked against real time as a sanity bound only (the
/// statistical comparison is the benchmark's): a login for an unknown user, a wrong password
/// and a wrong customer secret with the password grant each take at least a good part of one
/// Argon2 verification, while a `client_credentials` login, which has no password, does not.
/// Paused time cannot show this: Argon2 runs on the hasher's own threads in real time.
#[tokio::test(start_paused = true)]
async fn every_failed_password_login_runs_exactly_one_argon2_verification() {
    let app = TestApp::builder().with_user().build().await;
    let hasher = app.state.logins.hasher().clone();
    let wrong_secret = {
        let mut body = app.password_body(USERNAME, PASSWORD);
        body["customerSecret"] = json!("fhcs_wrong");
        body
    };
    let unknown_tenant = app
        .token_call(&app.password_body(USERNAME, PASSWORD))
        .set("X-Tenant-ID", OTHER_TENANT);
    let cases = [
        (
            "unknown user",
            app.token_call(&app.password_body("nobody", PASSWORD)),
        ),
        (
            "wrong password",
            app.token_call(&app.password_body(USERNAME, "wrong")),
        ),
        ("wrong customer secret", app.token_call(&wrong_secret)),
        ("unknown tenant", unknown_tenant),
        (
            "right password",
            app.token_call(&app.password_body(USERNAME, PASSWORD)),
        ),
    ];
    for (label, call) in cases {
        let before = hasher.verifications();
        let reply = attempt(&app, call).await;
        if label == "right password" {
            assert_eq!(reply.status, StatusCode::OK);
        } else {
            reply.assert_error(401, "invalid_client");
        }
        assert_eq!(hasher.verifications() - before, 1, "{label}");
    }
    let before = hasher.verifications();
    let mut machine = app.client_body();
    machine["customerSecret"] = json!("fhcs_wrong");
    attempt(&app, app.token_call(&machine))
        .await
        .assert_error(401, "invalid_client");
    assert_eq!(
        hasher.verifications(),
        before,
        "a login without a password runs no Argon2"
    );
}

#[tokio::test(start_paused = true)]
async fn failed_logins_back_off_from_the_fifth_doubling_and_never_for_good() {
    let app = TestApp::builder().with_user().build().await;
    let wrong = app.password_body(USERNAME, "wrong");
    let right = app.password_body(USERNAME, PASSWORD);
    for _ in 0..5 {
        app.send(app.token_call(&wrong))
            .await
            .assert_error(401, "invalid_client");
    }
    let blocked = app.send(app.token_call(&right)).await;
    blocked.assert_error(429, "rate_limited");
    assert_eq!(blocked.header("retry-after"), Some("1"));
    advance(1).await;
    app.send(app.token_call(&wrong))
        .await
        .assert_error(401, "invalid_client");
    let blocked = app.send(app.token_call(&right)).await;
    blocked.assert_error(429, "rate_limited");
    assert_eq!(blocked.header("retry-after"), Some("2"), "the wait doubles");
    advance(2).await;
    let reply = app.send(app.token_call(&right)).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "a correct password works after the wait"
    );
    app.send(app.token_call(&wrong))
        .await
        .assert_error(401, "invalid_client");
}

#[tokio::test(start_paused = true)]
async fn machine_logins_back_off_per_customer_too() {
    let app = TestApp::new().await;
    let mut wrong = app.client_body();
    wrong["customerSecret"] = json!("fhcs_wrong");
    for _ in 0..5 {
        app.send(app.token_call(&wrong))
            .await
            .assert_error(401, "invalid_client");
    }
    let blocked = app.send(app.token_call(&app.client_body())).await;
    blocked.assert_error(429, "rate_limited");
    assert_eq!(blocked.header("retry-after"), Some("1"));
    advance(1).await;
    assert_eq!(
        app.send(app.token_call(&app.client_body())).await.status,
        StatusCode::OK
    );
}
