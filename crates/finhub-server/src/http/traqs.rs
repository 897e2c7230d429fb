//! `GET /v1/traqs/{facility}/{file}[?environment=production|ntf]`: a TRAQS reference-data file
//! streamed through the hub. The path and query are parsed first (only the four facilities and
//! plain file names), then the session is checked, the facility against its `traqs:` scope
//! (before anything reaches TRAQS), the data rate limits applied; the file comes from TRAQS with
//! the tenant's own access token (its refresh token never leaves the server), header row checked,
//! and streams out as it arrives. Each request past the session check is audited.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use finhub_core::auth::{AccessCheck, RequestContext};
use finhub_core::error::{AuthError, ScopeRefusal};
use finhub_core::model::{Session, TraqsEnvironment, TraqsFacility};
use finra_client::FinraError;

use super::context::{RequestFacts, SessionToken};
use super::error::{ApiError, TraqsRefusal};
use crate::state::AppState;

/// The prefix of TRAQS paths.
const PREFIX: &str = "/v1/traqs/";
/// Longest file name accepted.
const MAX_FILE_NAME: usize = 64;

/// A parsed request: which file, where.
#[derive(Debug, PartialEq, Eq)]
struct FileRequest {
    facility: TraqsFacility,
    /// Letters, digits, `_` and `-` only.
    file: String,
    environment: TraqsEnvironment,
}

impl FileRequest {
    /// The facility and file from the path (anything else is 404), the environment from the
    /// query (400 for anything but one `environment=production|ntf`).
    fn parse(uri: &Uri) -> Result<Self, ApiError> {
        let rest = uri.path().strip_prefix(PREFIX).ok_or(ApiError::NotFound)?;
        let (facility, file) = rest.split_once('/').ok_or(ApiError::NotFound)?;
        let facility = TraqsFacility::parse(facility).ok_or(ApiError::NotFound)?;
        let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        if file.is_empty() || file.len() > MAX_FILE_NAME || !file.bytes().all(plain) {
            return Err(ApiError::NotFound);
        }
        Ok(Self {
            facility,
            file: file.to_owned(),
            environment: environment_of(uri.query())?,
        })
    }
}

/// The `environment` of the query: production when absent.
fn environment_of(query: Option<&str>) -> Result<TraqsEnvironment, ApiError> {
    let mut environment = None;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "environment" {
            return Err(ApiError::InvalidField(
                "the only query parameter is environment (production or ntf)".into(),
            ));
        }
        if environment.is_some() {
            return Err(ApiError::InvalidField(
                "environment must be given at most once".into(),
            ));
        }
        environment = Some(TraqsEnvironment::parse(value).ok_or_else(|| {
            ApiError::InvalidField("environment must be production or ntf".into())
        })?);
    }
    Ok(environment.unwrap_or(TraqsEnvironment::Production))
}

/// `GET /v1/traqs/{facility}/{file}`.
#[utoipa::path(
    get,
    path = "/v1/traqs/{facility}/{file}",
    tag = "traqs",
    operation_id = "getTraqsFile",
    summary = "A TRAQS reference-data file",
    description = "Downloads the file with the tenant's own TRAQS credential and streams it as it \
        arrives. The facility must be in the session's scope (`traqs:<facility>`, checked before \
        TRAQS is called). A download that breaks off upstream breaks off here too (the \
        connection closes before the end of the chunked body). `502 upstream_unavailable` says \
        what an administrator must do when the tenant has no TRAQS credential for the \
        environment or its refresh token has expired.",
    params(
        ("facility" = String, Path,
            description = "`ADF`, `ORF`, `TRACE` or `TRF`, any case.",
            pattern = r"^(?i:ADF|ORF|TRACE|TRF)$",
            example = "ORF"),
        ("file" = String, Path,
            description = "TRAQS's file name: 1–64 letters, digits, `_` and `-`.",
            pattern = r"^[A-Za-z0-9_-]{1,64}$",
            example = "DAILYLIST"),
        ("environment" = Option<String>, Query,
            description = "`production` (the default) or `ntf`, TRAQS's test facility; at most \
                once.",
            pattern = "^(production|ntf)$"),
    ),
    responses(
        (status = 200, description = "The file as TRAQS sends it: pipe-delimited, its first line \
            the column names.", content_type = "text/plain", headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"<file>.txt\"`"),
            ("Cache-Control" = String, description = "`no-store`"),
        )),
        super::openapi::SessionRefusals,
        (status = 404, response = super::openapi::NotFound),
        super::openapi::UpstreamRefusals,
    ),
    security(("session" = []))
)]
pub(crate) async fn get_file(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
    uri: Uri,
) -> Result<Response, ApiError> {
    let request = FileRequest::parse(&uri)?;
    let ctx = &facts.context;
    let session = state
        .sessions
        .authenticate(ctx, token.get(), AccessCheck::Required)
        .await?
        .session;
    let result = serve_file(&state, ctx, &session, &request).await;
    state
        .traqs
        .credentials()
        .audit_traqs_download(ctx, &session, result.as_ref().err().map(ApiError::code))
        .await;
    result
}

