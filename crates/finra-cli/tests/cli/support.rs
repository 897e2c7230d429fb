//! Running the built `finra` binary against an emulator: a controlled environment (nothing of
//! the developer's leaks in), a temporary working directory (for `.env` files and `--out`),
//! bounded waits, and the outcome as text.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use finra_client::{Auth, FinraClient, Pacer, Query, Row};
use finra_emulator::{Credential, EmulatorConfig, RunningEmulator, Throttle, Tier};
use futures_util::TryStreamExt;

/// The public-tier credential the emulators here accept.
pub(crate) const ID: &str = "cli-public-client";
pub(crate) const SECRET: &str = "cli-public-s3cret-Value";
/// The firm-tier credential.
pub(crate) const FIRM_ID: &str = "cli-firm-client";
pub(crate) const FIRM_SECRET: &str = "cli-firm-s3cret-Value";

/// The longest any run of the binary may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// An emulator config with both credentials and no throttle.
pub(crate) fn config() -> EmulatorConfig {
    EmulatorConfig::default()
        .with_credentials([
            Credential::new(ID, SECRET, Tier::Public),
            Credential::new(FIRM_ID, FIRM_SECRET, Tier::Firm),
        ])
        .with_throttle(Throttle::Off)
}

pub(crate) async fn spawn(config: EmulatorConfig) -> RunningEmulator {
    finra_emulator::spawn(config)
        .await
        .expect("emulator starts")
}

pub(crate) async fn emulator() -> RunningEmulator {
    spawn(config()).await
}

/// A library client on the emulator, for the expected answers.
pub(crate) fn client(emulator: &RunningEmulator, auth: Auth) -> FinraClient {
    FinraClient::builder()
        .api_base(emulator.base_url())
        .token_url(emulator.token_url())
        .auth(auth)
        .pacer(Pacer::unlimited())
        .build()
        .expect("client")
}

/// Every row of `query`, through the library.
pub(crate) async fn rows(emulator: &RunningEmulator, query: Query) -> Vec<Row> {
    client(emulator, Auth::Anonymous)
        .stream_rows(query)
        .try_collect()
        .await
        .expect("rows")
}

/// The newest partition of otcMarket/weeklySummary: (week, tier).
pub(crate) async fn newest_partition(emulator: &RunningEmulator) -> (String, String) {
    let partitions = client(emulator, Auth::Anonymous)
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions");
    let newest = &partitions.available_partitions[0].partitions;
    (newest[0].clone(), newest[1].clone())
}

/// A directory under the system's temporary directory, removed when dropped.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "finra-cli-test-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `name` in the directory.
    pub(crate) fn write(&self, name: &str, content: &str) {
        std::fs::write(self.0.join(name), content).expect("file written");
    }

    /// The names of the files in the directory.
    pub(crate) fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("dir")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One invocation of the binary.
#[derive(Debug)]
pub(crate) struct Finra {
    command: tokio::process::Command,
    dir: TempDir,
}

/// What a run produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// The working directory (kept until the outcome is dropped).
    pub(crate) dir: TempDir,
}

impl Outcome {
    fn of(output: std::process::Output, dir: TempDir) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
            dir,
        }
    }

    /// Both streams, for searching.
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Finra {
    /// `finra` pointed at `emulator`, with nothing else in its environment and a fresh working
    /// directory.
    pub(crate) fn at(emulator: &RunningEmulator) -> Self {
        Self::with_urls(&emulator.base_url(), &emulator.token_url())
    }

    /// `finra` with these URLs.
    pub(crate) fn with_urls(api_base: &str, token_url: &str) -> Self {
        let dir = TempDir::new();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_finra"));
        command
            .env_clear()
            .env("FINRA_API_BASE", api_base)
            .env("FINRA_TOKEN_URL", token_url)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Self { command, dir }
    }

    /// Sets an environment variable.
    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    /// Removes an environment variable.
    pub(crate) fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    /// The public credential in the environment.
    pub(crate) fn credentials(self) -> Self {
        self.env("FINRA_API_KEY", ID)
            .env("FINRA_API_SECRET", SECRET)
    }

    /// Writes a `.env` file in the working directory.
    pub(crate) fn dotenv(self, content: &str) -> Self {
        self.dir.write(".env", content);
        self
    }

    /// The working directory.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `finra ARGS…` with `input` on its stdin and waits (bounded) for it to finish.
    pub(crate) async fn run_with_stdin(mut self, args: &[&str], input: &str) -> Outcome {
        use tokio::io::AsyncWriteExt;
        self.command.args(args).stdin(Stdio::piped());
        let mut child = self.command.spawn().expect("finra runs");
        let mut stdin = child.stdin.take().expect("a stdin pipe");
        stdin
            .write_all(input.as_bytes())
            .await
            .expect("stdin written");
        drop(stdin);
        let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("finra {args:?} did not finish within {RUN_TIMEOUT:?}"))
            .expect("finra runs");
        Outcome::of(output, self.dir)
    }

    /// Runs `finra ARGS…` and waits (bounded) for it to finish.
    pub(crate) async fn run(mut self, args: &[&str]) -> Outcome {
        self.command.args(args);
        let output = tokio::time::timeout(RUN_TIMEOUT, self.command.output())
            .await
            .unwrap_or_else(|_| panic!("finra {args:?} did not finish within {RUN_TIMEOUT:?}"))
            .expect("finra runs");
        Outcome::of(output, self.dir)
    }
}

/// NDJSON text as rows.
pub(crate) fn ndjson_rows(text: &str) -> Vec<Row> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("each line is a JSON object"))
        .collect()
}

/// Rows in a canonical order, to compare results that may come in different orders.
pub(crate) fn canonical(rows: &[Row]) -> Vec<String> {
    let mut texts: Vec<String> = rows
        .iter()
        .map(|row| serde_json::to_string(row).expect("serialisable"))
        .collect();
    texts.sort();
    texts
}

/// Text with every run of whitespace made one space (the doctor wraps long lines).
pub(crate) fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
