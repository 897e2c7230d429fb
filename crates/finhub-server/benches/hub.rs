//! Hub benchmark, every figure against a baseline measured in the same run:
//! - `GET /v1/auth/session` (JWT verify + session lookup) vs the no-op route `GET /v1/noop`;
//! - `client_credentials` logins/s (target ≥ 2 000/s);
//! - `password` logins/s vs the Argon2id ceiling of this machine (2 threads hashing, no HTTP);
//! - median time of a wrong-password login vs an unknown-user login (target: within 5 %).
//!
//! The server runs in this process (tokio, 2 workers), SQLite in WAL mode in a temp dir,
//! integration profile with its rate limits raised (and said so). The load generator is `wrk`
//! (Debian package) on the same two cores. Run: `bench/hub.sh` or
//! `cargo bench -p finhub-server --bench hub`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::io::Write;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use finhub_clock::SystemClock;
use finhub_core::ids::{TenantId, Username};
use finhub_core::model::AccountType;
use finhub_core::scope::Scope;
use finhub_server::AppState;
use finhub_server::config::{Config, RawConfig};
use secrecy::SecretString;

const TENANT: &str = "1234567";
const PASSWORD: &str = "bench password 1";
const TIMING_USERS: usize = 100;
const WRK_SECONDS: &str = "6";

struct Fixture {
    base: String,
    customer_id: String,
    customer_secret: String,
    session_token: String,
    dir: std::path::PathBuf,
}

fn config(dir: &std::path::Path) -> Config {
    let mut raw = RawConfig {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite:{}?mode=rwc", dir.join("bench.db").display()),
        ..RawConfig::default()
    };
    raw.keys.session_secret = Some("bench-session-key-0123456789abcdef".into());
    raw.keys.data_key = Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into());
    // Raised limits: the benchmark measures the hub, not its rate limiter.
    raw.rate_limits.token_per_address_per_minute = Some(100_000_000);
    raw.rate_limits.token_per_customer_per_minute = Some(100_000_000);
    raw.http.max_concurrent_password_hashes = 2;
    Config::from_raw(raw).expect("bench config")
}

