//! HTTPS for the hub, with client certificates that end in an HTTP answer rather than a TLS alert.
//!
//! rustls (on aws-lc-rs) speaks TLS 1.2 and 1.3 only. The server asks every client for a
//! certificate but lets the handshake finish whether one is presented or not, and whatever its
//! chain: its handshake verifier (`verifier.rs`) checks only the handshake signature, which proves
//! the client holds the certificate's key. The chain is validated right after the handshake
//! ([`TlsServer::inspect`]: trust anchors, validity period, CRLs, client-authentication EKU, all
//! by rustls' own `WebPkiClientVerifier`), and the result travels with every request of the
//! connection as a [`TlsConnectionInfo`] extension. The application then answers `403
//! invalid_certificate` in the error envelope — and audits it — for a missing (production),
//! invalid or unbound certificate (see `finhub_core::auth`), instead of the client seeing a
//! handshake failure it cannot explain.
//!
//! [`serve_tls`] is the accept loop (tokio-rustls + hyper-util), since axum's `serve` cannot hand
//! peer certificates to handlers; [`pki`] makes throw-away certificates for the demo.

mod accept;
mod identity;
pub mod pki;
mod verifier;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use finhub_core::cert::{CertFingerprint, CertificateProblem, ClientCertificate};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{ProtocolVersion, RootCertStore, ServerConfig, ServerConnection};
use time::OffsetDateTime;

pub use accept::serve_tls;
pub(crate) use accept::serve_tls_sharing;
pub use identity::identity_of;

use crate::config::TlsFiles;

/// The protocol versions the hub speaks: TLS 1.3 and 1.2, nothing older.
pub const PROTOCOL_VERSIONS: [&rustls::SupportedProtocolVersion; 2] =
    [&rustls::version::TLS13, &rustls::version::TLS12];

/// The default time limit of a TLS handshake.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the TLS layer knows about a request's connection; the accept loop puts it into the
/// extensions of every request it serves.
#[derive(Debug, Clone)]
pub struct TlsConnectionInfo {
    /// The chain the client presented, leaf first (empty when it presented none).
    pub chain: Arc<[CertificateDer<'static>]>,
    /// The result of validating it.
    pub client_certificate: ClientCertificate,
    /// The negotiated protocol version.
    pub protocol: Option<ProtocolVersion>,
}

/// TLS material in memory: PEM text (CRLs may also be DER).
#[derive(Debug, Clone, Default)]
pub struct TlsMaterial {
    /// The server's certificate chain, leaf first.
    pub cert_chain_pem: Vec<u8>,
    /// Its private key.
    pub key_pem: Vec<u8>,
    /// CA certificates that client certificates must chain to; none: no client certificates
    /// are asked for (integration only).
    pub client_ca_pems: Vec<Vec<u8>>,
    /// CRLs of those CAs.
    pub crls: Vec<Vec<u8>>,
    /// Longest TLS handshake.
    pub handshake_timeout: Option<Duration>,
}

/// The hub's TLS configuration: the rustls server config and the client-certificate verifier
/// run after each handshake. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TlsServer {
    config: Arc<ServerConfig>,
    client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    handshake_timeout: Duration,
}

impl TlsServer {
    /// Reads the files `[tls]` names.
    pub fn load(files: &TlsFiles) -> anyhow::Result<Self> {
        let read = |path: &Path, what: &str| {
            std::fs::read(path)
                .with_context(|| format!("cannot read the {what} {}", path.display()))
        };
        let material = TlsMaterial {
            cert_chain_pem: read(&files.cert_path, "server certificate (tls.cert_path)")?,
            key_pem: read(&files.key_path, "server key (tls.key_path)")?,
            client_ca_pems: files
                .client_ca_paths
                .iter()
                .map(|path| read(path, "client CA (tls.client_ca_paths)"))
                .collect::<anyhow::Result<_>>()?,
            crls: files
                .crl_paths
                .iter()
                .map(|path| read(path, "CRL (tls.crl_paths)"))
                .collect::<anyhow::Result<_>>()?,
            handshake_timeout: Some(files.handshake_timeout),
        };
        Self::from_material(&material)
    }

