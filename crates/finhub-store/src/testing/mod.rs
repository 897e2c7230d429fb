//! For tests (feature `testing`): throw-away PostgreSQL databases and Redis key prefixes on the
//! machine's servers, and Redis servers of a test's own for the tests that stop them. Nothing
//! another test (or another program) uses is touched; `scripts/test.sh` provides the servers
//! when the machine has none.

mod postgres;
mod redis;

pub use self::postgres::{PostgresTestDatabase, SERVER_VARIABLE, server_url};
pub use self::redis::{OwnRedisServer, REDIS_VARIABLE, redis_test_prefix, redis_url};
