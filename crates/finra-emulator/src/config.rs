//! The emulator's configuration: credentials, token lifetime, data, throttle, paging, async timings
//! and the clock. Tests build it with [`EmulatorConfig::default`] and the `with_*` methods.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use finhub_clock::{SharedClock, SystemClock};

pub use crate::data::Scale;
pub use crate::traqs::{TraqsConfig, TraqsEnvironment, TraqsUser};

/// A credential tier, as FINRA sells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Public (individual) credential: otcMarket and fixedIncomeMarket only.
    Public,
    /// Firm credential: adds the entitled `firm` and `registration` groups.
    Firm,
}

impl std::str::FromStr for Tier {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "public" => Ok(Self::Public),
            "firm" => Ok(Self::Firm),
            other => Err(format!("unknown tier {other:?}: expected public or firm")),
        }
    }
}

/// One API client credential the token service accepts.
#[derive(Clone)]
pub struct Credential {
    /// The client id (the user part of HTTP Basic).
    pub client_id: String,
    /// The client secret (never printed by `Debug`).
    pub client_secret: String,
    /// What the credential is entitled to.
    pub tier: Tier,
}

impl Credential {
    /// A credential with this id, secret and tier.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>, tier: Tier) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            tier,
        }
    }

    /// The demo credential the binary creates when none is given: `demo-client:demo-secret`.
    pub fn demo() -> Self {
        Self::new("demo-client", "demo-secret", Tier::Public)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("tier", &self.tier)
            .finish()
    }
}

impl std::str::FromStr for Credential {
    type Err = String;

    /// Parses `ID:SECRET[:TIER]`; the secret may itself contain `:`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (client_id, rest) = text
            .split_once(':')
            .ok_or_else(|| "expected ID:SECRET[:TIER]".to_owned())?;
        let (secret, tier) = match rest.rsplit_once(':') {
            Some((secret, tier @ ("public" | "firm"))) => (secret, tier.parse()?),
            _ => (rest, Tier::Public),
        };
        if client_id.is_empty() || secret.is_empty() {
            return Err("client id and secret must not be empty".to_owned());
        }
        Ok(Self::new(client_id, secret, tier))
    }
}

/// The per-peer-address request rate of the Query API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// At most this many requests per second per peer address (token bucket, burst = rate).
    PerSecond(u32),
    /// No throttle (benchmarks of the client's own speed).
    Off,
}

impl std::str::FromStr for Throttle {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "off" {
            return Ok(Self::Off);
        }
        match text.parse::<u32>() {
            Ok(0) | Err(_) => Err(format!(
                "invalid throttle {text:?}: expected a positive number of requests/s or off"
            )),
            Ok(rate) => Ok(Self::PerSecond(rate)),
        }
    }
}

/// Row order of results requested without `sortFields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowOrder {
    /// The emulator's internal order, the same for every request.
    #[default]
    Stable,
    /// Each request sees the whole matching set in a new random order, so offset paging without
    /// a sort can miss and repeat rows (as FINRA warns).
    Unstable,
}

/// What a query that matches no rows answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmptyResult {
    /// `204 No Content` with an empty body (what FINRA does today).
    #[default]
    NoContent,
    /// `200` with `[]` (JSON) or only the header row (CSV), as FINRA's 2020 docs say.
    EmptyArray,
}

/// Timings and quotas of asynchronous requests.
#[derive(Debug, Clone, Copy)]
pub struct AsyncTimings {
    /// How long after submission the result is ready.
    pub ready_after: Duration,
    /// Status polls closer together than this get 429 with `Retry-After`.
    pub min_poll_interval: Duration,
    /// How long a result link stays valid after the first `complete` status answer.
    pub result_link_ttl: Duration,
    /// Async submissions allowed per dataset per account (or per dataset for anonymous callers)
    /// in any rolling hour; at least one (a quota of none would refuse every submission forever).
    pub quota_per_hour: NonZeroU32,
}

impl Default for AsyncTimings {
    fn default() -> Self {
        Self {
            ready_after: Duration::from_secs(3),
            min_poll_interval: Duration::from_secs(1),
            result_link_ttl: Duration::from_secs(2 * 3_600),
            quota_per_hour: NonZeroU32::new(20).expect("20 is not zero"),
        }
    }
}

