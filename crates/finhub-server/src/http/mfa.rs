//! `/v1/mfa`: a person's own second factor — its status, enrolling a TOTP factor (start, then
//! confirm with the first code), removing it, and new recovery codes. Callers authenticate with
//! a person's `userSessionToken` or the `enrollmentToken` of a login that must enrol first; each
//! is limited to a few calls a minute. Bodies are strict JSON; a GET or an empty body carries
//! no fields.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use finhub_core::auth::{Enroller, Reauthentication, RequestContext};
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
    within_mfa_limit(state, &facts.context, &enroller).await?;
    Ok(enroller)
}

/// Takes one call from the enroller's `/v1/mfa` limit (a session's or an enrolment token's,
/// the portal's second-factor pages included); a refusal is audited.
pub(crate) async fn within_mfa_limit(
    state: &AppState,
    ctx: &RequestContext,
    enroller: &Enroller,
) -> Result<(), AuthError> {
    if let Err(wait) = state
        .limiters
        .mfa_per_session
        .check(&enroller.limit_key().to_owned())
        .await
    {
        let error = AuthError::RateLimited { retry_after: wait };
        state.sessions.audit_refusal(ctx, &error).await;
        return Err(error);
    }
    Ok(())
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
#[utoipa::path(
    get,
    path = "/v1/mfa",
    tag = "mfa",
    operation_id = "getMfa",
    summary = "The second factor's status",
    description = "The tenant's policy, the TOTP factor and the recovery codes left. A person's \
        `userSessionToken`, or the `enrollmentToken` of a login that must enrol; a machine's \
        session gets `403 insufficient_scope`. Each token may make 10 calls a minute.",
    responses(
        (status = 200, description = "The status.", body = StatusAnswer),
        super::openapi::SessionRefusals,
    ),
    security(("session" = []))
)]
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
#[utoipa::path(
    post,
    path = "/v1/mfa/totp",
    tag = "mfa",
    operation_id = "startTotp",
    summary = "Start enrolling a TOTP factor",
    description = "From a session: the password, and `otp` when a factor is active (the new one \
        replaces it once confirmed); nothing with an enrolment token. The pending factor lapses \
        after `expires_in` seconds. `403 access_denied` when the tenant's policy is `off` or the \
        password is wrong. A person's `userSessionToken`, or the `enrollmentToken` of a login that \
        must enrol; a machine's session gets `403 insufficient_scope`. Each token may make 10 \
        calls a minute.",
    request_body(content = super::openapi::ReauthenticationBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The pending factor, shown only now.",
            body = PendingAnswer<'static>),
        super::openapi::JsonBodyRefusals,
    ),
    security(("session" = []))
)]
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
#[utoipa::path(
    post,
    path = "/v1/mfa/totp/confirm",
    tag = "mfa",
    operation_id = "confirmTotp",
    summary = "Confirm the pending factor with its first code",
    description = "The pending factor becomes the only active one and ten new recovery codes \
        replace any earlier batch. With an enrolment token the answer also carries the login (a \
        forced enrolment ends logged in). A wrong code: `401 invalid_otp`; nothing pending: `400 \
        invalid_request`. A person's `userSessionToken`, or the `enrollmentToken` of a login that \
        must enrol; a machine's session gets `403 insufficient_scope`. Each token may make 10 \
        calls a minute.",
    request_body(content = super::openapi::ConfirmBody, content_type = "application/json"),
    responses(
        (status = 200,
            description = "The recovery codes, shown only now (and the login, after a forced \
                enrolment).",
            body = ConfirmedAnswer<'static>),
        super::openapi::JsonBodyRefusals,
    ),
    security(("session" = []))
)]
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
    let codes = RecoveryCodesAnswer::of(&codes);
    Ok(match &enrolled.login {
        Some(login) => Json(ConfirmedAnswer::LoggedIn {
            recovery_codes: codes.recovery_codes,
            login: TokenAnswer::of(login),
        })
        .into_response(),
        None => Json(ConfirmedAnswer::Codes(codes)).into_response(),
    })
}

