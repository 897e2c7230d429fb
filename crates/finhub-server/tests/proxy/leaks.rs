//! The upstream credential and token never leave the server: after a session that exercises
//! every kind of answer the proxy gives (data, CSV, FINRA's 400/401/403/404/429/5xx and a
//! malformed body passed through, async links, re-mints, the hub's 401/403/404/502/504), no answer (status, headers, body), no captured
//! log line and no audit entry holds the upstream secret, an upstream token (FINRA's tokens all
//! start with the same fixed header), the Basic credentials the hub mints with, or an
//! `Authorization` header.

use std::time::Duration;

use axum::http::Method;
use finra_emulator::{Fault, FaultTarget};
use serde_json::json;

use crate::support::{Call, Hub, UPSTREAM_TOKEN_PREFIX, advance, settle, until};

const SMALL: &str = "/data/group/otcMarket/name/weeklySummary?limit=2";

#[tokio::test(start_paused = true)]
async fn no_answer_log_or_audit_entry_holds_the_upstream_token_or_secret() {
    let mut hub = Hub::builder()
        .scope("finra:otcMarket finra:fixedIncomeMarket finra:firm")
        .config(|raw| {
            raw.audit.enabled = Some(true);
            raw.upstream.timeout_secs = 2;
            raw.sessions.access_token_ttl_secs = Some(600);
        })
        .build()
        .await;
    let tokens = hub.login_warm().await;
    let session = tokens.session.as_str();

    // Data, JSON and CSV; the catalogue; FINRA's own 400, 403 and 404.
    hub.send(hub.get(SMALL, session)).await.assert_ok();
    hub.send(hub.get(SMALL, session).set("accept", "text/plain"))
        .await
        .assert_ok();
    for path in [
        "/datasets",
        "/metadata/group/otcMarket/name/weeklySummary",
        "/partitions/group/otcMarket/name/weeklySummary",
        "/data/group/firm/name/firmProfile?limit=1",
        "/data/group/otcMarket/name/noSuchDataset",
        "/data/group/otcMarket/name/weeklySummary?limit=abc",
    ] {
        hub.send(hub.get(path, session)).await;
    }
    // FINRA's 401 (twice: one re-mint, then passed through), 429, 500, 503, a malformed body.
    for fault in [
        Fault::Unauthorized,
        Fault::Unauthorized,
        Fault::TooManyRequests {
            retry_after: Duration::from_secs(3),
        },
        Fault::InternalServerError,
        Fault::ServiceUnavailable,
        Fault::MalformedBody,
    ] {
        hub.faults().fail_next_data_calls(1, fault);
    }
    for _ in 0..5 {
        hub.send(hub.get(SMALL, session)).await;
    }
    // An async request, its status and its result.
    let submitted = hub
        .send(hub.post(
            "/data/group/otcMarket/name/weeklySummary",
            session,
            &json!({"async": true, "limit": 5}),
        ))
        .await;
    let location = submitted.header("location").expect("Location").to_owned();
    let status_path = location
        .strip_prefix(&format!("{}/v1/finra", hub.base))
        .expect("a hub URL")
        .to_owned();
    hub.send(hub.get(&status_path, session)).await;
    advance(Duration::from_secs(3)).await;
    let complete = hub.send(hub.get(&status_path, session)).await;
    let link = complete.json()["resultLink"]
        .as_str()
        .expect("resultLink")
        .to_owned();
    hub.fetch(&link, None).await.assert_ok();
    // The hub's own refusals.
    hub.send(Call::new(Method::GET, "/v1/finra/admin").bearer(session))
        .await;
    hub.send(hub.get(SMALL, "not-a-token")).await;
    hub.send(hub.get("/data/group/registration/name/x", session))
        .await;
    // FINRA too slow (504), a token mint refused, FINRA down (502).
    hub.faults().fail_next_data_calls(1, Fault::Hang);
    let sender = hub.sender();
    let call = hub.get(SMALL, session);
    let hanging = tokio::spawn(async move { sender.send(call).await });
    until("the hanging call to reach FINRA", || {
        hub.faults().pending(FaultTarget::DataCalls) == 0
    })
    .await;
    settle().await;
    advance(Duration::from_secs(2)).await;
    hanging
        .await
        .expect("the hanging call")
        .assert_error(504, "upstream_timeout");
    // The hub's current token, exactly, must appear nowhere either.
    let current = hub
        .current_upstream_token()
        .await
        .expect("the hub holds a fresh token");
    assert!(current.contains(UPSTREAM_TOKEN_PREFIX));
    hub.faults().fail_next_token_calls(1, Fault::Unauthorized);
    hub.faults().fail_next_data_calls(1, Fault::Unauthorized);
    hub.send(hub.get(SMALL, session)).await;
    hub.shutdown_emulator().await;
    hub.send(hub.get(SMALL, session))
        .await
        .assert_error(502, "upstream_unavailable");
    // The session's access token expired.
    advance(Duration::from_secs(601)).await;
    hub.send(hub.get(SMALL, session))
        .await
        .assert_error(401, "invalid_token");

    let everything = format!(
        "{}\n{}\n{:?}",
        hub.answers(),
        hub.logs.text(),
        hub.state
            .admin
            .recent_audit_events(1_000)
            .await
            .expect("audit")
    );
    assert!(!everything.contains(&current), "the upstream token leaked");
    assert!(
        hub.answers().matches("x-request-id").count() >= 25,
        "the search covers every answer"
    );
    assert!(hub.logs.text().contains("upstream"), "and the logs");
    hub.assert_no_leaks().await;
}

