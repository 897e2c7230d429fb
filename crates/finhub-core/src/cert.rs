//! Client certificates (mTLS): what the TLS layer found on a request's connection, the identity
//! of a certificate that passed validation, and how administrators bind certificates to customers
//! — by the SHA-256 fingerprint of the leaf, or by a pattern over its subject common name or
//! subject alternative names. Parsing X.509 and running the TLS handshake belong to the server;
//! the policies (mandatory or optional, bound or not, `cnf.x5t#S256`) live here.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

use crate::ids::{CustomerId, TenantId};

/// Why a binding or one of its parts was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidBinding(String);

/// The SHA-256 of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint([u8; 32]);

impl CertFingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// Parses 64 hex digits, upper or lower case, optionally separated by `:` (as `openssl x509
    /// -fingerprint -sha256` prints them).
    pub fn parse_hex(text: &str) -> Result<Self, InvalidBinding> {
        let digits: String = text.trim().chars().filter(|c| *c != ':').collect();
        let invalid =
            || InvalidBinding("a SHA-256 fingerprint is 64 hex digits (colons allowed)".to_owned());
        if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (idx, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[idx * 2..idx * 2 + 2], 16).map_err(|_| invalid())?;
        }
        Ok(Self(bytes))
    }

    /// Lower-case hex without separators: how it is stored, listed and audited.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// base64url without padding: the RFC 8705 `x5t#S256` confirmation value.
    pub fn to_x5t_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertFingerprint({})", self.to_hex())
    }
}

impl fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// What a certificate that passed validation says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    /// SHA-256 of the leaf's DER.
    pub fingerprint: CertFingerprint,
    /// The subject distinguished name as text (for logs; bindings use the fields below).
    pub subject: String,
    /// The subject's common names (`CN`).
    pub common_names: Vec<String>,
    /// DNS-name subject alternative names.
    pub dns_names: Vec<String>,
    /// rfc822Name (e-mail) subject alternative names.
    pub emails: Vec<String>,
    /// URI subject alternative names.
    pub uris: Vec<String>,
}

/// Why a client certificate is refused (all answer 403 `invalid_certificate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateProblem {
    /// None presented, where the profile requires one.
    Missing,
    /// Past its `notAfter`.
    Expired,
    /// Before its `notBefore`.
    NotYetValid,
    /// On a configured CRL of its issuer.
    Revoked,
    /// Self-signed and not itself a configured trust anchor.
    SelfSigned,
    /// Issued by a CA the hub does not trust.
    UnknownIssuer,
    /// Its extended key usage does not include client authentication.
    WrongKeyUsage,
    /// A configured CRL could not be used (expired, or not signed by the issuer).
    RevocationUnusable,
    /// Malformed, badly signed, or otherwise unusable.
    Invalid,
    /// Valid, but not bound to the customer the request claims.
    NotBound,
}

/// What the TLS layer found on a request's connection.
#[derive(Debug, Clone, Default)]
pub enum ClientCertificate {
    /// The request did not come through the hub's TLS listener: plain HTTP (integration only)
    /// or an in-process call. No certificate policy can apply.
    #[default]
    NoTls,
    /// A TLS connection without a client certificate.
    Absent,
    /// A certificate that failed validation. Possession of its key was still proven by the
    /// handshake.
    Invalid {
        /// Why.
        problem: CertificateProblem,
        /// The leaf's fingerprint, for the audit log.
        fingerprint: CertFingerprint,
    },
    /// A certificate that chains to a configured CA, is in its validity period, is not revoked
    /// and may be used for client authentication.
    Verified(Arc<CertificateIdentity>),
}

impl ClientCertificate {
    /// The leaf's fingerprint, when a certificate was presented.
    pub fn fingerprint(&self) -> Option<CertFingerprint> {
        match self {
            Self::NoTls | Self::Absent => None,
            Self::Invalid { fingerprint, .. } => Some(*fingerprint),
            Self::Verified(identity) => Some(identity.fingerprint),
        }
    }
}

/// The part of a certificate a subject pattern looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectField {
    /// The subject's common name (`cn:`), compared exactly.
    CommonName,
    /// A DNS-name SAN (`dns:`), compared ignoring ASCII case.
    Dns,
    /// An e-mail SAN (`email:`), compared ignoring ASCII case.
    Email,
    /// A URI SAN (`uri:`), compared exactly.
    Uri,
}

