//! FinHub's storage: the `finhub-core` store traits implemented over a database, chosen once at
//! startup from the URL. Only this crate knows SQL and Redis.
//!
//! Two backends implement the traits: SQLite ([`SqliteStore`]: one file, or `sqlite::memory:` for
//! tests, shareable by the hub and `finhub admin` at the same time) and PostgreSQL
//! ([`PostgresStore`]: the store of record when several hub instances share one database). Each
//! has its own migrations; the conformance suite holds both to the same behaviour. Beside them,
//! [`RedisLimits`] keeps the rate limits several instances share (counters only, no state of
//! record).
//!
//! Stored layout, whatever the backend: instants as integer Unix nanoseconds (UTC), durations as
//! integer nanoseconds, secrets only as hashes or sealed bytes. Database errors become
//! [`StoreError`]s in one place (`error.rs`).

mod error;
mod failures;
mod postgres;
mod redis_limits;
mod rows;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use finhub_core::error::StoreError;
use finhub_core::store::Store;

pub use crate::error::UrlError;
pub use crate::postgres::{PostgresOptions, PostgresStore};
pub use crate::redis_limits::{RedisLimits, RedisOptions, RedisUrlError};
pub use crate::sqlite::{BUSY_TIMEOUT, SqliteStore};

/// The storage backends a URL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:…`
    Sqlite,
    /// `postgres:…` / `postgresql:…`
    Postgres,
}

impl Backend {
    /// The backend a store URL names, from its scheme.
    pub fn from_url(url: &str) -> Result<Self, UrlError> {
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(Self::Sqlite),
            Some("postgres" | "postgresql") => Ok(Self::Postgres),
            _ => Err(UrlError::UnknownScheme),
        }
    }
}

/// Opens the store a URL names with the default PostgreSQL options, bringing its schema up to
/// date; see [`connect_with`].
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with(url, &PostgresOptions::default()).await
}

/// Opens the store a URL names, bringing its schema up to date: `sqlite:path`,
/// `sqlite:path?mode=rwc` and `sqlite::memory:` open SQLite; `postgres://…` and
/// `postgresql://…` open PostgreSQL with `postgres`'s pool size and time limits. The URL itself
/// never appears in errors or logs, since a PostgreSQL URL may carry a password.
pub async fn connect_with(
    url: &str,
    postgres: &PostgresOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::from_url(url)? {
        Backend::Sqlite => Ok(Arc::new(SqliteStore::connect(url).await?)),
        Backend::Postgres => Ok(Arc::new(PostgresStore::connect(url, postgres).await?)),
    }
}
