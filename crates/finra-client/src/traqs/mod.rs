//! TRAQS reference-data files (TRACE, ADF, ORF, TRF) with the access token a person's refresh
//! token buys: [`TraqsClient`] keeps the refresh token, exchanges it for access tokens (cached,
//! renewed at 10 % of their life and once after a 401, one exchange at a time however many
//! downloads wait) and streams files with their header row checked. [`TraqsSignIn`] is the
//! person's side: password, authenticator code, a new refresh token.
//!
//! Only `DownloadHandler.ashx?action=DOWNLOAD&facility=F&file=NAME` is FINRA's published
//! interface. The token exchange, the sign-in and `action=LIST` follow the emulator's own
//! definitions (FINRA has not published them), so their paths are settings
//! ([`TraqsPaths`]).

mod access;
mod client;
mod download;
mod sign_in;

pub use client::{TraqsClient, TraqsClientBuilder};
pub use download::TraqsDownload;
pub use sign_in::{MintedRefreshToken, TraqsSignIn};

/// A TRAQS environment: separate hosts, users, enrolments and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraqsEnvironment {
    /// Production, `https://apidownload.finratraqs.org`.
    #[default]
    Production,
    /// The NASDAQ Testing Facility, `https://apidownload-ntf.finratraqs.org`.
    Ntf,
}

impl TraqsEnvironment {
    /// `production` or `ntf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Ntf => "ntf",
        }
    }

    /// The download host's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Production => "https://apidownload.finratraqs.org",
            Self::Ntf => "https://apidownload-ntf.finratraqs.org",
        }
    }
}

impl std::str::FromStr for TraqsEnvironment {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "production" | "prod" => Ok(Self::Production),
            "ntf" => Ok(Self::Ntf),
            other => Err(format!(
                "unknown TRAQS environment {other:?}: expected production or ntf"
            )),
        }
    }
}

/// Paths under the base URL that FINRA has not published; the defaults are the emulator's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraqsPaths {
    /// The download handler (FINRA's): `/DownloadHandler.ashx`.
    pub download: String,
    /// The access-token exchange: `/traqs/oauth2/token`.
    pub token: String,
    /// Sign-in step one: `/traqs/api/login`.
    pub login: String,
    /// Sign-in step two: `/traqs/api/login/verify`.
    pub verify: String,
    /// Refresh tokens of the signed-in user: `/traqs/api/refresh-tokens`.
    pub refresh_tokens: String,
}

impl Default for TraqsPaths {
    fn default() -> Self {
        Self {
            download: "/DownloadHandler.ashx".into(),
            token: "/traqs/oauth2/token".into(),
            login: "/traqs/api/login".into(),
            verify: "/traqs/api/login/verify".into(),
            refresh_tokens: "/traqs/api/refresh-tokens".into(),
        }
    }
}

/// A refused TRAQS answer as an error: TRAQS explains itself in plain text (kept short).
fn refusal(status: u16, body: &[u8]) -> crate::FinraError {
    use crate::FinraError;
    let message: String = String::from_utf8_lossy(body).chars().take(200).collect();
    match status {
        401 => FinraError::Unauthorized { message },
        403 => FinraError::NotEntitled { message },
        404 => FinraError::NotFound { message },
        500..=599 => FinraError::Server { status, message },
        other => FinraError::BadRequest {
            status: other,
            message,
        },
    }
}
