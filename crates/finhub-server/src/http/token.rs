//! `POST /v1/auth/token`: the login. In order: the per-address rate limit, the five required
//! headers, the content type, the body (strict JSON; `grantType` checked before the other
//! fields), the per-customer rate limit, and only then the credentials (`Logins::login`).

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use finhub_core::auth::{
    IssuedTokens, LoginGrant, LoginRequest, RequestContext, SecondFactorProof,
};
use finhub_core::error::AuthError;
use finhub_core::ids::TenantId;
use finhub_core::model::AccountType;
use finhub_core::password::MAX_PASSWORD_BYTES;
use secrecy::{ExposeSecret, SecretString};

use super::body::{StrictObject, check_json_content_type, read_body};
use super::context::{FORWARDED_FOR, PLATFORM, RequestFacts, TENANT_ID, required_header};
use super::error::ApiError;
use crate::state::AppState;

/// The fields a token request may carry; `otp` and `recoveryCode` (at most one) only with the
/// password grant.
const FIELDS: &[&str] = &[
    "username",
    "password",
    "customerId",
    "customerSecret",
    "accountType",
    "grantType",
    "refreshToken",
    "otp",
    "recoveryCode",
];

/// Why a field's value is too long, if it is: usernames are at most 256 characters, passwords
/// [`MAX_PASSWORD_BYTES`], customer ids and recovery codes 64 bytes, codes 16, other values 512
/// bytes. Longer values are refused, never truncated.
pub(super) fn too_long(field: &str, value: &str) -> Option<String> {
    let (limit, unit, length) = match field {
        "username" => (256, "characters", value.chars().count()),
        "password" => (MAX_PASSWORD_BYTES, "bytes", value.len()),
        "customerId" | "recoveryCode" => (64, "bytes", value.len()),
        "otp" => (16, "bytes", value.len()),
        _ => (512, "bytes", value.len()),
    };
    (length > limit).then(|| format!("{field} is longer than {limit} {unit}"))
}

/// The three grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantType {
    Password,
    ClientCredentials,
    RefreshToken,
}

impl GrantType {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "password" => Some(Self::Password),
            "client_credentials" => Some(Self::ClientCredentials),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }

    /// Fields this grant requires (besides `grantType`), and fields it forbids.
    fn rules(self) -> (&'static [&'static str], &'static [&'static str]) {
        const CLIENT: [&str; 3] = ["customerId", "customerSecret", "accountType"];
        match self {
            Self::Password => (
                &[
                    "username",
                    "password",
                    "customerId",
                    "customerSecret",
                    "accountType",
                ],
                &["refreshToken"],
            ),
            Self::ClientCredentials => (
                &CLIENT,
                &[
                    "username",
                    "password",
                    "refreshToken",
                    "otp",
                    "recoveryCode",
                ],
            ),
            Self::RefreshToken => (
                &[
                    "refreshToken",
                    "customerId",
                    "customerSecret",
                    "accountType",
                ],
                &["username", "password", "otp", "recoveryCode"],
            ),
        }
    }
}

