//! `LoginAttemptStore` over PostgreSQL: the one-query login lookup, and consecutive failed logins
//! per (tenant, username as sent), counted by one upsert so concurrent failures from any
//! connection or hub instance are never lost, and forgotten in batches once a run has been quiet
//! long enough.

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::{CustomerId, TenantId, Username};
use finhub_core::store::{LoginAttemptStore, LoginLookup};
use time::OffsetDateTime;

use super::PostgresStore;
use crate::error::db_error;
use crate::failures::Failures;
use crate::rows::{LoginLookupRow, timestamp};

#[async_trait]
impl LoginAttemptStore for PostgresStore {
    async fn login_lookup(
        &self,
        tenant: &TenantId,
        customer: Option<&CustomerId>,
        username: Option<&Username>,
        attempt_key: &str,
    ) -> Result<LoginLookup, StoreError> {
        // One row always: each table is left-joined to a constant, so a missing tenant still
        // reports the failures counted under its id.
        sqlx::query_as::<_, LoginLookupRow>(
            "SELECT t.id AS t_id, t.name AS t_name, t.scope AS t_scope, \
                 t.allow_list AS t_allow_list, t.disabled AS t_disabled, \
                 t.mfa_policy AS t_mfa_policy, \
                 c.tenant_id AS c_tenant_id, c.id AS c_id, c.name AS c_name, \
                 c.account_type AS c_account_type, c.secret_hash AS c_secret_hash, \
                 c.disabled AS c_disabled, \
                 u.tenant_id AS u_tenant_id, u.username AS u_username, \
                 u.password_hash AS u_password_hash, u.disabled AS u_disabled, \
                 u.role AS u_role, \
                 a.tenant_id AS a_tenant_id, a.username AS a_username, a.id AS a_id, \
                 a.sealed_secret AS a_sealed_secret, a.created_at AS a_created_at, \
                 a.confirmed_at AS a_confirmed_at, a.expires_at AS a_expires_at, \
                 a.last_used_step AS a_last_used_step, \
                 f.count AS f_count, f.last_failure AS f_last_failure \
             FROM (SELECT $1::TEXT AS tenant_id) AS wanted \
             LEFT JOIN tenants AS t ON t.id = wanted.tenant_id \
             LEFT JOIN customers AS c ON c.tenant_id = wanted.tenant_id AND c.id = $2::TEXT \
             LEFT JOIN users AS u ON u.tenant_id = wanted.tenant_id AND u.username = $3::TEXT \
             LEFT JOIN totp_factors AS a ON a.tenant_id = u.tenant_id \
                 AND a.username = u.username AND a.confirmed_at IS NOT NULL \
             LEFT JOIN login_failures AS f \
                 ON f.tenant_id = wanted.tenant_id AND f.username = $4::TEXT",
        )
        .bind(tenant.as_str())
        .bind(customer.map(CustomerId::as_str))
        .bind(username.map(Username::as_str))
        .bind(attempt_key)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error("login lookup"))?
        .into_model()
    }

    async fn record_failure(
        &self,
        tenant: &TenantId,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        self.count_failure(Failures::Login, tenant, username, now)
            .await
    }

    async fn failures(
        &self,
        tenant: &TenantId,
        username: &str,
    ) -> Result<Option<(u32, OffsetDateTime)>, StoreError> {
        self.read_failures(Failures::Login, tenant, username).await
    }

    async fn clear_failures(&self, tenant: &TenantId, username: &str) -> Result<(), StoreError> {
        self.clear_failures_of(Failures::Login, tenant, username)
            .await
    }

    async fn forget_quiet_failures(
        &self,
        quiet_since: OffsetDateTime,
        batch: u32,
    ) -> Result<u64, StoreError> {
        // Rows another instance's purge holds are skipped, not waited for: it deletes them.
        let deleted = sqlx::query(
            "DELETE FROM login_failures WHERE (tenant_id, username) IN \
             (SELECT tenant_id, username FROM login_failures WHERE last_failure <= $1 \
              LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(timestamp(quiet_since)?)
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await
        .map_err(db_error("login failure count"))?;
        Ok(deleted.rows_affected())
    }
}
