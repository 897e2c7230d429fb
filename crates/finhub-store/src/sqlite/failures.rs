//! Consecutive failures per (tenant, name), of passwords (`login_failures`, by username as sent)
//! and of second factors (`mfa_failures`, by user): one table shape, counted by one upsert so
//! concurrent failures are never lost, read back with the last one's time, and cleared.

use finhub_core::error::StoreError;
use finhub_core::ids::TenantId;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::error::db_error;
use crate::failures::Failures;
use crate::rows::{FailureRow, failure_count, timestamp};

impl SqliteStore {
    /// Counts one more consecutive failure of `name`; returns the count (saturating at
    /// `u32::MAX` rather than overflowing the traits' type).
    pub(super) async fn count_failure(
        &self,
        kind: Failures,
        tenant: &TenantId,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "INSERT INTO {} (tenant_id, username, count, last_failure) VALUES (?, ?, 1, ?) \
             ON CONFLICT (tenant_id, username) DO UPDATE SET \
                 count = MIN(count + 1, 4294967295), last_failure = excluded.last_failure \
             RETURNING count",
            kind.table()
        )))
        .bind(tenant.as_str())
        .bind(name)
        .bind(timestamp(now)?)
        .fetch_one(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error(kind.what()))?;
        failure_count(count)
    }

    /// The consecutive failures of `name` and the last one's time, if any.
    pub(super) async fn read_failures(
        &self,
        kind: Failures,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<(u32, OffsetDateTime)>, StoreError> {
        sqlx::query_as::<_, FailureRow>(AssertSqlSafe(format!(
            "SELECT count, last_failure FROM {} WHERE tenant_id = ? AND username = ?",
            kind.table()
        )))
        .bind(tenant.as_str())
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error(kind.what()))?
        .map(FailureRow::into_model)
        .transpose()
    }

    /// Clears the failures of `name` (a success).
    pub(super) async fn clear_failures_of(
        &self,
        kind: Failures,
        tenant: &TenantId,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {} WHERE tenant_id = ? AND username = ?",
            kind.table()
        )))
        .bind(tenant.as_str())
        .bind(name)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error(kind.what()))?;
        Ok(())
    }
}
