//! The proxy as `finhub serve` runs it, on serving threads: each thread keeps its own pool of
//! upstream connections, and all of them share the tenant's one FINRA token. Real time: the
//! threads run runtimes of their own.

use axum::http::Method;
use reqwest::StatusCode;

use crate::flow::assert_passed_through;
use crate::support::Hub;

#[tokio::test]
async fn calls_on_many_connections_over_two_threads_pass_through_on_one_upstream_token() {
    let hub = Hub::builder().unpaced().on_serving_threads(2).build().await;
    let tokens = hub.login_warm().await;
    let path = "/data/group/otcMarket/name/weeklySummary?limit=5&offset=2";
    let direct = hub
        .direct(Method::GET, path, "application/json", None, None)
        .await;
    assert_eq!(direct.status, StatusCode::OK, "{}", direct.text());
    let url = format!("{}/v1/finra{path}", hub.base);
    // Sent together, the calls open as many connections, which the kernel spreads over both
    // threads; then again on the kept-alive ones.
    for _ in 0..2 {
        let calls = (0..24).map(|_| hub.fetch(&url, Some(&tokens.session)));
        for through_hub in futures_util::future::join_all(calls).await {
            assert_passed_through(&through_hub, &direct);
        }
    }
    assert_eq!(
        hub.counters().tokens_minted(),
        1,
        "every thread's pool used the token the login warmed"
    );
}
