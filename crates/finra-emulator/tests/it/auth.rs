//! Authorisation on the Query API: public datasets answer anyone, expired tokens get 401,
//! entitled datasets need a firm token, `/datasets` shows each caller what it may read, and
//! `/id/{id}` finds a firm.

use std::collections::BTreeSet;
use std::time::Duration;

use finhub_clock::TokioClock;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::support::{
    FIRM_ID, FIRM_SECRET, Harness, OTC, PUBLIC_ID, PUBLIC_SECRET, WEEKLY, api_error,
    api_error_message, config, header_u64, start, start_default,
};

const FIRM: &str = "firm";
const PROFILE: &str = "firmProfile";

/// GETs a Query API path with an optional raw `Authorization` header.
async fn get(h: &Harness, path: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = h.http.get(h.url(path)).header(ACCEPT, "application/json");
    if let Some(value) = authorization {
        request = request.header(AUTHORIZATION, value);
    }
    request.send().await.expect("GET")
}

/// `(group, name)` of every dataset `/datasets` lists for this `Authorization`.
async fn listed(h: &Harness, authorization: Option<&str>) -> BTreeSet<(String, String)> {
    let response = get(h, "/datasets", authorization).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("datasets JSON");
    body["datasets"]
        .as_array()
        .expect("datasets array")
        .iter()
        .map(|d| {
            let text = |key: &str| d[key].as_str().expect("string").to_owned();
            (text("group"), text("name"))
        })
        .collect()
}

#[tokio::test]
async fn public_datasets_answer_anonymously_and_with_garbage_credentials() {
    let h = start_default().await;
    let garbage = [
        None,
        Some("Bearer garbage"),
        Some("Bearer None"),
        Some("Basic Tm9uZTpOb25l"),
        Some("Token something"),
        Some("Bearer *AAJTSQACMDIABHR5cGUAA0pXVAACUzEAAjAx*eyJ0eXAiOiJKV1QifQ.e30.c2ln"),
    ];
    for authorization in garbage {
        for path in [
            "/data/group/otcMarket/name/weeklySummary?limit=5".to_owned(),
            "/data/group/fixedIncomeMarket/name/treasuryDailyAggregates?limit=5".to_owned(),
            "/metadata/group/otcMarket/name/regShoDaily".to_owned(),
            "/partitions/group/otcMarket/name/regShoDaily".to_owned(),
            "/datasets".to_owned(),
        ] {
            let response = get(&h, &path, authorization).await;
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{path} with {authorization:?}"
            );
        }
    }
}

#[tokio::test]
async fn valid_public_and_firm_tokens_read_public_datasets() {
    let h = start_default().await;
    for (id, secret) in [(PUBLIC_ID, PUBLIC_SECRET), (FIRM_ID, FIRM_SECRET)] {
        let token = h.token(id, secret).await;
        let page = h
            .page_as(OTC, WEEKLY, &json!({"limit": 3}), Some(&token))
            .await;
        assert_eq!(page.rows.len(), 3, "{id}");
    }
}

