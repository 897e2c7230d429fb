//! The request bodies as the API description shows them. The handlers read bodies with their
//! own strict parser (which also refuses repeated keys and non-string values); these types only
//! describe what it takes.
#![expect(
    dead_code,
    reason = "descriptions of bodies the handlers parse by hand; never built"
)]

use serde::Deserialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::{Components, RefOr};

/// The customer's kind.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(in crate::http) enum AccountType {
    /// Business to business.
    B2b,
    /// Business to consumer.
    B2c,
}

/// The body of a login, by its `grantType`: `password` for a person (with `otp` or
/// `recoveryCode`, at most one, when a second factor is needed), `client_credentials` for a
/// machine (`b2b` customers only), `refresh_token` for a new session without the password. Every
/// value is a string; unknown or repeated keys are refused.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "grantType", rename_all = "snake_case", deny_unknown_fields)]
pub(in crate::http) enum LoginBody {
    /// A person, through a customer's API client.
    #[schema(example = json!({
        "grantType": "password",
        "username": "demo",
        "password": "correct horse battery staple",
        "customerId": "cus_2f8KXb3hQ1",
        "customerSecret": "fhcs_example-secret",
        "accountType": "b2b"
    }))]
    Password {
        /// The person.
        #[schema(max_length = 256)]
        username: String,
        /// Their password (at most 4096 bytes).
        #[schema(max_length = 1024)]
        password: String,
        /// The customer (the API client) logged in through.
        #[serde(rename = "customerId")]
        #[schema(max_length = 64)]
        customer_id: String,
        /// The customer's secret.
        #[serde(rename = "customerSecret")]
        #[schema(max_length = 512)]
        customer_secret: String,
        /// The customer's kind: it must be the customer's own.
        #[serde(rename = "accountType")]
        account_type: AccountType,
        /// The six digits of the person's authenticator app (spaces and dashes are dropped).
        #[schema(nullable = false, max_length = 16, example = "123456")]
        otp: Option<String>,
        /// One of the person's recovery codes, instead of `otp`.
        #[serde(rename = "recoveryCode")]
        #[schema(nullable = false, max_length = 64)]
        recovery_code: Option<String>,
    },
    /// A machine, for `b2b` customers only.
    #[schema(example = json!({
        "grantType": "client_credentials",
        "customerId": "cus_2f8KXb3hQ1",
        "customerSecret": "fhcs_example-secret",
        "accountType": "b2b"
    }))]
    ClientCredentials {
        /// The customer (the API client) logged in through.
        #[serde(rename = "customerId")]
        #[schema(max_length = 64)]
        customer_id: String,
        /// The customer's secret.
        #[serde(rename = "customerSecret")]
        #[schema(max_length = 512)]
        customer_secret: String,
        /// The customer's kind: it must be the customer's own.
        #[serde(rename = "accountType")]
        account_type: AccountType,
    },
    /// A new session from the refresh token of an earlier login: the old session ends and the
    /// refresh token rotates.
    RefreshToken {
        /// The refresh token.
        #[serde(rename = "refreshToken")]
        #[schema(max_length = 512)]
        refresh_token: String,
        /// The customer (the API client) logged in through.
        #[serde(rename = "customerId")]
        #[schema(max_length = 64)]
        customer_id: String,
        /// The customer's secret.
        #[serde(rename = "customerSecret")]
        #[schema(max_length = 512)]
        customer_secret: String,
        /// The customer's kind: it must be the customer's own.
        #[serde(rename = "accountType")]
        account_type: AccountType,
    },
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

/// Each grant's body refuses keys it does not name (the derive says so only of structs).
pub(super) fn refuse_unknown_login_fields(components: &mut Components) {
    let Some(RefOr::T(Schema::OneOf(grants))) = components.schemas.get_mut("LoginBody") else {
        return;
    };
    for grant in &mut grants.items {
        if let RefOr::T(Schema::Object(object)) = grant {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }
}
