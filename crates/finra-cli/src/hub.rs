//! `finra hub login|status|logout`, and the FinHub behind `--hub` (`FINRA_HUB`): the CLI logs
//! in to a hub once — asking, without echo, for what is missing: the customer secret, the
//! password, then the code when the hub wants one — and keeps what later commands need in the
//! user's config directory, mode 0600: the hub, tenant and customer (with its secret, which the
//! `refresh_token` grant needs) and the session's tokens, never a password. Data commands with
//! `--hub` then go through the hub and renew the session by themselves.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use finhub_client::{AccountType, HubClient, HubError, SecondFactor};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::settings::GlobalArgs;
use crate::userfiles::{ask, config_dir, setting, write_private};

/// `finra hub …`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Log in to the hub given by --hub (or FINRA_HUB) and keep the session for later commands.
    Login(LoginArgs),
    /// Which hub and session the commands use, and how long it has left.
    Status,
    /// End the session at the hub and forget it here.
    Logout,
}

/// `finra hub login`.
#[derive(Debug, clap::Args)]
struct LoginArgs {
    /// The tenant (1–18 digits) [env: FINRA_HUB_TENANT]
    #[arg(long)]
    tenant: Option<String>,
    /// The customer (API client) to log in through [env: FINRA_HUB_CUSTOMER_ID]
    #[arg(long)]
    customer_id: Option<String>,
    /// The customer's kind
    #[arg(long, value_parser = ["b2b", "b2c"], default_value = "b2b")]
    account_type: String,
    /// Log in as this person (password, then a code when asked) [env: FINRA_HUB_USERNAME];
    /// without it the customer logs in as a machine
    #[arg(long)]
    username: Option<String>,
}

/// What `finra hub login` keeps beside the session: where and as whom.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    hub: String,
    tenant: String,
    customer_id: String,
    customer_secret: String,
    account_type: String,
    username: Option<String>,
}

fn profile_path() -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join("hub.json"))
}

fn session_path() -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join("hub-session.json"))
}

/// The hub's URL, from --hub or FINRA_HUB (environment or `.env`).
fn hub_url(global: &GlobalArgs) -> anyhow::Result<Url> {
    match &global.hub {
        Some(url) => Ok(url.clone()),
        None => setting("FINRA_HUB")
            .context("which hub? give --hub URL or set FINRA_HUB")?
            .parse()
            .context("FINRA_HUB is not a URL"),
    }
}

fn load_profile() -> anyhow::Result<Option<Profile>> {
    let path = profile_path()?;
    match std::fs::read(&path) {
        Ok(bytes) => {
            Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is not a hub profile", path.display())
            })?))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// A hub client for this profile, with the session file and the TLS options.
fn client(global: &GlobalArgs, profile: &Profile) -> anyhow::Result<HubClient> {
    let account_type = if profile.account_type == "b2c" {
        AccountType::B2c
    } else {
        AccountType::B2b
    };
    let mut builder = HubClient::builder(&profile.hub)
        .tenant(&profile.tenant)
        .customer(
            &profile.customer_id,
            SecretString::from(profile.customer_secret.clone()),
        )
        .account_type(account_type)
        .user_agent(crate::settings::USER_AGENT)
        .timeout(global.request_timeout())
        .session_file(session_path()?);
    if let Some(ca) = global.ca_cert_bytes()? {
        builder = builder.ca_certificate(ca);
    }
    if let Some(identity) = global.client_identity_bytes()? {
        builder = builder.client_identity_pem(identity);
    }
    Ok(builder.build()?)
}

/// The logged-in hub client `--hub` commands use, its session renewed when it needs to be; one
/// clear line when there is none or it cannot be renewed.
pub(crate) async fn session(global: &GlobalArgs) -> anyhow::Result<HubClient> {
    let hub = hub_url(global)?;
    let login_again = format!("run `finra hub login --hub {hub}`");
    let profile = load_profile()?
        .filter(|p| same_hub(&p.hub, &hub))
        .with_context(|| format!("not logged in to {hub}: {login_again}"))?;
    let client = client(global, &profile)?;
    match client.bearer().await {
        Ok(_) => Ok(client),
        Err(HubError::NotLoggedIn | HubError::SessionEnded) => {
            anyhow::bail!("the session with {hub} has ended: {login_again}")
        }
        Err(error) => Err(error.into()),
    }
}

fn same_hub(stored: &str, hub: &Url) -> bool {
    stored.trim_end_matches('/') == hub.as_str().trim_end_matches('/')
}

pub(crate) async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Login(login_args) => login(global, login_args).await,
        Command::Status => status(global).await,
        Command::Logout => logout(global).await,
    }
}

async fn login(global: &GlobalArgs, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let hub = hub_url(global)?;
    let tenant = args
        .tenant
        .or_else(|| setting("FINRA_HUB_TENANT"))
        .context("the tenant is required: --tenant or FINRA_HUB_TENANT")?;
    let customer_id = args
        .customer_id
        .or_else(|| setting("FINRA_HUB_CUSTOMER_ID"))
        .context("the customer is required: --customer-id or FINRA_HUB_CUSTOMER_ID")?;
    let customer_secret = match setting("FINRA_HUB_CUSTOMER_SECRET") {
        Some(secret) => SecretString::from(secret),
        None => ask(&format!("Secret of customer {customer_id}: "))?,
    };
    let username = args.username.or_else(|| setting("FINRA_HUB_USERNAME"));
    let profile = Profile {
        hub: hub.as_str().trim_end_matches('/').to_owned(),
        tenant,
        customer_id,
        customer_secret: customer_secret.expose_secret().to_owned(),
        account_type: args.account_type,
        username: username.clone(),
    };
    let client = client(global, &profile)?;
    let login = match &username {
        None => client.login_client_credentials().await?,
        Some(username) => {
            let password = ask(&format!("Password of {username}: "))?;
            match client.login_password(username, &password, None).await {
                Err(HubError::MfaRequired(_)) => {
                    let code = ask("Code from your authenticator app: ")?;
                    let code = SecondFactor::Otp(code.expose_secret().to_owned());
                    client
                        .login_password(username, &password, Some(&code))
                        .await?
                }
                other => other?,
            }
        }
    };
    write_private(&profile_path()?, &serde_json::to_vec_pretty(&profile)?)?;
    global.note(&format!(
        "logged in to {} as {}; scope {}; the session is kept in {}",
        profile.hub,
        username.as_deref().unwrap_or("the customer (a machine)"),
        login.scope,
        config_dir()?.display()
    ));
    Ok(ExitCode::SUCCESS)
}

async fn status(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let client = session(global).await?;
    let info = client.session_info().await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "hub:      {}", client.hub())?;
    writeln!(out, "tenant:   {}", info.tenant_id)?;
    writeln!(
        out,
        "customer: {} ({})",
        info.customer_id, info.account_type
    )?;
    match &info.username {
        Some(username) => writeln!(out, "user:     {username}")?,
        None => writeln!(out, "user:     none (a machine's session)")?,
    }
    if let Some(amr) = &info.amr {
        writeln!(out, "proved:   {}", amr.join(", "))?;
    }
    writeln!(out, "scope:    {}", info.scope)?;
    writeln!(
        out,
        "access:   {} s left (renewed by itself); session {} s left",
        info.expires_in, info.session_expires_in
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn logout(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let hub = hub_url(global)?;
    if let Some(profile) = load_profile()?.filter(|p| same_hub(&p.hub, &hub)) {
        let client = client(global, &profile)?;
        client.logout().await?;
        let path = profile_path()?;
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    global.note(&format!("logged out of {hub}"));
    Ok(ExitCode::SUCCESS)
}
