//! How a login was proved travels with its session: a person's session token carries `amr`
//! (RFC 8176) and `auth_time`, `GET /v1/auth/session` shows `amr`, the `refresh_token` grant keeps
//! both for the whole family (the time stays the login's), and a machine's carries neither.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::{TestApp, advance};

/// The claims of a session token (its payload, unverified: the hub verified it when it issued it).
fn claims(session_token: &str) -> Value {
    let payload = session_token.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

#[tokio::test(start_paused = true)]
async fn a_password_login_says_pwd_and_when_and_its_refresh_family_keeps_both() {
    let app = TestApp::builder().with_user().build().await;
    let login_time = app.clock.now_utc().unix_timestamp();
    let tokens = app.password_login().await;
    let first = claims(&tokens.session);
    assert_eq!(first["amr"], json!(["pwd"]));
    assert_eq!(first["auth_time"], json!(login_time));
    assert_eq!(
        app.session(&tokens.session).await.json()["amr"],
        json!(["pwd"])
    );

    advance(600).await;
    let rotated = app
        .send(app.token_call(&json!({
            "grantType": "refresh_token",
            "refreshToken": tokens.refresh,
            "customerId": app.b2c.id,
            "customerSecret": app.b2c.secret,
            "accountType": "b2c",
        })))
        .await
        .tokens();
    let second = claims(&rotated.session);
    assert_eq!(second["amr"], json!(["pwd"]));
    assert_eq!(
        second["auth_time"],
        json!(login_time),
        "the family's sessions keep the login's time, not the rotation's"
    );
    assert!(second["iat"].as_i64() > first["iat"].as_i64());
    assert_eq!(
        app.session(&rotated.session).await.json()["amr"],
        json!(["pwd"])
    );
}

#[tokio::test(start_paused = true)]
async fn a_machine_session_carries_no_amr_and_no_auth_time() {
    let app = TestApp::new().await;
    let tokens = app.client_login().await;
    let machine = claims(&tokens.session);
    assert!(machine.get("amr").is_none(), "{machine}");
    assert!(machine.get("auth_time").is_none(), "{machine}");
    assert!(
        app.session(&tokens.session)
            .await
            .json()
            .get("amr")
            .is_none()
    );
    let rotated = app.exchange(&tokens.refresh).await.tokens();
    assert!(claims(&rotated.session).get("amr").is_none());
}
