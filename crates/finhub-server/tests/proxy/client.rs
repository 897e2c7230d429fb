//! Any FINRA client whose base URL can be set works through the hub unchanged, with the session
//! token as its Bearer token: finra-client pointed at `{hub}/v1/finra` against the same client
//! pointed straight at the emulator — catalogue, single pages, CSV downloads, async requests —
//! and its errors when the session is refused.

use std::time::Duration;

use bytes::Bytes;
use finra_client::{CompareOp, FinraError, Format, Query};
use futures_util::TryStreamExt;

use crate::support::{Hub, advance, paging, settle};

#[tokio::test(start_paused = true)]
async fn finra_client_pointed_at_the_hub_sees_what_it_sees_at_finra() {
    let hub = Hub::builder()
        .unpaced()
        .emulator(|emulator| emulator.with_max_offset(1_000))
        .build()
        .await;
    let tokens = hub.login_warm().await;
    let via_hub = hub.client_via_hub(&tokens.session, paging(1_000, 400));
    let direct = hub.client_direct(paging(1_000, 400));

    assert_eq!(
        via_hub.datasets().await.expect("datasets via the hub"),
        direct.datasets().await.expect("datasets")
    );
    assert_eq!(
        via_hub
            .metadata("otcMarket", "weeklySummary")
            .await
            .expect("metadata via the hub"),
        direct
            .metadata("otcMarket", "weeklySummary")
            .await
            .expect("metadata")
    );
    let partitions = via_hub
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions via the hub");
    assert_eq!(
        partitions,
        direct
            .partitions("otcMarket", "weeklySummary")
            .await
            .expect("partitions")
    );

    let newest = &partitions.available_partitions[0].partitions;
    let query = Query::new("otcMarket", "weeklySummary")
        .compare("weekStartDate", CompareOp::Equal, &newest[0])
        .compare("tierIdentifier", CompareOp::Equal, &newest[1])
        .limit(50);
    let page = via_hub
        .query_page(&query)
        .await
        .expect("a page via the hub");
    let expected = direct.query_page(&query).await.expect("a page");
    assert_eq!(page.rows, expected.rows);
    assert_eq!(page.info.record_total, expected.info.record_total);

    // A CSV download of the whole dataset, paged and sliced by partition: the same text.
    let weekly = Query::new("otcMarket", "weeklySummary");
    let csv_via_hub: Vec<Bytes> = via_hub
        .stream_csv(weekly.clone())
        .try_collect()
        .await
        .expect("CSV via the hub");
    let csv_direct: Vec<Bytes> = direct.stream_csv(weekly).try_collect().await.expect("CSV");
    let mut lines_via_hub: Vec<&[u8]> = csv_via_hub
        .iter()
        .flat_map(|chunk| chunk.split(|b| *b == b'\n'))
        .filter(|line| !line.is_empty())
        .collect();
    let mut lines_direct: Vec<&[u8]> = csv_direct
        .iter()
        .flat_map(|chunk| chunk.split(|b| *b == b'\n'))
        .filter(|line| !line.is_empty())
        .collect();
    assert!(lines_via_hub.len() > 2_000, "{}", lines_via_hub.len());
    lines_via_hub.sort_unstable();
    lines_direct.sort_unstable();
    assert_eq!(lines_via_hub, lines_direct);
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn finra_client_runs_an_async_request_through_the_hub() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let via_hub = hub.client_via_hub(&tokens.session, paging(500_000, 5_000));
    let query = Query::new("otcMarket", "weeklySummary")
        .compare("tierIdentifier", CompareOp::Equal, "T1")
        .limit(30);
    let request = via_hub
        .submit_async(&query, Format::Json)
        .await
        .expect("submitted through the hub");
    assert!(
        request.status_url().as_str().starts_with(&hub.base),
        "{}",
        request.status_url()
    );
    advance(Duration::from_secs(3)).await;
    let link = match via_hub.async_status(&request).await.expect("a status") {
        finra_client::AsyncStatus::Complete(link) => link,
        other => panic!("not complete: {other:?}"),
    };
    assert!(
        link.url()
            .as_str()
            .starts_with(&format!("{}/v1/finra/results/", hub.base)),
        "the result link is the hub's"
    );
    let result = via_hub
        .fetch_async_result(&link, Format::Json)
        .await
        .expect("the result through the hub");
    let sync = via_hub
        .query_page(&query)
        .await
        .expect("the same query, sync");
    assert_eq!(result.rows().expect("rows"), sync.rows);
    assert_eq!(sync.rows.len(), 30);
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn finra_client_with_an_expired_session_gets_a_401_it_can_explain() {
    let hub = Hub::builder()
        .config(|raw| raw.sessions.access_token_ttl_secs = Some(60))
        .build()
        .await;
    let tokens = hub.login_warm().await;
    let via_hub = hub.client_via_hub(&tokens.session, paging(500_000, 5_000));
    let query = Query::new("otcMarket", "weeklySummary").limit(1);
    via_hub.query_page(&query).await.expect("a page");
    advance(Duration::from_secs(61)).await;
    settle().await;
    let error = via_hub.query_page(&query).await.expect_err("expired");
    assert!(
        matches!(error, FinraError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("access token has expired"),
        "{error}"
    );
    hub.assert_no_leaks().await;
}