/// `POST /v1/auth/token`, its outcome counted by grant (and second factor, when one came).
#[utoipa::path(
    post,
    path = "/v1/auth/token",
    tag = "auth",
    operation_id = "login",
    summary = "Log in",
    description = "Opens a session: `password` for a person (with `otp` or `recoveryCode` when a \
        second factor is needed), `client_credentials` for a machine (`b2b` customers only), \
        `refresh_token` for a new session without the password (the old one ends and the \
        refresh token rotates; the same token again within 10 s gets the same pair, later it \
        revokes its whole family). Every bad credential gets the same `401 invalid_client`; \
        from the fifth consecutive failure of a name, attempts wait (`429`, 1 s doubling to \
        15 min).",
    params(
        ("X-Tenant-ID" = String, Header,
            description = "The tenant: 1–18 digits, leading zeros significant.",
            pattern = r"^[0-9]{1,18}$",
            example = "1234567"),
        ("sec-ch-ua-platform" = String, Header,
            description = "The client's platform.",
            example = "Linux"),
        ("X-Forwarded-For" = String, Header,
            description = "The end user's address, as the app saw it.",
            example = "203.0.113.7"),
        ("User-Agent" = String, Header, description = "The app.", example = "my-app/1.0"),
    ),
    request_body(content = super::openapi::LoginBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in. `userSessionToken` is the bearer token of the \
            session's calls (a signed JWT whose `exp` is the session's end); the upstream FINRA \
            token never leaves the hub.", body = TokenAnswer<'static>),
        super::openapi::JsonBodyRefusals,
    ),
    security(())
)]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    facts: RequestFacts,
    request: Request,
) -> Result<Response, ApiError> {
    let mut presented = Presented::default();
    let answer = login(&state, facts, request, &mut presented).await;
    let outcome = answer.as_ref().map(drop).map_err(ApiError::code);
    state.metrics.login(presented.grant, outcome);
    if let Some(method) = presented.second_factor {
        state.metrics.second_factor(method, outcome);
    }
    answer
}

/// What a login turned out to present, as far as it was read.
struct Presented {
    grant: &'static str,
    second_factor: Option<&'static str>,
}

impl Default for Presented {
    fn default() -> Self {
        Self {
            grant: "unknown",
            second_factor: None,
        }
    }
}

async fn login(
    state: &AppState,
    facts: RequestFacts,
    request: Request,
    presented: &mut Presented,
) -> Result<Response, ApiError> {
    let ctx = facts.context;
    if let Err(wait) = state
        .limiters
        .token_per_address
        .check(&ctx.client_addr)
        .await
    {
        return Err(refuse(state, &ctx, wait).await);
    }
    let tenant = check_headers(request.headers())?;
    let bytes = read_body(request, state.http.max_auth_body_bytes).await?;
    let login = parse_login(&bytes, tenant)?;
    *presented = Presented::of(&login.grant);
    let customer_key = (login.tenant.to_string(), login.customer_id.clone());
    if let Err(wait) = state.limiters.token_per_customer.check(&customer_key).await {
        return Err(refuse(state, &ctx, wait).await);
    }
    let tenant = login.tenant.clone();
    let issued = state.logins.login(&ctx, login).await?;
    // Warm the tenant's upstream token; the login never waits for (or fails with) FINRA.
    state.upstreams.warm(tenant);
    Ok(token_response(&issued))
}

impl Presented {
    fn of(grant: &LoginGrant) -> Self {
        match grant {
            LoginGrant::Password { second_factor, .. } => Self {
                grant: "password",
                second_factor: second_factor.as_ref().map(|proof| match proof {
                    SecondFactorProof::Otp(_) => "totp",
                    SecondFactorProof::RecoveryCode(_) => "recovery_code",
                }),
            },
            LoginGrant::ClientCredentials => Self {
                grant: "client_credentials",
                second_factor: None,
            },
            LoginGrant::RefreshToken { .. } => Self {
                grant: "refresh_token",
                second_factor: None,
            },
        }
    }
}

/// A 429 before any credential work, audited.
async fn refuse(state: &AppState, ctx: &RequestContext, wait: std::time::Duration) -> ApiError {
    let error = AuthError::RateLimited { retry_after: wait };
    state.sessions.audit_refusal(ctx, &error).await;
    ApiError::Auth(error)
}

/// The five required headers, each present once and not blank; `Content-Type` JSON;
/// `X-Tenant-ID` a tenant id.
fn check_headers(headers: &HeaderMap) -> Result<TenantId, ApiError> {
    required_header(headers, &header::CONTENT_TYPE, "Content-Type")?;
    required_header(headers, &PLATFORM, "sec-ch-ua-platform")?;
    required_header(headers, &FORWARDED_FOR, "X-Forwarded-For")?;
    required_header(headers, &header::USER_AGENT, "User-Agent")?;
    let tenant = required_header(headers, &TENANT_ID, "X-Tenant-ID")?;
    check_json_content_type(headers)?;
    TenantId::parse(tenant).map_err(|_| ApiError::InvalidHeader {
        name: "X-Tenant-ID",
        reason: "a tenant id is 1 to 18 digits",
    })
}

