//! The `userSessionToken`: an HS256 JWT naming the session's `internalTokenKey`, signed with a
//! 256-bit key chosen by `kid` so keys can rotate. Every check — signature, algorithm, `typ`,
//! `iss`, `aud`, `exp` — is explicit, and time comes from the hub's clock, not the JWT library.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{AuthError, TokenProblem};
use crate::minted_keys::MintedKeyMap;
use crate::model::AuthMethod;
use crate::secret::SecretHash;

/// The explicit type of session tokens (JWT header `typ` and claim `typ`).
pub const SESSION_TOKEN_TYPE: &str = "finhub-session+jwt";
/// The audience of session tokens.
pub const AUDIENCE: &str = "finhub";
/// Longest token accepted, in bytes (a real one is well under 1 KiB).
pub const MAX_TOKEN_BYTES: usize = 4_096;
/// Verified tokens remembered at most; past it the memo starts over (bounded memory).
const MAX_REMEMBERED: usize = 100_000;

/// The claims of a session token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionClaims {
    /// The hub's public URL.
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// The user, or `client:<customerId>` for a machine.
    pub sub: String,
    /// The tenant.
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    /// The customer.
    #[serde(rename = "customerId")]
    pub customer_id: String,
    /// The session's key; the hub stores only its hash.
    #[serde(rename = "internalTokenKey")]
    pub internal_token_key: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// The session's absolute end (Unix seconds).
    pub exp: i64,
    /// Always [`SESSION_TOKEN_TYPE`].
    pub typ: String,
    /// The client certificate the session is bound to (RFC 8705), when it was logged in over one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// How the person proved who they are (RFC 8176); absent for machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<AuthMethod>>,
    /// When the person's login proved it (Unix seconds); absent for machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// A token type the hub signs: its `typ`, and the fixed claims (`iss`, `aud`, `typ`) it stamps
/// when signing and checks when verifying.
pub(crate) trait HubClaims: Serialize + serde::de::DeserializeOwned {
    /// The `typ` of the header and the claims.
    const TYPE: &'static str;
    /// Sets `iss` to `issuer`, `aud` to [`AUDIENCE`] and `typ` to [`Self::TYPE`].
    fn stamp(&mut self, issuer: &str);
    /// Whether `iss`, `aud` and `typ` are this hub's.
    fn is_ours(&self, issuer: &str) -> bool;
}

impl HubClaims for SessionClaims {
    const TYPE: &'static str = SESSION_TOKEN_TYPE;

    fn stamp(&mut self, issuer: &str) {
        issuer.clone_into(&mut self.iss);
        self.aud = AUDIENCE.to_owned();
        self.typ = Self::TYPE.to_owned();
    }

    fn is_ours(&self, issuer: &str) -> bool {
        self.typ == Self::TYPE && self.aud == AUDIENCE && self.iss == issuer
    }
}

/// The time checks of every token the hub signs, on the hub's clock (`now_unix` seconds): issued
/// more than a minute in the future → `Invalid`; at or past `exp` → `SessionExpired`.
pub(crate) fn check_times(iat: i64, exp: i64, now_unix: i64) -> Result<(), AuthError> {
    if iat > now_unix + 60 {
        return Err(AuthError::InvalidToken(TokenProblem::Invalid));
    }
    if exp <= now_unix {
        return Err(AuthError::InvalidToken(TokenProblem::SessionExpired));
    }
    Ok(())
}

/// RFC 8705 §3.1 confirmation: the SHA-256 thumbprint of the client certificate, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// `x5t#S256`.
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("tenant_id", &self.tenant_id)
            .field("customer_id", &self.customer_id)
            .field("internal_token_key", &"[redacted]")
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("cnf", &self.cnf)
            .field("amr", &self.amr)
            .field("auth_time", &self.auth_time)
            .finish_non_exhaustive()
    }
}

/// A session token whose signature and fixed claims passed: its claims, and the hash its
/// session's key (`internalTokenKey`) is stored under — hashed once per token, not per request.
#[derive(Debug)]
pub struct VerifiedToken {
    /// The claims.
    pub claims: SessionClaims,
    /// The hash of `claims.internal_token_key`.
    pub key_hash: SecretHash,
}

/// One signing key: a `kid` and 256 bits of secret.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    secret: SecretString,
}