    /// Builds the configuration from material in memory.
    pub fn from_material(material: &TlsMaterial) -> anyhow::Result<Self> {
        let chain = CertificateDer::pem_slice_iter(&material.cert_chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .context("the server certificate is not PEM")?;
        if chain.is_empty() {
            bail!("the server certificate file holds no certificate");
        }
        let key = PrivateKeyDer::from_pem_slice(&material.key_pem)
            .context("the server key is not a PEM private key")?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());

        let client_verifier = if material.client_ca_pems.is_empty() {
            None
        } else {
            let mut roots = RootCertStore::empty();
            for pem in &material.client_ca_pems {
                let certs = CertificateDer::pem_slice_iter(pem)
                    .collect::<Result<Vec<_>, _>>()
                    .context("a client CA file is not PEM")?;
                if certs.is_empty() {
                    bail!("a client CA file holds no certificate");
                }
                for cert in certs {
                    roots
                        .add(cert)
                        .context("a client CA certificate cannot be used as a trust anchor")?;
                }
            }
            let crls = material
                .crls
                .iter()
                .map(|bytes| parse_crls(bytes))
                .collect::<anyhow::Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect::<Vec<_>>();
            let mut builder =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    // A CA without a configured CRL is not revocation-checked; with one, every
                    // certificate in the chain is.
                    .allow_unknown_revocation_status();
            if !crls.is_empty() {
                builder = builder.with_crls(crls);
            }
            Some(
                builder
                    .build()
                    .context("the client CA or CRL configuration is unusable")?,
            )
        };
        let handshake_verifier: Arc<dyn ClientCertVerifier> = match &client_verifier {
            Some(inner) => Arc::new(verifier::DeferredClientVerifier::new(Arc::clone(inner))),
            None => WebPkiClientVerifier::no_client_auth(),
        };
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&PROTOCOL_VERSIONS)
            .context("the TLS provider does not support TLS 1.2/1.3")?
            .with_client_cert_verifier(handshake_verifier)
            .with_single_cert(chain, key)
            .context("the server certificate and key do not belong together")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            client_verifier,
            handshake_timeout: material
                .handshake_timeout
                .unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT),
        })
    }

    /// The rustls server configuration.
    pub fn server_config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Whether client certificates are asked for.
    pub fn asks_for_client_certificates(&self) -> bool {
        self.client_verifier.is_some()
    }

    /// The time limit of a handshake.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Validates the client certificate of a finished handshake at `now` (the hub's clock).
    pub fn inspect(&self, connection: &ServerConnection, now: OffsetDateTime) -> TlsConnectionInfo {
        let chain: Arc<[CertificateDer<'static>]> = connection
            .peer_certificates()
            .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default();
        let now = UnixTime::since_unix_epoch(Duration::from_secs(
            u64::try_from(now.unix_timestamp()).unwrap_or_default(),
        ));
        let client_certificate = self.validate(&chain, now);
        TlsConnectionInfo {
            chain,
            client_certificate,
            protocol: connection.protocol_version(),
        }
    }

    /// Validates a presented chain (leaf first) at `now`.
    pub fn validate(&self, chain: &[CertificateDer<'_>], now: UnixTime) -> ClientCertificate {
        let (Some(leaf), Some(verifier)) = (chain.first(), &self.client_verifier) else {
            return ClientCertificate::Absent;
        };
        let fingerprint = CertFingerprint::of_der(leaf);
        match verifier.verify_client_cert(leaf, &chain[1..], now) {
            Ok(_) => match identity_of(leaf) {
                Some(identity) => ClientCertificate::Verified(Arc::new(identity)),
                None => ClientCertificate::Invalid {
                    problem: CertificateProblem::Invalid,
                    fingerprint,
                },
            },
            Err(error) => ClientCertificate::Invalid {
                problem: verifier::problem_of(&error, leaf),
                fingerprint,
            },
        }
    }
}

/// The CRLs in one file: PEM (any number) or one DER CRL.
fn parse_crls(bytes: &[u8]) -> anyhow::Result<Vec<CertificateRevocationListDer<'static>>> {
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let crls = CertificateRevocationListDer::pem_slice_iter(bytes)
            .collect::<Result<Vec<_>, _>>()
            .context("a CRL file is not PEM")?;
        if crls.is_empty() {
            bail!("a CRL file holds no CRL");
        }
        Ok(crls)
    } else {
        Ok(vec![CertificateRevocationListDer::from(bytes.to_vec())])
    }
}
