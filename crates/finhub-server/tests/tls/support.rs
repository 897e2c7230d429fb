//! Test support for the TLS suite: a test PKI generated once per test binary (rcgen: a trusted
//! CA and its CRL, another CA, and a client certificate for every case of the mTLS checklist), a
//! [`Hub`] served by `serve_tls` on `127.0.0.1:0` over an in-memory store, and HTTPS clients
//! (reqwest over a rustls client config of our choosing: roots, client certificate, protocol
//! versions, no connection reuse unless asked).

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use finhub_clock::TokioClock;
use finhub_core::audit::AuditEvent;
use finhub_core::cert::{CertificateMatcher, SubjectPattern};
use finhub_core::ids::CustomerId;
use finhub_server::tls::pki::{
    CertificateAuthority, IssuedCertificate, client_params, leaf_params, self_signed,
};
use finhub_server::tls::{TlsMaterial, TlsServer};
use rcgen::ExtendedKeyUsagePurpose;
use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use serde_json::Value;
use time::OffsetDateTime;

pub(crate) use crate::common::paused_time::FreezeGuard;
pub(crate) use crate::common::test_hub::{Customer, PASSWORD, TENANT, USERNAME};
use crate::common::test_hub::{TestHub, TestHubBuilder};

/// Every certificate the tests present. Generated once: ECDSA keys make this a few
/// milliseconds.
pub(crate) struct Pki {
    pub(crate) ca: CertificateAuthority,
    pub(crate) server: IssuedCertificate,
    pub(crate) crl_pem: String,
    /// Bound to the `b2b` customer by fingerprint (and by the pattern `cn:acme-billing-*`).
    pub(crate) bound: IssuedCertificate,
    /// Bound to the `b2b` customer only by the pattern.
    pub(crate) bound_by_pattern: IssuedCertificate,
    /// Valid, bound to nobody.
    pub(crate) unbound: IssuedCertificate,
    /// From a CA the hub does not trust (same common-name prefix as the bound ones).
    pub(crate) other_ca: IssuedCertificate,
    pub(crate) expired: IssuedCertificate,
    pub(crate) not_yet_valid: IssuedCertificate,
    /// On the CA's CRL.
    pub(crate) revoked: IssuedCertificate,
    /// `serverAuth` only.
    pub(crate) wrong_eku: IssuedCertificate,
    pub(crate) self_signed: IssuedCertificate,
}

pub(crate) static PKI: LazyLock<Pki> = LazyLock::new(|| make_pki().expect("generate the test PKI"));

fn make_pki() -> anyhow::Result<Pki> {
    // The PKI is made on the real clock, and every test hub's clock starts at the real time.
    let now = OffsetDateTime::now_utc();
    let ca = CertificateAuthority::new("FinHub test CA", now)?;
    let stranger_ca = CertificateAuthority::new("Some other CA", now)?;
    let day = time::Duration::days(1);

    let mut expired = client_params("acme-billing-expired", now, day);
    expired.not_before = now - day * 10;
    expired.not_after = now - day;
    let mut not_yet_valid = client_params("acme-billing-future", now, day);
    not_yet_valid.not_before = now + day;
    not_yet_valid.not_after = now + day * 10;
    let mut wrong_eku = leaf_params("acme-billing-server", now, day);
    wrong_eku.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];

    let revoked = ca.issue_client("acme-billing-revoked", now)?;
    let crl_pem = ca.crl(&[&revoked], now)?;
    Ok(Pki {
        server: ca.issue_server(&[], now)?,
        bound: ca.issue_client("acme-billing-01", now)?,
        bound_by_pattern: ca.issue_client("acme-billing-02", now)?,
        unbound: ca.issue_client("stranger-01", now)?,
        other_ca: stranger_ca.issue_client("acme-billing-01", now)?,
        expired: ca.issue(&expired)?,
        not_yet_valid: ca.issue(&not_yet_valid)?,
        revoked,
        wrong_eku: ca.issue(&wrong_eku)?,
        self_signed: self_signed(&client_params("acme-billing-self", now, day))?,
        crl_pem,
        ca,
    })
}

/// The TLS side of a hub: server certificate, the test CA for client certificates and its CRL.
pub(crate) fn tls_server(ask_for_client_certificates: bool) -> TlsServer {
    let pki = &*PKI;
    TlsServer::from_material(&TlsMaterial {
        cert_chain_pem: pki.server.cert_pem.clone().into_bytes(),
        key_pem: pki.server.key_pem.clone().into_bytes(),
        client_ca_pems: if ask_for_client_certificates {
            vec![pki.ca.certificate().cert_pem.clone().into_bytes()]
        } else {
            Vec::new()
        },
        crls: if ask_for_client_certificates {
            vec![pki.crl_pem.clone().into_bytes()]
        } else {
            Vec::new()
        },
        handshake_timeout: Some(Duration::from_secs(5)),
    })
    .expect("the test TLS material loads")
}