#[tokio::test(start_paused = true)]
async fn expired_token_gets_401_on_public_dataset() {
    let config = config()
        .with_clock(TokioClock::fixed().shared())
        .with_token_ttl(Duration::from_secs(60));
    let h = start(config).await;
    let token = h.token(PUBLIC_ID, PUBLIC_SECRET).await;
    let bearer = format!("Bearer {token}");
    let data = "/data/group/otcMarket/name/weeklySummary?limit=1";
    assert_eq!(get(&h, data, Some(&bearer)).await.status(), StatusCode::OK);
    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(get(&h, data, Some(&bearer)).await.status(), StatusCode::OK);
    tokio::time::advance(Duration::from_secs(1)).await;

    for path in [
        data,
        "/metadata/group/otcMarket/name/weeklySummary",
        "/partitions/group/otcMarket/name/weeklySummary",
        "/datasets",
    ] {
        let response = get(&h, path, Some(&bearer)).await;
        let challenge = response.headers().get(WWW_AUTHENTICATE).cloned();
        api_error(response, StatusCode::UNAUTHORIZED).await;
        assert!(
            challenge.is_some_and(|v| v.as_bytes().starts_with(b"Bearer")),
            "{path}"
        );
    }
    let response = h.post_as(OTC, WEEKLY, &json!({}), Some(&token)).await;
    api_error(response, StatusCode::UNAUTHORIZED).await;

    // A fresh token works again; anonymous callers were never affected.
    let fresh = format!("Bearer {}", h.token(PUBLIC_ID, PUBLIC_SECRET).await);
    assert_eq!(get(&h, data, Some(&fresh)).await.status(), StatusCode::OK);
    assert_eq!(get(&h, data, None).await.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn expired_firm_token_gets_401_on_an_entitled_dataset() {
    let config = config()
        .with_clock(TokioClock::fixed().shared())
        .with_token_ttl(Duration::from_secs(300));
    let h = start(config).await;
    let bearer = format!("Bearer {}", h.token(FIRM_ID, FIRM_SECRET).await);
    let path = "/data/group/firm/name/firmProfile?limit=1";
    assert_eq!(get(&h, path, Some(&bearer)).await.status(), StatusCode::OK);
    tokio::time::advance(Duration::from_secs(301)).await;
    api_error(get(&h, path, Some(&bearer)).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn entitled_datasets_without_a_valid_token_are_401() {
    let h = start_default().await;
    let basic_firm = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{FIRM_ID}:{FIRM_SECRET}")
        )
    );
    for path in [
        "/data/group/firm/name/firmProfile",
        "/data/group/registration/name/brokerDealerFirmList",
        "/metadata/group/firm/name/firmProfile",
        "/partitions/group/registration/name/brokerDealerFirmList",
    ] {
        // The retired Basic-to-data method does not authenticate either.
        for authorization in [None, Some("Bearer garbage"), Some(basic_firm.as_str())] {
            let response = get(&h, path, authorization).await;
            api_error(response, StatusCode::UNAUTHORIZED).await;
        }
    }
}

#[tokio::test]
async fn public_tier_token_on_an_entitled_dataset_is_403_basic_credential() {
    let h = start_default().await;
    let bearer = format!("Bearer {}", h.token(PUBLIC_ID, PUBLIC_SECRET).await);
    for (group, name) in [(FIRM, PROFILE), ("registration", "brokerDealerFirmList")] {
        let response = get(
            &h,
            &format!("/data/group/{group}/name/{name}"),
            Some(&bearer),
        )
        .await;
        let message = api_error_message(response, StatusCode::FORBIDDEN).await;
        let named = message
            .strip_prefix("basic API credential cannot be used to access ")
            .and_then(|rest| rest.strip_suffix(" dataset"))
            .unwrap_or_else(|| panic!("FINRA's wording: {message}"));
        assert!(named.eq_ignore_ascii_case(name), "{message}");
    }
}

#[tokio::test]
async fn firm_token_reads_entitled_datasets() {
    let h = start_default().await;
    let token = h.token(FIRM_ID, FIRM_SECRET).await;
    for (group, name) in [(FIRM, PROFILE), ("registration", "brokerDealerFirmList")] {
        let page = h
            .page_as(group, name, &json!({"limit": 5}), Some(&token))
            .await;
        assert!(!page.rows.is_empty(), "{group}/{name} has rows");
        assert!(header_u64(&page.headers, "Record-Total") >= page.rows.len() as u64);
    }
}

#[tokio::test]
async fn the_bearer_scheme_name_is_case_insensitive() {
    // RFC 9110 §11.1: the authentication scheme is a case-insensitive token.
    let h = start_default().await;
    let token = h.token(FIRM_ID, FIRM_SECRET).await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let authorization = format!("{scheme} {token}");
        let response = get(
            &h,
            "/data/group/firm/name/firmProfile?limit=1",
            Some(&authorization),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn datasets_listing_hides_entitled_datasets_from_public_callers() {
    let h = start_default().await;
    let public_token = format!("Bearer {}", h.token(PUBLIC_ID, PUBLIC_SECRET).await);
    let firm_token = format!("Bearer {}", h.token(FIRM_ID, FIRM_SECRET).await);
    let firm_view = listed(&h, Some(&firm_token)).await;
    assert!(firm_view.contains(&("FIRM".to_owned(), "FIRMPROFILE".to_owned())));
    assert!(firm_view.contains(&("REGISTRATION".to_owned(), "BROKERDEALERFIRMLIST".to_owned())));
    for authorization in [None, Some("Bearer garbage"), Some(public_token.as_str())] {
        let view = listed(&h, authorization).await;
        assert!(view.contains(&("OTCMARKET".to_owned(), "WEEKLYSUMMARY".to_owned())));
        assert!(
            view.iter()
                .all(|(group, _)| group != "FIRM" && group != "REGISTRATION"),
            "{authorization:?} sees {view:?}"
        );
        let hidden: Vec<_> = firm_view.difference(&view).collect();
        assert!(
            hidden
                .iter()
                .all(|(group, _)| group == "FIRM" || group == "REGISTRATION"),
            "only entitled datasets are hidden: {hidden:?}"
        );
        assert!(view.is_subset(&firm_view));
    }
}

#[tokio::test]
async fn get_by_id_returns_the_rows_of_that_firm() {
    let h = start_default().await;
    let token = h.token(FIRM_ID, FIRM_SECRET).await;
    let bearer = format!("Bearer {token}");
    let rows = h
        .fetch_all_as(FIRM, PROFILE, &json!({}), Some(&token))
        .await;
    let crd = rows[0]["firmCRDNumber"].clone();
    assert!(crd.is_number(), "firmCRDNumber is a number: {crd}");
    let expected: Vec<&Value> = rows.iter().filter(|r| r["firmCRDNumber"] == crd).collect();
    let path = format!("/data/group/firm/name/firmProfile/id/{crd}");
    let response = get(&h, &path, Some(&bearer)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_u64(response.headers(), "Record-Total"),
        expected.len() as u64
    );
    let got: Vec<Value> = response.json().await.expect("JSON rows");
    assert_eq!(got.iter().collect::<Vec<_>>(), expected);

    let max_crd = rows
        .iter()
        .filter_map(|r| r["firmCRDNumber"].as_i64())
        .max()
        .expect("CRD numbers");
    let unknown = format!("/data/group/FIRM/name/FIRMPROFILE/id/{}", max_crd + 1);
    assert_eq!(
        get(&h, &unknown, Some(&bearer)).await.status(),
        StatusCode::NO_CONTENT
    );
    api_error(get(&h, &path, None).await, StatusCode::UNAUTHORIZED).await;
    let public = format!("Bearer {}", h.token(PUBLIC_ID, PUBLIC_SECRET).await);
    api_error(get(&h, &path, Some(&public)).await, StatusCode::FORBIDDEN).await;
    let no_ids = "/data/group/otcMarket/name/weeklySummary/id/123";
    api_error(get(&h, no_ids, None).await, StatusCode::NOT_FOUND).await;
}
