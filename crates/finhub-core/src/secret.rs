//! Secret values: generation from the OS CSPRNG, SHA-256 hashes for storage, and constant-time
//! comparison. Plain secrets live in `secrecy` types and never reach `Debug` or logs.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// `n` random bytes from the OS CSPRNG, base64url without padding.
pub fn random_base64url(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut bytes).expect("the OS random number generator is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a secret, hex-encoded: what the store keeps instead of the secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretHash(String);

impl SecretHash {
    /// Hashes a secret.
    pub fn of(secret: &str) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
        Self(hex_lower(digest.as_ref()))
    }

    /// Wraps a hash read from the store.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    /// The hex text, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `secret` hashes to this value, compared in constant time.
    pub fn matches(&self, secret: &str) -> bool {
        Self::of(secret)
            .0
            .as_bytes()
            .ct_eq(self.0.as_bytes())
            .into()
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell hashes apart in a debugger; the whole hash is not needed.
        write!(f, "SecretHash({}…)", &self.0[..self.0.len().min(8)])
    }
}

/// A high-entropy opaque secret the hub generates (customer secrets, refresh tokens, session
/// keys): 32 random bytes (256 bits), base64url, with a recognisable prefix.
#[derive(Clone)]
pub struct OpaqueSecret(SecretString);

impl OpaqueSecret {
    /// A fresh secret: `prefix` followed by 256 random bits.
    pub fn generate(prefix: &str) -> Self {
        Self(SecretString::from(format!(
            "{prefix}{}",
            random_base64url(32)
        )))
    }

    /// Wraps a secret a caller sent.
    pub fn from_presented(text: &str) -> Self {
        Self(SecretString::from(text.to_owned()))
    }

    /// The secret itself, for the one place that must send it (a response body).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Its SHA-256, for storage and lookup.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(self.expose())
    }
}

impl fmt::Debug for OpaqueSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpaqueSecret([redacted])")
    }
}

/// Prefix of customer secrets.
pub const CUSTOMER_SECRET_PREFIX: &str = "fhcs_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "fhrt_";
/// Prefix of session keys (`internalTokenKey`).
pub const SESSION_KEY_PREFIX: &str = "fhsk_";

/// Lower-case hex of `bytes`.
fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_unique_256_bit_values_that_debug_redacts() {
        let a = OpaqueSecret::generate(REFRESH_TOKEN_PREFIX);
        let b = OpaqueSecret::generate(REFRESH_TOKEN_PREFIX);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), REFRESH_TOKEN_PREFIX.len() + 43);
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn a_hash_is_the_lower_case_hex_sha256() {
        assert_eq!(
            SecretHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hashes_match_only_their_secret() {
        let secret = OpaqueSecret::generate(CUSTOMER_SECRET_PREFIX);
        let hash = secret.hash();
        assert!(hash.matches(secret.expose()));
        assert!(!hash.matches("fhcs_wrong"));
        assert_eq!(hash.as_str().len(), 64);
        assert!(!format!("{hash:?}").contains(hash.as_str()));
    }

    #[test]
    fn one_hundred_thousand_draws_are_distinct() {
        let draws: std::collections::HashSet<String> =
            (0..100_000).map(|_| random_base64url(32)).collect();
        assert_eq!(draws.len(), 100_000);
    }
}
