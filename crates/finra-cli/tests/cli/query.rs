//! `finra query`: every row exactly once, in each format, to stdout or a file; flags mapped to
//! FINRA's filters; exit 2 for bad flags, 1 for FINRA's refusals.

use std::time::Duration;

use finra_client::{Auth, CompareOp, Credentials, Direction, Query, TokenManager};

use crate::support::{
    FIRM_ID, FIRM_SECRET, Finra, canonical, client, config, emulator, ndjson_rows,
    newest_partition, rows, spawn,
};

/// Every row of tier T1 as NDJSON.
const T1_AS_NDJSON: [&str; 7] = [
    "query",
    "otcMarket/weeklySummary",
    "--filter",
    "tierIdentifier = T1",
    "--all",
    "--format",
    "ndjson",
];

/// `Record-Total` of tier T1, asked directly.
async fn t1_total(emulator: &finra_emulator::RunningEmulator) -> u64 {
    let query = Query::new("otcMarket", "weeklySummary")
        .compare("tierIdentifier", CompareOp::Equal, "T1")
        .limit(1);
    client(emulator, Auth::Anonymous)
        .query_page(&query)
        .await
        .expect("page")
        .info
        .record_total
        .expect("Record-Total")
}

#[tokio::test]
async fn all_rows_of_one_tier_as_ndjson_match_record_total() {
    let emulator = emulator().await;
    let total = t1_total(&emulator).await;
    assert!(total > 1_000, "several pages: {total}");
    let out = Finra::at(&emulator).run(&T1_AS_NDJSON).await;
    out.expect_code(0);
    let written = ndjson_rows(&out.stdout);
    assert_eq!(written.len() as u64, total);
    assert!(written.iter().all(|row| row["tierIdentifier"] == "T1"));
    let expected = rows(
        &emulator,
        Query::new("otcMarket", "weeklySummary").compare("tierIdentifier", CompareOp::Equal, "T1"),
    )
    .await;
    assert_eq!(
        canonical(&written),
        canonical(&expected),
        "every row exactly once"
    );
    // Without credentials the run is anonymous, and says so.
    assert!(out.stderr.contains("running anonymously"), "{}", out.stderr);
}

#[tokio::test]
async fn pages_come_compressed_unless_no_compression_is_given() {
    let emulator = emulator().await;
    let args = T1_AS_NDJSON;
    let counters = emulator.counters();
    let pages = || counters.responses("/data/group/otcMarket/name/weeklySummary", 200);
    let compressed = Finra::at(&emulator).run(&args).await;
    compressed.expect_code(0);
    let pages_sent = pages();
    assert!(pages_sent >= 1, "{pages_sent}");
    assert_eq!(counters.pages_compressed(), pages_sent, "every page gzip");

    let mut uncompressed_args = vec!["--no-compression"];
    uncompressed_args.extend(args);
    let plain = Finra::at(&emulator).run(&uncompressed_args).await;
    plain.expect_code(0);
    assert_eq!(pages(), 2 * pages_sent);
    assert_eq!(counters.pages_compressed(), pages_sent, "no page gzip");
    assert_eq!(
        canonical(&ndjson_rows(&plain.stdout)),
        canonical(&ndjson_rows(&compressed.stdout))
    );
}

#[tokio::test]
async fn csv_to_a_file_has_one_header_and_leaves_no_temporary_file() {
    let emulator = emulator().await;
    let total = t1_total(&emulator).await;
    let out = Finra::at(&emulator)
        .credentials()
        .run(&[
            "query",
            "otcMarket/weeklySummary",
            "--filter",
            "tierIdentifier=T1",
            "--all",
            "--format",
            "csv",
            "--out",
            "t1.csv",
        ])
        .await;
    out.expect_code(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(out.dir.files(), ["t1.csv"], "no temporary file left");
    let csv = std::fs::read_to_string(out.dir.path().join("t1.csv")).expect("written");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len() as u64, total + 1, "one header and every row");
    assert!(lines[0].starts_with("\"weekStartDate\""), "{}", lines[0]);
    assert_eq!(
        lines.iter().filter(|l| **l == lines[0]).count(),
        1,
        "one header"
    );
    assert_eq!(emulator.counters().tokens_minted(), 1);
}

