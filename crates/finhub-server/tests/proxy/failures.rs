//! FINRA failing: unreachable → 502 `upstream_unavailable`, too slow → 504 `upstream_timeout`,
//! refusing the tenant's stored credential → 502 with FINRA's reason only in the log and the
//! audit, never in the answer.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use finhub_core::audit::{AuditAction, AuditOutcome};
use finra_emulator::{Fault, FaultTarget};

use crate::support::{Hub, TENANT, UPSTREAM_SECRET, advance, settle, until};

const SMALL: &str = "/data/group/otcMarket/name/weeklySummary?limit=1";

#[tokio::test(start_paused = true)]
async fn finra_shut_down_answers_502_upstream_unavailable() {
    let mut hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    hub.shutdown_emulator().await;
    for _ in 0..2 {
        let reply = hub.send(hub.get(SMALL, &tokens.session)).await;
        reply.assert_error(502, "upstream_unavailable");
        assert!(
            !reply.text().contains(&hub.emulator_addr),
            "{}",
            reply.text()
        );
    }
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_upstream_url_answers_502_upstream_unavailable() {
    let hub = Hub::new().await;
    // A port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .expect("bind")
        .local_addr()
        .expect("address");
    let dead = format!("http://{closed}");
    hub.set_upstream(&dead, &format!("{dead}/fip/rest/ews/oauth2/access_token"))
        .await;
    let tokens = hub.login().await;
    settle().await;
    let reply = hub.send(hub.get(SMALL, &tokens.session)).await;
    reply.assert_error(502, "upstream_unavailable");
    assert!(
        !reply.text().contains(&closed.to_string()),
        "{}",
        reply.text()
    );
    assert_eq!(hub.counters().total_responses(), 0);

    // Pointed back at FINRA, the same session works (the client is rebuilt once the hub
    // re-reads the tenant's credential, at most a second later).
    hub.set_upstream(&hub.emulator_base, &hub.emulator().token_url())
        .await;
    tokio::time::advance(std::time::Duration::from_secs(1)).await;
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn finra_too_slow_answers_504_upstream_timeout() {
    let hub = Hub::builder()
        .config(|raw| raw.upstream.timeout_secs = 2)
        .build()
        .await;
    let tokens = hub.login_warm().await;
    hub.faults().fail_next_data_calls(1, Fault::Hang);
    let sender = hub.sender();
    let call = hub.get(SMALL, &tokens.session);
    let pending = tokio::spawn(async move { sender.send(call).await });
    until("the request to reach FINRA and hang", || {
        hub.faults().pending(FaultTarget::DataCalls) == 0
    })
    .await;
    settle().await;
    assert!(!pending.is_finished(), "FINRA has not answered yet");
    advance(Duration::from_millis(1_999)).await;
    settle().await;
    assert!(!pending.is_finished(), "the upstream timeout is 2 s");
    advance(Duration::from_millis(1)).await;
    let reply = pending.await.expect("the request task");
    reply.assert_error(504, "upstream_timeout");
    // FINRA answering again, the next call goes through.
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    hub.assert_no_leaks().await;
}

/// A request whose body has arrived but that the hub cannot finish in time is the hub's side:
/// 503 `server_error` (a body that stopped arriving would be 408, the caller's side).
#[tokio::test(start_paused = true)]
async fn a_request_the_hub_cannot_finish_in_time_answers_503() {
    let hub = Hub::builder()
        .config(|raw| {
            raw.upstream.timeout_secs = 60;
            raw.http.request_timeout_secs = 5;
        })
        .build()
        .await;
    let tokens = hub.login_warm().await;
    hub.faults().fail_next_data_calls(1, Fault::Hang);
    let sender = hub.sender();
    let call = hub.post(
        "/data/group/otcMarket/name/weeklySummary",
        &tokens.session,
        &serde_json::json!({"limit": 1}),
    );
    let pending = tokio::spawn(async move { sender.send(call).await });
    until("the request to reach FINRA and hang", || {
        hub.faults().pending(FaultTarget::DataCalls) == 0
    })
    .await;
    settle().await;
    advance(Duration::from_secs(5)).await;
    let reply = pending.await.expect("the request task");
    reply.assert_error(503, "server_error");
}

#[tokio::test(start_paused = true)]
async fn finra_refusing_the_stored_credential_answers_502_and_audits_the_reason() {
    let hub = Hub::builder()
        .stored_secret("a-secret-finra-does-not-know-Pw3")
        .config(|raw| raw.audit.enabled = Some(true))
        .build()
        .await;
    let tokens = hub.login().await;
    until("the warm-up mint to be refused", || {
        hub.counters().responses_with_status(400) >= 1
    })
    .await;
    settle().await;
    assert_eq!(hub.counters().tokens_minted(), 0);

    let reply = hub.send(hub.get(SMALL, &tokens.session)).await;
    reply.assert_error(502, "upstream_unavailable");
    // FINRA's reason ("Invalid Credentials", code invalid_client) stays out of the answer.
    let text = reply.text();
    for finra_words in ["Invalid Credentials", "invalid_client", "token service"] {
        assert!(!text.contains(finra_words), "{text}");
    }
    let events = hub
        .state
        .admin
        .recent_audit_events(20)
        .await
        .expect("audit");
    let rejected = events
        .iter()
        .find(|e| e.action == AuditAction::UpstreamCredentialRejected)
        .expect("the rejection is audited");
    match &rejected.outcome {
        AuditOutcome::Failure(reason) => {
            assert!(reason.contains("Invalid Credentials"), "{reason}");
        }
        AuditOutcome::Success => panic!("audited as a success"),
    }
    assert_eq!(rejected.tenant.as_deref(), Some(TENANT));
    assert_eq!(
        Some(rejected.request_id.as_str()),
        reply.header("x-request-id")
    );
    assert!(
        hub.logs.text().contains("Invalid Credentials"),
        "the reason is logged"
    );
    let audit_text = rejected.to_json_line();
    assert!(!audit_text.contains(UPSTREAM_SECRET));
    hub.assert_no_leaks().await;
}
