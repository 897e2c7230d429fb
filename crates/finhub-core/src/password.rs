//! Password hashing: Argon2id with OWASP's parameters (m = 19 456 KiB, t = 2, p = 1), run off the
//! async workers on the blocking pool, with a bound on how many hashes run at once. Unknown users
//! are verified against a dummy hash so every failure costs the same time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::AuthError;

/// The longest password accepted (bytes). Longer inputs are refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 4_096;

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
    verifications: Arc<AtomicU64>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    /// A hasher running at most `max_concurrent` hashes at a time (each needs 19 MiB).
    pub fn new(max_concurrent: usize) -> Self {
        let dummy = hash_blocking("dummy password for unknown users")
            .expect("hashing a constant cannot fail");
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy.into(),
            verifications: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: SecretString) -> Result<String, AuthError> {
        check_length(&password)?;
        let _permit = self.permit().await?;
        tokio::task::spawn_blocking(move || hash_blocking(password.expose_secret()))
            .await
            .map_err(|e| AuthError::Internal(format!("password hashing task failed: {e}")))?
    }

    /// Verifies `password` against `phc`, or against the dummy hash when `phc` is `None`
    /// (unknown user), so both cost one Argon2 verification. Returns whether it matched.
    pub async fn verify(
        &self,
        password: SecretString,
        phc: Option<String>,
    ) -> Result<bool, AuthError> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy_hash.to_string());
        // An empty or over-long password never matches, but still costs one verification, so
        // its answer takes the same time as any other failure.
        let acceptable = check_length(&password).is_ok();
        let _permit = self.permit().await?;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc).is_ok_and(|parsed| {
                argon2()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .map_err(|e| AuthError::Internal(format!("password verification task failed: {e}")))?;
        Ok(known && acceptable && matched)
    }

    /// How many verifications this hasher (and its clones) has run: lets tests check that every
    /// kind of failed login pays for exactly one.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AuthError> {
        self.permits
            .acquire()
            .await
            .map_err(|_| AuthError::Internal("password hasher closed".into()))
    }
}

fn check_length(password: &SecretString) -> Result<(), AuthError> {
    let len = password.expose_secret().len();
    if len == 0 || len > MAX_PASSWORD_BYTES {
        return Err(AuthError::InvalidRequest(format!(
            "a password is 1 to {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Hashes with a fresh random salt (drawn by `password-hash` from the OS).
fn hash_blocking(password: &str) -> Result<String, AuthError> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Internal(format!("password hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match_the_dummy() {
        let hasher = PasswordHasher::new(2);
        let phc = hasher
            .hash(SecretString::from("correct horse"))
            .await
            .expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let verify =
            |pw: &str, phc: Option<String>| hasher.verify(SecretString::from(pw.to_owned()), phc);
        assert!(
            verify("correct horse", Some(phc.clone()))
                .await
                .expect("verify")
        );
        assert!(!verify("wrong", Some(phc)).await.expect("verify"));
        assert!(
            !verify("dummy password for unknown users", None)
                .await
                .expect("verify"),
            "the dummy hash must never authenticate anyone"
        );
        assert!(hasher.hash(SecretString::from("")).await.is_err());
        assert_eq!(hasher.verifications(), 3);
        assert!(
            hasher
                .hash(SecretString::from("x".repeat(MAX_PASSWORD_BYTES + 1)))
                .await
                .is_err()
        );
    }
}
