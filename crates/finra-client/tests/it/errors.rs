//! Every `FinraError` variant, each produced from a real emulator answer (or, for the
//! client-side ones, from a real configuration), and the retries of 429 and 5xx.

use std::time::Duration;

use finra_client::{
    AsyncOptions, Auth, CompareOp, Credentials, Direction, FinraClient, FinraError, Format, Query,
    RetryPolicy, TokenManager,
};
use finra_emulator::{AsyncTimings, Fault};
use secrecy::ExposeSecret;

use crate::support::*;

fn weekly() -> Query {
    Query::new("otcMarket", "weeklySummary").limit(10)
}

fn firm() -> Query {
    Query::new("firm", "firmProfile").limit(10)
}

#[tokio::test(start_paused = true)]
async fn bad_credentials_carry_finras_reason_and_code() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(Auth::ClientCredentials(Credentials::new(FIRM_ID, "wrong")))
        .build()
        .expect("client");
    let error = client.query_page(&firm()).await.expect_err("refused");
    assert!(
        matches!(&error, FinraError::BadCredentials { reason, code } if reason == "Invalid Credentials" && code == "invalid_client"),
        "{error:?}"
    );
    assert!(!error.is_transient());
}

#[tokio::test(start_paused = true)]
async fn a_grant_type_other_than_client_credentials_is_unsupported() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    // A token URL that already carries a grant_type: the client does not add a second one.
    let client = builder(&emulator, &clock)
        .token_url(format!("{}?grant_type=password", emulator.token_url()))
        .auth(firm_auth())
        .build()
        .expect("client");
    let error = client.query_page(&firm()).await.expect_err("refused");
    assert!(
        matches!(error, FinraError::UnsupportedGrantType),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn unauthorized_after_the_single_re_mint_or_without_a_way_to_re_mint() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(600))).await;

    // A bearer token that has expired: nothing to re-mint.
    let manager = TokenManager::builder(Credentials::new(FIRM_ID, FIRM_SECRET))
        .token_url(emulator.token_url())
        .clock(clock.clone())
        .build()
        .expect("manager");
    let token = manager.token().await.expect("token");
    tokio::time::advance(Duration::from_secs(601)).await;
    let expired = builder(&emulator, &clock)
        .auth(Auth::bearer(token.secret().expose_secret()))
        .build()
        .expect("client");
    let error = expired
        .query_page(&weekly())
        .await
        .expect_err("expired token");
    assert!(
        matches!(error, FinraError::Unauthorized { .. }),
        "{error:?}"
    );

    // Minted tokens: a 401 re-mints once; a second 401 is the caller's.
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    let minted = emulator.counters().tokens_minted();
    emulator
        .faults()
        .fail_next_data_calls(2, Fault::Unauthorized);
    let error = client.query_page(&firm()).await.expect_err("two 401s");
    assert!(
        matches!(error, FinraError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(
        emulator.counters().tokens_minted(),
        minted + 2,
        "first mint, one re-mint"
    );

    // The re-mint itself failing (the token service refuses): its reason reaches the caller.
    emulator
        .faults()
        .fail_next_data_calls(1, Fault::Unauthorized);
    emulator
        .faults()
        .fail_next_token_calls(1, Fault::Unauthorized);
    let error = client
        .query_page(&firm())
        .await
        .expect_err("re-mint refused");
    assert!(
        matches!(&error, FinraError::BadCredentials { reason, .. } if reason == "Unauthorized"),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_public_credential_is_not_entitled_to_firm_data() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = public_client(&emulator, &clock);
    let error = client.query_page(&firm()).await.expect_err("403");
    let FinraError::NotEntitled { message } = &error else {
        panic!("expected NotEntitled, got {error:?}");
    };
    assert_eq!(
        message,
        "basic API credential cannot be used to access FIRMPROFILE dataset"
    );
}

#[tokio::test(start_paused = true)]
async fn unknown_datasets_are_not_found() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    let error = client
        .query_page(&Query::new("otcMarket", "noSuchDataset"))
        .await
        .expect_err("404");
    let FinraError::NotFound { message } = &error else {
        panic!("expected NotFound, got {error:?}");
    };
    assert!(message.contains("noSuchDataset"), "{message}");
    let error = client
        .metadata("otcMarket", "noSuchDataset")
        .await
        .expect_err("404");
    assert!(matches!(error, FinraError::NotFound { .. }), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn bad_requests_carry_finras_message() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    let error = client
        .query_page(&weekly().fields(["tradeReportDate"]))
        .await
        .expect_err("400");
    let FinraError::BadRequest { status, message } = &error else {
        panic!("expected BadRequest, got {error:?}");
    };
    assert_eq!(*status, 400);
    assert_eq!(
        message,
        "The following fields are not available in this dataset: [tradeReportDate]"
    );
    let error = client
        .query_page(&weekly().date_range("weekStartDate", "05/01/2026", "2026-02-01"))
        .await
        .expect_err("400");
    assert!(
        matches!(&error, FinraError::BadRequest { message, .. } if message.starts_with("Invalid date field format")),
        "{error:?}"
    );
    assert_eq!(
        emulator.counters().responses_with_status(400),
        2,
        "400s are not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_queries_are_refused_without_a_network_call() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    let sorted = weekly()
        .compare("weekStartDate", CompareOp::Equal, "2026-01-05")
        .sort("MPID", Direction::Ascending);
    let error = client.query_page(&sorted).await.expect_err("invalid");
    assert!(
        matches!(error, FinraError::InvalidQuery { .. }),
        "{error:?}"
    );
    assert_eq!(emulator.counters().responses_under("/data/"), 0);
}

#[tokio::test(start_paused = true)]
async fn rate_limits_are_retried_after_retry_after_or_surfaced() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let path = data_path("otcMarket", "weeklySummary");

    let no_retry = builder(&emulator, &clock)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    emulator.faults().fail_next_data_calls(
        1,
        Fault::TooManyRequests {
            retry_after: Duration::from_secs(2),
        },
    );
    let error = no_retry.query_page(&weekly()).await.expect_err("429");
    assert!(
        matches!(error, FinraError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(2)),
        "{error:?}"
    );
    assert!(error.is_transient());

    let client = builder(&emulator, &clock).build().expect("client");
    emulator.faults().fail_next_data_calls(
        2,
        Fault::TooManyRequests {
            retry_after: Duration::from_secs(3),
        },
    );
    let started = tokio::time::Instant::now();
    let page = client.query_page(&weekly()).await.expect("retried");
    assert_eq!(page.rows.len(), 10);
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(6),
        "waited Retry-After twice"
    );
    assert_eq!(emulator.counters().responses(&path, 429), 3);
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_with_backoff_or_surfaced() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let no_retry = builder(&emulator, &clock)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    for (fault, status) in [
        (Fault::InternalServerError, 500),
        (Fault::ServiceUnavailable, 503),
    ] {
        emulator.faults().fail_next_data_calls(1, fault);
        let error = no_retry.query_page(&weekly()).await.expect_err("5xx");
        assert!(
            matches!(&error, FinraError::Server { status: s, .. } if *s == status),
            "{error:?}"
        );
    }
    let client = builder(&emulator, &clock).build().expect("client");
    emulator
        .faults()
        .fail_next_data_calls(1, Fault::InternalServerError);
    emulator
        .faults()
        .fail_next_data_calls(2, Fault::ServiceUnavailable);
    let page = client
        .query_page(&weekly())
        .await
        .expect("retried three times");
    assert_eq!(page.rows.len(), 10);
    emulator
        .faults()
        .fail_next_data_calls(4, Fault::ServiceUnavailable);
    let error = client
        .query_page(&weekly())
        .await
        .expect_err("retries exhausted");
    assert!(
        matches!(error, FinraError::Server { status: 503, .. }),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn malformed_bodies_are_decode_errors_with_an_excerpt() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    emulator
        .faults()
        .fail_next_data_calls(1, Fault::MalformedBody);
    let error = client.query_page(&weekly()).await.expect_err("decode");
    let FinraError::Decode { what, excerpt } = &error else {
        panic!("expected Decode, got {error:?}");
    };
    assert!(what.contains("weeklySummary"), "{what}");
    assert!(!excerpt.is_empty());
    emulator
        .faults()
        .fail_next_data_calls(1, Fault::MalformedBody);
    let error = client
        .metadata("otcMarket", "weeklySummary")
        .await
        .expect_err("decode");
    assert!(matches!(error, FinraError::Decode { .. }), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn a_hanging_server_times_out_and_is_retried() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let no_retry = builder(&emulator, &clock)
        .timeout(Duration::from_secs(5))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    emulator.faults().fail_next_data_calls(1, Fault::Hang);
    let started = tokio::time::Instant::now();
    let error = no_retry.query_page(&weekly()).await.expect_err("timeout");
    assert!(matches!(error, FinraError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() >= Duration::from_secs(5));

    let client = builder(&emulator, &clock)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    emulator.faults().fail_next_data_calls(1, Fault::Hang);
    let page = client
        .query_page(&weekly())
        .await
        .expect("retried after the timeout");
    assert_eq!(page.rows.len(), 10);
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = FinraClient::builder()
        .api_base(format!("http://{addr}"))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let error = client.query_page(&weekly()).await.expect_err("refused");
    assert!(matches!(error, FinraError::Transport(_)), "{error:?}");
    assert!(
        !error.to_string().contains(&addr.to_string()),
        "URLs are stripped: {error}"
    );
}

#[tokio::test]
async fn unusable_settings_are_configuration_errors() {
    let error = FinraClient::builder()
        .api_base("ftp://example")
        .build()
        .expect_err("config");
    assert!(matches!(error, FinraError::Config(_)), "{error:?}");
    let error = FinraClient::builder()
        .token_url("::")
        .auth(Auth::ClientCredentials(Credentials::new("a", "b")))
        .build()
        .expect_err("config");
    assert!(matches!(error, FinraError::Config(_)), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn an_expired_result_link_is_an_async_failure() {
    let clock = clock();
    let timings = AsyncTimings {
        ready_after: Duration::from_secs(5),
        min_poll_interval: Duration::from_secs(1),
        result_link_ttl: Duration::from_secs(3_600),
        quota_per_hour: std::num::NonZeroU32::new(20).expect("not zero"),
    };
    let emulator = spawn(config(&clock).with_async_timings(timings)).await;
    let client = public_client(&emulator, &clock);
    let options = AsyncOptions {
        poll_interval: Duration::from_secs(10),
        timeout: Duration::from_secs(600),
    };
    let request = client
        .submit_async(&Query::new("otcMarket", "thresholdList"), Format::Json)
        .await
        .expect("submitted");
    let link = client
        .wait_for_async(&request, &options)
        .await
        .expect("ready");
    tokio::time::advance(Duration::from_secs(3_601)).await;
    let error = client
        .fetch_async_result(&link, Format::Json)
        .await
        .expect_err("expired");
    let FinraError::AsyncFailed { message } = &error else {
        panic!("expected AsyncFailed, got {error:?}");
    };
    assert!(message.contains("AccessDenied"), "{message}");
}
