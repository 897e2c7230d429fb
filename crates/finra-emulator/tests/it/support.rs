//! Shared helpers: start an emulator with a test config, one reqwest client per test, calls to
//! the Query API and the token service, and the checks every test repeats (FINRA's JSON error
//! shape, paging headers).

use finra_emulator::{Credential, EmulatorConfig, RunningEmulator, Throttle, Tier, spawn};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

/// The demo credential ([`Credential::demo`]), a `public` one.
pub(crate) const PUBLIC_ID: &str = "demo-client";
pub(crate) const PUBLIC_SECRET: &str = "demo-secret";
/// A `firm` credential every test config also accepts.
pub(crate) const FIRM_ID: &str = "firm-client";
pub(crate) const FIRM_SECRET: &str = "firm-secret";

pub(crate) const OTC: &str = "otcMarket";
pub(crate) const WEEKLY: &str = "weeklySummary";
pub(crate) const REG_SHO: &str = "regShoDaily";

/// The paging headers FINRA sends on every 200 data page.
pub(crate) const PAGING_HEADERS: [&str; 7] = [
    "Record-Total",
    "Record-Offset",
    "Record-Limit",
    "Record-Max-Limit",
    "Total-Records-On-Page",
    "Response-Payload-Max-Size",
    "FINRA-api-request-id",
];

/// FINRA's behaviour with a public and a firm credential, but no throttle: most tests page
/// through data with many calls, and the throttle has its own tests.
pub(crate) fn config() -> EmulatorConfig {
    EmulatorConfig::default()
        .with_credentials([
            Credential::demo(),
            Credential::new(FIRM_ID, FIRM_SECRET, Tier::Firm),
        ])
        .with_throttle(Throttle::Off)
}

/// A client without the connection pool's idle timer, so that tests running on tokio's paused
/// clock see no timer but their own (an idle timer would make paused time jump ahead).
pub(crate) fn client() -> Client {
    Client::builder()
        .pool_idle_timeout(None)
        .build()
        .expect("build a reqwest client")
}

/// A running emulator and a client for it.
pub(crate) struct Harness {
    pub(crate) emulator: RunningEmulator,
    pub(crate) http: Client,
}

/// Starts an emulator with `config`.
pub(crate) async fn start(config: EmulatorConfig) -> Harness {
    let emulator = spawn(config).await.expect("start the emulator");
    Harness {
        emulator,
        http: client(),
    }
}

/// Starts an emulator with [`config`].
pub(crate) async fn start_default() -> Harness {
    start(config()).await
}

impl Harness {
    /// An absolute URL for a path of the Query API.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    /// `/data/group/{group}/name/{name}`.
    pub(crate) fn data_url(&self, group: &str, name: &str) -> String {
        self.url(&format!("/data/group/{group}/name/{name}"))
    }

