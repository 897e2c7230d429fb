//! Paging against a scripted server that does what the small emulator cannot: cut every page
//! short (as FINRA's 3 MB cap does with wide rows), clamp limits to `Record-Max-Limit`, and
//! change `Record-Total` in the middle of a download.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::routing::{get, post};
use finra_client::{FinraClient, FinraError, Pacer, PagingConfig, Query, RetryPolicy};
use futures_util::TryStreamExt;

/// The scripted dataset `test/numbers`: rows `{"id": i, "label": "row i"}`, no partitions.
#[derive(Clone)]
struct Script {
    rows: u64,
    /// Most rows a page holds, whatever the limit (the 3 MB cap).
    fits_in_a_page: u64,
    /// After this many data requests, `Record-Total` grows by one.
    grow_after: Option<usize>,
    /// (offset, limit) of every data request.
    requests: Arc<Mutex<Vec<(u64, u64)>>>,
}

async fn metadata() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "datasetGroup": "TEST", "datasetName": "NUMBERS", "partitionFields": [],
        "fields": [{"name": "id", "type": "Number"}, {"name": "label", "type": "String"}],
    }))
}

async fn data(State(script): State<Script>, body: axum::body::Bytes) -> (HeaderMap, String) {
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let offset = request["offset"].as_u64().unwrap_or(0);
    let limit = request["limit"].as_u64().unwrap_or(1_000);
    let n_before = {
        let mut requests = script
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        requests.push((offset, limit));
        requests.len()
    };
    let total = match script.grow_after {
        Some(after) if n_before > after => script.rows + 1,
        _ => script.rows,
    };
    let applied = limit.min(5_000);
    let end = total.min(offset + applied.min(script.fits_in_a_page));
    let rows: Vec<serde_json::Value> = (offset..end)
        .map(|id| serde_json::json!({"id": id, "label": format!("row {id}")}))
        .collect();
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("record-total", total),
        ("record-offset", offset),
        ("record-limit", applied),
        ("record-max-limit", 5_000),
        ("total-records-on-page", rows.len() as u64),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (headers, serde_json::Value::Array(rows).to_string())
}

async fn serve(script: Script) -> String {
    let app = axum::Router::new()
        .route("/metadata/group/test/name/numbers", get(metadata))
        .route("/data/group/test/name/numbers", post(data))
        .with_state(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn script(rows: u64, fits_in_a_page: u64, grow_after: Option<usize>) -> Script {
    Script {
        rows,
        fits_in_a_page,
        grow_after,
        requests: Arc::new(Mutex::new(Vec::new())),
    }
}

fn client(base: &str, page_size: u64, concurrency: usize) -> FinraClient {
    FinraClient::builder()
        .api_base(base)
        .pacer(Pacer::unlimited())
        .retry(RetryPolicy::none())
        .paging(PagingConfig {
            page_size,
            concurrency,
            ..PagingConfig::default()
        })
        .build()
        .expect("client")
}

async fn ids(client: &FinraClient) -> Result<Vec<u64>, FinraError> {
    let rows: Vec<finra_client::Row> = client
        .stream_rows(Query::new("test", "numbers"))
        .try_collect()
        .await?;
    Ok(rows.iter().filter_map(|r| r["id"].as_u64()).collect())
}

/// The offsets the requests covered, given what each answered.
fn covered(requests: &[(u64, u64)], script: &Script) -> Vec<u64> {
    let mut covered: Vec<u64> = requests
        .iter()
        .flat_map(|&(offset, limit)| {
            let end = script
                .rows
                .min(offset + limit.min(5_000).min(script.fits_in_a_page));
            offset..end
        })
        .collect();
    covered.sort_unstable();
    covered
}

#[tokio::test(start_paused = true)]
async fn pages_cut_short_are_continued_where_they_end_and_later_pages_shrink() {
    let script = script(1_000, 37, None);
    let base = serve(script.clone()).await;
    let client = client(&base, 100, 3);
    assert_eq!(
        ids(&client).await.expect("rows"),
        (0..1_000).collect::<Vec<_>>()
    );

    let requests = script.requests.lock().expect("lock").clone();
    assert_eq!(
        covered(&requests, &script),
        (0..1_000).collect::<Vec<_>>(),
        "no offset twice or skipped"
    );
    // Once a cut page is seen, requests ask for what fits.
    let late = &requests[requests.len() / 2..];
    assert!(late.iter().all(|&(_, limit)| limit <= 37), "{late:?}");
}

#[tokio::test(start_paused = true)]
async fn limits_clamped_to_record_max_limit_are_followed() {
    let script = script(12_345, u64::MAX, None);
    let base = serve(script.clone()).await;
    let client = client(&base, 8_000, 2);
    assert_eq!(
        ids(&client).await.expect("rows"),
        (0..12_345).collect::<Vec<_>>()
    );
    let requests = script.requests.lock().expect("lock").clone();
    assert_eq!(covered(&requests, &script), (0..12_345).collect::<Vec<_>>());
    assert_eq!(requests.last().map(|r| r.1), Some(12_345 - 10_000));
}

#[tokio::test(start_paused = true)]
async fn a_record_total_that_changes_mid_download_is_reported_not_papered_over() {
    let script = script(500, 40, Some(3));
    let base = serve(script).await;
    let client = client(&base, 50, 1);
    let error = ids(&client).await.expect_err("inconsistent");
    assert!(
        matches!(error, FinraError::Inconsistent { .. }),
        "{error:?}"
    );
}
