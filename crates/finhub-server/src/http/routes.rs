//! The table of every route the hub serves: method, path and what serves it. The router is
//! built from it (`super::router`), the proxied FINRA paths are checked against it, and the
//! documentation of the API is checked against it.

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use super::{finra, get_health, get_noop, mfa, openapi, operations, session, token, traqs};
use crate::portal;
use crate::state::AppState;

/// Builds a route's handler for the route's method.
pub(crate) type Handler = fn(MethodFilter) -> MethodRouter<AppState>;

/// What serves a route, and which layers its answers go through.
#[derive(Clone, Copy)]
pub enum Serves {
    /// An authentication endpoint: JSON bodies up to the authentication limit, never cached.
    Auth(Handler),
    /// No body and none of the authentication endpoints' layers: open to anyone (health, the
    /// benchmark baseline, result links) or checking the session itself (TRAQS files).
    Open(Handler),
    /// One of FINRA's Query API paths, served by the proxy behind one catch-all route once the
    /// path parses as this template.
    Finra,
    /// Readiness and metrics, for load balancers and Prometheus: on the main listener (no
    /// body, open) unless `[metrics] listen` gives them a listener of their own.
    Operations(Handler),
    /// A page of the portal, for browsers: HTML (or a web form in), the portal's security
    /// headers on every answer, not part of the API description.
    Portal(Handler),
}

impl std::fmt::Debug for Serves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auth(_) => "Auth",
            Self::Open(_) => "Open",
            Self::Finra => "Finra",
            Self::Operations(_) => "Operations",
            Self::Portal(_) => "Portal",
        })
    }
}

/// One route of the hub.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The method.
    pub method: Method,
    /// The path, with `{placeholders}`.
    pub path: &'static str,
    /// What serves it.
    pub serves: Serves,
}

const fn endpoint(method: Method, path: &'static str, serves: Serves) -> Endpoint {
    Endpoint {
        method,
        path,
        serves,
    }
}

/// Whether the route table serves `method` at `path` (a template).
pub(crate) fn serves(method: &Method, path: &str) -> bool {
    ENDPOINTS
        .iter()
        .any(|endpoint| endpoint.path == path && endpoint.method == method)
}

/// The route table's own copy of the template `path` (`None` when no route has it).
pub(crate) fn template(path: &str) -> Option<&'static str> {
    ENDPOINTS
        .iter()
        .map(|endpoint| endpoint.path)
        .find(|template| *template == path)
}

/// The methods the route table serves at `path` (a template), as an `Allow` header lists them.
pub(crate) fn allowed_methods(path: &str) -> String {
    let methods: Vec<&str> = ENDPOINTS
        .iter()
        .filter(|endpoint| endpoint.path == path)
        .map(|endpoint| endpoint.method.as_str())
        .collect();
    methods.join(", ")
}