    /// Mints a token the way most clients do (query-string grant, empty body, Basic auth).
    pub(crate) async fn token(&self, id: &str, secret: &str) -> String {
        let response = self
            .http
            .post(self.emulator.token_url())
            .query(&[("grant_type", "client_credentials")])
            .basic_auth(id, Some(secret))
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), StatusCode::OK, "minting a token");
        let body: Value = response.json().await.expect("token JSON");
        body["access_token"]
            .as_str()
            .expect("access_token is a string")
            .to_owned()
    }

    /// POSTs a JSON data request asking for JSON, with an optional Bearer token.
    pub(crate) async fn post_as(
        &self,
        group: &str,
        name: &str,
        body: &Value,
        bearer: Option<&str>,
    ) -> Response {
        let mut request = self
            .http
            .post(self.data_url(group, name))
            .header(ACCEPT, "application/json")
            .json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("data request")
    }

    /// POSTs a JSON data request anonymously, asking for JSON.
    pub(crate) async fn post(&self, group: &str, name: &str, body: &Value) -> Response {
        self.post_as(group, name, body, None).await
    }

    /// One page of rows: 200 with its rows and headers, or 204 as no rows.
    pub(crate) async fn page(&self, group: &str, name: &str, body: &Value) -> Page {
        self.page_as(group, name, body, None).await
    }

    /// [`Harness::page`] with an optional Bearer token.
    pub(crate) async fn page_as(
        &self,
        group: &str,
        name: &str,
        body: &Value,
        bearer: Option<&str>,
    ) -> Page {
        let response = self.post_as(group, name, body, bearer).await;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("data body");
        match status {
            StatusCode::NO_CONTENT => {
                assert!(text.is_empty(), "a 204 has an empty body: {text:?}");
                Page {
                    headers,
                    rows: Vec::new(),
                }
            }
            StatusCode::OK => {
                let rows: Vec<Value> = serde_json::from_str(&text).expect("a JSON array of rows");
                assert_eq!(
                    header_u64(&headers, "Total-Records-On-Page"),
                    rows.len() as u64,
                    "Total-Records-On-Page counts the rows of the page"
                );
                Page { headers, rows }
            }
            other => panic!("data request {body} answered {other}: {text}"),
        }
    }

    /// Every row matching `body`'s filters, paged by `Record-Total` with 5 000-row pages (the
    /// offset advances by the rows actually received).
    pub(crate) async fn fetch_all(&self, group: &str, name: &str, body: &Value) -> Vec<Value> {
        self.fetch_all_as(group, name, body, None).await
    }

    /// [`Harness::fetch_all`] with an optional Bearer token.
    pub(crate) async fn fetch_all_as(
        &self,
        group: &str,
        name: &str,
        body: &Value,
        bearer: Option<&str>,
    ) -> Vec<Value> {
        let mut rows = Vec::new();
        loop {
            let mut request = body.clone();
            request["limit"] = json!(5_000);
            request["offset"] = json!(rows.len());
            let page = self.page_as(group, name, &request, bearer).await;
            if page.rows.is_empty() {
                assert!(
                    rows.is_empty(),
                    "a page inside Record-Total came back empty"
                );
                return rows;
            }
            let total = header_u64(&page.headers, "Record-Total");
            rows.extend(page.rows);
            if rows.len() as u64 >= total {
                assert_eq!(rows.len() as u64, total, "paging overshot Record-Total");
                return rows;
            }
        }
    }

    /// `Record-Total` of a request (0 for a 204).
    pub(crate) async fn record_total(&self, group: &str, name: &str, body: &Value) -> u64 {
        let mut request = body.clone();
        request["limit"] = json!(1);
        let page = self.page(group, name, &request).await;
        if page.rows.is_empty() {
            0
        } else {
            header_u64(&page.headers, "Record-Total")
        }
    }

    /// The partitions `/partitions` lists, newest first, each as its positional values.
    pub(crate) async fn partitions(&self, group: &str, name: &str) -> Vec<Vec<String>> {
        let response = self
            .http
            .get(self.url(&format!("/partitions/group/{group}/name/{name}")))
            .send()
            .await
            .expect("partitions request");
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("partitions JSON");
        body["availablePartitions"]
            .as_array()
            .expect("availablePartitions is an array")
            .iter()
            .map(|item| {
                item["partitions"]
                    .as_array()
                    .expect("partitions is an array")
                    .iter()
                    .map(|v| v.as_str().expect("partition values are strings").to_owned())
                    .collect()
            })
            .collect()
    }

    /// The newest weeklySummary partition of tier `tier`, as `(weekStartDate, tier)`.
    pub(crate) async fn weekly_partition(&self, tier: &str) -> (String, String) {
        self.partitions(OTC, WEEKLY)
            .await
            .into_iter()
            .find(|p| p[1] == tier)
            .map(|p| (p[0].clone(), p[1].clone()))
            .unwrap_or_else(|| panic!("weeklySummary has a {tier} partition"))
    }

    /// Asserts that no response so far was a 500.
    pub(crate) fn assert_no_500(&self) {
        assert_eq!(
            self.emulator.counters().responses_with_status(500),
            0,
            "responses so far: {:?}",
            self.emulator.counters().snapshot()
        );
    }
}

/// One page of JSON rows and its headers.
pub(crate) struct Page {
    pub(crate) headers: HeaderMap,
    pub(crate) rows: Vec<Value>,
}

/// `compareFilters` entries: EQUAL on each `(field, value)`.
pub(crate) fn equal_filters(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(field, value)| {
                json!({"fieldName": field, "fieldValue": value, "compareType": "EQUAL"})
            })
            .collect(),
    )
}

/// A request body for one weeklySummary partition.
pub(crate) fn weekly_partition_body(week: &str, tier: &str) -> Value {
    json!({
        "compareFilters": equal_filters(&[("weekStartDate", week), ("tierIdentifier", tier)]),
    })
}

/// A header parsed as an integer.
pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> u64 {
    header_str(headers, name)
        .parse()
        .unwrap_or_else(|_| panic!("header {name} is an integer"))
}

/// A header as text (panics when absent).
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("header {name} is present in {headers:?}"))
        .to_str()
        .expect("header is ASCII")
}

/// Asserts a FINRA error answer: this status, a JSON body with `statusCode`,
/// `statusDescription`, `requestId` (equal to the `FINRA-api-request-id` header) and `message`.
/// Returns the body.
pub(crate) async fn api_error(response: Response, status: StatusCode) -> Value {
    let headers = response.headers().clone();
    let actual = response.status();
    let text = response.text().await.expect("error body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "errors are JSON, got Content-Type {content_type:?}: {text}"
    );
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("error body is JSON ({e}): {text}"));
    assert_eq!(body["statusCode"], json!(status.as_u16()), "{body}");
    assert_eq!(
        body["statusDescription"],
        json!(status.canonical_reason().expect("a standard status")),
        "{body}"
    );
    let request_id = header_str(&headers, "FINRA-api-request-id");
    assert_eq!(body["requestId"], json!(request_id), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "the error has a message: {body}"
    );
    body
}

/// [`api_error`], returning only the message.
pub(crate) async fn api_error_message(response: Response, status: StatusCode) -> String {
    let body = api_error(response, status).await;
    body["message"].as_str().unwrap_or_default().to_owned()
}

/// Each row serialised, sorted: equal for two row lists holding the same rows in any order.
pub(crate) fn multiset(rows: &[Value]) -> Vec<String> {
    let mut serialised: Vec<String> = rows.iter().map(Value::to_string).collect();
    serialised.sort_unstable();
    serialised
}

/// A JSON value as a CSV cell renders it: strings bare, numbers as written, null empty.
pub(crate) fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
