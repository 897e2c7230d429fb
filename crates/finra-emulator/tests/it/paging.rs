//! Paging: limit default and clamp, the paging headers on every 200, offsets, paging a partition
//! by `Record-Total`, the offset cap, empty results and the 3 MB payload cap.

use finra_emulator::{EmptyResult, Scale};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

use crate::support::{
    Harness, OTC, PAGING_HEADERS, WEEKLY, api_error, config, header_str, header_u64, multiset,
    start, start_default, weekly_partition_body,
};

const THREE_MIB: usize = 3 * 1024 * 1024;

fn assert_paging_headers(headers: &HeaderMap, offset: u64, limit: u64) {
    for name in PAGING_HEADERS {
        assert!(
            headers.contains_key(name),
            "{name} missing from {headers:?}"
        );
    }
    assert_eq!(header_u64(headers, "Record-Offset"), offset);
    assert_eq!(header_u64(headers, "Record-Limit"), limit);
    assert_eq!(header_u64(headers, "Record-Max-Limit"), 5_000);
    assert_eq!(header_str(headers, "Response-Payload-Max-Size"), "3mb");
    let on_page = header_u64(headers, "Total-Records-On-Page");
    assert!(on_page <= limit);
    assert!(header_u64(headers, "Record-Total") >= offset + on_page);
    let id = header_str(headers, "FINRA-api-request-id");
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "request id is a UUID: {id}"
    );
}

#[tokio::test]
async fn limit_defaults_to_1000_and_is_clamped_to_5000() {
    let h = start_default().await;
    let page = h.page(OTC, WEEKLY, &json!({})).await;
    let total = header_u64(&page.headers, "Record-Total");
    assert!(
        total > 5_000,
        "precondition: weeklySummary has over 5000 rows ({total})"
    );
    assert_paging_headers(&page.headers, 0, 1_000);
    assert_eq!(page.rows.len(), 1_000);

    for limit in [json!(5_001), json!(99_999), json!("123456789")] {
        let body = json!({"limit": limit, "fields": ["weekStartDate"]});
        let page = h.page(OTC, WEEKLY, &body).await;
        assert_paging_headers(&page.headers, 0, 5_000);
        assert_eq!(page.rows.len(), 5_000, "limit {limit}");
    }
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .query(&[("limit", "6000"), ("fields", "tierIdentifier")])
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert_paging_headers(response.headers(), 0, 5_000);
}

