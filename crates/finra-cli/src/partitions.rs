//! `finra partitions GROUP/NAME`: a dataset's available partitions (newest first), as a table
//! or `--json`.

use std::process::ExitCode;

use serde_json::json;

use crate::args::DatasetView;
use crate::output::Output;
use crate::settings::GlobalArgs;
use crate::table::Table;

/// `finra partitions` arguments.
pub(crate) type Args = DatasetView;

pub(crate) async fn run(global: &GlobalArgs, args: &Args) -> anyhow::Result<ExitCode> {
    let client = global.data_client().await?;
    let dataset = &args.dataset;
    let partitions = client.partitions(&dataset.group, &dataset.name).await?;
    let mut out = Output::create(None)?;
    if args.json {
        let available: Vec<serde_json::Value> = partitions
            .available_partitions
            .iter()
            .map(|p| json!({ "partitions": p.partitions }))
            .collect();
        out.write_json(&json!({
            "partitionFields": partitions.partition_fields,
            "availablePartitions": available,
        }))?;
    } else if partitions.partition_fields.is_empty() {
        out.write(format!("{dataset} has no partitions\n").as_bytes())?;
    } else {
        let mut table = Table::new(partitions.partition_fields.iter().cloned());
        for partition in &partitions.available_partitions {
            table.row(partition.partitions.iter().cloned());
        }
        out.write_table(&table)?;
        out.write(format!("{} partitions\n", partitions.available_partitions.len()).as_bytes())?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
