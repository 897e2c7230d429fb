//! `CertificateBindingStore` over SQLite: one row per (tenant, customer, kind, value); the
//! customer must exist (foreign key), and every lookup filters by the tenant.

use async_trait::async_trait;
use finhub_core::cert::{CertificateBinding, CertificateMatcher};
use finhub_core::error::StoreError;
use finhub_core::ids::{CustomerId, TenantId};
use finhub_core::store::CertificateBindingStore;

use super::{SqliteStore, updated_one};
use crate::error::db_error;
use crate::rows::{CertificateBindingRow, timestamp};

#[async_trait]
impl CertificateBindingStore for SqliteStore {
    async fn insert_certificate_binding(
        &self,
        binding: &CertificateBinding,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO certificate_bindings (tenant_id, customer_id, kind, value, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(binding.tenant_id.as_str())
        .bind(binding.customer_id.as_str())
        .bind(binding.matcher.kind())
        .bind(binding.matcher.value())
        .bind(timestamp(binding.created_at)?)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("certificate binding"))?;
        Ok(())
    }

    async fn certificate_bindings(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Vec<CertificateBinding>, StoreError> {
        sqlx::query_as::<_, CertificateBindingRow>(
            "SELECT tenant_id, customer_id, kind, value, created_at FROM certificate_bindings \
             WHERE tenant_id = ? AND customer_id = ? ORDER BY kind, value",
        )
        .bind(tenant.as_str())
        .bind(customer.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("certificate binding"))?
        .into_iter()
        .map(CertificateBindingRow::into_model)
        .collect()
    }

    async fn list_certificate_bindings(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<CertificateBinding>, StoreError> {
        sqlx::query_as::<_, CertificateBindingRow>(
            "SELECT tenant_id, customer_id, kind, value, created_at FROM certificate_bindings \
             WHERE tenant_id = ? ORDER BY customer_id, kind, value",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("certificate binding"))?
        .into_iter()
        .map(CertificateBindingRow::into_model)
        .collect()
    }

    async fn delete_certificate_binding(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
        matcher: &CertificateMatcher,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "DELETE FROM certificate_bindings \
             WHERE tenant_id = ? AND customer_id = ? AND kind = ? AND value = ?",
        )
        .bind(tenant.as_str())
        .bind(customer.as_str())
        .bind(matcher.kind())
        .bind(matcher.value())
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("certificate binding"))?;
        updated_one(&result, "certificate binding")
    }
}
