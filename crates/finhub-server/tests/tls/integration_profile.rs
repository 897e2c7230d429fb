//! The integration profile over TLS: a client certificate is optional — no certificate gets in —
//! but one that is presented is checked: it must be valid and bound to the customer. Without
//! client CAs configured, the hub does not ask for certificates at all.

use reqwest::StatusCode;

use crate::support::{Hub, PKI, client};

#[tokio::test]
async fn without_a_certificate_the_integration_profile_lets_the_login_and_the_session_through() {
    let hub = Hub::builder().integration().start().await;
    let nobody = client(None);
    let token = hub.login(&nobody, &hub.client_body()).await.token();
    let session = hub.get(&nobody, "/v1/auth/session", &token).await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", session.body);
    assert_eq!(session.body["customerId"], hub.b2b.id.as_str());
    // Not bound to any certificate: it works over a bound one too.
    let bound = client(Some(&PKI.bound));
    let session = hub.get(&bound, "/v1/auth/session", &token).await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", session.body);
}

#[tokio::test]
async fn a_certificate_presented_in_integration_is_still_validated_and_must_be_bound() {
    let hub = Hub::builder().integration().start().await;
    let pki = &*PKI;
    hub.login(&client(Some(&pki.expired)), &hub.client_body())
        .await
        .assert_invalid_certificate("the client certificate has expired");
    hub.login(&client(Some(&pki.self_signed)), &hub.client_body())
        .await
        .assert_invalid_certificate("the client certificate is self-signed and not trusted");
    hub.login(&client(Some(&pki.unbound)), &hub.client_body())
        .await
        .assert_invalid_certificate("the client certificate is not bound to this customer");
    let ok = hub
        .login(&client(Some(&pki.bound)), &hub.client_body())
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    // Integration does not audit by default.
    assert!(hub.audit().await.is_empty());
}

#[tokio::test]
async fn without_client_cas_no_certificate_is_asked_for_and_none_is_checked() {
    let hub = Hub::builder()
        .integration()
        .without_client_cas()
        .start()
        .await;
    // Even an expired certificate: the server never asks for it, so the client never sends it.
    for cert in [None, Some(&PKI.expired), Some(&PKI.unbound)] {
        let answer = hub.login(&client(cert), &hub.client_body()).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    }
}
