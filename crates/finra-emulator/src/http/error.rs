//! FINRA's error answers: the Query API's documented JSON error body and its statuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::RequestId;

/// An error the Query API answers with, in FINRA's `{"statusCode", "statusDescription",
/// "requestId", "message"}` shape.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) retry_after_secs: Option<u64>,
    pub(crate) data_request: Option<serde_json::Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after_secs: None,
            data_request: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    pub(crate) fn too_many_requests(retry_after: std::time::Duration) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
        error.retry_after_secs = Some(retry_after.as_secs_f64().ceil().max(1.0) as u64);
        error
    }

    /// Adds the `dataRequest` echo FINRA includes in 400s about a data request.
    pub(crate) fn with_data_request(mut self, data_request: serde_json::Value) -> Self {
        self.data_request = Some(data_request);
        self
    }

    pub(crate) fn into_response_with_id(self, request_id: &RequestId) -> Response {
        let mut body = json!({
            "statusCode": self.status.as_u16(),
            "statusDescription": self.status.canonical_reason().unwrap_or("Error"),
            "requestId": request_id.as_str(),
            "message": self.message,
        });
        if let Some(data_request) = self.data_request {
            body["dataRequest"] = data_request;
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

/// Handlers return `Result<Response, Rejection>`: the request id travels with the error so the
/// body and the `FINRA-api-request-id` header agree.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub(crate) error: ApiError,
    pub(crate) request_id: RequestId,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.error.into_response_with_id(&self.request_id)
    }
}
