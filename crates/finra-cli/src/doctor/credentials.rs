//! What `auth doctor` finds about credentials, without ever keeping or printing a value: for
//! the environment and the `.env` file, whether each variable is missing, empty, a placeholder
//! such as the text `None` (what Python sends after `os.getenv` found nothing: the notebook's
//! `None:None`), or set, with its length and telltale mistakes (quotes, spaces).

use std::fmt;
use std::path::{Path, PathBuf};

use finra_client::{API_KEY_VAR, API_SECRET_VAR};

use crate::settings::{BEARER_TOKEN_VAR, bearer_token};

/// Texts that mean "no value" in the languages people load `.env` files from.
const PLACEHOLDERS: [&str; 4] = ["none", "null", "undefined", "nil"];

/// What one variable holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Missing,
    Empty,
    /// A placeholder text such as `None` (kept: it is not a secret).
    Placeholder(String),
    Set {
        chars: usize,
        quoted: bool,
        padded: bool,
    },
}

impl Value {
    fn of(raw: Option<&str>) -> Self {
        let Some(raw) = raw else {
            return Self::Missing;
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Self::Empty;
        }
        let unquoted = trimmed.trim_matches(|c| c == '"' || c == '\'');
        if PLACEHOLDERS.contains(&unquoted.to_ascii_lowercase().as_str()) {
            return Self::Placeholder(unquoted.to_owned());
        }
        Self::Set {
            chars: trimmed.chars().count(),
            quoted: unquoted.len() != trimmed.len(),
            padded: trimmed.len() != raw.len(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("not set"),
            Self::Empty => f.write_str("set but empty"),
            Self::Placeholder(text) => write!(f, "is the text {text:?}, not a credential"),
            Self::Set { chars, .. } => write!(f, "set ({chars} characters)"),
        }
    }
}

/// The two variables as found in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair {
    pub(crate) key: Value,
    pub(crate) secret: Value,
}

impl Pair {
    fn of(key: Option<&str>, secret: Option<&str>) -> Self {
        Self {
            key: Value::of(key),
            secret: Value::of(secret),
        }
    }

    fn values(&self) -> [(&'static str, &Value); 2] {
        [(API_KEY_VAR, &self.key), (API_SECRET_VAR, &self.secret)]
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{API_KEY_VAR} {}; {API_SECRET_VAR} {}",
            self.key, self.secret
        )
    }
}

/// The `.env` file in the current directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DotEnv {
    Missing,
    /// It exists but cannot be read or parsed (the reason names no value).
    Unreadable(String),
    Found(Pair),
}

/// Everything found.
#[derive(Debug, Clone)]
pub(crate) struct Inspection {
    pub(crate) env: Pair,
    pub(crate) dotenv_path: PathBuf,
    pub(crate) dotenv: DotEnv,
    /// Length of `FINRA_BEARER_TOKEN`, when set.
    pub(crate) bearer_chars: Option<usize>,
}

