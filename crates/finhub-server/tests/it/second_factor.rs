//! The second factor over HTTP, row by row of its rules: logins with `otp` or `recoveryCode`
//! after a right password (and never a hint about it after a wrong one), the enrolment
//! endpoints under `/v1/mfa` with a session or an enrolment token, the tenant's policy, the
//! failure back-off and the lock, the administrator's reset, and no secret in any log line,
//! audit entry or error body.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use finhub_core::admin::Administrator;
use finhub_core::ids::Username;
use finhub_core::mfa::{MfaPolicy, TotpSecret};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::{Call, PASSWORD, Reply, TestApp, Tokens, USERNAME, advance};

/// A `/v1/mfa` call with this bearer token and, if given, a JSON body.
fn mfa(method: Method, path: &str, bearer: &str, body: Option<&Value>) -> Call {
    let call = Call::new(method, path).bearer(bearer);
    match body {
        Some(body) => call
            .header("content-type", "application/json")
            .body(body.to_string()),
        None => call,
    }
}

/// What an enrolment showed the person.
struct Enrolled {
    secret: TotpSecret,
    /// The Base32 secret, the URI and the QR code as shown (to search outputs for).
    shown: Vec<String>,
    recovery_codes: Vec<String>,
}

/// The claims of a session token (unverified: the hub verified it when it issued it).
fn claims(session_token: &str) -> Value {
    let payload = session_token.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

impl TestApp {
    /// The code the user's authenticator shows now.
    fn code(&self, secret: &TotpSecret) -> String {
        secret
            .code_at(self.clock.now_utc())
            .expect("code")
            .expose_secret()
            .to_owned()
    }

    /// A password login with extra fields.
    async fn login_with(&self, extra: &[(&str, &str)]) -> Reply {
        let mut body = self.password_body(USERNAME, PASSWORD);
        for (key, value) in extra {
            body[*key] = json!(value);
        }
        self.send(self.token_call(&body)).await
    }

    /// Starts and confirms a factor with `bearer` (a session, or an enrolment token when
    /// `password` is `None`); the confirmation's answer too.
    async fn enrol_with(&self, bearer: &str, password: Option<&str>) -> (Enrolled, Value) {
        let body = password.map_or_else(|| json!({}), |password| json!({ "password": password }));
        let started = self
            .send(mfa(Method::POST, "/v1/mfa/totp", bearer, Some(&body)))
            .await;
        started.assert_ok();
        assert_eq!(
            started.header("cache-control"),
            Some("no-store"),
            "the secret is never cached"
        );
        let pending = started.json();
        assert_eq!(pending["expires_in"], 600);
        let secret_text = pending["secret"].as_str().expect("secret").to_owned();
        let secret = TotpSecret::from_base32(&secret_text).expect("Base32");
        let confirmed = self
            .send(mfa(
                Method::POST,
                "/v1/mfa/totp/confirm",
                bearer,
                Some(&json!({ "otp": self.code(&secret) })),
            ))
            .await;
        confirmed.assert_ok();
        assert_eq!(confirmed.header("cache-control"), Some("no-store"));
        let answer = confirmed.json();
        let recovery_codes: Vec<String> = answer["recoveryCodes"]
            .as_array()
            .expect("recoveryCodes")
            .iter()
            .map(|code| code.as_str().expect("a code").to_owned())
            .collect();
        assert_eq!(recovery_codes.len(), 10);
        let shown = ["secret", "otpauthUri", "qrSvg"]
            .iter()
            .map(|key| pending[*key].as_str().expect(key).to_owned())
            .collect();
        (
            Enrolled {
                secret,
                shown,
                recovery_codes,
            },
            answer,
        )
    }

    /// The user logs in with a password and enrols from that session; the next step starts.
    async fn enrolled_user(&self) -> (Tokens, Enrolled) {
        let tokens = self.password_login().await;
        let (enrolled, _) = self.enrol_with(&tokens.session, Some(PASSWORD)).await;
        advance(30).await;
        (tokens, enrolled)
    }
}

#[tokio::test(start_paused = true)]
async fn an_enrolled_user_needs_a_code_and_each_code_or_recovery_code_works_once() {
    let app = TestApp::builder().with_user().build().await;
    let (_, enrolled) = app.enrolled_user().await;
    app.login_with(&[]).await.assert_error(401, "mfa_required");
    app.login_with(&[("otp", "000000")])
        .await
        .assert_error(401, "invalid_otp");
    let code = app.code(&enrolled.secret);
    let with_code = app.login_with(&[("otp", &code)]).await.tokens();
    assert_eq!(
        claims(&with_code.session)["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    assert_eq!(
        app.session(&with_code.session).await.json()["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    app.login_with(&[("otp", &code)])
        .await
        .assert_error(401, "invalid_otp");

    let recovery = enrolled.recovery_codes[0].to_lowercase();
    let with_recovery = app
        .login_with(&[("recoveryCode", &recovery)])
        .await
        .tokens();
    assert_eq!(claims(&with_recovery.session)["amr"], json!(["pwd", "mfa"]));
    app.login_with(&[("recoveryCode", &recovery)])
        .await
        .assert_error(401, "invalid_otp");
    let status = app
        .send(mfa(Method::GET, "/v1/mfa", &with_recovery.session, None))
        .await
        .json();
    assert_eq!(status["policy"], "optional");
    assert_eq!(status["totp"]["enrolled"], true);
    assert!(status["totp"]["confirmedAt"].is_string());
    assert_eq!(status["recoveryCodesLeft"], 9);
}

#[tokio::test(start_paused = true)]
async fn the_enrolment_code_and_a_code_of_an_earlier_step_are_refused_at_the_next_login() {
    let app = TestApp::builder().with_user().build().await;
    let tokens = app.password_login().await;
    let (enrolled, _) = app.enrol_with(&tokens.session, Some(PASSWORD)).await;
    let confirming = app.code(&enrolled.secret);
    app.login_with(&[("otp", &confirming)])
        .await
        .assert_error(401, "invalid_otp");
    // s−1 and s+1 are accepted, s−2 and s+2 are not.
    advance(60).await;
    let step = |offset: i64| {
        let at = app.clock.now_utc() + time::Duration::seconds(30 * offset);
        enrolled
            .secret
            .code_at(at)
            .expect("code")
            .expose_secret()
            .to_owned()
    };
    for refused in [-2, 2] {
        app.login_with(&[("otp", &step(refused))])
            .await
            .assert_error(401, "invalid_otp");
    }
    app.login_with(&[("otp", &step(-1))]).await.assert_ok();
    app.login_with(&[("otp", &step(1))]).await.assert_ok();
    app.login_with(&[("otp", &step(0))])
        .await
        .assert_error(401, "invalid_otp");
}

#[tokio::test(start_paused = true)]
async fn a_wrong_password_never_hears_about_the_second_factor_and_costs_one_argon2() {
    let app = TestApp::builder().with_user().build().await;
    let (_, enrolled) = app.enrolled_user().await;
    let unknown = app
        .send(app.token_call(&app.password_body("nobody", PASSWORD)))
        .await;
    unknown.assert_error(401, "invalid_client");
    let hasher = app.state.logins.hasher();
    let code = app.code(&enrolled.secret);
    for extra in [
        vec![],
        vec![("otp", code.as_str())],
        vec![("otp", "000000")],
    ] {
        let mut body = app.password_body(USERNAME, "wrong password");
        for (key, value) in &extra {
            body[*key] = json!(value);
        }
        let before = hasher.verifications();
        let reply = app.send(app.token_call(&body)).await;
        reply.assert_error(401, "invalid_client");
        assert_eq!(
            reply.body_without_request_id(),
            unknown.body_without_request_id()
        );
        assert_eq!(hasher.verifications() - before, 1, "{extra:?}");
    }
    // The code was never checked: it still logs in.
    app.login_with(&[("otp", &code)]).await.assert_ok();
}

#[tokio::test(start_paused = true)]
async fn a_wrong_code_and_a_replayed_code_take_the_same_path() {
    let app = TestApp::builder().with_user().build().await;
    let (_, enrolled) = app.enrolled_user().await;
    let code = app.code(&enrolled.secret);
    app.login_with(&[("otp", &code)]).await.assert_ok();
    let checks = app.state.logins.second_factors();
    let hasher = app.state.logins.hasher();
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let mut bodies = Vec::new();
    for (label, sent) in [("replayed", code.as_str()), ("wrong", wrong)] {
        let (totp_before, argon_before) = (checks.verifications(), hasher.verifications());
        let reply = app.login_with(&[("otp", sent)]).await;
        reply.assert_error(401, "invalid_otp");
        assert_eq!(checks.verifications() - totp_before, 1, "{label}");
        assert_eq!(hasher.verifications() - argon_before, 1, "{label}");
        bodies.push(reply.body_without_request_id());
    }
    assert_eq!(bodies[0], bodies[1], "one body for both");
}

#[tokio::test(start_paused = true)]
async fn policy_required_forces_an_enrolment_that_ends_logged_in() {
    let app = TestApp::builder()
        .with_user()
        .mfa_policy(MfaPolicy::Required)
        .build()
        .await;
    let refused = app.login_with(&[("otp", "123456")]).await;
    refused.assert_error(401, "mfa_enrollment_required");
    let enrollment = refused.json()["enrollmentToken"]
        .as_str()
        .expect("enrollmentToken")
        .to_owned();
    assert_eq!(claims(&enrollment)["typ"], "finhub-enrollment+jwt");

    // Only the enrolment endpoints take it.
    for reply in [
        app.session(&enrollment).await,
        app.refresh(&enrollment).await,
        app.logout(&enrollment).await,
        app.send(Call::new(Method::GET, "/v1/finra/datasets").bearer(&enrollment))
            .await,
        app.send(mfa(
            Method::DELETE,
            "/v1/mfa/totp",
            &enrollment,
            Some(&json!({"password": PASSWORD, "otp": "123456"})),
        ))
        .await,
        app.send(mfa(
            Method::POST,
            "/v1/mfa/recovery-codes",
            &enrollment,
            Some(&json!({"password": PASSWORD, "otp": "123456"})),
        ))
        .await,
    ] {
        reply.assert_error(401, "invalid_token");
    }
    let status = app
        .send(mfa(Method::GET, "/v1/mfa", &enrollment, None))
        .await
        .json();
    assert_eq!(status["policy"], "required");
    assert_eq!(status["totp"]["enrolled"], false);

    let (enrolled, answer) = app.enrol_with(&enrollment, None).await;
    let session = answer["userSessionToken"].as_str().expect("a login");
    assert!(answer["refreshToken"].is_string());
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["tenantId"], crate::support::TENANT);
    assert_eq!(claims(session)["amr"], json!(["pwd", "otp", "mfa"]));
    app.session(session).await.assert_ok();
    // Spent: the token works once.
    app.send(mfa(Method::GET, "/v1/mfa", &enrollment, None))
        .await
        .assert_error(401, "invalid_token");
    advance(30).await;
    app.login_with(&[]).await.assert_error(401, "mfa_required");
    let code = app.code(&enrolled.secret);
    app.login_with(&[("otp", &code)]).await.assert_ok();
}

#[tokio::test(start_paused = true)]
async fn an_enrolment_token_lasts_ten_minutes_and_a_wrong_confirmation_does_not_spend_it() {
    let app = TestApp::builder()
        .with_user()
        .mfa_policy(MfaPolicy::Required)
        .build()
        .await;
    let enrollment = app.login_with(&[]).await.json()["enrollmentToken"]
        .as_str()
        .expect("token")
        .to_owned();
    app.send(mfa(Method::POST, "/v1/mfa/totp", &enrollment, None))
        .await
        .assert_ok();
    app.send(mfa(
        Method::POST,
        "/v1/mfa/totp/confirm",
        &enrollment,
        Some(&json!({"otp": "000000"})),
    ))
    .await
    .assert_error(401, "invalid_otp");
    advance(599).await;
    app.send(mfa(Method::GET, "/v1/mfa", &enrollment, None))
        .await
        .assert_ok();
    advance(1).await;
    app.send(mfa(Method::GET, "/v1/mfa", &enrollment, None))
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test(start_paused = true)]
async fn second_factor_failures_back_off_from_the_fifth_and_lock_at_one_hundred() {
    let app = TestApp::builder()
        .with_user()
        .config(|raw| raw.audit.enabled = Some(true))
        .build()
        .await;
    let (_, enrolled) = app.enrolled_user().await;
    for _ in 0..5 {
        app.login_with(&[("otp", "000000")])
            .await
            .assert_error(401, "invalid_otp");
    }
    let code = app.code(&enrolled.secret);
    let waiting = app.login_with(&[("otp", &code)]).await;
    waiting.assert_error(429, "rate_limited");
    assert_eq!(waiting.header("retry-after"), Some("1"));
    advance(1).await;
    app.login_with(&[("otp", "000000")])
        .await
        .assert_error(401, "invalid_otp");
    let waiting = app.login_with(&[("otp", &code)]).await;
    assert_eq!(waiting.header("retry-after"), Some("2"), "doubling");
    advance(2).await;
    // Password failures are apart: the password back-off is untouched.
    let tokens = app.login_with(&[("otp", &code)]).await.tokens();
    assert_eq!(claims(&tokens.session)["amr"], json!(["pwd", "otp", "mfa"]));

    // The 100th consecutive failure locks the factor until an administrator resets it.
    let tenant = app.tenant.clone();
    let user = Username::parse(USERNAME).expect("username");
    for _ in 0..99 {
        app.store()
            .record_mfa_failure(
                &tenant,
                &user,
                app.clock.now_utc() - time::Duration::hours(1),
            )
            .await
            .expect("count");
    }
    advance(30).await;
    app.login_with(&[("otp", "000000")])
        .await
        .assert_error(401, "invalid_otp");
    advance(3_600).await;
    let code = app.code(&enrolled.secret);
    app.login_with(&[("otp", &code)])
        .await
        .assert_error(401, "invalid_otp");
    app.login_with(&[("recoveryCode", &enrolled.recovery_codes[1])])
        .await
        .assert_error(401, "invalid_otp");
    let events = app.store().recent_audit_events(20).await.expect("audit");
    assert!(
        events
            .iter()
            .any(|event| event.action.as_str() == "mfa_locked"),
        "{events:?}"
    );

    let ended = app
        .admin()
        .reset_mfa(&Administrator::new("ops"), &tenant, &user)
        .await
        .expect("reset");
    assert!(ended >= 1);
    app.session(&tokens.session)
        .await
        .assert_error(401, "invalid_token");
    app.send(app.token_call(&app.refresh_grant_body_b2c(&tokens.refresh)))
        .await
        .assert_error(400, "invalid_grant");
    let after_reset = app.login_with(&[]).await.tokens();
    assert_eq!(claims(&after_reset.session)["amr"], json!(["pwd"]));
}

impl TestApp {
    /// The `refresh_token` grant through the `b2c` customer (the person's).
    fn refresh_grant_body_b2c(&self, refresh_token: &str) -> Value {
        json!({
            "grantType": "refresh_token",
            "refreshToken": refresh_token,
            "customerId": self.b2c.id,
            "customerSecret": self.b2c.secret,
            "accountType": "b2c",
        })
    }
}

#[tokio::test(start_paused = true)]
async fn machines_and_refresh_token_grants_never_ask_for_a_code() {
    let app = TestApp::builder()
        .with_user()
        .mfa_policy(MfaPolicy::Required)
        .build()
        .await;
    app.client_login().await;
    let enrollment = app.login_with(&[]).await.json()["enrollmentToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let (_, answer) = app.enrol_with(&enrollment, None).await;
    let refresh = answer["refreshToken"].as_str().expect("refresh token");
    let rotated = app
        .send(app.token_call(&app.refresh_grant_body_b2c(refresh)))
        .await
        .tokens();
    assert_eq!(
        claims(&rotated.session)["amr"],
        json!(["pwd", "otp", "mfa"])
    );
}

#[tokio::test(start_paused = true)]
async fn the_production_profile_requires_a_second_factor_by_default() {
    let app = TestApp::builder().production().with_user().build().await;
    app.login_with(&[])
        .await
        .assert_error(401, "mfa_enrollment_required");
    assert!(
        app.admin()
            .set_mfa_policy(
                &Administrator::new("ops"),
                &app.tenant,
                Some(MfaPolicy::Off)
            )
            .await
            .is_err(),
        "production refuses off"
    );
}

#[tokio::test(start_paused = true)]
async fn policy_off_asks_no_code_and_refuses_enrolment_and_optional_ignores_a_code_without_factor()
{
    let app = TestApp::builder().with_user().build().await;
    let fresh = app.login_with(&[("otp", "123456")]).await.tokens();
    assert_eq!(claims(&fresh.session)["amr"], json!(["pwd"]), "ignored");
    let (tokens, _) = app.enrolled_user().await;
    app.admin()
        .set_mfa_policy(
            &Administrator::new("ops"),
            &app.tenant,
            Some(MfaPolicy::Off),
        )
        .await
        .expect("off");
    let without = app.login_with(&[]).await.tokens();
    assert_eq!(claims(&without.session)["amr"], json!(["pwd"]));
    app.send(mfa(
        Method::POST,
        "/v1/mfa/totp",
        &tokens.session,
        Some(&json!({"password": PASSWORD})),
    ))
    .await
    .assert_error(403, "access_denied");
    assert_eq!(
        app.send(mfa(Method::GET, "/v1/mfa", &tokens.session, None))
            .await
            .json()["totp"]["enrolled"],
        true,
        "existing factors are kept"
    );
}

#[tokio::test(start_paused = true)]
async fn changes_from_a_session_ask_for_the_password_and_a_code_of_the_active_factor() {
    let app = TestApp::builder().with_user().build().await;
    let (tokens, enrolled) = app.enrolled_user().await;
    let session = &tokens.session;
    let cases = [
        (json!({}), 400, "invalid_request"),
        (
            json!({"password": "wrong", "otp": "123456"}),
            403,
            "access_denied",
        ),
        (json!({"password": PASSWORD}), 401, "mfa_required"),
        (
            json!({"password": PASSWORD, "otp": "000000"}),
            401,
            "invalid_otp",
        ),
    ];
    for (body, status, code) in cases {
        for (method, path) in [
            (Method::POST, "/v1/mfa/totp"),
            (Method::DELETE, "/v1/mfa/totp"),
            (Method::POST, "/v1/mfa/recovery-codes"),
        ] {
            advance(10).await;
            app.send(mfa(method.clone(), path, session, Some(&body)))
                .await
                .assert_error(status, code);
        }
    }
    // New recovery codes void the old ones.
    advance(60).await;
    let renewed = app
        .send(mfa(
            Method::POST,
            "/v1/mfa/recovery-codes",
            session,
            Some(&json!({"password": PASSWORD, "otp": app.code(&enrolled.secret)})),
        ))
        .await;
    renewed.assert_ok();
    let fresh = renewed.json()["recoveryCodes"][0]
        .as_str()
        .expect("code")
        .to_owned();
    app.login_with(&[("recoveryCode", &enrolled.recovery_codes[0])])
        .await
        .assert_error(401, "invalid_otp");
    app.login_with(&[("recoveryCode", &fresh)])
        .await
        .assert_ok();
}

#[tokio::test(start_paused = true)]
async fn removing_the_factor_ends_the_other_sessions_and_keeps_this_one() {
    let app = TestApp::builder().with_user().build().await;
    let (tokens, enrolled) = app.enrolled_user().await;
    let other = app
        .login_with(&[("otp", &app.code(&enrolled.secret))])
        .await
        .tokens();
    advance(30).await;
    let removed = app
        .send(mfa(
            Method::DELETE,
            "/v1/mfa/totp",
            &tokens.session,
            Some(&json!({"password": PASSWORD, "otp": app.code(&enrolled.secret)})),
        ))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text());
    app.session(&tokens.session).await.assert_ok();
    app.session(&other.session)
        .await
        .assert_error(401, "invalid_token");
    let status = app
        .send(mfa(Method::GET, "/v1/mfa", &tokens.session, None))
        .await
        .json();
    assert_eq!(status["totp"]["enrolled"], false);
    assert_eq!(status["recoveryCodesLeft"], 0);
    assert_eq!(
        claims(&app.login_with(&[]).await.tokens().session)["amr"],
        json!(["pwd"])
    );
}

#[tokio::test(start_paused = true)]
async fn only_a_persons_session_may_call_mfa_and_at_most_ten_times_a_minute() {
    let app = TestApp::builder().with_user().build().await;
    let machine = app.client_login().await;
    app.send(mfa(Method::GET, "/v1/mfa", &machine.session, None))
        .await
        .assert_error(403, "insufficient_scope");
    app.send(Call::new(Method::GET, "/v1/mfa"))
        .await
        .assert_error(401, "invalid_token");
    app.send(mfa(
        Method::POST,
        "/v1/mfa/totp",
        "garbage",
        Some(&json!({"password": PASSWORD})),
    ))
    .await
    .assert_error(401, "invalid_token");
    let tokens = app.password_login().await;
    for _ in 0..10 {
        app.send(mfa(Method::GET, "/v1/mfa", &tokens.session, None))
            .await
            .assert_ok();
    }
    let limited = app
        .send(mfa(Method::GET, "/v1/mfa", &tokens.session, None))
        .await;
    limited.assert_error(429, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("6"));
    let other = app.password_login().await;
    app.send(mfa(Method::GET, "/v1/mfa", &other.session, None))
        .await
        .assert_ok();
    advance(6).await;
    app.send(mfa(Method::GET, "/v1/mfa", &tokens.session, None))
        .await
        .assert_ok();
}

#[tokio::test(start_paused = true)]
async fn bad_input_on_the_new_fields_and_endpoints_is_a_4xx_envelope() {
    let app = TestApp::builder().with_user().build().await;
    let (tokens, _) = app.enrolled_user().await;
    let long = "9".repeat(10_240);
    let login_cases: Vec<Value> = vec![
        json!({"otp": 123_456}),
        json!({"otp": null}),
        json!({"otp": ["123456"]}),
        json!({"recoveryCode": {"a": 1}}),
        json!({"otp": "123456", "recoveryCode": "AAAA-BBBB"}),
        json!({"otp": ""}),
        json!({"otp": long}),
        json!({"recoveryCode": long}),
        json!({"totp": "123456"}),
    ];
    for extra in login_cases {
        let mut body = app.password_body(USERNAME, PASSWORD);
        for (key, value) in extra.as_object().expect("object") {
            body[key] = value.clone();
        }
        let reply = app.send(app.token_call(&body)).await;
        reply.assert_error(400, "invalid_request");
    }
    // Not six ASCII digits: refused like a wrong code (or, longer than any code, as a bad field).
    for code in [
        "1234567",
        "12345",
        "١٢٣٤٥٦",
        "12345a",
        "123\u{0}456",
        "１２３４５６",
    ] {
        let reply = app.login_with(&[("otp", code)]).await;
        if code.len() > 16 {
            reply.assert_error(400, "invalid_request");
        } else {
            reply.assert_error(401, "invalid_otp");
        }
    }
    advance(60).await;
    let session = &tokens.session;
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{not json".to_vec()),
        ("an array", b"[1]".to_vec()),
        ("a number", br#"{"password": 5}"#.to_vec()),
        (
            "unknown field",
            br#"{"password": "x", "admin": true}"#.to_vec(),
        ),
        (
            "duplicate",
            br#"{"password": "x", "password": "y"}"#.to_vec(),
        ),
        ("empty", br#"{"password": ""}"#.to_vec()),
        ("long", format!(r#"{{"otp": "{long}"}}"#).into_bytes()),
    ];
    for (label, body) in bodies {
        for (method, path) in [
            (Method::POST, "/v1/mfa/totp"),
            (Method::POST, "/v1/mfa/totp/confirm"),
            (Method::DELETE, "/v1/mfa/totp"),
        ] {
            advance(7).await;
            let reply = app
                .send(
                    Call::new(method, path)
                        .bearer(session)
                        .header("content-type", "application/json")
                        .body(body.clone()),
                )
                .await;
            assert!(
                reply.status.is_client_error(),
                "{label} {path}: {}",
                reply.text()
            );
            reply.error();
        }
    }
    advance(7).await;
    app.send(
        Call::new(Method::POST, "/v1/mfa/totp")
            .bearer(session)
            .header("content-type", "text/plain")
            .body(br#"{"password": "x"}"#.to_vec()),
    )
    .await
    .assert_error(415, "invalid_request");
    advance(7).await;
    app.send(mfa(
        Method::POST,
        "/v1/mfa/totp/confirm",
        session,
        Some(&json!({})),
    ))
    .await
    .assert_error(400, "invalid_request");
    advance(7).await;
    app.send(mfa(Method::PUT, "/v1/mfa/totp", session, None))
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test(start_paused = true)]
async fn secrets_codes_and_recovery_codes_reach_no_log_audit_entry_or_error_body() {
    let app = TestApp::builder()
        .with_user()
        .config(|raw| raw.audit.enabled = Some(true))
        .build()
        .await;
    let (tokens, enrolled) = app.enrolled_user().await;
    let code = app.code(&enrolled.secret);
    let mut bodies = vec![
        app.login_with(&[("otp", &code)]).await.text(),
        app.login_with(&[("otp", &code)]).await.text(),
        app.login_with(&[("recoveryCode", &enrolled.recovery_codes[2])])
            .await
            .text(),
    ];
    advance(30).await;
    bodies.push(
        app.send(mfa(
            Method::POST,
            "/v1/mfa/totp",
            &tokens.session,
            Some(&json!({"password": "wrong", "otp": app.code(&enrolled.secret)})),
        ))
        .await
        .text(),
    );
    let audit = serde_json::to_string(&app.store().recent_audit_events(100).await.expect("audit"))
        .expect("JSON");
    assert!(
        audit.contains("mfa_verified") && audit.contains("mfa_enrolled"),
        "{audit}"
    );
    let logs = app.logs.text();
    let mut secrets: Vec<&str> = enrolled.shown.iter().map(String::as_str).collect();
    secrets.extend(enrolled.recovery_codes.iter().map(String::as_str));
    secrets.push(&code);
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret in the logs");
        assert!(!audit.contains(secret), "a secret in the audit log");
        for body in &bodies[1..] {
            assert!(!body.contains(secret), "a secret in an error body");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn password_failures_clear_only_when_the_whole_login_succeeds_and_reauthentication_counts() {
    let app = TestApp::builder().with_user().build().await;
    let (tokens, enrolled) = app.enrolled_user().await;
    let wrong_password = app.password_body(USERNAME, "wrong password");
    for _ in 0..4 {
        app.send(app.token_call(&wrong_password))
            .await
            .assert_error(401, "invalid_client");
    }
    // A right password without its code clears nothing: the fifth failure still counts as such.
    app.login_with(&[]).await.assert_error(401, "mfa_required");
    app.send(app.token_call(&wrong_password))
        .await
        .assert_error(401, "invalid_client");
    app.login_with(&[("otp", &app.code(&enrolled.secret))])
        .await
        .assert_error(429, "rate_limited");
    advance(1).await;
    // The whole login succeeds: the run of failures is over.
    app.login_with(&[("otp", &app.code(&enrolled.secret))])
        .await
        .assert_ok();
    for _ in 0..5 {
        app.send(app.token_call(&wrong_password))
            .await
            .assert_error(401, "invalid_client");
    }
    advance(1).await;
    app.login_with(&[("otp", "000000")])
        .await
        .assert_error(401, "invalid_otp");
    advance(30).await;
    app.login_with(&[("otp", &app.code(&enrolled.secret))])
        .await
        .assert_ok();

    // Wrong passwords on a re-authentication count in the same back-off.
    for _ in 0..5 {
        advance(7).await;
        app.send(mfa(
            Method::POST,
            "/v1/mfa/recovery-codes",
            &tokens.session,
            Some(&json!({"password": "wrong", "otp": "123456"})),
        ))
        .await
        .assert_error(403, "access_denied");
    }
    app.send(app.token_call(&app.password_body(USERNAME, PASSWORD)))
        .await
        .assert_error(429, "rate_limited");
}
