//! The person's side of TRAQS (the emulator's definition of it): password, then the code of an
//! authenticator app, then a new refresh token. Nothing here is stored; the caller decides.

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::FinraError;

use super::{TraqsEnvironment, TraqsPaths};

/// Signs a person in to TRAQS and mints a refresh token.
#[derive(Debug, Clone)]
pub struct TraqsSignIn {
    base: Url,
    paths: TraqsPaths,
    http: reqwest::Client,
}

/// A refresh token just minted, and its end.
#[derive(Debug)]
pub struct MintedRefreshToken {
    /// The token (shown once by TRAQS).
    pub token: SecretString,
    /// When it ends.
    pub expires_at: OffsetDateTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateAnswer {
    state_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionAnswer {
    session_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MintAnswer {
    refresh_token: String,
    expires_at: String,
}

impl TraqsSignIn {
    /// Sign-in at `base_url` (default: the environment's host) with these paths.
    pub fn new(
        environment: TraqsEnvironment,
        base_url: Option<&str>,
        paths: TraqsPaths,
        http: reqwest::Client,
    ) -> Result<Self, FinraError> {
        let text = base_url.unwrap_or(environment.base_url());
        let base = Url::parse(text)
            .map_err(|e| FinraError::Config(format!("bad TRAQS base URL {text:?}: {e}")))?;
        Ok(Self { base, paths, http })
    }

    async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
        bearer: Option<&SecretString>,
    ) -> Result<Vec<u8>, FinraError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| FinraError::Config(format!("bad TRAQS path {path:?}: {e}")))?;
        let mut request = self.http.post(url).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request
            .send()
            .await
            .map_err(|e| FinraError::from_reqwest(e, "the TRAQS sign-in"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| FinraError::from_reqwest(e, "the TRAQS sign-in"))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(super::refusal(status.as_u16(), &bytes))
    }

    fn decode<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, FinraError> {
        serde_json::from_slice(body).map_err(|_| FinraError::Decode {
            what: what.to_owned(),
            excerpt: "(withheld: it may hold a token)".into(),
        })
    }

    /// Signs in with a password, then the authenticator's code: the web session.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &SecretString,
        code: &SecretString,
    ) -> Result<SecretString, FinraError> {
        let body = self
            .post(
                &self.paths.login,
                &json!({"username": username, "password": password.expose_secret()}),
                None,
            )
            .await?;
        let state: StateAnswer = Self::decode("the TRAQS sign-in answer", &body)?;
        let body = self
            .post(
                &self.paths.verify,
                &json!({"stateToken": state.state_token, "passCode": code.expose_secret()}),
                None,
            )
            .await?;
        let session: SessionAnswer = Self::decode("the TRAQS verification answer", &body)?;
        Ok(SecretString::from(session.session_token))
    }

    /// Mints a refresh token in the signed-in session.
    pub async fn mint_refresh_token(
        &self,
        session: &SecretString,
    ) -> Result<MintedRefreshToken, FinraError> {
        let body = self
            .post(&self.paths.refresh_tokens, &json!({}), Some(session))
            .await?;
        let minted: MintAnswer = Self::decode("the minted refresh token", &body)?;
        let expires_at = OffsetDateTime::parse(&minted.expires_at, &Rfc3339).map_err(|_| {
            FinraError::Decode {
                what: "the refresh token's expiry".into(),
                excerpt: minted.expires_at.chars().take(40).collect(),
            }
        })?;
        Ok(MintedRefreshToken {
            token: SecretString::from(minted.refresh_token),
            expires_at,
        })
    }
}
