//! `finhub admin traqs …`: a tenant's TRAQS credential per environment (the refresh token a
//! person minted, read from a prompt or stdin, sealed, never printed back).

use std::io::Write;

use clap::{Subcommand, ValueEnum};
use finhub_core::admin::{Administration, Administrator, NewTraqsCredential};
use finhub_core::model::TraqsEnvironment;
use finra_client::traqs::{TraqsPaths, TraqsSignIn};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::secrets_input::read_secret;
use super::tenant_id;
use crate::upstream::client_environment;

/// A TRAQS environment on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnvironmentArg {
    /// Production.
    Production,
    /// The NASDAQ Testing Facility.
    Ntf,
}

impl From<EnvironmentArg> for TraqsEnvironment {
    fn from(arg: EnvironmentArg) -> Self {
        match arg {
            EnvironmentArg::Production => Self::Production,
            EnvironmentArg::Ntf => Self::Ntf,
        }
    }
}

/// TRAQS credential commands.
#[derive(Debug, Subcommand)]
pub enum TraqsCommand {
    /// Sets (or replaces) the tenant's TRAQS credential for an environment; the refresh token
    /// is read from a prompt or stdin.
    Set {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The TRAQS environment.
        #[arg(long, value_enum, default_value = "production")]
        environment: EnvironmentArg,
        /// The TRAQS username (an e-mail address) the token belongs to.
        #[arg(long)]
        username: String,
        /// When the refresh token ends (RFC 3339), if known.
        #[arg(long, value_parser = parse_time)]
        expires_at: Option<OffsetDateTime>,
        /// The TRAQS host's base URL (default: the environment's), e.g. an emulator's.
        #[arg(long, value_name = "URL", value_parser = parse_base_url)]
        base_url: Option<String>,
    },
    /// Signs in to TRAQS as the user (password, then the authenticator's code, from prompts or
    /// stdin), mints a refresh token and sets it as the tenant's credential with its expiry.
    Login {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The TRAQS environment.
        #[arg(long, value_enum, default_value = "production")]
        environment: EnvironmentArg,
        /// The TRAQS username (an e-mail address).
        #[arg(long)]
        username: String,
        /// The TRAQS host's base URL (default: the environment's), e.g. an emulator's; kept
        /// with the credential.
        #[arg(long, value_name = "URL", value_parser = parse_base_url)]
        base_url: Option<String>,
    },
    /// Shows the tenant's TRAQS credentials: username and expiry (never the token).
    Status {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
}

fn parse_base_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => {
            Ok(text.to_owned())
        }
        Ok(_) => Err("expected an https:// (or http://) URL with a host".to_owned()),
        Err(error) => Err(format!("not a URL: {error}")),
    }
}

fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("expected an RFC 3339 time such as 2027-03-01T00:00:00Z: {e}"))
}

pub(super) async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: TraqsCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        TraqsCommand::Set {
            tenant,
            environment,
            username,
            expires_at,
            base_url,
        } => {
            let environment = TraqsEnvironment::from(environment);
            let refresh_token = read_secret(&format!("TRAQS refresh token for {username}: "))?;
            domain
                .set_traqs_credential(
                    admin,
                    &tenant_id(&tenant)?,
                    &NewTraqsCredential {
                        environment,
                        username: username.clone(),
                        refresh_token,
                        expires_at,
                        base_url,
                    },
                )
                .await?;
            writeln!(
                out,
                "tenant {tenant}: TRAQS credential for {} set ({username}; token sealed)",
                environment.as_str()
            )?;
        }
        TraqsCommand::Login {
            tenant,
            environment,
            username,
            base_url,
        } => {
            let tenant_id = tenant_id(&tenant)?;
            let environment = TraqsEnvironment::from(environment);
            let sign_in = TraqsSignIn::new(
                client_environment(environment),
                base_url.as_deref(),
                TraqsPaths::default(),
                reqwest::Client::new(),
            )?;
            let password = read_secret(&format!("TRAQS password for {username}: "))?;
            let code = read_secret("Code from the authenticator app: ")?;
            let session = sign_in.sign_in(&username, &password, &code).await?;
            let minted = sign_in.mint_refresh_token(&session).await?;
            let expires_at = minted.expires_at;
            domain
                .set_traqs_credential(
                    admin,
                    &tenant_id,
                    &NewTraqsCredential {
                        environment,
                        username: username.clone(),
                        refresh_token: minted.token,
                        expires_at: Some(expires_at),
                        base_url,
                    },
                )
                .await?;
            writeln!(
                out,
                "tenant {tenant}: TRAQS credential for {} minted and set ({username}; expires {})",
                environment.as_str(),
                expires_at.format(&Rfc3339)?
            )?;
        }
        TraqsCommand::Status { tenant } => {
            let credentials = domain.traqs_status(&tenant_id(&tenant)?).await?;
            if credentials.is_empty() {
                writeln!(out, "tenant {tenant}: no TRAQS credential")?;
            }
            for credential in credentials {
                let expires = match credential.expires_at {
                    Some(at) => at.format(&Rfc3339)?,
                    None => "unknown".to_owned(),
                };
                let host = credential
                    .base_url
                    .map(|url| format!("; host {url}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}: {} (expires {expires}; set {}{host})",
                    credential.environment.as_str(),
                    credential.username,
                    credential.updated_at.format(&Rfc3339)?
                )?;
            }
        }
    }
    Ok(())
}
