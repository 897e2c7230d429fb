//! Malformed and hostile input: every case gets its exact 4xx status with FINRA's JSON error
//! shape, and no test sees a 500.

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::support::{
    Harness, OTC, WEEKLY, api_error, api_error_message, header_u64, start_default,
    weekly_partition_body,
};

const DATE_MESSAGE: &str =
    "Invalid date field format. Must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.SSS";

async fn post_raw(h: &Harness, body: impl Into<reqwest::Body>, content_type: &str) -> Response {
    h.http
        .post(h.data_url(OTC, WEEKLY))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("POST")
}

async fn get_with(h: &Harness, query: &str) -> Response {
    h.http
        .get(format!("{}?{query}", h.data_url(OTC, WEEKLY)))
        .send()
        .await
        .expect("GET")
}

#[tokio::test]
async fn malformed_or_non_object_json_bodies_are_400() {
    let h = start_default().await;
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies = [
        "{\"limit\":",
        "{limit: 5}",
        "{\"fields\": [}",
        "nul",
        "[]",
        "[{\"limit\": 1}]",
        "\"a string\"",
        "42",
        "null",
        "true",
        "{\"limit\": 1} trailing",
        nested.as_str(),
    ];
    for body in bodies {
        let response = post_raw(&h, body.to_owned(), "application/json").await;
        api_error(response, StatusCode::BAD_REQUEST).await;
    }
    let invalid_utf8 = b"{\"fields\": [\"\xff\xfe\"]}".to_vec();
    api_error(
        post_raw(&h, invalid_utf8, "application/json").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    h.assert_no_500();
}

#[tokio::test]
async fn wrongly_typed_request_members_are_400() {
    let h = start_default().await;
    let bodies = [
        json!({"compareFilters": [{"fieldName": "MPID", "fieldValue": {"a": 1}, "compareType": "EQUAL"}]}),
        json!({"compareFilters": [{"fieldName": "MPID", "fieldValue": ["x"], "compareType": "EQUAL"}]}),
        json!({"compareFilters": [{"fieldName": "MPID", "fieldValue": null, "compareType": "EQUAL"}]}),
        json!({"compareFilters": [{"fieldName": "MPID", "fieldValue": "x"}]}),
        json!({"compareFilters": [{"fieldValue": "x", "compareType": "EQUAL"}]}),
        json!({"compareFilters": {"fieldName": "MPID", "fieldValue": "x", "compareType": "EQUAL"}}),
        json!({"compareFilters": [{"fieldName": "totalWeeklyTradeCount", "fieldValue": "many", "compareType": "GTE"}]}),
        json!({"domainFilters": [{"fieldName": "tierIdentifier", "values": "T1"}]}),
        json!({"domainFilters": [{"fieldName": "tierIdentifier"}]}),
        json!({"domainFilters": [{"fieldName": "tierIdentifier", "values": [{"v": "T1"}]}]}),
        json!({"dateRangeFilters": [{"fieldName": "weekStartDate", "startDate": 20_240_101}]}),
        json!({"dateRangeFilters": [{"fieldName": "weekStartDate"}]}),
        json!({"dateRangeFilters": [{"fieldName": "MPID", "startDate": "2024-01-01"}]}),
        json!({"orFilters": {"compareFilters": []}}),
        json!({"fields": "weekStartDate"}),
        json!({"sortFields": 5}),
        json!({"limit": true}),
        json!({"limit": [10]}),
        json!({"quoteValues": "maybe"}),
        json!({"async": "yes"}),
        json!({"delimiter": 124}),
    ];
    for body in bodies {
        let response = h.post(OTC, WEEKLY, &body).await;
        let status = response.status();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        api_error(response, StatusCode::BAD_REQUEST).await;
    }
    h.assert_no_500();
}

#[tokio::test]
async fn unknown_compare_type_is_400() {
    let h = start_default().await;
    for compare_type in ["LIKE", "", "GREATER_THAN", "equal; drop table"] {
        let body = json!({"compareFilters": [
            {"fieldName": "tierIdentifier", "fieldValue": "T1", "compareType": compare_type}
        ]});
        api_error(h.post(OTC, WEEKLY, &body).await, StatusCode::BAD_REQUEST).await;
    }
    h.assert_no_500();
}

#[tokio::test]
async fn badly_formatted_dates_are_400_with_finras_message() {
    let h = start_default().await;
    let dates = [
        "2024-13-45",
        "2024-02-30",
        "01/05/2024",
        "2024-1-5",
        "2024-01-05T00:00:00",
        "2024-01-05 00:00:00",
        "tomorrow",
        "",
    ];
    for date in dates {
        let bodies = [
            json!({"dateRangeFilters": [{"fieldName": "weekStartDate", "startDate": date, "endDate": "2026-12-31"}]}),
            json!({"dateRangeFilters": [{"fieldName": "weekStartDate", "startDate": "2020-01-01", "endDate": date}]}),
            json!({"compareFilters": [{"fieldName": "weekStartDate", "fieldValue": date, "compareType": "GTE"}]}),
            json!({"domainFilters": [{"fieldName": "lastUpdateDate", "values": [date]}]}),
        ];
        for body in bodies {
            let message =
                api_error_message(h.post(OTC, WEEKLY, &body).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(message, DATE_MESSAGE, "{body}");
        }
    }
    h.assert_no_500();
}

#[tokio::test]
async fn negative_fractional_or_non_numeric_limits_and_offsets_are_400_and_huge_limits_clamp() {
    let h = start_default().await;
    for (key, value) in [
        ("limit", json!(-1)),
        ("limit", json!(0)),
        ("limit", json!(2.5)),
        ("limit", json!("ten")),
        ("limit", json!("-5")),
        ("offset", json!(-1)),
        ("offset", json!(1.5)),
        ("offset", json!("abc")),
        ("offset", json!(99_999_999_999_999_999_999.0)),
        ("offset", json!("99999999999999999999999")),
    ] {
        let body = json!({ key: value });
        api_error(h.post(OTC, WEEKLY, &body).await, StatusCode::BAD_REQUEST).await;
    }
    for limit in [
        json!(99_999_999_999_999_999_999_999.0),
        json!("99999999999999999999999"),
        json!(1e30),
    ] {
        let body = json!({"limit": limit, "fields": ["MPID"]});
        let page = h.page(OTC, WEEKLY, &body).await;
        assert_eq!(header_u64(&page.headers, "Record-Limit"), 5_000, "{limit}");
    }
    for query in [
        "limit=-1",
        "limit=abc",
        "limit=1.5",
        "limit=",
        "offset=-3",
        "offset=x",
        "limit=%FF",
    ] {
        api_error(get_with(&h, query).await, StatusCode::BAD_REQUEST).await;
    }
    let response = get_with(&h, "limit=99999999999999999999&fields=MPID").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_u64(response.headers(), "Record-Limit"), 5_000);
    h.assert_no_500();
}

#[tokio::test]
async fn unknown_delimiters_and_non_boolean_flags_are_400() {
    let h = start_default().await;
    for delimiter in [";", "||", "", "ab", "\n"] {
        let response = h
            .http
            .post(h.data_url(OTC, WEEKLY))
            .json(&json!({"delimiter": delimiter, "limit": 1}))
            .send()
            .await
            .expect("POST");
        api_error(response, StatusCode::BAD_REQUEST).await;
    }
    for query in ["delimiter=%3B", "quoteValues=maybe", "async=maybe"] {
        api_error(get_with(&h, query).await, StatusCode::BAD_REQUEST).await;
    }
    h.assert_no_500();
}

#[tokio::test]
async fn a_body_over_1_mib_is_413() {
    let h = start_default().await;
    let padding = "x".repeat(1024 * 1024);
    let body = format!("{{\"fields\": [\"{padding}\"]}}");
    api_error(
        post_raw(&h, body, "application/json").await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let page = h.page(OTC, WEEKLY, &json!({"limit": 1})).await;
    assert_eq!(page.rows.len(), 1, "the emulator still serves");
    h.assert_no_500();
}

#[tokio::test]
async fn a_post_body_that_is_not_declared_json_is_415() {
    let h = start_default().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let response = post_raw(&h, "{}", content_type).await;
        api_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
    h.assert_no_500();
}

#[tokio::test]
async fn json_content_types_with_parameters_or_other_letter_case_are_accepted() {
    // Media types are case-insensitive (RFC 9110 §8.3.1) and may carry parameters.
    let h = start_default().await;
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        "APPLICATION/JSON; charset=utf-8",
    ] {
        let response = post_raw(&h, "{\"limit\": 2}", content_type).await;
        assert_eq!(response.status(), StatusCode::OK, "{content_type}");
    }
    h.assert_no_500();
}

#[tokio::test]
async fn an_oversized_token_request_is_refused_without_a_500() {
    let h = start_default().await;
    let body = format!(
        "grant_type=client_credentials&pad={}",
        "x".repeat(2 * 1024 * 1024)
    );
    let response = h
        .http
        .post(h.emulator.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(h.emulator.counters().tokens_minted(), 0);
    h.assert_no_500();
}

#[tokio::test]
async fn paths_missing_a_name_are_404_json() {
    let h = start_default().await;
    for path in [
        "/data/group/otcMarket/name/",
        "/data/group/otcMarket/name",
        "/data/group/otcMarket",
        "/data",
        "/",
        "/metadata/group/otcMarket/name/",
        "/partitions/group/otcMarket",
        "/data/group//name/weeklySummary",
        "/data/group/otcMarket/name/weeklySummary/extra",
        "/async-requests/group/otcMarket/name/weeklySummary",
    ] {
        for method in [Method::GET, Method::POST] {
            let response = h
                .http
                .request(method.clone(), h.url(path))
                .send()
                .await
                .expect("request");
            api_error(response, StatusCode::NOT_FOUND).await;
        }
    }
    h.assert_no_500();
}

#[tokio::test]
async fn unsupported_methods_are_405_json() {
    let h = start_default().await;
    let cases = [
        (Method::DELETE, "/data/group/otcMarket/name/weeklySummary"),
        (Method::PUT, "/data/group/otcMarket/name/weeklySummary"),
        (Method::PATCH, "/data/group/otcMarket/name/weeklySummary"),
        (Method::DELETE, "/datasets"),
        (Method::POST, "/metadata/group/otcMarket/name/weeklySummary"),
        (
            Method::POST,
            "/partitions/group/otcMarket/name/weeklySummary",
        ),
        (Method::DELETE, "/fip/rest/ews/oauth2/access_token"),
    ];
    for (method, path) in cases {
        let response = h
            .http
            .request(method, h.url(path))
            .send()
            .await
            .expect("request");
        api_error(response, StatusCode::METHOD_NOT_ALLOWED).await;
    }
    h.assert_no_500();
}

#[tokio::test]
async fn odd_unicode_in_values_names_paths_and_headers_never_breaks_the_emulator() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let odd = "ÄÖÜ ß 🦀 \u{202e}rtl \u{0} \u{feff} \\\" '; --";
    let mut body = weekly_partition_body(&week, &tier);
    body["compareFilters"]
        .as_array_mut()
        .expect("filters")
        .push(json!({"fieldName": "issueSymbolIdentifier", "fieldValue": odd, "compareType": "EQUAL"}));
    body["domainFilters"] = json!([{"fieldName": "MPID", "values": [odd, "日本語"]}]);
    assert_eq!(
        h.post(OTC, WEEKLY, &body).await.status(),
        StatusCode::NO_CONTENT
    );

    let message = api_error_message(
        h.post(OTC, WEEKLY, &json!({"fields": ["名前"]})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        message,
        "The following fields are not available in this dataset: [名前]"
    );

    let unicode_path = "/data/group/otc%C3%A9/name/%F0%9F%A6%80";
    let response = h.http.get(h.url(unicode_path)).send().await.expect("GET");
    api_error(response, StatusCode::NOT_FOUND).await;

    let opaque = HeaderValue::from_bytes(b"Bearer \xff\xfe").expect("obs-text header");
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .header(AUTHORIZATION, opaque)
        .query(&[("limit", "1")])
        .send()
        .await
        .expect("GET");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "an unreadable header is no credential"
    );
    h.assert_no_500();
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_400_with_finras_error_shape() {
    let h = start_default().await;
    for path in [
        "/data/group/%FF/name/weeklySummary",
        "/data/group/otcMarket/name/weekly%C3Summary",
        "/metadata/group/otcMarket/name/%FF",
        "/partitions/group/%FE/name/regShoDaily",
        "/data/group/firm/name/firmProfile/id/%FF",
    ] {
        let response = h.http.get(h.url(path)).send().await.expect("GET");
        api_error(response, StatusCode::BAD_REQUEST).await;
    }
    h.assert_no_500();
}

#[tokio::test]
async fn invalid_async_requests_are_refused_before_anything_is_queued() {
    let h = start_default().await;
    let body = json!({"async": true, "fields": ["bogus"]});
    api_error(h.post(OTC, WEEKLY, &body).await, StatusCode::BAD_REQUEST).await;
    let body = json!({"async": true, "offset": -1});
    api_error(h.post(OTC, WEEKLY, &body).await, StatusCode::BAD_REQUEST).await;
    h.assert_no_500();
}
