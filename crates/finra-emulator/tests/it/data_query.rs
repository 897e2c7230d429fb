//! Data requests: case-insensitive paths, unknown datasets, JSON vs delimited text, delimiters,
//! quoting and field projection.

use std::io::Read as _;

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, VARY,
};
use serde_json::{Value, json};

use crate::support::{
    Harness, OTC, WEEKLY, api_error, cell_text, header_str, header_u64, start_default,
    weekly_partition_body,
};

/// The field names `/metadata` lists, in schema order.
async fn metadata_fields(h: &Harness, group: &str, name: &str) -> Vec<String> {
    let response = h
        .http
        .get(h.url(&format!("/metadata/group/{group}/name/{name}")))
        .send()
        .await
        .expect("metadata");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("metadata JSON");
    body["fields"]
        .as_array()
        .expect("fields array")
        .iter()
        .map(|f| f["name"].as_str().expect("field name").to_owned())
        .collect()
}

/// POSTs `body` without `Accept: application/json`; returns the raw delimited text.
async fn post_text(h: &Harness, body: &Value, accept: Option<&str>) -> String {
    let mut request = h.http.post(h.data_url(OTC, WEEKLY)).json(body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    let response = request.send().await.expect("text request");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("text/plain")
    );
    response.text().await.expect("text body")
}

