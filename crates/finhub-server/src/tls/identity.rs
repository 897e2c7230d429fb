//! Reading a client certificate's identity (fingerprint, subject common names, SANs) with
//! x509-parser. Only certificates that already passed validation are read for bindings.

use finhub_core::cert::{CertFingerprint, CertificateIdentity};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

/// The identity of a DER certificate; `None` if it cannot be parsed.
pub fn identity_of(der: &[u8]) -> Option<CertificateIdentity> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let subject = cert.subject();
    let common_names = subject
        .iter_common_name()
        .filter_map(|attribute| attribute.as_str().ok())
        .map(str::to_owned)
        .collect();
    let mut identity = CertificateIdentity {
        fingerprint: CertFingerprint::of_der(der),
        subject: subject.to_string(),
        common_names,
        dns_names: Vec::new(),
        emails: Vec::new(),
        uris: Vec::new(),
    };
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => identity.dns_names.push((*dns).to_owned()),
                GeneralName::RFC822Name(email) => identity.emails.push((*email).to_owned()),
                GeneralName::URI(uri) => identity.uris.push((*uri).to_owned()),
                GeneralName::OtherName(..)
                | GeneralName::X400Address(_)
                | GeneralName::DirectoryName(_)
                | GeneralName::EDIPartyName(_)
                | GeneralName::IPAddress(_)
                | GeneralName::RegisteredID(_)
                | GeneralName::Invalid(..) => {}
            }
        }
    }
    Some(identity)
}

/// Whether a certificate names itself as its issuer.
pub(super) fn is_self_signed(der: &[u8]) -> bool {
    X509Certificate::from_der(der)
        .is_ok_and(|(_, cert)| cert.subject().as_raw() == cert.issuer().as_raw())
}
