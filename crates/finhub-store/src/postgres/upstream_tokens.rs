//! `UpstreamTokenStore` over PostgreSQL: the instances over one database share each tenant's
//! upstream token. Minting happens under a transaction-scoped advisory lock on the key; the
//! holder re-reads the row under it, and stores the new token in the same transaction, whose end
//! releases the lock. The transaction's own limits (statement, lock wait and idle time, all set
//! to the caller's `hold_for`) bound how long a vanished holder keeps the others waiting.

use std::time::Duration;

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::model::{StoredUpstreamToken, UpstreamTokenKey};
use finhub_core::store::{UpstreamTokenLock, UpstreamTokenStore};
use sqlx::{AssertSqlSafe, PgConnection, Postgres, Transaction};

use super::PostgresStore;
use crate::error::db_error;
use crate::rows::{StoredUpstreamTokenRow, duration_nanos, timestamp};

const SELECT: &str = "SELECT sealed_token, expires_at, lifetime_ns FROM upstream_tokens \
                      WHERE tenant_id = $1 AND kind = $2 AND credential = $3";

#[async_trait]
impl UpstreamTokenStore for PostgresStore {
    fn shares_upstream_tokens(&self) -> bool {
        true
    }

    async fn upstream_token(
        &self,
        key: &UpstreamTokenKey,
    ) -> Result<Option<StoredUpstreamToken>, StoreError> {
        let mut connection = self
            .pool
            .acquire()
            .await
            .map_err(db_error("upstream token"))?;
        read(&mut connection, key).await
    }

    async fn lock_upstream_token(
        &self,
        key: &UpstreamTokenKey,
        hold_for: Duration,
    ) -> Result<Box<dyn UpstreamTokenLock>, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db_error("upstream token"))?;
        let millis = hold_for.as_millis().max(1);
        // Numbers only: safe to write into the statement (SET takes no parameters).
        for setting in [
            "statement_timeout",
            "lock_timeout",
            "idle_in_transaction_session_timeout",
        ] {
            sqlx::query(AssertSqlSafe(format!("SET LOCAL {setting} = {millis}")))
                .execute(&mut *tx)
                .await
                .map_err(db_error("upstream token lock"))?;
        }
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!(
                "upstream-token|{}|{}",
                key.tenant_id.as_str(),
                key.kind
            ))
            .execute(&mut *tx)
            .await
            .map_err(db_error("upstream token lock"))?;
        Ok(Box::new(PostgresTokenLock {
            tx,
            key: key.clone(),
        }))
    }
}

/// The advisory lock, held by an open transaction.
struct PostgresTokenLock {
    tx: Transaction<'static, Postgres>,
    key: UpstreamTokenKey,
}

#[async_trait]
impl UpstreamTokenLock for PostgresTokenLock {
    async fn token(&mut self) -> Result<Option<StoredUpstreamToken>, StoreError> {
        read(&mut self.tx, &self.key).await
    }

    async fn store(mut self: Box<Self>, token: &StoredUpstreamToken) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO upstream_tokens \
                 (tenant_id, kind, credential, sealed_token, expires_at, lifetime_ns) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, kind) DO UPDATE SET \
                 credential = excluded.credential, sealed_token = excluded.sealed_token, \
                 expires_at = excluded.expires_at, lifetime_ns = excluded.lifetime_ns",
        )
        .bind(self.key.tenant_id.as_str())
        .bind(self.key.kind)
        .bind(self.key.credential.as_str())
        .bind(&token.sealed_token)
        .bind(timestamp(token.expires_at)?)
        .bind(duration_nanos(token.lifetime)?)
        .execute(&mut *self.tx)
        .await
        .map_err(db_error("upstream token"))?;
        self.tx.commit().await.map_err(db_error("upstream token"))
    }

    async fn release(self: Box<Self>) {
        if let Err(error) = self.tx.rollback().await {
            tracing::debug!(%error, "releasing the upstream token lock failed; the connection's end releases it");
        }
    }
}

/// The stored token for `key`, if minted for its credential.
async fn read(
    connection: &mut PgConnection,
    key: &UpstreamTokenKey,
) -> Result<Option<StoredUpstreamToken>, StoreError> {
    sqlx::query_as::<_, StoredUpstreamTokenRow>(SELECT)
        .bind(key.tenant_id.as_str())
        .bind(key.kind)
        .bind(key.credential.as_str())
        .fetch_optional(connection)
        .await
        .map_err(db_error("upstream token"))?
        .map(StoredUpstreamTokenRow::into_model)
        .transpose()
}
