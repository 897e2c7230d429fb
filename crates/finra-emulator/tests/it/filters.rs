//! Filters: the six compare operators, inclusive date ranges, domain filters, orFilters, unknown
//! field names, and weeklySummaryHistoric's EQUAL-only rule.
//! Expectations are computed client-side from unfiltered fetches of the same partition.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Harness, OTC, REG_SHO, WEEKLY, api_error, equal_filters, multiset, start_default,
    weekly_partition_body,
};

const OPERATORS: [&str; 6] = ["EQUAL", "NOT_EQUAL", "GREATER", "LESSER", "GTE", "LTE"];

fn accepts(op: &str, ordering: Ordering) -> bool {
    match op {
        "EQUAL" => ordering.is_eq(),
        "NOT_EQUAL" => ordering.is_ne(),
        "GREATER" => ordering.is_gt(),
        "LESSER" => ordering.is_lt(),
        "GTE" => ordering.is_ge(),
        "LTE" => ordering.is_le(),
        other => panic!("unknown operator {other}"),
    }
}

/// Orders two non-null JSON values of one field: numbers numerically, strings (including
/// `yyyy-MM-dd` dates) lexicographically.
fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().expect("f64"), y.as_f64().expect("f64"));
            x.total_cmp(&y)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => panic!("cannot order {a} and {b}"),
    }
}

/// The distinct values of `field` in `rows`, sorted; asserts the field is never null there.
fn distinct(rows: &[Value], field: &str) -> Vec<Value> {
    assert!(
        rows.iter().all(|r| !r[field].is_null()),
        "precondition: {field} has no nulls in this partition"
    );
    let mut values: Vec<Value> = rows.iter().map(|r| r[field].clone()).collect();
    values.sort_by(order);
    values.dedup();
    assert!(
        values.len() >= 3,
        "precondition: {field} has at least 3 distinct values"
    );
    values
}

/// For each operator: the request filtering `field` against `sent` returns exactly the rows of
/// `rows` that satisfy the operator against `pivot` (the same value, typed like the field).
async fn check_operators(
    h: &Harness,
    partition: &Value,
    rows: &[Value],
    field: &str,
    (pivot, sent): (&Value, &Value),
) {
    for op in OPERATORS {
        let mut body = partition.clone();
        let filters = body["compareFilters"]
            .as_array_mut()
            .expect("compareFilters");
        filters.push(json!({"fieldName": field, "fieldValue": sent, "compareType": op}));
        let got = h.fetch_all(OTC, WEEKLY, &body).await;
        for row in &got {
            assert!(
                accepts(op, order(&row[field], pivot)),
                "{op} {pivot}: {row}"
            );
        }
        let expected: Vec<Value> = rows
            .iter()
            .filter(|r| accepts(op, order(&r[field], pivot)))
            .cloned()
            .collect();
        assert_eq!(got.len(), expected.len(), "{field} {op} {pivot}");
        assert_eq!(multiset(&got), multiset(&expected), "{field} {op} {pivot}");
    }
}

#[tokio::test]
async fn compare_operators_on_a_number_field_match_a_client_side_filter() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let partition = weekly_partition_body(&week, &tier);
    let rows = h.fetch_all(OTC, WEEKLY, &partition).await;
    let values = distinct(&rows, "totalWeeklyShareQuantity");
    let pivot = values[values.len() / 2].clone();
    let field = "totalWeeklyShareQuantity";
    check_operators(&h, &partition, &rows, field, (&pivot, &pivot)).await;
    // FINRA's schema types fieldValue as a string; numeric strings must filter the same way.
    let as_string = json!(pivot.to_string());
    check_operators(&h, &partition, &rows, field, (&pivot, &as_string)).await;
}

#[tokio::test]
async fn compare_operators_on_string_and_date_fields_match_a_client_side_filter() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T2").await;
    let partition = weekly_partition_body(&week, &tier);
    let rows = h.fetch_all(OTC, WEEKLY, &partition).await;
    for field in ["summaryTypeCode", "lastReportedDate"] {
        let values = distinct(&rows, field);
        let pivot = values[values.len() / 2].clone();
        check_operators(&h, &partition, &rows, field, (&pivot, &pivot)).await;
    }
}

