//! API credentials and how a client authenticates: [`Credentials`] (client id and secret, from
//! code, the environment or a `.env` file, remembering where they came from) and [`Auth`]
//! (credentials, anonymous, or a ready bearer token). Secrets live in [`SecretString`] and never
//! appear in `Debug` output.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::error::FinraError;

/// The environment variable holding the client id (FINRA calls it the API key).
pub const API_KEY_VAR: &str = "FINRA_API_KEY";
/// The environment variable holding the client secret.
pub const API_SECRET_VAR: &str = "FINRA_API_SECRET";

/// Where a set of credentials came from (printed by diagnostics, never the values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Passed in by the program.
    Code,
    /// `FINRA_API_KEY` / `FINRA_API_SECRET` in the process environment.
    Environment,
    /// A `.env` file at this path.
    DotEnv(PathBuf),
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code => f.write_str("given in code"),
            Self::Environment => {
                write!(
                    f,
                    "environment variables {API_KEY_VAR} and {API_SECRET_VAR}"
                )
            }
            Self::DotEnv(path) => write!(f, ".env file {}", path.display()),
        }
    }
}

/// A FINRA API client credential: client id (the "API key") and client secret.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    client_secret: SecretString,
    source: CredentialSource,
}

impl Credentials {
    /// Credentials given by the program.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            source: CredentialSource::Code,
        }
    }

    /// Reads `FINRA_API_KEY` and `FINRA_API_SECRET` from the process environment, or else from a
    /// `.env` file in the current directory (without changing the process environment).
    ///
    /// Both values must come from the same place and be non-empty: an empty or missing value is
    /// exactly how the `None:None` that FINRA answers with `Invalid Credentials` gets sent. The
    /// error says what was found where.
    pub fn from_env() -> Result<Self, FinraError> {
        let dotenv = std::env::current_dir()
            .map(|dir| dir.join(".env"))
            .map_err(|e| FinraError::Config(format!("cannot read the current directory: {e}")))?;
        Self::from_sources(|name| std::env::var(name).ok(), &dotenv)
    }

    /// Like [`Credentials::from_env`], with an explicit environment lookup and `.env` path (for
    /// tests, and tools that take the path as an option).
    pub fn from_sources(
        env: impl Fn(&str) -> Option<String>,
        dotenv_path: &Path,
    ) -> Result<Self, FinraError> {
        let from_env = Pair {
            key: env(API_KEY_VAR),
            secret: env(API_SECRET_VAR),
        };
        if let Some(credentials) = from_env.complete(CredentialSource::Environment) {
            return Ok(credentials);
        }
        let from_file = match read_dotenv(dotenv_path)? {
            Some(pair) => pair,
            None => {
                return Err(FinraError::Config(format!(
                    "no FINRA credentials: {} in the environment, and no .env file at {}",
                    from_env.describe(),
                    dotenv_path.display()
                )));
            }
        };
        if let Some(credentials) =
            from_file.complete(CredentialSource::DotEnv(dotenv_path.to_path_buf()))
        {
            return Ok(credentials);
        }
        Err(FinraError::Config(format!(
            "no complete FINRA credentials: {} in the environment; {} in {}",
            from_env.describe(),
            from_file.describe(),
            dotenv_path.display()
        )))
    }

    /// The client id (not secret: FINRA shows it in the API console).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret. Expose it only to build the token request.
    pub fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }

    /// Where these credentials came from.
    pub fn source(&self) -> &CredentialSource {
        &self.source
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("source", &self.source)
            .finish()
    }
}

/// How a client authenticates its data calls.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Mint access tokens from these credentials (HTTP Basic, `client_credentials` grant) and
    /// refresh them as needed.
    ClientCredentials(Credentials),
    /// No `Authorization` header: FINRA serves its public datasets anonymously.
    Anonymous,
    /// Send this ready token as `Authorization: Bearer …` (e.g. a FinHub session token). It is
    /// never refreshed by this client.
    BearerToken(SecretString),
    /// Ask this source for the token before each request, and tell it when one is refused (a
    /// FinHub session that renews itself).
    Source(std::sync::Arc<dyn crate::BearerSource>),
}

impl Auth {
    /// A ready bearer token.
    pub fn bearer(token: impl Into<SecretString>) -> Self {
        Self::BearerToken(token.into())
    }
}

