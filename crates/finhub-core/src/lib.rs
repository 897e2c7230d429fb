//! FinHub's domain: tenants, customers, users, sessions, refresh-token families, the policies
//! that govern them, and the traits storage implements. No HTTP and no SQL here.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod cert;
pub mod crypto;
pub mod enrollment_token;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod ids;
pub mod mfa;
pub mod minted_keys;
pub mod model;
pub mod net;
pub mod password;
pub mod policy;
pub mod scope;
pub mod secret;
pub mod session_token;
pub mod shared_limits;
pub mod sign_in_token;
pub mod store;
pub mod upstream_credentials;
pub mod uri;
