//! The second factor: TOTP codes and secrets (`totp`), recovery codes (`recovery`), the tenant's
//! policy and the failure back-off (`policy`). Pure rules over the hub's clock; the services that
//! apply them live in `crate::auth`.

pub mod policy;
pub mod recovery;
pub mod totp;

pub use policy::MfaPolicy;
pub use recovery::RecoveryCode;
pub use totp::{TotpCode, TotpSecret};
