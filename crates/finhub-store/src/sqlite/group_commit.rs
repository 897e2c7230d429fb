//! Group commit of issued sessions on the one write connection. Every login ends in one
//! `insert_issued`; under load many arrive while one is being written. They queue here and a
//! single task writes whatever has queued as one multi-row statement into `issued_sessions`
//! (whose trigger inserts each session and its refresh token): one hand-off to SQLite's worker
//! thread and one commit for the group instead of one per login. Each caller is answered only
//! after the statement that holds its rows has committed, so a login the hub answered is as
//! durable as before (WAL, `synchronous = NORMAL`: it survives the process being killed). A group
//! that fails (one row breaking a constraint) is written again row by row, so each caller gets
//! its own answer.

use std::sync::OnceLock;

use finhub_core::error::StoreError;
use finhub_core::model::{RefreshTokenRecord, Session};
use sqlx::{AssertSqlSafe, Sqlite};
use tokio::sync::{mpsc, oneshot};

use super::sessions::{bind_refresh_token, bind_session};
use super::writer::Writer;
use crate::error::db_error;

/// The most logins one statement writes (27 parameters each, far below SQLite's limit).
const MAX_GROUP: usize = 64;
/// Logins waiting for the writer at most; more wait to queue.
const QUEUE: usize = 1_024;
/// The columns of `issued_sessions` a row fills, in the order `bind_session` and
/// `bind_refresh_token` bind them.
const COLUMNS: &str = "key_hash, tenant_id, customer_id, username, account_type, scope, \
     family_id, created_at, access_expires_at, access_lifetime_ns, session_expires_at, \
     revoked_at, amr, auth_time, platform, user_agent, address, last_used_at, rt_hash, \
     rt_family_id, rt_tenant_id, rt_customer_id, rt_username, rt_expires_at, rt_used_at, \
     rt_successor, rt_revoked_at";
/// Parameters per row.
const PER_ROW: usize = 27;

/// A login waiting to be written, and where its answer goes.
struct Issued {
    session: Session,
    token: RefreshTokenRecord,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The queue in front of the writer, started by the first login (inside the runtime that
/// serves it).
#[derive(Debug, Default)]
pub(super) struct GroupCommit {
    queue: OnceLock<mpsc::Sender<Issued>>,
}

impl GroupCommit {
    /// Writes a session and its first refresh token with whatever else is queued; returns once
    /// they are committed (or refused).
    pub(super) async fn insert(
        &self,
        writer: &Writer,
        session: &Session,
        token: &RefreshTokenRecord,
    ) -> Result<(), StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(run(writer.clone(), receiver));
            sender
        });
        let (done, answer) = oneshot::channel();
        let issued = Issued {
            session: session.clone(),
            token: token.clone(),
            done,
        };
        match queue.send(issued).await {
            Ok(()) => answer.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the session writer stopped before answering".into(),
                ))
            }),
            // The writer's runtime has gone (a store outliving the runtime that first used it):
            // write this one alone.
            Err(mpsc::error::SendError(issued)) => {
                write(writer, std::slice::from_ref(&issued)).await
            }
        }
    }
}

/// The writer: takes what has queued (up to [`MAX_GROUP`]), writes it as one statement,
/// answers each; ends when the store (every sender) is gone.
async fn run(writer: Writer, mut receiver: mpsc::Receiver<Issued>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        match write(&writer, &group).await {
            Ok(()) => {
                for issued in group.drain(..) {
                    let _ = issued.done.send(Ok(()));
                }
            }
            Err(error) if group.len() == 1 => {
                if let Some(issued) = group.pop() {
                    let _ = issued.done.send(Err(error));
                }
            }
            // Nothing of the group was written: each row again on its own, for its own answer.
            Err(_) => {
                for issued in group.drain(..) {
                    let result = write(&writer, std::slice::from_ref(&issued)).await;
                    let _ = issued.done.send(result);
                }
            }
        }
    }
}

/// One statement inserting every row of `group` (all or none).
async fn write(writer: &Writer, group: &[Issued]) -> Result<(), StoreError> {
    let sql = statement(group.len());
    let mut query = sqlx::query::<Sqlite>(AssertSqlSafe(sql));
    for issued in group {
        debug_assert_eq!(issued.token.session_key_hash, issued.session.key_hash);
        query = bind_refresh_token(bind_session(query, &issued.session)?, &issued.token)?;
    }
    query
        .execute(&mut *writer.lock().await?)
        .await
        .map_err(db_error("session"))?;
    Ok(())
}

/// `INSERT INTO issued_sessions (…) VALUES (…), …` for `rows` rows, made once per size.
fn statement(rows: usize) -> &'static str {
    static STATEMENTS: OnceLock<Vec<String>> = OnceLock::new();
    let statements = STATEMENTS.get_or_init(|| {
        let row = format!("({})", vec!["?"; PER_ROW].join(", "));
        (0..=MAX_GROUP)
            .map(|n| {
                format!(
                    "INSERT INTO issued_sessions ({COLUMNS}) VALUES {}",
                    vec![row.as_str(); n].join(", ")
                )
            })
            .collect()
    });
    &statements[rows.min(MAX_GROUP)]
}
