//! Admissions batched into script calls: those that arrive while a call is on its way to Redis
//! wait in a queue and go together in the next one, which decides them in order, each as if it
//! had come alone (see `gcra.lua`). Under load this makes one round trip and one script start
//! serve many requests — a script's start costs Redis several times what its reads and writes
//! do — and a lone request still goes at once.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use finhub_core::shared_limits::SharedLimitError;

/// Most admissions one script call decides.
const MAX_BATCH: usize = 128;

/// One admission waiting for its call: its keys (prefixed) with their interval and tolerance,
/// the wait its caller agrees to (all in microseconds), and where its answer goes.
pub(super) struct Pending {
    pub(super) keys: Vec<(String, u64, u64)>,
    pub(super) max_wait: u64,
    pub(super) answer: oneshot::Sender<Result<(bool, u64), SharedLimitError>>,
}

/// Sends the queue's admissions to Redis, a batch at a time, until every sender is gone.
/// `now` gives the time to decide at (`""`: Redis's own clock) when a batch is sent; `timeout`
/// is the connection's time limit.
pub(super) async fn run(
    mut queue: mpsc::UnboundedReceiver<Pending>,
    mut connection: ConnectionManager,
    script: Script,
    now: impl Fn() -> String,
    timeout: Duration,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // A caller that stopped waiting (its time limit ran out) decided without Redis.
        batch.retain(|pending: &Pending| !pending.answer.is_closed());
        if !batch.is_empty() {
            let mut invocation = script.prepare_invoke();
            invocation.arg(now());
            for pending in &batch {
                invocation.arg(pending.max_wait).arg(pending.keys.len());
                for (key, interval, tolerance) in &pending.keys {
                    invocation.key(key).arg(interval).arg(tolerance);
                }
            }
            let mut answers = invocation.invoke_async::<Vec<u64>>(&mut connection).await;
            // A refused connection sent nothing. The connection may be one tried while Redis
            // was away: the call goes once more, on a new one, so a Redis that is back decides
            // this batch instead of all of it falling back.
            if answers
                .as_ref()
                .is_err_and(redis::RedisError::is_connection_refusal)
            {
                answers = invocation.invoke_async::<Vec<u64>>(&mut connection).await;
            }
            answer(
                &mut batch,
                &answers.map_err(|error| super::failure(&error, timeout)),
            );
        }
        batch.clear();
    }
}

/// Hands each admission of `batch` its part of the script's answer (two numbers each), or the
/// call's failure.
fn answer(batch: &mut Vec<Pending>, answers: &Result<Vec<u64>, SharedLimitError>) {
    for (index, pending) in batch.drain(..).enumerate() {
        let decision = match answers {
            Ok(numbers) => match numbers.get(2 * index..2 * index + 2) {
                Some(&[booked, micros]) => Ok((booked == 1, micros)),
                _ => Err(SharedLimitError::Unavailable(
                    "Redis answered fewer decisions than it was asked for".into(),
                )),
            },
            Err(error) => Err(error.clone()),
        };
        // The caller may have stopped waiting meanwhile.
        let _ = pending.answer.send(decision);
    }
}