#[tokio::test]
async fn every_200_data_answer_carries_all_paging_headers() {
    let h = start_default().await;
    let url = h.data_url(OTC, WEEKLY);
    let requests = [
        h.http.get(&url).header(ACCEPT, "application/json"),
        h.http.get(&url).query(&[("offset", "17"), ("limit", "3")]),
        h.http.post(&url).json(&json!({"limit": 3, "offset": 17})),
        h.http
            .post(&url)
            .header(ACCEPT, "application/json")
            .json(&json!({"limit": 3, "offset": 17})),
    ];
    let mut ids = Vec::new();
    for (i, request) in requests.into_iter().enumerate() {
        let response = request.send().await.expect("data request");
        assert_eq!(response.status(), StatusCode::OK);
        let (offset, limit) = if i == 0 { (0, 1_000) } else { (17, 3) };
        assert_paging_headers(response.headers(), offset, limit);
        ids.push(header_str(response.headers(), "FINRA-api-request-id").to_owned());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each request has its own id");
}

#[tokio::test]
async fn offset_skips_that_many_rows() {
    let h = start_default().await;
    let first = h.page(OTC, WEEKLY, &json!({"limit": 30})).await.rows;
    let page = h
        .page(OTC, WEEKLY, &json!({"limit": 5, "offset": 10}))
        .await;
    assert_eq!(page.rows, first[10..15]);
    assert_paging_headers(&page.headers, 10, 5);
}

#[tokio::test]
async fn paging_through_a_partition_by_record_total_gets_every_row_exactly_once() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let partition = weekly_partition_body(&week, &tier);
    let whole = h.fetch_all(OTC, WEEKLY, &partition).await;
    let total = whole.len();
    assert!(
        total >= 8,
        "precondition: the partition has rows to page ({total})"
    );
    let page_size = total / 4 + 1;
    let mut collected = Vec::new();
    let mut pages = 0;
    loop {
        let mut body = partition.clone();
        body["limit"] = json!(page_size);
        body["offset"] = json!(collected.len());
        let page = h.page(OTC, WEEKLY, &body).await;
        assert_eq!(header_u64(&page.headers, "Record-Total"), total as u64);
        assert!(
            !page.rows.is_empty(),
            "no empty page before Record-Total is reached"
        );
        collected.extend(page.rows);
        pages += 1;
        if collected.len() >= total {
            break;
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(collected.len(), total);
    assert_eq!(multiset(&collected), multiset(&whole));
}

#[tokio::test]
async fn offset_above_the_configured_maximum_is_400() {
    let h = start(config().with_max_offset(50)).await;
    let page = h
        .page(OTC, WEEKLY, &json!({"offset": 50, "limit": 2}))
        .await;
    assert_paging_headers(&page.headers, 50, 2);
    for offset in [json!(51), json!(500_001)] {
        let response = h.post(OTC, WEEKLY, &json!({"offset": offset})).await;
        api_error(response, StatusCode::BAD_REQUEST).await;
    }
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .query(&[("offset", "51")])
        .send()
        .await
        .expect("GET");
    api_error(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn default_max_offset_is_500000() {
    let h = start_default().await;
    let response = h
        .post(OTC, WEEKLY, &json!({"offset": 500_000, "limit": 1}))
        .await;
    assert!(
        response.status().is_success(),
        "offset 500000 is allowed: {}",
        response.status()
    );
    let response = h
        .post(OTC, WEEKLY, &json!({"offset": 500_001, "limit": 1}))
        .await;
    api_error(response, StatusCode::BAD_REQUEST).await;
}

fn no_rows_body() -> Value {
    weekly_partition_body("1999-01-04", "T1")
}

#[tokio::test]
async fn no_matching_rows_is_204_with_an_empty_body_and_no_content_type() {
    let h = start_default().await;
    for accept in ["application/json", "text/plain"] {
        let response = h
            .http
            .post(h.data_url(OTC, WEEKLY))
            .header(ACCEPT, accept)
            .json(&no_rows_body())
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{accept}");
        assert!(response.headers().get(CONTENT_TYPE).is_none(), "{accept}");
        assert!(response.bytes().await.expect("body").is_empty(), "{accept}");
    }
}

#[tokio::test]
async fn empty_array_mode_answers_200_with_an_empty_array_or_only_the_header_row() {
    let h = start(config().with_empty_result(EmptyResult::EmptyArray)).await;
    let response = h.post(OTC, WEEKLY, &no_rows_body()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_paging_headers(response.headers(), 0, 1_000);
    assert_eq!(header_u64(response.headers(), "Record-Total"), 0);
    assert_eq!(response.text().await.expect("body"), "[]");

    let mut csv_body = no_rows_body();
    csv_body["fields"] = json!(["weekStartDate", "tierIdentifier"]);
    let response = h
        .http
        .post(h.data_url(OTC, WEEKLY))
        .json(&csv_body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_u64(response.headers(), "Total-Records-On-Page"), 0);
    let text = response.text().await.expect("body");
    assert_eq!(text.trim_end(), "\"weekStartDate\",\"tierIdentifier\"");
}

/// Asserts the payload cap on one 5 000-row page of `name`: the body fits in 3 MiB,
/// `Total-Records-On-Page` counts the rows in it, and a page is cut short only because the next
/// row would not fit. Returns whether the page was cut.
async fn check_payload_cap(h: &Harness, name: &str, accept: &str) -> bool {
    let request = |offset: usize, limit: usize| {
        h.http
            .post(h.data_url(OTC, name))
            .header(ACCEPT, accept)
            .json(&json!({"limit": limit, "offset": offset}))
    };
    let response = request(0, 5_000).send().await.expect("5000-row page");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body");
    assert!(
        body.len() <= THREE_MIB,
        "{name} {accept}: {} bytes",
        body.len()
    );
    let on_page = header_u64(&headers, "Total-Records-On-Page") as usize;
    let total = header_u64(&headers, "Record-Total") as usize;
    assert_eq!(header_u64(&headers, "Record-Limit"), 5_000);
    let parsed = if accept == "application/json" {
        serde_json::from_slice::<Vec<Value>>(&body)
            .expect("JSON rows")
            .len()
    } else {
        body.iter().filter(|&&b| b == b'\n').count() - 1
    };
    assert_eq!(parsed, on_page, "{name} {accept}");
    if on_page == total.min(5_000) {
        return false;
    }
    assert!(on_page < total.min(5_000), "{name} {accept}");
    let next = request(on_page, 1).send().await.expect("next row");
    assert_eq!(header_u64(next.headers(), "Record-Offset"), on_page as u64);
    let next = next.bytes().await.expect("next body");
    // JSON adds `,` and the row; text adds the row's line.
    let (separator, next_row_len) = if accept == "application/json" {
        (1, next.len() - 2) // without `[` and `]`
    } else {
        let header_len = next.iter().position(|&b| b == b'\n').expect("header") + 1;
        (0, next.len() - header_len)
    };
    assert!(
        body.len() + separator + next_row_len > THREE_MIB,
        "{name} {accept}: a page of {on_page} rows ({} bytes) was cut although the next row fits",
        body.len()
    );
    true
}

#[tokio::test]
async fn a_5000_row_page_stays_within_3_mib_and_counts_its_rows() {
    let h = start_default().await;
    for name in [WEEKLY, "blocksSummary", "monthlySummary"] {
        check_payload_cap(&h, name, "application/json").await;
        check_payload_cap(&h, name, "text/plain").await;
    }
}

#[tokio::test]
async fn a_page_that_would_pass_3_mib_is_cut_short_before_the_row_that_does_not_fit() {
    // Only production-scale data has a 5 000-row page wider than 3 MiB (otcBlocksSummary rows
    // are about 800 bytes of JSON); generating it takes a few seconds.
    let h = start(config().with_scale(Scale::Full)).await;
    assert!(
        check_payload_cap(&h, "otcBlocksSummary", "application/json").await,
        "5 000 rows of otcBlocksSummary exceed 3 MiB, so the page must be cut"
    );
}
