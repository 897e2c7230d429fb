//! `finhub admin user …`.

use std::io::Write;

use clap::Subcommand;
use finhub_core::admin::Administration;
use finhub_core::admin::Administrator;
use finhub_core::model::UserRole;

use super::secrets_input::read_secret;
use super::{tenant_id, username};

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
    /// Disables a user, ending every session of theirs.
    Disable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
    },
    /// Enables a user again (their ended sessions stay ended).
    Enable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
    },
    /// Sets a user's role: `tenant-admin` also manages the tenant's users and reads its audit
    /// trail in the portal; `user` is a person looking after their own account only.
    SetRole {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        username: String,
        /// `user` or `tenant-admin`.
        #[arg(long, value_parser = parse_role)]
        role: UserRole,
    },
    /// Replaces a user's password, ending every session of theirs; the new password is read
    /// from a prompt, or from stdin when piped.
    SetPassword {
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
            let user = domain.create_user(admin, &tenant, name, password).await?;
            writeln!(
                out,
                "created user {} in tenant {}",
                user.username, user.tenant_id
            )?;
        }
        UserCommand::List { tenant } => {
            for user in domain.list_users(&tenant_id(&tenant)?).await? {
                let state = if user.disabled { "disabled" } else { "enabled" };
                writeln!(out, "{}\t{state}\t{}", user.username, user.role)?;
            }
        }
        UserCommand::Disable {
            tenant,
            username: name,
        } => {
            let ended = domain
                .set_user_disabled(admin, &tenant_id(&tenant)?, &username(&name)?, true)
                .await?;
            writeln!(out, "user {name}: disabled; {}", super::ended(ended))?;
        }
        UserCommand::Enable {
            tenant,
            username: name,
        } => {
            domain
                .set_user_disabled(admin, &tenant_id(&tenant)?, &username(&name)?, false)
                .await?;
            writeln!(out, "user {name}: enabled")?;
        }
        UserCommand::SetRole {
            tenant,
            username: name,
            role,
        } => {
            domain
                .set_user_role(admin, &tenant_id(&tenant)?, &username(&name)?, role)
                .await?;
            writeln!(out, "user {name}: role {role}")?;
        }
        UserCommand::SetPassword {
            tenant,
            username: name,
        } => {
            let tenant = tenant_id(&tenant)?;
            let user = username(&name)?;
            let password = read_secret(&format!("new password for {name}: "))?;
            let ended = domain
                .set_user_password(admin, &tenant, &user, password)
                .await?;
            writeln!(
                out,
                "user {name}: password changed; {}",
                super::ended(ended)
            )?;
        }
    }
    Ok(())
}

/// A role by its name.
fn parse_role(name: &str) -> Result<UserRole, String> {
    UserRole::parse(name).ok_or_else(|| {
        let names: Vec<&str> = UserRole::ALL.iter().map(|role| role.as_str()).collect();
        format!("the role is one of {}", names.join(", "))
    })
}
