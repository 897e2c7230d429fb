//! `finhub admin sessions …`.

use std::io::Write;

use clap::Subcommand;
use finhub_core::admin::{Administration, Administrator};
use finhub_core::ids::Username;

use super::tenant_id;

/// Session commands.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Lists a tenant's active sessions.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Revokes a tenant's sessions (all, or one user's) and their refresh tokens.
    Revoke {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Only this user's sessions.
        #[arg(long)]
        username: Option<String>,
    },
}

pub(super) async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: SessionCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        SessionCommand::List { tenant } => {
            let now = domain.now();
            for session in domain.list_sessions(&tenant_id(&tenant)?).await? {
                writeln!(
                    out,
                    "session {}…\tcustomer={}\tuser={}\taccess_expires_in={}s\tsession_expires_in={}s",
                    &session.key_hash.as_str()[..12],
                    session.customer_id,
                    session.username.as_ref().map_or("-", Username::as_str),
                    (session.access_expires_at - now).whole_seconds().max(0),
                    (session.session_expires_at - now).whole_seconds().max(0),
                )?;
            }
        }
        SessionCommand::Revoke { tenant, username } => {
            let username = username
                .as_deref()
                .map(Username::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--username: {e}"))?;
            let revoked = domain
                .revoke_sessions(admin, &tenant_id(&tenant)?, username.as_ref())
                .await?;
            writeln!(out, "revoked {revoked} session(s) of tenant {tenant}")?;
        }
    }
    Ok(())
}