#[tokio::test]
async fn date_range_filters_include_both_ends() {
    let h = start_default().await;
    let dates: Vec<String> = h
        .partitions(OTC, REG_SHO)
        .await
        .into_iter()
        .map(|p| p[0].clone())
        .collect();
    assert!(
        dates.len() >= 5,
        "precondition: regShoDaily has at least 5 partitions"
    );
    let (start, end) = (&dates[3], &dates[1]);
    let mut expected_total = 0;
    for date in &dates[1..=3] {
        let body = json!({"compareFilters": equal_filters(&[("tradeReportDate", date)])});
        expected_total += h.record_total(OTC, REG_SHO, &body).await;
    }
    for (start_text, end_text) in [
        (start.clone(), end.clone()),
        (
            format!("{start} 00:00:00.000"),
            format!("{end} 00:00:00.000"),
        ),
    ] {
        let body = json!({
            "fields": ["tradeReportDate"],
            "dateRangeFilters": [{"fieldName": "tradeReportDate", "startDate": start_text, "endDate": end_text}],
        });
        let rows = h.fetch_all(OTC, REG_SHO, &body).await;
        assert_eq!(
            rows.len() as u64,
            expected_total,
            "{start_text}..{end_text}"
        );
        let seen: BTreeSet<&str> = rows
            .iter()
            .map(|r| r["tradeReportDate"].as_str().expect("date"))
            .collect();
        let wanted: BTreeSet<&str> = dates[1..=3].iter().map(String::as_str).collect();
        assert_eq!(seen, wanted, "both ends included, nothing outside");
    }
}

#[tokio::test]
async fn date_range_on_a_non_partition_field_matches_a_client_side_filter() {
    let h = start_default().await;
    let (week, tier) = h.weekly_partition("T1").await;
    let rows = h
        .fetch_all(OTC, WEEKLY, &weekly_partition_body(&week, &tier))
        .await;
    let values = distinct(&rows, "lastReportedDate");
    let (start, end) = (&values[1], &values[values.len() - 2]);
    let mut body = weekly_partition_body(&week, &tier);
    body["dateRangeFilters"] =
        json!([{"fieldName": "lastReportedDate", "startDate": start, "endDate": end}]);
    let got = h.fetch_all(OTC, WEEKLY, &body).await;
    let expected: Vec<Value> = rows
        .iter()
        .filter(|r| order(&r["lastReportedDate"], start).is_ge())
        .filter(|r| order(&r["lastReportedDate"], end).is_le())
        .cloned()
        .collect();
    assert_eq!(multiset(&got), multiset(&expected));
}

/// The newest week that has all three tiers.
async fn week_with_all_tiers(h: &Harness) -> String {
    let partitions = h.partitions(OTC, WEEKLY).await;
    partitions
        .iter()
        .map(|p| &p[0])
        .find(|week| {
            ["T1", "T2", "OTCE"]
                .iter()
                .all(|tier| partitions.iter().any(|p| &p[0] == *week && p[1] == *tier))
        })
        .expect("a week with T1, T2 and OTCE")
        .clone()
}

#[tokio::test]
async fn domain_filters_select_rows_whose_value_is_in_the_set() {
    let h = start_default().await;
    let week = week_with_all_tiers(&h).await;
    let t1 = h
        .record_total(OTC, WEEKLY, &weekly_partition_body(&week, "T1"))
        .await;
    let otce = h
        .record_total(OTC, WEEKLY, &weekly_partition_body(&week, "OTCE"))
        .await;
    let body = json!({
        "compareFilters": equal_filters(&[("weekStartDate", &week)]),
        "domainFilters": [{"fieldName": "tierIdentifier", "values": ["T1", "OTCE"]}],
    });
    assert_eq!(h.record_total(OTC, WEEKLY, &body).await, t1 + otce);

    let partition = weekly_partition_body(&week, "T1");
    let rows = h.fetch_all(OTC, WEEKLY, &partition).await;
    let counts = distinct(&rows, "totalWeeklyTradeCount");
    let chosen = [
        counts[0].clone(),
        counts[counts.len() - 1].clone(),
        json!(-1),
    ];
    let mut body = partition.clone();
    body["domainFilters"] = json!([{"fieldName": "totalWeeklyTradeCount", "values": chosen}]);
    let got = h.fetch_all(OTC, WEEKLY, &body).await;
    let expected: Vec<Value> = rows
        .iter()
        .filter(|r| {
            chosen
                .iter()
                .any(|c| order(&r["totalWeeklyTradeCount"], c).is_eq())
        })
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(multiset(&got), multiset(&expected));
}

