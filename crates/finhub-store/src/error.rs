//! The one place where database errors become [`StoreError`]s: constraint violations turn into
//! `Conflict`/`NotFound`, unreadable values into `Corrupt`, everything else (I/O, a locked or full
//! database, a pool timeout, a bad URL) into `Unavailable`. Query code never matches on sqlx
//! errors itself.

use std::fmt;

use finhub_core::error::StoreError;
use sqlx::error::ErrorKind;

/// What a store URL names that this build cannot open.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// A scheme that names no backend.
    #[error(
        "unsupported store URL: expected `sqlite:` (e.g. `sqlite:finhub.db?mode=rwc`) or \
         `postgres://`"
    )]
    UnknownScheme,
}

impl From<UrlError> for StoreError {
    fn from(error: UrlError) -> Self {
        StoreError::Unavailable(Box::new(error))
    }
}

/// Translates a sqlx error met while working on a `what` record ("tenant", "session", …).
pub(crate) fn translate(error: sqlx::Error, what: &str) -> StoreError {
    match error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict(what.to_owned()),
            ErrorKind::ForeignKeyViolation => {
                StoreError::NotFound(format!("a record the {what} refers to"))
            }
            ErrorKind::NotNullViolation | ErrorKind::CheckViolation => corrupt(
                what,
                format_args!("refused by the schema: {}", db.message()),
            ),
            // Busy or locked past the timeout, disk full, read-only, I/O errors, …
            _ => StoreError::Unavailable(Box::new(sqlx::Error::Database(db))),
        },
        sqlx::Error::RowNotFound => StoreError::NotFound(what.to_owned()),
        error @ (sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }) => corrupt(what, error),
        // Io, Tls, Protocol, PoolTimedOut, PoolClosed, WorkerCrashed, Configuration, Migrate, …
        other => StoreError::Unavailable(Box::new(other)),
    }
}

/// A `map_err` adapter: `.map_err(db_error("tenant"))`.
pub(crate) fn db_error(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| translate(error, what)
}

/// A stored (or to-be-stored) `what` value that cannot be represented.
pub(crate) fn corrupt(what: &str, detail: impl fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {detail}"))
}

/// Migration failures: the schema could not be brought up to date.
pub(crate) fn migrate_error(error: sqlx::migrate::MigrateError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}
