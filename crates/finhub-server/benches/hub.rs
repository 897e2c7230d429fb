//! Hub benchmark, every figure against a baseline measured in the same run:
//! - `GET /v1/auth/session` (JWT verify + session lookup) vs the no-op route `GET /v1/noop`;
//! - `client_credentials` logins/s (target ≥ 2 000/s);
//! - `password` logins/s vs the Argon2id ceiling of this machine (2 threads hashing, no HTTP),
//!   alternating short rounds of the same length, each login round against the ceiling rounds
//!   on either side of it (target ≥ 95 %), with the two hashes' memory beside the machine's
//!   last-level cache (the rest of each login shares that cache with them), and where a
//!   login's CPU goes (the hashing, serving and SQLite threads, and outside this process)
//!   beside the machine's CPU per verification of the ceiling;
//! - the time of a wrong-password login vs an unknown-user login, timed in pairs one right
//!   after the other (target: the median pair within 5 %);
//! - password + TOTP logins/s vs password-only logins/s, alternating rounds of the same load
//!   generator (target ≥ 0.95: the code check costs microseconds beside Argon2), and the time
//!   of a login with a replayed code vs one with a wrong code, in pairs (target: the median
//!   pair within 5 %);
//! - beside oidc-provider (npm, installed by `bench/hub.sh`), the same wrk, in rounds after an
//!   unmeasured warm-up round of each system (Node compiles its hot paths in the first
//!   seconds), each ratio taken within its round and the median of the rounds judged:
//!   `client_credentials` logins vs its client-credentials grants with opaque access tokens
//!   (target ≥ 1.0× one process) and HS256 JWTs (target ≥ 1.5× one process), its 2-worker
//!   cluster reported too; session checks vs its token introspection (target ≥ 5×).
//!
//! The server runs in this process, served as `finhub serve` serves (a runtime per serving
//! thread, one thread per core), SQLite in WAL mode in a temp dir,
//! integration profile with its rate limits raised (and said so). The load generator is `wrk`
//! (Debian package) on the same two cores. The machine (CPU model, cores, caches, features,
//! memory) is printed first. Run: `bench/hub.sh` or
//! `cargo bench -p finhub-server --bench hub`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

#[path = "support/mod.rs"]
mod support;

/// The allocator the `finhub` binary runs with, so the hub measured here is the one served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use finhub_clock::SystemClock;
use finhub_core::auth::RequestContext;
use finhub_core::ids::{TenantId, Username};
use finhub_core::mfa::TotpSecret;
use finhub_server::AppState;
use finhub_server::config::{Config, RawConfig};
use secrecy::{ExposeSecret, SecretString};

use support::rounds::{Spread, median, ratios, verdict};

const TENANT: &str = "1234567";
const PASSWORD: &str = "bench password 1";
const TIMING_USERS: usize = 100;
/// Length of each throughput round, in seconds.
const ROUND_SECS: f64 = 4.0;
/// Pairs of rounds (password-only, password + TOTP), alternating.
const ROUND_PAIRS: usize = 5;
/// Timed pairs of a replayed and a wrong code.
const CODE_TIMING_PAIRS: usize = 300;
/// Logins in flight in the password and password + TOTP rounds.
const LOGIN_CONCURRENCY: usize = 8;

struct Fixture {
    base: String,
    customer_id: String,
    customer_secret: String,
    session_token: String,
    dir: std::path::PathBuf,
    /// The hub, for enrolling users with a factor between rounds.
    state: AppState,
    tenant: TenantId,
    clock: finhub_clock::SharedClock,
}

/// Fresh users for one round, each with its factor's secret when it has one; each logs in once
/// (with a code a step is accepted once per user), so both kinds of round meet users the hub
/// has not seen log in.
type Users = Arc<Vec<(String, Option<TotpSecret>)>>;

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
    Config::from_raw(raw).expect("bench config")
}

