//! `finhub admin user …`.

use std::io::Write;

use clap::Subcommand;
use finhub_core::auth::AuthService;
use finhub_core::ids::Username;

use super::secrets_input::read_secret;
use super::tenant_id;

/// User commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Creates a user; the password is read from a prompt, or from stdin when piped.
    Create {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
    },
    /// Lists a tenant's users.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Disables a user.
    Disable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
    },
    /// Enables a user again.
    Enable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
    },
}

fn username(text: &str) -> anyhow::Result<Username> {
    Username::parse(text).map_err(|e| anyhow::anyhow!("--username {text:?}: {e}"))
}

pub(super) async fn run(
    auth: &AuthService,
    command: UserCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            tenant,
            username: name,
        } => {
            let tenant = tenant_id(&tenant)?;
            let name = username(&name)?;
            let password = read_secret(&format!("password for {name}: "))?;
            let user = auth.create_user(&tenant, name, password).await?;
            writeln!(
                out,
                "created user {} in tenant {}",
                user.username, user.tenant_id
            )?;
        }
        UserCommand::List { tenant } => {
            for user in auth.store().list_users(&tenant_id(&tenant)?).await? {
                let state = if user.disabled { "disabled" } else { "enabled" };
                writeln!(out, "{}\t{state}", user.username)?;
            }
        }
        UserCommand::Disable {
            tenant,
            username: name,
        } => {
            auth.store()
                .set_user_disabled(&tenant_id(&tenant)?, &username(&name)?, true)
                .await?;
            writeln!(out, "user {name}: disabled")?;
        }
        UserCommand::Enable {
            tenant,
            username: name,
        } => {
            auth.store()
                .set_user_disabled(&tenant_id(&tenant)?, &username(&name)?, false)
                .await?;
            writeln!(out, "user {name}: enabled")?;
        }
    }
    Ok(())
}
