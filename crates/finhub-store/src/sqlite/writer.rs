//! The connection every write goes through. A file database's is a connection of its own,
//! opened once and never pooled: sqlx pings a pooled connection on its worker thread each time
//! it goes back to the pool (a spawned task and one more round trip per write, which the next
//! write waits behind), where this one is only unlocked. An in-memory database's is its one
//! pooled connection, which reads share.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use finhub_core::error::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Connection as _, Sqlite};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use super::ACQUIRE_TIMEOUT;
use crate::error::db_error;

/// Where writes go, in the order they ask for it. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) enum Writer {
    /// A file database's own connection; `None` once the store is closed.
    Own(Arc<Mutex<Option<SqliteConnection>>>),
    /// An in-memory database's one connection, in the pool its reads use.
    Shared(SqlitePool),
}

/// The write connection, held until dropped.
pub(super) enum WriteGuard<'a> {
    Own(MappedMutexGuard<'a, SqliteConnection>),
    Shared(PoolConnection<Sqlite>),
}

impl Writer {
    /// A file database's writer over `connection`.
    pub(super) fn own(connection: SqliteConnection) -> Self {
        Self::Own(Arc::new(Mutex::new(Some(connection))))
    }

    /// The write connection, once the writes before have let it go. Waits at most as long as
    /// the read pool does for a connection, then fails as unavailable (as does a closed store).
    pub(super) async fn lock(&self) -> Result<WriteGuard<'_>, StoreError> {
        match self {
            Self::Own(connection) => {
                let locked = tokio::time::timeout(ACQUIRE_TIMEOUT, connection.lock())
                    .await
                    .map_err(|_| db_error("database")(sqlx::Error::PoolTimedOut))?;
                MutexGuard::try_map(locked, Option::as_mut)
                    .map(WriteGuard::Own)
                    .map_err(|_| db_error("database")(sqlx::Error::PoolClosed))
            }
            Self::Shared(pool) => pool
                .acquire()
                .await
                .map(WriteGuard::Shared)
                .map_err(db_error("database")),
        }
    }

    /// Closes the connection once the write holding it (if any) is done.
    pub(super) async fn close(&self) {
        match self {
            Self::Own(connection) => {
                if let Some(connection) = connection.lock().await.take() {
                    let _ = connection.close().await;
                }
            }
            Self::Shared(pool) => pool.close().await,
        }
    }
}

impl Deref for WriteGuard<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            Self::Own(connection) => connection,
            Self::Shared(connection) => connection,
        }
    }
}

impl DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Self::Own(connection) => connection,
            Self::Shared(connection) => connection,
        }
    }
}