/// Options of a [`Hub`].
pub(crate) struct Builder(TestHubBuilder);

impl Builder {
    pub(crate) fn integration(self) -> Self {
        Self(self.0.config(|raw| raw.profile = "integration".into()))
    }
    /// HTTPS without asking for client certificates (integration only).
    pub(crate) fn without_client_cas(self) -> Self {
        Self(self.0.tls(tls_server(false)))
    }
    pub(crate) fn without_certificate_bound_tokens(self) -> Self {
        Self(
            self.0
                .config(|raw| raw.tls.certificate_bound_tokens = Some(false)),
        )
    }
    pub(crate) fn without_allow_list(self) -> Self {
        Self(self.0.allow_list(&[]))
    }
    /// The tenant's allow-list.
    pub(crate) fn allow_list(self, entries: &[&str]) -> Self {
        Self(self.0.allow_list(entries))
    }
    /// Connections from `proxies` start with a PROXY protocol v2 header.
    pub(crate) fn behind_proxies(self, proxies: &[&str]) -> Self {
        let proxies: Vec<String> = proxies.iter().map(|p| (*p).to_owned()).collect();
        Self(self.0.config(move |raw| {
            raw.trusted_proxies = proxies;
            raw.proxy_protocol = true;
        }))
    }

    pub(crate) async fn start(self) -> Hub {
        let hub = self.0.build().await;
        let b2b_id = CustomerId::parse(&hub.b2b.id).expect("customer id");
        let pki = &*PKI;
        for matcher in [
            CertificateMatcher::Fingerprint(pki.bound.fingerprint()),
            CertificateMatcher::Subject(SubjectPattern::parse("cn:acme-billing-*").expect("p")),
        ] {
            hub.state
                .admin
                .bind_certificate(
                    &finhub_core::admin::Administrator::new("test set-up"),
                    &hub.tenant,
                    &b2b_id,
                    matcher,
                )
                .await
                .expect("bind");
        }
        let addr = hub.addr.expect("the hub is served");
        Hub {
            base: format!("https://{addr}"),
            addr,
            hub,
        }
    }
}

/// A hub served over HTTPS until dropped: its `b2b` customer is bound to `PKI.bound`
/// (fingerprint) and `cn:acme-billing-*`, its `b2c` customer to nothing.
pub(crate) struct Hub {
    hub: TestHub,
    pub(crate) base: String,
    pub(crate) addr: SocketAddr,
}

impl Deref for Hub {
    type Target = TestHub;

    fn deref(&self) -> &TestHub {
        &self.hub
    }
}

impl Hub {
    /// A production hub (mandatory client certificates, allow-list 127.0.0.1 and ::1) on a
    /// clock that starts at the real time, as the test PKI does.
    pub(crate) fn builder() -> Builder {
        Builder(
            TestHub::builder()
                .production()
                .with_user()
                .scope("finra:otcMarket")
                .at(TokioClock::starting_at(OffsetDateTime::now_utc()).shared())
                .config(|raw| raw.public_url = Some("https://hub.test".into()))
                .tls(tls_server(true)),
        )
    }

