//! `finra datasets`, `metadata` and `partitions`: tables for people, JSON for programs.

use crate::support::{Finra, emulator};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("JSON output")
}

#[tokio::test]
async fn datasets_json_lists_the_public_catalogue() {
    let emulator = emulator().await;
    // Global options go before the subcommand.
    let out = Finra::at(&emulator)
        .run(&["--timeout", "5", "datasets", "--json"])
        .await;
    out.expect_code(0);
    let value = json(&out.stdout);
    let datasets = value["datasets"].as_array().expect("datasets array");
    assert!(
        datasets
            .iter()
            .any(|d| d["group"] == "OTCMARKET" && d["name"] == "WEEKLYSUMMARY")
    );
    assert!(
        datasets.iter().all(|d| d["securityLevel"] == "PUBLIC"),
        "anonymous callers see public datasets only"
    );

    let table = Finra::at(&emulator).run(&["datasets"]).await;
    table.expect_code(0);
    assert!(table.stdout.starts_with("GROUP"), "{}", table.stdout);
    assert!(table.stdout.contains("WEEKLYSUMMARY"), "{}", table.stdout);
}

#[tokio::test]
async fn metadata_json_has_fields_and_partition_fields() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .credentials()
        .run(&["metadata", "otcMarket/weeklySummary", "--json"])
        .await;
    out.expect_code(0);
    let value = json(&out.stdout);
    assert_eq!(
        value["partitionFields"],
        serde_json::json!(["weekStartDate", "tierIdentifier"])
    );
    let fields = value["fields"].as_array().expect("fields");
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "MPID" && f["type"] == "String")
    );

    let table = Finra::at(&emulator)
        .run(&["metadata", "otcMarket/weeklySummary"])
        .await;
    table.expect_code(0);
    assert!(
        table
            .stdout
            .contains("partition fields: weekStartDate, tierIdentifier"),
        "{}",
        table.stdout
    );

    let missing = Finra::at(&emulator)
        .run(&["metadata", "otcMarket/noSuchDataset"])
        .await;
    missing.expect_code(1);
    assert!(
        missing.stderr.contains("not found (404)"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn partitions_json_lists_newest_first() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .run(&["partitions", "otcMarket/weeklySummary", "--json"])
        .await;
    out.expect_code(0);
    let value = json(&out.stdout);
    let available = value["availablePartitions"].as_array().expect("partitions");
    assert!(!available.is_empty());
    let weeks: Vec<&str> = available
        .iter()
        .map(|p| {
            let values = p["partitions"].as_array().expect("values");
            assert_eq!(values.len(), 2);
            values[0].as_str().expect("week")
        })
        .collect();
    assert!(weeks.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let table = Finra::at(&emulator)
        .run(&["partitions", "otcMarket/weeklySummary"])
        .await;
    table.expect_code(0);
    assert!(
        table.stdout.starts_with("weekStartDate  tierIdentifier"),
        "{}",
        table.stdout
    );
}

/// `finra completions SHELL` and `finra man`, from the command's own definition.
#[tokio::test]
async fn completions_and_the_man_page_are_printed() {
    let emulator = emulator().await;
    let bash = Finra::at(&emulator).run(&["completions", "bash"]).await;
    bash.expect_code(0);
    assert!(
        bash.stdout.contains("_finra()") && bash.stdout.contains("hub"),
        "{}",
        bash.stdout
    );
    let zsh = Finra::at(&emulator).run(&["completions", "zsh"]).await;
    assert!(zsh.stdout.starts_with("#compdef finra"));
    let man = Finra::at(&emulator).run(&["man"]).await;
    man.expect_code(0);
    assert!(man.stdout.contains(".TH finra 1"), "{}", man.stdout);
    Finra::at(&emulator)
        .run(&["completions", "tcsh"])
        .await
        .expect_code(2);
    assert_eq!(emulator.counters().total_responses(), 0, "nothing was sent");
}
