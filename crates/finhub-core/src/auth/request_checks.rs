//! The checks every login and session makes of the request itself. The client-certificate
//! policy, applied before any credential: a certificate that is required must be there, one that
//! is presented must be valid, and a valid one must be bound to the customer the request claims;
//! sessions logged in over a certificate carry its thumbprint (RFC 8705 `cnf.x5t#S256`) and work
//! only over that certificate. And the tenant's address allow-list.

use crate::cert::{CertificateIdentity, CertificateProblem, ClientCertificate};
use crate::error::{AccessDenial, AuthError, TokenProblem};
use crate::ids::{CustomerId, TenantId};
use crate::session_token::Confirmation;

use crate::model::Tenant;

use super::RequestContext;
use super::context::Context;
use super::portal::PORTAL_CUSTOMER_ID;

impl Context {
    /// Presence and validity of the connection's certificate: `Ok(Some(..))` for a verified one,
    /// `Ok(None)` where none is needed (no TLS, or optional and absent), 403
    /// `invalid_certificate` for an invalid one or a missing one the profile requires.
    pub(crate) fn check_client_certificate<'a>(
        &self,
        certificate: &'a ClientCertificate,
    ) -> Result<Option<&'a CertificateIdentity>, AuthError> {
        match certificate {
            ClientCertificate::NoTls => Ok(None),
            ClientCertificate::Absent if self.settings.require_client_certificate => {
                Err(AuthError::InvalidCertificate(CertificateProblem::Missing))
            }
            ClientCertificate::Absent => Ok(None),
            ClientCertificate::Invalid { problem, .. } => {
                Err(AuthError::InvalidCertificate(*problem))
            }
            ClientCertificate::Verified(identity) => Ok(Some(identity)),
        }
    }

    /// [`Self::check_client_certificate`], and a verified certificate must be bound to the
    /// customer `customer` of `tenant` (as the request names them; an id that does not parse
    /// names no customer, so nothing is bound to it).
    pub(crate) async fn check_certificate_binding(
        &self,
        ctx: &RequestContext,
        tenant: &str,
        customer: &str,
    ) -> Result<(), AuthError> {
        let Some(identity) = self.check_client_certificate(&ctx.client_certificate)? else {
            return Ok(());
        };
        let not_bound = AuthError::InvalidCertificate(CertificateProblem::NotBound);
        let (Ok(tenant), Ok(customer)) = (TenantId::parse(tenant), CustomerId::parse(customer))
        else {
            return Err(not_bound);
        };
        // The portal is every customer's front door: any certificate bound to a customer of
        // the tenant is accepted there.
        let bindings = if customer.as_str() == PORTAL_CUSTOMER_ID {
            self.store.list_certificate_bindings(&tenant).await?
        } else {
            self.store.certificate_bindings(&tenant, &customer).await?
        };
        if bindings
            .iter()
            .any(|binding| binding.matcher.matches(identity))
        {
            Ok(())
        } else {
            Err(not_bound)
        }
    }

    /// The `x5t#S256` a session logged in over this request's connection is bound to, if any.
    pub(crate) fn confirmation_for(&self, ctx: &RequestContext) -> Option<String> {
        match &ctx.client_certificate {
            ClientCertificate::Verified(identity) if self.settings.certificate_bound_tokens => {
                Some(identity.fingerprint.to_x5t_s256())
            }
            _ => None,
        }
    }

    /// A certificate-bound token must come over the certificate it is bound to (401 otherwise).
    pub(crate) fn check_confirmation(
        ctx: &RequestContext,
        confirmation: Option<&Confirmation>,
    ) -> Result<(), AuthError> {
        let Some(confirmation) = confirmation else {
            return Ok(());
        };
        match &ctx.client_certificate {
            ClientCertificate::Verified(identity)
                if identity.fingerprint.to_x5t_s256() == confirmation.x5t_s256 =>
            {
                Ok(())
            }
            _ => Err(AuthError::InvalidToken(TokenProblem::CertificateMismatch)),
        }
    }

    /// The tenant's allow-list (mandatory in production) against the client address.
    pub(crate) fn check_address(
        &self,
        tenant: &Tenant,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        if tenant.allow_list.is_empty() {
            if self.settings.require_allow_list {
                return Err(AuthError::AccessDenied(AccessDenial::NoAllowList));
            }
            return Ok(());
        }
        if tenant.allow_list.contains(ctx.client_addr) {
            Ok(())
        } else {
            Err(AuthError::AccessDenied(AccessDenial::AddressNotAllowed))
        }
    }
}
