//! Fault injection: the next N token calls or Query API calls answer with a chosen failure.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// A failure the emulator can be told to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 401 as for an expired token.
    Unauthorized,
    /// 429 with `Retry-After` (whole seconds, rounded up).
    TooManyRequests {
        /// The wait announced in `Retry-After`.
        retry_after: Duration,
    },
    /// 500 Internal Server Error.
    InternalServerError,
    /// 503 Service Unavailable.
    ServiceUnavailable,
    /// 200 with `Content-Type: application/json` and a body that is not JSON.
    MalformedBody,
    /// Never answers (until the emulator shuts down or the client gives up).
    Hang,
    /// A TRAQS download starts with 200 and breaks off after about this many bytes (other
    /// calls answer 500 instead).
    BreakMidBody {
        /// Bytes sent before the break (rounded up to the chunk that crosses it).
        after_bytes: usize,
    },
}

/// Which calls a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTarget {
    /// `POST /fip/rest/ews/oauth2/access_token`.
    TokenCalls,
    /// Query API calls: data, metadata, partitions, datasets and async status.
    DataCalls,
    /// TRAQS access-token exchanges (`POST /traqs/oauth2/token`).
    TraqsTokenCalls,
    /// TRAQS downloads (`DownloadHandler.ashx`), after the access token is checked.
    TraqsDownloads,
}

/// The queues of pending faults, one per target. Each call takes at most one fault.
#[derive(Debug, Default)]
pub struct Faults {
    token_calls: Mutex<VecDeque<Fault>>,
    data_calls: Mutex<VecDeque<Fault>>,
    traqs_token_calls: Mutex<VecDeque<Fault>>,
    traqs_downloads: Mutex<VecDeque<Fault>>,
}

impl Faults {
    /// The next `n` calls to `target` answer with `fault` (after faults queued earlier).
    pub fn inject(&self, target: FaultTarget, fault: Fault, n: usize) {
        self.queue(target).extend(std::iter::repeat_n(fault, n));
    }

    /// The next `n` token calls answer with `fault`.
    pub fn fail_next_token_calls(&self, n: usize, fault: Fault) {
        self.inject(FaultTarget::TokenCalls, fault, n);
    }

    /// The next `n` Query API calls answer with `fault`.
    pub fn fail_next_data_calls(&self, n: usize, fault: Fault) {
        self.inject(FaultTarget::DataCalls, fault, n);
    }

    /// Drops every pending fault.
    pub fn clear(&self) {
        for target in [
            FaultTarget::TokenCalls,
            FaultTarget::DataCalls,
            FaultTarget::TraqsTokenCalls,
            FaultTarget::TraqsDownloads,
        ] {
            self.queue(target).clear();
        }
    }

    /// Faults still waiting for a call to `target`.
    pub fn pending(&self, target: FaultTarget) -> usize {
        self.queue(target).len()
    }

    pub(crate) fn take(&self, target: FaultTarget) -> Option<Fault> {
        self.queue(target).pop_front()
    }

    fn queue(&self, target: FaultTarget) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        let queue = match target {
            FaultTarget::TokenCalls => &self.token_calls,
            FaultTarget::DataCalls => &self.data_calls,
            FaultTarget::TraqsTokenCalls => &self.traqs_token_calls,
            FaultTarget::TraqsDownloads => &self.traqs_downloads,
        };
        queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
