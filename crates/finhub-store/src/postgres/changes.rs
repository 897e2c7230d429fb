//! `ChangeFeedStore` over PostgreSQL: `LISTEN finhub_changes` on a connection of its own. The
//! schema's triggers announce revoked sessions and changed tenants from the transactions that
//! make the change. A notification sent while the listener was disconnected is lost, so a lost
//! connection is reported as `StoreChange::Missed` (the listener reconnects on the next call).

use async_trait::async_trait;
use finhub_core::error::StoreError;
use finhub_core::ids::TenantId;
use finhub_core::secret::SecretHash;
use finhub_core::store::{ChangeFeed, ChangeFeedStore, StoreChange};
use sqlx::postgres::PgListener;

use super::PostgresStore;
use crate::error::db_error;

/// The channel the triggers notify.
const CHANNEL: &str = "finhub_changes";

#[async_trait]
impl ChangeFeedStore for PostgresStore {
    async fn watch_changes(&self) -> Result<Option<Box<dyn ChangeFeed>>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool)
            .await
            .map_err(db_error("change feed"))?;
        listener
            .listen(CHANNEL)
            .await
            .map_err(db_error("change feed"))?;
        Ok(Some(Box::new(PostgresChangeFeed { listener })))
    }
}

struct PostgresChangeFeed {
    listener: PgListener,
}

#[async_trait]
impl ChangeFeed for PostgresChangeFeed {
    async fn next(&mut self) -> Result<StoreChange, StoreError> {
        loop {
            let Some(notification) = self
                .listener
                .try_recv()
                .await
                .map_err(db_error("change feed"))?
            else {
                return Ok(StoreChange::Missed);
            };
            if let Some(change) = parse(notification.payload()) {
                return Ok(change);
            }
            tracing::warn!(
                payload = notification.payload(),
                "an unknown change notification"
            );
        }
    }
}

/// `session:<key hash>` or `tenant:<id>`.
fn parse(payload: &str) -> Option<StoreChange> {
    let (kind, value) = payload.split_once(':')?;
    match kind {
        "session" if !value.is_empty() => Some(StoreChange::SessionRevoked(
            SecretHash::from_stored(value.to_owned()),
        )),
        "tenant" => TenantId::parse(value).ok().map(StoreChange::TenantChanged),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_session_or_a_tenant() {
        assert_eq!(
            parse("session:ab12"),
            Some(StoreChange::SessionRevoked(SecretHash::from_stored(
                "ab12".into()
            )))
        );
        assert_eq!(
            parse("tenant:1234567"),
            Some(StoreChange::TenantChanged(
                TenantId::parse("1234567").expect("id")
            ))
        );
        for bad in ["session:", "tenant:x/y", "user:bob", "nonsense", ""] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
