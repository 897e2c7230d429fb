//! Production: every client-certificate case of the checklist (no certificate, another CA,
//! expired, not yet valid, revoked via CRL, wrong EKU, self-signed, valid but unbound) gets an
//! HTTP answer — `403 invalid_certificate` in the error envelope, audited with the certificate's
//! fingerprint — never a handshake failure and never a hang; a valid bound certificate gets in;
//! the certificate is checked before the credentials; and a certificate must be held, not just
//! shown.

use std::sync::Arc;

use finhub_core::audit::{AuditAction, AuditOutcome};
use reqwest::StatusCode;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};

use crate::support::{Hub, PKI, client, client_from, event_of, provider, roots};

const MISSING: &str = "a client certificate is required (mutual TLS)";
const NOT_BOUND: &str = "the client certificate is not bound to this customer";

/// (case, certificate, the description of the 403).
fn invalid_cases() -> Vec<(
    &'static str,
    Option<&'static finhub_server::tls::pki::IssuedCertificate>,
    &'static str,
)> {
    let pki = &*PKI;
    vec![
        ("no certificate", None, MISSING),
        (
            "another CA",
            Some(&pki.other_ca),
            "the client certificate is not issued by a trusted CA",
        ),
        (
            "expired",
            Some(&pki.expired),
            "the client certificate has expired",
        ),
        (
            "not yet valid",
            Some(&pki.not_yet_valid),
            "the client certificate is not valid yet",
        ),
        (
            "revoked (CRL)",
            Some(&pki.revoked),
            "the client certificate has been revoked",
        ),
        (
            "wrong EKU",
            Some(&pki.wrong_eku),
            "the client certificate is not valid for client authentication",
        ),
        (
            "self-signed",
            Some(&pki.self_signed),
            "the client certificate is self-signed and not trusted",
        ),
    ]
}

#[tokio::test]
async fn every_invalid_or_missing_certificate_gets_403_in_the_envelope_and_an_audit_entry() {
    let hub = Hub::production().await;
    for (case, cert, description) in invalid_cases() {
        let answer = hub.login(&client(cert), &hub.client_body()).await;
        answer.assert_invalid_certificate(description);
        assert_eq!(
            answer
                .headers
                .get("content-type")
                .map(reqwest::header::HeaderValue::as_bytes),
            Some(&b"application/json"[..]),
            "{case}"
        );
        let events = hub.audit().await;
        let event = event_of(&events, &answer.request_id());
        assert_eq!(event.action, AuditAction::RequestRefused, "{case}");
        assert_eq!(
            event.outcome,
            AuditOutcome::Failure("invalid_certificate".into()),
            "{case}"
        );
        assert_eq!(
            event.client_certificate,
            cert.map(|c| c.fingerprint().to_hex()),
            "{case}: the audit names the certificate presented"
        );
        assert_eq!(event.peer_addr, "127.0.0.1", "{case}");
    }
}

#[tokio::test]
async fn an_invalid_certificate_is_refused_on_every_route_not_only_on_login() {
    let hub = Hub::production().await;
    let expired = client(Some(&PKI.expired));
    let nobody = client(None);
    for path in [
        "/healthz",
        "/v1/noop",
        "/v1/auth/session",
        "/v1/finra/datasets",
        "/nowhere",
    ] {
        hub.get(&expired, path, "any token")
            .await
            .assert_invalid_certificate("the client certificate has expired");
        hub.get(&nobody, path, "any token")
            .await
            .assert_invalid_certificate(MISSING);
    }
    let bound = client(Some(&PKI.bound));
    let health = hub.get(&bound, "/healthz", "").await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn a_valid_certificate_must_be_bound_to_the_customer_the_login_claims() {
    let hub = Hub::production().await;
    let pki = &*PKI;

    let unbound = hub
        .login(&client(Some(&pki.unbound)), &hub.client_body())
        .await;
    unbound.assert_invalid_certificate(NOT_BOUND);
    let events = hub.audit().await;
    let event = event_of(&events, &unbound.request_id());
    assert_eq!(event.action, AuditAction::ClientCredentialsLogin);
    assert_eq!(
        event.outcome,
        AuditOutcome::Failure("invalid_certificate".into())
    );
    assert_eq!(event.customer.as_deref(), Some(hub.b2b.id.as_str()));
    assert_eq!(
        event.client_certificate,
        Some(pki.unbound.fingerprint().to_hex())
    );

    // Bound to the b2b customer, not to the b2c one it now claims.
    let other_customer = hub
        .login(
            &client(Some(&pki.bound)),
            &hub.password_body(&hub.b2c, "b2c"),
        )
        .await;
    other_customer.assert_invalid_certificate(NOT_BOUND);

    // Bound by fingerprint, and by subject pattern: both get in.
    for cert in [&pki.bound, &pki.bound_by_pattern] {
        let ok = hub.login(&client(Some(cert)), &hub.client_body()).await;
        assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
        let events = hub.audit().await;
        let event = event_of(&events, &ok.request_id());
        assert_eq!(event.outcome, AuditOutcome::Success);
        assert_eq!(event.client_certificate, Some(cert.fingerprint().to_hex()));
    }
}

#[tokio::test]
async fn the_certificate_is_checked_before_the_credentials() {
    let hub = Hub::production().await;
    let pki = &*PKI;
    let mut wrong_secret = hub.client_body();
    wrong_secret["customerSecret"] = "fhcs_wrong".into();

    // 403 before 401: whatever the secret, a bad certificate is what the caller hears about.
    hub.login(&client(Some(&pki.unbound)), &wrong_secret)
        .await
        .assert_invalid_certificate(NOT_BOUND);
    hub.login(&client(Some(&pki.revoked)), &wrong_secret)
        .await
        .assert_invalid_certificate("the client certificate has been revoked");
    hub.login(&client(None), &wrong_secret)
        .await
        .assert_invalid_certificate(MISSING);
    // With the right certificate, the wrong secret is what fails.
    let answer = hub.login(&client(Some(&pki.bound)), &wrong_secret).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.error(), "invalid_client");
    // And an unknown customer with a valid certificate: not bound (no enumeration either way).
    let mut unknown = hub.client_body();
    unknown["customerId"] = "cus_unknown".into();
    hub.login(&client(Some(&pki.bound)), &unknown)
        .await
        .assert_invalid_certificate(NOT_BOUND);
}

