//! `finra query GROUP/NAME …`: one query, streamed out as CSV (FINRA's text, header once), a
//! JSON array or NDJSON (one line per row, FINRA's bytes unchanged), written row by row as
//! pages arrive, so memory stays flat however many rows.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use finra_client::{FinraError, Progress, RawRow, RowStream};
use futures_util::{Stream, StreamExt};

use crate::args::{DatasetName, QueryFilters};
use crate::output::Output;
use crate::progress::{self, ProgressDisplay};
use crate::settings::GlobalArgs;

/// Rows written when neither `--limit` nor `--all` is given (FINRA's default page size).
pub(crate) const DEFAULT_LIMIT: u64 = 1_000;

/// `finra query` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dataset, GROUP/NAME (e.g. otcMarket/weeklySummary)
    dataset: DatasetName,
    #[command(flatten)]
    filters: QueryFilters,
    /// Write at most N rows, fetching as many pages as that takes [default: 1000]
    #[arg(long, value_name = "N", conflicts_with = "all", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Write every row (paged concurrently, split by partition where FINRA needs it)
    #[arg(long)]
    all: bool,
    /// Skip the first N rows of the result
    #[arg(long, value_name = "N")]
    offset: Option<u64>,
    /// Output format
    #[arg(long, value_enum, default_value_t = RowFormat::Csv)]
    format: RowFormat,
    /// Write to FILE (replaced only when the download succeeds) instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `--format` of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RowFormat {
    /// FINRA's CSV text, header row once
    Csv,
    /// One JSON array
    Json,
    /// One JSON object per line
    Ndjson,
}

pub(crate) async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let client = global.data_client().await?;
    let cap = if args.all {
        None
    } else {
        Some(args.limit.unwrap_or(DEFAULT_LIMIT))
    };
    let mut query = args.filters.query(&args.dataset);
    if let Some(cap) = cap {
        query = query.limit(cap);
    }
    if let Some(offset) = args.offset {
        query = query.offset(offset);
    }
    let mut output = Output::create(args.out.as_deref())?;
    let show_progress = progress::wanted(global.quiet);

    let (progress, written) = match args.format {
        RowFormat::Ndjson => {
            let rows = client.stream_raw_rows(query);
            let progress = rows.progress();
            let display = ProgressDisplay::start(progress.clone(), cap, show_progress);
            let written = finish(display, write_ndjson(rows, &mut output).await);
            (progress, written)
        }
        RowFormat::Json => {
            let rows = client.stream_raw_rows(query);
            let progress = rows.progress();
            let display = ProgressDisplay::start(progress.clone(), cap, show_progress);
            let written = finish(display, write_json_array(rows, &mut output).await);
            (progress, written)
        }
        RowFormat::Csv => {
            let chunks = client.stream_csv(query);
            let progress = chunks.progress();
            let display = ProgressDisplay::start(progress.clone(), cap, show_progress);
            let written = finish(display, write_chunks(chunks, &mut output).await);
            (progress, written)
        }
    };
    let display = written.with_context(|| format!("cannot query {}", args.dataset))?;
    let destination = args
        .out
        .as_ref()
        .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
    output.finish()?;
    display.finish(Some(progress.rows()), &destination);
    note_more_rows(global, &args, &progress);
    Ok(ExitCode::SUCCESS)
}

/// Ends the display when the download failed; hands it back otherwise.
fn finish(display: ProgressDisplay, result: anyhow::Result<()>) -> anyhow::Result<ProgressDisplay> {
    match result {
        Ok(()) => Ok(display),
        Err(error) => {
            display.abandon();
            Err(error)
        }
    }
}

/// Without `--limit`/`--all`, says when the default limit may have cut the result short.
fn note_more_rows(global: &GlobalArgs, args: &Args, progress: &Progress) {
    if args.all || args.limit.is_some() || progress.rows() < DEFAULT_LIMIT {
        return;
    }
    let of = match progress.expected_rows() {
        Some(expected) if expected > progress.rows() => format!(" of {expected}"),
        _ => String::new(),
    };
    global.note(&format!(
        "wrote the first {}{of} rows (the default limit); --all writes every row, --limit N more or fewer",
        progress.rows()
    ));
}

/// NDJSON: each row exactly as FINRA sent it, on one line.
async fn write_ndjson(mut rows: RowStream<RawRow>, output: &mut Output) -> anyhow::Result<()> {
    while let Some(row) = rows.next().await {
        let row = row?;
        write_one_line(output, row.get().as_bytes())?;
        output.write(b"\n")?;
    }
    Ok(())
}

/// A JSON array, one row per line, opened and closed around the streamed rows.
async fn write_json_array(mut rows: RowStream<RawRow>, output: &mut Output) -> anyhow::Result<()> {
    let mut first = true;
    while let Some(row) = rows.next().await {
        let row = row?;
        output.write(if first { b"[\n" } else { b",\n" })?;
        write_one_line(output, row.get().as_bytes())?;
        first = false;
    }
    output.write(if first { b"[]\n" } else { b"\n]\n" })?;
    Ok(())
}

/// Chunks of text as they come (CSV: the library sends the header once).
async fn write_chunks(
    mut chunks: impl Stream<Item = Result<bytes::Bytes, FinraError>> + Unpin,
    output: &mut Output,
) -> anyhow::Result<()> {
    while let Some(chunk) = chunks.next().await {
        output.write(&chunk?)?;
    }
    Ok(())
}

/// A JSON text on one line: line breaks can only be whitespace between tokens in valid JSON
/// (inside strings they are escaped), so they become spaces.
fn write_one_line(output: &mut Output, json: &[u8]) -> anyhow::Result<()> {
    if json.iter().any(|&b| b == b'\n' || b == b'\r') {
        let flat: Vec<u8> = json
            .iter()
            .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
            .collect();
        output.write(&flat)?;
    } else {
        output.write(json)?;
    }
    Ok(())
}
