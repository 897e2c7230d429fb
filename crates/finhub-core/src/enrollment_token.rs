//! The enrolment token: an HS256 JWT of `typ` `finhub-enrollment+jwt`, signed with the session
//! keys, that a person whose tenant requires a second factor gets instead of a session after a
//! right password. It is good for ten minutes on the enrolment endpoints only, and once: the
//! confirmation it ends with spends its id.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::error::AuthError;
use crate::session_token::{AUDIENCE, Confirmation, HubClaims, SessionTokens, check_times};

/// The explicit type of enrolment tokens (JWT header `typ` and claim `typ`).
pub const ENROLLMENT_TOKEN_TYPE: &str = "finhub-enrollment+jwt";
/// How long an enrolment token is good for.
pub const ENROLLMENT_TOKEN_LIFETIME: Duration = Duration::minutes(10);

/// The claims of an enrolment token: who proved their password, through which customer, and
/// over which client certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentClaims {
    /// The hub's public URL.
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// The person.
    pub sub: String,
    /// The tenant.
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    /// The customer the person logged in through (the session the enrolment ends in is its).
    #[serde(rename = "customerId")]
    pub customer_id: String,
    /// The token's id, spent by the confirmation.
    pub jti: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// The end (Unix seconds).
    pub exp: i64,
    /// Always [`ENROLLMENT_TOKEN_TYPE`].
    pub typ: String,
    /// The client certificate the login came over (RFC 8705), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

impl HubClaims for EnrollmentClaims {
    const TYPE: &'static str = ENROLLMENT_TOKEN_TYPE;

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
    /// Signs an enrolment token (its `iss`, `aud` and `typ` are set here).
    pub fn sign_enrollment(&self, claims: EnrollmentClaims) -> Result<SecretString, AuthError> {
        self.sign_claims(claims)
    }

    /// Verifies an enrolment token at `now_unix` (seconds): every failure is
    /// `InvalidToken(Invalid)`, a well-signed one past its end `InvalidToken(SessionExpired)`.
    pub fn verify_enrollment(
        &self,
        token: &str,
        now_unix: i64,
    ) -> Result<EnrollmentClaims, AuthError> {
        let claims: EnrollmentClaims = self.decode_claims(token)?;
        check_times(claims.iat, claims.exp, now_unix)?;
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::error::TokenProblem;
    use crate::session_token::{SessionClaims, SigningKey};

    const NOW: i64 = 1_767_623_400;

    fn tokens() -> SessionTokens {
        let key = SigningKey::new("k1", SecretString::from("e".repeat(32))).expect("32 bytes");
        SessionTokens::new("http://hub.test", &key, &[])
    }

    fn claims() -> EnrollmentClaims {
        EnrollmentClaims {
            iss: String::new(),
            aud: String::new(),
            sub: "alice".into(),
            tenant_id: "1234567".into(),
            customer_id: "cus_1".into(),
            jti: "enr_1".into(),
            iat: NOW,
            exp: NOW + ENROLLMENT_TOKEN_LIFETIME.whole_seconds(),
            typ: String::new(),
            cnf: None,
        }
    }

    #[test]
    fn an_enrollment_token_verifies_for_ten_minutes() {
        let t = tokens();
        let token = t.sign_enrollment(claims()).expect("sign");
        let verified = t
            .verify_enrollment(token.expose_secret(), NOW + 599)
            .expect("valid");
        assert_eq!(verified.typ, ENROLLMENT_TOKEN_TYPE);
        assert_eq!(verified.jti, "enr_1");
        assert!(matches!(
            t.verify_enrollment(token.expose_secret(), NOW + 600),
            Err(AuthError::InvalidToken(TokenProblem::SessionExpired))
        ));
        assert_eq!(
            SessionTokens::token_type(token.expose_secret()).as_deref(),
            Some(ENROLLMENT_TOKEN_TYPE)
        );
    }

    #[test]
    fn enrollment_and_session_tokens_are_never_taken_for_each_other() {
        let t = tokens();
        let enrollment = t.sign_enrollment(claims()).expect("sign");
        assert!(matches!(
            t.verify(enrollment.expose_secret(), NOW),
            Err(AuthError::InvalidToken(TokenProblem::Invalid))
        ));
        let session = t
            .sign(SessionClaims {
                iss: String::new(),
                aud: String::new(),
                sub: "alice".into(),
                tenant_id: "1234567".into(),
                customer_id: "cus_1".into(),
                internal_token_key: "fhsk_key".into(),
                iat: NOW,
                exp: NOW + 600,
                typ: String::new(),
                cnf: None,
                amr: None,
                auth_time: None,
            })
            .expect("sign");
        assert!(matches!(
            t.verify_enrollment(session.expose_secret(), NOW),
            Err(AuthError::InvalidToken(TokenProblem::Invalid))
        ));
    }
}
