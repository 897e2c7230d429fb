//! The whole life of a data session: login → data (JSON and CSV, GET and POST with filters, a
//! large result paged with every row once by finra-client pointed at the hub) → refresh →
//! access-token expiry → 401 → refresh-token grant → data again. Every answer the hub passes
//! through is compared with the same request sent straight to the emulator.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use finra_client::Query;
use serde_json::{Value, json};

use crate::support::{Hub, Reply, advance, collect_rows, multiset, paging};

/// FINRA's headers a pass-through must keep, apart from its per-request id.
const PAGING_HEADERS: [&str; 8] = [
    "content-type",
    "content-length",
    "record-total",
    "record-offset",
    "record-limit",
    "record-max-limit",
    "total-records-on-page",
    "response-payload-max-size",
];

/// The hub's answer is FINRA's: status, body, paging headers, and a FINRA request id.
#[track_caller]
pub(crate) fn assert_passed_through(through_hub: &Reply, direct: &Reply) {
    assert_eq!(through_hub.status, direct.status, "{}", through_hub.text());
    assert_eq!(through_hub.text(), direct.text());
    for name in PAGING_HEADERS {
        assert_eq!(through_hub.header(name), direct.header(name), "{name}");
    }
    assert!(
        through_hub.header("finra-api-request-id").is_some(),
        "FINRA's request id passes through"
    );
    assert!(
        through_hub.header("x-request-id").is_some(),
        "and the hub adds its own"
    );
}