#[tokio::test]
async fn a_failed_download_leaves_an_existing_file_alone() {
    let emulator = emulator().await;
    let finra = Finra::at(&emulator);
    std::fs::write(finra.dir().join("out.ndjson"), "previous\n").expect("written");
    let out = finra
        .run(&[
            "query",
            "otcMarket/weeklySummary",
            "--filter",
            "noSuchField = 1",
            "--format",
            "ndjson",
            "--out",
            "out.ndjson",
        ])
        .await;
    out.expect_code(1);
    assert_eq!(out.dir.files(), ["out.ndjson"]);
    let kept = std::fs::read_to_string(out.dir.path().join("out.ndjson")).expect("read");
    assert_eq!(kept, "previous\n");
}

#[tokio::test]
async fn json_limit_past_one_page_is_one_array() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .run(&[
            "query",
            "otcMarket/weeklySummary",
            "--limit",
            "6000",
            "--format",
            "json",
        ])
        .await;
    out.expect_code(0);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).expect("a JSON array");
    assert_eq!(rows.len(), 6_000);
    assert!(!out.stderr.contains("default limit"), "{}", out.stderr);

    // Without --limit or --all: FINRA's default page size, and a note saying so.
    let out = Finra::at(&emulator)
        .run(&["query", "otcMarket/weeklySummary", "--format", "ndjson"])
        .await;
    out.expect_code(0);
    assert_eq!(out.stdout.lines().count(), 1_000);
    assert!(out.stderr.contains("the default limit"), "{}", out.stderr);
}

#[tokio::test]
async fn filters_and_sorts_map_to_the_same_query_as_the_library() {
    let emulator = emulator().await;
    let (week, tier) = newest_partition(&emulator).await;
    let out = Finra::at(&emulator)
        .run(&[
            "query",
            "otcMarket/weeklySummary",
            "--filter",
            &format!("weekStartDate = {week}"),
            "--filter",
            &format!("tierIdentifier = {tier}"),
            "--filter",
            "totalWeeklyShareQuantity >= 1000",
            "--filter",
            "MPID != JPBX",
            "--in",
            "summaryTypeCode=ATS_W_SMBL_FIRM,OTC_W_SMBL_FIRM",
            "--date-range",
            "lastUpdateDate:2000-01-01:2100-12-31",
            "--fields",
            "MPID,issueSymbolIdentifier,totalWeeklyShareQuantity,summaryTypeCode",
            "--sort",
            "-totalWeeklyShareQuantity",
            "--sort",
            "MPID",
            "--all",
            "--format",
            "ndjson",
        ])
        .await;
    out.expect_code(0);
    let query = Query::new("otcMarket", "weeklySummary")
        .compare("weekStartDate", CompareOp::Equal, &week)
        .compare("tierIdentifier", CompareOp::Equal, &tier)
        .compare("totalWeeklyShareQuantity", CompareOp::Gte, 1000)
        .compare("MPID", CompareOp::NotEqual, "JPBX")
        .domain("summaryTypeCode", ["ATS_W_SMBL_FIRM", "OTC_W_SMBL_FIRM"])
        .date_range("lastUpdateDate", "2000-01-01", "2100-12-31")
        .fields([
            "MPID",
            "issueSymbolIdentifier",
            "totalWeeklyShareQuantity",
            "summaryTypeCode",
        ])
        .sort("totalWeeklyShareQuantity", Direction::Descending)
        .sort("MPID", Direction::Ascending);
    let expected = rows(&emulator, query.clone()).await;
    let written = ndjson_rows(&out.stdout);
    assert!(written.len() > 10, "a meaningful sample: {}", written.len());
    assert_eq!(written, expected, "same rows in the same (sorted) order");
    assert!(written.iter().all(|r| r["MPID"] != "JPBX"));
    let quantities: Vec<f64> = written
        .iter()
        .map(|r| r["totalWeeklyShareQuantity"].as_f64().expect("number"))
        .collect();
    assert!(quantities.windows(2).all(|w| w[0] >= w[1]), "descending");

    // --offset and --limit pick the same window of the sorted result.
    let out = Finra::at(&emulator)
        .run(&[
            "query",
            "otcMarket/weeklySummary",
            "--filter",
            &format!("weekStartDate = {week}"),
            "--filter",
            &format!("tierIdentifier = {tier}"),
            "--sort",
            "-totalWeeklyShareQuantity",
            "--offset",
            "5",
            "--limit",
            "4",
            "--format",
            "json",
        ])
        .await;
    out.expect_code(0);
    let window: Vec<finra_client::Row> = serde_json::from_str(&out.stdout).expect("JSON array");
    let all = rows(
        &emulator,
        Query::new("otcMarket", "weeklySummary")
            .compare("weekStartDate", CompareOp::Equal, &week)
            .compare("tierIdentifier", CompareOp::Equal, &tier)
            .sort("totalWeeklyShareQuantity", Direction::Descending),
    )
    .await;
    assert_eq!(window, all[5..9]);
}

