//! Compressed answers through the hub: a caller's `Accept-Encoding` reaches FINRA and FINRA's
//! gzip body comes back untouched, with its `Content-Encoding` and `Vary`; an async status,
//! which the hub reads to rewrite its links, is asked for uncompressed, and one compressed
//! anyway is refused rather than passed on with FINRA's links in it.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::json;

use crate::support::{Hub, advance, serve_finra};

const PAGE: &str = "/data/group/otcMarket/name/weeklySummary?limit=200&offset=10";

fn inflate(body: &[u8]) -> Vec<u8> {
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut inflated)
        .expect("valid gzip");
    inflated
}

#[tokio::test(start_paused = true)]
async fn a_compressed_page_passes_through_untouched() {
    let hub = Hub::builder().unpaced().build().await;
    let tokens = hub.login_warm().await;
    for accept in ["application/json", "text/plain"] {
        let plain = hub
            .send(hub.get(PAGE, &tokens.session).set("accept", accept))
            .await;
        plain.assert_ok();
        assert_eq!(plain.header("content-encoding"), None, "{accept}");
        assert_eq!(plain.header("vary"), Some("accept-encoding"));
        let call = hub
            .get(PAGE, &tokens.session)
            .set("accept", accept)
            .header("accept-encoding", "gzip, br");
        let compressed = hub.send(call).await;
        assert_eq!(compressed.status, StatusCode::OK);
        assert_eq!(
            compressed.header("content-encoding"),
            Some("gzip"),
            "{accept}"
        );
        assert_eq!(compressed.header("vary"), Some("accept-encoding"));
        assert_eq!(
            compressed.header("content-length"),
            Some(compressed.body.len().to_string().as_str()),
            "FINRA's length of the compressed body"
        );
        assert_eq!(
            compressed.header("content-type"),
            plain.header("content-type")
        );
        assert_eq!(
            compressed.header("record-total"),
            plain.header("record-total")
        );
        assert!(compressed.body.len() * 4 < plain.body.len());
        assert_eq!(inflate(&compressed.body), plain.body, "{accept}");
    }
    // A caller refusing gzip gets the page as it is.
    let call = hub
        .get(PAGE, &tokens.session)
        .header("accept-encoding", "gzip;q=0, identity");
    let refused = hub.send(call).await;
    refused.assert_ok();
    assert_eq!(refused.header("content-encoding"), None);
    hub.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn finra_client_through_the_hub_downloads_compressed_pages() {
    let hub = Hub::builder().unpaced().build().await;
    let tokens = hub.login_warm().await;
    let paging = crate::support::paging(10_000, 500);
    let query = || finra_client::Query::new("otcMarket", "weeklySummary");
    let pages = || {
        hub.counters()
            .responses("/data/group/otcMarket/name/weeklySummary", 200)
    };
    let (pages_before, compressed_before) = (pages(), hub.counters().pages_compressed());
    let via_hub = crate::support::collect_rows(
        hub.client_via_hub(&tokens.session, paging)
            .stream_rows(query()),
    )
    .await;
    let pages_through_hub = pages() - pages_before;
    assert!(pages_through_hub > 1, "{pages_through_hub}");
    assert_eq!(
        hub.counters().pages_compressed() - compressed_before,
        pages_through_hub,
        "every page FINRA sent through the hub was compressed"
    );
    let direct = crate::support::collect_rows(hub.client_direct(paging).stream_rows(query())).await;
    assert!(via_hub.len() > 1_000, "{}", via_hub.len());
    assert_eq!(
        crate::support::multiset(&via_hub),
        crate::support::multiset(&direct)
    );
}

/// A FINRA answering every async status with a complete status naming its own result link,
/// gzip-compressed when the request allows it or, with `always`, whatever it allows. Returns its
/// base URL.
async fn finra_compressing_statuses(always: bool) -> String {
    serve_finra(|base| {
        let status = json!({"status": "complete", "resultLink": format!("{base}/results/1.json")});
        axum::Router::new().fallback(move |request: HeaderMap| {
            let status = status.to_string();
            async move {
                let asked = request
                    .get(header::ACCEPT_ENCODING)
                    .is_some_and(|value| value.as_bytes().windows(4).any(|w| w == b"gzip"));
                let mut headers = HeaderMap::new();
                headers.insert(
                    header::CONTENT_TYPE,
                    "application/json".parse().expect("value"),
                );
                if !(always || asked) {
                    return (headers, status.into_bytes());
                }
                headers.insert(header::CONTENT_ENCODING, "gzip".parse().expect("value"));
                let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
                encoder.write_all(status.as_bytes()).expect("into memory");
                (headers, encoder.finish().expect("into memory"))
            }
        })
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn async_statuses_are_asked_for_uncompressed_and_refused_compressed() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let status = "/async-requests/group/otcMarket/name/weeklySummary/abc-1";
    let status_call = || {
        hub.get(status, &tokens.session)
            .header("accept-encoding", "gzip")
    };

    // The caller's gzip is not passed on: the status comes uncompressed and is rewritten.
    let finra = finra_compressing_statuses(false).await;
    hub.set_upstream(&finra, &hub.emulator().token_url()).await;
    advance(Duration::from_secs(1)).await;
    let reply = hub.send(status_call()).await;
    reply.assert_ok();
    assert_eq!(reply.header("content-encoding"), None);
    let link = reply.json()["resultLink"]
        .as_str()
        .expect("a link")
        .to_owned();
    assert!(
        link.starts_with(&format!("{}/v1/finra/results/", hub.base)),
        "{link}"
    );

    // A FINRA compressing it anyway: refused, and its link goes nowhere.
    let finra = finra_compressing_statuses(true).await;
    hub.set_upstream(&finra, &hub.emulator().token_url()).await;
    advance(Duration::from_secs(1)).await;
    let reply = hub.send(status_call()).await;
    reply.assert_error(502, "upstream_unavailable");
    assert!(!reply.text().contains("results"), "{}", reply.text());
    assert!(!reply.text().contains(&finra), "{}", reply.text());
}
