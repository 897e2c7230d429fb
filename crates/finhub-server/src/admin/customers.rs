//! `finhub admin customer …`.

use std::io::Write;

use clap::Subcommand;
use finhub_core::admin::Administration;
use finhub_core::admin::Administrator;
use finhub_core::ids::CustomerId;
use finhub_core::model::AccountType;

use super::tenant_id;

/// Customer commands.
#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// Creates a customer and prints its secret — the only time it is shown.
    Create {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// A display name.
        #[arg(long)]
        name: String,
        /// b2b (may use client_credentials) or b2c.
        #[arg(long, value_parser = parse_account_type)]
        account_type: AccountType,
    },
    /// Lists a tenant's customers (never their secrets).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Disables a customer.
    Disable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The customer id.
        #[arg(long)]
        id: String,
    },
    /// Enables a customer again.
    Enable {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The customer id.
        #[arg(long)]
        id: String,
    },
}

fn parse_account_type(text: &str) -> Result<AccountType, String> {
    AccountType::parse(text).ok_or_else(|| format!("{text:?}: expected b2b or b2c"))
}

pub(super) async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: CustomerCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        CustomerCommand::Create {
            tenant,
            name,
            account_type,
        } => {
            let created = domain
                .create_customer(admin, &tenant_id(&tenant)?, &name, account_type)
                .await?;
            writeln!(out, "customerId: {}", created.customer.id)?;
            writeln!(out, "customerSecret: {}", created.secret.expose())?;
            writeln!(out, "accountType: {}", created.customer.account_type)?;
            writeln!(
                out,
                "(the secret is shown only now; the hub keeps only its hash)"
            )?;
        }
        CustomerCommand::List { tenant } => {
            for customer in domain.list_customers(&tenant_id(&tenant)?).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    customer.id,
                    customer.name,
                    customer.account_type,
                    if customer.disabled {
                        "disabled"
                    } else {
                        "enabled"
                    }
                )?;
            }
        }
        CustomerCommand::Disable { tenant, id } => {
            set_disabled(domain, admin, &tenant, &id, true, out).await?;
        }
        CustomerCommand::Enable { tenant, id } => {
            set_disabled(domain, admin, &tenant, &id, false, out).await?;
        }
    }
    Ok(())
}

async fn set_disabled(
    domain: &Administration,
    admin: &Administrator,
    tenant: &str,
    id: &str,
    disabled: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let customer = CustomerId::parse(id).map_err(|e| anyhow::anyhow!("--id {id:?}: {e}"))?;
    let ended = domain
        .set_customer_disabled(admin, &tenant_id(tenant)?, &customer, disabled)
        .await?;
    if disabled {
        writeln!(out, "customer {id}: disabled; {}", super::ended(ended))?;
    } else {
        writeln!(out, "customer {id}: enabled")?;
    }
    Ok(())
}