impl Inspection {
    /// Looks at the process environment and `./.env`.
    pub(crate) fn gather() -> Self {
        let dotenv_path = std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("."))
            .join(".env");
        let var = |name: &str| std::env::var(name).ok();
        Self {
            env: Pair::of(var(API_KEY_VAR).as_deref(), var(API_SECRET_VAR).as_deref()),
            dotenv: read_dotenv(&dotenv_path),
            dotenv_path,
            bearer_chars: bearer_token().map(|t| t.chars().count()),
        }
    }

    /// Placeholders (`None`, `null`, …) anywhere, with where: `FINRA_API_KEY in .env`.
    pub(crate) fn placeholders(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (name, value) in self.env.values() {
            if let Value::Placeholder(text) = value {
                found.push(format!("{name}={text} in the environment"));
            }
        }
        if let DotEnv::Found(pair) = &self.dotenv {
            for (name, value) in pair.values() {
                if let Value::Placeholder(text) = value {
                    found.push(format!("{name}={text} in {}", self.dotenv_path.display()));
                }
            }
        }
        found
    }

    /// Variables present but empty, with where.
    pub(crate) fn empties(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (name, value) in self.env.values() {
            if *value == Value::Empty {
                found.push(format!("{name} in the environment"));
            }
        }
        if let DotEnv::Found(pair) = &self.dotenv {
            for (name, value) in pair.values() {
                if *value == Value::Empty {
                    found.push(format!("{name} in {}", self.dotenv_path.display()));
                }
            }
        }
        found
    }

    /// Values wrapped in quotes or spaces (finra trims them; other code may not).
    pub(crate) fn oddities(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut look = |pair: &Pair, place: &str| {
            for (name, value) in pair.values() {
                if let Value::Set { quoted, padded, .. } = value {
                    if *quoted {
                        found.push(format!("{name} {place} is wrapped in quotes"));
                    }
                    if *padded {
                        found.push(format!("{name} {place} has spaces around it"));
                    }
                }
            }
        };
        look(&self.env, "in the environment");
        if let DotEnv::Found(pair) = &self.dotenv {
            look(pair, &format!("in {}", self.dotenv_path.display()));
        }
        found
    }

    /// One line per place looked at.
    pub(crate) fn lines(&self) -> Vec<String> {
        let dotenv = match &self.dotenv {
            DotEnv::Missing => "not found".to_owned(),
            DotEnv::Unreadable(why) => format!("cannot be read: {why}"),
            DotEnv::Found(pair) => pair.to_string(),
        };
        let bearer = match self.bearer_chars {
            None => "not set".to_owned(),
            Some(n) => format!("set ({n} characters): data commands use it instead of minting"),
        };
        vec![
            format!("environment: {}", self.env),
            format!(".env file {}: {dotenv}", self.dotenv_path.display()),
            format!("{BEARER_TOKEN_VAR}: {bearer}"),
        ]
    }
}

/// Reads the two variables of a `.env` file. Parse errors report a position only: the line
/// could hold a secret.
fn read_dotenv(path: &Path) -> DotEnv {
    let entries = match dotenvy::from_path_iter(path) {
        Ok(entries) => entries,
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return DotEnv::Missing;
        }
        Err(dotenvy::Error::Io(e)) => return DotEnv::Unreadable(e.to_string()),
        Err(_) => return DotEnv::Unreadable("not a .env file".to_owned()),
    };
    let (mut key, mut secret) = (None, None);
    for entry in entries {
        match entry {
            Ok((name, value)) if name == API_KEY_VAR => key = Some(value),
            Ok((name, value)) if name == API_SECRET_VAR => secret = Some(value),
            Ok(_) => {}
            Err(dotenvy::Error::LineParse(_, index)) => {
                return DotEnv::Unreadable(format!("a line does not parse (near byte {index})"));
            }
            Err(_) => return DotEnv::Unreadable("a line does not parse".to_owned()),
        }
    }
    DotEnv::Found(Pair::of(key.as_deref(), secret.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_classified_without_being_kept() {
        assert_eq!(Value::of(None), Value::Missing);
        assert_eq!(Value::of(Some("  ")), Value::Empty);
        assert_eq!(
            Value::of(Some("None")),
            Value::Placeholder("None".to_owned())
        );
        assert_eq!(
            Value::of(Some("'null'")),
            Value::Placeholder("null".to_owned())
        );
        assert_eq!(
            Value::of(Some("\"abc\"")),
            Value::Set {
                chars: 5,
                quoted: true,
                padded: false
            }
        );
        let shown = Pair::of(Some("s3cr3t-id"), Some("None")).to_string();
        assert_eq!(
            shown,
            "FINRA_API_KEY set (9 characters); FINRA_API_SECRET is the text \"None\", not a credential"
        );
        assert!(!shown.contains("s3cr3t"));
    }
}