/// The hub's own secrets pasted where a path or query belongs — as a whole path, as a group,
/// as a dataset name, as an id, as a query value — never reach a log line: the request line
/// names the route's template, a path no route takes is logged by its length, and a query
/// string is never logged.
#[tokio::test(start_paused = true)]
async fn tokens_pasted_into_paths_and_queries_are_never_logged() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let secrets = [
        ("a session token", tokens.session.clone()),
        ("a refresh token", tokens.refresh.clone()),
        ("a customer secret", hub.customer_secret.clone()),
        // Letters and digits only, so a valid group or name: the group of a refused call and
        // the ids and query of a forwarded one are still not logged.
        (
            "an alphanumeric secret",
            "Zq7Xk2Lm9Np4Rt6Vb8Wc1Yd3".to_owned(),
        ),
    ];
    for (_, secret) in &secrets {
        let placements = [
            format!("/{secret}"),
            format!("/data/{secret}"),
            format!("/data/group/{secret}/name/weeklySummary"),
            format!("/data/group/otcMarket/name/{secret}x.y"),
            format!("/data/group/otcMarket/name/weeklySummary/id/{secret}"),
            format!("/async-requests/group/otcMarket/name/weeklySummary/{secret}"),
            format!("/data/group/otcMarket/name/weeklySummary?limit=1&token={secret}"),
            format!("/datasets?{secret}"),
        ];
        for placement in placements {
            // With the session and without one (401 before anything else is looked at).
            hub.send(hub.get(&placement, &tokens.session)).await;
            hub.send(Call::new(Method::GET, &format!("/v1/finra{placement}")))
                .await;
        }
        hub.send(Call::new(Method::GET, &format!("/v1/auth/{secret}")))
            .await;
        hub.send(Call::new(
            Method::GET,
            &format!("/v1/finra/results/{secret}"),
        ))
        .await;
    }
    let logs = hub.logs.text();
    for (what, secret) in &secrets {
        assert!(!logs.contains(secret.as_str()), "the logs hold {what}");
    }
    // What the request lines say instead.
    assert!(logs.contains("http.route=\"/v1/finra/data/group/{group}/name/{name}\""));
    assert!(logs.contains("http.route=\"(unmatched path)\""));
    assert!(logs.contains("http.path_bytes="));
    assert!(logs.contains("finra.group=\"otcMarket\""));
    hub.assert_no_leaks().await;
}
