//! Certificate-bound session tokens (RFC 8705 §3): a session logged in over a client certificate
//! carries `cnf.x5t#S256` (base64url SHA-256 of the certificate) and is refused with 401
//! `invalid_token` over any other certificate — even one bound to the same customer.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Hub, PKI, client};

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

#[tokio::test]
async fn a_token_is_bound_to_the_certificate_it_was_issued_over() {
    let hub = Hub::production().await;
    let pki = &*PKI;
    let first = client(Some(&pki.bound));
    let second = client(Some(&pki.bound_by_pattern));
    let login = hub.login(&first, &hub.client_body()).await;
    let token = login.token();
    assert_eq!(
        claims(&token)["cnf"],
        json!({ "x5t#S256": pki.bound.fingerprint().to_x5t_s256() })
    );

    let own = hub.get(&first, "/v1/auth/session", &token).await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);

    // The second certificate is bound to the same customer, but the token is not its.
    for path in ["/v1/auth/session", "/v1/finra/datasets"] {
        let other = hub.get(&second, path, &token).await;
        assert_eq!(
            other.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {:?}",
            other.body
        );
        assert_eq!(other.error(), "invalid_token");
        assert!(
            other
                .description()
                .contains("bound to another client certificate"),
            "{}",
            other.description()
        );
        assert_eq!(
            other
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer realm=\"finhub\", error=\"invalid_token\"")
        );
    }
    let refresh = hub.post(&second, "/v1/auth/refresh", &token).await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);

    // The refresh-token grant over the second certificate gives a session bound to it.
    let mut grant = hub.client_body();
    grant["grantType"] = "refresh_token".into();
    grant["refreshToken"] = login.body["refreshToken"].clone();
    let rotated = hub.login(&second, &grant).await.token();
    assert_eq!(
        claims(&rotated)["cnf"]["x5t#S256"],
        pki.bound_by_pattern.fingerprint().to_x5t_s256()
    );
    let answer = hub.get(&second, "/v1/auth/session", &rotated).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
}

#[tokio::test]
async fn binding_tokens_can_be_switched_off_and_tokens_without_a_certificate_carry_no_cnf() {
    let hub = Hub::builder()
        .without_certificate_bound_tokens()
        .start()
        .await;
    let pki = &*PKI;
    let token = hub
        .login(&client(Some(&pki.bound)), &hub.client_body())
        .await
        .token();
    assert!(claims(&token).get("cnf").is_none());
    let other = hub
        .get(
            &client(Some(&pki.bound_by_pattern)),
            "/v1/auth/session",
            &token,
        )
        .await;
    assert_eq!(other.status, StatusCode::OK, "{:?}", other.body);

    let integration = Hub::builder().integration().start().await;
    let anonymous = integration
        .login(&client(None), &integration.client_body())
        .await
        .token();
    assert!(claims(&anonymous).get("cnf").is_none());
}

/// An enrolment token (production requires a second factor; the user has none) is bound to the
/// certificate of the login that earned it, like a session: the enrolment goes on only over it.
#[tokio::test]
async fn an_enrolment_token_is_bound_to_the_certificate_of_its_login() {
    let hub = Hub::production().await;
    let pki = &*PKI;
    let first = client(Some(&pki.bound));
    let second = client(Some(&pki.bound_by_pattern));
    let refused = hub.login(&first, &hub.password_body(&hub.b2b, "b2b")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.error(), "mfa_enrollment_required");
    let enrollment = refused.body["enrollmentToken"]
        .as_str()
        .expect("enrollmentToken")
        .to_owned();
    assert_eq!(
        claims(&enrollment)["cnf"],
        json!({ "x5t#S256": pki.bound.fingerprint().to_x5t_s256() })
    );
    let own = hub.get(&first, "/v1/mfa", &enrollment).await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    let other = hub.get(&second, "/v1/mfa", &enrollment).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED, "{:?}", other.body);
    assert_eq!(other.error(), "invalid_token");
    let bare = hub.get(&client(None), "/v1/mfa", &enrollment).await;
    assert_eq!(bare.status, StatusCode::FORBIDDEN, "{:?}", bare.body);
    assert_eq!(bare.error(), "invalid_certificate");
}
