//! The hub's API description: an OpenAPI 3.1 document generated from the handlers' annotations
//! and the route table (FINRA's pass-through paths), served at `GET /openapi.json`, printed by
//! `finhub openapi`, committed as `docs/openapi.json`, and shown by the reference page at
//! `/docs` (Swagger UI, its assets compiled into the binary).

mod bodies;
mod errors;
mod finra;
mod pages;

use std::sync::LazyLock;

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

pub(in crate::http) use bodies::{ConfirmBody, LoginBody, ReauthenticationBody, RefreshBody};
pub(in crate::http) use errors::{
    ErrorEnvelope, JsonBodyRefusals, NotFound, SessionRefusals, UpstreamRefusals,
};
pub(in crate::http) use pages::{get_docs, get_docs_file, get_openapi};

/// The document's description.
const DESCRIPTION: &str = "FinHub is an authentication hub for FINRA's API platform: apps log \
in to FinHub (a password with a second factor, or client credentials), FinHub keeps each \
tenant's FINRA and TRAQS credentials and tokens on the server, and data calls go to FINRA \
through the hub with the session token as their bearer token.\n\n\
Errors the hub makes are one JSON envelope (`Error`), with the request id also in \
`X-Request-Id`. Answers FINRA makes pass through unchanged. Every error and every \
`/v1/auth/*` and `/v1/mfa*` answer carries `Cache-Control: no-store`.\n\n\
In the `production` profile every request needs HTTPS with a client certificate bound to the \
customer (`clientCertificate`; `403 invalid_certificate` otherwise, before anything else).";

#[derive(OpenApi)]
#[openapi(
    info(title = "FinHub", description = DESCRIPTION, license(name = "Apache-2.0")),
    paths(
        super::token::create_token,
        super::session::refresh_session,
        super::session::get_session,
        super::session::delete_session,
        super::mfa::get_status,
        super::mfa::start_totp,
        super::mfa::remove_totp,
        super::mfa::confirm_totp,
        super::mfa::renew_recovery_codes,
        super::finra::get_result,
        super::traqs::get_file,
        super::get_health,
        super::operations::get_ready,
        super::operations::get_metrics,
        super::get_noop,
        pages::get_openapi,
        pages::get_docs,
        pages::get_docs_file,
    ),
    components(
        schemas(errors::ErrorEnvelope),
        responses(
            errors::BadRequest,
            errors::Unauthorized,
            errors::Forbidden,
            errors::NotFound,
            errors::RequestTimeout,
            errors::PayloadTooLarge,
            errors::UnsupportedMediaType,
            errors::TooManyRequests,
            errors::HeadersTooLarge,
            errors::ServerError,
            errors::BadGateway,
            errors::ServiceUnavailable,
            errors::GatewayTimeout,
        )
    ),
    modifiers(&Completion),
    tags(
        (name = "auth", description = "Logging in, and using and ending a session."),
        (name = "mfa", description = "A person's own second factor."),
        (name = "finra", description = "FINRA's Query API through the hub."),
        (name = "traqs", description = "FINRA's TRAQS reference-data files through the hub."),
        (name = "operations", description = "Health, readiness, metrics and a benchmark baseline."),
        (name = "documentation", description = "This description and its reference page."),
    )
)]
struct HubApi;

/// What the annotations cannot say: the security schemes, FINRA's pass-through paths, the
/// answers every route can give, and the links from a login to the session's operations.
struct Completion;

