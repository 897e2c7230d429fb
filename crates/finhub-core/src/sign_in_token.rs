//! The sign-in token: an HS256 JWT of `typ` `finhub-sign-in+jwt`, signed with the session keys,
//! that the portal holds between a person's right password and their second-factor code, so
//! the password is asked once and never kept. Good for five minutes, in the browser it was
//! issued to only (`bnd`: a hash of that browser's portal cookie), and for nothing else.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::error::AuthError;
use crate::session_token::{AUDIENCE, HubClaims, SessionTokens, check_times};

/// The explicit type of sign-in tokens (JWT header `typ` and claim `typ`).
pub const SIGN_IN_TOKEN_TYPE: &str = "finhub-sign-in+jwt";
/// How long a sign-in token is good for.
pub const SIGN_IN_TOKEN_LIFETIME: Duration = Duration::minutes(5);

/// Who proved their password in the portal, and in which browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInClaims {
    /// The hub's public URL.
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// The person.
    pub sub: String,
    /// The tenant.
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    /// The browser: SHA-256 (hex) of its portal cookie.
    pub bnd: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// The end (Unix seconds).
    pub exp: i64,
    /// Always [`SIGN_IN_TOKEN_TYPE`].
    pub typ: String,
}

impl HubClaims for SignInClaims {
    const TYPE: &'static str = SIGN_IN_TOKEN_TYPE;

    fn stamp(&mut self, issuer: &str) {
        issuer.clone_into(&mut self.iss);
        self.aud = AUDIENCE.to_owned();
        self.typ = Self::TYPE.to_owned();
    }

    fn is_ours(&self, issuer: &str) -> bool {
        self.typ == Self::TYPE && self.aud == AUDIENCE && self.iss == issuer
    }
}

impl SessionTokens {
    /// Signs a sign-in token (its `iss`, `aud` and `typ` are set here).
    pub fn sign_sign_in(&self, claims: SignInClaims) -> Result<SecretString, AuthError> {
        self.sign_claims(claims)
    }

    /// Verifies a sign-in token at `now_unix` (seconds): every failure is
    /// `InvalidToken(Invalid)`, a well-signed one past its end `InvalidToken(SessionExpired)`.
    pub fn verify_sign_in(&self, token: &str, now_unix: i64) -> Result<SignInClaims, AuthError> {
        let claims: SignInClaims = self.decode_claims(token)?;
        check_times(claims.iat, claims.exp, now_unix)?;
        Ok(claims)
    }
}
