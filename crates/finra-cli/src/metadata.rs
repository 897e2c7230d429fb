//! `finra metadata GROUP/NAME`: a dataset's fields and partition fields, as a table or `--json`.

use std::process::ExitCode;

use serde_json::json;

use crate::args::DatasetView;
use crate::output::Output;
use crate::settings::GlobalArgs;
use crate::table::Table;

/// `finra metadata` arguments.
pub(crate) type Args = DatasetView;

pub(crate) async fn run(global: &GlobalArgs, args: &Args) -> anyhow::Result<ExitCode> {
    let client = global.data_client().await?;
    let dataset = &args.dataset;
    let metadata = client.metadata(&dataset.group, &dataset.name).await?;
    let mut out = Output::create(None)?;
    if args.json {
        let fields: Vec<serde_json::Value> = metadata
            .fields
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "type": f.field_type,
                    "format": f.format,
                    "description": f.description,
                })
            })
            .collect();
        out.write_json(&json!({
            "datasetGroup": metadata.dataset_group,
            "datasetName": metadata.dataset_name,
            "description": metadata.description,
            "partitionFields": metadata.partition_fields,
            "primaryIdField": metadata.primary_id_field,
            "fields": fields,
        }))?;
    } else {
        let mut head = format!("{dataset}\n");
        if let Some(description) = &metadata.description {
            head.push_str(&format!("  {description}\n"));
        }
        let partitions = if metadata.partition_fields.is_empty() {
            "none".to_owned()
        } else {
            metadata.partition_fields.join(", ")
        };
        head.push_str(&format!("  partition fields: {partitions}\n"));
        if let Some(id) = &metadata.primary_id_field {
            head.push_str(&format!("  primary id field: {id}\n"));
        }
        head.push('\n');
        out.write(head.as_bytes())?;
        let mut table = Table::new(["FIELD", "TYPE", "FORMAT", "DESCRIPTION"]);
        for f in &metadata.fields {
            table.row([
                f.name.clone(),
                f.field_type.clone().unwrap_or_default(),
                f.format.clone().unwrap_or_default(),
                f.description.clone().unwrap_or_default(),
            ]);
        }
        out.write_table(&table)?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
