//! Where each setting comes from: flags first, then the environment, then a `.env` file in the
//! working directory. [`args_with_dotenv`] gives the parser the `.env` values of the settings
//! that have a flag (so clap sees them below the environment), and `finra config show` prints
//! every setting with its source — secrets only as "set" or "not set".

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use crate::userfiles::{dotenv, dotenv_value, environment};

/// The settings that have a flag, with it.
const FLAGGED: &[(&str, &str)] = &[
    ("FINRA_HUB", "--hub"),
    ("FINRA_API_BASE", "--api-base"),
    ("FINRA_TOKEN_URL", "--token-url"),
    ("FINRA_RATE", "--rate"),
    ("FINRA_CLIENT_CERT", "--cert"),
    ("FINRA_CLIENT_KEY", "--key"),
    ("FINRA_CA_CERT", "--cacert"),
];

/// Every setting `finra config show` lists: name, whether it is a secret.
const SETTINGS: &[(&str, bool)] = &[
    ("FINRA_HUB", false),
    ("FINRA_API_BASE", false),
    ("FINRA_TOKEN_URL", false),
    ("FINRA_RATE", false),
    ("FINRA_CLIENT_CERT", false),
    ("FINRA_CLIENT_KEY", false),
    ("FINRA_CA_CERT", false),
    ("FINRA_API_KEY", false),
    ("FINRA_API_SECRET", true),
    ("FINRA_BEARER_TOKEN", true),
    ("FINRA_HUB_TENANT", false),
    ("FINRA_HUB_CUSTOMER_ID", false),
    ("FINRA_HUB_CUSTOMER_SECRET", true),
    ("FINRA_HUB_USERNAME", false),
    ("FINRA_TRAQS_ENV", false),
    ("FINRA_TRAQS_BASE", false),
    ("FINRA_TRAQS_USERNAME", false),
    ("FINRA_TRAQS_REFRESH_TOKEN", true),
    ("FINRA_LOG", false),
];

/// Whether `flag` is on the command line (`--flag VALUE` or `--flag=VALUE`).
fn on_command_line(args: &[OsString], flag: &str) -> bool {
    let with_value = format!("{flag}=");
    args.iter().skip(1).any(|arg| {
        arg.to_str()
            .is_some_and(|arg| arg == flag || arg.starts_with(&with_value))
    })
}

/// The command line with `--flag=VALUE` added for each flagged setting that only `.env` gives
/// (neither the command line nor the environment does).
pub(crate) fn args_with_dotenv(args: Vec<OsString>) -> Vec<OsString> {
    let file = dotenv();
    let mut extra = Vec::new();
    for (name, flag) in FLAGGED {
        if on_command_line(&args, flag) || environment(name).is_some() {
            continue;
        }
        if let Some(value) = dotenv_value(&file, name) {
            extra.push(OsString::from(format!("{flag}={value}")));
        }
    }
    let mut args = args.into_iter();
    args.next().into_iter().chain(extra).chain(args).collect()
}

/// `finra config show`.
pub(crate) fn show() -> anyhow::Result<ExitCode> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let file = dotenv();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{:<27} {:<44} from", "setting", "value")?;
    for (name, secret) in SETTINGS {
        let flag = FLAGGED
            .iter()
            .find(|(setting, _)| setting == name)
            .map(|(_, flag)| *flag);
        let from_file = dotenv_value(&file, name);
        let (value, source) = match (
            flag.filter(|f| on_command_line(&args, f)),
            environment(name),
            from_file,
        ) {
            (Some(flag), _, _) => (Some(String::new()), format!("the {flag} flag")),
            (None, Some(value), _) => (Some(value), "the environment".to_owned()),
            (None, None, Some(value)) => (Some(value), ".env".to_owned()),
            (None, None, None) => (None, "-".to_owned()),
        };
        let shown = match (&value, secret) {
            (None, _) => "not set".to_owned(),
            (Some(_), true) => "set".to_owned(),
            (Some(value), false) if value.is_empty() => "(as given)".to_owned(),
            (Some(value), false) => value.clone(),
        };
        writeln!(out, "{name:<27} {shown:<44} {source}")?;
    }
    Ok(ExitCode::SUCCESS)
}
