//! Throw-away PKI, generated with rcgen (ECDSA P-256 keys on aws-lc-rs): a CA, server
//! certificates for the addresses the hub listens on, client certificates and CRLs. The production
//! demo uses it; tests and benchmarks build their PKI with it too. Nothing here is meant for real
//! deployments, whose certificates come from a real CA.

use std::net::IpAddr;

use anyhow::Context;
use finhub_core::cert::CertFingerprint;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

/// A certificate with its key, as PEM.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PKCS#8 PEM).
    pub key_pem: String,
    /// The certificate (DER).
    pub der: CertificateDer<'static>,
    /// Its serial number, for CRLs.
    pub serial: SerialNumber,
}

impl IssuedCertificate {
    /// The SHA-256 fingerprint of the certificate, as `finhub admin cert bind --fingerprint`
    /// takes it.
    pub fn fingerprint(&self) -> CertFingerprint {
        CertFingerprint::of_der(&self.der)
    }
}

/// A certificate authority that can issue certificates and CRLs.
pub struct CertificateAuthority {
    issuer: Issuer<'static, KeyPair>,
    cert: IssuedCertificate,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("fingerprint", &self.cert.fingerprint())
            .finish_non_exhaustive()
    }
}

/// A fresh random serial number (16 bytes from a v4 UUID, positive).
fn random_serial() -> SerialNumber {
    let mut bytes = uuid::Uuid::new_v4().into_bytes();
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::from_slice(&bytes)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "FinHub throw-away PKI");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Parameters of a leaf valid from an hour before `now` until `valid_for` after it.
pub fn leaf_params(
    common_name: &str,
    now: OffsetDateTime,
    valid_for: Duration,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.not_before = now - Duration::hours(1);
    params.not_after = now + valid_for;
    params.serial_number = Some(random_serial());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params
}

/// Parameters of a client certificate: `clientAuth` extended key usage.
pub fn client_params(
    common_name: &str,
    now: OffsetDateTime,
    valid_for: Duration,
) -> CertificateParams {
    let mut params = leaf_params(common_name, now, valid_for);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

/// Parameters of a CA certificate valid from an hour before `now` until `valid_for` after it.
pub fn ca_params(common_name: &str, now: OffsetDateTime, valid_for: Duration) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.not_before = now - Duration::hours(1);
    params.not_after = now + valid_for;
    params.serial_number = Some(random_serial());
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn finish(
    params: &CertificateParams,
    key: &KeyPair,
    cert: &rcgen::Certificate,
) -> IssuedCertificate {
    IssuedCertificate {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().clone(),
        serial: params
            .serial_number
            .clone()
            .unwrap_or_else(|| SerialNumber::from_slice(&[1])),
    }
}

/// A self-signed certificate from `params` (a CA, or a stray client certificate).
pub fn self_signed(params: &CertificateParams) -> anyhow::Result<IssuedCertificate> {
    let key = KeyPair::generate().context("generating a key pair")?;
    let cert = params
        .self_signed(&key)
        .context("self-signing a certificate")?;
    Ok(finish(params, &key, &cert))
}

impl CertificateAuthority {
    /// A new self-signed CA valid for 30 days from `now`.
    pub fn new(common_name: &str, now: OffsetDateTime) -> anyhow::Result<Self> {
        Self::from_params(ca_params(common_name, now, Duration::days(30)))
    }

    /// A new self-signed CA from its parameters.
    pub fn from_params(params: CertificateParams) -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("generating the CA key")?;
        let cert = params.self_signed(&key).context("self-signing the CA")?;
        let cert = finish(&params, &key, &cert);
        Ok(Self {
            issuer: Issuer::new(params, key),
            cert,
        })
    }

    /// The CA's own certificate.
    pub fn certificate(&self) -> &IssuedCertificate {
        &self.cert
    }

    /// Issues a certificate from `params` with a fresh key.
    pub fn issue(&self, params: &CertificateParams) -> anyhow::Result<IssuedCertificate> {
        let key = KeyPair::generate().context("generating a key pair")?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("signing a certificate")?;
        Ok(finish(params, &key, &cert))
    }

    /// A server certificate (`serverAuth`) for `localhost`, 127.0.0.1, ::1 and `extra`
    /// addresses, valid for 30 days from `now`.
    pub fn issue_server(
        &self,
        extra: &[IpAddr],
        now: OffsetDateTime,
    ) -> anyhow::Result<IssuedCertificate> {
        let mut params = leaf_params("finhub", now, Duration::days(30));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let mut sans = vec![SanType::DnsName(
            "localhost".try_into().context("a DNS name")?,
        )];
        let loopback: [IpAddr; 2] = [
            IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ];
        for ip in loopback.iter().chain(extra) {
            if !ip.is_unspecified() && !sans.contains(&SanType::IpAddress(*ip)) {
                sans.push(SanType::IpAddress(*ip));
            }
        }
        params.subject_alt_names = sans;
        self.issue(&params)
    }

    /// A client certificate (`clientAuth`) with this common name, valid for 30 days from `now`.
    pub fn issue_client(
        &self,
        common_name: &str,
        now: OffsetDateTime,
    ) -> anyhow::Result<IssuedCertificate> {
        self.issue(&client_params(common_name, now, Duration::days(30)))
    }

    /// A CRL (PEM) revoking `revoked`, issued at `now` and valid for 7 days.
    pub fn crl(
        &self,
        revoked: &[&IssuedCertificate],
        now: OffsetDateTime,
    ) -> anyhow::Result<String> {
        let params = CertificateRevocationListParams {
            this_update: now - Duration::hours(1),
            next_update: now + Duration::days(7),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|cert| RevokedCertParams {
                    serial_number: cert.serial.clone(),
                    revocation_time: now - Duration::minutes(5),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.issuer)
            .context("signing the CRL")?
            .pem()
            .context("encoding the CRL")
    }
}
