//! Password hashing: Argon2id with OWASP's parameters (m = 19 456 KiB, t = 2, p = 1), run off the
//! async workers on the blocking pool, with a bound on how many hashes run at once. Unknown users
//! are verified against a dummy hash so every failure costs the same time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::error::{AuthError, RequestProblem};

/// The longest password accepted (bytes). Longer inputs are refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 4_096;

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
    verifications: Arc<AtomicU64>,
    memory: Arc<MemoryPool>,
}

/// Argon2 working memory (19 MiB per verification) kept between verifications, at most one
/// buffer per permit. A fresh zeroed allocation per call costs thousands of page faults, and
/// whether a call met warm or cold memory made its time depend on luck (up to 60 % apart) rather
/// than be the same for every login.
#[derive(Debug, Default)]
struct MemoryPool(Mutex<Vec<Vec<Block>>>);

impl MemoryPool {
    fn take(&self) -> Vec<Block> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    fn give_back(&self, blocks: Vec<Block>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(blocks);
    }
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
            memory: Arc::default(),
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
        let memory = Arc::clone(&self.memory);
        let matched = tokio::task::spawn_blocking(move || {
            let mut blocks = memory.take();
            let matched = verify_blocking(password.expose_secret(), &phc, &mut blocks);
            memory.give_back(blocks);
            matched
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
        return Err(AuthError::InvalidRequest(RequestProblem::PasswordLength {
            max: MAX_PASSWORD_BYTES,
        }));
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

/// Recomputes the PHC string's hash of `password` in `blocks` (grown as the parameters need) and
/// compares it in constant time. A malformed PHC string never matches.
fn verify_blocking(password: &str, phc: &str, blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::new());
    }
    let mut computed = vec![0_u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut computed,
            &mut blocks[..needed],
        )
        .is_ok()
        && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
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

    #[test]
    fn verification_reuses_memory_across_parameters_and_refuses_malformed_hashes() {
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).expect("params"),
        )
        .hash_password(b"pw")
        .expect("hash")
        .to_string();
        let standard = hash_blocking("pw").expect("hash");
        let mut blocks = Vec::new();
        assert!(verify_blocking("pw", &small, &mut blocks));
        assert_eq!(blocks.len(), 64);
        assert!(verify_blocking("pw", &standard, &mut blocks));
        assert_eq!(blocks.len(), 19_456, "grown to the larger parameters");
        assert!(
            verify_blocking("pw", &small, &mut blocks),
            "a larger buffer still works"
        );
        assert!(!verify_blocking("pW", &standard, &mut blocks));
        let no_hash = standard
            .rsplit_once('$')
            .map(|(head, _)| head)
            .expect("phc");
        for malformed in [
            "",
            "$argon2id$",
            "not a phc",
            no_hash,
            &standard.replace("argon2id", "argon2x"),
        ] {
            assert!(
                !verify_blocking("pw", malformed, &mut blocks),
                "{malformed}"
            );
        }
    }
}
