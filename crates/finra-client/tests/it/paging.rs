//! Downloads: every row exactly once (by `Record-Total`, through token expiry, past the maximum
//! offset, with unstable row order), 204s, pacing, CSV, and the caller's limit and offset.

use std::time::Duration;

use finra_client::{CompareOp, Direction, FinraError, Pacer, PagingConfig, Query, RetryPolicy};
use finra_emulator::{EmptyResult, RowOrder, Throttle};
use futures_util::{StreamExt, TryStreamExt};

use crate::support::*;

fn weekly() -> Query {
    Query::new("otcMarket", "weeklySummary")
}

/// Every row of `query` from a stable-order emulator: the reference multiset.
async fn reference_rows(query: Query) -> Vec<finra_client::Row> {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    all_rows(&client, query).await.expect("reference rows")
}

/// The header row and the records (sorted: a multiset in comparable form) of a CSV download.
async fn csv_lines(
    stream: impl futures_util::Stream<Item = Result<bytes::Bytes, FinraError>>,
) -> (String, Vec<String>) {
    let chunks: Vec<bytes::Bytes> = stream.try_collect().await.expect("csv");
    let text: String = chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().to_owned();
    let mut records: Vec<String> = lines.map(str::to_owned).collect();
    records.sort();
    (header, records)
}

#[tokio::test(start_paused = true)]
async fn a_download_delivers_record_total_rows_each_once() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = public_client(&emulator, &clock);
    let total = record_total(&client, &weekly()).await;
    let stream = client.stream_rows(weekly());
    let progress = stream.progress();
    let rows: Vec<_> = stream.try_collect().await.expect("rows");
    assert_eq!(rows.len() as u64, total);
    assert_eq!(progress.rows(), total);
    assert_eq!(progress.expected_rows(), Some(total));
    assert!(multiset(&rows).values().all(|&n| n == 1), "no row twice");
    let table_rows = emulator
        .emulator()
        .catalogue()
        .find("otcMarket", "weeklySummary")
        .expect("dataset")
        .table
        .len();
    assert_eq!(rows.len(), table_rows);
}

#[tokio::test(start_paused = true)]
async fn unstable_row_order_still_delivers_every_row_exactly_once() {
    let reference = multiset(&reference_rows(weekly()).await);

    let clock = clock();
    let emulator = spawn(config(&clock).with_row_order(RowOrder::Unstable)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(500_000, 1_000))
        .build()
        .expect("client");
    let rows = all_rows(&client, weekly()).await.expect("rows");
    assert_eq!(multiset(&rows), reference);

    // The naive offset loop the paging strategy exists to avoid: on the same emulator it misses
    // and repeats rows, so the comparison above is meaningful.
    let mut naive = Vec::new();
    let mut offset = 0;
    loop {
        let page = client
            .query_page(&weekly().limit(1_000).offset(offset))
            .await
            .expect("page");
        if page.rows.is_empty() {
            break;
        }
        offset += page.rows.len() as u64;
        naive.extend(page.rows);
    }
    assert_eq!(naive.len(), rows.len(), "same count…");
    assert_ne!(multiset(&naive), reference, "…but not the same rows");
}

#[tokio::test(start_paused = true)]
async fn a_query_past_the_maximum_offset_is_split_by_partition() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_max_offset(1_000)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(1_000, 500))
        .build()
        .expect("client");
    let total = record_total(&client, &weekly()).await;
    assert!(
        total > 2_000,
        "the test needs a result well past the maximum offset: {total}"
    );
    let rows = all_rows(&client, weekly()).await.expect("rows");
    assert_eq!(rows.len() as u64, total);
    assert!(multiset(&rows).values().all(|&n| n == 1));
    let counters = emulator.counters();
    assert_eq!(
        counters.responses("/partitions/group/otcMarket/name/weeklySummary", 200),
        1
    );
    assert_eq!(
        counters.responses_with_status(400),
        0,
        "no offset past the maximum was sent"
    );

    // A page past the maximum is refused before sending.
    let sent_before = counters.responses_under("/data/");
    let error = client
        .query_page(&weekly().offset(1_001))
        .await
        .expect_err("past the maximum offset");
    assert!(
        matches!(error, FinraError::InvalidQuery { .. }),
        "{error:?}"
    );
    assert_eq!(counters.responses_under("/data/"), sent_before);
}

