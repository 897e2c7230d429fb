//! What the CLI keeps and asks of its user: settings from the environment or `.env`, the user's
//! config directory (`$XDG_CONFIG_HOME/finra`, else `~/.config/finra`), files only the owner
//! may read, and answers typed without echo.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use secrecy::SecretString;

/// A setting from the environment, else from `.env` in the working directory.
pub(crate) fn setting(name: &str) -> Option<String> {
    environment(name).or_else(|| dotenv_value(&dotenv(), name))
}

/// A variable of the process environment, when set and not empty.
pub(crate) fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The `.env` file's entries in the working directory, in order (none when there is no file).
pub(crate) fn dotenv() -> Vec<(String, String)> {
    dotenvy::from_path_iter(".env")
        .map(|entries| entries.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

/// `name`'s value among `.env`'s `entries`, when given and not empty.
pub(crate) fn dotenv_value(entries: &[(String, String)], name: &str) -> Option<String> {
    entries
        .iter()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.clone())
}

/// The CLI's directory in the user's config directory.
pub(crate) fn config_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .context("no config directory: set HOME or XDG_CONFIG_HOME")?;
    Ok(base.join("finra"))
}

/// Reads one answer: without echo on a terminal, else a line of stdin.
pub(crate) fn ask(prompt: &str) -> anyhow::Result<SecretString> {
    let answer = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).context("cannot read from the terminal")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    anyhow::ensure!(!answer.is_empty(), "nothing entered for {prompt:?}");
    Ok(SecretString::from(answer))
}

/// Writes a file readable by its owner only (created so, never readable by others).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    options
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .with_context(|| format!("cannot write {}", path.display()))
}
