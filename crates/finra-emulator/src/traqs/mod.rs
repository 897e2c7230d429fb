//! TRAQS, FINRA's reference-data download service (TRACE, ADF, ORF, TRF files), as one
//! environment (production or NTF) of it: users who sign in with password and TOTP code and mint
//! refresh tokens, the exchange of a refresh token for an access token, and the files. Only
//! `DownloadHandler.ashx` and its parameters are FINRA's published interface; the sign-in API,
//! its pages, the token exchange and `action=LIST` are this emulator's own definitions.

mod accounts;
mod config;
pub mod files;

pub(crate) use accounts::{Accounts, RefreshTokenInfo, TraqsRefusal};
pub use config::{TraqsConfig, TraqsEnvironment, TraqsUser};
