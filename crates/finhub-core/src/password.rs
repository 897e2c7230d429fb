//! Password hashing: Argon2id with OWASP's parameters (m = 19 456 KiB, t = 2, p = 1), run off the
//! async workers on a fixed set of hashing threads, which bounds how many hashes run at once.
//! Unknown users are verified against a dummy hash so every failure costs the same time.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use crate::error::{AuthError, RequestProblem};

/// The longest password accepted (bytes). Longer inputs are refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 4_096;

/// Hashes and verifies passwords on its own threads, as many as hashes may run at once.
///
/// Each thread takes the next queued job as soon as it finishes one, so under a queue of logins
/// the threads hash back to back: no permit to hand over, no task to wake between two hashes.
/// Each keeps its Argon2 working memory (19 MiB) from one verification to the next: a fresh
/// zeroed allocation per call costs thousands of page faults, and whether a call met warm or cold
/// memory made its time depend on luck (up to 60 % apart) rather than be the same for every
/// login. The threads end when the last clone of the hasher is dropped.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
    dummy_hash: Arc<str>,
    verifications: Arc<AtomicU64>,
}

/// Work for a hashing thread, with where its answer goes.
enum Job {
    Hash {
        password: SecretString,
        answer: oneshot::Sender<Result<String, AuthError>>,
    },
    Verify {
        password: SecretString,
        phc: String,
        answer: oneshot::Sender<bool>,
    },
}

impl Job {
    /// Whether the caller has stopped waiting for the answer (its connection closed).
    fn abandoned(&self) -> bool {
        match self {
            Self::Hash { answer, .. } => answer.is_closed(),
            Self::Verify { answer, .. } => answer.is_closed(),
        }
    }
}

// By hand: a job's password stays out of `Debug`, and the PHC string too.
impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hash { .. } => f.write_str("Job::Hash"),
            Self::Verify { .. } => f.write_str("Job::Verify"),
        }
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    /// A hasher running at most `max_concurrent` hashes at a time (each needs 19 MiB), on as
    /// many threads of its own.
    pub fn new(max_concurrent: usize) -> Self {
        let dummy = hash_blocking("dummy password for unknown users")
            .expect("hashing a constant cannot fail");
        let verifications = Arc::new(AtomicU64::new(0));
        let (jobs, queue) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..max_concurrent.max(1) {
            let queue = Arc::clone(&queue);
            let verifications = Arc::clone(&verifications);
            std::thread::Builder::new()
                .name(format!("finhub-argon2-{index}"))
                .spawn(move || hash_jobs(&queue, &verifications))
                .expect("starting a password hashing thread");
        }
        Self {
            jobs,
            dummy_hash: dummy.into(),
            verifications,
        }
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: SecretString) -> Result<String, AuthError> {
        check_length(&password)?;
        let (answer, answered) = oneshot::channel();
        self.submit(Job::Hash { password, answer })?;
        answered.await.map_err(|_| lost_job())?
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
        let (answer, answered) = oneshot::channel();
        self.submit(Job::Verify {
            password,
            phc,
            answer,
        })?;
        let matched = answered.await.map_err(|_| lost_job())?;
        Ok(known && acceptable && matched)
    }

    /// How many verifications this hasher (and its clones) has run: lets tests check that every
    /// kind of failed login pays for exactly one.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    fn submit(&self, job: Job) -> Result<(), AuthError> {
        self.jobs
            .send(job)
            .map_err(|_| AuthError::Internal("the password hashing threads have stopped".into()))
    }
}

fn lost_job() -> AuthError {
    AuthError::Internal("a password hashing job ended without an answer".into())
}

/// A hashing thread: takes jobs off the shared queue until every sender is gone. A job whose
/// caller has gone away (a closed connection) is skipped rather than hashed for nobody; a job
/// that panics loses its answer (the caller gets an internal error), not the thread.
fn hash_jobs(queue: &Mutex<mpsc::Receiver<Job>>, verifications: &AtomicU64) {
    let mut blocks = Vec::new();
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        if job.abandoned() {
            continue;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| match job {
            Job::Hash { password, answer } => {
                let _ = answer.send(hash_blocking(password.expose_secret()));
            }
            Job::Verify {
                password,
                phc,
                answer,
            } => {
                verifications.fetch_add(1, Ordering::Relaxed);
                let matched = verify_blocking(password.expose_secret(), &phc, &mut blocks);
                let _ = answer.send(matched);
            }
        }));
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

    /// Polls `job` once (`timeout` with no time polls exactly once), which queues its hash.
    async fn queue<F: Future + Unpin>(job: &mut F) {
        let once = tokio::time::timeout(std::time::Duration::ZERO, job);
        assert!(once.await.is_err(), "answered before it was hashed");
    }

    #[tokio::test]
    async fn queued_jobs_are_all_answered_and_abandoned_ones_are_not_hashed() {
        let hasher = PasswordHasher::new(1);
        let phc = hasher.hash(SecretString::from("pw")).await.expect("hash");
        let verify = |pw: &'static str| {
            let (hasher, phc) = (hasher.clone(), phc.clone());
            async move { hasher.verify(SecretString::from(pw), Some(phc)).await }
        };
        // One thread, three callers: the first is hashed while the others queue.
        let mut busy = Box::pin(verify("pw"));
        queue(&mut busy).await;
        let mut abandoned = Box::pin(verify("pw"));
        queue(&mut abandoned).await;
        // Its caller goes away while the first job is still being hashed.
        drop(abandoned);
        let mut queued = Box::pin(verify("wrong"));
        queue(&mut queued).await;
        assert!(busy.await.expect("verify"));
        assert!(!queued.await.expect("verify"));
        assert_eq!(
            hasher.verifications(),
            2,
            "the abandoned job was skipped, every other one verified once"
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
