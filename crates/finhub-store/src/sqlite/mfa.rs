//! `MfaStore` over SQLite: tenants' second-factor policy, TOTP factors (one active and one
//! pending per user, by partial unique indexes), the last used step raised by compare-and-set,
//! recovery codes deleted as they are used, and consecutive second-factor failures counted by one
//! upsert.

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::{FactorId, TenantId, Username};
use finhub_core::mfa::MfaPolicy;
use finhub_core::model::TotpFactor;
use finhub_core::secret::SecretHash;
use finhub_core::store::MfaStore;
use sqlx::Connection as _;
use time::OffsetDateTime;

use super::{SqliteStore, updated_one};
use crate::error::{corrupt, db_error};
use crate::failures::Failures;
use crate::rows::{TotpFactorRow, opt_timestamp, parse_mfa_policy, timestamp};

fn step_column(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| corrupt("TOTP step", step))
}

#[async_trait]
impl MfaStore for SqliteStore {
    async fn set_mfa_policy(
        &self,
        tenant: &TenantId,
        policy: Option<MfaPolicy>,
    ) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE tenants SET mfa_policy = ? WHERE id = ?")
            .bind(policy.map(MfaPolicy::as_str))
            .bind(tenant.as_str())
            .execute(&mut *self.writer.lock().await?)
            .await
            .map_err(db_error("tenant"))?;
        updated_one(&result, "tenant")
    }

    async fn mfa_policy(&self, tenant: &TenantId) -> Result<Option<MfaPolicy>, StoreError> {
        let name: Option<Option<String>> =
            sqlx::query_scalar("SELECT mfa_policy FROM tenants WHERE id = ?")
                .bind(tenant.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error("tenant"))?;
        let name = name.ok_or_else(|| StoreError::NotFound("tenant".to_owned()))?;
        name.map(parse_mfa_policy).transpose()
    }

    async fn totp_factors(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<Vec<TotpFactor>, StoreError> {
        sqlx::query_as::<_, TotpFactorRow>(
            "SELECT tenant_id, username, id, sealed_secret, created_at, confirmed_at, \
                 expires_at, last_used_step \
             FROM totp_factors WHERE tenant_id = ? AND username = ? ORDER BY created_at",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("TOTP factor"))?
        .into_iter()
        .map(TotpFactorRow::into_model)
        .collect()
    }

    async fn insert_pending_totp(&self, factor: &TotpFactor) -> Result<(), StoreError> {
        let mut writer = self.writer.lock().await?;
        let mut tx = writer.begin().await.map_err(db_error("TOTP factor"))?;
        sqlx::query(
            "DELETE FROM totp_factors \
             WHERE tenant_id = ? AND username = ? AND confirmed_at IS NULL",
        )
        .bind(factor.tenant_id.as_str())
        .bind(factor.username.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        sqlx::query(
            "INSERT INTO totp_factors (tenant_id, username, id, sealed_secret, created_at, \
                 confirmed_at, expires_at, last_used_step) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(factor.tenant_id.as_str())
        .bind(factor.username.as_str())
        .bind(factor.id.as_str())
        .bind(&factor.sealed_secret)
        .bind(timestamp(factor.created_at)?)
        .bind(opt_timestamp(factor.confirmed_at)?)
        .bind(opt_timestamp(factor.expires_at)?)
        .bind(factor.last_used_step.map(step_column).transpose()?)
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        tx.commit().await.map_err(db_error("TOTP factor"))
    }

    async fn activate_totp(
        &self,
        tenant: &TenantId,
        username: &Username,
        id: &FactorId,
        step: u64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let now = timestamp(now)?;
        let mut writer = self.writer.lock().await?;
        let mut tx = writer.begin().await.map_err(db_error("TOTP factor"))?;
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM totp_factors WHERE tenant_id = ? AND username = ? AND id = ? \
                 AND confirmed_at IS NULL AND expires_at > ?",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(id.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        if pending.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "DELETE FROM totp_factors \
             WHERE tenant_id = ? AND username = ? AND confirmed_at IS NOT NULL",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        sqlx::query(
            "UPDATE totp_factors SET confirmed_at = ?, expires_at = NULL, last_used_step = ? \
             WHERE tenant_id = ? AND username = ? AND id = ?",
        )
        .bind(now)
        .bind(step_column(step)?)
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        tx.commit().await.map_err(db_error("TOTP factor"))?;
        Ok(true)
    }

    async fn use_totp_step(
        &self,
        tenant: &TenantId,
        username: &Username,
        id: &FactorId,
        step: u64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE totp_factors SET last_used_step = ?1 \
             WHERE tenant_id = ?2 AND username = ?3 AND id = ?4 AND confirmed_at IS NOT NULL \
                 AND (last_used_step IS NULL OR last_used_step < ?1)",
        )
        .bind(step_column(step)?)
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(id.as_str())
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("TOTP factor"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn remove_second_factor(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<bool, StoreError> {
        let mut writer = self.writer.lock().await?;
        let mut tx = writer.begin().await.map_err(db_error("TOTP factor"))?;
        let active = sqlx::query(
            "DELETE FROM totp_factors \
             WHERE tenant_id = ? AND username = ? AND confirmed_at IS NOT NULL",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?
        .rows_affected();
        for statement in [
            "DELETE FROM totp_factors WHERE tenant_id = ? AND username = ?",
            "DELETE FROM recovery_codes WHERE tenant_id = ? AND username = ?",
            "DELETE FROM mfa_failures WHERE tenant_id = ? AND username = ?",
        ] {
            sqlx::query(statement)
                .bind(tenant.as_str())
                .bind(username.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error("second factor"))?;
        }
        tx.commit().await.map_err(db_error("second factor"))?;
        Ok(active > 0)
    }

    async fn replace_recovery_codes(
        &self,
        tenant: &TenantId,
        username: &Username,
        hashes: &[SecretHash],
    ) -> Result<(), StoreError> {
        let mut writer = self.writer.lock().await?;
        let mut tx = writer.begin().await.map_err(db_error("recovery code"))?;
        sqlx::query("DELETE FROM recovery_codes WHERE tenant_id = ? AND username = ?")
            .bind(tenant.as_str())
            .bind(username.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_error("recovery code"))?;
        for hash in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (tenant_id, username, code_hash) VALUES (?, ?, ?)",
            )
            .bind(tenant.as_str())
            .bind(username.as_str())
            .bind(hash.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_error("recovery code"))?;
        }
        tx.commit().await.map_err(db_error("recovery code"))
    }

    async fn use_recovery_code(
        &self,
        tenant: &TenantId,
        username: &Username,
        hash: &SecretHash,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "DELETE FROM recovery_codes WHERE tenant_id = ? AND username = ? AND code_hash = ?",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(hash.as_str())
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("recovery code"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn recovery_codes_left(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE tenant_id = ? AND username = ?",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db_error("recovery code"))?;
        u32::try_from(count).map_err(|_| corrupt("recovery code count", count))
    }

    async fn record_mfa_failure(
        &self,
        tenant: &TenantId,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        self.count_failure(Failures::SecondFactor, tenant, username.as_str(), now)
            .await
    }

    async fn mfa_failures(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<Option<(u32, OffsetDateTime)>, StoreError> {
        self.read_failures(Failures::SecondFactor, tenant, username.as_str())
            .await
    }

    async fn clear_mfa_failures(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<(), StoreError> {
        self.clear_failures_of(Failures::SecondFactor, tenant, username.as_str())
            .await
    }

    async fn spend_enrollment_token(
        &self,
        tenant: &TenantId,
        token_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut writer = self.writer.lock().await?;
        let mut tx = writer.begin().await.map_err(db_error("enrolment token"))?;
        sqlx::query("DELETE FROM spent_enrollment_tokens WHERE expires_at <= ?")
            .bind(timestamp(now)?)
            .execute(&mut *tx)
            .await
            .map_err(db_error("enrolment token"))?;
        let spent = sqlx::query(
            "INSERT INTO spent_enrollment_tokens (token_id, tenant_id, expires_at) \
             VALUES (?, ?, ?) ON CONFLICT (token_id) DO NOTHING",
        )
        .bind(token_id)
        .bind(tenant.as_str())
        .bind(timestamp(expires_at)?)
        .execute(&mut *tx)
        .await
        .map_err(db_error("enrolment token"))?
        .rows_affected();
        tx.commit().await.map_err(db_error("enrolment token"))?;
        Ok(spent == 1)
    }

    async fn enrollment_token_spent(&self, token_id: &str) -> Result<bool, StoreError> {
        let spent: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM spent_enrollment_tokens WHERE token_id = ?")
                .bind(token_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error("enrolment token"))?;
        Ok(spent.is_some())
    }
}
