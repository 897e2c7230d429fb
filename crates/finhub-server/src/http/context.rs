//! What a request says about itself: the peer address, the client address policies use
//! (`X-Forwarded-For` believed only from a trusted proxy), the recorded headers, the request id,
//! the bearer token, and what the TLS layer found (the client certificate's validation result,
//! from the extension `serve_tls` puts on every request). Header values are data here, never
//! instructions.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use finhub_core::auth::RequestContext;
use finhub_core::cert::ClientCertificate;
use finhub_core::net::client_address;

use super::error::ApiError;
use crate::state::AppState;
use crate::tls::TlsConnectionInfo;

/// The id of one request, set by the request-id middleware.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) Arc<str>);

/// `sec-ch-ua-platform` (lower-case, as `HeaderName` wants it).
pub(crate) const PLATFORM: HeaderName = HeaderName::from_static("sec-ch-ua-platform");
/// `X-Tenant-ID`.
pub(crate) const TENANT_ID: HeaderName = HeaderName::from_static("x-tenant-id");
/// `X-Forwarded-For`.
pub(crate) const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The facts of a request every endpoint needs, read leniently: repeated recorded headers are
/// joined, values that are not text are recorded lossily. Endpoints with stricter rules (the
/// login's required headers) check them on top of this.
#[derive(Debug)]
pub(crate) struct RequestFacts {
    /// For the authentication service and the audit log.
    pub(crate) context: RequestContext,
}

impl FromRequestParts<AppState> for RequestFacts {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Internal("the connection's peer address is unknown"))?;
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.to_string())
            .ok_or(ApiError::Internal("the request has no request id"))?;
        let headers = &parts.headers;
        let forwarded_for = joined(headers, &FORWARDED_FOR);
        let client_addr = client_address(
            peer.ip(),
            forwarded_for.as_deref(),
            &state.http.trusted_proxies,
        );
        let context = RequestContext {
            request_id,
            peer_addr: peer.ip(),
            client_addr,
            forwarded_for,
            user_agent: joined(headers, &header::USER_AGENT),
            platform: joined(headers, &PLATFORM),
            tenant_header: joined(headers, &TENANT_ID),
            // Requests that did not come through `serve_tls` carry no TLS facts (plain HTTP,
            // in-process calls): no certificate policy applies to them.
            client_certificate: parts
                .extensions
                .get::<TlsConnectionInfo>()
                .map_or(ClientCertificate::NoTls, |tls| {
                    tls.client_certificate.clone()
                }),
        };
        Ok(Self { context })
    }
}

/// Every value of a header, joined with `, ` (a list header's meaning), lossily decoded.
fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    let mut text = String::from_utf8_lossy(values.next()?.as_bytes()).into_owned();
    for value in values {
        text.push_str(", ");
        text.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
    Some(text)
}

/// The value of a header that may appear at most once: `Ok(None)` when absent, 400 when
/// repeated or not visible ASCII.
pub(crate) fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    display: &'static str,
) -> Result<Option<&'a str>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::DuplicateHeader(display));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| ApiError::InvalidHeader {
            name: display,
            reason: "the value must be visible ASCII",
        })
}

/// A header the endpoint requires: present once, not blank, visible ASCII.
pub(crate) fn required_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    display: &'static str,
) -> Result<&'a str, ApiError> {
    match single_header(headers, name, display)? {
        Some(value) if !value.trim().is_empty() => Ok(value),
        Some(_) | None => Err(ApiError::MissingHeader(display)),
    }
}

/// The session token of `Authorization: Bearer <token>` (scheme case-insensitive). `None` when
/// there is no `Authorization` header or it names another scheme; 400 when the header is
/// repeated. A token in the query string is never read.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    Ok(single_header(headers, &header::AUTHORIZATION, "Authorization")?.and_then(bearer_of))
}

/// The token of an `Authorization` value whose scheme is Bearer (any case).
fn bearer_of(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start_matches(' '))
}

/// `X-Tenant-ID` on the session endpoints: optional, but at most once (the service compares it
/// with the session's tenant).
fn check_tenant_header(headers: &HeaderMap) -> Result<(), ApiError> {
    single_header(headers, &TENANT_ID, "X-Tenant-ID").map(|_| ())
}

/// What every session call presents, checked the same way for all of them: `X-Tenant-ID` at
/// most once, and the session token of `Authorization: Bearer` (if any), which the
/// authentication service then checks. It keeps the header's value (shared, not copied) and
/// `Debug` never shows the token.
pub(crate) struct SessionToken(Option<HeaderValue>);

impl SessionToken {
    /// The token as sent, if one was.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_ref()?.to_str().ok().and_then(bearer_of)
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = if self.0.is_some() {
            "[redacted]"
        } else {
            "none"
        };
        f.debug_tuple("SessionToken").field(&shown).finish()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        check_tenant_header(&parts.headers)?;
        let value = bearer_token(&parts.headers)?
            .and_then(|_| parts.headers.get(header::AUTHORIZATION).cloned());
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_authorization(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_other_schemes_are_no_token() {
        let token = |values: &[&'static str]| {
            bearer_token(&with_authorization(values)).map(|t| t.map(str::to_owned))
        };
        assert_eq!(token(&["Bearer abc"]).ok(), Some(Some("abc".to_owned())));
        assert_eq!(token(&["bearer abc"]).ok(), Some(Some("abc".to_owned())));
        assert_eq!(token(&["BEARER  abc"]).ok(), Some(Some("abc".to_owned())));
        assert_eq!(token(&["Bearer"]).ok(), Some(Some(String::new())));
        assert_eq!(token(&["Basic YTpi"]).ok(), Some(None));
        assert_eq!(token(&[]).ok(), Some(None));
        assert!(matches!(
            token(&["Bearer a", "Bearer b"]),
            Err(ApiError::DuplicateHeader("Authorization"))
        ));
    }
}
