//! `finhub admin mfa status|reset`: a user's second factor as an administrator sees it (never
//! the secret), and the reset that removes it, lifts its lock and ends the user's sessions.

use std::io::Write;

use clap::Subcommand;
use finhub_core::admin::{Administration, Administrator};
use time::format_description::well_known::Rfc3339;

use super::{ended, tenant_id, username};

/// Users' second factors.
#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// Shows a user's second factor: the tenant's policy, whether a factor is enrolled, the
    /// recovery codes left, the failures and the lock.
    Status {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
    },
    /// Removes a user's second factor and recovery codes, lifts the lock and ends the user's
    /// sessions (under policy `required`, the next login enrols again).
    Reset {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
    },
}

pub(super) async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: MfaCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        MfaCommand::Status {
            tenant,
            username: name,
        } => {
            let status = domain
                .mfa_status(&tenant_id(&tenant)?, &username(&name)?)
                .await?;
            let enrolled = match status.enrolled_at {
                Some(at) => format!("enrolled {}", at.format(&Rfc3339)?),
                None => "not enrolled".to_owned(),
            };
            writeln!(
                out,
                "user {name} of tenant {tenant}: policy {}, TOTP {enrolled}, {} recovery codes \
                 left, {} consecutive failures{}",
                status.policy.as_str(),
                status.recovery_codes_left,
                status.failures,
                if status.locked { ", locked" } else { "" },
            )?;
        }
        MfaCommand::Reset {
            tenant,
            username: name,
        } => {
            let sessions = domain
                .reset_mfa(admin, &tenant_id(&tenant)?, &username(&name)?)
                .await?;
            writeln!(
                out,
                "user {name} of tenant {tenant}: second factor reset; {}",
                ended(sessions)
            )?;
        }
    }
    Ok(())
}
