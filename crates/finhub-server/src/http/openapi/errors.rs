//! The hub's own error answers as the API description shows them: the JSON envelope's schema,
//! one reusable response per status (its codes, an example, its headers), and the answers any
//! route can give whatever it does (a refused client certificate, headers too large, the hub's
//! own fault, its time limit).

use std::collections::BTreeMap;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

use utoipa::{IntoResponses, PartialSchema, ToResponse};

use super::super::error::ERROR_CODES;

/// The envelope of every error the hub answers itself (FINRA's answers pass through as FINRA
/// wrote them).
#[derive(utoipa::ToSchema)]
#[schema(as = Error)]
#[expect(
    dead_code,
    reason = "describes the envelope `ErrorReport::envelope` writes"
)]
pub(in crate::http) struct ErrorEnvelope {
    /// What went wrong, as a code a program can act on.
    #[schema(schema_with = error_code, example = "invalid_request")]
    error: String,
    /// The same in words, for a person; never a secret or an internal detail.
    #[schema(example = "the X-Tenant-ID header is required")]
    error_description: String,
    /// The request's id, also in `X-Request-Id`: it ties the answer to the hub's log.
    #[schema(rename = "requestId", example = "6f0c5d7e-3a4b-4c2d-9e1f-0a1b2c3d4e5f")]
    request_id: String,
    /// Only with `mfa_enrollment_required`: the token to enrol with under `/v1/mfa`.
    #[schema(rename = "enrollmentToken", nullable = false)]
    enrollment_token: Option<String>,
}

/// The `error` field: one of the hub's codes.
fn error_code() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ERROR_CODES.iter().copied()))
        .into()
}

/// A header whose value is a string.
pub(in crate::http) fn string_header(description: &str) -> Header {
    let mut header = Header::new(String::schema());
    header.description = Some(description.to_owned());
    header
}

/// An error answer: its description, an example envelope, and the headers every error carries.
fn error_response(description: &str, code: &str, words: &str) -> ResponseBuilder {
    let example = serde_json::json!({
        "error": code,
        "error_description": words,
        "requestId": "6f0c5d7e-3a4b-4c2d-9e1f-0a1b2c3d4e5f",
    });
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .example(Some(example))
                .build(),
        )
        .header(
            "X-Request-Id",
            string_header("The request's id, as the body's `requestId`."),
        )
        .header(
            "Cache-Control",
            string_header("`no-store`: errors are never cached."),
        )
}

/// Declares a reusable error response: its component name, what it says, and an example.
macro_rules! error_responses {
    ($(
        $(#[$doc:meta])*
        $name:ident => (
            $description:expr, $code:expr, $words:expr $(, $header:expr => $header_doc:expr)*
        );
    )*) => {
        $(
            $(#[$doc])*
            pub(in crate::http) struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    let response = error_response($description, $code, $words)
                        $(.header($header, string_header($header_doc)))*
                        .build();
                    (stringify!($name), response.into())
                }
            }
        )*
    };
}

