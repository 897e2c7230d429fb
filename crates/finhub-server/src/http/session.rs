//! Using a session with `Authorization: Bearer <userSessionToken>`: `POST /v1/auth/refresh`
//! (the 10 % rule), `POST /v1/auth/logout` and `GET /v1/auth/session`. `X-Tenant-ID`, when
//! sent, must name the session's tenant; no client credentials are involved.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::body::{StrictObject, check_json_content_type, read_body};
use super::context::{RequestFacts, SessionToken};
use super::error::ApiError;
use crate::state::AppState;

/// `POST /v1/auth/refresh`: an empty body, `{}`, or `{"userSessionToken": "..."}` naming the
/// session to refresh (it must be the same user's). Its outcome is counted.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    operation_id = "refreshSession",
    summary = "Keep the session's access token alive",
    description = "With more than 10 % of the access token's life left nothing changes; at or \
        below 10 % it gets a new full lifetime (never past the session's end). Concurrent \
        refreshes of one session refresh it once. An expired access token: `401 invalid_token` \
        (log in again, or use the `refresh_token` grant).",
    params(
        ("X-Tenant-ID" = Option<String>, Header,
            description = "When sent, the session's tenant.",
            pattern = r"^[0-9]{1,18}$"),
    ),
    request_body(
        content = Option<super::openapi::RefreshBody>,
        content_type = "application/json",
        description = "Empty, `{}`, or the session to refresh."
    ),
    responses(
        (status = 200, description = "The access token's lifetime now.", body = RefreshAnswer),
        super::openapi::JsonBodyRefusals,
    ),
    security(("session" = []))
)]
pub(crate) async fn refresh_session(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
    request: Request,
) -> Result<Response, ApiError> {
    let answer = refresh(&state, facts, token, request).await;
    state.metrics.refresh(match &answer {
        Ok((true, _)) => "refreshed",
        Ok((false, _)) => "not_due",
        Err(error) => error.code(),
    });
    answer.map(|(_, response)| response)
}

/// The refresh itself: whether the access token was extended, and the answer.
async fn refresh(
    state: &AppState,
    facts: RequestFacts,
    token: SessionToken,
    request: Request,
) -> Result<(bool, Response), ApiError> {
    let content_type = check_json_content_type(request.headers());
    let bytes = read_body(request, state.http.max_auth_body_bytes).await?;
    let body_token = if bytes.is_empty() {
        None
    } else {
        content_type?;
        let body = StrictObject::parse(&bytes, &["userSessionToken"])?;
        body.string("userSessionToken")?.map(str::to_owned)
    };
    let outcome = state
        .sessions
        .refresh(&facts.context, token.get(), body_token.as_deref())
        .await?;
    let answer = Json(RefreshAnswer {
        refreshed: outcome.refreshed,
        expires_in: outcome.expires_in,
        token_type: "Bearer",
    });
    Ok((outcome.refreshed, answer.into_response()))
}

/// The answer of `POST /v1/auth/refresh`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Refresh)]
struct RefreshAnswer {
    /// Whether the access token got a new lifetime.
    refreshed: bool,
    /// Seconds the access token has left.
    #[schema(example = 3140)]
    expires_in: i64,
    /// `Bearer`.
    #[schema(example = "Bearer")]
    token_type: &'static str,
}

/// The answer of `GET /v1/auth/session`; `username` is `null` for machines, and `amr` (how the
/// person proved who they are, RFC 8176) is there only for persons.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Session)]
struct SessionAnswer {
    /// The tenant.
    #[schema(example = "1234567")]
    tenant_id: String,
    /// The customer logged in through.
    #[schema(example = "cus_2f8KXb3hQ1")]
    customer_id: String,
    /// The person, or `null` for a machine.
    #[schema(example = "demo")]
    username: Option<String>,
    /// `b2b` or `b2c`.
    #[schema(example = "b2b")]
    account_type: &'static str,
    /// What the session may read now, space-separated.
    #[schema(example = "finra:otcMarket finra:fixedIncomeMarket")]
    scope: String,
    /// Seconds the access token has left.
    #[serde(rename = "expires_in")]
    #[schema(example = 3140)]
    expires_in: i64,
    /// Seconds the session has left.
    #[serde(rename = "session_expires_in")]
    #[schema(example = 42740)]
    session_expires_in: i64,
    /// How the person proved who they are (RFC 8176); absent for machines.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = json!(["pwd"]))]
    amr: Option<Vec<&'static str>>,
}

/// `POST /v1/auth/logout`: ends the session and its refresh-token family. A body is ignored.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    operation_id = "logout",
    summary = "End the session",
    description = "Ends the session and its whole refresh-token family. An expired access token \
        is fine; any body is ignored.",
    params(
        ("X-Tenant-ID" = Option<String>, Header,
            description = "When sent, the session's tenant.",
            pattern = r"^[0-9]{1,18}$"),
    ),
    responses(
        (status = 204, description = "The session has ended."),
        super::openapi::SessionRefusals,
    ),
    security(("session" = []))
)]
pub(crate) async fn delete_session(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
) -> Result<Response, ApiError> {
    state.sessions.logout(&facts.context, token.get()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/auth/session`: who the session is and how long it has left.
#[utoipa::path(
    get,
    path = "/v1/auth/session",
    tag = "auth",
    operation_id = "getSession",
    summary = "Who the session is",
    params(
        ("X-Tenant-ID" = Option<String>, Header,
            description = "When sent, the session's tenant.",
            pattern = r"^[0-9]{1,18}$"),
    ),
    responses(
        (status = 200, description = "The session.", body = SessionAnswer),
        super::openapi::SessionRefusals,
    ),
    security(("session" = []))
)]
pub(crate) async fn get_session(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
) -> Result<Response, ApiError> {
    let info = state
        .sessions
        .session_info(&facts.context, token.get())
        .await?;
    Ok(Json(SessionAnswer {
        tenant_id: info.tenant_id,
        customer_id: info.customer_id,
        username: info.username,
        account_type: info.account_type.as_str(),
        scope: info.scope.to_string(),
        expires_in: info.expires_in,
        session_expires_in: info.session_expires_in,
        amr: info.amr.map(|methods| {
            methods
                .into_iter()
                .map(finhub_core::model::AuthMethod::as_str)
                .collect()
        }),
    })
    .into_response())
}
