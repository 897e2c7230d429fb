//! `finra async GROUP/NAME …`: the query as an asynchronous request: submit it, poll its
//! status every `--poll-interval` seconds (FINRA asks for at most once a minute), fetch the
//! pre-signed result link and write the result, all within `--timeout`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::ValueEnum;
use finra_client::{AsyncOptions, FinraError, Format};

use crate::args::{DatasetName, QueryFilters};
use crate::output::Output;
use crate::progress::{self, ProgressDisplay};
use crate::settings::GlobalArgs;

/// `finra async` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dataset, GROUP/NAME (e.g. otcMarket/weeklySummary)
    dataset: DatasetName,
    #[command(flatten)]
    filters: QueryFilters,
    /// Rows in the result at most (FINRA: up to 100 000 per async request)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Skip the first N rows of the result
    #[arg(long, value_name = "N")]
    offset: Option<u64>,
    /// Output format
    #[arg(long, value_enum, default_value_t = AsyncFormat::Csv)]
    format: AsyncFormat,
    /// Write to FILE (replaced only on success) instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Seconds between status polls (FINRA asks for at most one a minute)
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    poll_interval: u64,
    /// Give up after this many seconds in all
    #[arg(long, value_name = "SECS", default_value_t = 1_800, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
}

/// `--format` of `async`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AsyncFormat {
    /// FINRA's CSV text
    Csv,
    /// A JSON array
    Json,
}

pub(crate) async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let client = global.data_client().await?;
    let mut query = args.filters.query(&args.dataset);
    if let Some(limit) = args.limit {
        query = query.limit(limit);
    }
    if let Some(offset) = args.offset {
        query = query.offset(offset);
    }
    let format = match args.format {
        AsyncFormat::Csv => Format::Csv,
        AsyncFormat::Json => Format::Json,
    };
    let options = AsyncOptions {
        poll_interval: Duration::from_secs(args.poll_interval),
        timeout: Duration::from_secs(args.timeout),
    };
    let mut output = Output::create(args.out.as_deref())?;
    let display = ProgressDisplay::spinner(
        format!("submitting the async request for {}", args.dataset),
        progress::wanted(global.quiet),
    );
    let work = async {
        let request = client.submit_async(&query, format).await?;
        let id = request.request_id().unwrap_or("?").to_owned();
        display.note(
            global,
            &format!(
                "async request {id} submitted; polling every {} s",
                args.poll_interval
            ),
        );
        display.set_message(format!("waiting for async request {id}"));
        let link = client.wait_for_async(&request, &options).await?;
        display.set_message(format!("fetching the result of {id}"));
        client.fetch_async_result(&link, format).await
    };
    let result = match tokio::time::timeout(options.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(FinraError::Timeout {
            what: format!("the async request did not finish within {} s", args.timeout),
        }),
    };
    let result = match result {
        Ok(result) => result,
        Err(error) => {
            display.abandon();
            return Err(anyhow::Error::new(error))
                .with_context(|| format!("async request for {} failed", args.dataset));
        }
    };
    if result.body.iter().all(u8::is_ascii_whitespace) {
        // 204 or an empty result: no rows.
        if format == Format::Json {
            output.write(b"[]\n")?;
        }
    } else {
        output.write(&result.body)?;
        if result.body.last() != Some(&b'\n') {
            output.write(b"\n")?;
        }
    }
    output.finish()?;
    let destination = args
        .out
        .as_ref()
        .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
    display.finish(None, &destination);
    Ok(ExitCode::SUCCESS)
}
