//! Authentication: how tokens are minted, refreshed, shared and re-minted; anonymous and
//! bearer-token modes; what each of the notebook's token-request variants gets.

use std::time::Duration;

use base64::Engine;
use finra_client::{Auth, Credentials, FinraError, Query, TokenManager};
use finra_emulator::TOKEN_PATH;
use secrecy::ExposeSecret;

use crate::support::*;

fn firm_query() -> Query {
    Query::new("firm", "firmProfile").limit(5)
}

#[tokio::test(start_paused = true)]
async fn one_token_call_with_basic_auth_and_grant_type_in_the_query_string_succeeds() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");

    // An entitled dataset answers only with a valid token: this proves the token works.
    let page = client.query_page(&firm_query()).await.expect("firm data");
    assert_eq!(page.rows.len(), 5);
    client
        .query_page(&firm_query())
        .await
        .expect("again, same token");

    let counters = emulator.counters();
    assert_eq!(counters.tokens_minted(), 1);
    assert_eq!(
        counters.responses(TOKEN_PATH, 200),
        1,
        "exactly one token call, and it succeeded"
    );
    assert_eq!(counters.responses(TOKEN_PATH, 400), 0);
}

#[tokio::test(start_paused = true)]
async fn expires_in_sent_as_a_string_sets_the_token_lifetime() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(7_200))).await;
    let manager = TokenManager::builder(Credentials::new(PUBLIC_ID, PUBLIC_SECRET))
        .token_url(emulator.token_url())
        .clock(clock.clone())
        .build()
        .expect("manager");
    let token = manager.token().await.expect("token");
    assert_eq!(token.lifetime(), Duration::from_secs(7_200));
    assert_eq!(token.token_type(), Some("bearer"));
    assert_eq!(
        token.expires_at_utc() - clock.now_utc(),
        time::Duration::seconds(7_200)
    );
    assert!(token.secret().expose_secret().starts_with('*'));
    let preview = token.preview();
    assert!(preview.len() < 40 && !preview.contains(&token.secret().expose_secret()[8..40]));
}

#[tokio::test(start_paused = true)]
async fn wrong_or_empty_credentials_give_finras_reason() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    for (id, secret) in [
        (PUBLIC_ID, "wrong-secret"),
        ("unknown-client", PUBLIC_SECRET),
        // What the notebook sent when its .env file was not loaded.
        ("None", "None"),
    ] {
        let client = builder(&emulator, &clock)
            .auth(Auth::ClientCredentials(Credentials::new(id, secret)))
            .build()
            .expect("client");
        let error = client.query_page(&firm_query()).await.expect_err("refused");
        match &error {
            FinraError::BadCredentials { reason, code } => {
                assert_eq!(reason, "Invalid Credentials");
                assert_eq!(code, "invalid_client");
            }
            other => panic!("{id}: expected BadCredentials, got {other:?}"),
        }
        assert!(!format!("{error} {error:?}").contains(secret) || secret == "None");
    }
    assert_eq!(emulator.counters().tokens_minted(), 0);
    assert_eq!(
        emulator.counters().responses(TOKEN_PATH, 400),
        3,
        "bad credentials are not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn each_notebook_variant_gets_what_finra_answers() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let http = reqwest::Client::new();
    let url = emulator.token_url();
    let with_grant = format!("{url}?grant_type=client_credentials");
    let form = [("grant_type", "client_credentials")];
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{PUBLIC_ID}:{PUBLIC_SECRET}"));

    let variants = [
        (
            "A: Basic + grant_type in the form body",
            http.post(&url)
                .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET))
                .form(&form),
        ),
        (
            "B: Basic + grant_type in the query, empty body",
            http.post(&with_grant)
                .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET)),
        ),
        (
            "C: hand-built Basic header + form body",
            http.post(&url)
                .header("Authorization", format!("Basic {encoded}"))
                .form(&form),
        ),
        (
            "D: X-API-KEY/X-API-SECRET headers",
            http.post(&url)
                .header("X-API-KEY", PUBLIC_ID)
                .header("X-API-SECRET", PUBLIC_SECRET)
                .form(&form),
        ),
        (
            "E: Basic None:None",
            http.post(&with_grant).basic_auth("None", Some("None")),
        ),
        (
            "F: grant_type in the query and the body",
            http.post(&with_grant)
                .basic_auth(PUBLIC_ID, Some(PUBLIC_SECRET))
                .form(&form),
        ),
    ];
    let mut answers = Vec::new();
    for (name, request) in variants {
        let response = request.send().await.expect("answer");
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.expect("json body");
        answers.push((name, status, body));
    }
    for (name, status, body) in &answers[..3] {
        assert_eq!(*status, 200, "{name}");
        assert!(
            body["access_token"]
                .as_str()
                .is_some_and(|t| t.starts_with('*')),
            "{name}"
        );
        assert!(
            body["expires_in"].is_string(),
            "{name}: expires_in is a string"
        );
    }
    let expect = |idx: usize, body: serde_json::Value| {
        assert_eq!(answers[idx].1, 400, "{}", answers[idx].0);
        assert_eq!(answers[idx].2, body, "{}", answers[idx].0);
    };
    expect(
        3,
        serde_json::json!({"error_message": "Client credentials is required", "error": "invalid_client"}),
    );
    expect(
        4,
        serde_json::json!({"error_message": "Invalid Credentials", "error": "invalid_client"}),
    );
    expect(5, serde_json::json!({"error": "unsupported_grant_type"}));
}