#[tokio::test(start_paused = true)]
async fn filters_on_partition_fields_prune_the_slices() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(500_000, 100))
        .build()
        .expect("client");
    let partitions = client
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions");
    let weeks: Vec<&str> = partitions
        .available_partitions
        .iter()
        .map(|p| p.partitions[0].as_str())
        .collect();
    let (newest, oldest) = (weeks[0], weeks[weeks.len() - 1]);
    let query = weekly()
        .date_range("weekStartDate", oldest, newest)
        .domain("tierIdentifier", ["T1", "T2"]);
    let total = record_total(&client, &query).await;
    let data_before = emulator.counters().responses_under("/data/");
    let stream = client.stream_rows(query);
    let progress = stream.progress();
    let rows: Vec<_> = stream.try_collect().await.expect("rows");
    assert_eq!(rows.len() as u64, total);
    assert!(rows.iter().all(|r| r["tierIdentifier"] != "OTCE"));
    let requests = emulator.counters().responses_under("/data/") - data_before;
    assert_eq!(requests, progress.requests());
    let n_otce = partitions
        .available_partitions
        .iter()
        .filter(|p| p.partitions[1] == "OTCE")
        .count() as u64;
    assert!(n_otce > 0);
    let slices_asked = requests - 1;
    assert!(
        slices_asked <= partitions.available_partitions.len() as u64 - n_otce + total / 100 + 1,
        "OTCE slices were pruned: {slices_asked} requests"
    );
}

#[tokio::test(start_paused = true)]
async fn one_partition_larger_than_the_maximum_offset_is_an_invalid_query() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_max_offset(50)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(50, 20))
        .build()
        .expect("client");
    let partitions = client
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions");
    let first = &partitions.available_partitions[0].partitions;
    let slice = weekly()
        .compare("weekStartDate", CompareOp::Equal, &first[0])
        .compare("tierIdentifier", CompareOp::Equal, &first[1]);
    assert!(record_total(&client, &slice).await > 80);
    let error = all_rows(&client, slice).await.expect_err("too big");
    assert!(
        matches!(error, FinraError::InvalidQuery { .. }),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn token_expiry_mid_download_loses_and_repeats_no_row() {
    let reference = multiset(&reference_rows(weekly()).await);
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(60))).await;
    let client = builder(&emulator, &clock)
        .auth(public_auth())
        .paging(PagingConfig {
            page_size: 200,
            concurrency: 3,
            ..PagingConfig::default()
        })
        .build()
        .expect("client");
    let mut stream = client.stream_rows(weekly());
    let mut rows = Vec::new();
    let mut advanced = 0;
    while let Some(row) = stream.next().await {
        rows.push(row.expect("row"));
        if rows.len() % 2_000 == 0 {
            // Past the token's lifetime, with pages in flight.
            tokio::time::advance(Duration::from_secs(61)).await;
            advanced += 1;
        }
    }
    assert!(advanced >= 3);
    assert_eq!(multiset(&rows), reference);
    assert_eq!(emulator.counters().tokens_minted(), 1 + advanced);
}

#[tokio::test(start_paused = true)]
async fn no_content_is_zero_rows_not_an_error() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    let nothing = weekly().compare("tierIdentifier", CompareOp::Equal, "NO-SUCH-TIER");
    let page = client.query_page(&nothing).await.expect("204");
    assert_eq!((page.info.status, page.rows.len()), (204, 0));
    assert!(
        all_rows(&client, nothing.clone())
            .await
            .expect("no rows")
            .is_empty()
    );
    let csv: Vec<_> = client
        .stream_csv(nothing.clone())
        .try_collect()
        .await
        .expect("no text");
    assert!(csv.iter().all(bytes::Bytes::is_empty));
    assert_eq!(
        emulator
            .counters()
            .responses(&data_path("otcMarket", "weeklySummary"), 204),
        3
    );

    // FINRA's documented alternative: 200 with an empty array.
    let emulator = spawn(config(&clock).with_empty_result(EmptyResult::EmptyArray)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    assert!(
        all_rows(&client, nothing)
            .await
            .expect("no rows")
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn pacing_keeps_concurrent_fetches_under_finras_rate() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_throttle(Throttle::PerSecond(20))).await;
    let client = builder(&emulator, &clock)
        .pacer(Pacer::per_second(20))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..60u64)
        .map(|idx| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .query_page(&weekly().limit(10).offset(idx * 10))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("task")
            .expect("no 429 reaches the caller");
    }
    assert_eq!(emulator.counters().throttled(), 0);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "60 requests at 20/s take 2 s"
    );

    // A whole download with concurrent pages, through the same pacer.
    let rows = all_rows(&client, weekly()).await.expect("rows");
    assert_eq!(rows.len() as u64, record_total(&client, &weekly()).await);
    assert_eq!(emulator.counters().throttled(), 0);

    // Without the pacer the same burst is throttled: the throttle is real.
    let unpaced = builder(&emulator, &clock)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let client = unpaced.clone();
            tokio::spawn(async move { client.query_page(&weekly().limit(1)).await })
        })
        .collect();
    let mut limited = 0;
    for task in tasks {
        if let Err(FinraError::RateLimited { .. }) = task.await.expect("task") {
            limited += 1;
        }
    }
    assert!(limited > 0 && emulator.counters().throttled() > 0);
}

