//! `LoginAttemptStore` over SQLite: consecutive failed logins per (tenant, username as sent),
//! counted by one upsert so concurrent failures are never lost.

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::TenantId;
use finhub_core::store::LoginAttemptStore;
use time::OffsetDateTime;

use super::SqliteStore;
use super::rows::{FailureRow, failure_count, timestamp};
use crate::error::db_error;

#[async_trait]
impl LoginAttemptStore for SqliteStore {
    async fn record_failure(
        &self,
        tenant: &TenantId,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        // The count saturates at u32::MAX rather than overflowing the trait's type.
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (tenant_id, username, count, last_failure) \
             VALUES (?, ?, 1, ?) \
             ON CONFLICT (tenant_id, username) DO UPDATE SET \
                 count = MIN(count + 1, 4294967295), \
                 last_failure = excluded.last_failure \
             RETURNING count",
        )
        .bind(tenant.as_str())
        .bind(username)
        .bind(timestamp(now)?)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error("login failure count"))?;
        failure_count(count)
    }

    async fn failures(
        &self,
        tenant: &TenantId,
        username: &str,
    ) -> Result<Option<(u32, OffsetDateTime)>, StoreError> {
        sqlx::query_as::<_, FailureRow>(
            "SELECT count, last_failure FROM login_failures WHERE tenant_id = ? AND username = ?",
        )
        .bind(tenant.as_str())
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("login failure count"))?
        .map(FailureRow::into_model)
        .transpose()
    }

    async fn clear_failures(&self, tenant: &TenantId, username: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE tenant_id = ? AND username = ?")
            .bind(tenant.as_str())
            .bind(username)
            .execute(&self.pool)
            .await
            .map_err(db_error("login failure count"))?;
        Ok(())
    }
}