async fn serve_file(
    state: &AppState,
    ctx: &RequestContext,
    session: &Session,
    request: &FileRequest,
) -> Result<Response, ApiError> {
    if !session.scope.allows_facility(request.facility) {
        return Err(
            AuthError::InsufficientScope(ScopeRefusal::FacilityOutsideScope {
                facility: request.facility,
            })
            .into(),
        );
    }
    state.limiters.check_data_call(session).await?;

    let client = state
        .traqs
        .client_for(&session.tenant_id, request.environment)
        .await?;
    let sent = std::time::Instant::now();
    let download = client
        .download(request.facility.as_str(), &request.file)
        .await;
    let status = match &download {
        Ok(_) => Some(200),
        Err(error) => error.status(),
    };
    state.metrics.upstream_call("traqs", status, sent.elapsed());
    let download = match download {
        Ok(download) => download,
        Err(error) => return Err(refusal(state, ctx, session, request, error).await),
    };
    let mut response = Response::new(Body::from_stream(download.into_stream()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // A tenant's licensed data: no shared cache keeps it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The file name is letters, digits, `_` and `-`: always a valid header value.
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.txt\"", request.file))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// TRAQS's refusal as the caller's error; an expired refresh token is also audited.
async fn refusal(
    state: &AppState,
    ctx: &RequestContext,
    session: &Session,
    request: &FileRequest,
    error: FinraError,
) -> ApiError {
    match error {
        FinraError::TraqsRefreshTokenExpired { reason, .. } => {
            tracing::error!(
                tenant.id = %session.tenant_id,
                environment = request.environment.as_str(),
                %reason,
                "TRAQS no longer accepts the tenant's refresh token (expired or revoked): an \
                 administrator must renew it with `finhub admin traqs login`"
            );
            state
                .traqs
                .credentials()
                .audit_traqs_expired(ctx, &session.tenant_id, request.environment)
                .await;
            ApiError::Traqs(TraqsRefusal::RefreshTokenExpired(request.environment))
        }
        FinraError::NotEntitled { .. } => {
            ApiError::Traqs(TraqsRefusal::NotEntitled(request.facility))
        }
        FinraError::NotFound { .. } => ApiError::Traqs(TraqsRefusal::NoSuchFile {
            facility: request.facility,
            file: request.file.clone(),
        }),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(uri: &str) -> Result<FileRequest, String> {
        FileRequest::parse(&uri.parse().expect("uri")).map_err(|e| e.code().to_owned())
    }

    #[test]
    fn paths_name_a_facility_and_a_plain_file_name() {
        assert_eq!(
            parse("/v1/traqs/orf/DAILYLIST"),
            Ok(FileRequest {
                facility: TraqsFacility::Orf,
                file: "DAILYLIST".into(),
                environment: TraqsEnvironment::Production,
            })
        );
        assert_eq!(
            parse("/v1/traqs/TRACE/CAMASTER?environment=ntf").map(|r| r.environment),
            Ok(TraqsEnvironment::Ntf)
        );
        let long = format!("/v1/traqs/ORF/{}", "A".repeat(MAX_FILE_NAME + 1));
        for bad in [
            "/v1/traqs/NASDAQ/DAILYLIST",
            "/v1/traqs/ORF",
            "/v1/traqs/ORF/",
            "/v1/traqs/ORF/a/b",
            "/v1/traqs/ORF/..",
            "/v1/traqs/ORF/DAILY%2FLIST",
            "/v1/traqs/ORF/DAILY.LIST",
            &long,
        ] {
            assert_eq!(parse(bad).map(|_| ()), Err("not_found".into()), "{bad}");
        }
    }

    #[test]
    fn the_query_is_one_environment_or_nothing() {
        assert!(parse("/v1/traqs/ORF/DAILYLIST?").is_ok());
        for bad in [
            "?environment=qa",
            "?environment=",
            "?environment",
            "?environment=ntf&environment=ntf",
            "?environment=ntf&x=1",
            "?file=CAMASTER",
            "?environment=NTF",
            "?environment=%6Etf",
        ] {
            assert_eq!(
                parse(&format!("/v1/traqs/ORF/DAILYLIST{bad}")).map(|_| ()),
                Err("invalid_request".into()),
                "{bad}"
            );
        }
    }
}
