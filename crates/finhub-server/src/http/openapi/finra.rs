//! FINRA's Query API paths as the hub serves them: one operation per route of the route table
//! that FINRA answers, described as a pass-through (FINRA's statuses, bodies and paging headers
//! unchanged), plus the hub's own refusals in front of it.

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required};

use super::super::routes::{ENDPOINTS, Serves};

/// What a FINRA operation is, from its method and path.
struct Kind {
    id: &'static str,
    summary: &'static str,
    /// Whether it takes the GET query parameters of a data request.
    data_query: bool,
    /// Whether its JSON answer is an array of records (else one object).
    records: bool,
    /// Whether FINRA's answer may come gzip-compressed (every answer but an async status, which
    /// the hub reads to rewrite its links and so asks for uncompressed).
    compressible: bool,
}

/// The operation id of an async request's status.
const ASYNC_STATUS: &str = "finraAsyncRequest";

fn kind(method: &axum::http::Method, path: &str) -> Kind {
    let post = method == axum::http::Method::POST;
    let (id, summary, data_query, records) = match path.split('/').nth(3) {
        Some("datasets") => ("finraDatasets", "FINRA's dataset catalogue", false, false),
        Some("data") if path.contains("/id/") => (
            "finraGetRecord",
            "One record of a dataset, by its id",
            true,
            true,
        ),
        Some("data") if post => (
            "finraQueryData",
            "A dataset's records, filtered by a query body",
            false,
            true,
        ),
        Some("data") => ("finraGetData", "A dataset's records", true, true),
        Some("metadata") => ("finraMetadata", "A dataset's fields", false, false),
        Some("partitions") => ("finraPartitions", "A dataset's partitions", false, false),
        _ => (
            ASYNC_STATUS,
            "An asynchronous request's status",
            false,
            false,
        ),
    };
    let compressible = id != ASYNC_STATUS;
    Kind {
        id,
        summary,
        data_query,
        records,
        compressible,
    }
}

/// Adds every FINRA route of the route table to the document.
pub(super) fn add_pass_through(openapi: &mut OpenApi) {
    for endpoint in ENDPOINTS {
        if !matches!(endpoint.serves, Serves::Finra) {
            continue;
        }
        let method = if endpoint.method == axum::http::Method::POST {
            HttpMethod::Post
        } else {
            HttpMethod::Get
        };
        let kind = kind(&endpoint.method, endpoint.path);
        let operation = operation(endpoint.path, &kind, method == HttpMethod::Post);
        openapi
            .paths
            .add_path_operation(endpoint.path, vec![method], operation);
    }
}

fn operation(path: &str, kind: &Kind, post: bool) -> Operation {
    let mut builder = OperationBuilder::new()
        .tag("finra")
        .operation_id(Some(kind.id))
        .summary(Some(kind.summary))
        .description(Some(
            "Served by FINRA with the tenant's own FINRA token: `Accept`, `Content-Type`, \
             `Data-API-Version` and the query string go to FINRA as sent, and FINRA's status, \
             body and paging headers come back unchanged, streamed. The dataset group must be \
             in the session's scope (`finra:<group>`), checked before FINRA is called. Any other \
             path under `/v1/finra/` is `404 not_found` and FINRA is not called.",
        ))
        .security(SecurityRequirement::new("session", Vec::<String>::new()))
        .parameters(Some(path_parameters(path)))
        .parameter(header_parameter(
            "Accept",
            "`application/json`, or `text/plain` for delimited text (FINRA's default).",
        ))
        .parameter(header_parameter(
            "Data-API-Version",
            "The dataset version FINRA serves (an integer; default 1).",
        ));
    if kind.data_query {
        builder = builder.parameters(Some(data_query_parameters()));
    }
    if post {
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .description(Some(
                    "FINRA's query: fields, filters, sorting, paging and delivery. FINRA \
                     validates it; the hub forwards it as sent (no body: FINRA's defaults).",
                ))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("FinraQuery")))
                        .example(Some(serde_json::json!({
                            "fields": [
                                "weekStartDate",
                                "issueSymbolIdentifier",
                                "totalWeeklyShareQuantity"
                            ],
                            "limit": 100,
                            "compareFilters": [{
                                "compareType": "EQUAL",
                                "fieldName": "tierIdentifier",
                                "fieldValue": "T1"
                            }],
                            "sortFields": ["-weekStartDate"]
                        })))
                        .build(),
                )
                .required(Some(Required::False))
                .build(),
        ));
    }
    let mut operation = builder.build();
    for (status, response) in responses(kind) {
        operation
            .responses
            .responses
            .insert(status.to_owned(), response);
    }
    operation
}

/// `{group}`, `{name}` and `{id}`, as the hub accepts them before FINRA sees them.
fn path_parameters(path: &str) -> Vec<Parameter> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let (pattern, description) = match name {
                "group" => (
                    "^[A-Za-z0-9]{1,64}$",
                    "The dataset group, e.g. `otcMarket`.",
                ),
                "name" => ("^[A-Za-z0-9]{1,64}$", "The dataset, e.g. `weeklySummary`."),
                _ => ("^[A-Za-z0-9-]{1,64}$", "The id FINRA gave it."),
            };
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(pattern)),
                ))
                .build()
        })
        .collect()
}

