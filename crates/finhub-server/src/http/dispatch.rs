//! Where a request goes first: a proxied FINRA path straight to the proxy (behind the same
//! edge as every route), anything else to the router. The proxy is the hub's hottest path and
//! parses its paths itself, so it skips the router's matching, path parameters, extractors and
//! boxed handler futures.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use futures_util::future::Either;
use tower::Service;

use super::finra::{FinraProxy, PREFIX};
use super::middleware::Edge;

/// The segment of the hub's own result links, which the router serves.
const RESULTS: &str = "/results/";

/// The proxy behind its edge, and the router (whose routes each have theirs).
#[derive(Clone)]
pub(crate) struct Dispatch {
    pub(crate) proxy: Edge<FinraProxy>,
    pub(crate) routes: Router,
}

/// Whether `path` is one the proxy answers: under `/v1/finra/`, but not a result link.
fn is_proxied(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.starts_with('/') && !rest.starts_with(RESULTS))
}

impl Service<Request> for Dispatch {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        <Edge<FinraProxy> as Service<Request>>::Future,
        <Router as Service<Request>>::Future,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both are always ready (the proxy's service is, and so are axum's).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if is_proxied(request.uri().path()) {
            Either::Left(self.proxy.call(request))
        } else {
            Either::Right(self.routes.call(request))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_answers_finra_paths_and_the_router_result_links_and_the_rest() {
        for proxied in [
            "/v1/finra/datasets",
            "/v1/finra/data/group/otcMarket/name/weeklySummary",
            "/v1/finra/",
            "/v1/finra/results",
            "/v1/finra/%2e%2e/auth/session",
        ] {
            assert!(is_proxied(proxied), "{proxied}");
        }
        for routed in [
            "/v1/finra",
            "/v1/finra/results/sealed",
            "/v1/finraX/datasets",
            "/v1/auth/session",
            "/healthz",
            "/",
        ] {
            assert!(!is_proxied(routed), "{routed}");
        }
    }
}