async fn start() -> Fixture {
    let dir = std::env::temp_dir().join(format!("finhub-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let state = AppState::build(config(&dir), SystemClock::shared())
        .await
        .expect("state");
    let auth = state.admin.clone();
    let tenant = TenantId::parse(TENANT).expect("tenant id");
    auth.create_tenant(
        &finhub_core::admin::Administrator::new("bench set-up"),
        tenant.clone(),
        "Bench",
        Scope::parse("finra:otcMarket").expect("scope"),
    )
    .await
    .expect("tenant");
    let customer = auth
        .create_customer(
            &finhub_core::admin::Administrator::new("bench set-up"),
            &tenant,
            "bench",
            AccountType::B2b,
        )
        .await
        .expect("customer");
    for idx in 0..=TIMING_USERS {
        auth.create_user(
            &finhub_core::admin::Administrator::new("bench set-up"),
            &tenant,
            Username::parse(&format!("user{idx}")).expect("username"),
            SecretString::from(PASSWORD),
        )
        .await
        .expect("user");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let limits = state.http.connections;
    tokio::spawn(finhub_server::serve(
        listener,
        finhub_server::http::router(state),
        limits,
        std::future::pending(),
    ));
    let base = format!("http://{addr}");
    let mut fixture = Fixture {
        base,
        customer_id: customer.customer.id.to_string(),
        customer_secret: customer.secret.expose().to_owned(),
        session_token: String::new(),
        dir,
    };
    let response = login(
        &reqwest::Client::new(),
        &fixture,
        "user0",
        PASSWORD,
        "password",
    )
    .await;
    assert_eq!(response.status(), 200, "bench login");
    let body: serde_json::Value = response.json().await.expect("login JSON");
    fixture.session_token = body["userSessionToken"].as_str().expect("token").to_owned();
    fixture
}

fn login_body(fixture: &Fixture, username: &str, password: &str, grant: &str) -> serde_json::Value {
    if grant == "client_credentials" {
        serde_json::json!({
            "customerId": fixture.customer_id, "customerSecret": fixture.customer_secret,
            "accountType": "b2b", "grantType": grant,
        })
    } else {
        serde_json::json!({
            "username": username, "password": password, "customerId": fixture.customer_id,
            "customerSecret": fixture.customer_secret, "accountType": "b2b", "grantType": grant,
        })
    }
}

async fn login(
    client: &reqwest::Client,
    fixture: &Fixture,
    username: &str,
    password: &str,
    grant: &str,
) -> reqwest::Response {
    client
        .post(format!("{}/v1/auth/token", fixture.base))
        .header("sec-ch-ua-platform", "Linux")
        .header("X-Forwarded-For", "127.0.0.1")
        .header("User-Agent", "finhub-bench")
        .header("X-Tenant-ID", TENANT)
        .json(&login_body(fixture, username, password, grant))
        .send()
        .await
        .expect("login request")
}

/// Runs wrk and returns (requests/s, p50 latency text, non-2xx count).
fn wrk(fixture: &Fixture, label: &str, path: &str, connections: &str, script: Option<&str>) -> f64 {
    let mut command = Command::new("wrk");
    command.args(["-t1", "-c", connections, "-d", WRK_SECONDS, "--latency"]);
    if let Some(script) = script {
        let file_name: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = fixture.dir.join(format!("{file_name}.lua"));
        std::fs::write(&path, script).expect("lua script");
        command.arg("-s").arg(path);
    }
    command.arg(format!("{}{path}", fixture.base));
    let output = command.output().expect("run wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    let rate = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or(0.0);
    let p50 = text
        .lines()
        .find(|l| l.trim_start().starts_with("50%"))
        .map_or("?", |l| l.split_whitespace().nth(1).unwrap_or("?"))
        .to_owned();
    let non_2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map_or("0".to_owned(), |l| {
            l.split(':').nth(1).unwrap_or("?").trim().to_owned()
        });
    println!("{label:<46} {rate:>10.0} req/s  p50 {p50:>8}  non-2xx {non_2xx}");
    rate
}

fn post_script(body: &serde_json::Value) -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = [[{}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"sec-ch-ua-platform\"] = \"Linux\"\nwrk.headers[\"X-Forwarded-For\"] = \"127.0.0.1\"\n\
         wrk.headers[\"User-Agent\"] = \"wrk\"\nwrk.headers[\"X-Tenant-ID\"] = \"{TENANT}\"\n",
        serde_json::to_string(body).expect("json")
    )
}

/// Argon2id verifications per second on 2 threads, no HTTP: the ceiling of password logins.
fn argon2_ceiling() -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let hasher = finhub_core::password::PasswordHasher::new(2);
    let phc = runtime
        .block_on(hasher.hash(SecretString::from(PASSWORD)))
        .expect("hash");
    let per_thread = 40;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let phc = phc.clone();
            let hasher = hasher.clone();
            scope.spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                for _ in 0..per_thread {
                    let ok = runtime
                        .block_on(hasher.verify(SecretString::from(PASSWORD), Some(phc.clone())))
                        .expect("verify");
                    assert!(ok);
                }
            });
        }
    });
    f64::from(2 * per_thread) / started.elapsed().as_secs_f64()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fixture = runtime.block_on(start());
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "FinHub hub benchmark: server in-process (2 tokio workers), wrk on the same {} cores, \
         integration profile, login rate limits raised to 10^8/min for the run, SQLite WAL",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );

    let noop = wrk(&fixture, "GET /v1/noop (baseline)", "/v1/noop", "64", None);
    let session_script = format!(
        "wrk.headers[\"Authorization\"] = \"Bearer {}\"\n",
        fixture.session_token
    );
    let session = wrk(
        &fixture,
        "GET /v1/auth/session",
        "/v1/auth/session",
        "64",
        Some(&session_script),
    );
    println!(
        "  session / no-op = {:.2} (target ≥ 0.50: {})",
        session / noop,
        if session / noop >= 0.5 {
            "met"
        } else {
            "MISSED"
        }
    );

    let cc = post_script(&login_body(&fixture, "", "", "client_credentials"));
    let cc_rate = wrk(
        &fixture,
        "POST /v1/auth/token client_credentials",
        "/v1/auth/token",
        "32",
        Some(&cc),
    );
    println!(
        "  client_credentials logins/s = {cc_rate:.0} (target ≥ 2000: {}); = {:.2}× no-op",
        if cc_rate >= 2_000.0 { "met" } else { "MISSED" },
        cc_rate / noop
    );

    let ceiling = argon2_ceiling();
    let pw = post_script(&login_body(&fixture, "user0", PASSWORD, "password"));
    let pw_rate = wrk(
        &fixture,
        "POST /v1/auth/token password",
        "/v1/auth/token",
        "8",
        Some(&pw),
    );
    println!(
        "  Argon2id ceiling (2 threads, no HTTP) = {ceiling:.0}/s; password logins = {:.0} % of it (target ≥ 80 %: {})",
        100.0 * pw_rate / ceiling,
        if pw_rate >= 0.8 * ceiling {
            "met"
        } else {
            "MISSED"
        }
    );

    // Wrong password vs unknown user, interleaved, sequential, one keep-alive connection.
    let client = reqwest::Client::new();
    let (wrong, unknown) = runtime.block_on(async {
        let mut wrong = Vec::new();
        let mut unknown = Vec::new();
        for round in 0..3 {
            for idx in 1..=TIMING_USERS {
                let started = Instant::now();
                let response = login(
                    &client,
                    &fixture,
                    &format!("user{idx}"),
                    "wrong password",
                    "password",
                )
                .await;
                assert_eq!(response.status(), 401);
                wrong.push(started.elapsed());
                let started = Instant::now();
                let response = login(
                    &client,
                    &fixture,
                    &format!("nobody{round}-{idx}"),
                    "wrong password",
                    "password",
                )
                .await;
                assert_eq!(response.status(), 401);
                unknown.push(started.elapsed());
            }
        }
        (median(wrong), median(unknown))
    });
    let diff = (wrong.as_secs_f64() - unknown.as_secs_f64()).abs()
        / wrong.as_secs_f64().min(unknown.as_secs_f64());
    println!(
        "median wrong-password login {:.2} ms, unknown-user login {:.2} ms: differ by {:.1} % (target ≤ 5 %: {})",
        wrong.as_secs_f64() * 1e3,
        unknown.as_secs_f64() * 1e3,
        diff * 100.0,
        if diff <= 0.05 { "met" } else { "MISSED" }
    );
    let _ = std::fs::remove_dir_all(&fixture.dir);
}
