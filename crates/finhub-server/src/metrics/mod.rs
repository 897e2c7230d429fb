//! The hub's metrics, in Prometheus's text exposition format: one registry per instance (no
//! global state, so two instances in one process — tests, the demo — each count their own).
//! Every label has a bounded set of values — route templates, methods, status codes, grants,
//! error codes, limit names, upstream names — never a user, a tenant, a token or a raw path.

mod observed_pacer;

use std::fmt::Write as _;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub use self::observed_pacer::ObservedPacer;

/// The media type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A request by the route that took it.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route's template (`/v1/auth/token`, `/v1/finra/data/group/{group}/name/{name}`, or
    /// `(unmatched path)`).
    pub route: &'static str,
    /// The method, or `OTHER` for one outside the standard set.
    pub method: &'static str,
}

/// A request by route and status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResponseLabels {
    pub route: &'static str,
    pub method: &'static str,
    pub status: u16,
}

/// A login by grant and outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginLabels {
    /// `password`, `client_credentials`, `refresh_token`, or `unknown` (refused before the
    /// body said).
    pub grant: &'static str,
    /// `success` or the error code answered.
    pub outcome: &'static str,
}

/// A second factor presented at a login.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SecondFactorLabels {
    /// `totp` or `recovery_code`.
    pub method: &'static str,
    /// `accepted` or the error code answered.
    pub outcome: &'static str,
}

/// An outcome alone.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// A rate limit by name.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    pub limit: &'static str,
}

/// An upstream (`finra`, `traqs`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    pub upstream: &'static str,
}

/// An upstream call by its answer.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamCallLabels {
    pub upstream: &'static str,
    /// The upstream's HTTP status, or `error` when it gave none (unreachable, too slow).
    pub status: UpstreamStatus,
}

/// The label of an upstream's answer: its HTTP status, or `error` when it gave none. A number,
/// not its text, so that recording a call makes no string.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct UpstreamStatus(pub Option<u16>);

impl EncodeLabelValue for UpstreamStatus {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        match self.0 {
            Some(status) => write!(encoder, "{status}"),
            None => encoder.write_str("error"),
        }
    }
}