async fn start() -> Fixture {
    let dir = std::env::temp_dir().join(format!("finhub-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let clock = SystemClock::shared();
    let config = config(&dir);
    let serving_threads = config.serving_threads;
    let state = AppState::build(config, clock.clone()).await.expect("state");
    let auth = state.admin.clone();
    let (customer_id, customer_secret) = support::seed::tenant(&auth, TENANT, None).await;
    let tenant = TenantId::parse(TENANT).expect("tenant id");
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
    // Served as `finhub serve` serves: its serving threads, each with a runtime of its own.
    let threads =
        finhub_server::ServingThreads::bind(SocketAddr::from(([127, 0, 0, 1], 0)), serving_threads)
            .expect("bind");
    let addr = threads.local_addr();
    let limits = state.http.connections.clone();
    tokio::spawn(threads.serve(
        finhub_server::http::app(state.clone()),
        limits,
        None,
        clock.clone(),
        std::future::pending(),
    ));
    let base = format!("http://{addr}");
    let mut fixture = Fixture {
        base,
        customer_id,
        customer_secret,
        session_token: String::new(),
        dir,
        state,
        tenant,
        clock,
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

/// Creates `count` users (`fresh<first>`…) and, `with_factor`, enrols a factor for each through
/// the domain's enrolment steps (confirmed with the previous step's code, so the current one is
/// free).
async fn enrol_users(fixture: &Fixture, first: usize, count: usize, with_factor: bool) -> Users {
    let (state, tenant) = (&fixture.state, &fixture.tenant);
    let admin = finhub_core::admin::Administrator::new("bench set-up");
    let ctx = RequestContext::internal("bench");
    let factors = state.logins.second_factors();
    let mut users = Vec::with_capacity(count);
    for idx in first..first + count {
        let name = format!("fresh{idx}");
        let username = Username::parse(&name).expect("username");
        state
            .admin
            .create_user(
                &admin,
                tenant,
                username.clone(),
                SecretString::from(PASSWORD),
            )
            .await
            .expect("user");
        if !with_factor {
            users.push((name, None));
            continue;
        }
        let pending = factors
            .start_totp(&ctx, tenant, &username)
            .await
            .expect("start");
        let previous = state.clock.now_utc() - time::Duration::seconds(30);
        let code = pending.secret.code_at(previous).expect("code");
        factors
            .confirm_totp(
                &ctx,
                tenant,
                &username,
                &pending.factor_id,
                code.expose_secret(),
            )
            .await
            .expect("confirm");
        users.push((name, Some(pending.secret)));
    }
    Arc::new(users)
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
    post_login(
        client,
        fixture,
        &login_body(fixture, username, password, grant),
    )
    .await
}

async fn post_login(
    client: &reqwest::Client,
    fixture: &Fixture,
    body: &serde_json::Value,
) -> reqwest::Response {
    support::seed::post_login(client, &fixture.base, TENANT, body).await
}

/// A round of the Argon2id ceiling: verifications per second, and the machine's CPU per
/// verification.
#[derive(Debug, Clone, Copy)]
struct Ceiling {
    rate: f64,
    machine_cpu: Duration,
}

/// Argon2id verifications per second on 2 threads, no HTTP: the ceiling of password logins.
/// Measured for as long as a round of logins lasts ([`PASSWORD_ROUND_SECS`]), so the ceiling and
/// the logins it is compared with see the machine over spells of the same length.
fn argon2_ceiling() -> Ceiling {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let hasher = finhub_core::password::PasswordHasher::new(2);
    let phc = runtime
        .block_on(hasher.hash(SecretString::from(PASSWORD)))
        .expect("hash");
    let seconds: u64 = PASSWORD_ROUND_SECS.parse().expect("a round's seconds");
    let busy_before = support::cpu::machine_busy();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    // Two verifications in flight at all times keep both of the hasher's threads busy.
    let verified = runtime.block_on(async {
        let back_to_back = || async {
            let mut verified = 0_u32;
            while Instant::now() < deadline {
                let ok = hasher
                    .verify(SecretString::from(PASSWORD), Some(phc.clone()))
                    .await
                    .expect("verify");
                assert!(ok);
                verified += 1;
            }
            verified
        };
        let (first, second) = tokio::join!(back_to_back(), back_to_back());
        first + second
    });
    Ceiling {
        rate: f64::from(verified) / started.elapsed().as_secs_f64(),
        machine_cpu: (support::cpu::machine_busy() - busy_before) / verified.max(1),
    }
}

/// Where the CPU of a round of password logins went, per login: the whole machine's, and this
/// process's threads by their kind (the hub serves in this process).
#[derive(Debug, Clone)]
struct LoginCpu {
    machine: Duration,
    threads: std::collections::BTreeMap<&'static str, Duration>,
}

impl LoginCpu {
    /// The kinds of thread a login runs on, by the names the hub and its libraries give them.
    fn kind(name: &str) -> &'static str {
        if name.starts_with("finhub-argon2") {
            "hashing"
        } else if name.starts_with("finhub-serve") {
            "serving"
        } else if name.starts_with("sqlx-sqlite") {
            "SQLite"
        } else {
            "the rest of this process"
        }
    }

    /// Runs `round` (logins for `seconds`, returning their rate) and measures it: the rate,
    /// and where its CPU went.
    fn measure(seconds: f64, round: impl FnOnce() -> f64) -> (f64, Self) {
        let (busy_before, threads_before) = (
            support::cpu::machine_busy(),
            support::cpu::Threads::read(Self::kind),
        );
        let rate = round();
        let threads = support::cpu::Threads::read(Self::kind).since(&threads_before);
        let logins = (rate * seconds).max(1.0);
        let cpu = Self {
            machine: (support::cpu::machine_busy() - busy_before).div_f64(logins),
            threads: threads
                .into_iter()
                .map(|(kind, time)| (kind, time.div_f64(logins)))
                .collect(),
        };
        (rate, cpu)
    }

    /// The median of each figure over `rounds`, as the report prints it.
    fn medians(rounds: &[Self]) -> String {
        let ms = |time: Duration| 1e3 * time.as_secs_f64();
        let median_ms =
            |of: &dyn Fn(&Self) -> Duration| median(rounds.iter().map(|round| ms(of(round))));
        let in_process = |round: &Self| round.threads.values().sum::<Duration>();
        let mut kinds: Vec<&'static str> = rounds
            .iter()
            .flat_map(|round| round.threads.keys().copied())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        let by_kind = kinds
            .iter()
            .map(|kind| {
                let time =
                    median_ms(&|round: &Self| round.threads.get(kind).copied().unwrap_or_default());
                format!("{kind} {time:.2}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "machine {:.2} ms: {by_kind}, outside this process (wrk, the kernel's network work) \
             {:.2}",
            median_ms(&|round: &Self| round.machine),
            median_ms(&|round: &Self| round.machine.saturating_sub(in_process(round))),
        )
    }
}

/// The Argon2id working memory of the ceiling's two hashes in flight beside the machine's
/// last-level cache, which the rest of each login shares with them: a figure to read the
/// password target's result against when it differs from one machine to another.
fn argon2_memory_in_flight() -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let phc = runtime
        .block_on(finhub_core::password::PasswordHasher::new(1).hash(SecretString::from(PASSWORD)))
        .expect("hash");
    // The memory cost as the hash records it: `$argon2id$v=19$m=<KiB>,t=…`.
    let memory_kib = phc.split('$').find_map(|part| {
        part.split(',')
            .find_map(|param| param.strip_prefix("m="))
            .and_then(|kib| kib.parse::<u64>().ok())
    });
    let Some(memory_kib) = memory_kib else {
        return format!("Argon2id memory: not found in the hash {phc}");
    };
    let in_flight = 2 * memory_kib * 1024;
    let machine = support::machine::Machine::read();
    let beside = machine.last_level_cache().map_or_else(
        || "this machine's last-level cache: unknown".to_owned(),
        |cache| {
            format!(
                "this machine's last-level cache {} ({})",
                support::machine::size(cache),
                if in_flight > cache {
                    "smaller: the two hashes alone outgrow it"
                } else {
                    "larger: it holds both, with room to spare"
                }
            )
        },
    );
    format!(
        "Argon2id memory in flight: 2 hashes × {} = {}; {beside}",
        support::machine::size(memory_kib * 1024),
        support::machine::size(in_flight),
    )
}

/// What a round of logins measured.
#[derive(Debug, Clone, Copy)]
struct Round {
    /// Logins per second.
    rate: f64,
    /// CPU time of this whole process (server and load generator) per login, in ms.
    cpu_ms: f64,
}

/// Password logins with [`LOGIN_CONCURRENCY`] in flight for [`ROUND_SECS`] (or until `users`
/// run out), each of `users` once (with its current code when it has a factor).
async fn login_round(fixture: &Arc<Fixture>, users: &Users) -> Round {
    let cpu_before = process_cpu_ms();
    let next_user = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs_f64(ROUND_SECS);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..LOGIN_CONCURRENCY {
        let (client, fixture, next_user, users) = (
            client.clone(),
            Arc::clone(fixture),
            Arc::clone(&next_user),
            Arc::clone(users),
        );
        workers.spawn(async move {
            let mut done = 0_u32;
            while Instant::now() < deadline {
                let idx = next_user.fetch_add(1, Ordering::Relaxed);
                // Sized for 1.5 times the pilot's rate; should the machine speed up more than
                // that, the round ends when its users run out (its rate is over the time it ran).
                let Some((name, secret)) = users.get(idx) else {
                    break;
                };
                let mut body = login_body(&fixture, name, PASSWORD, "password");
                if let Some(secret) = secret {
                    let code = secret.code_at(fixture.clock.now_utc()).expect("code");
                    body["otp"] = serde_json::json!(code.expose_secret());
                }
                let response = post_login(&client, &fixture, &body).await;
                assert_eq!(response.status(), 200, "a login of a throughput round");
                done += 1;
            }
            done
        });
    }
    let mut done = 0_u32;
    while let Some(count) = workers.join_next().await {
        done += count.expect("a login worker");
    }
    Round {
        rate: f64::from(done) / started.elapsed().as_secs_f64(),
        cpu_ms: (process_cpu_ms() - cpu_before) / f64::from(done.max(1)),
    }
}

/// This process's CPU time so far (user + system), in milliseconds (Linux; 0 elsewhere).
fn process_cpu_ms() -> f64 {
    1e3 * support::cpu::of_processes(&[std::process::id()]).total()
}

/// Runs wrk against the fixture's hub; see [`support::wrk::run`].
fn wrk(fixture: &Fixture, label: &str, path: &str, connections: &str, script: Option<&str>) -> f64 {
    support::wrk::run(
        &fixture.dir,
        &fixture.base,
        label,
        path,
        connections,
        script,
    )
}

fn post_script(body: &serde_json::Value) -> String {
    support::wrk::post_script(body, TENANT)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!("machine: {}", support::machine::Machine::read().describe());
    let fixture = Arc::new(runtime.block_on(start()));
    // `cargo bench --bench hub -- anchors` measures only the comparison with oidc-provider,
    // `-- passwords` only password logins against the Argon2id ceiling and the wrong-password
    // timing, `-- second-factor` only password + TOTP logins against password logins and the
    // replayed-code timing.
    let only = |section: &str| std::env::args().skip(1).any(|arg| arg == section);
    if only("anchors") || only("passwords") || only("second-factor") {
        if only("anchors") {
            anchors(&runtime, &fixture);
        }
        if only("passwords") {
            password_logins(&fixture);
            unknown_user_timing(&runtime, &fixture);
        }
        if only("second-factor") {
            second_factor(&runtime, &fixture);
        }
        let _ = std::fs::remove_dir_all(&fixture.dir);
        return;
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "FinHub hub benchmark: server in-process on its serving threads (one per core, as \
         `finhub serve`), wrk on the same {} cores, \
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
        verdict(session / noop >= 0.5)
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
        verdict(cc_rate >= 2_000.0),
        cc_rate / noop
    );

    password_logins(&fixture);

    unknown_user_timing(&runtime, &fixture);
    second_factor(&runtime, &fixture);
    anchors(&runtime, &fixture);
    let _ = std::fs::remove_dir_all(&fixture.dir);
}

/// Rounds of password logins, each between two rounds of the Argon2id ceiling, and their
/// length: many short rounds follow the machine's drift closely and leave the median of their
/// ratios less to chance than a few long ones.
const PASSWORD_ROUNDS: usize = 15;
const PASSWORD_ROUND_SECS: &str = "4";

/// Password logins against the Argon2id ceiling: rounds of the same length alternating, the
/// ceiling first and last. Each login round is taken against the mean of the two ceiling rounds
/// around it, which cancels the machine's slower and faster spells (a shared VM's speed drifts
/// by several per cent within a minute), and the median of those ratios is the figure.
fn password_logins(fixture: &Fixture) {
    let pw = post_script(&login_body(fixture, "user0", PASSWORD, "password"));
    let seconds: f64 = PASSWORD_ROUND_SECS.parse().expect("a round's seconds");
    let mut ceilings = vec![argon2_ceiling()];
    let mut pw_rates = Vec::new();
    let mut pw_cpu = Vec::new();
    for _ in 0..PASSWORD_ROUNDS {
        let (rate, cpu) = LoginCpu::measure(seconds, || {
            support::wrk::run_for(
                &fixture.dir,
                &fixture.base,
                "POST /v1/auth/token password",
                "/v1/auth/token",
                "8",
                Some(&pw),
                PASSWORD_ROUND_SECS,
            )
            .rate
        });
        pw_rates.push(rate);
        pw_cpu.push(cpu);
        ceilings.push(argon2_ceiling());
    }
    let ratios: Vec<f64> = pw_rates
        .iter()
        .zip(ceilings.windows(2))
        .map(|(rate, around)| rate / f64::midpoint(around[0].rate, around[1].rate))
        .collect();
    println!(
        "  Argon2id ceiling (2 threads, no HTTP) per round {}/s; password logins per round {}/s",
        listed(ceilings.iter().map(|ceiling| ceiling.rate), 0),
        listed(pw_rates.iter().copied(), 0),
    );
    println!("  {}", argon2_memory_in_flight());
    println!(
        "  CPU per verification of the ceiling (medians): machine {:.2} ms; per password login: {}",
        median(
            ceilings
                .iter()
                .map(|ceiling| 1e3 * ceiling.machine_cpu.as_secs_f64())
        ),
        LoginCpu::medians(&pw_cpu),
    );
    let ratio = median(ratios.iter().copied());
    println!(
        "  password logins ÷ the mean of the ceiling rounds around them (rounds of {} s): {} %; \
         median {:.1} % (target ≥ 95 %: {})",
        PASSWORD_ROUND_SECS,
        listed(ratios.iter().map(|ratio| 100.0 * ratio), 0),
        100.0 * ratio,
        verdict(ratio >= 0.95)
    );
}

/// Rounds of [`ANCHOR_ROUND_SECS`] per system, alternating, for the comparison with
/// oidc-provider.
const ANCHOR_ROUNDS: usize = 5;
const ANCHOR_ROUND_SECS: &str = "4";

/// FinHub beside oidc-provider, the same load generator, round by round (FinHub first in
/// every other round, last in the others): `client_credentials` logins beside its
/// client-credentials grants (opaque and HS256 JWT access tokens, one process and a 2-worker
/// cluster), and the session check beside its token introspection. Each ratio is taken within
/// its round; the median of the rounds' ratios is judged against the target.
fn anchors(runtime: &tokio::runtime::Runtime, fixture: &Fixture) {
    use support::oidc_provider::{self, Format, OidcProvider};
    let Some(dir) = oidc_provider::installed() else {
        println!("oidc-provider is not installed (bench/hub.sh installs it): no anchor measured");
        return;
    };
    let anchors = [
        OidcProvider::start(&dir, Format::Opaque, 1),
        OidcProvider::start(&dir, Format::Jwt, 1),
        OidcProvider::start(&dir, Format::Opaque, 2),
        OidcProvider::start(&dir, Format::Jwt, 2),
    ];
    println!(
        "\nBeside oidc-provider {} (node {}, NODE_ENV=production, in-memory store, \
         client_secret_basic): wrk -t1, {ANCHOR_ROUNDS} rounds of {ANCHOR_ROUND_SECS} s per \
         system after one unmeasured round of each, FinHub first and last in turn; medians of the \
         rounds' ratios",
        oidc_provider::version(&dir),
        node_version()
    );
    let grant = oidc_provider::grant_script();
    let cc = post_script(&login_body(fixture, "", "", "client_credentials"));
    let ours = || {
        anchor_round(
            &fixture.base,
            "FinHub client_credentials (durable)",
            "/v1/auth/token",
            "32",
            &cc,
            &fixture.dir,
        )
    };
    let theirs_round = |anchor: &OidcProvider| {
        anchor_round(
            &anchor.base,
            &anchor.label,
            "/token",
            "32",
            &grant,
            &fixture.dir,
        )
    };
    // One unmeasured round of each first: oidc-provider's first seconds run before Node's JIT
    // has compiled its hot paths (its first round measured about half its later ones), and a
    // server in service is warm.
    println!("  warm-up (not measured):");
    ours();
    for anchor in &anchors {
        theirs_round(anchor);
    }
    println!("  measured:");
    let mut finhub = Vec::new();
    let mut theirs: Vec<Vec<f64>> = vec![Vec::new(); anchors.len()];
    for round in 0..ANCHOR_ROUNDS {
        // FinHub first in every other round, last in the others.
        if round % 2 == 0 {
            finhub.push(ours());
        }
        for (anchor, rates) in anchors.iter().zip(&mut theirs) {
            rates.push(theirs_round(anchor));
        }
        if round % 2 == 1 {
            finhub.push(ours());
        }
    }
    for ((anchor, rates), target) in
        anchors
            .iter()
            .zip(&theirs)
            .zip([Some(1.0), Some(1.5), None, None])
    {
        let ratios = ratios(&finhub, rates);
        let ratio = median(ratios.iter().copied());
        let judged = target.map_or_else(
            || "reported".to_owned(),
            |target| format!("target ≥ {target:.1}: {}", verdict(ratio >= target)),
        );
        println!(
            "  FinHub logins {:.0}/s beside {} {:.0}/s (medians); per round {}: median {ratio:.2}× \
             ({judged})",
            median(finhub.iter().copied()),
            anchor.label,
            median(rates.iter().copied()),
            listed(ratios.iter().copied(), 2),
        );
    }

    // The session check beside introspection of an opaque token, one process.
    let token = runtime.block_on(anchors[0].token());
    let introspect = oidc_provider::introspection_script(&token);
    let session_script = format!(
        "wrk.headers[\"Authorization\"] = \"Bearer {}\"\n",
        fixture.session_token
    );
    let session = || {
        support::wrk::run_for(
            &fixture.dir,
            &fixture.base,
            "FinHub GET /v1/auth/session",
            "/v1/auth/session",
            "64",
            Some(&session_script),
            ANCHOR_ROUND_SECS,
        )
        .rate
    };
    let introspection = || {
        support::wrk::run_for(
            &fixture.dir,
            &anchors[0].base,
            "oidc-provider introspection (opaque, 1 process)",
            "/token/introspection",
            "64",
            Some(&introspect),
            ANCHOR_ROUND_SECS,
        )
        .rate
    };
    println!("  warm-up (not measured):");
    session();
    introspection();
    println!("  measured:");
    let (sessions, introspections): (Vec<f64>, Vec<f64>) =
        support::rounds::alternating(ANCHOR_ROUNDS, session, introspection)
            .into_iter()
            .unzip();
    let ratios = ratios(&sessions, &introspections);
    let ratio = median(ratios.iter().copied());
    println!(
        "  FinHub session checks {:.0}/s beside introspection {:.0}/s (medians); per round {}: \
         median {ratio:.2}× (target ≥ 5: {})",
        median(sessions),
        median(introspections),
        listed(ratios.iter().copied(), 2),
        verdict(ratio >= 5.0)
    );
}

/// One wrk round of `label` at `base` + `path`; its requests/s.
fn anchor_round(
    base: &str,
    label: &str,
    path: &str,
    connections: &str,
    script: &str,
    dir: &std::path::Path,
) -> f64 {
    support::wrk::run_for(
        dir,
        base,
        label,
        path,
        connections,
        Some(script),
        ANCHOR_ROUND_SECS,
    )
    .rate
}

/// `values` with `digits` decimals each, comma-separated: a round-by-round figure as printed.
fn listed(values: impl Iterator<Item = f64>, digits: usize) -> String {
    values
        .map(|value| format!("{value:.digits$}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn node_version() -> String {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Password + TOTP logins/s against password-only logins/s (the same client, alternating
/// rounds), then a replayed code against a wrong one.
fn second_factor(runtime: &tokio::runtime::Runtime, fixture: &Arc<Fixture>) {
    // A pilot round (users without a factor) sizes the pools of fresh users, all enrolled
    // before the measured rounds so no round follows a burst of enrolment writes.
    let pilot_users = runtime.block_on(enrol_users(fixture, 0, 600, false));
    let pilot = runtime.block_on(login_round(fixture, &pilot_users)).rate;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small count"
    )]
    let per_round = (1.5 * pilot * ROUND_SECS) as usize + 50;
    let mut next = pilot_users.len();
    let mut pools = Vec::new();
    for _ in 0..ROUND_PAIRS {
        for with_factor in [false, true] {
            pools.push(runtime.block_on(enrol_users(fixture, next, per_round, with_factor)));
            next += per_round;
        }
    }
    let (mut plain, mut coded) = (Vec::new(), Vec::new());
    for pair in pools.chunks(2) {
        plain.push(runtime.block_on(login_round(fixture, &pair[0])));
        coded.push(runtime.block_on(login_round(fixture, &pair[1])));
    }
    // Each pair's ratio (its two rounds ran back to back, so the machine's slower and faster
    // spells mostly cancel), and the median of those.
    let pair_ratios = |of: fn(&Round) -> f64| {
        let figures = |rounds: &[Round]| rounds.iter().map(of).collect::<Vec<_>>();
        let ratios = ratios(&figures(&coded), &figures(&plain));
        (median(ratios.iter().copied()), ratios)
    };
    let (rate_ratio, rate_ratios) = pair_ratios(|round| round.rate);
    let (cpu_ratio, _) = pair_ratios(|round| round.cpu_ms);
    let rates = |rounds: &[Round]| median(rounds.iter().map(|round| round.rate));
    let cpus = |rounds: &[Round]| median(rounds.iter().map(|round| round.cpu_ms));
    println!(
        "password logins/s {:.0}, password + TOTP logins/s {:.0} (medians of {ROUND_PAIRS} \
         alternating pairs of {ROUND_SECS} s rounds, {LOGIN_CONCURRENCY} in flight); TOTP ÷ \
         password per pair {}: median {rate_ratio:.2} (target ≥ 0.95: {})",
        rates(&plain),
        rates(&coded),
        listed(rate_ratios.iter().copied(), 2),
        verdict(rate_ratio >= 0.95)
    );
    println!(
        "  process CPU per login: password {:.2} ms, password + TOTP {:.2} ms (median ratio per \
         pair {cpu_ratio:.2}; other load on a shared machine moves the rates, less this)",
        cpus(&plain),
        cpus(&coded),
    );

    // Replayed vs wrong code, alternating, sequential, one keep-alive connection: each user
    // logs in with its code, then sends it again (a replay) and a wrong one (two failures, far
    // from the back-off).
    let client = reqwest::Client::new();
    let users = runtime.block_on(enrol_users(fixture, next, CODE_TIMING_PAIRS, true));
    let pairs = runtime.block_on(async {
        let mut pairs = Vec::new();
        for (idx, (name, secret)) in users.iter().enumerate() {
            let secret = secret.as_ref().expect("a user with a factor");
            let code = secret.code_at(fixture.clock.now_utc()).expect("code");
            let code = code.expose_secret().to_owned();
            let with = |otp: &str| {
                let mut body = login_body(fixture, name, PASSWORD, "password");
                body["otp"] = serde_json::json!(otp);
                body
            };
            assert_eq!(
                post_login(&client, fixture, &with(&code)).await.status(),
                200
            );
            let other = if code == "000000" { "111111" } else { "000000" };
            let timed = |sent: &str| {
                let body = with(sent);
                let client = &client;
                async move {
                    let started = Instant::now();
                    let response = post_login(client, fixture, &body).await;
                    assert_eq!(response.status(), 401, "a refused code");
                    started.elapsed()
                }
            };
            pairs.push(back_to_back(idx % 2 == 1, timed(&code), timed(other)).await);
        }
        pairs
    });
    report_timing_pairs("replayed-code", "wrong-code", &pairs);
}

/// A wrong password against an unknown user, timed in pairs: a login refused either way must
/// not tell which it was.
fn unknown_user_timing(runtime: &tokio::runtime::Runtime, fixture: &Fixture) {
    // Sequential, one keep-alive connection; which goes first alternates.
    let client = reqwest::Client::new();
    let pairs = runtime.block_on(async {
        let timed = |username: String| {
            let client = &client;
            async move {
                let started = Instant::now();
                let response =
                    login(client, fixture, &username, "wrong password", "password").await;
                assert_eq!(response.status(), 401);
                started.elapsed()
            }
        };
        let mut pairs = Vec::new();
        for round in 0..3 {
            for idx in 1..=TIMING_USERS {
                let (known, unknown) = (format!("user{idx}"), format!("nobody{round}-{idx}"));
                pairs.push(back_to_back(idx % 2 == 1, timed(known), timed(unknown)).await);
            }
        }
        pairs
    });
    report_timing_pairs("wrong-password", "unknown-user", &pairs);
}

/// Runs `first` and `second` one right after the other (`second` first when `swap`, so that
/// neither always goes first) and returns their times in the order given.
async fn back_to_back(
    swap: bool,
    first: impl Future<Output = Duration>,
    second: impl Future<Output = Duration>,
) -> (Duration, Duration) {
    if swap {
        let second = second.await;
        (first.await, second)
    } else {
        let first = first.await;
        (first, second.await)
    }
}

/// Reports two kinds of refused login timed in pairs, one right after the other: the median
/// of each kind, and the verdict on the median of the pairs' ratios. A shared machine's speed
/// jumps between levels for seconds at a time; a pair is timed within one level, where the
/// medians of each kind's samples may each fall in a different one.
fn report_timing_pairs(first: &str, second: &str, pairs: &[(Duration, Duration)]) {
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    let spread = Spread::of(pairs.iter().map(|(a, b)| a.as_secs_f64() / b.as_secs_f64()));
    let ratio = spread.median;
    let diff = (ratio - 1.0).abs();
    println!(
        "median {first} login {:.2} ms, {second} login {:.2} ms; {first} ÷ {second} per pair \
         ({} pairs): median {ratio:.3}, quartiles {:.3}–{:.3}: differ by {:.1} % (target ≤ 5 %: {})",
        median(pairs.iter().map(|pair| ms(pair.0))),
        median(pairs.iter().map(|pair| ms(pair.1))),
        pairs.len(),
        spread.low,
        spread.high,
        diff * 100.0,
        verdict(diff <= 0.05)
    );
}
