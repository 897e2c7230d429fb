//! The `finhub` binary: `serve`, `admin …` and `print-config`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use finhub_clock::SystemClock;
use finhub_server::admin::AdminCommand;
use finhub_server::config::{Config, EXAMPLE};
use finhub_server::{AppState, serve};
use tracing_subscriber::EnvFilter;

/// FinHub: an authentication hub (backend-for-frontend) in front of FINRA's API platform.
#[derive(Debug, Parser)]
#[command(name = "finhub", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the hub until Ctrl-C or SIGTERM, then finishes requests in flight.
    Serve {
        /// A TOML config file (defaults and FINHUB_… variables apply too).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Administers tenants, customers, users, upstream credentials and sessions (on the same
    /// database as the server, also while it runs).
    Admin {
        /// A TOML config file (the same one the server uses).
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Prints a commented example config.
    PrintConfig,
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
    let mut stdout = std::io::stdout();
    match args.command {
        Command::PrintConfig => {
            stdout.write_all(EXAMPLE.as_bytes())?;
        }
        Command::Admin { config, command } => {
            let config = Config::load(config.as_deref())?;
            let state = AppState::build(config, SystemClock::shared()).await?;
            finhub_server::admin::run(&state.auth, command, &mut stdout).await?;
        }
        Command::Serve { config } => {
            let config = Config::load(config.as_deref())?;
            let listen = config.listen;
            let state = AppState::build(config, SystemClock::shared()).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            writeln!(stdout, "listening on http://{}", listener.local_addr()?)?;
            stdout.flush()?;
            serve(listener, state, shutdown_signal()).await?;
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
