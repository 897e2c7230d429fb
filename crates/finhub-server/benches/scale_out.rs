//! Scale-out benchmark: the hub on PostgreSQL beside the hub on SQLite, in the same run with the
//! same load generator (`wrk`, one thread), rounds alternating between the two backends, medians
//! of three:
//! - `client_credentials` logins/s (targets: PostgreSQL ≥ 0.5× SQLite's and ≥ 1 500/s);
//! - `GET /v1/auth/session` (target: PostgreSQL ≥ 0.9× SQLite's — the session cache keeps the
//!   store off the hot path).
//!
//! Both hubs run in this process (tokio, 2 workers; only one is loaded at a time), integration
//! profile with the login limits raised. PostgreSQL is the server `POSTGRES_TEST_URL`
//! names (a database of its own, dropped afterwards); `bench/scale-out.sh` provides one. On a
//! two-core machine the database server, the hub and wrk share the cores.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use finhub_clock::SystemClock;
use finhub_core::ids::TenantId;
use finhub_core::model::AccountType;
use finhub_core::scope::Scope;
use finhub_server::AppState;
use finhub_server::config::{Config, RawConfig};
use finhub_store::testing::PostgresTestDatabase;

const TENANT: &str = "1234567";
const ROUNDS: usize = 3;
const SECONDS: &str = "4";

/// One hub on one backend.
struct Hub {
    name: &'static str,
    base: String,
    login_script: String,
    session_script: String,
}

fn config(database_url: String) -> Config {
    let mut raw = RawConfig {
        listen: "127.0.0.1:0".into(),
        database_url,
        ..RawConfig::default()
    };
    raw.keys.session_secret = Some("bench-session-key-0123456789abcdef".into());
    raw.keys.data_key = Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into());
    raw.rate_limits.token_per_address_per_minute = Some(100_000_000);
    raw.rate_limits.token_per_customer_per_minute = Some(100_000_000);
    Config::from_raw(raw).expect("bench config")
}

async fn start(name: &'static str, database_url: String) -> Hub {
    let state = AppState::build(config(database_url), SystemClock::shared())
        .await
        .expect("state");
    let admin = finhub_core::admin::Administrator::new("bench set-up");
    let tenant = TenantId::parse(TENANT).expect("tenant id");
    state
        .admin
        .create_tenant(
            &admin,
            tenant.clone(),
            "Bench",
            Scope::parse("finra:otcMarket").expect("scope"),
        )
        .await
        .expect("tenant");
    let customer = state
        .admin
        .create_customer(&admin, &tenant, "bench", AccountType::B2b)
        .await
        .expect("customer");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let limits = state.http.connections.clone();
    tokio::spawn(finhub_server::serve(
        listener,
        finhub_server::http::router(state),
        limits,
        std::future::pending(),
    ));
    let base = format!("http://{addr}");
    let body = serde_json::json!({
        "customerId": customer.customer.id.to_string(),
        "customerSecret": customer.secret.expose(),
        "accountType": "b2b",
        "grantType": "client_credentials",
    });
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/v1/auth/token"))
        .header("sec-ch-ua-platform", "Linux")
        .header("X-Forwarded-For", "127.0.0.1")
        .header("User-Agent", "finhub-bench")
        .header("X-Tenant-ID", TENANT)
        .json(&body)
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login JSON");
    let token = answer["userSessionToken"]
        .as_str()
        .expect("a session token");
    Hub {
        name,
        base,
        login_script: support::wrk::post_script(&body, TENANT),
        session_script: format!("wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir: PathBuf =
        std::env::temp_dir().join(format!("finhub-scale-out-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let database = runtime.block_on(PostgresTestDatabase::create("bench"));
    let sqlite_url = format!("sqlite:{}?mode=rwc", dir.join("bench.db").display());
    let hubs = runtime.block_on(async {
        [
            start("SQLite (WAL)", sqlite_url).await,
            start("PostgreSQL", database.url().to_owned()).await,
        ]
    });
    println!(
        "FinHub scale-out benchmark: two hubs in-process (2 tokio workers), wrk -t1 on the same {} \
         cores as the database server; {ROUNDS} alternating rounds of {SECONDS} s; login limits \
         raised to 10^8/min",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    let mut logins = [Vec::new(), Vec::new()];
    let mut sessions = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (idx, hub) in hubs.iter().enumerate() {
            logins[idx].push(measure(
                &dir,
                hub,
                "client_credentials logins",
                "/v1/auth/token",
                "32",
                &hub.login_script,
            ));
            sessions[idx].push(measure(
                &dir,
                hub,
                "GET /v1/auth/session",
                "/v1/auth/session",
                "64",
                &hub.session_script,
            ));
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
    drop(runtime);
    drop(database);
    let _ = std::fs::remove_dir_all(&dir);
}

fn measure(dir: &Path, hub: &Hub, what: &str, path: &str, connections: &str, script: &str) -> f64 {
    support::wrk::run_for(
        dir,
        &hub.base,
        &format!("{}: {what}", hub.name),
        path,
        connections,
        Some(script),
        SECONDS,
    )
}
