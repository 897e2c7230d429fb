//! The browser as the portal knows it: its cookie `__Host-finhub_portal`, which holds only an
//! opaque value — an anonymous id before sign-in, the portal session's internal key after — and
//! the CSRF token every form carries, derived from that value (a page of another site cannot
//! read the cookie, so it cannot make the token; a token from another browser or from before
//! sign-in does not match).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use finhub_core::secret::{SESSION_KEY_PREFIX, SecretHash, random_base64url};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::error::PortalError;
use crate::state::AppState;

/// The cookie's name: `__Host-` binds it to this origin, path `/`, over a secure context.
pub(crate) const COOKIE: &str = "__Host-finhub_portal";
/// What anonymous ids start with.
const ANONYMOUS_PREFIX: &str = "anon_";
/// The longest cookie value read (anything longer is no cookie of ours).
const MAX_VALUE: usize = 128;

/// The browser's cookie value, and whether the response must set it (it was just made).
pub(crate) struct Browser {
    value: SecretString,
    fresh: bool,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// A browser with a new anonymous id (to be set by the response).
    pub(crate) fn anonymous() -> Self {
        Self {
            value: SecretString::from(format!("{ANONYMOUS_PREFIX}{}", random_base64url(32))),
            fresh: true,
        }
    }

    /// A browser just signed in: its cookie (to be set) holds the portal session's key.
    pub(crate) fn signed_in(key: &str) -> Self {
        Self {
            value: SecretString::from(key.to_owned()),
            fresh: true,
        }
    }

    /// A browser whose cookie is not known here: its pages set none.
    pub(crate) fn unknown() -> Self {
        Self {
            fresh: false,
            ..Self::anonymous()
        }
    }

    /// The cookie value (the sign-in token is bound to it).
    pub(crate) fn value(&self) -> &str {
        self.value.expose_secret()
    }

    /// The portal session key, when the cookie holds one.
    pub(crate) fn session_key(&self) -> Option<&str> {
        let value = self.value();
        value.starts_with(SESSION_KEY_PREFIX).then_some(value)
    }

    /// The CSRF token of this browser's forms.
    pub(crate) fn csrf_token(&self) -> String {
        csrf_of(self.value())
    }

    /// Whether a form's token is this browser's (constant time).
    pub(crate) fn check_csrf(&self, sent: Option<&str>) -> Result<(), PortalError> {
        let expected = self.csrf_token();
        match sent {
            Some(sent) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
            _ => Err(PortalError::Csrf),
        }
    }

    /// The `Set-Cookie` this browser needs, if its cookie was just made.
    pub(crate) fn set_cookie(&self) -> Option<HeaderValue> {
        self.fresh.then(|| cookie_header(self.value()))
    }
}

/// The CSRF token of forms shown with cookie `value`.
fn csrf_of(value: &str) -> String {
    SecretHash::of(&format!("finhub-portal-csrf:{value}"))
        .as_str()
        .to_owned()
}

/// `Set-Cookie` for `value`: host-only, every path, HTTPS-only (browsers accept it from
/// loopback HTTP too), not readable by scripts, never sent by other sites' requests.
pub(crate) fn cookie_header(value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("__Host-finhub_portal=; Path=/; Secure"))
}

/// The cookie value sent, when there is exactly one well-formed value of ours.
fn sent_value(headers: &HeaderMap) -> Option<String> {
    let mut found = None;
    for header in headers.get_all(header::COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else {
                continue;
            };
            if name != COOKIE {
                continue;
            }
            let ours = value.len() <= MAX_VALUE
                && (value.starts_with(ANONYMOUS_PREFIX) || value.starts_with(SESSION_KEY_PREFIX))
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ours || found.is_some() {
                return None;
            }
            found = Some(value.to_owned());
        }
    }
    found
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, PortalError> {
        Ok(match sent_value(&parts.headers) {
            Some(value) => Self {
                value: SecretString::from(value),
                fresh: false,
            },
            None => Self::anonymous(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for cookie in cookies {
            map.append(
                header::COOKIE,
                HeaderValue::from_str(cookie).expect("a header value"),
            );
        }
        map
    }

    #[test]
    fn only_one_well_formed_value_of_ours_is_read() {
        let ok = "anon_abcDEF012-_";
        assert_eq!(
            sent_value(&headers(&[&format!("a=b; {COOKIE}={ok}")])).as_deref(),
            Some(ok)
        );
        assert_eq!(sent_value(&headers(&["a=b"])), None);
        assert_eq!(sent_value(&headers(&[&format!("{COOKIE}=other_x")])), None);
        assert_eq!(sent_value(&headers(&[&format!("{COOKIE}=anon_a b")])), None);
        let long = format!("{COOKIE}=anon_{}", "a".repeat(200));
        assert_eq!(sent_value(&headers(&[&long])), None);
        // Two values (a cookie planted beside ours): neither is believed.
        let twice = format!("{COOKIE}=anon_a; {COOKIE}=anon_b");
        assert_eq!(sent_value(&headers(&[&twice])), None);
        let split = [format!("{COOKIE}=anon_a"), format!("{COOKIE}=anon_b")];
        assert_eq!(sent_value(&headers(&[&split[0], &split[1]])), None);
    }

    #[test]
    fn csrf_tokens_belong_to_one_cookie_value() {
        let browser = Browser::anonymous();
        let other = Browser::anonymous();
        assert!(browser.check_csrf(Some(&browser.csrf_token())).is_ok());
        assert!(browser.check_csrf(Some(&other.csrf_token())).is_err());
        assert!(browser.check_csrf(None).is_err());
        assert!(browser.check_csrf(Some("")).is_err());
        assert!(format!("{browser:?}").contains("fresh"));
        assert!(!format!("{browser:?}").contains(browser.value()));
    }
}
