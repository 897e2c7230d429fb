//! A login the hub answered survives the process: `finhub serve` on a SQLite file takes
//! `client_credentials` logins from eight concurrent clients, is killed with SIGKILL in the
//! middle of them, and a new process over the same file accepts every session token that was
//! acknowledged before the kill.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finhub_clock::SystemClock;

use crate::common::paused_time::until;
use crate::common::serve_process::ServeProcess;
use crate::common::test_hub::{TENANT, TestHub};

/// Sessions acknowledged before the kill, at least.
const ACKNOWLEDGED: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_login_acknowledged_before_a_sigkill_survives_the_restart() {
    let dir = std::env::temp_dir().join(format!(
        "finhub-login-kill-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).expect("a directory");
    let database_url = format!("sqlite:{}?mode=rwc", dir.join("hub.db").display());
    let hub = TestHub::builder()
        .at(SystemClock::shared())
        .config(|raw| {
            raw.database_url = database_url.clone();
            // Raised: the test measures durability, not the limiters.
            raw.rate_limits.token_per_address_per_minute = Some(1_000_000);
            raw.rate_limits.token_per_customer_per_minute = Some(1_000_000);
        })
        .build()
        .await;
    let (raw, body) = (hub.raw.clone(), hub.client_body().to_string());
    drop(hub);
    let limits = [
        (
            "FINHUB_RATE_LIMITS__TOKEN_PER_ADDRESS_PER_MINUTE",
            "1000000".to_owned(),
        ),
        (
            "FINHUB_RATE_LIMITS__TOKEN_PER_CUSTOMER_PER_MINUTE",
            "1000000".to_owned(),
        ),
    ];

    let mut serving = ServeProcess::start(&raw, &limits);
    let base = serving.base();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let http = reqwest::Client::new();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (http, base, body) = (http.clone(), base.clone(), body.clone());
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let answer = http
                        .post(format!("{base}/v1/auth/token"))
                        .header("content-type", "application/json")
                        .header("sec-ch-ua-platform", "\"Linux\"")
                        .header("x-forwarded-for", "127.0.0.1")
                        .header("user-agent", "login-kill-test")
                        .header("x-tenant-id", TENANT)
                        .timeout(Duration::from_secs(10))
                        .body(body.clone())
                        .send()
                        .await;
                    let Ok(answer) = answer else { continue };
                    if answer.status() != 200 {
                        continue;
                    }
                    // Acknowledged only once the whole answer has arrived.
                    let Ok(json) = answer.json::<serde_json::Value>().await else {
                        continue;
                    };
                    if let Some(token) = json["userSessionToken"].as_str() {
                        acknowledged.lock().expect("list").push(token.to_owned());
                    }
                }
            })
        })
        .collect();
    until("logins acknowledged", || {
        acknowledged.lock().expect("list").len() >= ACKNOWLEDGED
    })
    .await;
    // Killed while the clients keep logging in.
    serving.kill();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("a client");
    }
    let sessions = acknowledged.lock().expect("list").clone();
    assert!(sessions.len() >= ACKNOWLEDGED);

    let restarted = ServeProcess::start(&raw, &limits);
    for (n, session) in sessions.iter().enumerate() {
        let answer = http
            .get(format!("{}/v1/auth/session", restarted.base()))
            .bearer_auth(session)
            .send()
            .await
            .expect("an answer");
        assert_eq!(
            answer.status(),
            200,
            "acknowledged session {n} of {} after the restart",
            sessions.len()
        );
    }
    drop(restarted);
    let _ = std::fs::remove_dir_all(&dir);
}
