//! The FINRA pacer with its waits recorded: a [`SharedSchedule`] around the hub's own pacer (in
//! this process or in Redis) that notes each booked wait, the queue it implies, and refusals.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use finra_client::{Pacer, SharedSchedule};

use super::Metrics;

/// A pacer whose bookings are recorded in [`Metrics`].
#[derive(Debug)]
pub struct ObservedPacer {
    inner: Pacer,
    interval: Duration,
    metrics: Arc<Metrics>,
}

impl ObservedPacer {
    /// `inner`, recorded; an unlimited pacer stays as it is (nothing waits).
    pub fn wrap(inner: Pacer, metrics: Arc<Metrics>) -> Pacer {
        let Some(rate) = inner.rate().filter(|_| metrics.enabled()) else {
            return inner;
        };
        let interval = Duration::from_secs(1) / rate.max(1);
        Pacer::shared(
            rate,
            Arc::new(Self {
                inner,
                interval,
                metrics,
            }),
        )
    }
}

#[async_trait]
impl SharedSchedule for ObservedPacer {
    async fn book(&self, max_wait: Option<Duration>) -> Result<Duration, Duration> {
        let booked = self.inner.book(max_wait).await;
        match booked {
            Ok(wait) => {
                self.metrics.pacer_wait_seconds.observe(wait.as_secs_f64());
                let ahead = wait.as_nanos() / self.interval.as_nanos().max(1);
                self.metrics
                    .pacer_queue_depth
                    .set(i64::try_from(ahead).unwrap_or(i64::MAX));
            }
            Err(_) => {
                self.metrics.pacer_refused.inc();
            }
        }
        booked
    }
}
