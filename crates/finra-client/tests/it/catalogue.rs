//! Catalogue, metadata and partitions, typed.

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn datasets_depend_on_the_credential() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let anonymous = builder(&emulator, &clock).build().expect("client");
    let public = anonymous.datasets().await.expect("datasets");
    assert!(
        public
            .iter()
            .any(|d| d.group == "OTCMARKET" && d.name == "WEEKLYSUMMARY")
    );
    assert!(public.iter().all(|d| d.group != "FIRM"));
    let firm = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    let all = firm.datasets().await.expect("datasets");
    assert!(
        all.iter()
            .any(|d| d.group == "FIRM" && d.name == "FIRMPROFILE")
    );
    assert!(all.iter().all(|d| !d.supported_formats.is_empty()));
}

#[tokio::test(start_paused = true)]
async fn metadata_is_typed_and_cached() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock).build().expect("client");
    let metadata = client
        .metadata("otcmarket", "weeklysummary")
        .await
        .expect("metadata");
    assert_eq!(
        metadata.partition_fields,
        ["weekStartDate", "tierIdentifier"]
    );
    assert!(metadata.field_names().any(|f| f == "MPID"));
    let dates: Vec<_> = metadata
        .fields
        .iter()
        .filter(|f| f.field_type.as_deref() == Some("Date"))
        .collect();
    assert!(
        dates
            .iter()
            .all(|f| f.format.as_deref() == Some("yyyy-MM-dd"))
    );
    client
        .metadata("otcMarket", "weeklySummary")
        .await
        .expect("cached");
    assert_eq!(
        emulator.counters().responses_under("/metadata/"),
        1,
        "metadata is fetched once per dataset"
    );
}

#[tokio::test(start_paused = true)]
async fn partitions_are_listed_newest_first_and_missing_ones_are_empty() {
    let clock = clock();
    let emulator = spawn(config(&clock)).await;
    let client = builder(&emulator, &clock)
        .auth(firm_auth())
        .build()
        .expect("client");
    let weekly = client
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions");
    assert_eq!(weekly.partition_fields, ["weekStartDate", "tierIdentifier"]);
    let weeks: Vec<&str> = weekly
        .available_partitions
        .iter()
        .map(|p| p.partitions[0].as_str())
        .collect();
    assert!(weeks.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // "No partitions found for specified dataset." is a 200: an empty list.
    let none = client
        .partitions("firm", "firmProfile")
        .await
        .expect("no partitions");
    assert!(none.available_partitions.is_empty() && none.partition_fields.is_empty());
}
