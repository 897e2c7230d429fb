//! Planning a download (see [`crate::paging`] for the strategy): whether one sorted segment,
//! one unsorted probe page, an optimistic unsorted pass checked for repeats, or one sorted
//! segment per partition slice delivers every row of a query exactly once, and which sort makes
//! the order total.

use std::sync::Arc;

use crate::catalogue::DatasetMetadata;
use crate::client::FinraClient;
use crate::error::FinraError;
use crate::page::{Shape, fetch_page};
use crate::pager::{Pager, Segment};
use crate::paging::{Progress, Window};
use crate::query::{Direction, Query, SortField};
use crate::slicing::group_slices;

/// Rows of an unsorted pass over a group of partition slices, at most about (estimated from the
/// average slice): keeps each pass's remembered keys small (see [`crate::repeats`]).
const PAGES_PER_GROUP: u64 = 20;

/// One step of a download, paged to its end before the next starts.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) pager: Pager,
    /// Set when `pager` is an unsorted pass over a group of slices: those slices sorted, to go
    /// on with after a repeated row (see [`crate::repeats`]).
    pub(crate) fallback: Option<Pager>,
    /// The rows the step is expected to hold, roughly (sizes the repeat check).
    pub(crate) rows_hint: u64,
}

/// A planned download.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) steps: Vec<Step>,
    /// The caller's offset/limit window over the delivered rows.
    pub(crate) window: Window,
    /// Rows the steps together must deliver, when no pager checks it itself.
    pub(crate) checked_total: Option<u64>,
}

impl Planned {
    fn certain(pager: Pager, window: Window) -> Self {
        Self {
            steps: vec![Step {
                pager,
                fallback: None,
                rows_hint: 0,
            }],
            window,
            checked_total: None,
        }
    }
}

