//! The data path in the metrics: a proxied call counts one FINRA answer by its status (with its
//! latency) and one request under the FINRA route's template (never the dataset's path); the
//! login's warm-up counts one token mint; a FINRA 404 passed through counts as FINRA's 404.

use axum::http::{Method, StatusCode};

use crate::support::{Call, Hub};

/// The value of `sample` (name and labels as written) in a scrape, 0 when absent.
fn sample(text: &str, sample: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(hub: &Hub) -> String {
    let reply = hub.send(Call::new(Method::GET, "/metrics")).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.text()
}

#[tokio::test(start_paused = true)]
async fn a_proxied_call_counts_one_upstream_answer_under_its_template() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let before = scrape(&hub).await;
    assert_eq!(
        sample(
            &before,
            "finhub_upstream_token_mints_total{upstream=\"finra\"}"
        ),
        1.0,
        "the login's warm-up minted once"
    );

    let call = hub.get(
        "/data/group/otcMarket/name/weeklySummary?limit=1",
        &tokens.session,
    );
    hub.send(call).await.assert_ok();
    let missing = hub.get("/data/group/otcMarket/name/noSuchDataset", &tokens.session);
    assert_eq!(hub.send(missing).await.status, StatusCode::NOT_FOUND);
    let after = scrape(&hub).await;

    let moved = |name: &str| sample(&after, name) - sample(&before, name);
    assert_eq!(
        moved("finhub_upstream_requests_total{upstream=\"finra\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        moved("finhub_upstream_requests_total{upstream=\"finra\",status=\"404\"}"),
        1.0
    );
    assert_eq!(
        moved("finhub_upstream_request_duration_seconds_count{upstream=\"finra\"}"),
        2.0
    );
    assert_eq!(
        moved(
            "finhub_http_requests_total{route=\"/v1/finra/data/group/{group}/name/{name}\",method=\"GET\",status=\"200\"}"
        ),
        1.0
    );
    assert_eq!(
        moved("finhub_upstream_token_mints_total{upstream=\"finra\"}"),
        0.0
    );
    assert_eq!(moved("finhub_upstream_pacer_wait_seconds_count"), 2.0);
    assert!(!after.contains("weeklySummary") && !after.contains("noSuchDataset"));
}