#[tokio::test]
async fn bad_flags_are_usage_errors() {
    let emulator = emulator().await;
    let cases: [&[&str]; 8] = [
        &[
            "query",
            "otcMarket/weeklySummary",
            "--filter",
            "tierIdentifier ~ T1",
        ],
        &[
            "query",
            "otcMarket/weeklySummary",
            "--filter",
            "tierIdentifier =",
        ],
        &["query", "otcMarket/weeklySummary", "--limit", "5", "--all"],
        &["query", "otcMarket/weeklySummary", "--format", "xml"],
        &[
            "query",
            "otcMarket/weeklySummary",
            "--date-range",
            "weekStartDate:2026-01-05",
        ],
        &["query", "otcMarket/weeklySummary", "--in", "tierIdentifier"],
        &["query", "weeklySummary"],
        &["query", "otcMarket/weeklySummary", "--bogus"],
    ];
    for args in cases {
        let out = Finra::at(&emulator).run(args).await;
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains("error:"), "{args:?}: {}", out.stderr);
    }
    assert_eq!(emulator.counters().total_responses(), 0, "nothing was sent");
}

#[tokio::test]
async fn finras_400_exits_1_with_finras_message() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .run(&[
            "query",
            "otcMarket/weeklySummary",
            "--filter",
            "noSuchField = 1",
        ])
        .await;
    out.expect_code(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("FINRA refused the request (400)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("noSuchField"), "{}", out.stderr);
    assert!(
        out.stderr.contains("not available in this dataset"),
        "{}",
        out.stderr
    );

    // A sort FINRA would refuse is caught before sending, also exit 1.
    let out = Finra::at(&emulator)
        .run(&["query", "otcMarket/weeklySummary", "--sort", "MPID"])
        .await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("needs an EQUAL compare filter"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn the_bearer_token_is_sent_as_given() {
    let emulator = emulator().await;
    // A garbage token on an entitled dataset: 401, with a hint about the variable.
    let out = Finra::at(&emulator)
        .credentials()
        .env("FINRA_BEARER_TOKEN", "not-a-real-token")
        .run(&["query", "firm/firmProfile", "--limit", "1"])
        .await;
    out.expect_code(1);
    assert!(out.stderr.contains("401 Unauthorized"), "{}", out.stderr);
    assert!(out.stderr.contains("FINRA_BEARER_TOKEN"), "{}", out.stderr);
    assert_eq!(
        emulator.counters().tokens_minted(),
        0,
        "the bearer token wins over the credentials"
    );

    // A real firm token given as FINRA_BEARER_TOKEN opens the entitled dataset.
    let token = TokenManager::builder(Credentials::new(FIRM_ID, FIRM_SECRET))
        .token_url(emulator.token_url())
        .build()
        .expect("manager")
        .mint_now()
        .await
        .expect("minted");
    let out = Finra::at(&emulator)
        .env(
            "FINRA_BEARER_TOKEN",
            finra_client::ExposeSecret::expose_secret(token.secret()),
        )
        .run(&[
            "query",
            "firm/firmProfile",
            "--limit",
            "3",
            "--format",
            "ndjson",
        ])
        .await;
    out.expect_code(0);
    assert_eq!(out.stdout.lines().count(), 3);
    assert_eq!(
        emulator.counters().tokens_minted(),
        1,
        "only the test minted"
    );
}

#[tokio::test]
async fn an_expired_bearer_token_is_refused_with_a_clear_message() {
    let emulator = spawn(config().with_token_ttl(Duration::from_secs(1))).await;
    let token = TokenManager::builder(Credentials::new(FIRM_ID, FIRM_SECRET))
        .token_url(emulator.token_url())
        .build()
        .expect("manager")
        .mint_now()
        .await
        .expect("minted");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let out = Finra::at(&emulator)
        .env(
            "FINRA_BEARER_TOKEN",
            finra_client::ExposeSecret::expose_secret(token.secret()),
        )
        .run(&["query", "otcMarket/weeklySummary", "--limit", "1"])
        .await;
    out.expect_code(1);
    assert!(out.stderr.contains("401 Unauthorized"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the token in FINRA_BEARER_TOKEN was refused: it expired"),
        "{}",
        out.stderr
    );
}
