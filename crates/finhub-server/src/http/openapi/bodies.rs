//! The request bodies as the API description shows them. The handlers read bodies with their
//! own strict parser (which also refuses repeated keys and non-string values); these types only
//! describe what it takes.
#![expect(
    dead_code,
    reason = "descriptions of bodies the handlers parse by hand; never built"
)]

use serde::Deserialize;
use utoipa::ToSchema;

/// The three login grants.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(in crate::http) enum GrantType {
    /// A person: `username` and `password` through a customer's API client.
    Password,
    /// A machine, for `b2b` customers only.
    ClientCredentials,
    /// A new session from a refresh token, without the password.
    RefreshToken,
}

/// The customer's kind.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(in crate::http) enum AccountType {
    /// Business to business.
    B2b,
    /// Business to consumer.
    B2c,
}

/// The body of a login. Which fields a grant requires or refuses: `password` requires
/// `username` and `password` and refuses `refreshToken`; `client_credentials` refuses
/// `username`, `password`, `refreshToken`, `otp` and `recoveryCode`; `refresh_token` requires
/// `refreshToken` and refuses `username`, `password`, `otp` and `recoveryCode`. `otp` and
/// `recoveryCode` (at most one) go with a password when a second factor is needed.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "grantType": "client_credentials",
    "customerId": "cus_2f8KXb3hQ1",
    "customerSecret": "fhcs_example-secret",
    "accountType": "b2b"
}))]
pub(in crate::http) struct LoginBody {
    /// The grant.
    grant_type: GrantType,
    /// The customer (the API client) the app logs in through.
    #[schema(max_length = 64)]
    customer_id: String,
    /// The customer's secret.
    #[schema(max_length = 512)]
    customer_secret: String,
    /// The customer's kind: it must be the customer's own.
    account_type: AccountType,
    /// `password` grant: the person.
    #[schema(nullable = false, max_length = 256)]
    username: Option<String>,
    /// `password` grant: their password (at most 4096 bytes).
    #[schema(nullable = false, max_length = 1024)]
    password: Option<String>,
    /// `refresh_token` grant: the refresh token of an earlier login.
    #[schema(nullable = false, max_length = 512)]
    refresh_token: Option<String>,
    /// The six digits of the person's authenticator app (spaces and dashes are dropped).
    #[schema(nullable = false, max_length = 16, example = "123456")]
    otp: Option<String>,
    /// One of the person's recovery codes, instead of `otp`.
    #[schema(nullable = false, max_length = 64)]
    recovery_code: Option<String>,
}

/// The body of a refresh: empty, `{}`, or the session to refresh (the caller's own).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(in crate::http) struct RefreshBody {
    /// The session to refresh: the same user's and tenant's as the bearer token.
    #[schema(nullable = false, max_length = 4096)]
    user_session_token: Option<String>,
}

/// The body of a change to a person's second factor made from a session: the password again
/// and, when a factor is active, one of its codes. Nothing with an enrolment token.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(in crate::http) struct ReauthenticationBody {
    /// The person's password.
    #[schema(nullable = false, max_length = 1024)]
    password: Option<String>,
    /// A code of the active factor.
    #[schema(nullable = false, max_length = 16, example = "123456")]
    otp: Option<String>,
}

/// The body of a confirmation: the first code of the pending factor.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(in crate::http) struct ConfirmBody {
    /// The code the authenticator app shows.
    #[schema(max_length = 16, example = "123456")]
    otp: String,
}
