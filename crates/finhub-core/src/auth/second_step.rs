//! The second step of a password login, taken only after a right password: the tenant's
//! policy and the user's factor decide whether a code is needed (`mfa_required`), whether the
//! user must enrol first (`mfa_enrollment_required`, with an enrolment token), or which methods
//! the login proved (`amr`).

use crate::enrollment_token::{ENROLLMENT_TOKEN_LIFETIME, EnrollmentClaims};
use crate::error::{AuthError, EnrollmentToken};
use crate::mfa::MfaPolicy;
use crate::model::{AuthMethod, Authentication, User};
use crate::secret::random_base64url;
use crate::session_token::Confirmation;

use super::login::{Logins, Verified};
use super::{RequestContext, SecondFactorProof};

impl Logins {
    /// How the person proved who they are, or why the login needs more: under policy `off`
    /// a password is enough; a user with an active factor must give a code or a recovery code;
    /// under `required` a user without one must enrol; under `optional` a code sent by a user
    /// without a factor is ignored.
    pub(super) async fn second_step(
        &self,
        ctx: &RequestContext,
        verified: &Verified,
        user: &User,
        proof: Option<&SecondFactorProof>,
    ) -> Result<Authentication, AuthError> {
        let now = self.ctx.clock.now_utc();
        let tenant = &verified.tenant.id;
        let policy = self.ctx.policy_in_force(verified.mfa_policy);
        if policy == MfaPolicy::Off {
            return Ok(Authentication::password(now));
        }
        match (&verified.active_factor, proof) {
            (Some(factor), Some(proof)) => {
                let mut methods = vec![AuthMethod::Pwd];
                methods.extend(
                    self.second_factors
                        .check(ctx, tenant, &user.username, factor, proof)
                        .await?,
                );
                Ok(Authentication { methods, at: now })
            }
            (Some(_), None) => Err(AuthError::MfaRequired),
            (None, _) if policy == MfaPolicy::Required => Err(AuthError::MfaEnrollmentRequired(
                self.enrollment_token(ctx, verified, user)?,
            )),
            (None, _) => Ok(Authentication::password(now)),
        }
    }

    /// A fresh enrolment token for the person who just proved their password.
    fn enrollment_token(
        &self,
        ctx: &RequestContext,
        verified: &Verified,
        user: &User,
    ) -> Result<EnrollmentToken, AuthError> {
        let now = self.ctx.clock.now_utc();
        let claims = EnrollmentClaims {
            iss: String::new(),
            aud: String::new(),
            sub: user.username.as_str().to_owned(),
            tenant_id: verified.tenant.id.to_string(),
            customer_id: verified.customer.id.to_string(),
            jti: format!("enr_{}", random_base64url(16)),
            iat: now.unix_timestamp(),
            exp: (now + ENROLLMENT_TOKEN_LIFETIME).unix_timestamp(),
            typ: String::new(),
            cnf: self
                .ctx
                .confirmation_for(ctx)
                .map(|x5t_s256| Confirmation { x5t_s256 }),
        };
        self.ctx.tokens.sign_enrollment(claims).map(EnrollmentToken)
    }
}
