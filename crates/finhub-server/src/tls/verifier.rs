//! The handshake-time client-certificate verifier: it asks for a certificate, accepts none, and
//! accepts any chain — validation happens after the handshake, so a bad certificate gets an HTTP
//! 403 — but it checks the handshake signature with the certificate's key (delegated to rustls'
//! `WebPkiClientVerifier`), so a client cannot present a certificate it does not hold.

use std::sync::Arc;

use finhub_core::cert::CertificateProblem;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

use super::identity::is_self_signed;

/// See the module documentation.
#[derive(Debug)]
pub(super) struct DeferredClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
}

impl DeferredClientVerifier {
    /// Defers chain validation of `inner` (which must offer client authentication).
    pub(super) fn new(inner: Arc<dyn ClientCertVerifier>) -> Self {
        Self { inner }
    }
}

impl ClientCertVerifier for DeferredClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        // Deliberately deferred: `TlsServer::inspect` validates the chain after the handshake
        // and the application answers 403. The signature checks below still run.
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// What a validation error means for the caller.
pub(super) fn problem_of(error: &Error, leaf: &CertificateDer<'_>) -> CertificateProblem {
    let Error::InvalidCertificate(error) = error else {
        // CRL errors (`InvalidCertRevocationList`) and anything else.
        return CertificateProblem::RevocationUnusable;
    };
    #[expect(
        clippy::wildcard_enum_match_arm,
        reason = "CertificateError is non-exhaustive; every other kind is `Invalid`"
    )]
    match error {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            CertificateProblem::Expired
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            CertificateProblem::NotYetValid
        }
        CertificateError::Revoked => CertificateProblem::Revoked,
        CertificateError::UnknownIssuer if is_self_signed(leaf) => CertificateProblem::SelfSigned,
        CertificateError::UnknownIssuer => CertificateProblem::UnknownIssuer,
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            CertificateProblem::WrongKeyUsage
        }
        CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => {
            CertificateProblem::RevocationUnusable
        }
        _ => CertificateProblem::Invalid,
    }
}