    pub(crate) async fn production() -> Self {
        Self::builder().start().await
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /v1/auth/token` with the five headers.
    pub(crate) async fn login(&self, client: &reqwest::Client, body: &Value) -> Answer {
        login_at(client, &self.base, body).await
    }

    /// A `password` login body of the user through `customer`.
    pub(crate) fn password_body(&self, customer: &Customer, account_type: &str) -> Value {
        self.password_body_through(customer, account_type, USERNAME, PASSWORD)
    }

    /// A GET with a bearer token.
    pub(crate) async fn get(&self, client: &reqwest::Client, path: &str, token: &str) -> Answer {
        Answer::read(client.get(self.url(path)).bearer_auth(token).send().await).await
    }

    /// A POST with a bearer token and no body.
    pub(crate) async fn post(&self, client: &reqwest::Client, path: &str, token: &str) -> Answer {
        Answer::read(client.post(self.url(path)).bearer_auth(token).send().await).await
    }

    /// The newest audit events of requests (the set-up's administrative actions, audited with
    /// their actor, are left out).
    pub(crate) async fn audit(&self) -> Vec<AuditEvent> {
        let mut events = self
            .state
            .admin
            .recent_audit_events(200)
            .await
            .expect("read the audit log");
        events.retain(|event| event.actor.is_none());
        events
    }
}

/// `POST /v1/auth/token` with the five headers to the hub at `base` (or a balancer in front).
pub(crate) async fn login_at(client: &reqwest::Client, base: &str, body: &Value) -> Answer {
    let response = client
        .post(format!("{base}/v1/auth/token"))
        .header("content-type", "application/json")
        .header("sec-ch-ua-platform", "\"Linux\"")
        .header("x-forwarded-for", "203.0.113.7")
        .header("user-agent", "finhub-tls-tests")
        .header("x-tenant-id", TENANT)
        .body(body.to_string())
        .send()
        .await;
    Answer::read(response).await
}

/// A whole answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    async fn read(response: reqwest::Result<reqwest::Response>) -> Self {
        let response = response.expect("an HTTP answer (not a TLS failure, not a hang)");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read the body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Self {
            status,
            headers,
            body,
        }
    }

    /// The `error` of an envelope.
    pub(crate) fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    /// The `error_description` of an envelope.
    pub(crate) fn description(&self) -> &str {
        self.body["error_description"].as_str().unwrap_or_default()
    }

    /// Asserts a `403 invalid_certificate` envelope, with a request id, and returns it.
    pub(crate) fn assert_invalid_certificate(&self, description: &str) -> &Self {
        assert_eq!(self.status, StatusCode::FORBIDDEN, "{:?}", self.body);
        assert_eq!(self.error(), "invalid_certificate", "{:?}", self.body);
        assert_eq!(self.description(), description, "{:?}", self.body);
        assert!(
            self.body["requestId"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
        self
    }

    /// The request id.
    pub(crate) fn request_id(&self) -> String {
        self.headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) fn token(&self) -> String {
        assert_eq!(self.status, StatusCode::OK, "{:?}", self.body);
        self.body["userSessionToken"]
            .as_str()
            .expect("a session token")
            .to_owned()
    }
}

/// The rustls provider every test client uses (aws-lc-rs, like the hub).
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Trust in the test CA (which issued the hub's server certificate).
pub(crate) fn roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots
        .add(PKI.ca.certificate().der.clone())
        .expect("the CA is a trust anchor");
    roots
}

/// The certificate chain and key of an issued certificate.
pub(crate) fn identity(
    cert: &IssuedCertificate,
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    (
        vec![cert.der.clone()],
        PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("a PEM key"),
    )
}

/// A rustls client config: the test CA as root, optionally a client certificate, these versions.
pub(crate) fn client_config(
    cert: Option<&IssuedCertificate>,
    versions: &[&'static SupportedProtocolVersion],
) -> ClientConfig {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots());
    match cert {
        Some(cert) => {
            let (chain, key) = identity(cert);
            builder
                .with_client_auth_cert(chain, key)
                .expect("a client certificate")
        }
        None => builder.with_no_client_auth(),
    }
}

/// An HTTPS client presenting `cert` (or none), new connection per request.
pub(crate) fn client(cert: Option<&IssuedCertificate>) -> reqwest::Client {
    client_from(client_config(cert, rustls::DEFAULT_VERSIONS), false)
}

/// An HTTPS client presenting `cert` that keeps its connections alive.
pub(crate) fn pooled_client(cert: Option<&IssuedCertificate>) -> reqwest::Client {
    client_from(client_config(cert, rustls::DEFAULT_VERSIONS), true)
}

/// A client TLS config from the files `finhub demo --credentials-out` names: trusting the demo's
/// CA, with the demo customer's client certificate or without one.
pub(crate) fn demo_tls_config(credentials: &Value, with_certificate: bool) -> ClientConfig {
    let path = |key: &str| credentials[key].as_str().expect(key).to_owned();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(path("caCert")).expect("ca.pem"))
        .expect("a trust anchor");
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    if with_certificate {
        builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(path("clientCert")).expect("client.pem")],
                PrivateKeyDer::from_pem_file(path("clientKey")).expect("client.key"),
            )
            .expect("a client certificate")
    } else {
        builder.with_no_client_auth()
    }
}

/// An HTTPS client over a prepared rustls config.
pub(crate) fn client_from(config: ClientConfig, keep_alive: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(Duration::from_secs(20));
    if !keep_alive {
        builder = builder.pool_max_idle_per_host(0);
    }
    builder.build().expect("an HTTPS client")
}

/// The audit event of a request id.
pub(crate) fn event_of<'a>(events: &'a [AuditEvent], request_id: &str) -> &'a AuditEvent {
    events
        .iter()
        .find(|event| event.request_id == request_id)
        .unwrap_or_else(|| panic!("no audit event for request {request_id}: {events:#?}"))
}
