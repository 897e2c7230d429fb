//! Reading a secret from the terminal without echo, or from standard input when piped.

use std::io::{BufRead, IsTerminal};

use secrecy::SecretString;

/// Reads one secret: prompts without echo on a terminal, else reads the first line of stdin.
pub(super) fn read_secret(prompt: &str) -> anyhow::Result<SecretString> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    if text.is_empty() {
        anyhow::bail!("an empty secret was given");
    }
    Ok(SecretString::from(text))
}