/// `DELETE /v1/mfa/totp` `{"password", "otp"}`: 204.
#[utoipa::path(
    delete,
    path = "/v1/mfa/totp",
    tag = "mfa",
    operation_id = "removeTotp",
    summary = "Remove the TOTP factor",
    description = "The password and a code of the factor. The factor and the recovery codes are \
        gone and the person's other sessions end. A person's `userSessionToken`, or the \
        `enrollmentToken` of a login that must enrol; a machine's session gets `403 \
        insufficient_scope`. Each token may make 10 calls a minute.",
    request_body(content = super::openapi::ReauthenticationBody, content_type = "application/json"),
    responses(
        (status = 204, description = "The factor is gone."),
        super::openapi::JsonBodyRefusals,
    ),
    security(("session" = []))
)]
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
#[utoipa::path(
    post,
    path = "/v1/mfa/recovery-codes",
    tag = "mfa",
    operation_id = "renewRecoveryCodes",
    summary = "New recovery codes",
    description = "The password and a code of the factor; the old codes stop working. A person's \
        `userSessionToken`, or the `enrollmentToken` of a login that must enrol; a machine's \
        session gets `403 insufficient_scope`. Each token may make 10 calls a minute.",
    request_body(content = super::openapi::ReauthenticationBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Ten new recovery codes, shown only now.",
            body = RecoveryCodesAnswer<'static>),
        super::openapi::JsonBodyRefusals,
    ),
    security(("session" = []))
)]
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
    Ok(Json(RecoveryCodesAnswer::of(&codes)).into_response())
}

fn displayed(codes: &[RecoveryCode]) -> Vec<SecretString> {
    codes.iter().map(RecoveryCode::display).collect()
}

/// The answer of `GET /v1/mfa`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = MfaStatus)]
struct StatusAnswer {
    /// The tenant's policy: `off`, `optional` or `required`.
    #[schema(example = "optional")]
    policy: &'static str,
    /// The TOTP factor.
    totp: TotpStatus,
    /// Recovery codes not used yet.
    #[schema(example = 10)]
    recovery_codes_left: u32,
}

/// Whether the person has an active TOTP factor, and since when.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct TotpStatus {
    /// Whether a factor is active.
    enrolled: bool,
    /// When it was confirmed (RFC 3339), or `null`.
    #[schema(example = "2026-12-03T08:00:00Z")]
    confirmed_at: Option<String>,
}

/// The answer of `POST /v1/mfa/totp`.
// No `Debug`: it holds the secret.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PendingTotp)]
struct PendingAnswer<'a> {
    /// The pending factor.
    factor_id: &'a str,
    /// Its secret, Base32, to type into an authenticator app.
    #[schema(example = "JBSWY3DPEHPK3PXP")]
    secret: &'a str,
    /// The `otpauth://` URI the QR code holds.
    otpauth_uri: &'a str,
    /// The QR code, an SVG document.
    qr_svg: &'a str,
    /// Seconds before the pending factor lapses.
    #[serde(rename = "expires_in")]
    #[schema(example = 600)]
    expires_in: i64,
}

/// The answer of a renewal, and of a confirmation from a session.
// No `Debug`: it holds codes.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = RecoveryCodes)]
struct RecoveryCodesAnswer<'a> {
    /// Ten recovery codes (24 Crockford Base32 characters in groups of four; any case).
    recovery_codes: Vec<&'a str>,
}

impl<'a> RecoveryCodesAnswer<'a> {
    fn of(codes: &'a [SecretString]) -> Self {
        Self {
            recovery_codes: codes.iter().map(ExposeSecret::expose_secret).collect(),
        }
    }
}

/// The answer of a confirmation: the recovery codes, and after a forced enrolment the login's
/// fields beside them.
// No `Debug`: it holds codes and tokens.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = Confirmation)]
enum ConfirmedAnswer<'a> {
    /// After a forced enrolment: logged in, with the recovery codes.
    LoggedIn {
        /// Ten recovery codes.
        #[serde(rename = "recoveryCodes")]
        recovery_codes: Vec<&'a str>,
        #[serde(flatten)]
        login: TokenAnswer<'a>,
    },
    /// From a session: the recovery codes.
    Codes(RecoveryCodesAnswer<'a>),
}
