//! `/v1/mfa`: a person's own second factor — its status, enrolling a TOTP factor (start, then
//! confirm with the first code), removing it, and new recovery codes. Callers authenticate with
//! a person's `userSessionToken` or the `enrollmentToken` of a login that must enrol first; each
//! is limited to a few calls a minute. Bodies are strict JSON; a GET or an empty body carries
//! no fields.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use finhub_core::auth::{Enroller, Reauthentication};
use finhub_core::error::AuthError;
use finhub_core::mfa::RecoveryCode;
use secrecy::{ExposeSecret, SecretString};
use time::format_description::well_known::Rfc3339;

use super::body::{StrictObject, check_json_content_type, read_body};
use super::context::{RequestFacts, SessionToken};
use super::error::ApiError;
use super::token::{TokenAnswer, too_long};
use crate::state::AppState;

/// The caller, authenticated and within its rate limit (a 429 is audited).
async fn enroller(
    state: &AppState,
    facts: &RequestFacts,
    token: &SessionToken,
) -> Result<Enroller, ApiError> {
    let enroller = state
        .enrolment
        .authenticate(&facts.context, token.get())
        .await?;
    if let Err(wait) = state
        .limiters
        .mfa_per_session
        .check(&enroller.limit_key().to_owned())
        .await
    {
        let error = AuthError::RateLimited { retry_after: wait };
        state.sessions.audit_refusal(&facts.context, &error).await;
        return Err(error.into());
    }
    Ok(enroller)
}

/// The body's fields: none for an empty body, else a JSON object of `known` string fields,
/// none empty or too long.
async fn fields(
    state: &AppState,
    request: Request,
    known: &'static [&'static str],
) -> Result<StrictObject, ApiError> {
    let content_type = check_json_content_type(request.headers());
    let bytes = read_body(request, state.http.max_auth_body_bytes).await?;
    if bytes.is_empty() {
        return StrictObject::parse(b"{}", known);
    }
    content_type?;
    let body = StrictObject::parse(&bytes, known)?;
    for key in body.keys() {
        let value = body.string(key)?.unwrap_or_default();
        if value.is_empty() {
            return Err(ApiError::InvalidField(format!("{key} must not be empty")));
        }
        if let Some(reason) = too_long(key, value) {
            return Err(ApiError::InvalidField(reason));
        }
    }
    Ok(body)
}

/// A secret field, if sent.
fn secret(body: &StrictObject, key: &str) -> Result<Option<SecretString>, ApiError> {
    Ok(body.string(key)?.map(SecretString::from))
}

/// The password and code a change made from a session re-authenticates with.
fn reauthentication(body: &StrictObject) -> Result<Reauthentication, ApiError> {
    Ok(Reauthentication {
        password: secret(body, "password")?,
        otp: secret(body, "otp")?,
    })
}

/// `GET /v1/mfa`.
pub(crate) async fn get_status(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
) -> Result<Response, ApiError> {
    let enroller = enroller(&state, &facts, &token).await?;
    let status = state.enrolment.status(&enroller).await?;
    let confirmed_at = status
        .confirmed_at
        .map(|at| at.format(&Rfc3339))
        .transpose()
        .map_err(|_| ApiError::Internal("a confirmation time does not format"))?;
    Ok(Json(StatusAnswer {
        policy: status.policy.as_str(),
        totp: TotpStatus {
            enrolled: confirmed_at.is_some(),
            confirmed_at,
        },
        recovery_codes_left: status.recovery_codes_left,
    })
    .into_response())
}