/// Parses delimited text into records (header first).
fn parse_delimited(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("a well-formed record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// How many `"` characters a rendering of `rows` must hold: quoted fields add two plus one per
/// embedded quote; unquoted fields none. A field is quoted always with `quote_values`, and
/// otherwise only when it holds the delimiter, a quote or a line break. Nulls are never quoted.
fn expected_quotes(
    fields: &[String],
    rows: &[Value],
    delimiter: char,
    quote_values: bool,
) -> usize {
    let quotes_of = |text: &str| {
        let must = text.contains([delimiter, '"', '\n', '\r']);
        if quote_values || must {
            2 + 2 * text.matches('"').count()
        } else {
            0
        }
    };
    let header: usize = fields.iter().map(|f| quotes_of(f)).sum();
    let cells: usize = rows
        .iter()
        .flat_map(|row| fields.iter().map(move |f| &row[f.as_str()]))
        .filter(|v| !v.is_null())
        .map(|v| quotes_of(&cell_text(v)))
        .sum();
    header + cells
}

#[tokio::test]
async fn group_and_name_are_case_insensitive() {
    let h = start_default().await;
    let body = json!({"limit": 25});
    let reference = h.page(OTC, WEEKLY, &body).await.rows;
    assert_eq!(reference.len(), 25);
    for (group, name) in [
        ("OTCMARKET", "WEEKLYSUMMARY"),
        ("otcmarket", "weeklysummary"),
        ("OTCMarket", "WeeklySummary"),
    ] {
        assert_eq!(
            h.page(group, name, &body).await.rows,
            reference,
            "{group}/{name}"
        );
    }
}

#[tokio::test]
async fn unknown_dataset_is_404_with_finras_error_shape() {
    let h = start_default().await;
    for (group, name) in [
        (OTC, "noSuchDataset"),
        ("noSuchGroup", WEEKLY),
        ("firm", WEEKLY),
    ] {
        let response = h.post(group, name, &json!({})).await;
        api_error(response, StatusCode::NOT_FOUND).await;
        let response = h
            .http
            .get(h.data_url(group, name))
            .send()
            .await
            .expect("GET");
        api_error(response, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn accept_json_gives_a_json_array_of_flat_objects() {
    let h = start_default().await;
    let response = h.post(OTC, WEEKLY, &json!({"limit": 10})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_str(response.headers(), "content-type"),
        "application/json"
    );
    let rows: Vec<Value> = response.json().await.expect("JSON array");
    assert_eq!(rows.len(), 10);
    let fields = metadata_fields(&h, OTC, WEEKLY).await;
    for row in &rows {
        let object = row.as_object().expect("an object");
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = fields.iter().map(String::as_str).collect();
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected, "every field, nulls included");
        assert!(
            object.values().all(|v| !v.is_array() && !v.is_object()),
            "flat: {row}"
        );
    }
}

#[tokio::test]
async fn default_text_format_is_csv_with_a_quoted_header_row_matching_the_json_rows() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let mut body = weekly_partition_body(&week, &tier);
    body["limit"] = json!(40);
    let rows = h.page(OTC, WEEKLY, &body).await.rows;
    let fields = metadata_fields(&h, OTC, WEEKLY).await;
    for accept in [None, Some("text/plain"), Some("*/*")] {
        let text = post_text(&h, &body, accept).await;
        let first_line = text.lines().next().expect("a header row");
        let quoted: Vec<String> = fields.iter().map(|f| format!("\"{f}\"")).collect();
        assert_eq!(first_line, quoted.join(","), "Accept {accept:?}");
        let records = parse_delimited(&text, b',');
        assert_eq!(
            records.len(),
            rows.len() + 1,
            "header plus one line per row"
        );
        for (record, row) in records[1..].iter().zip(&rows) {
            let expected: Vec<String> =
                fields.iter().map(|f| cell_text(&row[f.as_str()])).collect();
            assert_eq!(record, &expected);
        }
        assert_eq!(
            text.matches('"').count(),
            expected_quotes(&fields, &rows, ',', true),
            "every value quoted, nulls empty"
        );
    }
}

#[tokio::test]
async fn each_documented_delimiter_separates_fields_with_and_without_quoting() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T2").await;
    let mut body = weekly_partition_body(&week, &tier);
    body["limit"] = json!(30);
    let rows = h.page(OTC, WEEKLY, &body).await.rows;
    let fields = metadata_fields(&h, OTC, WEEKLY).await;
    for delimiter in ['|', ',', '\t', '\u{1}'] {
        for quote_values in [true, false] {
            let mut request = body.clone();
            request["delimiter"] = json!(delimiter.to_string());
            request["quoteValues"] = json!(quote_values);
            let text = post_text(&h, &request, None).await;
            let header = text.lines().next().expect("header row");
            let names: Vec<String> = if quote_values {
                fields.iter().map(|f| format!("\"{f}\"")).collect()
            } else {
                fields.clone()
            };
            assert_eq!(header, names.join(&delimiter.to_string()), "{delimiter:?}");
            let records = parse_delimited(&text, delimiter as u8);
            assert_eq!(records.len(), rows.len() + 1);
            for (record, row) in records[1..].iter().zip(&rows) {
                let expected: Vec<String> =
                    fields.iter().map(|f| cell_text(&row[f.as_str()])).collect();
                assert_eq!(record, &expected, "{delimiter:?} quote={quote_values}");
            }
            assert_eq!(
                text.matches('"').count(),
                expected_quotes(&fields, &rows, delimiter, quote_values),
                "{delimiter:?} quote={quote_values}"
            );
        }
    }
}

#[tokio::test]
async fn get_query_parameters_set_delimiter_quoting_limit_and_fields() {
    let h = start_default().await;
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .query(&[
            ("delimiter", "|"),
            ("quoteValues", "false"),
            ("limit", "7"),
            ("fields", "weekStartDate,tierIdentifier"),
        ])
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_u64(response.headers(), "Record-Limit"), 7);
    let text = response.text().await.expect("text");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("weekStartDate|tierIdentifier"));
    let data: Vec<&str> = lines.collect();
    assert_eq!(data.len(), 7);
    for line in data {
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts.len(), 2, "{line}");
        assert!(["T1", "T2", "OTCE"].contains(&parts[1]), "{line}");
    }
}

#[tokio::test]
async fn fields_projects_each_row_onto_the_requested_fields() {
    let h = start_default().await;
    let wanted = ["totalWeeklyShareQuantity", "issueSymbolIdentifier", "MPID"];
    let full = h.page(OTC, WEEKLY, &json!({"limit": 50})).await.rows;
    let projected = h
        .page(OTC, WEEKLY, &json!({"limit": 50, "fields": wanted}))
        .await
        .rows;
    assert_eq!(projected.len(), full.len());
    for (small, big) in projected.iter().zip(&full) {
        let object = small.as_object().expect("object");
        assert_eq!(object.len(), wanted.len(), "{small}");
        for field in wanted {
            assert_eq!(small[field], big[field], "{field}");
        }
    }
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .header(ACCEPT, "application/json")
        .query(&[
            ("limit", "50"),
            ("fields", "MPID"),
            ("fields", "issueSymbolIdentifier"),
        ])
        .send()
        .await
        .expect("GET with repeated fields");
    let rows: Vec<Value> = response.json().await.expect("JSON");
    for (small, big) in rows.iter().zip(&full) {
        assert_eq!(
            small,
            &json!({"MPID": big["MPID"], "issueSymbolIdentifier": big["issueSymbolIdentifier"]})
        );
    }
}

#[tokio::test]
async fn the_same_request_twice_returns_the_same_rows_in_the_default_stable_order() {
    let h = start_default().await;
    let body = json!({"limit": 200, "offset": 3});
    assert_eq!(
        h.page(OTC, WEEKLY, &body).await.rows,
        h.page(OTC, WEEKLY, &body).await.rows
    );
}

/// The same page asked for with `accept_encoding` (none when `None`): its status, its
/// `Content-Encoding` and `Vary`, and its body inflated when it came compressed.
async fn page_encoded(
    h: &Harness,
    accept: &str,
    accept_encoding: Option<&str>,
) -> (Option<String>, Option<String>, Vec<u8>) {
    let body = json!({"limit": 300, "offset": 20});
    let mut request = h
        .http
        .post(h.data_url(OTC, WEEKLY))
        .header(ACCEPT, accept)
        .json(&body);
    if let Some(accept_encoding) = accept_encoding {
        request = request.header(ACCEPT_ENCODING, accept_encoding);
    }
    let response = request.send().await.expect("a data request");
    assert_eq!(response.status(), StatusCode::OK);
    let text = |name| {
        let value = response.headers().get(name)?;
        Some(value.to_str().expect("an ASCII header").to_owned())
    };
    let (coding, vary) = (text(CONTENT_ENCODING), text(VARY));
    let length = header_u64(response.headers(), CONTENT_LENGTH.as_str());
    let raw = response.bytes().await.expect("the body").to_vec();
    assert_eq!(
        length,
        raw.len() as u64,
        "Content-Length counts the bytes sent"
    );
    let body = if coding.as_deref() == Some("gzip") {
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut inflated)
            .expect("valid gzip");
        assert!(
            raw.len() * 4 < inflated.len(),
            "{} vs {}",
            raw.len(),
            inflated.len()
        );
        inflated
    } else {
        raw
    };
    (coding, vary, body)
}

#[tokio::test]
async fn pages_are_gzip_compressed_when_the_request_allows_it() {
    let h = start_default().await;
    let counters = h.emulator.counters();
    for accept in ["application/json", "text/plain"] {
        let compressed_before = counters.pages_compressed();
        let (coding, vary, plain) = page_encoded(&h, accept, None).await;
        assert_eq!(coding, None, "{accept}: identity unless asked");
        assert_eq!(vary.as_deref(), Some("accept-encoding"));
        for allowing in ["gzip", "gzip, deflate, br", "br;q=1, gzip;q=0.5", "*"] {
            let (coding, vary, inflated) = page_encoded(&h, accept, Some(allowing)).await;
            assert_eq!(coding.as_deref(), Some("gzip"), "{accept}, {allowing}");
            assert_eq!(vary.as_deref(), Some("accept-encoding"));
            assert_eq!(inflated, plain, "{accept}, {allowing}: the same page");
        }
        for refusing in ["identity", "br", "gzip;q=0", "*;q=0"] {
            let (coding, _, body) = page_encoded(&h, accept, Some(refusing)).await;
            assert_eq!(coding, None, "{accept}, {refusing}");
            assert_eq!(body, plain);
        }
        assert_eq!(
            counters.pages_compressed(),
            compressed_before + 4,
            "{accept}"
        );
    }
    h.assert_no_500();
}
