//! [`BearerSource`]: bearer tokens that something beside the client keeps fresh — a FinHub
//! session renewed by `finhub-client`, say — asked for before each request and told when one is
//! refused.

use std::fmt;

use secrecy::SecretString;

use crate::error::FinraError;

/// Where a client's bearer tokens come from when another component owns them ([`Auth::Source`]).
///
/// [`Auth::Source`]: crate::Auth::Source
#[async_trait::async_trait]
pub trait BearerSource: Send + Sync + fmt::Debug {
    /// The token for the next request, renewed first when it needs to be.
    async fn bearer(&self) -> Result<SecretString, FinraError>;

    /// The server answered `401` to `token`. Returns whether asking [`bearer`](Self::bearer)
    /// again can help (the source has a way to renew it); the client then retries once.
    async fn refused(&self, token: &SecretString) -> bool;
}
