//! `finra datasets`: the datasets the credential can see, as a table or `--json`.

use std::process::ExitCode;

use serde_json::json;

use crate::output::Output;
use crate::settings::GlobalArgs;
use crate::table::Table;

/// `finra datasets` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print JSON (FINRA's field names) instead of a table
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(global: &GlobalArgs, args: &Args) -> anyhow::Result<ExitCode> {
    let client = global.data_client().await?;
    let datasets = client.datasets().await?;
    let mut out = Output::create(None)?;
    if args.json {
        let list: Vec<serde_json::Value> = datasets
            .iter()
            .map(|d| {
                json!({
                    "group": d.group,
                    "name": d.name,
                    "description": d.description,
                    "securityLevel": d.security_level,
                    "supportedFormats": d.supported_formats,
                    "supportedMethods": d.supported_methods,
                    "supportsGetById": d.supports_get_by_id,
                })
            })
            .collect();
        out.write_json(&json!({ "datasets": list }))?;
    } else {
        let mut table = Table::new(["GROUP", "NAME", "LEVEL", "DESCRIPTION"]);
        for d in &datasets {
            table.row([
                d.group.clone(),
                d.name.clone(),
                d.security_level.clone().unwrap_or_default(),
                d.description.clone().unwrap_or_default(),
            ]);
        }
        out.write_table(&table)?;
        out.write(format!("{} datasets\n", datasets.len()).as_bytes())?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
