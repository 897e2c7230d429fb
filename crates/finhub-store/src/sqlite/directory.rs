//! `DirectoryStore` over SQLite: tenants, customers, users and upstream credentials. Every
//! lookup of a tenant's record filters by the tenant id.

use super::{SqliteStore, updated_one};
use crate::error::db_error;
use crate::rows::{
    CustomerRow, TenantRow, UpstreamCredentialRow, UserRow, allow_list_text, target_columns,
};
use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::{CustomerId, TenantId, Username};
use finhub_core::model::{Customer, Tenant, UpstreamCredential, User, UserRole};
use finhub_core::net::AllowList;
use finhub_core::scope::Scope;
use finhub_core::store::DirectoryStore;

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn tenant(&self, tenant: &TenantId) -> Result<Option<Tenant>, StoreError> {
        sqlx::query_as::<_, TenantRow>(
            "SELECT id, name, scope, allow_list, disabled FROM tenants WHERE id = ?",
        )
        .bind(tenant.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("tenant"))?
        .map(TenantRow::into_model)
        .transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        sqlx::query_as::<_, TenantRow>(
            "SELECT id, name, scope, allow_list, disabled FROM tenants ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("tenant"))?
        .into_iter()
        .map(TenantRow::into_model)
        .collect()
    }

    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tenants (id, name, scope, allow_list, disabled) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(tenant.id.as_str())
        .bind(&tenant.name)
        .bind(tenant.scope.to_string())
        .bind(allow_list_text(&tenant.allow_list)?)
        .bind(tenant.disabled)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("tenant"))?;
        Ok(())
    }

    async fn set_scope(&self, tenant: &TenantId, scope: &Scope) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE tenants SET scope = ? WHERE id = ?")
            .bind(scope.to_string())
            .bind(tenant.as_str())
            .execute(&mut *self.writer.lock().await?)
            .await
            .map_err(db_error("tenant"))?;
        updated_one(&result, "tenant")
    }

    async fn set_allow_list(&self, tenant: &TenantId, list: &AllowList) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE tenants SET allow_list = ? WHERE id = ?")
            .bind(allow_list_text(list)?)
            .bind(tenant.as_str())
            .execute(&mut *self.writer.lock().await?)
            .await
            .map_err(db_error("tenant"))?;
        updated_one(&result, "tenant")
    }

    async fn set_tenant_disabled(
        &self,
        tenant: &TenantId,
        disabled: bool,
    ) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE tenants SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(tenant.as_str())
            .execute(&mut *self.writer.lock().await?)
            .await
            .map_err(db_error("tenant"))?;
        updated_one(&result, "tenant")
    }

    async fn customer(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
    ) -> Result<Option<Customer>, StoreError> {
        sqlx::query_as::<_, CustomerRow>(
            "SELECT tenant_id, id, name, account_type, secret_hash, disabled FROM customers \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("customer"))?
        .map(CustomerRow::into_model)
        .transpose()
    }

    async fn list_customers(&self, tenant: &TenantId) -> Result<Vec<Customer>, StoreError> {
        sqlx::query_as::<_, CustomerRow>(
            "SELECT tenant_id, id, name, account_type, secret_hash, disabled FROM customers \
             WHERE tenant_id = ? ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("customer"))?
        .into_iter()
        .map(CustomerRow::into_model)
        .collect()
    }

    async fn insert_customer(&self, customer: &Customer) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO customers (tenant_id, id, name, account_type, secret_hash, disabled) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(customer.tenant_id.as_str())
        .bind(customer.id.as_str())
        .bind(&customer.name)
        .bind(customer.account_type.as_str())
        .bind(customer.secret_hash.as_str())
        .bind(customer.disabled)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("customer"))?;
        Ok(())
    }

    async fn set_customer_disabled(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        disabled: bool,
    ) -> Result<(), StoreError> {
        let result =
            sqlx::query("UPDATE customers SET disabled = ? WHERE tenant_id = ? AND id = ?")
                .bind(disabled)
                .bind(tenant.as_str())
                .bind(id.as_str())
                .execute(&mut *self.writer.lock().await?)
                .await
                .map_err(db_error("customer"))?;
        updated_one(&result, "customer")
    }

    async fn user(
        &self,
        tenant: &TenantId,
        username: &Username,
    ) -> Result<Option<User>, StoreError> {
        sqlx::query_as::<_, UserRow>(
            "SELECT tenant_id, username, password_hash, disabled, role FROM users \
             WHERE tenant_id = ? AND username = ?",
        )
        .bind(tenant.as_str())
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("user"))?
        .map(UserRow::into_model)
        .transpose()
    }

    async fn list_users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError> {
        sqlx::query_as::<_, UserRow>(
            "SELECT tenant_id, username, password_hash, disabled, role FROM users \
             WHERE tenant_id = ? ORDER BY username",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("user"))?
        .into_iter()
        .map(UserRow::into_model)
        .collect()
    }

    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (tenant_id, username, password_hash, disabled, role) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user.tenant_id.as_str())
        .bind(user.username.as_str())
        .bind(&user.password_hash)
        .bind(user.disabled)
        .bind(user.role.as_str())
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("user"))?;
        Ok(())
    }

    async fn set_user_role(
        &self,
        tenant: &TenantId,
        username: &Username,
        role: UserRole,
    ) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE users SET role = ? WHERE tenant_id = ? AND username = ?")
            .bind(role.as_str())
            .bind(tenant.as_str())
            .bind(username.as_str())
            .execute(&mut *self.writer.lock().await?)
            .await
            .map_err(db_error("user"))?;
        updated_one(&result, "user")
    }

    async fn set_user_disabled(
        &self,
        tenant: &TenantId,
        username: &Username,
        disabled: bool,
    ) -> Result<(), StoreError> {
        let result =
            sqlx::query("UPDATE users SET disabled = ? WHERE tenant_id = ? AND username = ?")
                .bind(disabled)
                .bind(tenant.as_str())
                .bind(username.as_str())
                .execute(&mut *self.writer.lock().await?)
                .await
                .map_err(db_error("user"))?;
        updated_one(&result, "user")
    }

    async fn set_password_hash(
        &self,
        tenant: &TenantId,
        username: &Username,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let result =
            sqlx::query("UPDATE users SET password_hash = ? WHERE tenant_id = ? AND username = ?")
                .bind(password_hash)
                .bind(tenant.as_str())
                .bind(username.as_str())
                .execute(&mut *self.writer.lock().await?)
                .await
                .map_err(db_error("user"))?;
        updated_one(&result, "user")
    }

    async fn upstream_credential(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<UpstreamCredential>, StoreError> {
        sqlx::query_as::<_, UpstreamCredentialRow>(
            "SELECT tenant_id, client_id, sealed_secret, target, api_base, token_url \
             FROM upstream_credentials WHERE tenant_id = ?",
        )
        .bind(tenant.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("upstream credential"))?
        .map(UpstreamCredentialRow::into_model)
        .transpose()
    }

    async fn set_upstream_credential(
        &self,
        credential: &UpstreamCredential,
    ) -> Result<(), StoreError> {
        let (target, api_base, token_url) = target_columns(&credential.target);
        sqlx::query(
            "INSERT INTO upstream_credentials \
                 (tenant_id, client_id, sealed_secret, target, api_base, token_url) \
             VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (tenant_id) DO UPDATE SET \
                 client_id = excluded.client_id, \
                 sealed_secret = excluded.sealed_secret, \
                 target = excluded.target, \
                 api_base = excluded.api_base, \
                 token_url = excluded.token_url",
        )
        .bind(credential.tenant_id.as_str())
        .bind(&credential.client_id)
        .bind(credential.sealed_secret.as_slice())
        .bind(target)
        .bind(api_base)
        .bind(token_url)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("upstream credential"))?;
        Ok(())
    }
}
