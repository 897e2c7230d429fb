//! `finhub admin …`: tenants, customers (the secret is printed once), users (passwords from a
//! prompt or stdin, never an argument), scopes, allow-lists, upstream FINRA and TRAQS
//! credentials (sealed, never printed back), client-certificate bindings and sessions. Works on the same database as a
//! running server.

mod certificates;
mod customers;
mod second_factor;
mod secrets_input;
mod sessions;
mod tenants;
mod traqs;
mod upstream;
mod users;

use std::io::Write;

use clap::Subcommand;
use finhub_core::admin::Administration;
use finhub_core::admin::Administrator;
use finhub_core::error::{AuthError, StoreError};

pub use certificates::CertCommand;
pub use customers::CustomerCommand;
pub use second_factor::MfaCommand;
pub use sessions::SessionCommand;
pub use tenants::TenantCommand;
pub use traqs::TraqsCommand;
pub use upstream::UpstreamCommand;
pub use users::UserCommand;

/// What an administrator can do.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Tenants, their scope and allow-list.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// A tenant's customers (API clients).
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// A tenant's users.
    #[command(subcommand)]
    User(UserCommand),
    /// A tenant's upstream FINRA credential.
    #[command(subcommand)]
    Upstream(UpstreamCommand),
    /// A tenant's sessions.
    #[command(subcommand)]
    Sessions(SessionCommand),
    /// Client certificates bound to customers (mTLS).
    #[command(subcommand)]
    Cert(CertCommand),
    /// Users' second factors.
    #[command(subcommand)]
    Mfa(MfaCommand),
    /// A tenant's TRAQS credentials (refresh tokens per environment).
    #[command(subcommand)]
    Traqs(TraqsCommand),
}

/// Runs one command for `admin` (who is named in the audit entry of every action that changes
/// the hub's state), writing its result to `out`.
pub async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: AdminCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let result = match command {
        AdminCommand::Tenant(command) => tenants::run(domain, admin, command, out).await,
        AdminCommand::Customer(command) => customers::run(domain, admin, command, out).await,
        AdminCommand::User(command) => users::run(domain, admin, command, out).await,
        AdminCommand::Upstream(command) => upstream::run(domain, admin, command, out).await,
        AdminCommand::Sessions(command) => sessions::run(domain, admin, command, out).await,
        AdminCommand::Cert(command) => certificates::run(domain, admin, command, out).await,
        AdminCommand::Mfa(command) => second_factor::run(domain, admin, command, out).await,
        AdminCommand::Traqs(command) => traqs::run(domain, admin, command, out).await,
    };
    result.map_err(plain_record_errors)
}

/// "tenant 7654321 already exists" rather than a storage failure caused by it: a record that
/// exists or does not is the administrator's to fix, said in their words.
fn plain_record_errors(error: anyhow::Error) -> anyhow::Error {
    match error.downcast_ref::<AuthError>() {
        Some(AuthError::Store(store @ (StoreError::Conflict(_) | StoreError::NotFound(_)))) => {
            anyhow::anyhow!("{store}")
        }
        _ => error,
    }
}

/// The operating-system user running this process, for the audit log.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|user| !user.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// How many sessions an action ended, as `finhub admin` reports it.
fn ended(sessions: u64) -> String {
    match sessions {
        1 => "1 session ended".to_owned(),
        n => format!("{n} sessions ended"),
    }
}

/// Parses a username argument.
fn username(text: &str) -> anyhow::Result<finhub_core::ids::Username> {
    finhub_core::ids::Username::parse(text).map_err(|e| anyhow::anyhow!("--username {text:?}: {e}"))
}

/// Parses a tenant id argument.
fn tenant_id(text: &str) -> anyhow::Result<finhub_core::ids::TenantId> {
    finhub_core::ids::TenantId::parse(text).map_err(|e| anyhow::anyhow!("--tenant {text:?}: {e}"))
}
