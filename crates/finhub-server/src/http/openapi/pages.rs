//! `GET /openapi.json` and the reference page at `/docs`: Swagger UI, whose files are compiled
//! into the binary, reading the document from `/openapi.json`.

use std::sync::{Arc, LazyLock};

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use utoipa_swagger_ui::Config;

use super::super::error::ApiError;

/// Where the reference page's files are served.
const DOCS_PREFIX: &str = "/docs/";

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "documentation",
    operation_id = "getOpenApi",
    summary = "This API description (OpenAPI 3.1)",
    responses((status = 200, description = "The document.", content_type = "application/json")),
    security(())
)]
pub(in crate::http) async fn get_openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::document_json(),
    )
        .into_response()
}

/// `GET /docs`: on to the reference page, whose files are addressed relative to `/docs/`.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "documentation",
    operation_id = "getDocs",
    summary = "The API reference page",
    responses((
        status = 308,
        description = "The page is at `/docs/index.html`.",
        headers(("Location" = String, description = "`/docs/index.html`"))
    )),
    security(())
)]
pub(in crate::http) async fn get_docs() -> Response {
    (
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, "/docs/index.html")],
    )
        .into_response()
}

/// `GET /docs/{file}`: a file of the reference page.
#[utoipa::path(
    get,
    path = "/docs/{file}",
    tag = "documentation",
    operation_id = "getDocsFile",
    summary = "A file of the API reference page",
    params(
        ("file" = String, Path,
            description = "`index.html`, or a file it loads.",
            example = "index.html"),
    ),
    responses(
        (status = 200, description = "The file.", content(
            ("text/html"), ("text/css"), ("text/javascript"), ("image/png")
        )),
        (status = 404, response = super::errors::NotFound),
    ),
    security(())
)]
pub(in crate::http) async fn get_docs_file(uri: Uri) -> Result<Response, ApiError> {
    static CONFIG: LazyLock<Arc<Config<'static>>> =
        LazyLock::new(|| Arc::new(Config::from("/openapi.json")));
    let file = uri
        .path()
        .strip_prefix(DOCS_PREFIX)
        .filter(|file| !file.is_empty())
        .ok_or(ApiError::NotFound)?;
    match utoipa_swagger_ui::serve(file, Arc::clone(&CONFIG)) {
        Ok(Some(file)) => Ok((
            [(header::CONTENT_TYPE, file.content_type)],
            file.bytes.into_owned(),
        )
            .into_response()),
        Ok(None) => Err(ApiError::NotFound),
        Err(_) => Err(ApiError::Internal("the reference page's configuration")),
    }
}