impl SubjectField {
    fn prefix(self) -> &'static str {
        match self {
            Self::CommonName => "cn",
            Self::Dns => "dns",
            Self::Email => "email",
            Self::Uri => "uri",
        }
    }

    fn values(self, identity: &CertificateIdentity) -> &[String] {
        match self {
            Self::CommonName => &identity.common_names,
            Self::Dns => &identity.dns_names,
            Self::Email => &identity.emails,
            Self::Uri => &identity.uris,
        }
    }
}

/// Longest subject pattern accepted.
pub const MAX_PATTERN_CHARS: usize = 512;

/// `cn:<glob>`, `dns:<glob>`, `email:<glob>` or `uri:<glob>`, where `*` in the glob matches any
/// run of characters (none included) and everything else matches itself. A glob must hold at
/// least one character besides `*`, so no pattern matches every certificate a CA issues.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubjectPattern {
    field: SubjectField,
    glob: String,
}

impl SubjectPattern {
    /// Parses `field:glob`.
    pub fn parse(text: &str) -> Result<Self, InvalidBinding> {
        let invalid = |why: &str| InvalidBinding(format!("subject pattern {text:?}: {why}"));
        let (prefix, glob) = text
            .split_once(':')
            .ok_or_else(|| invalid("expected cn:, dns:, email: or uri: before the pattern"))?;
        let field = match prefix.to_ascii_lowercase().as_str() {
            "cn" => SubjectField::CommonName,
            "dns" => SubjectField::Dns,
            "email" => SubjectField::Email,
            "uri" => SubjectField::Uri,
            _ => return Err(invalid("the field must be cn, dns, email or uri")),
        };
        if glob.chars().count() > MAX_PATTERN_CHARS {
            return Err(invalid("the pattern is too long"));
        }
        if glob.chars().any(char::is_control) {
            return Err(invalid("control characters are not allowed"));
        }
        if glob.chars().all(|c| c == '*') {
            return Err(invalid(
                "the pattern must hold more than `*` (it would match every certificate)",
            ));
        }
        Ok(Self {
            field,
            glob: glob.to_owned(),
        })
    }

    /// The field it looks at.
    pub fn field(&self) -> SubjectField {
        self.field
    }

    /// Whether one of the certificate's values of this field matches.
    pub fn matches(&self, identity: &CertificateIdentity) -> bool {
        let fold = matches!(self.field, SubjectField::Dns | SubjectField::Email);
        self.field.values(identity).iter().any(|value| {
            if fold {
                glob_matches(&self.glob.to_ascii_lowercase(), &value.to_ascii_lowercase())
            } else {
                glob_matches(&self.glob, value)
            }
        })
    }
}

impl fmt::Display for SubjectPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.field.prefix(), self.glob)
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters. Linear in the
/// product of the lengths at worst (the classic two-pointer match with one backtrack point).
fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// How a binding recognises certificates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CertificateMatcher {
    /// Exactly one certificate: the SHA-256 of its DER.
    Fingerprint(CertFingerprint),
    /// Every certificate (from a trusted CA) whose subject matches.
    Subject(SubjectPattern),
}

impl CertificateMatcher {
    /// Whether `identity` is recognised.
    pub fn matches(&self, identity: &CertificateIdentity) -> bool {
        match self {
            Self::Fingerprint(fingerprint) => *fingerprint == identity.fingerprint,
            Self::Subject(pattern) => pattern.matches(identity),
        }
    }

    /// The stored kind: `fingerprint` or `subject_pattern`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Fingerprint(_) => "fingerprint",
            Self::Subject(_) => "subject_pattern",
        }
    }

    /// The stored value: lower-case hex, or the pattern as written by `Display`.
    pub fn value(&self) -> String {
        match self {
            Self::Fingerprint(fingerprint) => fingerprint.to_hex(),
            Self::Subject(pattern) => pattern.to_string(),
        }
    }

    /// A matcher read back from storage.
    pub fn from_stored(kind: &str, value: &str) -> Result<Self, InvalidBinding> {
        match kind {
            "fingerprint" => CertFingerprint::parse_hex(value).map(Self::Fingerprint),
            "subject_pattern" => SubjectPattern::parse(value).map(Self::Subject),
            other => Err(InvalidBinding(format!("unknown binding kind {other:?}"))),
        }
    }
}

