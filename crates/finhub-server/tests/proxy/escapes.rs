//! Paths that try to leave the route they name: backslashes, dot segments and encoded
//! separators in every spelling, on every route, with GET and POST, in-process and sent as-is
//! over a real connection. Each is the hub's own 404 (or 400) and FINRA is never called; a
//! property test over arbitrary paths checks that whatever does reach FINRA is exactly the
//! canonical path of the route the scope was checked on.

use axum::http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRng, TestRunner};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Call, Hub, Reply};

/// Escapes of the route `/data/group/otcMarket/name/{name}` and its siblings; every one would
/// reach another group, FINRA's token endpoint or its root if it were passed through.
const ESCAPES: [&str; 30] = [
    "/data/group/otcMarket/name/..\\..\\firm\\name\\firmProfile",
    "/data/group/otcMarket/name/..\\..\\..\\..\\fip\\rest\\ews\\oauth2\\access_token",
    "/data/group/otcMarket/name/..\\..\\..\\..\\",
    "/data/group/otcMarket/name/..%5C..%5Cfirm%5Cname%5CfirmProfile",
    "/data/group/otcMarket/name/..%5c..%5cfirm%5cname%5cfirmProfile",
    "/data/group/otcMarket/name/../../firm/name/firmProfile",
    "/data/group/otcMarket/name/%2e%2e/%2e%2e/firm/name/firmProfile",
    "/data/group/otcMarket/name/%2E%2E/%2E%2E/firm/name/firmProfile",
    "/data/group/otcMarket/name/.%2e/.%2E/firm/name/firmProfile",
    "/data/group/otcMarket/name/%252e%252e%255c%252e%252e%255cfirm",
    "/data/group/otcMarket/name/..%2F..%2Ffirm%2Fname%2FfirmProfile",
    "/data/group/otcMarket/name/..%2f..%2ffirm",
    "/data/group/otcMarket/name/./weeklySummary",
    "/data/group/otcMarket//name/weeklySummary",
    "/data/group/otcMarket/name/weeklySummary/",
    "/data/group/otcMarket/name/weekly%00Summary",
    "/data/group/otcMarket/name/weekly%0ASummary",
    "/data/group/otcMarket/name/weeklySummaré",
    "/data/group/otcMarket/name/weeklySummary;..\\..\\firm",
    "/data/group/otcMarket;x=1/name/weeklySummary",
    "/data/group/otcMarket/name/%77eeklySummary",
    "/metadata/group/otcMarket/name/..\\..\\firm\\name\\firmProfile",
    "/partitions/group/otcMarket/name/..%5C..%5Cfirm%5Cname%5CfirmProfile",
    "/data/group/otcMarket/name/weeklySummary/id/..\\..\\..\\firm",
    "/data/group/otcMarket/name/weeklySummary/id/%2e%2e",
    "/async-requests/group/otcMarket/name/weeklySummary/..\\..\\..\\x",
    "/async-requests/group/otcMarket/name/weeklySummary/a%2Fb",
    "/datasets/..\\data\\group\\firm\\name\\firmProfile",
    "/otcMarket\\..\\datasets",
    "/%64atasets",
];

fn snapshot(hub: &Hub) -> (std::collections::HashMap<(String, u16), u64>, u64) {
    (hub.counters().snapshot(), hub.counters().tokens_minted())
}

#[tokio::test(start_paused = true)]
async fn every_escape_is_404_and_finra_is_never_called() {
    let hub = Hub::builder().scope("finra:otcMarket").build().await;
    let tokens = hub.login_warm().await;
    let before = snapshot(&hub);
    for escape in ESCAPES {
        for (method, query) in [(Method::GET, "?limit=1"), (Method::POST, "")] {
            let uri = format!("/v1/finra{escape}{query}");
            let call = Call::new(method.clone(), &uri)
                .bearer(&tokens.session)
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .body(json!({"limit": 1}).to_string());
            let reply = hub.send(call).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}");
            reply.assert_error(404, "not_found");
        }
    }
    assert_eq!(snapshot(&hub), before, "FINRA was not called");
    // The same session still reads what its scope grants.
    let allowed = "/data/group/otcMarket/name/weeklySummary?limit=1";
    hub.send(hub.get(allowed, &tokens.session))
        .await
        .assert_ok();
    hub.assert_no_leaks().await;
}

