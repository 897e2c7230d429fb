//! `MfaStore` over PostgreSQL: tenants' second-factor policy, TOTP factors (one active and one
//! pending per user, by partial unique indexes), the last used step raised by compare-and-set,
//! recovery codes deleted as they are used, enrolment tokens spent by one
//! `INSERT … ON CONFLICT DO NOTHING`, and consecutive second-factor failures counted by one
//! upsert.
//!
//! Single-row races (a step, a recovery code, a token) are settled by one conditional statement
//! each: a racing connection waits for the winner's row lock and then finds the row changed or
//! gone. Changes of several statements to one user's second factor first take that user's row
//! lock (`FOR NO KEY UPDATE`), so they run one at a time across connections and hub instances,
//! as SQLite's single writer runs them.

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::{FactorId, TenantId, Username};
use finhub_core::mfa::MfaPolicy;
use finhub_core::model::TotpFactor;
use finhub_core::secret::SecretHash;
use finhub_core::store::MfaStore;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{PostgresStore, updated_one};
use crate::error::{corrupt, db_error};
use crate::failures::Failures;
use crate::rows::{TotpFactorRow, opt_timestamp, parse_mfa_policy, timestamp};

fn step_column(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| corrupt("TOTP step", step))
}

/// Locks the user's row until the transaction ends, so this transaction's changes to the user's
/// factors and recovery codes do not interleave with another's. `FOR NO KEY UPDATE` leaves
/// foreign-key checks against the row (new sessions, new factors) unblocked. An unknown user locks
/// nothing: the statements that follow find nothing or fail on their foreign key, as without
/// the lock.
async fn lock_user(
    conn: &mut PgConnection,
    tenant: &TenantId,
    username: &Username,
    what: &'static str,
) -> Result<(), StoreError> {
    sqlx::query("SELECT 1 FROM users WHERE tenant_id = $1 AND username = $2 FOR NO KEY UPDATE")
        .bind(tenant.as_str())
        .bind(username.as_str())
        .execute(conn)
        .await
        .map_err(db_error(what))?;
    Ok(())
}

#[async_trait]
impl MfaStore for PostgresStore {
    async fn set_mfa_policy(
        &self,
        tenant: &TenantId,
        policy: Option<MfaPolicy>,
    ) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE tenants SET mfa_policy = $1 WHERE id = $2")
            .bind(policy.map(MfaPolicy::as_str))
            .bind(tenant.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_error("tenant"))?;
        updated_one(&result, "tenant")
    }

    async fn mfa_policy(&self, tenant: &TenantId) -> Result<Option<MfaPolicy>, StoreError> {
        let name: Option<Option<String>> =
            sqlx::query_scalar("SELECT mfa_policy FROM tenants WHERE id = $1")
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
             FROM totp_factors WHERE tenant_id = $1 AND username = $2 ORDER BY created_at",
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
        let mut tx = self.pool.begin().await.map_err(db_error("TOTP factor"))?;
        lock_user(&mut tx, &factor.tenant_id, &factor.username, "TOTP factor").await?;
        sqlx::query(
            "DELETE FROM totp_factors \
             WHERE tenant_id = $1 AND username = $2 AND confirmed_at IS NULL",
        )
        .bind(factor.tenant_id.as_str())
        .bind(factor.username.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        sqlx::query(
            "INSERT INTO totp_factors (tenant_id, username, id, sealed_secret, created_at, \
                 confirmed_at, expires_at, last_used_step) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
        let mut tx = self.pool.begin().await.map_err(db_error("TOTP factor"))?;
        lock_user(&mut tx, tenant, username, "TOTP factor").await?;
        // Read under the user's lock: a racing activation of the same factor finds it active.
        let pending: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM totp_factors \
                 WHERE tenant_id = $1 AND username = $2 AND id = $3 \
                     AND confirmed_at IS NULL AND expires_at > $4)",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(id.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        if !pending {
            return Ok(false);
        }
        sqlx::query(
            "DELETE FROM totp_factors \
             WHERE tenant_id = $1 AND username = $2 AND confirmed_at IS NOT NULL",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?;
        sqlx::query(
            "UPDATE totp_factors SET confirmed_at = $1, expires_at = NULL, last_used_step = $2 \
             WHERE tenant_id = $3 AND username = $4 AND id = $5",
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
        // A racing call waits for the winner's row lock, then re-checks the condition against
        // the raised step and changes nothing.
        let result = sqlx::query(
            "UPDATE totp_factors SET last_used_step = $1 \
             WHERE tenant_id = $2 AND username = $3 AND id = $4 AND confirmed_at IS NOT NULL \
                 AND (last_used_step IS NULL OR last_used_step < $1)",
        )
        .bind(step_column(step)?)
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_error("TOTP factor"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn remove_second_factor(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error("TOTP factor"))?;
        lock_user(&mut tx, tenant, username, "TOTP factor").await?;
        let active = sqlx::query(
            "DELETE FROM totp_factors \
             WHERE tenant_id = $1 AND username = $2 AND confirmed_at IS NOT NULL",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("TOTP factor"))?
        .rows_affected();
        for statement in [
            "DELETE FROM totp_factors WHERE tenant_id = $1 AND username = $2",
            "DELETE FROM recovery_codes WHERE tenant_id = $1 AND username = $2",
            "DELETE FROM mfa_failures WHERE tenant_id = $1 AND username = $2",
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
        let hashes: Vec<&str> = hashes.iter().map(SecretHash::as_str).collect();
        let mut tx = self.pool.begin().await.map_err(db_error("recovery code"))?;
        lock_user(&mut tx, tenant, username, "recovery code").await?;
        sqlx::query("DELETE FROM recovery_codes WHERE tenant_id = $1 AND username = $2")
            .bind(tenant.as_str())
            .bind(username.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_error("recovery code"))?;
        // The whole batch in one statement; a repeated hash is a `Conflict`, as row by row.
        sqlx::query(
            "INSERT INTO recovery_codes (tenant_id, username, code_hash) \
             SELECT $1, $2, code_hash FROM UNNEST($3::TEXT[]) AS code_hash",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(hashes)
        .execute(&mut *tx)
        .await
        .map_err(db_error("recovery code"))?;
        tx.commit().await.map_err(db_error("recovery code"))
    }

    async fn use_recovery_code(
        &self,
        tenant: &TenantId,
        username: &Username,
        hash: &SecretHash,
    ) -> Result<bool, StoreError> {
        // Of racing deletes, the ones that waited for the winner find the row gone.
        let result = sqlx::query(
            "DELETE FROM recovery_codes \
             WHERE tenant_id = $1 AND username = $2 AND code_hash = $3",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(hash.as_str())
        .execute(&self.pool)
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
            "SELECT COUNT(*) FROM recovery_codes WHERE tenant_id = $1 AND username = $2",
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
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db_error("enrolment token"))?;
        sqlx::query("DELETE FROM spent_enrollment_tokens WHERE expires_at <= $1")
            .bind(timestamp(now)?)
            .execute(&mut *tx)
            .await
            .map_err(db_error("enrolment token"))?;
        // A racing insert of the same id waits for the first one's transaction and, once that
        // commits, inserts nothing: exactly one call spends the token.
        let spent = sqlx::query(
            "INSERT INTO spent_enrollment_tokens (token_id, tenant_id, expires_at) \
             VALUES ($1, $2, $3) ON CONFLICT (token_id) DO NOTHING",
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
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM spent_enrollment_tokens WHERE token_id = $1)",
        )
        .bind(token_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error("enrolment token"))
    }
}