#[tokio::test(start_paused = true)]
async fn csv_downloads_have_one_header_and_every_record() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(500_000, 700))
        .build()
        .expect("client");
    let total = record_total(&client, &weekly()).await;
    let (header, records) = csv_lines(client.stream_csv(weekly())).await;
    assert!(header.contains("\"weekStartDate\""), "{header}");
    assert_eq!(records.len() as u64, total);
    assert!(!records.contains(&header), "the header appears once");
    let unique: std::collections::BTreeSet<&String> = records.iter().collect();
    assert_eq!(unique.len() as u64, total);
}

#[tokio::test(start_paused = true)]
async fn limit_and_offset_window_a_sorted_stream() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .paging(PagingConfig {
            page_size: 7,
            concurrency: 4,
            ..PagingConfig::default()
        })
        .build()
        .expect("client");
    let partitions = client
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions");
    let first = &partitions.available_partitions[0].partitions;
    let slice = weekly()
        .compare("weekStartDate", CompareOp::Equal, &first[0])
        .compare("tierIdentifier", CompareOp::Equal, &first[1])
        .sort("totalWeeklyShareQuantity", Direction::Descending);
    let all = all_rows(&client, slice.clone()).await.expect("rows");
    assert_eq!(all.len() as u64, record_total(&client, &slice).await);
    let volumes: Vec<f64> = all
        .iter()
        .map(|r| r["totalWeeklyShareQuantity"].as_f64().unwrap_or(f64::NAN))
        .collect();
    assert!(
        volumes.windows(2).all(|w| w[0] >= w[1]),
        "sorted descending across pages"
    );

    let window = all_rows(&client, slice.clone().offset(10).limit(15))
        .await
        .expect("window");
    assert_eq!(window, all[10..25]);
    let capped = all_rows(&client, weekly().limit(25)).await.expect("capped");
    assert_eq!(capped.len(), 25);

    // The same rows with one page in flight at a time: concurrency does not change the order.
    let sequential = builder(&emulator, &clock)
        .paging(PagingConfig {
            page_size: 7,
            concurrency: 1,
            ..PagingConfig::default()
        })
        .build()
        .expect("client");
    assert_eq!(all_rows(&sequential, slice).await.expect("rows"), all);
}

#[tokio::test(start_paused = true)]
async fn sorting_without_partition_filters_is_refused_before_sending() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    let query = weekly()
        .compare("tierIdentifier", CompareOp::Equal, "T1")
        .sort("MPID", Direction::Ascending);
    let error = client.query_page(&query).await.expect_err("refused");
    let FinraError::InvalidQuery { message } = &error else {
        panic!("expected InvalidQuery, got {error:?}");
    };
    assert!(message.contains("weekStartDate"), "{message}");
    let error = all_rows(&client, query).await.expect_err("refused");
    assert!(
        matches!(error, FinraError::InvalidQuery { .. }),
        "{error:?}"
    );
    assert_eq!(
        emulator.counters().responses_under("/data/"),
        0,
        "nothing was sent"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dataset_without_partitions_is_paged_sorted_by_all_fields() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_row_order(RowOrder::Unstable)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .paging(paging(500_000, 30))
        .build()
        .expect("client");
    let query = Query::new("firm", "firmProfile");
    let rows = all_rows(&client, query.clone()).await.expect("rows");
    assert_eq!(rows.len() as u64, record_total(&client, &query).await);
    assert!(multiset(&rows).values().all(|&n| n == 1));
}

#[tokio::test(start_paused = true)]
async fn typed_records_decode_every_row_of_the_popular_datasets() {
    use finra_client::records::{
        ConsolidatedShortInterest, MonthlySummary, Record, RegShoDaily, ThresholdList,
        WeeklySummary,
    };
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");

    async fn count<T: Record + Send + 'static>(
        client: &finra_client::FinraClient,
    ) -> (u64, Vec<T>) {
        let records: Vec<T> = client
            .stream_records(T::query())
            .try_collect()
            .await
            .expect("decodes");
        (record_total(client, &T::query()).await, records)
    }
    let (total, weekly) = count::<WeeklySummary>(&client).await;
    assert_eq!(weekly.len() as u64, total);
    assert!(
        weekly
            .iter()
            .all(|r| r.week_start_date.is_some() && r.tier_identifier.is_some())
    );
    let (total, regsho) = count::<RegShoDaily>(&client).await;
    assert_eq!(regsho.len() as u64, total);
    assert!(regsho.iter().all(|r| r.total_par_quantity.is_some()));
    let (total, short) = count::<ConsolidatedShortInterest>(&client).await;
    assert_eq!(short.len() as u64, total);
    assert!(
        short
            .iter()
            .any(|r| r.days_to_cover_quantity.is_some_and(|d| d.fract() != 0.0))
    );
    let (total, threshold) = count::<ThresholdList>(&client).await;
    assert_eq!(threshold.len() as u64, total);
    let (total, monthly) = count::<MonthlySummary>(&client).await;
    assert_eq!(monthly.len() as u64, total);
}

