//! A PostgreSQL database of their own on the server
//! `POSTGRES_TEST_URL` names (default: the local server as `postgres`, trust auth), with a
//! name no other run uses, dropped again when the guard goes. Nothing else on the server is
//! touched; `scripts/test.sh` provides a server when the machine has none.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection as _;

/// The variable naming the server tests create their databases on.
pub const SERVER_VARIABLE: &str = "POSTGRES_TEST_URL";

/// The server tests create their databases on.
pub fn server_url() -> String {
    std::env::var(SERVER_VARIABLE)
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database created for one test, dropped (with `FORCE`, so open pools do not keep it) when
/// this goes, on a thread of its own since dropping waits for the server.
#[derive(Debug)]
pub struct PostgresTestDatabase {
    name: String,
    url: String,
}

impl PostgresTestDatabase {
    /// Creates a fresh, empty database; `label` goes into its name (letters and digits only).
    ///
    /// # Panics
    /// When no server answers: the message says how to provide one.
    pub async fn create(label: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let label: String = label
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect();
        let name =
            format!("finhub_test_{}_{n}_{nanos}_{label}", std::process::id()).to_ascii_lowercase();
        let server = server_url();
        let mut admin = sqlx::PgConnection::connect(&server)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "the PostgreSQL tests need a server at {SERVER_VARIABLE} (default \
                     postgres://postgres@127.0.0.1:5432/postgres); scripts/test.sh starts one: \
                     {error}"
                )
            });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        let base = server
            .split('?')
            .next()
            .and_then(|url| url.rsplit_once('/'))
            .map_or(server.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PostgresTestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let server = server_url();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(sqlx::Error::Io)?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}