#[tokio::test]
async fn or_filters_match_rows_satisfying_any_member() {
    let h = start_default().await;
    let week = week_with_all_tiers(&h).await;
    let t1_rows = h
        .fetch_all(OTC, WEEKLY, &weekly_partition_body(&week, "T1"))
        .await;
    let t2 = h
        .record_total(OTC, WEEKLY, &weekly_partition_body(&week, "T2"))
        .await;
    let otce = h
        .record_total(OTC, WEEKLY, &weekly_partition_body(&week, "OTCE"))
        .await;
    let base = equal_filters(&[("weekStartDate", &week)]);

    let body = json!({
        "compareFilters": base,
        "orFilters": [
            {"compareFilters": equal_filters(&[("tierIdentifier", "T2")])},
            {"domainFilters": [{"fieldName": "tierIdentifier", "values": ["OTCE"]}]},
        ],
    });
    assert_eq!(h.record_total(OTC, WEEKLY, &body).await, t2 + otce);

    let values = distinct(&t1_rows, "totalWeeklyShareQuantity");
    let pivot = values[values.len() / 2].clone();
    let big_t1 = t1_rows
        .iter()
        .filter(|r| order(&r["totalWeeklyShareQuantity"], &pivot).is_ge())
        .count() as u64;
    let body = json!({
        "compareFilters": base,
        "orFilters": [
            {"compareFilters": [
                {"fieldName": "tierIdentifier", "fieldValue": "T1", "compareType": "EQUAL"},
                {"fieldName": "totalWeeklyShareQuantity", "fieldValue": pivot, "compareType": "GTE"},
            ]},
            {"compareFilters": equal_filters(&[("tierIdentifier", "OTCE")])},
        ],
    });
    assert_eq!(h.record_total(OTC, WEEKLY, &body).await, big_t1 + otce);
}

#[tokio::test]
async fn unknown_field_anywhere_in_the_request_is_400_naming_it() {
    let h = start_default().await;
    let cmp =
        |field: &str| json!([{"fieldName": field, "fieldValue": "x", "compareType": "EQUAL"}]);
    let cases = [
        (
            json!({"fields": ["weekStartDate", "bogusField"]}),
            "bogusField",
        ),
        (
            json!({"compareFilters": cmp("tradeReportDate")}),
            "tradeReportDate",
        ),
        (
            json!({"dateRangeFilters": [{"fieldName": "noDate", "startDate": "2024-01-01", "endDate": "2024-01-31"}]}),
            "noDate",
        ),
        (
            json!({"domainFilters": [{"fieldName": "noDomain", "values": ["a"]}]}),
            "noDomain",
        ),
        (
            json!({"orFilters": [{"compareFilters": cmp("noOr")}]}),
            "noOr",
        ),
        (
            json!({"compareFilters": equal_filters(&[("weekStartDate", "2026-01-05"), ("tierIdentifier", "T1")]),
                   "sortFields": ["-noSort"]}),
            "noSort",
        ),
    ];
    for (body, field) in cases {
        let error = api_error(h.post(OTC, WEEKLY, &body).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            error["message"],
            json!(format!(
                "The following fields are not available in this dataset: [{field}]"
            )),
            "{body}"
        );
        assert!(
            error["dataRequest"].is_object(),
            "400s echo the dataRequest: {error}"
        );
    }
    let response = h
        .http
        .get(h.data_url(OTC, WEEKLY))
        .query(&[("fields", "alsoBogus")])
        .send()
        .await
        .expect("GET");
    let error = api_error(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        error["message"],
        json!("The following fields are not available in this dataset: [alsoBogus]")
    );
    h.assert_no_500();
}

#[tokio::test]
async fn weekly_summary_historic_accepts_only_an_equal_filter_on_one_period_field() {
    let h = start_default().await;
    let (week, _) = h.weekly_partition("T1").await;
    let historic = "weeklySummaryHistoric";
    let refused = [
        json!({}),
        json!({"compareFilters": [{"fieldName": "weekStartDate", "fieldValue": week, "compareType": "GTE"}]}),
        json!({"compareFilters": equal_filters(&[("weekStartDate", &week), ("historicalMonth", "2024-01")])}),
        json!({"compareFilters": equal_filters(&[("weekStartDate", &week), ("MPID", "ABCD")])}),
        json!({"compareFilters": equal_filters(&[("weekStartDate", &week)]),
               "domainFilters": [{"fieldName": "tierIdentifier", "values": ["T1"]}]}),
    ];
    for body in refused {
        api_error(h.post(OTC, historic, &body).await, StatusCode::BAD_REQUEST).await;
    }
    let partitions = h.partitions(OTC, historic).await;
    let (old_week, old_tier) = (&partitions[0][0], &partitions[0][1]);
    let allowed = json!({"compareFilters": equal_filters(&[("weekStartDate", old_week), ("tierIdentifier", old_tier)])});
    let page = h.page(OTC, historic, &allowed).await;
    assert!(
        !page.rows.is_empty(),
        "a listed historic partition has rows"
    );
    h.assert_no_500();
}
