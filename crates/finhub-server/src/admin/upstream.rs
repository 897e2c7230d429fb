//! `finhub admin upstream …`: a tenant's FINRA credential (the secret is sealed and never shown).

use std::io::Write;

use clap::{Subcommand, ValueEnum};
use finhub_core::admin::{Administration, Administrator};
use finhub_core::model::UpstreamTarget;

use super::secrets_input::read_secret;
use super::tenant_id;

/// Where a credential points.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TargetKind {
    /// FINRA production.
    FinraProduction,
    /// FINRA's QA test environment.
    FinraQa,
    /// Explicit URLs (`--api-base`, `--token-url`): an emulator, another FinHub.
    Custom,
}

/// Upstream credential commands.
#[derive(Debug, Subcommand)]
pub enum UpstreamCommand {
    /// Sets (or replaces) the tenant's FINRA credential; the secret is read from a prompt or
    /// stdin.
    Set {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The FINRA API client id.
        #[arg(long)]
        client_id: String,
        /// Where the credential is used.
        #[arg(long, value_enum, default_value = "finra-production")]
        target: TargetKind,
        /// Query API base URL (custom targets).
        #[arg(long, required_if_eq("target", "custom"))]
        api_base: Option<String>,
        /// Token URL (custom targets).
        #[arg(long, required_if_eq("target", "custom"))]
        token_url: Option<String>,
    },
    /// Shows the client id and target (never the secret).
    Show {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
}

pub(super) async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: UpstreamCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        UpstreamCommand::Set {
            tenant,
            client_id,
            target,
            api_base,
            token_url,
        } => {
            let target = match (target, api_base, token_url) {
                (TargetKind::FinraProduction, _, _) => UpstreamTarget::FinraProduction,
                (TargetKind::FinraQa, _, _) => UpstreamTarget::FinraQa,
                (TargetKind::Custom, Some(api_base), Some(token_url)) => UpstreamTarget::Custom {
                    api_base,
                    token_url,
                },
                (TargetKind::Custom, _, _) => {
                    anyhow::bail!("--target custom needs --api-base and --token-url")
                }
            };
            let secret = read_secret(&format!("FINRA client secret for {client_id}: "))?;
            domain
                .set_upstream_credential(admin, &tenant_id(&tenant)?, &client_id, &secret, target)
                .await?;
            writeln!(
                out,
                "tenant {tenant}: upstream credential {client_id} set (secret sealed)"
            )?;
        }
        UpstreamCommand::Show { tenant } => match domain
            .upstream_credential_summary(&tenant_id(&tenant)?)
            .await?
        {
            Some((client_id, target)) => {
                writeln!(out, "client_id: {client_id}\ntarget: {target}")?;
            }
            None => writeln!(out, "tenant {tenant}: no upstream credential")?,
        },
    }
    Ok(())
}
