//! Asynchronous requests through the hub: the submission's `Location` and the status's links
//! point at the hub, never at FINRA; the result link is the hub's own sealed, short-lived link,
//! fetched without a token; forged or expired links are refused with 403.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Call, Hub, Reply, Tokens, advance, serve_finra};

const WEEKLY: &str = "/data/group/otcMarket/name/weeklySummary";

fn query(is_async: bool) -> Value {
    let mut body = json!({
        "compareFilters": [{"fieldName": "tierIdentifier", "fieldValue": "T2", "compareType": "EQUAL"}],
        "limit": 40,
        "offset": 10,
    });
    if is_async {
        body["async"] = json!(true);
    }
    body
}

/// The path (and query) of one of the hub's own URLs.
#[track_caller]
fn hub_path<'a>(hub: &Hub, url: &'a str) -> &'a str {
    url.strip_prefix(&hub.base)
        .unwrap_or_else(|| panic!("{url} is not under the hub's URL {}", hub.base))
}

/// Submits the async query and returns the status URL from `Location`.
async fn submit(hub: &Hub, tokens: &Tokens) -> String {
    let submitted = hub
        .send(hub.post(WEEKLY, &tokens.session, &query(true)))
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::ACCEPTED,
        "{}",
        submitted.text()
    );
    let location = submitted
        .header("location")
        .expect("a Location header")
        .to_owned();
    let path = hub_path(hub, &location);
    assert!(
        path.starts_with("/v1/finra/async-requests/group/otcMarket/name/weeklySummary/"),
        "{location}"
    );
    assert!(!location.contains(&hub.emulator_addr), "{location}");
    location
}

async fn status(hub: &Hub, tokens: &Tokens, location: &str) -> Reply {
    let call = Call::new(Method::GET, hub_path(hub, location))
        .bearer(&tokens.session)
        .header("accept", "application/json");
    hub.send(call).await
}

#[tokio::test(start_paused = true)]
async fn an_async_request_through_the_hub_yields_a_hub_result_link_usable_without_a_token() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let location = submit(&hub, &tokens).await;

    advance(Duration::from_secs(3)).await;
    let complete = status(&hub, &tokens, &location).await;
    complete.assert_ok();
    let body = complete.json();
    assert_eq!(body["status"], "complete", "{body}");
    let link = body["resultLink"]
        .as_str()
        .expect("a resultLink")
        .to_owned();
    assert!(
        hub_path(&hub, &link).starts_with("/v1/finra/results/"),
        "{link}"
    );
    let text = complete.text();
    assert!(!text.contains(&hub.emulator_addr), "{text}");
    assert!(
        !text.contains("X-Amz-Signature"),
        "FINRA's link stays sealed: {text}"
    );
    assert!(!text.contains("async-results"), "{text}");

    // Fetched without a token: the same rows as the synchronous query.
    let sync = hub
        .send(hub.post(WEEKLY, &tokens.session, &query(false)))
        .await;
    sync.assert_ok();
    let result = hub
        .send(Call::new(Method::GET, hub_path(&hub, &link)))
        .await;
    result.assert_ok();
    assert_eq!(result.header("content-type"), Some("application/json"));
    assert_eq!(result.json(), sync.json());
    assert_eq!(result.json().as_array().map(Vec::len), Some(40));
    // And over a real connection, as a client would.
    let fetched = hub.fetch(&link, None).await;
    fetched.assert_ok();
    assert_eq!(fetched.json(), sync.json());
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn a_pending_async_status_points_back_at_the_hub() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let location = submit(&hub, &tokens).await;
    let pending = status(&hub, &tokens, &location).await;
    assert_eq!(pending.status, StatusCode::ACCEPTED, "{}", pending.text());
    let body = pending.json();
    assert_eq!(body["status"], "pending", "{body}");
    let check = body["checkStatusLink"].as_str().expect("checkStatusLink");
    assert!(
        !pending.text().contains(&hub.emulator_addr),
        "a pending status names FINRA's host: {}",
        pending.text()
    );
    assert_eq!(check, location, "checkStatusLink is the hub's status URL");
}