/// `POST /v1/mfa/totp` `{"password"?, "otp"?}`: a pending factor, shown once.
pub(crate) async fn start_totp(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
    request: Request,
) -> Result<Response, ApiError> {
    let enroller = enroller(&state, &facts, &token).await?;
    let body = fields(&state, request, &["password", "otp"]).await?;
    let pending = state
        .enrolment
        .start(&facts.context, &enroller, reauthentication(&body)?)
        .await?;
    let uri = pending
        .secret
        .otpauth_uri(&enroller.tenant, &enroller.username);
    let qr_svg = crate::qr::svg(&uri)
        .map_err(|_| ApiError::Internal("an otpauth URI does not fit a QR code"))?;
    let expires_in = (pending.expires_at - state.clock.now_utc()).whole_seconds();
    Ok(Json(PendingAnswer {
        factor_id: pending.factor_id.as_str(),
        secret: pending.secret.to_base32().expose_secret(),
        otpauth_uri: uri.expose_secret(),
        qr_svg: qr_svg.expose_secret(),
        expires_in,
    })
    .into_response())
}

/// `POST /v1/mfa/totp/confirm` `{"otp"}`: the recovery codes, and for an enrolment token the
/// login it ends in.
pub(crate) async fn confirm_totp(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
    request: Request,
) -> Result<Response, ApiError> {
    let enroller = enroller(&state, &facts, &token).await?;
    let body = fields(&state, request, &["otp"]).await?;
    let otp = secret(&body, "otp")?
        .ok_or_else(|| ApiError::InvalidField("otp is required".to_owned()))?;
    let enrolled = state
        .enrolment
        .confirm(&facts.context, &enroller, &otp)
        .await?;
    if enrolled.login.is_some() {
        // The forced enrolment ends logged in: warm the tenant's upstream token as a login does.
        state.upstreams.warm(enroller.tenant.clone());
    }
    let codes = displayed(&enrolled.recovery_codes);
    Ok(Json(ConfirmedAnswer {
        recovery_codes: codes.iter().map(ExposeSecret::expose_secret).collect(),
        login: enrolled.login.as_ref().map(TokenAnswer::of),
    })
    .into_response())
}

/// `DELETE /v1/mfa/totp` `{"password", "otp"}`: 204.
pub(crate) async fn remove_totp(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
    request: Request,
) -> Result<Response, ApiError> {
    let enroller = enroller(&state, &facts, &token).await?;
    let body = fields(&state, request, &["password", "otp"]).await?;
    state
        .enrolment
        .remove(&facts.context, &enroller, reauthentication(&body)?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v1/mfa/recovery-codes` `{"password", "otp"}`: a new batch, voiding the old one.
pub(crate) async fn renew_recovery_codes(
    State(state): State<AppState>,
    facts: RequestFacts,
    token: SessionToken,
    request: Request,
) -> Result<Response, ApiError> {
    let enroller = enroller(&state, &facts, &token).await?;
    let body = fields(&state, request, &["password", "otp"]).await?;
    let codes = state
        .enrolment
        .renew_recovery_codes(&facts.context, &enroller, reauthentication(&body)?)
        .await?;
    let codes = displayed(&codes);
    Ok(Json(ConfirmedAnswer {
        recovery_codes: codes.iter().map(ExposeSecret::expose_secret).collect(),
        login: None,
    })
    .into_response())
}

fn displayed(codes: &[RecoveryCode]) -> Vec<SecretString> {
    codes.iter().map(RecoveryCode::display).collect()
}

/// The answer of `GET /v1/mfa`.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusAnswer {
    policy: &'static str,
    totp: TotpStatus,
    recovery_codes_left: u32,
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TotpStatus {
    enrolled: bool,
    confirmed_at: Option<String>,
}

/// The answer of `POST /v1/mfa/totp`. (No `Debug`: it holds the secret.)
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PendingAnswer<'a> {
    factor_id: &'a str,
    secret: &'a str,
    otpauth_uri: &'a str,
    qr_svg: &'a str,
    #[serde(rename = "expires_in")]
    expires_in: i64,
}

/// The answer of a confirmation or a renewal: the recovery codes and, after a forced
/// enrolment, the login's fields beside them. (No `Debug`: it holds codes and tokens.)
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfirmedAnswer<'a> {
    recovery_codes: Vec<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    login: Option<TokenAnswer<'a>>,
}
