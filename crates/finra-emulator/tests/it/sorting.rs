//! Sorting and row order: the EQUAL-filter precondition, ascending and descending keys,
//! deterministic ties, and `RowOrder::Unstable`.

use std::cmp::Ordering;

use finra_emulator::RowOrder;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    FIRM_ID, FIRM_SECRET, OTC, REG_SHO, WEEKLY, api_error, config, equal_filters, multiset, start,
    start_default, weekly_partition_body,
};

/// Orders two non-null JSON values of one field: numbers numerically, strings bytewise. (Where
/// FINRA puts nulls is not known, so the tests sort only on fields without nulls.)
fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .expect("f64")
            .total_cmp(&y.as_f64().expect("f64")),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => panic!("cannot order {a} and {b}"),
    }
}

/// Orders two rows by FINRA sort specs (`field`, `+field`, `-field`).
fn by_specs(specs: &[&str], a: &Value, b: &Value) -> Ordering {
    specs
        .iter()
        .map(|spec| {
            let field = spec.trim_start_matches(['+', '-']);
            let ordering = order(&a[field], &b[field]);
            if spec.starts_with('-') {
                ordering.reverse()
            } else {
                ordering
            }
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

#[tokio::test]
async fn sorting_without_equal_filters_on_every_partition_field_is_400() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let sort = json!(["-totalWeeklyShareQuantity"]);
    let cases = [
        (WEEKLY, json!({"sortFields": sort})),
        (
            WEEKLY,
            json!({"sortFields": sort, "compareFilters": equal_filters(&[("weekStartDate", &week)])}),
        ),
        (
            WEEKLY,
            json!({"sortFields": sort, "compareFilters": [
                {"fieldName": "weekStartDate", "fieldValue": week, "compareType": "EQUAL"},
                {"fieldName": "tierIdentifier", "fieldValue": tier, "compareType": "GTE"},
            ]}),
        ),
        (
            WEEKLY,
            json!({"sortFields": sort,
                   "compareFilters": equal_filters(&[("weekStartDate", &week)]),
                   "domainFilters": [{"fieldName": "tierIdentifier", "values": [tier]}]}),
        ),
        (REG_SHO, json!({"sortFields": ["shortParQuantity"]})),
    ];
    for (name, body) in cases {
        api_error(h.post(OTC, name, &body).await, StatusCode::BAD_REQUEST).await;
    }
    let historic = json!({
        "sortFields": ["totalWeeklyShareQuantity"],
        "compareFilters": equal_filters(&[("weekStartDate", &week), ("tierIdentifier", &tier)]),
    });
    let response = h.post(OTC, "weeklySummaryHistoric", &historic).await;
    api_error(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn sorted_results_follow_the_sort_fields_ascending_and_descending() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let partition = weekly_partition_body(&week, &tier);
    let unsorted = h.fetch_all(OTC, WEEKLY, &partition).await;
    let spec_sets: [&[&str]; 4] = [
        &["totalWeeklyShareQuantity"],
        &["-totalWeeklyShareQuantity"],
        &["+summaryTypeCode", "-totalWeeklyTradeCount"],
        &["-lastUpdateDate", "+totalWeeklyTradeCount"],
    ];
    for specs in spec_sets {
        let mut body = partition.clone();
        body["sortFields"] = json!(specs);
        let sorted = h.fetch_all(OTC, WEEKLY, &body).await;
        assert_eq!(
            multiset(&sorted),
            multiset(&unsorted),
            "{specs:?}: same rows"
        );
        for pair in sorted.windows(2) {
            assert!(
                by_specs(specs, &pair[0], &pair[1]).is_le(),
                "{specs:?} out of order: {} then {}",
                pair[0],
                pair[1]
            );
        }
    }
}

#[tokio::test]
async fn ties_keep_the_internal_row_order() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T2").await;
    let partition = weekly_partition_body(&week, &tier);
    // With the default stable order, an unsorted answer is the internal order.
    let mut expected = h.fetch_all(OTC, WEEKLY, &partition).await;
    expected.sort_by(|a, b| by_specs(&["summaryTypeCode"], a, b));
    let mut body = partition.clone();
    body["sortFields"] = json!(["summaryTypeCode"]);
    assert_eq!(h.fetch_all(OTC, WEEKLY, &body).await, expected);
}

#[tokio::test]
async fn sorted_requests_are_deterministic_even_with_unstable_row_order() {
    let h = start(config().with_row_order(RowOrder::Unstable)).await;
    let (week, tier) = h.weekly_partition("T1").await;
    let mut body = weekly_partition_body(&week, &tier);
    body["sortFields"] = json!(["tierDescription"]);
    let whole = h.fetch_all(OTC, WEEKLY, &body).await;
    assert_eq!(h.fetch_all(OTC, WEEKLY, &body).await, whole);
    // Sorted paging in small pages gets every row exactly once, in the same order.
    let mut paged = Vec::new();
    while paged.len() < whole.len() {
        let mut request = body.clone();
        request["limit"] = json!(whole.len() / 5 + 1);
        request["offset"] = json!(paged.len());
        let page = h.page(OTC, WEEKLY, &request).await;
        assert!(!page.rows.is_empty());
        paged.extend(page.rows);
    }
    assert_eq!(paged, whole);
}

#[tokio::test]
async fn unstable_row_order_shuffles_unsorted_results_but_keeps_the_same_rows() {
    let h = start(config().with_row_order(RowOrder::Unstable)).await;
    let (week, tier) = h.weekly_partition("T1").await;
    let mut body = weekly_partition_body(&week, &tier);
    body["limit"] = json!(5_000);
    let first = h.page(OTC, WEEKLY, &body).await.rows;
    let second = h.page(OTC, WEEKLY, &body).await.rows;
    assert!(
        first.len() >= 10,
        "precondition: enough rows to shuffle ({})",
        first.len()
    );
    assert_ne!(first, second, "two unsorted answers differ in order");
    assert_eq!(multiset(&first), multiset(&second));
}

#[tokio::test]
async fn sorting_a_dataset_without_partitions_needs_no_filter() {
    let h = start_default().await;
    let token = h.token(FIRM_ID, FIRM_SECRET).await;
    let group = "registration";
    let name = "brokerDealerFirmList";
    let rows = h.fetch_all_as(group, name, &json!({}), Some(&token)).await;
    assert!(
        rows.len() >= 2,
        "precondition: brokerDealerFirmList has rows"
    );
    let field = rows[0]
        .as_object()
        .expect("object")
        .keys()
        .find(|k| {
            rows.iter()
                .all(|r| r[k.as_str()].is_string() || r[k.as_str()].is_number())
        })
        .expect("a field without nulls")
        .clone();
    let body = json!({"sortFields": [format!("-{field}")]});
    let sorted = h.fetch_all_as(group, name, &body, Some(&token)).await;
    assert_eq!(multiset(&sorted), multiset(&rows));
    for pair in sorted.windows(2) {
        assert!(
            order(&pair[0][&field], &pair[1][&field]).is_ge(),
            "-{field}"
        );
    }
}