impl SigningKey {
    /// A key from config. The secret must carry at least 256 bits (32 bytes).
    pub fn new(kid: impl Into<String>, secret: SecretString) -> Result<Self, String> {
        if secret.expose_secret().len() < 32 {
            return Err("a session signing key needs at least 32 bytes".into());
        }
        Ok(Self {
            kid: kid.into(),
            secret,
        })
    }

    /// Its id.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, [redacted])", self.kid)
    }
}

/// Signs and verifies session tokens.
pub struct SessionTokens {
    issuer: String,
    current_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    /// Tokens whose signature and claims passed, by the SHA-256 of the token. Neither can change
    /// for a given token and key set, so a token seen again skips the JWT decode and the hash
    /// of its session key; the time checks run on every call.
    verified: Mutex<MintedKeyMap<[u8; 32], Arc<VerifiedToken>>>,
}

impl fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokens")
            .field("issuer", &self.issuer)
            .field("current_kid", &self.current_kid)
            .field("verifiable_kids", &self.decoding.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl SessionTokens {
    /// Signs with `current`; also accepts tokens signed with any of `previous` (key rotation).
    pub fn new(issuer: impl Into<String>, current: &SigningKey, previous: &[SigningKey]) -> Self {
        let decoding = std::iter::once(current)
            .chain(previous)
            .map(|key| {
                (
                    key.kid.clone(),
                    DecodingKey::from_secret(key.secret.expose_secret().as_bytes()),
                )
            })
            .collect();
        Self {
            issuer: issuer.into(),
            current_kid: current.kid.clone(),
            encoding: EncodingKey::from_secret(current.secret.expose_secret().as_bytes()),
            decoding,
            verified: Mutex::default(),
        }
    }

    /// The `iss` this hub writes and expects.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs claims (their `iss`, `aud` and `typ` are set here).
    pub fn sign(&self, claims: SessionClaims) -> Result<SecretString, AuthError> {
        self.sign_claims(claims)
    }

    /// Signs any of the hub's token types with the current key, its `typ` in the header too.
    pub(crate) fn sign_claims<C: HubClaims>(
        &self,
        mut claims: C,
    ) -> Result<SecretString, AuthError> {
        claims.stamp(&self.issuer);
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(C::TYPE.to_owned());
        header.kid = Some(self.current_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map(SecretString::from)
            .map_err(|e| AuthError::Internal(format!("signing a {} failed: {e}", C::TYPE)))
    }

    /// Verifies a token's signature and claims at `now_unix` (seconds). Every failure is
    /// `InvalidToken(Invalid)`, except a well-signed token past its `exp` (`SessionExpired`).
    pub fn verify(&self, token: &str, now_unix: i64) -> Result<Arc<VerifiedToken>, AuthError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::InvalidToken(TokenProblem::Invalid));
        }
        let digest: [u8; 32] =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
                .as_ref()
                .try_into()
                .map_err(|_| AuthError::Internal("SHA-256 is 32 bytes".into()))?;
        let remembered = self.remembered().get(&digest).cloned();
        let token = match remembered {
            Some(token) => token,
            None => {
                let claims = self.decode(token)?;
                let key_hash = SecretHash::of(&claims.internal_token_key);
                let token = Arc::new(VerifiedToken { claims, key_hash });
                let mut verified = self.remembered();
                if verified.len() >= MAX_REMEMBERED {
                    verified.clear();
                }
                verified.insert(digest, Arc::clone(&token));
                token
            }
        };
        check_times(token.claims.iat, token.claims.exp, now_unix)?;
        Ok(token)
    }

    /// The checks that do not depend on time: header, key, signature and the fixed claims.
    fn decode(&self, token: &str) -> Result<SessionClaims, AuthError> {
        self.decode_claims(token)
    }

    /// Decodes a token of type `C`: HS256 with a known `kid`, `typ` `C::TYPE` in the header and
    /// the claims, this hub's `iss` and `aud`, no embedded keys. Time is the caller's to check.
    pub(crate) fn decode_claims<C: HubClaims>(&self, token: &str) -> Result<C, AuthError> {
        let invalid = || AuthError::InvalidToken(TokenProblem::Invalid);
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(invalid());
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if header.alg != Algorithm::HS256
            || header.typ.as_deref() != Some(C::TYPE)
            || header.jku.is_some()
            || header.jwk.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
        {
            return Err(invalid());
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or_else(invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        // Time and audience are checked against the hub's clock and here, not by the library.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<C>(token, key, &validation)
            .map_err(|_| invalid())?
            .claims;
        if !claims.is_ours(&self.issuer) {
            return Err(invalid());
        }
        Ok(claims)
    }

    /// The `typ` a token's header names, if it decodes at all (which verifier to use).
    pub fn token_type(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).ok()?.typ
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, MintedKeyMap<[u8; 32], Arc<VerifiedToken>>> {
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const NOW: i64 = 1_767_623_400;

    fn key(kid: &str, byte: char) -> SigningKey {
        SigningKey::new(kid, SecretString::from(byte.to_string().repeat(32))).expect("32 bytes")
    }

    fn claims() -> SessionClaims {
        SessionClaims {
            iss: String::new(),
            aud: String::new(),
            sub: "alice".into(),
            tenant_id: "1234567".into(),
            customer_id: "cus_1".into(),
            internal_token_key: "fhsk_key".into(),
            iat: NOW,
            exp: NOW + 43_200,
            typ: String::new(),
            cnf: None,
            amr: None,
            auth_time: None,
        }
    }

    fn tokens() -> SessionTokens {
        SessionTokens::new("http://hub.test", &key("k1", 'a'), &[key("k0", 'b')])
    }

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn is_invalid(result: &Result<Arc<VerifiedToken>, AuthError>) -> bool {
        matches!(result, Err(AuthError::InvalidToken(TokenProblem::Invalid)))
    }

    #[test]
    fn a_verified_token_carries_its_session_keys_hash_also_when_remembered() {
        let t = tokens();
        let token = t.sign(claims()).expect("sign");
        let expected = SecretHash::of(&claims().internal_token_key);
        let first = t.verify(token.expose_secret(), NOW).expect("valid");
        let again = t.verify(token.expose_secret(), NOW).expect("valid");
        assert!(first.key_hash == expected && again.key_hash == expected);
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second check is remembered"
        );
    }

    #[test]
    fn a_signed_token_verifies_until_its_exp() {
        let t = tokens();
        let token = t.sign(claims()).expect("sign");
        let token = token.expose_secret();
        let verified = t.verify(token, NOW).expect("valid");
        assert_eq!(verified.claims.iss, "http://hub.test");
        assert_eq!(verified.claims.aud, AUDIENCE);
        assert_eq!(verified.claims.typ, SESSION_TOKEN_TYPE);
        assert!(t.verify(token, NOW + 43_199).is_ok());
        assert!(matches!(
            t.verify(token, NOW + 43_200),
            Err(AuthError::InvalidToken(TokenProblem::SessionExpired))
        ));
    }

    #[test]
    fn a_remembered_token_still_gets_its_time_checks_and_a_refused_one_is_not_remembered() {
        let t = tokens();
        let token = t.sign(claims()).expect("sign");
        let token = token.expose_secret();
        assert!(
            t.verify(token, NOW).is_ok(),
            "verified once: now remembered"
        );
        assert!(matches!(
            t.verify(token, NOW + 43_200),
            Err(AuthError::InvalidToken(TokenProblem::SessionExpired))
        ));
        assert!(
            is_invalid(&t.verify(token, NOW - 61)),
            "issued in the future"
        );
        // A token with another signature is a different token, refused every time.
        let (unsigned, _) = token.rsplit_once('.').expect("three parts");
        let forged = format!("{unsigned}.{}", "A".repeat(43));
        for _ in 0..2 {
            assert!(is_invalid(&t.verify(&forged, NOW)));
        }
        assert_eq!(t.remembered().len(), 1, "only the good token is remembered");
    }

    #[test]
    fn tokens_signed_with_a_previous_key_still_verify_and_unknown_kids_do_not() {
        let old = SessionTokens::new("http://hub.test", &key("k0", 'b'), &[]);
        let token = old.sign(claims()).expect("sign");
        assert!(tokens().verify(token.expose_secret(), NOW).is_ok());
        let stranger = SessionTokens::new("http://hub.test", &key("k9", 'c'), &[]);
        let token = stranger.sign(claims()).expect("sign");
        assert!(is_invalid(&tokens().verify(token.expose_secret(), NOW)));
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let t = tokens();
        let token = t.sign(claims()).expect("sign").expose_secret().to_owned();
        let parts: Vec<&str> = token.split('.').collect();
        let header_ok = parts[0];
        let payload_ok = parts[1];
        let signature = parts[2];
        let payload_json =
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload_ok).expect("b64")).expect("utf8");

        let cases = [
            // alg none, in several spellings, with and without a signature.
            format!(
                "{}.{payload_ok}.",
                b64(r#"{"alg":"none","typ":"finhub-session+jwt","kid":"k1"}"#)
            ),
            format!(
                "{}.{payload_ok}.",
                b64(r#"{"alg":"NONE","typ":"finhub-session+jwt","kid":"k1"}"#)
            ),
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"nOnE","typ":"finhub-session+jwt","kid":"k1"}"#)
            ),
            // stripped signature, trailing dot kept, and no dot.
            format!("{header_ok}.{payload_ok}."),
            format!("{header_ok}.{payload_ok}"),
            // other algorithms (confusion).
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"HS512","typ":"finhub-session+jwt","kid":"k1"}"#)
            ),
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"RS256","typ":"finhub-session+jwt","kid":"k1"}"#)
            ),
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"ES256","typ":"finhub-session+jwt","kid":"k1"}"#)
            ),
            // wrong or missing typ, kid abuse, embedded keys.
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#)
            ),
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"HS256","kid":"k1"}"#)
            ),
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"HS256","typ":"finhub-session+jwt","kid":"../../dev/null"}"#)
            ),
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"HS256","typ":"finhub-session+jwt","kid":"k1","jku":"http://evil"}"#)
            ),
            // duplicate keys in the header.
            format!(
                "{}.{payload_ok}.{signature}",
                b64(r#"{"alg":"HS256","alg":"none","typ":"finhub-session+jwt","kid":"k1"}"#)
            ),
            // changed claims with the old signature.
            format!(
                "{header_ok}.{}.{signature}",
                b64(&payload_json.replace("1234567", "7654321"))
            ),
            format!(
                "{header_ok}.{}.{signature}",
                b64(&payload_json.replace("alice", "mallory"))
            ),
            // more or fewer segments, garbage, padding.
            format!("{token}.extra"),
            "a.b".to_owned(),
            "not a token".to_owned(),
            format!("{header_ok}=.{payload_ok}.{signature}"),
            String::new(),
            "x".repeat(MAX_TOKEN_BYTES + 1),
        ];
        for (idx, case) in cases.iter().enumerate() {
            assert!(
                is_invalid(&t.verify(case, NOW)),
                "case {idx} was accepted: {case}"
            );
        }
    }

    #[test]
    fn claims_with_wrong_types_or_values_are_refused_even_when_correctly_signed() {
        let t = tokens();
        let sign_raw = |payload: serde_json::Value| {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some(SESSION_TOKEN_TYPE.into());
            header.kid = Some("k1".into());
            jsonwebtoken::encode(
                &header,
                &payload,
                &EncodingKey::from_secret("a".repeat(32).as_bytes()),
            )
            .expect("encode")
        };
        let good = serde_json::json!({
            "iss": "http://hub.test", "aud": "finhub", "sub": "alice", "tenantId": "1234567",
            "customerId": "cus_1", "internalTokenKey": "k", "iat": NOW, "exp": NOW + 60,
            "typ": SESSION_TOKEN_TYPE,
        });
        assert!(t.verify(&sign_raw(good.clone()), NOW).is_ok());
        let variants: Vec<(&str, serde_json::Value)> = vec![
            ("exp", serde_json::json!((NOW + 60).to_string())),
            ("exp", serde_json::json!(1e30)),
            ("exp", serde_json::Value::Null),
            ("aud", serde_json::json!("other")),
            ("aud", serde_json::json!(["finhub", "other"])),
            ("iss", serde_json::json!("http://evil.test")),
            ("typ", serde_json::json!("refresh")),
            ("iat", serde_json::json!(NOW + 3_600)),
        ];
        for (field, value) in variants {
            let mut payload = good.clone();
            payload[field] = value.clone();
            assert!(
                is_invalid(&t.verify(&sign_raw(payload), NOW)),
                "{field} = {value}"
            );
        }
        let mut missing_exp = good.clone();
        missing_exp.as_object_mut().expect("object").remove("exp");
        assert!(is_invalid(&t.verify(&sign_raw(missing_exp), NOW)));
        let mut extra = good;
        extra["admin"] = serde_json::json!(true);
        assert!(is_invalid(&t.verify(&sign_raw(extra), NOW)));
    }

    #[test]
    fn debug_output_never_shows_keys_or_the_session_key() {
        assert!(!format!("{:?}", key("k1", 'z')).contains("zzzz"));
        assert!(!format!("{:?}", claims()).contains("fhsk_key"));
        assert!(!format!("{:?}", tokens()).contains("aaaa"));
    }
}
