//! Encryption at rest with the hub's data key (AES-256-GCM from aws-lc-rs): upstream credential
//! secrets, and the sealed successor pair a refresh-token retry gets back within the grace window.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::error::AuthError;

/// A 256-bit data-encryption key from config.
pub struct DataKey(LessSafeKey);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

impl DataKey {
    /// A key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() != 32 {
            return Err(format!(
                "the data key must be 32 bytes, got {}",
                bytes.len()
            ));
        }
        UnboundKey::new(&AES_256_GCM, bytes)
            .map(|key| Self(LessSafeKey::new(key)))
            .map_err(|_| "invalid data key".to_owned())
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. the tenant id): nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, AuthError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| AuthError::Internal("no randomness".into()))?;
        let mut sealed = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| AuthError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`DataKey::seal`] produced for the same `context`.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, AuthError> {
        let fail =
            || AuthError::Internal("sealed value cannot be opened with this data key".into());
        if sealed.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self
            .0
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
            .map_err(|_| fail())?;
        Ok(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let key = DataKey::from_bytes(&[7u8; 32]).expect("key");
        let sealed = key.seal(b"finra secret", "tenant:1").expect("seal");
        assert!(!sealed.windows(12).any(|w| w == b"finra secret"));
        assert_eq!(
            key.open(&sealed, "tenant:1").expect("open"),
            b"finra secret"
        );
        assert!(key.open(&sealed, "tenant:2").is_err());
        let other = DataKey::from_bytes(&[8u8; 32]).expect("key");
        assert!(other.open(&sealed, "tenant:1").is_err());
        assert!(key.open(&sealed[..5], "tenant:1").is_err());
        assert!(DataKey::from_bytes(&[0u8; 31]).is_err());
    }
}
