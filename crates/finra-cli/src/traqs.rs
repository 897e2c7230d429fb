//! `finra traqs login|status|files|download`: TRAQS reference-data files with a refresh token a
//! person mints by signing in (password and authenticator code). The refresh token comes from
//! `FINRA_TRAQS_REFRESH_TOKEN` (environment or `.env`) or from the file `finra traqs login`
//! writes (mode 0600, in the user's config directory); it is never printed unless asked for
//! with `login --print`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use finra_client::traqs::{TraqsClient, TraqsEnvironment, TraqsPaths, TraqsSignIn};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::userfiles::{ask, config_dir, setting, write_private};

/// `finra traqs …`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The TRAQS environment [env: FINRA_TRAQS_ENV; default: production]
    #[arg(long = "traqs-env", value_name = "production|ntf")]
    traqs_environment: Option<TraqsEnvironment>,
    /// The download host's base URL [env: FINRA_TRAQS_BASE; default: the environment's]
    #[arg(long = "traqs-base", value_name = "URL")]
    traqs_base: Option<String>,
    /// The TRAQS username, an e-mail address [env: FINRA_TRAQS_USERNAME]
    #[arg(long)]
    username: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Sign in (password, then the authenticator's code) and mint a refresh token, stored for
    /// later commands (or printed with --print).
    Login {
        /// Print the refresh token instead of storing it.
        #[arg(long)]
        print: bool,
    },
    /// Which refresh token the commands use, and when it expires.
    Status,
    /// List a facility's files.
    Files {
        /// ADF, ORF, TRACE or TRF.
        facility: String,
    },
    /// Download a file (to stdout, or atomically to --out).
    Download {
        /// ADF, ORF, TRACE or TRF.
        facility: String,
        /// The file, e.g. CAMASTER.
        file: String,
        /// Write here instead of stdout (only once the whole file has arrived).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Bytes gathered before each write of a download.
const WRITE_BUFFER: usize = 256 * 1024;

/// A stored refresh token.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    environment: String,
    username: String,
    refresh_token: String,
    expires_at: String,
}

/// Where `finra traqs login` keeps the refresh token of `environment`.
fn store_path(environment: TraqsEnvironment) -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join(format!("traqs-{}.json", environment.as_str())))
}

/// The TRAQS settings in force.
pub(crate) struct Resolved {
    pub(crate) environment: TraqsEnvironment,
    pub(crate) base: Option<String>,
    pub(crate) username: Option<String>,
}

impl Resolved {
    /// The settings from the environment and `.env` alone (no flags).
    pub(crate) fn from_settings() -> anyhow::Result<Self> {
        Self::with(None, None, None)
    }

    /// Flags first, then the environment, then `.env`.
    fn with(
        environment: Option<TraqsEnvironment>,
        base: Option<String>,
        username: Option<String>,
    ) -> anyhow::Result<Self> {
        let environment = match (environment, setting("FINRA_TRAQS_ENV")) {
            (Some(env), _) => env,
            (None, Some(text)) => text.parse().map_err(anyhow::Error::msg)?,
            (None, None) => TraqsEnvironment::Production,
        };
        Ok(Self {
            environment,
            base: base.or_else(|| setting("FINRA_TRAQS_BASE")),
            username: username.or_else(|| setting("FINRA_TRAQS_USERNAME")),
        })
    }
}

impl Args {
    fn resolve(&self) -> anyhow::Result<Resolved> {
        Resolved::with(
            self.traqs_environment,
            self.traqs_base.clone(),
            self.username.clone(),
        )
    }
}

pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let resolved = args.resolve()?;
    match args.command {
        Command::Login { print } => login(&resolved, print).await,
        Command::Status => status(&resolved),
        Command::Files { facility } => {
            let client = client(&resolved)?;
            let mut stdout = std::io::stdout().lock();
            for name in client.files(&facility).await? {
                writeln!(stdout, "{name}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Download {
            facility,
            file,
            out,
        } => download(&resolved, &facility, &file, out.as_deref()).await,
    }
}

async fn login(resolved: &Resolved, print: bool) -> anyhow::Result<ExitCode> {
    let username = resolved
        .username
        .clone()
        .context("the TRAQS username is required: --username or FINRA_TRAQS_USERNAME")?;
    let sign_in = TraqsSignIn::new(
        resolved.environment,
        resolved.base.as_deref(),
        TraqsPaths::default(),
        reqwest::Client::new(),
    )?;
    let password = ask(&format!("TRAQS password for {username}: "))?;
    let code = ask("Code from your authenticator app: ")?;
    let session = sign_in.sign_in(&username, &password, &code).await?;
    let minted = sign_in.mint_refresh_token(&session).await?;
    let expires_at = minted.expires_at.format(&Rfc3339)?;
    if print {
        writeln!(std::io::stdout().lock(), "{}", minted.token.expose_secret())?;
        eprintln!("expires at {expires_at}");
        return Ok(ExitCode::SUCCESS);
    }
    let path = store_path(resolved.environment)?;
    let stored = Stored {
        environment: resolved.environment.as_str().to_owned(),
        username,
        refresh_token: minted.token.expose_secret().to_owned(),
        expires_at: expires_at.clone(),
    };
    write_private(&path, &serde_json::to_vec_pretty(&stored)?)?;
    eprintln!(
        "stored the TRAQS refresh token ({}) in {}; it expires at {expires_at}",
        resolved.environment.as_str(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The refresh token in use: the environment's variable first, else the stored one.
pub(crate) struct Token {
    pub(crate) username: String,
    token: SecretString,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) source: String,
}

pub(crate) fn token(resolved: &Resolved) -> anyhow::Result<Token> {
    if let Some(token) = setting("FINRA_TRAQS_REFRESH_TOKEN") {
        let username = resolved
            .username
            .clone()
            .context("FINRA_TRAQS_REFRESH_TOKEN is set: FINRA_TRAQS_USERNAME is needed with it")?;
        return Ok(Token {
            username,
            token: SecretString::from(token),
            expires_at: None,
            source: "FINRA_TRAQS_REFRESH_TOKEN".into(),
        });
    }
    let path = store_path(resolved.environment)?;
    let text = std::fs::read(&path).with_context(|| {
        format!(
            "no TRAQS refresh token for {}: run `finra traqs login` (or set FINRA_TRAQS_REFRESH_TOKEN)",
            resolved.environment.as_str()
        )
    })?;
    let stored: Stored =
        serde_json::from_slice(&text).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Token {
        username: stored.username,
        token: SecretString::from(stored.refresh_token),
        expires_at: OffsetDateTime::parse(&stored.expires_at, &Rfc3339).ok(),
        source: path.display().to_string(),
    })
}

pub(crate) fn client(resolved: &Resolved) -> anyhow::Result<TraqsClient> {
    let token = token(resolved)?;
    let mut builder = TraqsClient::builder(resolved.environment)
        .username(token.username)
        .refresh_token(token.token);
    if let Some(base) = &resolved.base {
        builder = builder.base_url(base.clone());
    }
    if let Some(at) = token.expires_at {
        builder = builder.refresh_token_expires_at(at);
    }
    Ok(builder.build()?)
}

fn status(resolved: &Resolved) -> anyhow::Result<ExitCode> {
    let token = token(resolved)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "environment  {}", resolved.environment.as_str())?;
    writeln!(stdout, "username     {}", token.username)?;
    writeln!(stdout, "from         {}", token.source)?;
    match token.expires_at {
        Some(at) => {
            let days = (at - OffsetDateTime::now_utc()).whole_days();
            writeln!(
                stdout,
                "expires      {} ({days} days left)",
                at.format(&Rfc3339)?
            )?;
            if days <= 14 {
                writeln!(
                    stdout,
                    "warning      renew it soon: a person must run `finra traqs login`"
                )?;
            }
        }
        None => writeln!(stdout, "expires      unknown")?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn download(
    resolved: &Resolved,
    facility: &str,
    file: &str,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let client = client(resolved)?;
    let download = client.download(facility, file).await?;
    let bar = progress_bar(&format!("{facility}/{file}"));
    let observe = |bytes: usize| {
        if let Some(bar) = &bar {
            bar.inc(u64::try_from(bytes).unwrap_or(0));
        }
    };
    let Some(out) = out else {
        // Large writes: tokio's stdout hands every write to a blocking thread.
        let mut stdout = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, tokio::io::stdout());
        let rows = download.copy_to_observed(&mut stdout, observe).await?;
        finish(bar.as_ref());
        eprintln!("{rows} rows");
        return Ok(ExitCode::SUCCESS);
    };
    // Written beside the target and renamed when complete: never a half-written file.
    let partial = out.with_extension(format!("partial-{}", std::process::id()));
    let result = async {
        let file = tokio::fs::File::create(&partial)
            .await
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let rows = download.copy_to_observed(&mut writer, observe).await?;
        writer.get_ref().sync_all().await?;
        tokio::fs::rename(&partial, out)
            .await
            .with_context(|| format!("cannot write {}", out.display()))?;
        anyhow::Ok(rows)
    }
    .await;
    finish(bar.as_ref());
    match result {
        Ok(rows) => {
            eprintln!("{rows} rows written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(error)
        }
    }
}

/// Bytes and speed on stderr while a download runs, when stderr is a terminal.
fn progress_bar(what: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {msg}: {bytes} ({binary_bytes_per_sec}, {elapsed})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

fn finish(bar: Option<&indicatif::ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}