#[tokio::test(start_paused = true)]
async fn forged_and_expired_result_links_are_refused_403() {
    let hub = Hub::builder()
        .config(|raw| raw.upstream.result_link_ttl_secs = 60)
        .build()
        .await;
    let tokens = hub.login_warm().await;
    let location = submit(&hub, &tokens).await;
    advance(Duration::from_secs(3)).await;
    let complete = status(&hub, &tokens, &location).await;
    complete.assert_ok();
    let link = complete.json()["resultLink"]
        .as_str()
        .expect("a resultLink")
        .to_owned();
    let path = hub_path(&hub, &link).to_owned();
    let segment = path
        .strip_prefix("/v1/finra/results/")
        .expect("a result path")
        .to_owned();
    let results_before = hub.counters().responses_under("/async-results/");

    // Forged: random text, a tampered seal, FINRA's own link shape.
    let mut tampered = segment.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    for forged in [
        "bm90IGEgc2VhbGVkIGxpbms".to_owned(),
        tampered,
        format!("{segment}x"),
        "abc?X-Amz-Signature=0000".to_owned(),
    ] {
        let reply = hub
            .send(Call::new(
                Method::GET,
                &format!("/v1/finra/results/{forged}"),
            ))
            .await;
        reply.assert_error(403, "access_denied");
    }
    assert_eq!(
        hub.counters().responses_under("/async-results/"),
        results_before,
        "forged links never reach FINRA"
    );

    // Valid within its 60 s, refused after.
    hub.send(Call::new(Method::GET, &path)).await.assert_ok();
    advance(Duration::from_secs(61)).await;
    let expired = hub.send(Call::new(Method::GET, &path)).await;
    expired.assert_error(403, "access_denied");
    hub.assert_no_leaks().await;
}

/// The hub's result link is a bearer capability: whoever has it fetches the result without a
/// token while it is valid. Like a token, it must not be written to the log (the access log
/// line of `GET /v1/finra/results/{link}` records the path).
#[tokio::test(start_paused = true)]
async fn a_result_link_is_not_written_to_the_log() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let location = submit(&hub, &tokens).await;
    advance(Duration::from_secs(3)).await;
    let complete = status(&hub, &tokens, &location).await;
    let link = complete.json()["resultLink"]
        .as_str()
        .expect("a resultLink")
        .to_owned();
    let path = hub_path(&hub, &link).to_owned();
    let segment = path
        .strip_prefix("/v1/finra/results/")
        .expect("a result path")
        .to_owned();
    hub.send(Call::new(Method::GET, &path)).await.assert_ok();
    let logs = hub.logs.text();
    assert!(
        !logs.contains(&segment),
        "the access log holds a usable result link: {}",
        logs.lines()
            .find(|line| line.contains(&segment))
            .unwrap_or_default()
    );
}

/// A FINRA that answers every async status with this result link (its token service stays the
/// emulator's). Returns its base URL.
async fn finra_answering_result_link(link_of: fn(&str) -> String) -> String {
    serve_finra(|base| {
        let link = link_of(base);
        axum::Router::new().fallback(move || {
            let link = link.clone();
            async move { axum::Json(json!({"status": "complete", "resultLink": link})) }
        })
    })
    .await
}

/// A result link is sealed only when the URL it resolves to is exactly the one it names; any
/// other is not followed (502), so no sealed link ever points somewhere FINRA did not name.
#[tokio::test(start_paused = true)]
async fn result_links_that_would_be_rewritten_are_not_followed() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let status = "/async-requests/group/otcMarket/name/weeklySummary/abc-1";
    let bad_links: [fn(&str) -> String; 5] = [
        |base| format!("{base}/results/..\\..\\fip\\rest\\ews\\oauth2\\access_token"),
        |base| format!("{base}/results/%2e%2e/%2e%2e/admin"),
        |base| format!("{base}/results/../../admin"),
        |base| base.replace("127.0.0.1", "0x7f.0.0.1") + "/results/1",
        |base| base.replace("http://", "http://user@") + "/results/1",
    ];
    for link_of in bad_links {
        let finra = finra_answering_result_link(link_of).await;
        hub.set_upstream(&finra, &hub.emulator().token_url()).await;
        advance(Duration::from_secs(1)).await;
        let reply = hub.send(hub.get(status, &tokens.session)).await;
        reply.assert_error(502, "upstream_unavailable");
        assert!(!reply.text().contains("results"), "{}", reply.text());
    }
    // A plain link is sealed into the hub's own.
    let finra =
        finra_answering_result_link(|base| format!("{base}/results/1.json?sig=a%2Fb")).await;
    hub.set_upstream(&finra, &hub.emulator().token_url()).await;
    advance(Duration::from_secs(1)).await;
    let reply = hub.send(hub.get(status, &tokens.session)).await;
    reply.assert_ok();
    let link = reply.json()["resultLink"]
        .as_str()
        .expect("a link")
        .to_owned();
    assert!(
        link.starts_with(&format!("{}/v1/finra/results/", hub.base)),
        "{link}"
    );
    hub.assert_no_leaks().await;
}
