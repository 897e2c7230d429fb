//! `SessionStore` over SQLite: sessions and refresh tokens. The races the hub relies on are
//! settled by single conditional `UPDATE`s (compare-and-set), never by read-then-write.

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::{FamilyId, TenantId, Username};
use finhub_core::model::{Principal, RefreshTokenRecord, Session};
use finhub_core::secret::SecretHash;
use finhub_core::store::{Purged, SessionStore};
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Connection as _, Sqlite};
use time::OffsetDateTime;

use super::{SqliteStore, updated_one};
use crate::error::db_error;
use crate::rows::{
    RefreshTokenRow, SessionRow, amr_text, auth_time, duration_nanos, opt_timestamp,
    select_sessions, timestamp,
};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO sessions (key_hash, tenant_id, customer_id, username, account_type, \
                 scope, family_id, created_at, access_expires_at, access_lifetime_ns, \
                 session_expires_at, revoked_at, amr, auth_time, platform, user_agent, address, \
                 last_used_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        bind_session(query, session)?
            .execute(&mut *self.writer.lock().await?)
            .await
            .map_err(db_error("session"))?;
        Ok(())
    }

    async fn insert_issued(
        &self,
        session: &Session,
        token: &RefreshTokenRecord,
    ) -> Result<(), StoreError> {
        debug_assert_eq!(
            token.session_key_hash, session.key_hash,
            "the token is the session's"
        );
        debug_assert_eq!(
            token.authentication, session.authentication,
            "one login: the same proof on both"
        );
        // One statement (the view's trigger inserts both rows), written with whatever other
        // logins are waiting: atomic, committed before the answer.
        self.issued.insert(&self.writer, session, token).await
    }

    async fn session(&self, key_hash: &SecretHash) -> Result<Option<Session>, StoreError> {
        sqlx::query_as::<_, SessionRow>(select_sessions!("WHERE key_hash = ?"))
            .bind(key_hash.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("session"))?
            .map(SessionRow::into_model)
            .transpose()
    }

    async fn extend_access(
        &self,
        key_hash: &SecretHash,
        expected: OffsetDateTime,
        new: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE sessions SET access_expires_at = ? \
             WHERE key_hash = ? AND access_expires_at = ? AND revoked_at IS NULL",
        )
        .bind(timestamp(new)?)
        .bind(key_hash.as_str())
        .bind(timestamp(expected)?)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("session"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_session(
        &self,
        key_hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        // Revoking twice keeps the first time; only an unknown session is an error.
        let result = sqlx::query(
            "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE key_hash = ?",
        )
        .bind(timestamp(now)?)
        .bind(key_hash.as_str())
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("session"))?;
        updated_one(&result, "session")
    }

    async fn revoke_family(
        &self,
        family: &FamilyId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let now = timestamp(now)?;
        let mut writer = self.writer.lock().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error("session"))?;
        let sessions = sqlx::query(
            "UPDATE sessions SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(family.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("session"))?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(family.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error("refresh token"))?;
        tx.commit().await.map_err(db_error("session"))?;
        Ok(sessions.rows_affected())
    }

    async fn revoke_resting_on(
        &self,
        tenant: &TenantId,
        principal: &Principal,
        keep: Option<&FamilyId>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // Sessions and refresh tokens both name their tenant, customer and user, so one
        // condition finds every row resting on the principal, whatever family it is in.
        let (condition, value) = match principal {
            Principal::Tenant => ("", None),
            Principal::Customer(customer) => (" AND customer_id = ?", Some(customer.as_str())),
            Principal::User(username) => (" AND username = ?", Some(username.as_str())),
        };
        let except = if keep.is_some() {
            " AND family_id <> ?"
        } else {
            ""
        };
        let now = timestamp(now)?;
        let mut writer = self.writer.lock().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error("session"))?;
        let mut revoked = 0;
        for (table, what) in [("sessions", "session"), ("refresh_tokens", "refresh token")] {
            // Every fragment is one of the literals above; values are bound.
            let sql = AssertSqlSafe(format!(
                "UPDATE {table} SET revoked_at = ? \
                 WHERE tenant_id = ? AND revoked_at IS NULL{condition}{except}"
            ));
            let mut query = sqlx::query(sql).bind(now).bind(tenant.as_str());
            if let Some(value) = value {
                query = query.bind(value);
            }
            if let Some(keep) = keep {
                query = query.bind(keep.as_str());
            }
            let result = query.execute(&mut *tx).await.map_err(db_error(what))?;
            if table == "sessions" {
                revoked = result.rows_affected();
            }
        }
        tx.commit().await.map_err(db_error("session"))?;
        Ok(revoked)
    }

    async fn list_active_sessions(
        &self,
        tenant: &TenantId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        sqlx::query_as::<_, SessionRow>(select_sessions!(
            "WHERE tenant_id = ? AND revoked_at IS NULL AND session_expires_at > ? \
             ORDER BY created_at, key_hash"
        ))
        .bind(tenant.as_str())
        .bind(timestamp(now)?)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("session"))?
        .into_iter()
        .map(SessionRow::into_model)
        .collect()
    }

    async fn list_user_sessions(
        &self,
        tenant: &TenantId,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        sqlx::query_as::<_, SessionRow>(select_sessions!(
            "WHERE tenant_id = ? AND username = ? AND revoked_at IS NULL \
                 AND session_expires_at > ? \
             ORDER BY created_at DESC, key_hash"
        ))
        .bind(tenant.as_str())
        .bind(username.as_str())
        .bind(timestamp(now)?)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("session"))?
        .into_iter()
        .map(SessionRow::into_model)
        .collect()
    }

    async fn touch_session(
        &self,
        key_hash: &SecretHash,
        now: OffsetDateTime,
        not_since: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE sessions SET last_used_at = ? \
             WHERE key_hash = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
        )
        .bind(timestamp(now)?)
        .bind(key_hash.as_str())
        .bind(timestamp(not_since)?)
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("session"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn count_active_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND session_expires_at > ?",
        )
        .bind(timestamp(now)?)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error("session"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_error("store"))
    }

    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO refresh_tokens (hash, family_id, tenant_id, customer_id, username, \
                 expires_at, used_at, successor, revoked_at, session_key_hash, amr, auth_time) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        bind_refresh_token(query, token)?
            .bind(token.session_key_hash.as_str())
            .bind(amr_text(token.authentication.as_ref()))
            .bind(auth_time(token.authentication.as_ref())?)
            .execute(&mut *self.writer.lock().await?)
            .await
            .map_err(db_error("refresh token"))?;
        Ok(())
    }

    async fn refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        sqlx::query_as::<_, RefreshTokenRow>(
            "SELECT hash, family_id, tenant_id, customer_id, username, session_key_hash, \
                 expires_at, used_at, successor, revoked_at, amr, auth_time \
             FROM refresh_tokens WHERE hash = ?",
        )
        .bind(hash.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("refresh token"))?
        .map(RefreshTokenRow::into_model)
        .transpose()
    }

    async fn consume_refresh_token(
        &self,
        hash: &SecretHash,
        now: OffsetDateTime,
        successor: &[u8],
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE refresh_tokens SET used_at = ?, successor = ? \
             WHERE hash = ? AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(timestamp(now)?)
        .bind(successor)
        .bind(hash.as_str())
        .execute(&mut *self.writer.lock().await?)
        .await
        .map_err(db_error("refresh token"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn purge_ended(
        &self,
        ended_by: OffsetDateTime,
        batch: u32,
    ) -> Result<Purged, StoreError> {
        let ended_by = timestamp(ended_by)?;
        let mut writer = self.writer.lock().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error("session"))?;
        let refresh_tokens = sqlx::query(
            "DELETE FROM refresh_tokens WHERE hash IN \
             (SELECT hash FROM refresh_tokens WHERE expires_at <= ? LIMIT ?)",
        )
        .bind(ended_by)
        .bind(batch)
        .execute(&mut *tx)
        .await
        .map_err(db_error("refresh token"))?;
        let sessions = sqlx::query(
            "DELETE FROM sessions WHERE key_hash IN \
             (SELECT key_hash FROM sessions AS s WHERE session_expires_at <= ? AND NOT EXISTS \
              (SELECT 1 FROM refresh_tokens AS r WHERE r.family_id = s.family_id) LIMIT ?)",
        )
        .bind(ended_by)
        .bind(batch)
        .execute(&mut *tx)
        .await
        .map_err(db_error("session"))?;
        tx.commit().await.map_err(db_error("session"))?;
        Ok(Purged {
            sessions: sessions.rows_affected(),
            refresh_tokens: refresh_tokens.rows_affected(),
        })
    }
}

pub(super) type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments>;

/// Binds a session's columns in `sessions` order (`key_hash` … `last_used_at`).
pub(super) fn bind_session<'q>(
    query: SqliteQuery<'q>,
    session: &'q Session,
) -> Result<SqliteQuery<'q>, StoreError> {
    Ok(query
        .bind(session.key_hash.as_str())
        .bind(session.tenant_id.as_str())
        .bind(session.customer_id.as_str())
        .bind(session.username.as_ref().map(Username::as_str))
        .bind(session.account_type.as_str())
        .bind(session.scope.to_string())
        .bind(session.family_id.as_str())
        .bind(timestamp(session.created_at)?)
        .bind(timestamp(session.access_expires_at)?)
        .bind(duration_nanos(session.access_lifetime)?)
        .bind(timestamp(session.session_expires_at)?)
        .bind(opt_timestamp(session.revoked_at)?)
        .bind(amr_text(session.authentication.as_ref()))
        .bind(auth_time(session.authentication.as_ref())?)
        .bind(session.origin.platform.as_deref())
        .bind(session.origin.user_agent.as_deref())
        .bind(session.origin.address.as_deref())
        .bind(opt_timestamp(session.last_used_at)?))
}

/// Binds a refresh token's own columns (`hash` … `revoked_at`, all but `session_key_hash`).
pub(super) fn bind_refresh_token<'q>(
    query: SqliteQuery<'q>,
    token: &'q RefreshTokenRecord,
) -> Result<SqliteQuery<'q>, StoreError> {
    Ok(query
        .bind(token.hash.as_str())
        .bind(token.family_id.as_str())
        .bind(token.tenant_id.as_str())
        .bind(token.customer_id.as_str())
        .bind(token.username.as_ref().map(Username::as_str))
        .bind(timestamp(token.expires_at)?)
        .bind(opt_timestamp(token.used_at)?)
        .bind(token.successor.as_deref())
        .bind(opt_timestamp(token.revoked_at)?))
}