/// Plans the download of `query` (see the module docs).
pub(crate) async fn plan(
    client: FinraClient,
    query: Query,
    shape: Shape,
    progress: Progress,
) -> Result<Planned, FinraError> {
    let metadata = client.cached_metadata(query.group(), query.name()).await?;
    query.check_sort(&metadata.partition_fields)?;
    let page_size = client.inner.paging.page_size;
    let offset = query.get_offset().unwrap_or(0);
    let cap = query.get_limit();
    let first_limit = cap.map_or(page_size, |cap| cap.clamp(1, page_size));
    let base = query.clone().without_window();

    // Sorted from the start: the caller's sort, no partitions, or all partitions pinned.
    let sort = if !query.sort_fields().is_empty() {
        Some((tie_broken(query.sort_fields(), &metadata), false))
    } else if query.pins_partitions(&metadata.partition_fields) {
        Some((all_fields_sort(&metadata), true))
    } else {
        None
    };
    if let Some((sort, auto_sort)) = sort {
        let segment = Segment::new(base, sort, auto_sort, offset, first_limit);
        let pager = Pager::new(client, shape, vec![segment], None, progress);
        let window = Window {
            skip: 0,
            remaining: cap,
        };
        return Ok(Planned::certain(pager, window));
    }

    // Unsorted probe: enough when it holds the whole answer.
    progress.add_request();
    let probe = fetch_page(
        &client,
        &base,
        &[],
        Some(offset).filter(|&o| o > 0),
        Some(first_limit),
        shape,
    )
    .await?;
    let total = probe
        .info
        .record_total
        .unwrap_or(offset.saturating_add(probe.n_rows));
    let whole = probe.info.status == 204
        || offset.saturating_add(probe.n_rows) >= total
        || cap.is_some_and(|cap| probe.n_rows >= cap);
    if whole {
        progress.set_expected(probe.n_rows);
        let segment = Segment::new(base, Vec::new(), false, offset, first_limit);
        let pager = Pager::new(client, shape, vec![segment], Some(probe.n_rows), progress)
            .with_first_head(probe)?;
        let window = Window {
            skip: 0,
            remaining: cap,
        };
        return Ok(Planned::certain(pager, window));
    }

    let slices = match client.partitions(query.group(), query.name()).await {
        Ok(partitions) if !partitions.available_partitions.is_empty() => partitions,
        outcome => {
            if let Err(error) = outcome {
                tracing::warn!(%error, "cannot list partitions: paging unsorted");
            }
            progress.set_expected(total.saturating_sub(offset));
            let segment = Segment::new(base, Vec::new(), false, offset, first_limit);
            let pager = Pager::new(
                client,
                shape,
                vec![segment],
                Some(total.saturating_sub(offset)),
                progress,
            )
            .with_first_head(probe)?;
            let window = Window {
                skip: 0,
                remaining: cap,
            };
            return Ok(Planned::certain(pager, window));
        }
    };
    let sort = Arc::new(all_fields_sort(&metadata));
    let fields = &slices.partition_fields;
    let listed: Vec<Vec<String>> = slices
        .available_partitions
        .into_iter()
        .map(|p| p.partitions)
        .filter(|values| values.len() == fields.len() && base.may_match_partition(fields, values))
        .collect();
    let sorted_slices = |values: &[Vec<String>]| -> Vec<Segment> {
        values
            .iter()
            .map(|values| {
                Segment::new(
                    base.in_partition(fields, values),
                    sort.to_vec(),
                    true,
                    0,
                    page_size,
                )
            })
            .collect()
    };
    tracing::debug!(
        total,
        n_slices = listed.len(),
        "splitting {}/{} by partition",
        query.group(),
        query.name()
    );
    progress.set_expected(total.saturating_sub(offset));
    let window = Window {
        skip: offset,
        remaining: cap,
    };

    // Unsorted passes over groups of slices fill every page (one slice rarely holds a whole
    // number of pages); each is checked for repeated rows and falls back to its slices sorted.
    // Possible when the rows carry their partition values and the caller skips none.
    let max_offset = client.inner.paging.max_offset;
    let average_slice = total.div_ceil(listed.len().max(1) as u64).max(1);
    let group_rows = (PAGES_PER_GROUP * page_size).min(max_offset / 4);
    let per_group = usize::try_from(group_rows / average_slice).unwrap_or(usize::MAX);
    if offset > 0 || per_group < 2 || !query.projects(fields) {
        let pager = Pager::new(client, shape, sorted_slices(&listed), Some(total), progress);
        return Ok(Planned::certain(pager, window));
    }
    let steps = group_slices(&listed, per_group)
        .into_iter()
        .map(|group| {
            let (pinned_fields, pinned_values): (Vec<String>, Vec<String>) = fields
                .iter()
                .zip(&group.slices[0])
                .enumerate()
                .filter(|&(idx, _)| idx != group.field)
                .map(|(_, (field, value))| (field.clone(), value.clone()))
                .unzip();
            let pass = base
                .in_partition(&pinned_fields, &pinned_values)
                .domain(fields[group.field].clone(), &group.values);
            let segment = Segment::new(pass, Vec::new(), false, 0, page_size);
            Step {
                pager: Pager::new(client.clone(), shape, vec![segment], None, progress.clone())
                    .one_step_of_many(),
                fallback: Some(
                    Pager::new(
                        client.clone(),
                        shape,
                        sorted_slices(&group.slices),
                        None,
                        progress.clone(),
                    )
                    .one_step_of_many(),
                ),
                rows_hint: average_slice * group.slices.len() as u64,
            }
        })
        .collect();
    Ok(Planned {
        steps,
        window,
        checked_total: Some(total),
    })
}

/// Ascending on every field except the partition fields.
fn all_fields_sort(metadata: &DatasetMetadata) -> Vec<SortField> {
    metadata
        .field_names()
        .filter(|name| !metadata.partition_fields.iter().any(|p| p == name))
        .map(|name| SortField {
            field: name.to_owned(),
            direction: Direction::Ascending,
        })
        .collect()
}

/// The caller's sort, then every other field ascending, so ties are broken the same way on
/// every request.
fn tie_broken(sort: &[SortField], metadata: &DatasetMetadata) -> Vec<SortField> {
    let mut keys = sort.to_vec();
    for extra in all_fields_sort(metadata) {
        if !keys.iter().any(|k| k.field == extra.field) {
            keys.push(extra);
        }
    }
    keys
}
