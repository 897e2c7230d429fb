//! In-process requests and whole answers, for every test binary: a [`Call`] to build, sent
//! through a router with the peer address as `MockConnectInfo`, and a [`Reply`] read completely
//! (from the router or from a real listener), with the checks every error answer must pass.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use finhub_server::http::App;
use serde_json::Value;
use tower::ServiceExt;

/// The default peer address of in-process requests.
pub(crate) const PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Sends a request to a router.
pub(crate) async fn send(router: &App, call: Call) -> Reply {
    send_request(router, call.into_request()).await
}

/// Sends a prepared request to a router and reads the whole answer.
pub(crate) async fn send_request(router: &App, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("read the body");
    Reply {
        status,
        headers,
        body: body.to_vec(),
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Vec<u8>,
    peer: IpAddr,
}

impl Call {
    pub(crate) fn new(method: Method, uri: &str) -> Self {
        Self {
            method,
            uri: uri.to_owned(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            peer: PEER,
        }
    }

    /// Adds a header value (a second value of the same name makes it a duplicate).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("header name");
        let value = HeaderValue::from_bytes(value.as_bytes()).expect("header value");
        self.headers.append(name, value);
        self
    }

    /// Replaces every value of a header.
    pub(crate) fn set(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("header name");
        let value = HeaderValue::from_bytes(value.as_bytes()).expect("header value");
        self.headers.insert(name, value);
        self
    }

    pub(crate) fn without(mut self, name: &str) -> Self {
        self.headers.remove(name);
        self
    }

    pub(crate) fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub(crate) fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub(crate) fn peer(mut self, peer: &str) -> Self {
        self.peer = peer.parse().expect("peer address");
        self
    }

    /// The request, with the peer address as `MockConnectInfo`.
    pub(crate) fn into_request(self) -> Request<Body> {
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.uri)
            .body(Body::from(self.body))
            .expect("a valid request");
        *request.headers_mut() = self.headers;
        request
            .extensions_mut()
            .insert(MockConnectInfo(SocketAddr::new(self.peer, 40_000)));
        request
    }
}

/// An answer, read completely.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// An answer that came over a real connection.
    pub(crate) async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("read the body").to_vec();
        Self {
            status,
            headers,
            body,
        }
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 200 (with the body in the message otherwise).
    #[track_caller]
    pub(crate) fn assert_ok(&self) {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text());
    }

    /// The `error` code of an envelope, after checking the envelope's shape.
    #[track_caller]
    pub(crate) fn error(&self) -> String {
        let body = self.json();
        assert_envelope(self, &body);
        body["error"].as_str().unwrap_or_default().to_owned()
    }

    pub(crate) fn description(&self) -> String {
        self.json()["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Asserts the hub's own error envelope with this status and code.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.error().as_str()),
            (status, code),
            "{}",
            self.text()
        );
    }

    /// The tokens of a 200 token response.
    #[track_caller]
    pub(crate) fn tokens(&self) -> Tokens {
        self.assert_ok();
        let body = self.json();
        Tokens {
            session: body["userSessionToken"].as_str().expect("token").to_owned(),
            refresh: body["refreshToken"].as_str().expect("token").to_owned(),
        }
    }

    /// The body with the request id removed, for comparing two answers.
    pub(crate) fn body_without_request_id(&self) -> Value {
        let mut body = self.json();
        if let Some(object) = body.as_object_mut() {
            object.remove("requestId");
        }
        body
    }
}

/// The shape every error answer of the hub has: exactly the three envelope fields (and the
/// enrolment token of `mfa_enrollment_required`), all strings, the request id equal to
/// `X-Request-Id`, JSON, and never a 500.
#[track_caller]
pub(crate) fn assert_envelope(reply: &Reply, body: &Value) {
    let object = body.as_object().expect("an error body is a JSON object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if body["error"] == "mfa_enrollment_required" {
        assert_eq!(
            keys,
            ["enrollmentToken", "error", "error_description", "requestId"],
            "{body}"
        );
    } else {
        assert_eq!(keys, ["error", "error_description", "requestId"], "{body}");
    }
    assert!(object.values().all(Value::is_string), "{body}");
    assert_eq!(body["requestId"].as_str(), reply.header("x-request-id"));
    assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

/// The pair a login returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tokens {
    pub(crate) session: String,
    pub(crate) refresh: String,
}
