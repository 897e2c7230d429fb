//! finhub-store's integration tests, one binary.
//!
//! `conformance` is the backend-independent suite: every test there is written against
//! `Arc<dyn Store>` only, and `conformance/mod.rs` runs each one against a fresh in-memory SQLite
//! database and against a fresh SQLite file in WAL mode (where concurrent calls really run on
//! several connections). A PostgreSQL backend will add its own instantiation of the same list.
//! `sqlite` covers what only the SQLite backend has: URLs, files shared by two processes, and
//! how unreadable rows and unreachable databases are reported.

mod conformance;
mod sqlite;
mod support;
