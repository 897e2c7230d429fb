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

/// A planned download.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) pager: Pager,
    /// The caller's offset/limit window over the delivered rows.
    pub(crate) window: Window,
    /// Set when `pager` is an optimistic unsorted pass: the safe plan to go on with after a
    /// repeated row (see [`crate::repeats`]).
    pub(crate) fallback: Option<Pager>,
}

impl Planned {
    fn certain(pager: Pager, window: Window) -> Self {
        Self {
            pager,
            window,
            fallback: None,
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
    let segments: Vec<Segment> = slices
        .available_partitions
        .iter()
        .filter(|p| {
            p.partitions.len() == fields.len() && base.may_match_partition(fields, &p.partitions)
        })
        .map(|p| {
            Segment::new(
                base.in_partition(fields, &p.partitions),
                sort.to_vec(),
                true,
                0,
                page_size,
            )
        })
        .collect();
    tracing::debug!(
        total,
        n_slices = segments.len(),
        "splitting {}/{} by partition",
        query.group(),
        query.name()
    );
    progress.set_expected(total.saturating_sub(offset));
    let sliced = Pager::new(
        client.clone(),
        shape,
        segments,
        Some(total),
        progress.clone(),
    );
    let window = Window {
        skip: offset,
        remaining: cap,
    };
    // Optimistic: the whole answer unsorted, every page full, checked for repeats; possible
    // when every offset is allowed and the rows carry their partition values.
    let optimistic =
        offset == 0 && total <= client.inner.paging.max_offset && query.projects(fields);
    if !optimistic {
        return Ok(Planned::certain(sliced, window));
    }
    let segment = Segment::new(base, Vec::new(), false, 0, first_limit);
    let pager =
        Pager::new(client, shape, vec![segment], Some(total), progress).with_first_head(probe)?;
    Ok(Planned {
        pager,
        window,
        fallback: Some(sliced),
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
