//! The request pacer: keeps a process under FINRA's per-address request rate (20 requests/s)
//! instead of collecting 429s. One [`Pacer`] is shared by every client of a process (the hub
//! shares one across all tenants, because FINRA counts per address). Processes that share an
//! address with others (several hub instances behind one egress) plug in a [`SharedSchedule`]
//! that books slots in a store all of them see.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

/// FINRA's synchronous request cap per address.
pub const FINRA_REQUESTS_PER_SECOND: u32 = 20;

/// A token bucket with a burst equal to its rate, as FINRA (and the emulator) enforce it.
///
/// Implemented as GCRA in whole nanoseconds on tokio's clock: a request may start when the
/// bucket would hold a token, never earlier, so the requests started in any interval never
/// exceed what FINRA's bucket accepts. Cheap to clone; clones share one bucket.
#[derive(Debug, Clone)]
pub struct Pacer {
    schedule: Schedule,
}

#[derive(Debug, Clone)]
enum Schedule {
    Unlimited,
    Local(Arc<Gcra>),
    Shared {
        rate: u32,
        schedule: Arc<dyn SharedSchedule>,
    },
}

/// A schedule of request slots kept outside this process, shared by every process that sends
/// from the same address. Implementations decide what to do when the shared store is away
/// (typically: book on a local schedule at a fraction of the rate).
#[async_trait]
pub trait SharedSchedule: Send + Sync + fmt::Debug {
    /// Books the next slot if it starts within `max_wait` (`None`: however long it takes):
    /// `Ok(wait)` before starting, or `Err(retry_after)` when nothing was booked.
    async fn book(&self, max_wait: Option<Duration>) -> Result<Duration, Duration>;
}

#[derive(Debug)]
struct Gcra {
    rate: u32,
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of the sustained schedule a burst may run: `interval · (burst − 1)`.
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
}

/// Tokens of the server's bucket a FINRA pacer leaves unused, so that requests arriving a little
/// closer together than they were sent (network jitter) still find a token.
pub const FINRA_BURST_RESERVE: u32 = 2;

impl Pacer {
    /// At most `requests_per_second` requests per second, bursts of the same size.
    /// `0` means unlimited.
    pub fn per_second(requests_per_second: u32) -> Self {
        Self::per_second_with_reserve(requests_per_second, 0)
    }

    /// At most `requests_per_second` requests per second, with bursts `reserve` smaller than
    /// the server's (which is `requests_per_second`): the server's bucket then always keeps
    /// `reserve` tokens for requests that jitter brings in early. `0` means unlimited.
    pub fn per_second_with_reserve(requests_per_second: u32, reserve: u32) -> Self {
        if requests_per_second == 0 {
            return Self::unlimited();
        }
        let interval = Duration::from_secs(1) / requests_per_second;
        let burst = requests_per_second.saturating_sub(reserve).max(1);
        Self {
            schedule: Schedule::Local(Arc::new(Gcra {
                rate: requests_per_second,
                interval,
                tolerance: interval * (burst - 1),
                next: Mutex::new(None),
            })),
        }
    }

    /// Slots booked on `schedule`, shared with other processes; `rate` is what it allows per
    /// second (for display).
    pub fn shared(rate: u32, schedule: Arc<dyn SharedSchedule>) -> Self {
        Self {
            schedule: Schedule::Shared { rate, schedule },
        }
    }

    /// FINRA's cap (20 requests/s per address) with [`FINRA_BURST_RESERVE`] tokens of margin.
    pub fn finra() -> Self {
        Self::per_second_with_reserve(FINRA_REQUESTS_PER_SECOND, FINRA_BURST_RESERVE)
    }

    /// No pacing at all (a FinHub in front of FINRA paces for you, or a throttle-free emulator).
    pub fn unlimited() -> Self {
        Self {
            schedule: Schedule::Unlimited,
        }
    }

    /// The rate, or `None` when unlimited.
    pub fn rate(&self) -> Option<u32> {
        match &self.schedule {
            Schedule::Unlimited => None,
            Schedule::Local(gcra) => Some(gcra.rate),
            Schedule::Shared { rate, .. } => Some(*rate),
        }
    }

    /// Waits until one more request may start, and books it.
    pub async fn acquire(&self) {
        if let Ok(wait) = self.book(None).await {
            sleep_for(wait).await;
        }
    }

    /// Like [`Pacer::acquire`], but books a slot only if it starts within `max_wait`; otherwise
    /// books nothing and returns how long a caller should wait before trying again. This is a
    /// bounded queue: a proxy answers 429 instead of letting waits grow without limit.
    pub async fn acquire_within(&self, max_wait: Duration) -> Result<(), Duration> {
        let wait = self.book(Some(max_wait)).await?;
        sleep_for(wait).await;
        Ok(())
    }

    /// Books the next slot that starts within `max_wait` (`None`: any), without waiting for
    /// it: `Ok(wait)` before starting, or `Err(retry_after)` when nothing was booked.
    pub async fn book(&self, max_wait: Option<Duration>) -> Result<Duration, Duration> {
        match &self.schedule {
            Schedule::Unlimited => Ok(Duration::ZERO),
            Schedule::Local(gcra) => {
                let now = Instant::now();
                let start_at = match max_wait {
                    None => gcra.book(now),
                    Some(max_wait) => gcra.try_book(now, now + max_wait)?,
                };
                Ok(start_at.saturating_duration_since(now))
            }
            Schedule::Shared { schedule, .. } => schedule.book(max_wait).await,
        }
    }
}

async fn sleep_for(wait: Duration) {
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}

