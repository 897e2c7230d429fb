//! PostgreSQL beside SQLite: logins (a session and a refresh token written per grant) and
//! session checks (served from the session cache).

use std::path::Path;

use finhub_store::testing::PostgresTestDatabase;

use crate::fixture::{Instance, Seeded, Shape};
use crate::support::rounds::{median, verdict};
use crate::{ROUNDS, wrk};

pub(crate) fn run(runtime: &tokio::runtime::Runtime, dir: &Path) {
    println!("\n== Store: PostgreSQL beside SQLite (WAL)");
    let database = runtime.block_on(PostgresTestDatabase::create("benchstore"));
    let hubs = runtime.block_on(async {
        let mut hubs = Vec::new();
        for (name, url) in [
            (
                "SQLite",
                format!("sqlite:{}?mode=rwc", dir.join("store.db").display()),
            ),
            ("PostgreSQL", database.url().to_owned()),
        ] {
            let instance = Instance::start(&Shape {
                database_url: url,
                ..Shape::default()
            })
            .await;
            let seeded = Seeded::new(&instance, None, &instance.base()).await;
            hubs.push((name, instance, seeded));
        }
        hubs
    });
    let mut logins = [Vec::new(), Vec::new()];
    let mut sessions = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (idx, (name, instance, seeded)) in hubs.iter().enumerate() {
            let base = instance.base();
            let login = wrk(
                dir,
                &base,
                &format!("{name}: client_credentials logins"),
                "/v1/auth/token",
                "32",
                &seeded.login_script(),
            );
            logins[idx].push(login.rate);
            let session = wrk(
                dir,
                &base,
                &format!("{name}: GET /v1/auth/session"),
                "/v1/auth/session",
                "64",
                &seeded.session_script(),
            );
            sessions[idx].push(session.rate);
        }
    }
    let [sqlite_logins, pg_logins] = logins.map(median);
    let [sqlite_sessions, pg_sessions] = sessions.map(median);
    println!(
        "client_credentials logins/s: SQLite {sqlite_logins:.0}, PostgreSQL {pg_logins:.0}: ratio \
         {:.2} (target ≥ 0.50: {}); PostgreSQL ≥ 1 500/s: {}",
        pg_logins / sqlite_logins,
        verdict(pg_logins >= 0.5 * sqlite_logins),
        verdict(pg_logins >= 1_500.0)
    );
    println!(
        "session checks/s: SQLite {sqlite_sessions:.0}, PostgreSQL {pg_sessions:.0}: ratio {:.2} \
         (target ≥ 0.90: {})",
        pg_sessions / sqlite_sessions,
        verdict(pg_sessions >= 0.9 * sqlite_sessions)
    );
    drop(hubs);
    drop(database);
}