/// Sends one request exactly as written (`curl --path-as-is`) over the hub's listener.
async fn send_as_is(hub: &Hub, request_line: &[u8], session: &str) -> String {
    let addr = hub.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut request = request_line.to_vec();
    request.extend_from_slice(
        format!(
            "\r\nHost: {addr}\r\nAuthorization: Bearer {session}\r\nAccept: application/json\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    socket.write_all(&request).await.expect("write");
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(start_paused = true)]
async fn escapes_sent_as_is_over_the_wire_never_reach_finra() {
    let hub = Hub::builder().scope("finra:otcMarket").build().await;
    let tokens = hub.login_warm().await;
    let before = snapshot(&hub);
    for escape in ESCAPES {
        for method in ["GET", "POST"] {
            let line = format!("{method} /v1/finra{escape}?limit=1 HTTP/1.1");
            let answer = send_as_is(&hub, line.as_bytes(), &tokens.session).await;
            assert!(
                answer.starts_with("HTTP/1.1 404 ") || answer.starts_with("HTTP/1.1 400 "),
                "{line}: {answer}"
            );
        }
    }
    // Raw control characters and non-UTF-8 bytes never make it past the HTTP parser.
    for line in [
        &b"GET /v1/finra/data/group/otcMarket/name/weekly\x01Summary HTTP/1.1"[..],
        b"GET /v1/finra/data/group/otcMarket/name/weekly\xffSummary HTTP/1.1",
        b"GET /v1/finra/data/group/otcMarket/name/weekly\x7fSummary HTTP/1.1",
    ] {
        let answer = send_as_is(&hub, line, &tokens.session).await;
        assert!(
            answer.starts_with("HTTP/1.1 404 ") || answer.starts_with("HTTP/1.1 400 "),
            "{}: {answer}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(snapshot(&hub), before, "FINRA was not called");
}

#[tokio::test(start_paused = true)]
async fn a_query_string_that_cannot_be_forwarded_as_is_is_400() {
    let hub = Hub::new().await;
    let tokens = hub.login_warm().await;
    let before = snapshot(&hub);
    let path = "/data/group/otcMarket/name/weeklySummary?limit=1&x=é";
    let reply = hub.send(hub.get(path, &tokens.session)).await;
    reply.assert_error(400, "invalid_request");
    assert_eq!(snapshot(&hub), before, "FINRA was not called");
}

/// What the test expects of a path under `/v1/finra`, worked out on its own: the canonical
/// path FINRA must see and the group the scope must be checked on, or nothing (the hub's 404).
fn expected_route(rest: &str) -> Option<(String, Option<String>)> {
    let name =
        |s: &str| (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let id = |s: &str| {
        (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let segments: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
    let group = match segments.as_slice() {
        ["datasets"] => None,
        ["data" | "metadata" | "partitions", "group", g, "name", n] if name(g) && name(n) => {
            Some(g)
        }
        ["data", "group", g, "name", n, "id", i] if name(g) && name(n) && id(i) => Some(g),
        ["async-requests", "group", g, "name", n, i] if name(g) && name(n) && id(i) => Some(g),
        _ => return None,
    };
    Some((rest.to_owned(), group.map(|g| (*g).to_owned())))
}

/// Whether the path is `/data/group/{group}/name/{name}` (the one route that takes POST).
fn is_data_route(rest: &str) -> bool {
    rest.starts_with("/data/") && rest.split('/').count() == 6
}

/// Pieces of paths: FINRA's words, names in and out of the scope, and every character that
/// has been used to escape a route.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "data", "group", "name", "id", "metadata", "partitions", "async-requests",
            "datasets", "otcMarket", "OTCMARKET", "firm", "weeklySummary", "firmProfile",
            "abc-1", "fip", "rest", "oauth2", "access_token",
        ])
        .prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "/", "/", "/", "\\", ".", "..", "%2e", "%2E", "%5C", "%5c", "%2F", "%25", ";",
            "-", "_", "é", "%00", "~", "?",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z0-9]{1,3}",
    ]
}

/// Arbitrary paths under `/v1/finra`: free sequences of pieces, and FINRA's route templates
/// with pieces in place of their parts (so that many are routes and many are near misses).
fn path_under_finra() -> impl Strategy<Value = String> {
    let free = prop::collection::vec(piece(), 0..16).prop_map(|p| format!("/{}", p.concat()));
    let part = || {
        prop_oneof![
            5 => prop::sample::select(vec!["otcMarket", "firm", "weeklySummary", "OtcMarket", "x1"])
                .prop_map(str::to_owned),
            1 => prop::collection::vec(piece(), 1..4).prop_map(|p| p.concat()),
        ]
    };
    let template = prop::sample::select(vec![
        "/datasets",
        "/data/group/{g}/name/{n}",
        "/data/group/{g}/name/{n}/id/{i}",
        "/metadata/group/{g}/name/{n}",
        "/partitions/group/{g}/name/{n}",
        "/async-requests/group/{g}/name/{n}/{i}",
    ]);
    let query = prop::sample::select(vec!["", "", "?limit=1", "?limit=1&x=%2e%2e\\", "?x=é"]);
    let templated = (template, part(), part(), part(), query).prop_map(|(t, g, n, i, q)| {
        format!(
            "{}{q}",
            t.replace("{g}", &g).replace("{n}", &n).replace("{i}", &i)
        )
    });
    prop_oneof![1 => free, 2 => templated]
}

/// Whatever the path, the answer is the hub's own 4xx without any upstream call, or FINRA was
/// called exactly once, on exactly the canonical path of the parsed route, whose group the
/// session's scope grants.
#[test]
fn arbitrary_paths_reach_finra_only_as_the_canonical_route() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let (hub, session) = runtime.block_on(async {
        let hub = Hub::builder()
            .scope("finra:otcMarket")
            .unpaced()
            .build()
            .await;
        let session = hub.login_warm().await.session;
        (hub, session)
    });
    // A fixed seed: the same 512 paths every run, so the coverage bounds below hold every time
    // (with a fresh seed per run, one run in many drew fewer than 50 forwardable paths).
    let config = ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = (path_under_finra(), prop::bool::ANY);
    let forwarded = std::cell::Cell::new(0_u32);
    let refused = std::cell::Cell::new(0_u32);
    let outcome = runner.run(&strategy, |(rest, post)| {
        let uri = format!("/v1/finra{rest}");
        // A path the HTTP layer itself refuses never reaches the router.
        if uri.parse::<axum::http::Uri>().is_err() {
            return Ok(());
        }
        let method = if post { Method::POST } else { Method::GET };
        runtime.block_on(async {
            let (path_only, query) = match uri.split_once('?') {
                Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
                None => (uri.clone(), None),
            };
            let before = hub.counters().snapshot();
            let call = Call::new(method.clone(), &uri)
                .bearer(&session)
                .header("accept", "application/json");
            let reply: Reply = hub.send(call).await;
            let after = hub.counters().snapshot();
            let upstream_calls: Vec<(&(String, u16), u64)> = after
                .iter()
                .map(|(key, count)| (key, count - before.get(key).copied().unwrap_or(0)))
                .filter(|(_, new)| *new > 0)
                .collect();
            let rest = path_only.strip_prefix("/v1/finra").unwrap_or_default();
            let envelope = serde_json::from_slice::<serde_json::Value>(&reply.body)
                .ok()
                .and_then(|body| body.get("requestId").cloned())
                .is_some();
            // What the hub must answer itself, in the order it decides, or FINRA's path.
            let own = match expected_route(rest) {
                None => Err(StatusCode::NOT_FOUND),
                Some(_) if method == Method::POST && !is_data_route(rest) => {
                    Err(StatusCode::METHOD_NOT_ALLOWED)
                }
                Some(_) if query.as_deref().is_some_and(|q| !q.is_ascii()) => {
                    Err(StatusCode::BAD_REQUEST)
                }
                Some((_, Some(group))) if !group.eq_ignore_ascii_case("otcMarket") => {
                    Err(StatusCode::FORBIDDEN)
                }
                Some((canonical, _)) => Ok(canonical),
            };
            match own {
                Err(status) => {
                    refused.set(refused.get() + 1);
                    prop_assert_eq!(reply.status, status, "{} {}: {}", method, uri, reply.text());
                    prop_assert!(envelope, "{method} {uri}: the hub's own envelope");
                    prop_assert!(
                        upstream_calls.is_empty(),
                        "{method} {uri}: {upstream_calls:?}"
                    );
                }
                Ok(canonical) => {
                    forwarded.set(forwarded.get() + 1);
                    prop_assert_eq!(
                        upstream_calls.len(),
                        1,
                        "{} {}: {:?}",
                        method,
                        uri,
                        upstream_calls
                    );
                    let ((path, status), count) = upstream_calls[0];
                    prop_assert_eq!(path, &canonical, "{}", uri);
                    prop_assert_eq!(count, 1);
                    prop_assert_eq!(reply.status.as_u16(), *status, "FINRA's status passed on");
                }
            }
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // Both sides of the property were exercised, many times.
    assert!(
        forwarded.get() >= 50 && refused.get() >= 50,
        "forwarded {}, refused {}",
        forwarded.get(),
        refused.get()
    );
}
