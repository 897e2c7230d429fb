//! Entry point for the fuzz targets (feature `fuzzing`): any text presented as a session token,
//! verified by a hub with a current and a previous key. Whatever it is, the answer is claims or
//! a refusal, never a panic.

use std::sync::LazyLock;

use secrecy::SecretString;

use crate::session_token::{SessionTokens, SigningKey};

static TOKENS: LazyLock<SessionTokens> = LazyLock::new(|| {
    let key = |kid: &str, secret: &str| {
        SigningKey::new(kid, SecretString::from(secret.to_owned())).expect("a valid key")
    };
    SessionTokens::new(
        "https://hub.fuzz",
        &key("k2", "fuzzing-current-key-0123456789abcdef"),
        &[key("k1", "fuzzing-previous-key-0123456789abcdef")],
    )
});

/// The moment the targets verify at (2026-01-05 14:30:00 UTC).
pub const NOW_UNIX: i64 = 1_767_623_400;

/// Verifies `data` (as text) as a session token.
pub fn session_token(data: &[u8]) {
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = TOKENS.verify(token, NOW_UNIX);
    }
}

/// A token [`session_token`] accepts (signed with the current key, valid at [`NOW_UNIX`]), for
/// the seed corpus.
pub fn valid_token() -> String {
    use secrecy::ExposeSecret;
    let claims = crate::session_token::SessionClaims {
        iss: "https://hub.fuzz".into(),
        aud: crate::session_token::AUDIENCE.into(),
        sub: "alice".into(),
        tenant_id: "1234567".into(),
        customer_id: "cus_fuzz".into(),
        internal_token_key: "key-of-the-session".into(),
        iat: NOW_UNIX - 60,
        exp: NOW_UNIX + 3_600,
        typ: crate::session_token::SESSION_TOKEN_TYPE.into(),
        cnf: None,
        amr: None,
        auth_time: None,
    };
    TOKENS
        .sign(claims)
        .map(|token| token.expose_secret().to_owned())
        .unwrap_or_default()
}