impl Modify for Completion {
    fn modify(&self, openapi: &mut Document) {
        finra::add_pass_through(openapi);
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`Authorization: Bearer <userSessionToken>`, the token a login returns. \
                         Under `/v1/mfa` the `enrollmentToken` of a login that must enrol works \
                         too.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "clientCertificate",
            SecurityScheme::MutualTls {
                description: Some(
                    "Production: HTTPS with a client certificate issued by one of the hub's \
                     client CAs and bound to the customer (`finhub admin cert bind`); \
                     optional in integration."
                        .to_owned(),
                ),
                deprecated: None,
                extensions: None,
            },
        );
        components
            .schemas
            .insert("FinraQuery".to_owned(), finra::finra_query_schema().into());
        bodies::refuse_unknown_login_fields(components);
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                errors::add_every_route_answers(operation);
                add_client_certificate(operation);
            }
        }
        link_session_operations(openapi);
    }
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Each way an operation may be called, also with a client certificate (which production
/// requires of every request).
fn add_client_certificate(operation: &mut Operation) {
    let with_certificate = |requirement: Option<&SecurityRequirement>| {
        let requirement = requirement.cloned().unwrap_or_default();
        requirement.add("clientCertificate", Vec::<String>::new())
    };
    let alternatives = operation.security.get_or_insert_with(Vec::new);
    if alternatives.is_empty() {
        alternatives.push(SecurityRequirement::default());
    }
    let certified: Vec<_> = alternatives
        .iter()
        .map(|r| with_certificate(Some(r)))
        .collect();
    alternatives.extend(certified);
}

/// A link from an operation's answer to the next operation on the same session.
struct SessionLink {
    name: &'static str,
    operation_id: &'static str,
    description: &'static str,
}

/// An operation's answer and where it leads, with the session token it passes on.
struct SessionStep {
    path: &'static str,
    authorization: &'static str,
    next: &'static [SessionLink],
}

const fn to(
    name: &'static str,
    operation_id: &'static str,
    description: &'static str,
) -> SessionLink {
    SessionLink {
        name,
        operation_id,
        description,
    }
}

/// The session a login opens, followed through its operations: a login's `userSessionToken`
/// is the bearer token of the session's operations, and each of those leads on to the others
/// with the same token (login → session → refresh → logout, for tools that follow links).
const SESSION_STEPS: &[SessionStep] = &[
    SessionStep {
        path: "/v1/auth/token",
        authorization: "Bearer {$response.body#/userSessionToken}",
        next: &[
            to("GetSession", "getSession", "Who the new session is."),
            to(
                "RefreshSession",
                "refreshSession",
                "Keep its access token alive.",
            ),
            to("GetMfa", "getMfa", "The person's second factor."),
            to("Logout", "logout", "End it."),
        ],
    },
    SessionStep {
        path: "/v1/auth/session",
        authorization: "$request.header.Authorization",
        next: &[
            to(
                "RefreshSession",
                "refreshSession",
                "Keep its access token alive.",
            ),
            to("Logout", "logout", "End it."),
        ],
    },
    SessionStep {
        path: "/v1/auth/refresh",
        authorization: "$request.header.Authorization",
        next: &[
            to(
                "GetSession",
                "getSession",
                "Who it is, with how long it has left.",
            ),
            to("Logout", "logout", "End it."),
        ],
    },
];

/// Adds [`SESSION_STEPS`] to the 200 answers of their operations.
fn link_session_operations(openapi: &mut Document) {
    for step in SESSION_STEPS {
        let Some(item) = openapi.paths.paths.get_mut(step.path) else {
            continue;
        };
        let Some(operation) = item.get.as_mut().or(item.post.as_mut()) else {
            continue;
        };
        let Some(RefOr::T(answer)) = operation.responses.responses.get_mut("200") else {
            continue;
        };
        for link in step.next {
            answer.links.insert(
                link.name.to_owned(),
                LinkBuilder::new()
                    .operation_id(link.operation_id)
                    .parameter("header.Authorization", step.authorization)
                    .description(link.description)
                    .build()
                    .into(),
            );
        }
    }
}

/// The document.
pub fn document() -> Document {
    HubApi::openapi()
}

/// The document as pretty-printed JSON with a final newline, as `docs/openapi.json` holds it.
pub fn document_json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        let mut text = document()
            .to_pretty_json()
            .unwrap_or_else(|error| unreachable!("the document serialises: {error}"));
        text.push('\n');
        text
    });
    &JSON
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::http::{ENDPOINTS, Serves};

    fn documented() -> BTreeSet<(String, String)> {
        let mut routes = BTreeSet::new();
        for (path, item) in &document().paths.paths {
            for (method, present) in [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
            ] {
                if present {
                    routes.insert((method.to_owned(), path.clone()));
                }
            }
        }
        routes
    }

    #[test]
    fn the_document_describes_every_route_the_router_serves_and_no_other() {
        // The portal's pages are for browsers, not part of the API.
        let served: BTreeSet<_> = ENDPOINTS
            .iter()
            .filter(|e| !matches!(e.serves, Serves::Portal(_)))
            .map(|e| (e.method.to_string(), e.path.to_owned()))
            .collect();
        assert_eq!(documented(), served);
        assert!(ENDPOINTS.iter().any(|e| matches!(e.serves, Serves::Finra)));
    }

    #[test]
    fn the_committed_document_is_the_generated_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == document_json(),
            "docs/openapi.json differs from the generated document: regenerate it with \
             `cargo run --bin finhub -- openapi > docs/openapi.json`"
        );
    }

    #[test]
    fn every_operation_has_an_id_a_summary_and_its_error_answers() {
        let document = document();
        let mut ids = BTreeSet::new();
        for (path, item) in &document.paths.paths {
            for operation in [&item.get, &item.post, &item.delete].into_iter().flatten() {
                let id = operation.operation_id.clone().expect("an operation id");
                assert!(ids.insert(id.clone()), "{id} is used twice");
                assert!(operation.summary.is_some(), "{path}: no summary");
                for status in ["403", "431", "500", "503"] {
                    assert!(
                        operation.responses.responses.contains_key(status),
                        "{path}: no {status}"
                    );
                }
            }
        }
    }
}