#[tokio::test]
async fn session_calls_need_a_certificate_bound_to_the_tokens_customer() {
    let hub = Hub::builder()
        .without_certificate_bound_tokens()
        .start()
        .await;
    let pki = &*PKI;
    let token = hub
        .login(&client(Some(&pki.bound)), &hub.client_body())
        .await
        .token();
    let unbound = client(Some(&pki.unbound));
    for (method, path) in [
        ("GET", "/v1/auth/session"),
        ("POST", "/v1/auth/refresh"),
        ("GET", "/v1/finra/datasets"),
        ("POST", "/v1/auth/logout"),
    ] {
        let answer = if method == "GET" {
            hub.get(&unbound, path, &token).await
        } else {
            hub.post(&unbound, path, &token).await
        };
        answer.assert_invalid_certificate(NOT_BOUND);
        let events = hub.audit().await;
        let event = event_of(&events, &answer.request_id());
        assert_eq!(
            event.outcome,
            AuditOutcome::Failure("invalid_certificate".into()),
            "{path}"
        );
        if method == "GET" {
            // Refresh and logout audit their own outcome (without a subject when the session
            // could not be used); the other session calls audit the refusal itself.
            assert_eq!(event.action, AuditAction::RequestRefused, "{path}");
            assert_eq!(
                event.customer.as_deref(),
                Some(hub.b2b.id.as_str()),
                "{path}"
            );
        }
    }
    // A forged token over an unbound certificate is still just a bad token (nothing to bind).
    let forged = hub.get(&unbound, "/v1/auth/session", "not.a.token").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    // The session itself is untouched.
    let ok = hub
        .get(&client(Some(&pki.bound)), "/v1/auth/session", &token)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
}

#[tokio::test]
async fn unbinding_a_certificate_locks_its_sessions_out_at_the_next_request() {
    let hub = Hub::builder()
        .without_certificate_bound_tokens()
        .start()
        .await;
    let pki = &*PKI;
    let bound = client(Some(&pki.bound));
    let token = hub.login(&bound, &hub.client_body()).await.token();
    let auth = &hub.state.admin;
    let tenant = finhub_core::ids::TenantId::parse(crate::support::TENANT).expect("tenant");
    let customer = finhub_core::ids::CustomerId::parse(&hub.b2b.id).expect("customer");
    // Both bindings match this certificate (fingerprint and pattern); remove both.
    for binding in auth
        .certificate_bindings(&tenant, Some(&customer))
        .await
        .expect("list")
    {
        auth.unbind_certificate(
            &finhub_core::admin::Administrator::new("test set-up"),
            &tenant,
            &customer,
            &binding.matcher,
        )
        .await
        .expect("unbind");
    }
    hub.get(&bound, "/v1/auth/session", &token)
        .await
        .assert_invalid_certificate(NOT_BOUND);
}

/// Presents a certificate with somebody else's key.
#[derive(Debug)]
struct StolenCertificate(Arc<CertifiedKey>);

impl ResolvesClientCert for StolenCertificate {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
    fn has_certs(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_certificate_without_its_private_key_does_not_even_complete_the_handshake() {
    let hub = Hub::production().await;
    let pki = &*PKI;
    let thief_key = PrivateKeyDer::from_pem_slice(pki.unbound.key_pem.as_bytes()).expect("key");
    let signing_key = provider()
        .key_provider
        .load_private_key(thief_key)
        .expect("a signing key");
    let stolen = CertifiedKey::new(vec![pki.bound.der.clone()], signing_key);
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots())
        .with_client_cert_resolver(Arc::new(StolenCertificate(Arc::new(stolen))));
    let result = client_from(config, false)
        .get(hub.url("/healthz"))
        .send()
        .await;
    let error = result.expect_err("the handshake signature does not verify");
    assert!(!error.is_timeout(), "refused, not hung: {error:?}");
    // Nothing reached the application, so nothing was audited as a request.
    assert!(hub.audit().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn certificates_expire_on_the_hubs_clock() {
    let _freeze = crate::support::FreezeGuard::new();
    let hub = Hub::production().await;
    let now = time::OffsetDateTime::now_utc();
    // Matches the customer's pattern binding `cn:acme-billing-*`; valid for two hours.
    let short = PKI
        .ca
        .issue(&finhub_server::tls::pki::client_params(
            "acme-billing-short",
            now,
            time::Duration::hours(2),
        ))
        .expect("a short-lived certificate");
    let answer = hub.login(&client(Some(&short)), &hub.client_body()).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    tokio::time::advance(std::time::Duration::from_secs(3 * 3_600)).await;
    // Validity is established once per connection, at the handshake: a new connection now.
    hub.login(&client(Some(&short)), &hub.client_body())
        .await
        .assert_invalid_certificate("the client certificate has expired");
}