fn invalid(text: impl Into<String>) -> ApiError {
    ApiError::InvalidField(text.into())
}

/// A token request's headers and body through every check made before any credential work (the
/// fuzz targets' entry): framing as `finra_client::fuzzing::head_and_body`.
#[cfg(feature = "fuzzing")]
pub fn fuzz_token_request(data: &[u8]) {
    let (headers, body) = finra_client::fuzzing::head_and_body(data);
    let _ = check_headers(&headers).and_then(|tenant| parse_login(body, tenant));
}

/// The body of a token request, checked field by field.
fn parse_login(bytes: &[u8], tenant: TenantId) -> Result<LoginRequest, ApiError> {
    let body = StrictObject::parse(bytes, FIELDS)?;
    let grant = match body.string("grantType")? {
        None => return Err(invalid("grantType is required")),
        Some(text) => GrantType::parse(text).ok_or(AuthError::UnsupportedGrantType)?,
    };
    for key in body.keys() {
        let value = body.string(key)?.unwrap_or_default();
        if value.is_empty() {
            return Err(invalid(format!("{key} must not be empty")));
        }
        if let Some(reason) = too_long(key, value) {
            return Err(invalid(reason));
        }
    }
    let (required, forbidden) = grant.rules();
    if let Some(field) = forbidden.iter().find(|field| body.has(field)) {
        return Err(invalid(format!(
            "{field} is not allowed with this grantType"
        )));
    }
    let field = |name: &str| -> Result<String, ApiError> {
        body.string(name)?
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("{name} is required")))
    };
    if let Some(missing) = required.iter().find(|field| !body.has(field)) {
        return Err(invalid(format!("{missing} is required")));
    }
    if body.has("otp") && body.has("recoveryCode") {
        return Err(invalid("send otp or recoveryCode, not both"));
    }
    let account_type = AccountType::parse(&field("accountType")?)
        .ok_or_else(|| invalid("accountType must be b2b or b2c"))?;
    let grant = match grant {
        GrantType::Password => LoginGrant::Password {
            username: field("username")?,
            password: SecretString::from(field("password")?),
            second_factor: match (body.string("otp")?, body.string("recoveryCode")?) {
                (Some(code), _) => Some(SecondFactorProof::Otp(code.into())),
                (None, Some(code)) => Some(SecondFactorProof::RecoveryCode(code.into())),
                (None, None) => None,
            },
        },
        GrantType::ClientCredentials => LoginGrant::ClientCredentials,
        GrantType::RefreshToken => LoginGrant::RefreshToken {
            refresh_token: SecretString::from(field("refreshToken")?),
        },
    };
    Ok(LoginRequest {
        tenant,
        customer_id: field("customerId")?,
        customer_secret: SecretString::from(field("customerSecret")?),
        account_type,
        grant,
    })
}

/// The 200 answer of a login: `expires_in` an integer, every other field a string.
// No `Debug`: it holds the tokens.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Login)]
pub(super) struct TokenAnswer<'a> {
    /// Seconds the session's access token lives; refresh at 10 % left.
    #[serde(rename = "expires_in")]
    #[schema(example = 3600)]
    expires_in: i64,
    /// `Bearer`.
    #[serde(rename = "token_type")]
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// What the session may read, space-separated.
    #[schema(example = "finra:otcMarket finra:fixedIncomeMarket")]
    scope: String,
    /// The customer logged in through.
    #[schema(example = "cus_2f8KXb3hQ1")]
    customer_id: &'a str,
    /// The tenant.
    #[schema(example = "1234567")]
    tenant_id: &'a str,
    /// The session's bearer token.
    #[schema(
        example = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiZmluaHViLXNlc3Npb24rand0In0.e30.c2ln"
    )]
    user_session_token: &'a str,
    /// The refresh token of the `refresh_token` grant.
    #[schema(example = "fhrt_example")]
    refresh_token: &'a str,
}

