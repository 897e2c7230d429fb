//! The PostgreSQL backend: the store of record when several hub instances share one database.
//! Opening a pool with the configured size and time limits, running this backend's own
//! migrations (`migrations-postgres/`), and the [`PostgresStore`] handle the trait impls hang on.
//!
//! Every connection carries its limits to the server as startup options: a statement that runs
//! longer than `statement_timeout` or waits for a lock longer than `lock_timeout` is cancelled
//! (`StoreError::Unavailable`), a transaction left idle by a client that went away is ended after
//! `idle_in_transaction_session_timeout`, and the server probes idle connections with TCP
//! keep-alives, so a dead peer's locks do not outlive the configured times.

mod audit;
mod certificates;
mod changes;
mod directory;
mod failures;
mod login_attempts;
mod mfa;
mod sessions;
mod traqs;
mod upstream_tokens;

use std::str::FromStr;
use std::time::Duration;

use finhub_core::error::StoreError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgQueryResult};

use crate::error::{db_error, migrate_error};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations-postgres");

/// Pool size and time limits of a PostgreSQL store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresOptions {
    /// Connections in the pool (per hub instance).
    pub max_connections: u32,
    /// How long a call waits to connect or for a free pooled connection.
    pub connect_timeout: Duration,
    /// Longest a statement may run before the server cancels it.
    pub statement_timeout: Duration,
    /// Longest a statement may wait for a row or table lock.
    pub lock_timeout: Duration,
    /// Idle time after which the server probes a connection with TCP keep-alives.
    pub tcp_keepalive: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(2),
            tcp_keepalive: Duration::from_secs(30),
        }
    }
}

/// The hub's store in one PostgreSQL database. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres:` URL names and brings its schema up to date.
    pub async fn connect(url: &str, options: &PostgresOptions) -> Result<Self, StoreError> {
        let millis = |d: Duration| d.as_millis().to_string();
        let connect = PgConnectOptions::from_str(url)
            .map_err(db_error("store URL"))?
            .application_name("finhub")
            .options([
                ("statement_timeout", millis(options.statement_timeout)),
                ("lock_timeout", millis(options.lock_timeout)),
                (
                    "idle_in_transaction_session_timeout",
                    millis(options.statement_timeout * 2),
                ),
                (
                    "tcp_keepalives_idle",
                    options.tcp_keepalive.as_secs().max(1).to_string(),
                ),
                ("tcp_keepalives_interval", "10".to_owned()),
                ("tcp_keepalives_count", "3".to_owned()),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.connect_timeout)
            .connect_with(connect)
            .await
            .map_err(db_error("database"))?;
        MIGRATOR.run(&pool).await.map_err(migrate_error)?;
        tracing::debug!(store.backend = "postgres", "store opened");
        Ok(Self { pool })
    }

    /// Closes every pooled connection, waiting for calls in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Turns "no row matched" of an update into `NotFound(what)`.
fn updated_one(result: &PgQueryResult, what: &str) -> Result<(), StoreError> {
    if result.rows_affected() == 0 {
        Err(StoreError::NotFound(what.to_owned()))
    } else {
        Ok(())
    }
}