impl Default for Pacer {
    /// FINRA's cap: 20 requests per second, with a small burst reserve ([`Pacer::finra`]).
    fn default() -> Self {
        Self::finra()
    }
}

impl Gcra {
    /// Books the next slot at or after `now` and returns when it starts.
    fn book(&self, now: Instant) -> Instant {
        let mut next = self.lock();
        let (tat, start_at) = self.next_slot(*next, now);
        *next = Some(tat + self.interval);
        start_at
    }

    /// Books the next slot only if it starts no later than `deadline`; otherwise returns how
    /// long after the deadline it would start.
    fn try_book(&self, now: Instant, deadline: Instant) -> Result<Instant, Duration> {
        let mut next = self.lock();
        let (tat, start_at) = self.next_slot(*next, now);
        if start_at > deadline {
            return Err(start_at - deadline);
        }
        *next = Some(tat + self.interval);
        Ok(start_at)
    }

    /// The theoretical arrival time and the start of the next slot at or after `now`.
    fn next_slot(&self, next: Option<Instant>, now: Instant) -> (Instant, Instant) {
        let tat = next.map_or(now, |tat| tat.max(now));
        let start_at = tat.checked_sub(self.tolerance).map_or(now, |t| t.max(now));
        (tat, start_at)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_rate_goes_at_once_then_one_per_interval() {
        let pacer = Pacer::per_second(20);
        let start = Instant::now();
        for _ in 0..20 {
            pacer.acquire().await;
        }
        assert_eq!(Instant::now(), start, "the burst needs no wait");
        pacer.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(50));
        for _ in 0..20 {
            pacer.acquire().await;
        }
        assert_eq!(Instant::now() - start, Duration::from_millis(50 * 21));
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_bucket_of_the_same_rate_never_refuses_a_paced_request() {
        let pacer = Pacer::per_second(10);
        let tasks: Vec<_> = (0..45)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut starts = Vec::new();
        for task in tasks {
            starts.push(task.await.expect("task"));
        }
        starts.sort();
        // FINRA's (and the emulator's) bucket: burst = rate, refilled continuously.
        let (rate, mut tokens, mut updated) = (10.0_f64, 10.0_f64, starts[0]);
        for at in &starts {
            tokens = (tokens + (*at - updated).as_secs_f64() * rate).min(rate);
            updated = *at;
            assert!(tokens >= 1.0 - 1e-9, "refused at {:?}", *at - starts[0]);
            tokens -= 1.0;
        }
        assert_eq!(
            *starts.last().expect("45 starts") - starts[0],
            Duration::from_millis(100 * 35)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_bounded_wait_refuses_slots_beyond_it_without_booking_them() {
        let pacer = Pacer::per_second(10);
        for _ in 0..10 {
            assert_eq!(pacer.acquire_within(Duration::ZERO).await, Ok(()));
        }
        // The 11th slot starts 100 ms from now: refused with no wait allowed, and not booked.
        assert_eq!(
            pacer.acquire_within(Duration::ZERO).await,
            Err(Duration::from_millis(100))
        );
        assert_eq!(
            pacer.acquire_within(Duration::from_millis(40)).await,
            Err(Duration::from_millis(60))
        );
        let start = Instant::now();
        assert_eq!(
            pacer.acquire_within(Duration::from_millis(100)).await,
            Ok(())
        );
        assert_eq!(Instant::now() - start, Duration::from_millis(100));
        assert_eq!(
            Pacer::unlimited().acquire_within(Duration::ZERO).await,
            Ok(())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_finra_pacer_leaves_a_reserve_in_the_servers_bucket() {
        let pacer = Pacer::finra();
        let start = Instant::now();
        for _ in 0..18 {
            pacer.acquire().await;
        }
        assert_eq!(Instant::now(), start, "a burst of 20 - 2");
        pacer.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(50));
        assert_eq!(pacer.rate(), Some(20));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_refills_the_burst_but_no_more() {
        let pacer = Pacer::per_second(5);
        tokio::time::advance(Duration::from_secs(60)).await;
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire().await;
        }
        assert_eq!(Instant::now(), start);
        pacer.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(200));
        assert_eq!(Pacer::unlimited().rate(), None);
    }

    /// A shared schedule that hands out the waits it is given, and records the bounds asked.
    #[derive(Debug, Default)]
    struct Scripted {
        answers: Mutex<Vec<Result<Duration, Duration>>>,
        asked: Mutex<Vec<Option<Duration>>>,
    }

    #[async_trait]
    impl SharedSchedule for Scripted {
        async fn book(&self, max_wait: Option<Duration>) -> Result<Duration, Duration> {
            self.asked.lock().expect("lock").push(max_wait);
            self.answers.lock().expect("lock").remove(0)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_shared_schedule_decides_the_waits() {
        let schedule = Arc::new(Scripted {
            answers: Mutex::new(vec![
                Ok(Duration::from_millis(70)),
                Err(Duration::from_millis(30)),
                Ok(Duration::ZERO),
            ]),
            ..Scripted::default()
        });
        let pacer = Pacer::shared(20, schedule.clone());
        assert_eq!(pacer.rate(), Some(20));
        let start = Instant::now();
        pacer.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(70));
        assert_eq!(
            pacer.acquire_within(Duration::from_millis(5)).await,
            Err(Duration::from_millis(30))
        );
        assert_eq!(pacer.acquire_within(Duration::from_secs(1)).await, Ok(()));
        assert_eq!(Instant::now() - start, Duration::from_millis(70));
        assert_eq!(
            *schedule.asked.lock().expect("lock"),
            [
                None,
                Some(Duration::from_millis(5)),
                Some(Duration::from_secs(1))
            ]
        );
    }
}
