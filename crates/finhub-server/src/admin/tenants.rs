//! `finhub admin tenant …`.

use std::io::Write;

use clap::Subcommand;
use finhub_core::admin::Administration;
use finhub_core::admin::Administrator;
use finhub_core::mfa::MfaPolicy;
use finhub_core::net::AllowList;
use finhub_core::scope::Scope;

use super::tenant_id;

/// Tenant commands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant.
    Create {
        /// Its id: 1 to 18 digits.
        #[arg(long)]
        id: String,
        /// A display name.
        #[arg(long)]
        name: String,
        /// Granted FINRA dataset groups and TRAQS facilities, e.g. "finra:otcMarket traqs:ORF".
        #[arg(long, default_value = "")]
        scope: String,
    },
    /// Lists tenants.
    List,
    /// Replaces a tenant's scope.
    SetScope {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Granted FINRA dataset groups and TRAQS facilities, e.g. "finra:otcMarket traqs:ORF".
        #[arg(long)]
        scope: String,
    },
    /// Replaces a tenant's address allow-list (no addresses: any address; production refuses that).
    SetAllowList {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Networks or addresses, e.g. 10.0.0.0/8 127.0.0.1.
        networks: Vec<String>,
    },
    /// Sets the tenant's second-factor policy for password logins.
    SetMfa {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// `off` (no code asked; not in production), `optional` (users may enrol; enrolled
        /// users give a code), `required` (every password login), or `default` (the profile's:
        /// optional in integration, required in production).
        #[arg(long, value_parser = ["off", "optional", "required", "default"])]
        policy: String,
    },
    /// Disables a tenant: no logins, and its sessions stop working.
    Disable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Enables a tenant again.
    Enable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
}

pub(super) async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: TenantCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create { id, name, scope } => {
            let scope = Scope::parse(&scope).map_err(anyhow::Error::msg)?;
            let id = finhub_core::ids::TenantId::parse(&id)
                .map_err(|e| anyhow::anyhow!("--id {id:?}: {e}"))?;
            let tenant = domain.create_tenant(admin, id, &name, scope).await?;
            writeln!(
                out,
                "created tenant {} ({}) with scope {:?}",
                tenant.id,
                tenant.name,
                tenant.scope.to_string()
            )?;
        }
        TenantCommand::List => {
            for tenant in domain.list_tenants().await? {
                writeln!(
                    out,
                    "{}\t{}\tscope={:?}\tallow-list={}\t{}",
                    tenant.id,
                    tenant.name,
                    tenant.scope.to_string(),
                    tenant.allow_list.to_strings().join(","),
                    if tenant.disabled {
                        "disabled"
                    } else {
                        "enabled"
                    }
                )?;
            }
        }
        TenantCommand::SetScope { tenant, scope } => {
            let scope = Scope::parse(&scope).map_err(anyhow::Error::msg)?;
            domain
                .set_scope(admin, &tenant_id(&tenant)?, scope.clone())
                .await?;
            writeln!(out, "tenant {tenant}: scope {:?}", scope.to_string())?;
        }
        TenantCommand::SetAllowList { tenant, networks } => {
            let list = AllowList::parse(&networks).map_err(anyhow::Error::msg)?;
            domain
                .set_allow_list(admin, &tenant_id(&tenant)?, &list)
                .await?;
            writeln!(
                out,
                "tenant {tenant}: allow-list {}",
                list.to_strings().join(",")
            )?;
        }
        TenantCommand::SetMfa { tenant, policy } => {
            let chosen = MfaPolicy::parse(&policy);
            domain
                .set_mfa_policy(admin, &tenant_id(&tenant)?, chosen)
                .await?;
            let shown = chosen.map_or("the profile's default", MfaPolicy::as_str);
            writeln!(out, "tenant {tenant}: second-factor policy {shown}")?;
        }
        TenantCommand::Disable { tenant } => {
            let ended = domain
                .set_tenant_disabled(admin, &tenant_id(&tenant)?, true)
                .await?;
            writeln!(out, "tenant {tenant}: disabled; {}", super::ended(ended))?;
        }
        TenantCommand::Enable { tenant } => {
            domain
                .set_tenant_disabled(admin, &tenant_id(&tenant)?, false)
                .await?;
            writeln!(out, "tenant {tenant}: enabled")?;
        }
    }
    Ok(())
}
