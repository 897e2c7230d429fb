//! The `finhub` binary: `serve`, `admin …`, `demo`, `print-config`, `openapi`, and its own
//! shell completions and man page.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use finhub_clock::SystemClock;
use finhub_core::admin::Administrator;
use finhub_server::admin::AdminCommand;
use finhub_server::config::{Config, EXAMPLE, LogFormat, Transport};
use finhub_server::demo::DemoOptions;
use finhub_server::tls::TlsServer;
use finhub_server::{AppState, ServingThreads, serve, serve_tls};
use tracing_subscriber::EnvFilter;

/// mimalloc: the hub allocates small, short-lived buffers on every request (headers, JSON,
/// tokens, SQL arguments) across threads; glibc's allocator spent about a tenth of a login's
/// CPU on them (`bench/hub.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// FinHub: an authentication hub (backend-for-frontend) in front of FINRA's API platform.
#[derive(Debug, Parser)]
#[command(name = "finhub", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the hub (HTTPS per `[tls]`; plain HTTP only in integration with
    /// `tls.plain_http = true`) until Ctrl-C or SIGTERM, then finishes requests in flight.
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
    /// Prints the hub's API description (OpenAPI 3.1, JSON), as `GET /openapi.json` serves it.
    Openapi,
    /// Prints the shell completion script (e.g. `finhub completions bash > /etc/bash_completion.d/finhub`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Prints the man page (roff), e.g. `finhub man > finhub.1`.
    Man,
    /// Runs a complete demo: an in-process FINRA emulator as upstream and the hub on SQLite in a
    /// temporary directory, with a demo tenant, customer and user; prints a walk-through. With
    /// `--profile production`: HTTPS and a throw-away CA, server and client certificate. With
    /// `--database postgres://… --redis redis://… --instances 2`: several instances sharing
    /// PostgreSQL and Redis, behind nginx when it is installed.
    Demo {
        /// Where the hub listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Writes the demo credentials as JSON to this file.
        #[arg(long)]
        credentials_out: Option<PathBuf>,
        /// integration (default) or production.
        #[arg(long, default_value = "integration", value_parser = ["integration", "production"])]
        profile: String,
        /// Access-token lifetime in seconds (default: the profile's).
        #[arg(long)]
        access_token_ttl: Option<u64>,
        /// The store instead of SQLite in the temporary directory (postgres://…: a new demo
        /// tenant in that database).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Redis for limits and FINRA pacing shared by the instances (redis://…).
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// How many hub instances to run (more than one needs --database postgres://…).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
        instances: u8,
        /// A TOML config file whose settings go over the demo's own, e.g. `[rate_limits]` or
        /// `[sessions]` (the demo keeps its own keys, store and listener unless the file sets
        /// them).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Where a hub accepts its connections.
enum Listening {
    /// One listener served by the calling runtime (each of the demo's instances).
    Here(tokio::net::TcpListener),
    /// `finhub serve`'s serving threads.
    Threads(ServingThreads),
}

/// Serves the hub's router over `state` (HTTPS when `tls` is given) until Ctrl-C or SIGTERM,
/// then finishes requests in flight.
async fn serve_until_stopped(
    listening: Listening,
    state: AppState,
    tls: Option<TlsServer>,
) -> std::io::Result<()> {
    let limits = state.http.connections.clone();
    let clock = state.clock.clone();
    let background = Background::start(&state).await?;
    let app = finhub_server::http::app(state);
    let served = match (listening, tls) {
        (Listening::Here(listener), Some(tls)) => {
            serve_tls(listener, app, limits, tls, clock, shutdown_signal()).await
        }
        (Listening::Here(listener), None) => serve(listener, app, limits, shutdown_signal()).await,
        (Listening::Threads(threads), tls) => {
            threads
                .serve(app, limits, tls, clock, shutdown_signal())
                .await
        }
    };
    drop(background);
    served
}

/// What runs beside the hub's listener on the main runtime: housekeeping, and `/metrics`,
/// `/readyz` and `/healthz` on a plain-HTTP listener of their own when configured. Stopped
/// when dropped.
struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Background {
    async fn start(state: &AppState) -> std::io::Result<Self> {
        let mut tasks = vec![tokio::spawn(finhub_server::housekeeping::run(
            state.clone(),
        ))];
        if let Some(addr) = state.http.metrics_listen {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!(
                address = %listener.local_addr()?,
                "serving /metrics, /readyz and /healthz (plain HTTP)"
            );
            // Scraped directly, never through the load balancer: no PROXY headers here.
            let direct = finhub_server::config::ConnectionLimits {
                proxy_protocol: finhub_server::config::ProxyProtocol::off(),
                ..state.http.connections.clone()
            };
            let operations = serve(
                listener,
                finhub_server::http::operations_router(state.clone()),
                direct,
                shutdown_signal(),
            );
            tasks.push(tokio::spawn(async move {
                if let Err(error) = operations.await {
                    tracing::error!(%error, "the operations listener stopped");
                }
            }));
        }
        Ok(Self(tasks))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut stdout = std::io::stdout();
    // Commands with a config log as it says; the others as text.
    let config = match &args.command {
        Command::Serve { config } | Command::Admin { config, .. } => {
            Some(Config::load(config.as_deref())?)
        }
        Command::PrintConfig
        | Command::Openapi
        | Command::Completions { .. }
        | Command::Man
        | Command::Demo { .. } => None,
    };
    init_logging(config.as_ref().map_or(LogFormat::Text, |c| c.log_format));
    match args.command {
        Command::PrintConfig => {
            stdout.write_all(EXAMPLE.as_bytes())?;
        }
        Command::Openapi => {
            stdout.write_all(finhub_server::http::openapi::document_json().as_bytes())?;
        }
        Command::Completions { shell } => {
            // Into memory first: the generator panics on a failed write (a closed pipe).
            let mut script = Vec::new();
            let mut command = <Args as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "finhub", &mut script);
            stdout.write_all(&script)?;
        }
        Command::Man => {
            clap_mangen::Man::new(<Args as clap::CommandFactory>::command()).render(&mut stdout)?;
        }
        Command::Admin { command, .. } => {
            let config = config.context("the config was loaded above")?;
            let state = AppState::build(config, SystemClock::shared()).await?;
            let admin = Administrator::new(finhub_server::admin::os_user());
            finhub_server::admin::run(&state.admin, &admin, command, &mut stdout).await?;
        }
        Command::Demo {
            listen,
            credentials_out,
            profile,
            access_token_ttl,
            database,
            redis,
            instances,
            config,
        } => {
            let options = DemoOptions {
                listen,
                profile,
                access_token_ttl_secs: access_token_ttl,
                credentials_out,
                database,
                redis,
                instances: usize::from(instances),
                config,
            };
            let demo = finhub_server::demo::prepare(&options, SystemClock::shared()).await?;
            writeln!(stdout, "listening on {}", demo.credentials.base_url)?;
            let _ = finhub_server::demo::instances(&demo, &mut stdout);
            let _ = finhub_server::demo::walkthrough(&demo, &mut stdout);
            stdout.flush()?;
            let finhub_server::demo::Demo {
                state,
                listener,
                siblings,
                balancer,
                emulator,
                dir,
                tls,
                ..
            } = demo;
            let mut served = vec![tokio::spawn(serve_until_stopped(
                Listening::Here(listener),
                state,
                tls.clone(),
            ))];
            for (state, listener) in siblings {
                served.push(tokio::spawn(serve_until_stopped(
                    Listening::Here(listener),
                    state,
                    tls.clone(),
                )));
            }
            for instance in served {
                instance.await??;
            }
            drop(balancer);
            drop(emulator);
            let _ = std::fs::remove_dir_all(dir);
        }
        Command::Serve { .. } => {
            let config = config.context("the config was loaded above")?;
            // Production refuses the printed example's keys; integration warns on every start.
            for placeholder in config.serving_keys()? {
                tracing::warn!("{placeholder}");
            }
            let listen = config.listen;
            // Production refuses to start without TLS material; bad material fails here too.
            let tls = match config.serving_transport()? {
                Transport::Tls(files) => Some(TlsServer::load(files)?),
                Transport::PlainHttp | Transport::Unconfigured => None,
            };
            let threads = config.serving_threads;
            let state = AppState::build(config, SystemClock::shared()).await?;
            let listeners = ServingThreads::bind(listen, threads)
                .with_context(|| format!("cannot listen on {listen}"))?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            writeln!(stdout, "listening on {scheme}://{}", listeners.local_addr())?;
            stdout.flush()?;
            serve_until_stopped(Listening::Threads(listeners), state, tls).await?;
        }
    }
    Ok(())
}

/// Logs to standard error, filtered by `RUST_LOG` (default `info`), as text or JSON lines;
/// colours only when standard error is a terminal (never in files or journals).
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
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
