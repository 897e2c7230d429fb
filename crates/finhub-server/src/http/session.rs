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
#[derive(Debug, serde::Serialize)]
struct RefreshAnswer {
    refreshed: bool,
    expires_in: i64,
    token_type: &'static str,
}

/// The answer of `GET /v1/auth/session`; `username` is `null` for machines, and `amr` (how the
/// person proved who they are, RFC 8176) is there only for persons.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionAnswer {
    tenant_id: String,
    customer_id: String,
    username: Option<String>,
    account_type: &'static str,
    scope: String,
    #[serde(rename = "expires_in")]
    expires_in: i64,
    #[serde(rename = "session_expires_in")]
    session_expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    amr: Option<Vec<&'static str>>,
}

/// `POST /v1/auth/logout`: ends the session and its refresh-token family. A body is ignored.
pub(crate) async fn delete_session(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
) -> Result<Response, ApiError> {
    state.sessions.logout(&facts.context, token.get()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/auth/session`: who the session is and how long it has left.
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