fn header_parameter(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// FINRA's GET parameters of a data request, passed through as sent (FINRA checks them).
fn data_query_parameters() -> Vec<Parameter> {
    [
        (
            "limit",
            "Records per page (FINRA: at most 5000; default 1000).",
        ),
        ("offset", "Records to skip."),
        ("fields", "Comma-separated fields to return."),
        (
            "sortFields",
            "Comma-separated fields to sort by; `-` for descending.",
        ),
        ("delimiter", "The delimiter of `text/plain` answers."),
        (
            "quoteValues",
            "Whether `text/plain` values are quoted (`true` or `false`).",
        ),
        (
            "async",
            "`true`: an asynchronous request (202 with `Location`).",
        ),
    ]
    .into_iter()
    .map(|(name, description)| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    })
    .collect()
}

/// FINRA's query body: what FINRA documents, and whatever else FINRA accepts.
pub(super) fn finra_query_schema() -> Schema {
    let strings = || ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String));
    let objects = || ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Object));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "FINRA's data request. All filters are combined with AND; FINRA checks field names \
             and values and answers 400 with its own error body.",
        ))
        .property("fields", strings())
        .property("compareFilters", objects())
        .property("dateRangeFilters", objects())
        .property("domainFilters", objects())
        .property("orFilters", objects())
        .property("sortFields", strings())
        .property("limit", ObjectBuilder::new().schema_type(Type::Integer))
        .property("offset", ObjectBuilder::new().schema_type(Type::Integer))
        .property("delimiter", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "quoteValues",
            ObjectBuilder::new().schema_type(Type::Boolean),
        )
        .property("async", ObjectBuilder::new().schema_type(Type::Boolean))
        .into()
}

/// FINRA's answers, and the hub's in front of them; FINRA's error bodies are its own JSON.
fn responses(kind: &Kind) -> Vec<(&'static str, RefOr<Response>)> {
    let records = kind.records;
    let paging = [
        ("Record-Total", "All records matching the request."),
        ("Record-Offset", "The offset of this page."),
        ("Record-Limit", "The limit of this page."),
        ("Record-Max-Limit", "The largest limit FINRA allows."),
        ("Total-Records-On-Page", "Records on this page."),
    ];
    let json: Schema = if records {
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Object))
            .into()
    } else {
        ObjectBuilder::new().schema_type(Type::Object).into()
    };
    let mut data = ResponseBuilder::new()
        .description(if records {
            "FINRA's records, as FINRA sent them: a JSON array of objects, or delimited text \
             whose first line names the fields."
        } else {
            "FINRA's answer, as FINRA sent it."
        })
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(json)).build(),
        )
        .content("text/plain", ContentBuilder::new().build());
    for (name, description) in paging {
        data = data.header(name, super::errors::string_header(description));
    }
    if kind.compressible {
        data = data.header(
            "Content-Encoding",
            super::errors::string_header(
                "`gzip` when the request's `Accept-Encoding` allowed it and FINRA compressed \
                 the body (the hub passes it on as it came); absent for an uncompressed body.",
            ),
        );
    }
    let pass_through = |words: &str| -> RefOr<Response> {
        ResponseBuilder::new()
            .description(words)
            .content("application/json", ContentBuilder::new().build())
            .build()
            .into()
    };
    let shared = |name: &str| -> RefOr<Response> { Ref::from_response_name(name).into() };
    vec![
        ("200", data.build().into()),
        ("202", accepted(kind).into()),
        (
            "204",
            ResponseBuilder::new()
                .description("No records match (FINRA answers with no body).")
                .build()
                .into(),
        ),
        (
            "400",
            pass_through(
                "FINRA refused the query (its own error body), or the hub did: a query string \
                 that is not percent-encoded ASCII (`invalid_request`).",
            ),
        ),
        (
            "401",
            pass_through(
                "The hub refused the session token (`invalid_token`, with `WWW-Authenticate: \
                 Bearer realm=\"finhub\"`), or FINRA refused the tenant's token (no such header).",
            ),
        ),
        (
            "403",
            pass_through(
                "The group is outside the session's scope (`insufficient_scope`), the address \
                 outside the allow-list (`access_denied`), a client certificate refused \
                 (`invalid_certificate`), or FINRA's refusal of the tenant's entitlement.",
            ),
        ),
        (
            "404",
            pass_through("No such dataset at FINRA, or a path the hub does not forward."),
        ),
        ("405", pass_through("FINRA does not take this method here.")),
        (
            "406",
            pass_through("FINRA cannot answer in the `Accept`ed type."),
        ),
        ("413", shared("PayloadTooLarge")),
        (
            "415",
            pass_through("FINRA does not take the body's content type."),
        ),
        (
            "429",
            pass_through(
                "Too many requests: the session's or customer's data rate (`rate_limited`, \
                 `Retry-After`), the hub's queue for FINRA's shared rate full, or FINRA's own.",
            ),
        ),
        ("502", shared("BadGateway")),
        ("504", shared("GatewayTimeout")),
    ]
}

/// 202: an asynchronous request accepted (no body; `Location` is its status URL), or, from its
/// status URL, still running (FINRA's status object).
fn accepted(kind: &Kind) -> Response {
    let answer = ResponseBuilder::new();
    if kind.id == "finraAsyncRequest" {
        answer
            .description("The request is still running: FINRA's status object.")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                    .build(),
            )
            .build()
    } else {
        answer
            .description(
                "An asynchronous request accepted, with no body; `Location` is its status URL, on \
                 the hub.",
            )
            .header("Location", super::errors::string_header("The status URL."))
            .build()
    }
}
