//! finhub-store's integration tests, one binary.
//!
//! `conformance` is the backend-independent suite: every test there is written against
//! `Arc<dyn Store>` only, and `conformance/mod.rs` runs each one against a fresh in-memory SQLite
//! database, against a fresh SQLite file in WAL mode (where concurrent calls really run on
//! several connections) and against a fresh PostgreSQL database on the server
//! `POSTGRES_TEST_URL` names (default: the local one).
//! `redis` covers the shared rate limits on the Redis `REDIS_TEST_URL` names (default: the
//! local one, under a key prefix of the test's own) and on `redis-server`s the tests start, stop
//! and flush themselves.
//! `sqlite` covers what only the SQLite backend has: URLs, files shared by two processes, and
//! how unreadable rows and unreachable databases are reported.

mod conformance;
mod redis;
mod sqlite;
mod support;