#[tokio::test(start_paused = true)]
async fn a_hundred_tasks_at_token_expiry_cause_exactly_one_mint() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(600))).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    client.query_page(&firm_query()).await.expect("first call");
    assert_eq!(emulator.counters().tokens_minted(), 1);

    tokio::time::advance(Duration::from_secs(601)).await;
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.query_page(&firm_query()).await })
        })
        .collect();
    for task in tasks {
        let page = task.await.expect("task").expect("page");
        assert_eq!(page.rows.len(), 5);
    }
    assert_eq!(
        emulator.counters().tokens_minted(),
        2,
        "one mint for all 100 tasks"
    );
    assert_eq!(
        emulator.counters().responses_with_status(401),
        0,
        "no expired token was sent"
    );
}

#[tokio::test(start_paused = true)]
async fn tokens_are_refreshed_within_the_margin_before_they_expire() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(600))).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    client.query_page(&firm_query()).await.expect("first call");
    // Margin: min(10 % of 600 s, 5 min) = 60 s.
    tokio::time::advance(Duration::from_secs(539)).await;
    client.query_page(&firm_query()).await.expect("still fresh");
    assert_eq!(emulator.counters().tokens_minted(), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    client.query_page(&firm_query()).await.expect("refreshed");
    assert_eq!(
        emulator.counters().tokens_minted(),
        2,
        "refreshed 59 s before expiry"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_keeps_using_the_still_valid_token() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(600))).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    client.query_page(&firm_query()).await.expect("first call");
    tokio::time::advance(Duration::from_secs(570)).await;
    emulator
        .faults()
        .fail_next_token_calls(4, finra_emulator::Fault::ServiceUnavailable);
    client
        .query_page(&firm_query())
        .await
        .expect("old token still valid");
    assert_eq!(
        emulator.counters().responses(TOKEN_PATH, 503),
        4,
        "first try and three retries"
    );
    assert_eq!(emulator.counters().tokens_minted(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_transient_token_failure_is_retried() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    emulator
        .faults()
        .fail_next_token_calls(2, finra_emulator::Fault::InternalServerError);
    client
        .query_page(&firm_query())
        .await
        .expect("third token call works");
    assert_eq!(emulator.counters().responses(TOKEN_PATH, 500), 2);
    assert_eq!(emulator.counters().tokens_minted(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_single_401_re_mints_once_and_succeeds() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    client.query_page(&firm_query()).await.expect("first call");
    emulator
        .faults()
        .fail_next_data_calls(1, finra_emulator::Fault::Unauthorized);
    let page = client.query_page(&firm_query()).await.expect("re-minted");
    assert_eq!(page.rows.len(), 5);
    assert_eq!(emulator.counters().tokens_minted(), 2);
    assert_eq!(
        emulator
            .counters()
            .responses(&data_path("firm", "firmProfile"), 401),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn anonymous_mode_reads_public_datasets_and_mints_nothing() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .build()
        .expect("anonymous by default");
    assert!(client.is_anonymous());
    let page = client
        .query_page(&Query::new("otcMarket", "weeklySummary").limit(10))
        .await
        .expect("public data");
    assert_eq!(page.rows.len(), 10);
    let error = client
        .query_page(&firm_query())
        .await
        .expect_err("entitled data");
    assert!(
        matches!(error, FinraError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(emulator.counters().tokens_minted(), 0);
    assert_eq!(emulator.counters().responses_under(TOKEN_PATH), 0);
}

#[tokio::test(start_paused = true)]
async fn bearer_token_mode_sends_the_given_token_and_never_mints() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let manager = TokenManager::builder(Credentials::new(FIRM_ID, FIRM_SECRET))
        .token_url(emulator.token_url())
        .clock(clock.clone())
        .build()
        .expect("manager");
    let token = manager.token().await.expect("token");
    let client = builder(&emulator, &clock)
        .auth(Auth::bearer(token.secret().expose_secret()))
        .build()
        .expect("client");
    // firmProfile answers only to a valid firm token: the given one was sent.
    let page = client
        .query_page(&firm_query())
        .await
        .expect("entitled data");
    assert_eq!(page.rows.len(), 5);
    assert_eq!(
        emulator.counters().tokens_minted(),
        1,
        "only the manager minted"
    );

    let garbage = builder(&emulator, &clock)
        .auth(Auth::bearer("not-a-token"))
        .build()
        .expect("client");
    let error = garbage
        .query_page(&firm_query())
        .await
        .expect_err("refused");
    assert!(
        matches!(error, FinraError::Unauthorized { .. }),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn one_token_manager_can_serve_several_clients() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let manager = TokenManager::builder(Credentials::new(FIRM_ID, FIRM_SECRET))
        .token_url(emulator.token_url())
        .clock(clock.clone())
        .build()
        .expect("manager");
    let first = builder(&emulator, &clock)
        .token_manager(manager.clone())
        .build()
        .expect("client");
    let second = builder(&emulator, &clock)
        .token_manager(manager)
        .build()
        .expect("client");
    first.query_page(&firm_query()).await.expect("first client");
    second
        .query_page(&firm_query())
        .await
        .expect("second client");
    assert_eq!(emulator.counters().tokens_minted(), 1);
}

#[tokio::test(start_paused = true)]
async fn secrets_never_appear_in_debug_or_display() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    client.query_page(&firm_query()).await.expect("minted");
    let token = client
        .token_manager()
        .expect("managed")
        .token()
        .await
        .expect("cached token");
    let token_text = token.secret().expose_secret().to_owned();
    // The first 40 characters are FINRA's fixed header; the rest is the secret part.
    let secret_part = &token_text[40..80];

    let mut shown = vec![
        format!("{client:?}"),
        format!("{token:?}"),
        format!("{:?}", client.token_manager()),
        format!("{:?}", firm_auth()),
        format!("{:?}", Auth::bearer(token_text.clone())),
    ];
    // Errors: bad credentials, a bearer token refused, a malformed token response.
    let wrong = builder(&emulator, &clock)
        .auth(Auth::ClientCredentials(Credentials::new(
            FIRM_ID,
            "a-wrong-secret",
        )))
        .build()
        .expect("client");
    let error = wrong
        .query_page(&firm_query())
        .await
        .expect_err("bad credentials");
    shown.push(format!("{error} {error:?}"));
    tokio::time::advance(Duration::from_secs(43_200)).await;
    let expired = builder(&emulator, &clock)
        .auth(Auth::bearer(token_text.clone()))
        .build()
        .expect("client");
    let error = expired
        .query_page(&firm_query())
        .await
        .expect_err("expired token");
    assert!(
        matches!(error, FinraError::Unauthorized { .. }),
        "{error:?}"
    );
    shown.push(format!("{error} {error:?}"));
    emulator
        .faults()
        .fail_next_token_calls(1, finra_emulator::Fault::MalformedBody);
    let fresh = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    let error = fresh
        .query_page(&firm_query())
        .await
        .expect_err("malformed token body");
    assert!(matches!(error, FinraError::Decode { .. }), "{error:?}");
    assert!(!format!("{error}").contains("*truncated"), "{error}");
    shown.push(format!("{error} {error:?}"));

    for text in shown {
        assert!(!text.contains(FIRM_SECRET), "client secret leaked: {text}");
        assert!(
            !text.contains("a-wrong-secret"),
            "client secret leaked: {text}"
        );
        assert!(!text.contains(secret_part), "token leaked: {text}");
    }
}
