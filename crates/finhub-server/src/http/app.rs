//! [`App`]: the hub's HTTP application as the listeners serve it. A proxied FINRA call goes
//! straight to the proxy, behind the same edge layer every route has; every other request goes
//! through the router. The hottest path thus skips the router's lookup, its fallback's boxed
//! service and the futures it wraps around it.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::{BoxError, Router};
use futures_util::future::Either;
use tower::{Layer, Service};

use super::finra::{self, FinraProxy};
use super::middleware::{Edge, EdgeFuture, EdgeLayer};
use crate::state::AppState;

/// The hub's application: built by [`super::app`], served by [`crate::serve`],
/// [`crate::serve_tls`] and [`crate::ServingThreads`], and called directly by tests (`oneshot`).
#[derive(Clone)]
pub struct App {
    routes: Router,
    proxy: Edge<FinraProxy>,
}

impl App {
    pub(super) fn new(state: AppState, routes: Router) -> Self {
        let proxy = EdgeLayer::new(state.clone()).layer(FinraProxy::new(state));
        Self { routes, proxy }
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl<B> Service<Request<B>> for App
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<EdgeFuture<finra::ProxyFuture>, RouteFuture<Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both are always ready: the router (axum's services are) and the edge around the
        // proxy (whose own `poll_ready` is).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if finra::takes_ahead_of_router(request.uri().path()) {
            Either::Left(self.proxy.call(request.map(Body::new)))
        } else {
            Either::Right(self.routes.call(request))
        }
    }
}
