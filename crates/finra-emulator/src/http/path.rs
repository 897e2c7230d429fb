//! A path extractor whose rejection (e.g. a segment that is not UTF-8) is FINRA's JSON 400.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::RequestId;
use super::error::{ApiError, Rejection};

/// Like axum's `Path`, answering malformed paths in FINRA's error shape.
#[derive(Debug)]
pub(crate) struct FinraPath<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for FinraPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(Rejection {
                error: ApiError::bad_request(format!(
                    "Invalid request path: {}",
                    rejection.body_text()
                )),
                request_id: parts
                    .extensions
                    .get::<RequestId>()
                    .cloned()
                    .unwrap_or_else(RequestId::new),
            }),
        }
    }
}
