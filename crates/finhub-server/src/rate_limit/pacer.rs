//! FINRA pacing shared by every instance with the same egress address: slots booked in Redis
//! under one key per `upstream.egress_id`, so the instances together stay under FINRA's rate;
//! while Redis is away, each books on a pacer of its own at its share of the rate.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use finhub_core::shared_limits::{Admission, Gcra, LimitKey};
use finra_client::{Pacer, SharedSchedule};

use super::shared::SharedStore;

/// The longest a caller without a bound is booked ahead (anything longer is a bug elsewhere).
const UNBOUNDED_WAIT: Duration = Duration::from_secs(3_600);

/// A pacer whose slots several instances book together.
#[derive(Debug)]
pub struct SharedPacer {
    store: SharedStore,
    key: LimitKey,
    limit: Gcra,
    fallback: Pacer,
}

impl SharedPacer {
    /// FINRA pacing at `requests_per_second` (keeping `reserve` of the server's burst unused)
    /// for every instance with this `egress_id`, as a [`Pacer`]; `0` is unpaced.
    pub fn pacer(
        store: SharedStore,
        egress_id: &str,
        requests_per_second: u32,
        reserve: u32,
    ) -> Pacer {
        if requests_per_second == 0 {
            return Pacer::unlimited();
        }
        let fallback = Pacer::per_second_with_reserve(store.share_of(requests_per_second), reserve);
        let schedule = Self {
            key: LimitKey::named("pacer", egress_id),
            limit: Gcra::per_second_with_reserve(requests_per_second, reserve),
            store,
            fallback,
        };
        Pacer::shared(requests_per_second, Arc::new(schedule))
    }
}

#[async_trait]
impl SharedSchedule for SharedPacer {
    async fn book(&self, max_wait: Option<Duration>) -> Result<Duration, Duration> {
        let bound = max_wait.unwrap_or(UNBOUNDED_WAIT);
        match self
            .store
            .admit("upstream_pacer", &[(&self.key, self.limit)], bound)
            .await
        {
            Some(Admission::Booked { after }) => Ok(after),
            Some(Admission::Refused { retry_after }) => Err(retry_after),
            None => self.fallback.book(max_wait).await,
        }
    }
}
