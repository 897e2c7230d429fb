//! `AuditLog` over SQLite: one row per event, one column per field, read back newest first.

use async_trait::async_trait;
use finhub_core::audit::{AuditEvent, AuditQuery};
use finhub_core::error::StoreError;
use finhub_core::store::AuditLog;

use super::SqliteStore;
use crate::error::db_error;
use crate::rows::{
    AuditEventRow, action_name, opt_timestamp, outcome_columns, sessions_ended_column, timestamp,
};

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let (outcome, error) = outcome_columns(&event.outcome);
        sqlx::query(
            "INSERT INTO audit_events (at, request_id, action, outcome, error, tenant, customer, \
                 username, peer_addr, client_addr, forwarded_for, user_agent, platform, \
                 client_certificate, actor, sessions_ended) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(timestamp(event.at)?)
        .bind(&event.request_id)
        .bind(action_name(event.action))
        .bind(outcome)
        .bind(error)
        .bind(event.tenant.as_deref())
        .bind(event.customer.as_deref())
        .bind(event.username.as_deref())
        .bind(&event.peer_addr)
        .bind(&event.client_addr)
        .bind(event.forwarded_for.as_deref())
        .bind(event.user_agent.as_deref())
        .bind(event.platform.as_deref())
        .bind(event.client_certificate.as_deref())
        .bind(event.actor.as_deref())
        .bind(
            event
                .sessions_ended
                .map(sessions_ended_column)
                .transpose()?,
        )
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("audit event"))?;
        Ok(())
    }

    async fn recent_audit_events(&self, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        // Newest first by event time; events with the same time in reverse order of appending.
        sqlx::query_as::<_, AuditEventRow>(
            "SELECT at, request_id, action, outcome, error, tenant, customer, username, \
                 peer_addr, client_addr, forwarded_for, user_agent, platform, client_certificate, \
                 actor, sessions_ended \
             FROM audit_events ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("audit event"))?
        .into_iter()
        .map(AuditEventRow::into_model)
        .collect()
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        sqlx::query_as::<_, AuditEventRow>(
            "SELECT at, request_id, action, outcome, error, tenant, customer, username, \
                 peer_addr, client_addr, forwarded_for, user_agent, platform, client_certificate, \
                 actor, sessions_ended \
             FROM audit_events \
             WHERE tenant = ?1 AND (?2 IS NULL OR username = ?2) \
                 AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR at >= ?4) \
                 AND (?5 IS NULL OR at < ?5) \
             ORDER BY at DESC, id DESC LIMIT ?6 OFFSET ?7",
        )
        .bind(query.tenant.as_str())
        .bind(query.username.as_deref())
        .bind(query.action.map(action_name))
        .bind(opt_timestamp(query.from)?)
        .bind(opt_timestamp(query.until)?)
        .bind(i64::from(query.limit))
        .bind(i64::from(query.offset))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("audit event"))?
        .into_iter()
        .map(AuditEventRow::into_model)
        .collect()
    }
}