error_responses! {
    /// 400.
    BadRequest => (
        "The request is malformed: `invalid_request` (a required header missing, empty or \
         repeated; malformed JSON; a missing, unknown, repeated or non-string field), \
         `unsupported_grant_type`, `unauthorized_client` (`client_credentials` for a `b2c` \
         customer) or `invalid_grant` (a refresh token unknown, expired, revoked or replayed).",
        "invalid_request",
        "the X-Tenant-ID header is required"
    );
    /// 401.
    Unauthorized => (
        "Not authenticated: `invalid_client` (any bad login credential, one answer for all), \
         `invalid_token` (a session token missing, malformed, forged, expired or ended), \
         `mfa_required`, `mfa_enrollment_required` (the body adds `enrollmentToken`) or \
         `invalid_otp`.",
        "invalid_token",
        "the session token is missing",
        "WWW-Authenticate" => "`Bearer realm=\"finhub\"` (with `error=\"invalid_token\"` for \
            session tokens): the hub refused, not FINRA."
    );
    /// 403.
    Forbidden => (
        "Authenticated but refused: `insufficient_scope`, `access_denied` (an address outside \
         the tenant's allow-list, another tenant's `X-Tenant-ID`, a wrong password when \
         changing a second factor) or `invalid_certificate` (production: a client certificate \
         missing, invalid or not bound to the customer).",
        "access_denied",
        "the request's address is not in the tenant's allow-list"
    );
    /// 404.
    NotFound => ("No such path, or nothing there: `not_found`.", "not_found", "no such path");
    /// 408.
    RequestTimeout => (
        "The request's body stopped arriving within the time limit: `request_timeout`.",
        "request_timeout",
        "the request body did not arrive within 30 s"
    );
    /// 413.
    PayloadTooLarge => (
        "The body is over the endpoint's limit (64 KiB on `/v1/auth/*` and `/v1/mfa*`): \
         `invalid_request`.",
        "invalid_request",
        "the request body is larger than 65536 bytes"
    );
    /// 415.
    UnsupportedMediaType => (
        "The body is not `application/json` (UTF-8): `invalid_request`.",
        "invalid_request",
        "the body must be sent as Content-Type: application/json (UTF-8)"
    );
    /// 429.
    TooManyRequests => (
        "Too many requests (a rate limit, the login back-off, or FINRA's request rate taken for \
         longer than a request may wait): `rate_limited`.",
        "rate_limited",
        "too many requests; retry after 2 s",
        "Retry-After" => "Seconds to wait before trying again."
    );
    /// 431.
    HeadersTooLarge => (
        "The request's headers are over 16 KiB or 64 fields: `invalid_request`.",
        "invalid_request",
        "the request headers are too large"
    );
    /// 500.
    ServerError => (
        "The hub's own fault: `server_error`, nothing internal in the body; the request id ties \
         it to the log.",
        "server_error",
        "internal error"
    );
    /// 502.
    BadGateway => (
        "FINRA or TRAQS unreachable, or refusing the tenant's stored credential (the reason goes \
         to the log and the audit): `upstream_unavailable`.",
        "upstream_unavailable",
        "FINRA is unavailable or refused the tenant's upstream credential"
    );
    /// 503.
    ServiceUnavailable => (
        "The hub could not finish the request within its time limit: `server_error`.",
        "server_error",
        "the request did not complete within 30 s"
    );
    /// 504.
    GatewayTimeout => (
        "FINRA or TRAQS did not answer in time: `upstream_timeout`.",
        "upstream_timeout",
        "FINRA did not answer in time"
    );
}

/// Declares a set of refusals many operations share, each status a reference to its reusable
/// response.
macro_rules! refusals {
    ($( $(#[$doc:meta])* $name:ident => [$($status:literal => $response:ident),* $(,)?]; )*) => {
        $(
            $(#[$doc])*
            pub(in crate::http) struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([
                        $((
                            $status.to_owned(),
                            Ref::from_response_name(stringify!($response)).into(),
                        )),*
                    ])
                }
            }
        )*
    };
}

refusals! {
    /// What an endpoint that checks a session or a token can refuse.
    SessionRefusals => [
        "400" => BadRequest,
        "401" => Unauthorized,
        "403" => Forbidden,
        "429" => TooManyRequests,
    ];
    /// What an endpoint that also reads a JSON body can refuse.
    JsonBodyRefusals => [
        "400" => BadRequest,
        "401" => Unauthorized,
        "403" => Forbidden,
        "408" => RequestTimeout,
        "413" => PayloadTooLarge,
        "415" => UnsupportedMediaType,
        "429" => TooManyRequests,
    ];
    /// What an endpoint that calls FINRA or TRAQS can also refuse.
    UpstreamRefusals => [
        "502" => BadGateway,
        "504" => GatewayTimeout,
    ];
}

/// Answers any route can give, added to every operation that does not describe them itself.
pub(in crate::http) fn add_every_route_answers(operation: &mut Operation) {
    let every_route: [(&str, &str); 4] = [
        ("403", "Forbidden"),
        ("431", "HeadersTooLarge"),
        ("500", "ServerError"),
        ("503", "ServiceUnavailable"),
    ];
    for (status, response) in every_route {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| Ref::from_response_name(response).into());
    }
}
