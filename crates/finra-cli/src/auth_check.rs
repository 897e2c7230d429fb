//! `finra auth check`: mints a token from the configured credentials and shows that it worked:
//! token type, lifetime, expiry and a preview ([`AccessToken::preview`]), never the token.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use finra_client::{AccessToken, Credentials, FinraError, RetryPolicy};

use crate::settings::{BEARER_TOKEN_VAR, GlobalArgs, bearer_token};

pub(crate) async fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let token_url = global.token_url();
    let credentials = match Credentials::from_env() {
        Ok(credentials) => credentials,
        Err(error) => {
            if bearer_token().is_some() {
                return check_bearer(global).await;
            }
            let why = match error {
                FinraError::Config(message) => message,
                other => other.to_string(),
            };
            bail!(
                "{why}. Set FINRA_API_KEY and FINRA_API_SECRET in the environment or in a .env \
                 file here; `finra auth doctor` explains"
            );
        }
    };
    let source = credentials.source().to_string();
    let client = global
        .builder()?
        .auth(finra_client::Auth::ClientCredentials(credentials))
        .retry(RetryPolicy::none())
        .build()?;
    let manager = client
        .token_manager()
        .context("the client has no token manager")?;
    let token = manager
        .mint_now()
        .await
        .with_context(|| format!("no token from {token_url}"))?;
    let mut report = String::new();
    report.push_str(&format!("✓ token minted by {token_url}\n"));
    report.push_str(&format!("  credentials:  {source}\n"));
    describe_token(&mut report, &token);
    std::io::stdout().lock().write_all(report.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The lines describing a token, without the token.
pub(crate) fn describe_token(report: &mut String, token: &AccessToken) {
    report.push_str(&format!(
        "  token type:   {}\n",
        token.token_type().unwrap_or("(not given)")
    ));
    let expires_at = token.expires_at_utc();
    let expires = expires_at
        .replace_nanosecond(0)
        .unwrap_or(expires_at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "?".to_owned());
    report.push_str(&format!(
        "  lifetime:     {} (expires {expires})\n",
        human_duration(token.lifetime().as_secs())
    ));
    report.push_str(&format!("  preview:      {}\n", token.preview()));
}

/// `43200 s (12 h)`.
pub(crate) fn human_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3_600, secs / 60 % 60, secs % 60);
    let human = match (h, m, s) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, 0) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    };
    if secs < 60 {
        human
    } else {
        format!("{secs} s ({human})")
    }
}

/// Without credentials but with `FINRA_BEARER_TOKEN`: one data call with that token.
async fn check_bearer(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let token = bearer_token().unwrap_or_default();
    let client = global
        .builder()?
        .auth(finra_client::Auth::bearer(token))
        .retry(RetryPolicy::none())
        .build()?;
    let datasets = client
        .datasets()
        .await
        .with_context(|| format!("{BEARER_TOKEN_VAR} was refused by {}", global.api_base()))?;
    std::io::stdout().lock().write_all(
        format!(
            "✓ {BEARER_TOKEN_VAR} not refused by {}: the catalogue call listed {} datasets\n  \
             (no credentials to mint with, so the token is used as given; FINRA answers public \
             calls even for unknown tokens, so only an entitled dataset proves more)\n",
            global.api_base(),
            datasets.len()
        )
        .as_bytes(),
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(43_200), "43200 s (12 h)");
        assert_eq!(human_duration(43_170), "43170 s (11 h 59 min)");
        assert_eq!(human_duration(600), "600 s (10 min)");
    }
}
