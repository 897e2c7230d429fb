//! The `finra-emulator` binary: serves the emulator on a TCP address until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use finra_emulator::traqs::{TraqsConfig, TraqsEnvironment, TraqsUser};
use finra_emulator::{Credential, Emulator, EmulatorConfig, Scale, Throttle};
use tracing_subscriber::EnvFilter;

/// An offline, faithful emulator of FINRA's API platform (token service and Query API).
#[derive(Debug, Parser)]
#[command(name = "finra-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// An accepted API credential, ID:SECRET[:TIER] with TIER public (default) or firm.
    /// Repeatable. Without any, demo-client:demo-secret (public) is created.
    #[arg(long = "credential", value_name = "ID:SECRET[:TIER]")]
    credentials: Vec<Credential>,
    /// Lifetime of access tokens in seconds (`expires_in`).
    #[arg(long, default_value_t = 43_200, value_name = "SECS")]
    token_ttl: u64,
    /// Query API requests per second per client address, or `off`.
    #[arg(long, default_value = "20", value_name = "N|off")]
    throttle: Throttle,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Data size: `small` starts instantly, `full` has over a million weeklySummary rows.
    #[arg(long, default_value = "small", value_parser = parse_scale)]
    scale: Scale,
    /// Largest accepted `offset` (FINRA: 500000).
    #[arg(long, default_value_t = 500_000)]
    max_offset: u64,
    /// The TRAQS environment this emulator is: production or ntf.
    #[arg(long, default_value = "production", value_name = "ENV")]
    traqs_environment: TraqsEnvironment,
    /// A TRAQS user, EMAIL:PASSWORD:BASE32SECRET:FAC1,FAC2 (facilities ADF, ORF, TRACE, TRF).
    /// Repeatable. Without any, demo@example.com is created with a random password and secret.
    #[arg(long = "traqs-user", value_name = "EMAIL:PASSWORD:SECRET:FACILITIES")]
    traqs_users: Vec<TraqsUser>,
    /// Lifetime of minted TRAQS refresh tokens in seconds (90 days).
    #[arg(long, default_value_t = 90 * 86_400, value_name = "SECS")]
    traqs_refresh_ttl: u64,
    /// Lifetime of TRAQS access tokens in seconds.
    #[arg(long, default_value_t = 1_800, value_name = "SECS")]
    traqs_access_ttl: u64,
    /// Data rows of TRACE's CAMASTER instead of the scale's (large-download benchmarks).
    #[arg(long, value_name = "N")]
    traqs_camaster_rows: Option<u64>,
}

fn parse_scale(text: &str) -> Result<Scale, String> {
    match text {
        "small" => Ok(Scale::Small),
        "full" => Ok(Scale::Full),
        other => Err(format!("unknown scale {other:?}: expected small or full")),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let demo_credential = args.credentials.is_empty();
    let credentials = if demo_credential {
        vec![Credential::demo()]
    } else {
        args.credentials
    };
    let demo_traqs_user = args.traqs_users.is_empty().then(TraqsUser::demo);
    let traqs = TraqsConfig {
        environment: args.traqs_environment,
        users: demo_traqs_user
            .iter()
            .cloned()
            .chain(args.traqs_users)
            .collect(),
        refresh_ttl: Duration::from_secs(args.traqs_refresh_ttl),
        access_ttl: Duration::from_secs(args.traqs_access_ttl),
        bond_master_rows: args.traqs_camaster_rows,
    };
    let environment = traqs.environment;
    let config = EmulatorConfig::default()
        .with_traqs(traqs)
        .with_credentials(credentials)
        .with_token_ttl(Duration::from_secs(args.token_ttl))
        .with_throttle(args.throttle)
        .with_seed(args.seed)
        .with_scale(args.scale)
        .with_max_offset(args.max_offset);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let emulator = Emulator::new(config);

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}")?;
    stdout.flush()?;
    // The rest is help for a person; a reader that closed the pipe after the first line (a
    // script waiting for the address) must not stop the server.
    let mut help = format!("token URL: http://{addr}{}\n", finra_emulator::TOKEN_PATH);
    if demo_credential {
        help.insert_str(
            0,
            "no --credential given: created demo-client:demo-secret (tier public)\n",
        );
    }
    help.push_str(&format!(
        "try: curl -s -H 'Accept: application/json' 'http://{addr}/data/group/otcMarket/name/weeklySummary?limit=2'\n"
    ));
    help.push_str(&format!(
        "TRAQS ({}): sign in at http://{addr}/traqs/ to mint a refresh token; files at http://{addr}/DownloadHandler.ashx\n",
        environment.as_str()
    ));
    if let Some(user) = &demo_traqs_user {
        help.push_str(&format!(
            "no --traqs-user given: created {} with password {} (all facilities); add its TOTP factor to an authenticator app:\n  {}\n",
            user.email,
            user.password,
            user.otpauth_uri(environment)
        ));
    }
    let _ = stdout
        .write_all(help.as_bytes())
        .and_then(|()| stdout.flush());
    drop(stdout);

    emulator
        .serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server error")
}
