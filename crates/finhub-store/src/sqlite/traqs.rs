//! `TraqsCredentialStore` over SQLite: one row per tenant and environment, replaced whole.

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::TenantId;
use finhub_core::model::{TraqsCredential, TraqsEnvironment};
use finhub_core::store::TraqsCredentialStore;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::error::db_error;
use crate::rows::{TraqsCredentialRow, opt_timestamp, timestamp};

const COLUMNS: &str =
    "tenant_id, environment, username, sealed_token, expires_at, base_url, updated_at";

#[async_trait]
impl TraqsCredentialStore for SqliteStore {
    async fn set_traqs_credential(&self, credential: &TraqsCredential) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO traqs_credentials \
                 (tenant_id, environment, username, sealed_token, expires_at, base_url, \
                  updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (tenant_id, environment) DO UPDATE SET \
                 username = excluded.username, sealed_token = excluded.sealed_token, \
                 expires_at = excluded.expires_at, base_url = excluded.base_url, \
                 updated_at = excluded.updated_at",
        )
        .bind(credential.tenant_id.as_str())
        .bind(credential.environment.as_str())
        .bind(&credential.username)
        .bind(&credential.sealed_token)
        .bind(opt_timestamp(credential.expires_at)?)
        .bind(credential.base_url.as_deref())
        .bind(timestamp(credential.updated_at)?)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("TRAQS credential"))?;
        Ok(())
    }

    async fn traqs_credential(
        &self,
        tenant: &TenantId,
        environment: TraqsEnvironment,
    ) -> Result<Option<TraqsCredential>, StoreError> {
        sqlx::query_as::<_, TraqsCredentialRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM traqs_credentials WHERE tenant_id = ? AND environment = ?"
        )))
        .bind(tenant.as_str())
        .bind(environment.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("TRAQS credential"))?
        .map(TraqsCredentialRow::into_model)
        .transpose()
    }

    async fn traqs_credentials(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<TraqsCredential>, StoreError> {
        let mut credentials = sqlx::query_as::<_, TraqsCredentialRow>(sqlx::AssertSqlSafe(
            format!("SELECT {COLUMNS} FROM traqs_credentials WHERE tenant_id = ?"),
        ))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("TRAQS credential"))?
        .into_iter()
        .map(TraqsCredentialRow::into_model)
        .collect::<Result<Vec<_>, _>>()?;
        credentials.sort_by_key(|c| {
            TraqsEnvironment::ALL
                .iter()
                .position(|e| *e == c.environment)
        });
        Ok(credentials)
    }

    async fn traqs_credentials_ending_before(
        &self,
        before: OffsetDateTime,
    ) -> Result<Vec<TraqsCredential>, StoreError> {
        sqlx::query_as::<_, TraqsCredentialRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM traqs_credentials \
             WHERE expires_at IS NOT NULL AND expires_at < ? \
             ORDER BY expires_at, tenant_id, environment"
        )))
        .bind(timestamp(before)?)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("TRAQS credential"))?
        .into_iter()
        .map(TraqsCredentialRow::into_model)
        .collect()
    }
}