impl<'a> TokenAnswer<'a> {
    /// The answer of these tokens.
    pub(super) fn of(issued: &'a IssuedTokens) -> Self {
        Self {
            expires_in: issued.expires_in,
            token_type: "Bearer",
            scope: issued.scope.to_string(),
            customer_id: &issued.customer_id,
            tenant_id: &issued.tenant_id,
            user_session_token: issued.user_session_token.expose_secret(),
            refresh_token: issued.refresh_token.expose_secret(),
        }
    }
}

fn token_response(issued: &IssuedTokens) -> Response {
    Json(TokenAnswer::of(issued)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("1234567").unwrap_or_else(|_| unreachable!())
    }

    fn code(body: &str) -> &'static str {
        match parse_login(body.as_bytes(), tenant()) {
            Ok(_) => "ok",
            Err(ApiError::Auth(error)) => error.code(),
            Err(ApiError::InvalidField(_)) => "invalid_request",
            Err(ApiError::InvalidBody(_)) => "invalid_body",
            Err(_) => "other",
        }
    }

    const CLIENT: &str = r#""customerId":"c","customerSecret":"s","accountType":"b2b""#;

    #[test]
    fn grant_type_is_checked_before_the_other_fields() {
        for grant in [
            "PASSWORD",
            "implicit",
            "",
            "password ",
            "authorization_code",
        ] {
            let body = format!(r#"{{"grantType":"{grant}","username":5}}"#);
            assert_eq!(code(&body), "unsupported_grant_type", "{grant:?}");
        }
        assert_eq!(code(r#"{"username":"a"}"#), "invalid_request");
        assert_eq!(code(r#"{"grantType":null}"#), "invalid_body");
        assert_eq!(code(r#"{"grantType":1}"#), "invalid_body");
    }

    #[test]
    fn each_grant_takes_exactly_its_fields() {
        assert_eq!(
            code(&format!(r#"{{"grantType":"client_credentials",{CLIENT}}}"#)),
            "ok"
        );
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"client_credentials",{CLIENT},"username":"u"}}"#
            )),
            "invalid_request"
        );
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"password",{CLIENT},"username":"u","password":"p","otp":"1"}}"#
            )),
            "ok"
        );
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"password",{CLIENT},"username":"u","password":"p","recoveryCode":"1"}}"#
            )),
            "ok"
        );
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"password",{CLIENT},"username":"u","password":"p","otp":"1","recoveryCode":"1"}}"#
            )),
            "invalid_request",
            "at most one of otp and recoveryCode"
        );
        for field in ["otp", "recoveryCode"] {
            assert_eq!(
                code(&format!(
                    r#"{{"grantType":"client_credentials",{CLIENT},"{field}":"123456"}}"#
                )),
                "invalid_request",
                "a machine proves no second factor"
            );
            assert_eq!(
                code(&format!(
                    r#"{{"grantType":"password",{CLIENT},"username":"u","password":"p","{field}":5}}"#
                )),
                "invalid_body",
                "{field} is a string"
            );
        }
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"password",{CLIENT},"username":"u"}}"#
            )),
            "invalid_request"
        );
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"refresh_token",{CLIENT},"refreshToken":"r"}}"#
            )),
            "ok"
        );
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"refresh_token",{CLIENT},"refreshToken":""}}"#
            )),
            "invalid_request"
        );
        let b2b_upper = CLIENT.replace("b2b", "B2B");
        assert_eq!(
            code(&format!(
                r#"{{"grantType":"client_credentials",{b2b_upper}}}"#
            )),
            "invalid_request"
        );
    }
}