impl fmt::Display for CertificateMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.value())
    }
}

/// A certificate bound to a customer: requests for that customer must come over a certificate
/// it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateBinding {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Which certificates it recognises.
    pub matcher: CertificateMatcher,
    /// When an administrator created it.
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> CertificateIdentity {
        CertificateIdentity {
            fingerprint: CertFingerprint::of_der(b"leaf"),
            subject: "CN=acme-billing-01, O=Acme".into(),
            common_names: vec!["acme-billing-01".into()],
            dns_names: vec!["Billing.Acme.Example".into()],
            emails: vec!["ops@acme.example".into()],
            uris: vec!["spiffe://acme/billing".into()],
        }
    }

    #[test]
    fn fingerprints_parse_with_or_without_colons_in_either_case() {
        let fingerprint = CertFingerprint::of_der(b"leaf");
        let hex = fingerprint.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(CertFingerprint::parse_hex(&hex), Ok(fingerprint));
        let colons = hex
            .to_ascii_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(CertFingerprint::parse_hex(&colons), Ok(fingerprint));
        for bad in [
            "",
            "abc",
            &hex[..62],
            &format!("{}zz", &hex[..62]),
            &format!("{hex}00"),
        ] {
            assert!(CertFingerprint::parse_hex(bad).is_err(), "{bad:?}");
        }
        assert_eq!(fingerprint.to_x5t_s256().len(), 43);
    }

    #[test]
    fn globs_match_runs_of_characters_and_nothing_else() {
        assert!(glob_matches("acme-*", "acme-billing"));
        assert!(glob_matches("acme-*", "acme-"));
        assert!(glob_matches("*-01", "acme-billing-01"));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(glob_matches("a*b*c", "abc"));
        assert!(!glob_matches("a*b*c", "acb"));
        assert!(!glob_matches("acme", "acme-billing"));
        assert!(!glob_matches("acme-*", "xacme-billing"));
        assert!(glob_matches("*a*a*a*a*b", &format!("{}b", "a".repeat(200))));
        assert!(!glob_matches("*a*a*a*a*b", &"a".repeat(200)));
    }

    #[test]
    fn subject_patterns_look_at_their_field_only() {
        let id = identity();
        let matches = |text: &str| {
            SubjectPattern::parse(text)
                .expect("valid pattern")
                .matches(&id)
        };
        assert!(matches("cn:acme-billing-*"));
        assert!(!matches("cn:ACME-billing-*"), "common names are exact");
        assert!(matches("dns:*.acme.example"), "DNS names ignore case");
        assert!(matches("email:OPS@acme.example"));
        assert!(matches("uri:spiffe://acme/*"));
        assert!(!matches("dns:acme-billing-*"), "a CN is not a DNS name");
        assert!(!matches("uri:spiffe://other/*"));
    }

    #[test]
    fn patterns_that_would_match_everything_or_are_malformed_are_refused() {
        for bad in [
            "cn:*",
            "cn:**",
            "cn:",
            "acme",
            "o:Acme",
            "cn:a\nb",
            &format!("cn:{}", "a".repeat(MAX_PATTERN_CHARS + 1)),
        ] {
            assert!(SubjectPattern::parse(bad).is_err(), "{bad:?}");
        }
        let pattern = SubjectPattern::parse("DNS:*.acme.example").expect("valid");
        assert_eq!(pattern.to_string(), "dns:*.acme.example");
    }

    #[test]
    fn matchers_round_trip_through_their_stored_form() {
        let id = identity();
        for matcher in [
            CertificateMatcher::Fingerprint(id.fingerprint),
            CertificateMatcher::Subject(SubjectPattern::parse("cn:acme-*").expect("valid")),
        ] {
            assert!(matcher.matches(&id));
            let back = CertificateMatcher::from_stored(matcher.kind(), &matcher.value());
            assert_eq!(back, Ok(matcher));
        }
        assert!(CertificateMatcher::from_stored("serial", "1").is_err());
        assert!(!CertificateMatcher::Fingerprint(CertFingerprint::of_der(b"other")).matches(&id));
    }
}
