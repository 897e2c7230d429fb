//! Shared helpers: an emulator on the test's (paused) clock and clients pointed at it.

use std::collections::BTreeMap;
use std::time::Duration;

use finhub_clock::{SharedClock, TokioClock};
use finra_client::{
    Auth, Credentials, FinraClient, FinraClientBuilder, FinraError, Pacer, PagingConfig, Query,
    RetryPolicy, Row,
};
use finra_emulator::{Credential, EmulatorConfig, RunningEmulator, Throttle, Tier};
use futures_util::TryStreamExt;

/// The public-tier credential every emulator here accepts.
pub(crate) const PUBLIC_ID: &str = "public-client";
pub(crate) const PUBLIC_SECRET: &str = "public-s3cret-value";
/// The firm-tier credential.
pub(crate) const FIRM_ID: &str = "firm-client";
pub(crate) const FIRM_SECRET: &str = "firm-s3cret-value";

/// An emulator config with both credentials, the throttle off and a clock on tokio's time.
pub(crate) fn config(clock: &SharedClock) -> EmulatorConfig {
    EmulatorConfig::default()
        .with_credentials([
            Credential::new(PUBLIC_ID, PUBLIC_SECRET, Tier::Public),
            Credential::new(FIRM_ID, FIRM_SECRET, Tier::Firm),
        ])
        .with_throttle(Throttle::Off)
        .with_clock(clock.clone())
}

/// A clock that follows tokio's (paused) time.
pub(crate) fn clock() -> SharedClock {
    TokioClock::fixed().shared()
}

pub(crate) async fn spawn(config: EmulatorConfig) -> RunningEmulator {
    finra_emulator::spawn(config)
        .await
        .expect("emulator starts")
}

/// A client builder for `emulator`, without authentication, on `clock`.
pub(crate) fn builder(emulator: &RunningEmulator, clock: &SharedClock) -> FinraClientBuilder {
    FinraClient::builder()
        .api_base(emulator.base_url())
        .token_url(emulator.token_url())
        .clock(clock.clone())
        .pacer(Pacer::unlimited())
        .retry(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        })
}

pub(crate) fn public_auth() -> Auth {
    Auth::ClientCredentials(Credentials::new(PUBLIC_ID, PUBLIC_SECRET))
}

pub(crate) fn firm_auth() -> Auth {
    Auth::ClientCredentials(Credentials::new(FIRM_ID, FIRM_SECRET))
}

/// A client with the public credential.
pub(crate) fn public_client(emulator: &RunningEmulator, clock: &SharedClock) -> FinraClient {
    builder(emulator, clock)
        .auth(public_auth())
        .build()
        .expect("client")
}

/// Paging limits lowered along with the emulator's maximum offset.
pub(crate) fn paging(max_offset: u64, page_size: u64) -> PagingConfig {
    PagingConfig {
        max_offset,
        page_size,
        ..PagingConfig::default()
    }
}

pub(crate) async fn all_rows(client: &FinraClient, query: Query) -> Result<Vec<Row>, FinraError> {
    client.stream_rows(query).try_collect().await
}

/// Rows as a multiset: canonical JSON text → count.
pub(crate) fn multiset(rows: &[Row]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in rows {
        let canonical: BTreeMap<&String, &serde_json::Value> = row.iter().collect();
        let text = serde_json::to_string(&canonical).expect("json");
        *counts.entry(text).or_insert(0) += 1;
    }
    counts
}

/// `Record-Total` of a query, read with one raw page request.
pub(crate) async fn record_total(client: &FinraClient, query: &Query) -> u64 {
    let page = client
        .query_page(&query.clone().limit(1))
        .await
        .expect("one page");
    page.info.record_total.unwrap_or(0)
}

/// The emulator's data path for a dataset.
pub(crate) fn data_path(group: &str, name: &str) -> String {
    format!("/data/group/{group}/name/{name}")
}
