//! The SQLite backend: opening the database (WAL, busy timeout, foreign keys, a small pool),
//! running the embedded migrations, and the [`SqliteStore`] handle the trait impls hang on.
//!
//! One database file can be shared by several processes at once (the hub and `finhub admin`):
//! WAL lets readers run beside the one writer, and a writer that finds the database locked waits
//! up to [`BUSY_TIMEOUT`] before the call fails with `StoreError::Unavailable`.
//!
//! Within a process, reads go to a small pool and every write to one dedicated connection, so
//! writers queue in order instead of meeting SQLite's lock and sleeping in its busy handler.

mod audit;
mod certificates;
mod changes;
mod directory;
mod failures;
mod group_commit;
mod login_attempts;
mod mfa;
mod sessions;
mod traqs;
mod upstream_tokens;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use finhub_core::error::StoreError;
use sqlx::Connection as _;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteQueryResult, SqliteSynchronous,
};

use self::writer::Writer;
use crate::error::{db_error, migrate_error};

/// How long a statement waits for another connection's (or process's) write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections to a file database; they run beside the one write connection.
const FILE_READ_POOL_SIZE: u32 = 4;

/// How long a call waits for a free pooled connection, or a write for the write connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The hub's store in one SQLite database. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection of its own for a file database (SQLite runs one writer at a
    /// time); the same single connection as `pool` for an in-memory one.
    writer: Writer,
    /// Issued sessions, written in groups on `writer`.
    issued: std::sync::Arc<group_commit::GroupCommit>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite:` URL names and brings its schema up
    /// to date.
    ///
    /// Accepts `sqlite:path`, `sqlite://path`, `sqlite:path?mode=rwc` and `sqlite::memory:`. A
    /// file without an explicit `mode` is created if missing. Each `sqlite::memory:` store is a
    /// private database held by one connection that lives as long as the store.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let in_memory = is_in_memory(url);
        let mut options = SqliteConnectOptions::from_str(url)
            .map_err(db_error("store URL"))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let (pool, writer) = if in_memory {
            // The database lives only as long as a connection to it, so keep exactly one, forever.
            let pool = open_pool(
                SqlitePoolOptions::new()
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None),
                1,
                options,
            )
            .await?;
            migrate(&mut *pool.acquire().await.map_err(db_error("database"))?).await?;
            (pool.clone(), Writer::Shared(pool))
        } else {
            if !url_names_mode(url) {
                options = options.create_if_missing(true);
            }
            // NORMAL is durable across application crashes in WAL mode; a power loss may drop
            // the last transactions but never corrupts the file.
            options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            // The writer opens first: it creates the file and switches it to WAL.
            let mut writer = SqliteConnection::connect_with(&options)
                .await
                .map_err(db_error("database"))?;
            migrate(&mut writer).await?;
            let pool = open_pool(SqlitePoolOptions::new(), FILE_READ_POOL_SIZE, options).await?;
            (pool, Writer::own(writer))
        };
        tracing::debug!(
            store.backend = "sqlite",
            store.in_memory = in_memory,
            "store opened"
        );
        Ok(Self {
            pool,
            writer,
            issued: std::sync::Arc::default(),
        })
    }

    /// Closes every pooled connection, waiting for calls in flight.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

async fn open_pool(
    pool: SqlitePoolOptions,
    size: u32,
    options: SqliteConnectOptions,
) -> Result<SqlitePool, StoreError> {
    // No ping before a connection is handed out: a SQLite connection is a handle on a local
    // file (or memory), with nothing between that can go stale, and the pool already pings each
    // one as it comes back. The ping would cost every call a trip to the connection's worker
    // thread, and one still in flight when the acquire time limit passes drops the connection
    // — for an in-memory database, the database with it.
    pool.max_connections(size)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(db_error("database"))
}

/// Runs the embedded migrations. Two processes opening a fresh file at the same moment can race
/// to create the schema; the loser fails and, on its one retry, finds the schema in place.
async fn migrate(connection: &mut SqliteConnection) -> Result<(), StoreError> {
    if let Err(first) = MIGRATOR.run(&mut *connection).await {
        tracing::debug!(error = %first, "migration failed; retrying once");
        MIGRATOR.run(connection).await.map_err(migrate_error)?;
    }
    Ok(())
}

/// Turns "no row matched" of an update into `NotFound(what)`.
fn updated_one(result: &SqliteQueryResult, what: &str) -> Result<(), StoreError> {
    if result.rows_affected() == 0 {
        Err(StoreError::NotFound(what.to_owned()))
    } else {
        Ok(())
    }
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || query_params(url).any(|param| param == "mode=memory")
}

fn url_names_mode(url: &str) -> bool {
    query_params(url).any(|param| param.starts_with("mode="))
}

fn query_params(url: &str) -> impl Iterator<Item = &str> {
    url.split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default()
        .split('&')
}