/// Two values as found in one place: missing (`None`) or present (possibly empty).
struct Pair {
    key: Option<String>,
    secret: Option<String>,
}

impl Pair {
    fn complete(&self, source: CredentialSource) -> Option<Credentials> {
        let key = self
            .key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())?;
        let secret = self.secret.as_deref().filter(|s| !s.trim().is_empty())?;
        Some(Credentials {
            client_id: key.to_owned(),
            client_secret: SecretString::from(secret.trim().to_owned()),
            source,
        })
    }

    /// What was found, without the values: "FINRA_API_KEY set, FINRA_API_SECRET empty".
    fn describe(&self) -> String {
        let state = |value: &Option<String>| match value.as_deref().map(str::trim) {
            None => "not set",
            Some("") => "empty",
            Some(_) => "set",
        };
        format!(
            "{API_KEY_VAR} {}, {API_SECRET_VAR} {}",
            state(&self.key),
            state(&self.secret)
        )
    }
}

/// The two variables from a `.env` file; `None` when there is no such file.
fn read_dotenv(path: &Path) -> Result<Option<Pair>, FinraError> {
    let entries = match dotenvy::from_path_iter(path) {
        Ok(entries) => entries,
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(FinraError::Config(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let mut pair = Pair {
        key: None,
        secret: None,
    };
    for entry in entries {
        // Parse errors can quote the offending line, which may hold a secret: report the
        // position only.
        let (name, value) = entry.map_err(|e| {
            let position = match &e {
                dotenvy::Error::LineParse(_, index) => format!(" near byte {index}"),
                _ => String::new(),
            };
            FinraError::Config(format!("cannot parse {}{position}", path.display()))
        })?;
        match name.as_str() {
            API_KEY_VAR => pair.key = Some(value),
            API_SECRET_VAR => pair.secret = Some(value),
            _ => {}
        }
    }
    Ok(Some(pair))
}

/// Compares a secret with a candidate without exposing either in a `Debug` path.
pub(crate) fn same_secret(a: &SecretString, b: &SecretString) -> bool {
    a.expose_secret() == b.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dotenv(content: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "finra-client-test-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(".env");
        std::fs::write(&path, content).expect("write .env");
        path
    }

    #[test]
    fn environment_wins_over_the_dotenv_file() {
        let path = temp_dotenv("FINRA_API_KEY=file-id\nFINRA_API_SECRET=file-secret\n");
        let env = |name: &str| match name {
            API_KEY_VAR => Some("env-id".to_owned()),
            API_SECRET_VAR => Some("env-secret".to_owned()),
            _ => None,
        };
        let credentials = Credentials::from_sources(env, &path).expect("found");
        assert_eq!(credentials.client_id(), "env-id");
        assert_eq!(credentials.source(), &CredentialSource::Environment);
    }

    #[test]
    fn dotenv_file_is_read_without_touching_the_environment() {
        let path = temp_dotenv("# comment\nFINRA_API_KEY=\"file-id\"\nFINRA_API_SECRET=s3cr3t\n");
        let credentials = Credentials::from_sources(|_| None, &path).expect("found");
        assert_eq!(credentials.client_id(), "file-id");
        assert_eq!(credentials.client_secret().expose_secret(), "s3cr3t");
        assert_eq!(credentials.source(), &CredentialSource::DotEnv(path));
    }

    #[test]
    fn missing_or_empty_values_are_reported_without_values() {
        let path = temp_dotenv("FINRA_API_KEY=file-id\nFINRA_API_SECRET=\n");
        let error = Credentials::from_sources(|_| None, &path).expect_err("incomplete");
        let text = error.to_string();
        assert!(text.contains("FINRA_API_SECRET empty"), "{text}");
        assert!(!text.contains("file-id"), "{text}");

        let nowhere = std::env::temp_dir().join("finra-client-no-such-dir/.env");
        let error = Credentials::from_sources(|_| None, &nowhere).expect_err("none");
        assert!(error.to_string().contains("no .env file"), "{error}");
    }

    #[test]
    fn debug_redacts_the_secret() {
        let credentials = Credentials::new("id", "hunter2");
        let debug = format!(
            "{credentials:?} {:?}",
            Auth::ClientCredentials(credentials.clone())
        );
        assert!(!debug.contains("hunter2"), "{debug}");
        let bearer = format!("{:?}", Auth::bearer("tok-123"));
        assert!(!bearer.contains("tok-123"), "{bearer}");
    }
}