/// Everything [`crate::serve`] needs. `Default` is FINRA's behaviour with the demo credential.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Accepted API credentials.
    pub credentials: Vec<Credential>,
    /// Lifetime of minted access tokens (`expires_in`).
    pub token_ttl: Duration,
    /// Seed of the synthetic data.
    pub seed: u64,
    /// Size of the synthetic data.
    pub scale: Scale,
    /// Query API throttle per peer address.
    pub throttle: Throttle,
    /// Largest accepted `offset` (FINRA: 500 000). Tests lower it to exercise partition splits.
    pub max_offset: u64,
    /// Row order without `sortFields`.
    pub row_order: RowOrder,
    /// Answer for an empty result.
    pub empty_result: EmptyResult,
    /// Async request timings and quota.
    pub async_timings: AsyncTimings,
    /// The wall clock (durations always use tokio's clock).
    pub clock: SharedClock,
    /// TRAQS: its environment, users and token lifetimes.
    pub traqs: TraqsConfig,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            credentials: vec![Credential::demo()],
            token_ttl: Duration::from_secs(43_200),
            seed: 42,
            scale: Scale::Small,
            throttle: Throttle::PerSecond(20),
            max_offset: 500_000,
            row_order: RowOrder::Stable,
            empty_result: EmptyResult::NoContent,
            async_timings: AsyncTimings::default(),
            clock: SystemClock::shared(),
            traqs: TraqsConfig::default(),
        }
    }
}

impl EmulatorConfig {
    /// Replaces the accepted credentials.
    pub fn with_credentials(mut self, credentials: impl IntoIterator<Item = Credential>) -> Self {
        self.credentials = credentials.into_iter().collect();
        self
    }

    /// Adds one accepted credential.
    pub fn with_credential(mut self, credential: Credential) -> Self {
        self.credentials.push(credential);
        self
    }

    /// Sets the access-token lifetime.
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Sets the data seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the data scale.
    pub fn with_scale(mut self, scale: Scale) -> Self {
        self.scale = scale;
        self
    }

    /// Sets the throttle.
    pub fn with_throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = throttle;
        self
    }

    /// Sets the largest accepted offset.
    pub fn with_max_offset(mut self, max_offset: u64) -> Self {
        self.max_offset = max_offset;
        self
    }

    /// Sets the row order without `sortFields`.
    pub fn with_row_order(mut self, row_order: RowOrder) -> Self {
        self.row_order = row_order;
        self
    }

    /// Sets what an empty result answers.
    pub fn with_empty_result(mut self, empty_result: EmptyResult) -> Self {
        self.empty_result = empty_result;
        self
    }

    /// Sets the async timings.
    pub fn with_async_timings(mut self, timings: AsyncTimings) -> Self {
        self.async_timings = timings;
        self
    }

    /// Sets the TRAQS environment, users and lifetimes.
    pub fn with_traqs(mut self, traqs: TraqsConfig) -> Self {
        self.traqs = traqs;
        self
    }

    /// Sets the wall clock (share it with the client and hub under test).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_parses_optional_tier_and_secrets_with_colons() {
        let plain: Credential = "id:secret".parse().expect("valid");
        assert_eq!(
            (plain.client_id.as_str(), plain.client_secret.as_str()),
            ("id", "secret")
        );
        assert_eq!(plain.tier, Tier::Public);
        let firm: Credential = "id:se:cret:firm".parse().expect("valid");
        assert_eq!(firm.client_secret, "se:cret");
        assert_eq!(firm.tier, Tier::Firm);
        assert!("nocolon".parse::<Credential>().is_err());
        assert!(":secret".parse::<Credential>().is_err());
    }

    #[test]
    fn credential_debug_redacts_the_secret() {
        let debug = format!("{:?}", Credential::new("id", "hunter2", Tier::Firm));
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn throttle_parses_rate_or_off() {
        assert_eq!("20".parse::<Throttle>(), Ok(Throttle::PerSecond(20)));
        assert_eq!("off".parse::<Throttle>(), Ok(Throttle::Off));
        assert!("0".parse::<Throttle>().is_err());
        assert!("fast".parse::<Throttle>().is_err());
    }
}