#[tokio::test(start_paused = true)]
async fn login_data_refresh_expiry_and_refresh_token_grant_end_to_end() {
    // The maximum offset is lowered so that paging the whole dataset needs partition slices.
    let hub = Hub::builder()
        .unpaced()
        .emulator(|emulator| emulator.with_max_offset(1_000))
        .build()
        .await;
    let tokens = hub.login_warm().await;
    assert_eq!(
        hub.counters().tokens_minted(),
        1,
        "the login warmed the token"
    );

    // JSON and CSV, GET with paging parameters.
    let path = "/data/group/otcMarket/name/weeklySummary?limit=7&offset=3";
    for accept in ["application/json", "text/plain"] {
        let call = hub.get(path, &tokens.session).set("accept", accept);
        let through_hub = hub.send(call).await;
        let direct = hub.direct(Method::GET, path, accept, None, None).await;
        assert_eq!(through_hub.status, StatusCode::OK, "{}", through_hub.text());
        assert_passed_through(&through_hub, &direct);
    }

    // POST with filters, a projection and a sort, JSON and CSV.
    let weekly = "/data/group/otcMarket/name/weeklySummary";
    let filters = json!({
        "fields": ["issueSymbolIdentifier", "tierIdentifier", "weekStartDate", "totalWeeklyShareQuantity"],
        "compareFilters": [
            {"fieldName": "totalWeeklyShareQuantity", "fieldValue": "1000", "compareType": "GTE"}
        ],
        "domainFilters": [{"fieldName": "tierIdentifier", "values": ["T1", "T2"]}],
        "limit": 25,
        "offset": 5,
    });
    for accept in ["application/json", "text/plain"] {
        let call = hub
            .post(weekly, &tokens.session, &filters)
            .set("accept", accept);
        let through_hub = hub.send(call).await;
        let direct = hub
            .direct(Method::POST, weekly, accept, Some(&filters), None)
            .await;
        assert_eq!(through_hub.status, StatusCode::OK, "{}", through_hub.text());
        assert_passed_through(&through_hub, &direct);
    }
    let rows = hub
        .send(hub.post(weekly, &tokens.session, &filters))
        .await
        .json();
    assert_eq!(rows.as_array().map(Vec::len), Some(25));
    assert!(
        rows.as_array()
            .into_iter()
            .flatten()
            .all(|row| matches!(row["tierIdentifier"].as_str(), Some("T1" | "T2"))),
        "the filters reached FINRA"
    );

    // No matching row: FINRA's 204, passed through as it is.
    let nothing = json!({
        "compareFilters": [
            {"fieldName": "issueSymbolIdentifier", "fieldValue": "NO-SUCH-SYMBOL", "compareType": "EQUAL"}
        ],
    });
    let empty = hub.send(hub.post(weekly, &tokens.session, &nothing)).await;
    let direct = hub
        .direct(
            Method::POST,
            weekly,
            "application/json",
            Some(&nothing),
            None,
        )
        .await;
    assert_eq!(direct.status, StatusCode::NO_CONTENT);
    assert_eq!(
        (empty.status, empty.body.len()),
        (StatusCode::NO_CONTENT, 0)
    );

    // The catalogue paths.
    for path in [
        "/datasets",
        "/metadata/group/otcMarket/name/weeklySummary",
        "/partitions/group/otcMarket/name/weeklySummary",
    ] {
        let through_hub = hub.send(hub.get(path, &tokens.session)).await;
        let direct = hub
            .direct(Method::GET, path, "application/json", None, None)
            .await;
        assert_eq!(through_hub.status, StatusCode::OK, "{path}");
        assert_eq!(through_hub.json(), direct.json(), "{path}");
    }

    // A large result paged by finra-client through the hub: every row once, the same rows as
    // the same download straight from the emulator (partition slices past the maximum offset).
    let client = hub.client_via_hub(&tokens.session, paging(1_000, 500));
    let query = Query::new("otcMarket", "weeklySummary");
    let sent_before = hub.counters().responses_under("/data/");
    let through_hub = collect_rows(client.stream_rows(query.clone())).await;
    let through_hub_pages = hub.counters().responses_under("/data/") - sent_before;
    let direct = collect_rows(hub.client_direct(paging(1_000, 500)).stream_rows(query)).await;
    let table_rows = hub
        .emulator()
        .emulator()
        .catalogue()
        .find("otcMarket", "weeklySummary")
        .expect("dataset")
        .table
        .len();
    assert!(
        table_rows > 2_000,
        "the result must pass the maximum offset: {table_rows}"
    );
    assert_eq!(through_hub.len(), table_rows);
    let counted = multiset(&through_hub);
    assert!(counted.values().all(|&n| n == 1), "no row twice");
    assert_eq!(counted, multiset(&direct));
    assert!(
        through_hub_pages as usize >= table_rows / 500,
        "paged through the hub: {through_hub_pages} pages"
    );

    // Refresh: nothing to do at first; at 10 % left the access token gets a new lifetime.
    let early = hub.refresh(&tokens.session).await;
    early.assert_ok();
    assert_eq!(early.json()["refreshed"], false);
    advance(Duration::from_secs(3_600 - 300)).await;
    let refreshed = hub.refresh(&tokens.session).await;
    refreshed.assert_ok();
    assert_eq!(
        (
            refreshed.json()["refreshed"].clone(),
            refreshed.json()["expires_in"].clone()
        ),
        (Value::from(true), Value::from(3_600))
    );
    let small = "/data/group/otcMarket/name/weeklySummary?limit=3";
    hub.send(hub.get(small, &tokens.session)).await.assert_ok();

    // The access token expires: 401 invalid_token, "access token has expired".
    advance(Duration::from_secs(3_600)).await;
    let calls_before = hub.counters().total_responses();
    let expired = hub.send(hub.get(small, &tokens.session)).await;
    expired.assert_error(401, "invalid_token");
    assert!(
        expired.description().contains("access token has expired"),
        "{}",
        expired.description()
    );
    assert!(
        expired
            .header("www-authenticate")
            .is_some_and(|v| v.contains("invalid_token")),
        "{:?}",
        expired.headers
    );
    assert_eq!(
        hub.counters().total_responses(),
        calls_before,
        "no upstream call"
    );

    // The refresh-token grant: a new session, and data again.
    let renewed = hub
        .send(hub.token_call(&hub.refresh_grant_body(&tokens.refresh)))
        .await
        .tokens();
    assert_ne!(renewed.session, tokens.session);
    let again = hub.send(hub.get(small, &renewed.session)).await;
    let direct = hub
        .direct(Method::GET, small, "application/json", None, None)
        .await;
    assert_passed_through(&again, &direct);
    hub.send(hub.get(small, &tokens.session))
        .await
        .assert_error(401, "invalid_token");

    hub.assert_no_leaks().await;
}