#[tokio::test(start_paused = true)]
async fn raw_rows_are_the_same_rows_as_json_text() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(500_000, 900))
        .build()
        .expect("client");
    let rows = all_rows(&client, weekly()).await.expect("rows");
    let raw: Vec<finra_client::RawRow> = client
        .stream_raw_rows(weekly())
        .try_collect()
        .await
        .expect("raw rows");
    assert!(
        raw.iter()
            .all(|r| r.get().starts_with('{') && !r.get().contains('\n'))
    );
    let decoded: Vec<finra_client::Row> = raw
        .iter()
        .map(|r| serde_json::from_str(r.get()).expect("valid json"))
        .collect();
    assert_eq!(decoded, rows, "same rows, same order");
}

#[tokio::test(start_paused = true)]
async fn an_unsorted_pass_without_repeats_fills_every_page() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(500_000, 1_000))
        .build()
        .expect("client");
    let total = record_total(&client, &weekly()).await;
    let slices = client
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions")
        .available_partitions
        .len() as u64;
    assert!(
        total > 1_000 && slices > 1,
        "the test needs a split download"
    );
    let stream = client.stream_rows(weekly());
    let progress = stream.progress();
    let rows: Vec<_> = stream.try_collect().await.expect("rows");
    assert_eq!(rows.len() as u64, total);
    assert!(multiset(&rows).values().all(|&n| n == 1), "no row twice");
    // Full pages: one request per 1 000 rows, plus the probe and one short page per group of
    // slices (one group per tier here), far fewer than one per partition slice.
    let tiers = 3;
    assert!(
        progress.requests() <= 1 + total.div_ceil(1_000) + tiers,
        "{} requests for {total} rows",
        progress.requests()
    );
    assert!(progress.requests() * 2 < slices, "{slices} slices");
}

#[tokio::test(start_paused = true)]
async fn identical_rows_make_the_unsorted_pass_fall_back_with_their_counts_kept() {
    // Only the partition fields: every row of a slice is the same row.
    let projected = weekly().fields(["weekStartDate", "tierIdentifier"]);
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .paging(paging(500_000, 1_000))
        .build()
        .expect("client");
    let full = all_rows(&client, weekly()).await.expect("rows");
    let mut expected = std::collections::BTreeMap::new();
    for row in &full {
        let key = (
            row["weekStartDate"].to_string(),
            row["tierIdentifier"].to_string(),
        );
        *expected.entry(key).or_insert(0_usize) += 1;
    }
    let rows = all_rows(&client, projected).await.expect("projected rows");
    let mut counted = std::collections::BTreeMap::new();
    for row in &rows {
        assert_eq!(row.len(), 2, "{row:?}");
        let key = (
            row["weekStartDate"].to_string(),
            row["tierIdentifier"].to_string(),
        );
        *counted.entry(key).or_insert(0_usize) += 1;
    }
    assert_eq!(counted, expected, "every slice's rows, as many as it has");
}

#[tokio::test(start_paused = true)]
async fn unstable_order_csv_downloads_still_have_every_record_once() {
    let clock = clock();
    let stable = spawn(config(&clock)).await;
    let client = builder(&stable, &clock)
        .paging(paging(500_000, 700))
        .build()
        .expect("client");
    let (reference_header, reference) = csv_lines(client.stream_csv(weekly())).await;

    let unstable = spawn(config(&clock).with_row_order(RowOrder::Unstable)).await;
    let client = builder(&unstable, &clock)
        .paging(paging(500_000, 700))
        .build()
        .expect("client");
    let stream = client.stream_csv(weekly());
    let progress = stream.progress();
    let (header, records) = csv_lines(stream).await;
    assert_eq!(header, reference_header);
    assert_eq!(records, reference, "the same records, each as often");
    assert!(
        progress.requests() > (reference.len() as u64).div_ceil(700),
        "the unsorted pass met a repeat and fell back to sorted slices"
    );
}
