//! Asynchronous requests: submitted jobs, their readiness, status polls, result links and the
//! hourly quota. All durations use tokio's clock.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngCore;
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::config::AsyncTimings;
use crate::data::Dataset;
use crate::query::plan::Format;

/// Result links stop working this long after submission, however they were polled.
const RESULT_MAX_AGE: Duration = Duration::from_secs(24 * 3_600);
const QUOTA_WINDOW: Duration = Duration::from_secs(3_600);

/// One submitted asynchronous request.
#[derive(Debug, Clone)]
pub(crate) struct AsyncJob {
    pub(crate) id: String,
    pub(crate) dataset: Dataset,
    /// The account that submitted it, `None` for anonymous submissions.
    pub(crate) owner: Option<String>,
    pub(crate) projection: Vec<usize>,
    pub(crate) format: Format,
    pub(crate) rows: Arc<Vec<usize>>,
    pub(crate) submitted_at: Instant,
    pub(crate) submitted_wall: OffsetDateTime,
    pub(crate) ready_at: Instant,
    pub(crate) signature: String,
}

/// A job and what polling has done to it so far.
#[derive(Debug)]
struct JobEntry {
    job: Arc<AsyncJob>,
    /// Set by the first `complete` status answer.
    link_expires_at: Option<Instant>,
    last_poll: Option<Instant>,
}

/// Quota bucket: (submitting account or anonymous, dataset).
type QuotaKey = (Option<String>, String);

/// What a status poll found.
#[derive(Debug)]
pub(crate) enum PollOutcome {
    /// No job with that id (for that dataset).
    Unknown,
    /// Polled again sooner than allowed.
    TooSoon { retry_after: Duration },
    /// Not ready yet.
    Pending(Arc<AsyncJob>),
    /// Ready; the result link expires at the given instant.
    Complete(Arc<AsyncJob>, Instant),
}

/// What a result-link fetch found.
#[derive(Debug)]
pub(crate) enum ResultOutcome {
    /// Unknown id, or a signature that does not match.
    BadSignature,
    /// The link has expired (or was never handed out).
    Expired,
    /// The job, ready to render.
    Ready(Arc<AsyncJob>),
}

/// Every async job, and the submissions counted against the quota.
#[derive(Debug, Default)]
pub(crate) struct AsyncJobs {
    jobs: Mutex<HashMap<String, JobEntry>>,
    submissions: Mutex<HashMap<QuotaKey, VecDeque<Instant>>>,
}

impl AsyncJobs {
    /// Counts a submission against the hourly quota of (owner, dataset); refuses it with the wait
    /// until the oldest counted submission leaves the window.
    pub(crate) fn take_quota(
        &self,
        owner: Option<&str>,
        dataset_key: &str,
        quota: NonZeroU32,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut submissions = lock(&self.submissions);
        let times = submissions
            .entry((owner.map(str::to_owned), dataset_key.to_owned()))
            .or_default();
        while times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= QUOTA_WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= quota.get() as usize
            && let Some(&oldest) = times.front()
        {
            return Err(QUOTA_WINDOW - now.saturating_duration_since(oldest));
        }
        times.push_back(now);
        Ok(())
    }

    /// Stores a new job and returns its id.
    #[expect(
        clippy::too_many_arguments,
        reason = "a job is built from all of these at once"
    )]
    pub(crate) fn submit(
        &self,
        dataset: Dataset,
        owner: Option<String>,
        projection: Vec<usize>,
        format: Format,
        rows: Vec<usize>,
        timings: &AsyncTimings,
        now: Instant,
        wall_now: OffsetDateTime,
    ) -> Arc<AsyncJob> {
        let mut signature = [0u8; 32];
        rand::rng().fill_bytes(&mut signature);
        let job = Arc::new(AsyncJob {
            id: uuid::Uuid::new_v4().to_string(),
            dataset,
            owner,
            projection,
            format,
            rows: Arc::new(rows),
            submitted_at: now,
            submitted_wall: wall_now,
            ready_at: now + timings.ready_after,
            signature: signature.iter().map(|b| format!("{b:02x}")).collect(),
        });
        let entry = JobEntry {
            job: Arc::clone(&job),
            link_expires_at: None,
            last_poll: None,
        };
        lock(&self.jobs).insert(job.id.clone(), entry);
        job
    }

    /// The account that submitted job `id` on `dataset`: `None` for an unknown job,
    /// `Some(None)` for an anonymous submission. Reading it does not count as a poll.
    pub(crate) fn owner(&self, id: &str, dataset: &Dataset) -> Option<Option<String>> {
        lock(&self.jobs)
            .get(id)
            .filter(|entry| {
                entry.job.dataset.name == dataset.name
                    && entry.job.dataset.def.group == dataset.def.group
            })
            .map(|entry| entry.job.owner.clone())
    }

    /// A status poll of job `id` on dataset (`group`, `name`).
    pub(crate) fn poll(
        &self,
        id: &str,
        dataset: &Dataset,
        timings: &AsyncTimings,
        now: Instant,
    ) -> PollOutcome {
        let mut jobs = lock(&self.jobs);
        let Some(entry) = jobs.get_mut(id).filter(|entry| {
            entry.job.dataset.name == dataset.name
                && entry.job.dataset.def.group == dataset.def.group
        }) else {
            return PollOutcome::Unknown;
        };
        if let Some(last) = entry.last_poll {
            let since = now.saturating_duration_since(last);
            if since < timings.min_poll_interval {
                return PollOutcome::TooSoon {
                    retry_after: timings.min_poll_interval - since,
                };
            }
        }
        entry.last_poll = Some(now);
        if now < entry.job.ready_at {
            return PollOutcome::Pending(Arc::clone(&entry.job));
        }
        let submitted_at = entry.job.submitted_at;
        let expires_at = *entry.link_expires_at.get_or_insert_with(|| {
            let by_first_poll = now + timings.result_link_ttl;
            by_first_poll.min(submitted_at + RESULT_MAX_AGE)
        });
        PollOutcome::Complete(Arc::clone(&entry.job), expires_at)
    }

    /// A result-link fetch.
    pub(crate) fn result(&self, id: &str, signature: Option<&str>, now: Instant) -> ResultOutcome {
        let jobs = lock(&self.jobs);
        let Some(entry) = jobs
            .get(id)
            .filter(|entry| Some(entry.job.signature.as_str()) == signature)
        else {
            return ResultOutcome::BadSignature;
        };
        match entry.link_expires_at {
            Some(expires) if now < expires => ResultOutcome::Ready(Arc::clone(&entry.job)),
            _ => ResultOutcome::Expired,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