/// Every route, in the order the documentation presents them.
pub const ENDPOINTS: &[Endpoint] = &[
    endpoint(
        Method::POST,
        "/v1/auth/token",
        Serves::Auth(|method| on(method, token::create_token)),
    ),
    endpoint(
        Method::POST,
        "/v1/auth/refresh",
        Serves::Auth(|method| on(method, session::refresh_session)),
    ),
    endpoint(
        Method::GET,
        "/v1/auth/session",
        Serves::Auth(|method| on(method, session::get_session)),
    ),
    endpoint(
        Method::POST,
        "/v1/auth/logout",
        Serves::Auth(|method| on(method, session::delete_session)),
    ),
    endpoint(
        Method::GET,
        "/v1/mfa",
        Serves::Auth(|method| on(method, mfa::get_status)),
    ),
    endpoint(
        Method::POST,
        "/v1/mfa/totp",
        Serves::Auth(|method| on(method, mfa::start_totp)),
    ),
    endpoint(
        Method::DELETE,
        "/v1/mfa/totp",
        Serves::Auth(|method| on(method, mfa::remove_totp)),
    ),
    endpoint(
        Method::POST,
        "/v1/mfa/totp/confirm",
        Serves::Auth(|method| on(method, mfa::confirm_totp)),
    ),
    endpoint(
        Method::POST,
        "/v1/mfa/recovery-codes",
        Serves::Auth(|method| on(method, mfa::renew_recovery_codes)),
    ),
    endpoint(Method::GET, "/v1/finra/datasets", Serves::Finra),
    endpoint(
        Method::GET,
        "/v1/finra/data/group/{group}/name/{name}",
        Serves::Finra,
    ),
    endpoint(
        Method::POST,
        "/v1/finra/data/group/{group}/name/{name}",
        Serves::Finra,
    ),
    endpoint(
        Method::GET,
        "/v1/finra/data/group/{group}/name/{name}/id/{id}",
        Serves::Finra,
    ),
    endpoint(
        Method::GET,
        "/v1/finra/metadata/group/{group}/name/{name}",
        Serves::Finra,
    ),
    endpoint(
        Method::GET,
        "/v1/finra/partitions/group/{group}/name/{name}",
        Serves::Finra,
    ),
    endpoint(
        Method::GET,
        "/v1/finra/async-requests/group/{group}/name/{name}/{id}",
        Serves::Finra,
    ),
    endpoint(
        Method::GET,
        "/v1/finra/results/{link}",
        Serves::Open(|method| on(method, finra::get_result)),
    ),
    endpoint(
        Method::GET,
        "/v1/traqs/{facility}/{file}",
        Serves::Open(|method| on(method, traqs::get_file)),
    ),
    endpoint(
        Method::GET,
        "/healthz",
        Serves::Open(|method| on(method, get_health)),
    ),
    endpoint(
        Method::GET,
        "/readyz",
        Serves::Operations(|method| on(method, operations::get_ready)),
    ),
    endpoint(
        Method::GET,
        "/metrics",
        Serves::Operations(|method| on(method, operations::get_metrics)),
    ),
    endpoint(
        Method::GET,
        "/v1/noop",
        Serves::Open(|method| on(method, get_noop)),
    ),
    endpoint(
        Method::GET,
        "/openapi.json",
        Serves::Open(|method| on(method, openapi::get_openapi)),
    ),
    endpoint(
        Method::GET,
        "/docs",
        Serves::Open(|method| on(method, openapi::get_docs)),
    ),
    endpoint(
        Method::GET,
        "/docs/{file}",
        Serves::Open(|method| on(method, openapi::get_docs_file)),
    ),
    endpoint(
        Method::GET,
        "/portal",
        Serves::Portal(|method| on(method, portal::get_portal_root)),
    ),
    endpoint(
        Method::GET,
        "/portal/",
        Serves::Portal(|method| on(method, portal::get_home)),
    ),
    endpoint(
        Method::GET,
        "/portal/static/portal.css",
        Serves::Portal(|method| on(method, portal::get_style_sheet)),
    ),
    endpoint(
        Method::GET,
        "/portal/sign-in",
        Serves::Portal(|method| on(method, portal::get_sign_in)),
    ),
    endpoint(
        Method::POST,
        "/portal/sign-in",
        Serves::Portal(|method| on(method, portal::post_sign_in)),
    ),
    endpoint(
        Method::POST,
        "/portal/sign-in/code",
        Serves::Portal(|method| on(method, portal::post_sign_in_code)),
    ),
    endpoint(
        Method::POST,
        "/portal/enrol/confirm",
        Serves::Portal(|method| on(method, portal::post_enrol_confirm)),
    ),
    endpoint(
        Method::POST,
        "/portal/sign-out",
        Serves::Portal(|method| on(method, portal::post_sign_out)),
    ),
    endpoint(
        Method::GET,
        "/portal/factor",
        Serves::Portal(|method| on(method, portal::get_factor)),
    ),
    endpoint(
        Method::POST,
        "/portal/factor/start",
        Serves::Portal(|method| on(method, portal::post_factor_start)),
    ),
    endpoint(
        Method::POST,
        "/portal/factor/confirm",
        Serves::Portal(|method| on(method, portal::post_factor_confirm)),
    ),
    endpoint(
        Method::POST,
        "/portal/factor/recovery-codes",
        Serves::Portal(|method| on(method, portal::post_recovery_codes)),
    ),
    endpoint(
        Method::POST,
        "/portal/factor/remove",
        Serves::Portal(|method| on(method, portal::post_factor_remove)),
    ),
    endpoint(
        Method::GET,
        "/portal/sessions",
        Serves::Portal(|method| on(method, portal::get_sessions)),
    ),
    endpoint(
        Method::POST,
        "/portal/sessions/end",
        Serves::Portal(|method| on(method, portal::post_end_session)),
    ),
    endpoint(
        Method::POST,
        "/portal/sessions/end-others",
        Serves::Portal(|method| on(method, portal::post_end_others)),
    ),
    endpoint(
        Method::GET,
        "/portal/admin/users",
        Serves::Portal(|method| on(method, portal::get_users)),
    ),
    endpoint(
        Method::POST,
        "/portal/admin/users/{action}",
        Serves::Portal(|method| on(method, portal::post_user_action)),
    ),
    endpoint(
        Method::GET,
        "/portal/admin/audit",
        Serves::Portal(|method| on(method, portal::get_audit)),
    ),
];