/// Every family the hub records, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Off: nothing is recorded per request (the benchmarks' baseline), `/metrics` is 404.
    enabled: bool,
    /// Requests answered, by route, method and status.
    pub requests: Family<ResponseLabels, Counter>,
    /// Time to the answer's head, by route and method.
    pub request_seconds: Family<RouteLabels, Histogram>,
    /// Logins by grant and outcome.
    pub logins: Family<LoginLabels, Counter>,
    /// Second factors presented at logins.
    pub second_factors: Family<SecondFactorLabels, Counter>,
    /// `POST /v1/auth/refresh` by outcome (`refreshed`, `not_due`, or the error code).
    pub refreshes: Family<OutcomeLabels, Counter>,
    /// Requests refused by a rate limit, by limit.
    pub rate_limited: Family<LimitLabels, Counter>,
    /// Calls to an upstream by its answer.
    pub upstream_calls: Family<UpstreamCallLabels, Counter>,
    /// Time to an upstream's answer head.
    pub upstream_seconds: Family<UpstreamLabels, Histogram>,
    /// Upstream tokens minted (FINRA) or exchanged (TRAQS) by this instance.
    pub token_mints: Family<UpstreamLabels, Counter>,
    /// How long a request waited for its FINRA slot.
    pub pacer_wait_seconds: Histogram,
    /// Slots booked ahead of the last request when it was booked.
    pub pacer_queue_depth: Gauge,
    /// Requests refused because their slot was too far away.
    pub pacer_refused: Counter,
    /// Sessions neither ended nor expired (read from the store at each scrape).
    pub active_sessions: Gauge,
    /// Limit decisions taken by this instance alone because Redis did not answer.
    pub shared_limit_fallbacks: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Metrics that record nothing per request.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::new()
        }
    }

    /// Whether anything is recorded.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The families, registered under the `finhub_` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("finhub");
        let latency = || Histogram::new(exponential_buckets(0.000_1, 2.0, 18));
        let metrics = Self {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(latency),
            logins: Family::default(),
            second_factors: Family::default(),
            refreshes: Family::default(),
            rate_limited: Family::default(),
            upstream_calls: Family::default(),
            upstream_seconds: Family::new_with_constructor(latency),
            token_mints: Family::default(),
            pacer_wait_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            pacer_queue_depth: Gauge::default(),
            pacer_refused: Counter::default(),
            active_sessions: Gauge::default(),
            shared_limit_fallbacks: Counter::default(),
            registry: Registry::default(),
            enabled: true,
        };
        let r = &mut registry;
        r.register(
            "http_requests",
            "HTTP requests answered",
            metrics.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer's head",
            metrics.request_seconds.clone(),
        );
        r.register(
            "logins",
            "Logins by grant and outcome",
            metrics.logins.clone(),
        );
        r.register(
            "second_factor_checks",
            "Second factors presented at logins, by method and outcome",
            metrics.second_factors.clone(),
        );
        r.register(
            "session_refreshes",
            "POST /v1/auth/refresh by outcome",
            metrics.refreshes.clone(),
        );
        r.register(
            "rate_limited",
            "Requests refused by a rate limit",
            metrics.rate_limited.clone(),
        );
        r.register(
            "upstream_requests",
            "Calls to FINRA and TRAQS by their status",
            metrics.upstream_calls.clone(),
        );
        r.register(
            "upstream_request_duration_seconds",
            "Time to an upstream's answer head",
            metrics.upstream_seconds.clone(),
        );
        r.register(
            "upstream_token_mints",
            "Upstream access tokens this instance minted or exchanged",
            metrics.token_mints.clone(),
        );
        r.register(
            "upstream_pacer_wait_seconds",
            "How long requests waited for their FINRA slot",
            metrics.pacer_wait_seconds.clone(),
        );
        r.register(
            "upstream_pacer_queue_depth",
            "FINRA slots booked ahead of the latest request",
            metrics.pacer_queue_depth.clone(),
        );
        r.register(
            "upstream_pacer_refused",
            "Requests answered 429 because their FINRA slot was beyond the queue's wait",
            metrics.pacer_refused.clone(),
        );
        r.register(
            "active_sessions",
            "Sessions neither ended nor expired",
            metrics.active_sessions.clone(),
        );
        r.register(
            "shared_limit_fallbacks",
            "Limit decisions taken alone because Redis did not answer in time",
            metrics.shared_limit_fallbacks.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }

    /// Everything, in the text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        if prometheus_client::encoding::text::encode_registry(&mut text, &self.registry).is_err() {
            let _ = writeln!(text, "# encoding failed");
        }
        text
    }

    /// A request answered.
    pub fn request(
        &self,
        route: &'static str,
        method: &axum::http::Method,
        status: u16,
        took: Duration,
    ) {
        if !self.enabled {
            return;
        }
        let method = method_label(method);
        self.requests
            .get_or_create(&ResponseLabels {
                route,
                method,
                status,
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels { route, method })
            .observe(took.as_secs_f64());
    }

    /// A login's outcome (`Ok`: issued, `Err`: the error code answered).
    pub fn login(&self, grant: &'static str, outcome: Result<(), &'static str>) {
        if !self.enabled {
            return;
        }
        self.logins
            .get_or_create(&LoginLabels {
                grant,
                outcome: outcome.err().unwrap_or("success"),
            })
            .inc();
    }

    /// A second factor presented at a login, and the login's outcome.
    pub fn second_factor(&self, method: &'static str, outcome: Result<(), &'static str>) {
        if !self.enabled {
            return;
        }
        self.second_factors
            .get_or_create(&SecondFactorLabels {
                method,
                outcome: outcome.err().unwrap_or("accepted"),
            })
            .inc();
    }

    /// A refresh's outcome.
    pub fn refresh(&self, outcome: &'static str) {
        if !self.enabled {
            return;
        }
        self.refreshes
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// The counter of requests `limit` refused (a handle: incrementing it moves the family's).
    pub fn rate_limited_counter(&self, limit: &'static str) -> Counter {
        self.rate_limited
            .get_or_create(&LimitLabels { limit })
            .clone()
    }

    /// A call to `upstream` answered with `status` (`None`: no answer) after `took`.
    pub fn upstream_call(&self, upstream: &'static str, status: Option<u16>, took: Duration) {
        if !self.enabled {
            return;
        }
        let status = UpstreamStatus(status);
        self.upstream_calls
            .get_or_create(&UpstreamCallLabels { upstream, status })
            .inc();
        self.upstream_seconds
            .get_or_create(&UpstreamLabels { upstream })
            .observe(took.as_secs_f64());
    }

    /// The callback that counts tokens minted (or exchanged) with `upstream`.
    pub fn on_mint(&self, upstream: &'static str) -> finra_client::OnMint {
        let minted = self
            .token_mints
            .get_or_create(&UpstreamLabels { upstream })
            .clone();
        finra_client::OnMint::new(move || {
            minted.inc();
        })
    }
}

/// The method as a label: the standard ones by name, anything else `OTHER` (a method is any
/// token a client sends, so it is not a bounded value by itself).
fn method_label(method: &axum::http::Method) -> &'static str {
    match *method {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::PUT => "PUT",
        axum::http::Method::DELETE => "DELETE",
        axum::http::Method::HEAD => "HEAD",
        axum::http::Method::OPTIONS => "OPTIONS",
        axum::http::Method::PATCH => "PATCH",
        axum::http::Method::TRACE => "TRACE",
        axum::http::Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_render_with_their_labels_and_nothing_unbounded() {
        let metrics = Metrics::new();
        metrics.request(
            "/v1/auth/token",
            &axum::http::Method::POST,
            200,
            Duration::from_millis(3),
        );
        let odd = axum::http::Method::from_bytes(b"FROB").expect("a method");
        metrics.request("(unmatched path)", &odd, 404, Duration::from_millis(1));
        metrics.login("password", Err("invalid_client"));
        metrics.login("client_credentials", Ok(()));
        metrics.upstream_call("finra", Some(200), Duration::from_millis(20));
        metrics.upstream_call("finra", None, Duration::from_secs(30));
        let text = metrics.render();
        for line in [
            "finhub_http_requests_total{route=\"/v1/auth/token\",method=\"POST\",status=\"200\"} 1",
            "finhub_http_requests_total{route=\"(unmatched path)\",method=\"OTHER\",status=\"404\"} 1",
            "finhub_logins_total{grant=\"password\",outcome=\"invalid_client\"} 1",
            "finhub_logins_total{grant=\"client_credentials\",outcome=\"success\"} 1",
            "finhub_upstream_requests_total{upstream=\"finra\",status=\"error\"} 1",
            "finhub_upstream_requests_total{upstream=\"finra\",status=\"200\"} 1",
            "# TYPE finhub_http_request_duration_seconds histogram",
        ] {
            assert!(text.contains(line), "{line} in:\n{text}");
        }
        assert!(!text.contains("FROB"));
    }
}
