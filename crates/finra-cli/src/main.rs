//! The `finra` command-line tool: FINRA's Query API from a shell (token check and diagnosis,
//! the catalogue, streamed queries, async requests), built on `finra_client`.
//!
//! Exit codes: 0 success, 1 a FINRA, network, data or output error (message on stderr, with
//! the full chain of causes), 2 a usage error (reported by clap).

mod args;
mod async_cmd;
mod auth_check;
mod config_cmd;
mod datasets;
mod doctor;
mod hub;
mod metadata;
mod output;
mod partitions;
mod progress;
mod query;
mod report;
mod settings;
mod shell;
mod table;
mod traqs;
mod userfiles;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// FINRA's Query API from the command line: check credentials, browse the catalogue, and
/// download whole datasets without losing or repeating a row.
#[derive(Debug, Parser)]
#[command(
    name = "finra",
    version,
    after_help = "Credentials come from FINRA_API_KEY and FINRA_API_SECRET; FINRA_BEARER_TOKEN \
                  supplies a ready token instead, and --hub (FINRA_HUB) goes through a FinHub on \
                  the session `finra hub login` keeps. Without any, data commands run \
                  anonymously (public datasets). Every FINRA_* setting may come from the \
                  environment or a .env file in the current directory (flags first, then the \
                  environment, then .env); `finra config show` says where each came from."
)]
struct Cli {
    #[command(flatten)]
    global: settings::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check credentials and tokens.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// List the datasets the credential can see.
    Datasets(datasets::Args),
    /// Show a dataset's fields and partition fields.
    Metadata(metadata::Args),
    /// List a dataset's available partitions (newest first).
    Partitions(partitions::Args),
    /// Query a dataset and stream the rows out (CSV, JSON or NDJSON).
    Query(query::Args),
    /// Run a query as an asynchronous request: submit, poll, fetch the result.
    #[command(name = "async")]
    Async(async_cmd::Args),
    /// TRAQS reference-data files (TRACE, ADF, ORF, TRF) with a person's refresh token.
    Traqs(traqs::Args),
    /// Log in to a FinHub (and out), for the commands run with --hub.
    Hub(hub::Args),
    /// Print the shell completion script (e.g. `finra completions bash > /etc/bash_completion.d/finra`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `finra man > finra.1`.
    Man,
    /// The settings in force and where each comes from.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print every FINRA_* setting with its source (flag, environment, .env); secrets only as
    /// set or not set.
    Show,
}

#[derive(Debug, Subcommand)]
enum AuthCommand {
    /// Mint a token and show that it worked (never the token itself).
    Check,
    /// Diagnose credential, token and connection problems, step by step.
    Doctor,
}

fn main() -> ExitCode {
    // Usage errors exit with 2 here; --help and --version with 0.
    let cli = Cli::parse_from(config_cmd::args_with_dotenv(std::env::args_os().collect()));
    init_tracing(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            report::print_error(&anyhow::Error::new(error).context("cannot start the runtime"));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) if report::is_closed_stdout(&error) => ExitCode::SUCCESS,
        Err(error) => {
            report::print_error(&error);
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Auth(AuthCommand::Check) => auth_check::run(global).await,
        Command::Auth(AuthCommand::Doctor) => Box::pin(doctor::run(global)).await,
        Command::Datasets(args) => datasets::run(global, &args).await,
        Command::Metadata(args) => metadata::run(global, &args).await,
        Command::Partitions(args) => partitions::run(global, &args).await,
        Command::Query(args) => Box::pin(query::run(global, args)).await,
        Command::Async(args) => Box::pin(async_cmd::run(global, args)).await,
        Command::Traqs(args) => Box::pin(traqs::run(args)).await,
        Command::Hub(args) => Box::pin(hub::run(global, args)).await,
        Command::Completions { shell } => shell::completions::<Cli>(shell),
        Command::Man => shell::man::<Cli>(),
        Command::Config(ConfigCommand::Show) => config_cmd::show(),
    }
}

/// Logs go to stderr: warnings by default, the client's debug log with `--verbose`, or what
/// `FINRA_LOG` says.
fn init_tracing(verbose: bool) {
    let default = if verbose {
        "warn,finra_client=debug"
    } else {
        "warn"
    };
    let filter = userfiles::setting("FINRA_LOG")
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
