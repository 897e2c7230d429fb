//! Issuing a session: a fresh `internalTokenKey`, the session record, a refresh token in the
//! family, and the signed `userSessionToken`. Only hashes are stored.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::AuthError;
use crate::ids::{CustomerId, FamilyId, Username};
use crate::model::{Authentication, Customer, RefreshTokenRecord, Session, SessionOrigin, Tenant};
use crate::secret::{OpaqueSecret, REFRESH_TOKEN_PREFIX, SESSION_KEY_PREFIX, SecretHash};
use crate::session_token::{Confirmation, SessionClaims};

use super::IssuedTokens;
use super::login::Logins;

/// Who a new session is for, and which refresh-token family it joins.
#[derive(Debug)]
pub(super) struct SessionSpec<'a> {
    pub(super) tenant: &'a Tenant,
    pub(super) customer: &'a Customer,
    pub(super) username: Option<&'a Username>,
    pub(super) family: FamilyId,
    /// The family's absolute end (kept across rotations).
    pub(super) family_expires_at: OffsetDateTime,
    /// The client certificate's `x5t#S256` the session is bound to (RFC 8705), if any.
    pub(super) confirmation: Option<String>,
    /// How the person proved who they are (`None` for machines), kept by the whole family.
    pub(super) authentication: Option<Authentication>,
    /// Where the request that asked for it came from.
    pub(super) origin: SessionOrigin,
}

/// The pair a refresh-token exchange produced, sealed for replays within the grace window.
#[derive(Serialize, Deserialize)]
pub(super) struct Successor {
    pub(super) user_session_token: String,
    pub(super) refresh_token: String,
    pub(super) session_key_hash: String,
}

/// Prefix of a machine's `sub` claim, before its customer id.
const MACHINE_SUBJECT: &str = "client:";

/// The `sub` claim: the username, or `client:<customerId>` for machines.
pub(super) fn token_subject(username: Option<&Username>, customer: &CustomerId) -> String {
    username.map_or_else(
        || format!("{MACHINE_SUBJECT}{customer}"),
        |name| name.as_str().to_owned(),
    )
}

/// Whether `sub` is [`token_subject`]'s claim for this user or customer (compared in place: a
/// session check makes no string).
pub(super) fn is_token_subject(
    sub: &str,
    username: Option<&Username>,
    customer: &CustomerId,
) -> bool {
    match username {
        Some(name) => sub == name.as_str(),
        None => sub.strip_prefix(MACHINE_SUBJECT) == Some(customer.as_str()),
    }
}

impl Logins {
    /// Creates and stores a session and its refresh token; returns what the caller gets.
    pub(super) async fn issue_session(
        &self,
        spec: SessionSpec<'_>,
    ) -> Result<(IssuedTokens, Session), AuthError> {
        let settings = &self.ctx.settings;
        let now = self.ctx.clock.now_utc();
        let session_key = OpaqueSecret::generate(SESSION_KEY_PREFIX);
        let session_expires_at = now + settings.session_lifetime;
        let access_expires_at = (now + settings.access_token_lifetime).min(session_expires_at);
        let session = Session {
            key_hash: session_key.hash(),
            tenant_id: spec.tenant.id.clone(),
            customer_id: spec.customer.id.clone(),
            username: spec.username.cloned(),
            account_type: spec.customer.account_type,
            scope: spec.tenant.scope.clone(),
            family_id: spec.family.clone(),
            created_at: now,
            access_expires_at,
            access_lifetime: settings.access_token_lifetime,
            session_expires_at,
            revoked_at: None,
            authentication: spec.authentication.clone(),
            origin: spec.origin,
            last_used_at: None,
        };
        let refresh_token = OpaqueSecret::generate(REFRESH_TOKEN_PREFIX);
        let record = RefreshTokenRecord {
            hash: refresh_token.hash(),
            family_id: spec.family,
            tenant_id: spec.tenant.id.clone(),
            customer_id: spec.customer.id.clone(),
            username: spec.username.cloned(),
            session_key_hash: session.key_hash.clone(),
            expires_at: spec.family_expires_at,
            used_at: None,
            successor: None,
            revoked_at: None,
            authentication: spec.authentication.clone(),
        };
        let claims = SessionClaims {
            iss: String::new(),
            aud: String::new(),
            sub: token_subject(spec.username, &spec.customer.id),
            tenant_id: spec.tenant.id.to_string(),
            customer_id: spec.customer.id.to_string(),
            internal_token_key: session_key.expose().to_owned(),
            iat: now.unix_timestamp(),
            exp: session_expires_at.unix_timestamp(),
            typ: String::new(),
            cnf: spec.confirmation.map(|x5t_s256| Confirmation { x5t_s256 }),
            amr: spec
                .authentication
                .as_ref()
                .map(|proof| proof.methods.clone()),
            auth_time: spec
                .authentication
                .as_ref()
                .map(|proof| proof.at.unix_timestamp()),
        };
        let user_session_token = self.ctx.tokens.sign(claims)?;
        self.ctx.store.insert_issued(&session, &record).await?;
        let tokens = IssuedTokens {
            expires_in: (access_expires_at - now).whole_seconds(),
            scope: spec.tenant.scope.clone(),
            customer_id: spec.customer.id.to_string(),
            tenant_id: spec.tenant.id.to_string(),
            user_session_token,
            refresh_token: SecretString::from(refresh_token.expose().to_owned()),
        };
        Ok((tokens, session))
    }

    /// Seals the pair an exchange produced, bound to the used token's hash.
    pub(super) fn seal_successor(
        &self,
        used: &SecretHash,
        tokens: &IssuedTokens,
        session: &Session,
    ) -> Result<Vec<u8>, AuthError> {
        let successor = Successor {
            user_session_token: tokens.user_session_token.expose_secret().to_owned(),
            refresh_token: tokens.refresh_token.expose_secret().to_owned(),
            session_key_hash: session.key_hash.as_str().to_owned(),
        };
        let plaintext = serde_json::to_vec(&successor)
            .map_err(|e| AuthError::Internal(format!("encoding a successor failed: {e}")))?;
        self.ctx.data_key.seal(&plaintext, used.as_str())
    }

    /// Opens a sealed successor of the used token `used`.
    pub(super) fn open_successor(
        &self,
        used: &SecretHash,
        sealed: &[u8],
    ) -> Result<Successor, AuthError> {
        let plaintext = self.ctx.data_key.open(sealed, used.as_str())?;
        serde_json::from_slice(&plaintext)
            .map_err(|e| AuthError::Internal(format!("decoding a successor failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_recognised_in_place_exactly_as_it_is_issued() {
        let customer = CustomerId::parse("CUST-1").expect("a customer id");
        let user = Username::parse("alice").expect("a username");
        for username in [None, Some(&user)] {
            let issued = token_subject(username, &customer);
            assert!(is_token_subject(&issued, username, &customer), "{issued}");
        }
        assert!(!is_token_subject("client:CUST-2", None, &customer));
        assert!(!is_token_subject("CUST-1", None, &customer));
        assert!(!is_token_subject("client:CUST-1", Some(&user), &customer));
        assert!(!is_token_subject("alice2", Some(&user), &customer));
        assert!(!is_token_subject("alice", None, &customer));
    }
}
