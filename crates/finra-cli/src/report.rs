//! Reporting failures on stderr: the error, every cause down the chain (a transport error's
//! chain names the real reason: DNS, refused connection, TLS), and a hint at what to do.

use std::io::Write;

use finra_client::FinraError;

use crate::settings::{AuthKind, BEARER_TOKEN_VAR, auth_kind};

/// Writing the output failed (not FINRA): kept apart so that a reader closing the pipe (e.g.
/// `finra query … | head`) ends the command quietly.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the output")]
pub(crate) struct OutputError {
    #[source]
    pub(crate) source: std::io::Error,
    /// Whether the output is standard output.
    pub(crate) stdout: bool,
}

/// Whether `error` is standard output's reader going away.
pub(crate) fn is_closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<OutputError>().is_some_and(|output| {
            output.stdout && output.source.kind() == std::io::ErrorKind::BrokenPipe
        })
    })
}

/// Prints `error`, its causes and a hint to stderr.
pub(crate) fn print_error(error: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = write_error(&mut stderr, error);
}

fn write_error(out: &mut impl Write, error: &anyhow::Error) -> std::io::Result<()> {
    writeln!(out, "error: {error}")?;
    let mut shown = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        // `FinraError::Transport` repeats its source's message in its own.
        if !shown.contains(&text) {
            writeln!(out, "  caused by: {text}")?;
        }
        shown = text;
    }
    if let Some(hint) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<FinraError>())
        .and_then(|finra| hint(finra, auth_kind()))
    {
        writeln!(out, "hint: {hint}")?;
    }
    Ok(())
}

/// What to do about a FINRA error, given how the command authenticated.
fn hint(error: &FinraError, auth: Option<AuthKind>) -> Option<String> {
    let text = match (error, auth) {
        (FinraError::BadCredentials { .. } | FinraError::UnsupportedGrantType, _) => {
            "`finra auth doctor` diagnoses token problems step by step".to_owned()
        }
        (FinraError::Unauthorized { .. }, Some(AuthKind::Bearer)) => format!(
            "the token in {BEARER_TOKEN_VAR} was refused: it expired or is not a token for this API; \
             get a new one (log in again for a FinHub session token), or unset it to mint tokens \
             from FINRA_API_KEY / FINRA_API_SECRET"
        ),
        (FinraError::Unauthorized { .. } | FinraError::NotEntitled { .. }, Some(AuthKind::Hub)) => {
            "the hub refused the session or its scope: `finra hub status` shows the session; \
             `finra hub login` starts a new one"
                .to_owned()
        }
        (FinraError::Unauthorized { .. }, Some(AuthKind::Anonymous)) => {
            "this dataset needs credentials: set FINRA_API_KEY and FINRA_API_SECRET (environment \
             or .env); `finra auth doctor` checks them"
                .to_owned()
        }
        (FinraError::Unauthorized { .. }, _) => {
            "FINRA refused a freshly minted token: check the credential's status in FINRA's API \
             console; `finra auth doctor` checks the setup"
                .to_owned()
        }
        (FinraError::NotEntitled { .. }, _) => {
            "the credential's tier is not entitled to this dataset (public credentials see \
             otcMarket and fixedIncomeMarket); `finra datasets` lists what it can see"
                .to_owned()
        }
        (FinraError::NotFound { .. }, _) => {
            "check the dataset's group and name (`finra datasets` lists them) and --api-base"
                .to_owned()
        }
        (FinraError::InvalidQuery { .. }, _) => {
            "`finra metadata GROUP/NAME` shows the fields and partition fields".to_owned()
        }
        (FinraError::BadRequest { .. }, _) => {
            "`finra metadata GROUP/NAME` shows the dataset's field names and types".to_owned()
        }
        (FinraError::RateLimited { .. }, _) => {
            "FINRA allows 20 requests/s per address (and 20 async requests per hour per dataset); \
             wait and try again"
                .to_owned()
        }
        (FinraError::Transport(_) | FinraError::Timeout { .. }, _) => {
            "check the network and the URLs (--api-base, --token-url); `finra auth doctor` checks \
             the connection"
                .to_owned()
        }
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_listed_once_with_a_hint() {
        let error = anyhow::Error::new(FinraError::NotFound {
            message: "Dataset x/y not found".to_owned(),
        })
        .context("cannot query x/y");
        let mut out = Vec::new();
        write_error(&mut out, &error).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("error: cannot query x/y\n"), "{text}");
        assert!(
            text.contains("caused by: not found (404): Dataset x/y not found"),
            "{text}"
        );
        assert!(text.contains("hint: check the dataset's group"), "{text}");
    }

    #[test]
    fn only_stdout_broken_pipes_are_quiet() {
        let broken = |stdout| {
            anyhow::Error::new(OutputError {
                source: std::io::Error::from(std::io::ErrorKind::BrokenPipe),
                stdout,
            })
        };
        assert!(is_closed_stdout(&broken(true)));
        assert!(!is_closed_stdout(&broken(false)));
    }
}
