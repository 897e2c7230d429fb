//! The download engine behind [`FinraClient::stream_rows`](crate::FinraClient::stream_rows) and
//! [`FinraClient::stream_csv`](crate::FinraClient::stream_csv): a list of *segments* (one query
//! with a fixed sort, paged from a start offset to its `Record-Total`), fetched as *units*
//! (the head page of a segment, then chunks of one page size each) by a small window of
//! concurrent requests, and handed out strictly in order.
//!
//! Invariants that make it lose and repeat no row:
//! - a segment's end is its `Record-Total`, never a short page;
//! - a chunk covers a fixed offset range and keeps requesting from where the rows it actually
//!   received end (a page cut by the 3 MB cap or clamped to `Record-Max-Limit` is followed by a
//!   request for the rest), and later chunks use the smaller page size learnt that way;
//! - every page of a segment must report the same `Record-Total`, and the whole download must
//!   deliver exactly the expected number of rows, else [`FinraError::Inconsistent`];
//! - segments of more than one page are sorted (see [`crate::paging`] for how the sort is
//!   chosen), so the order is the same on every request.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;

use crate::client::FinraClient;
use crate::error::FinraError;
use crate::page::{Fetch, Payload, Shape, fetch_page};
use crate::paging::Progress;
use crate::query::{Query, SortField};

/// The error when a download delivered other than the `expected` rows its first answer
/// announced.
pub(crate) fn row_count_check(expected: u64, delivered: u64) -> Option<FinraError> {
    (expected != delivered).then(|| FinraError::Inconsistent {
        message: format!(
            "expected {expected} rows (Record-Total) but received {delivered}: the data changed during the download"
        ),
    })
}

/// (segment, unit): unit 0 is the segment's head page.
type Key = (usize, usize);

/// One query with a fixed sort, paged from `start` to its `Record-Total`.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) query: Arc<Query>,
    pub(crate) sort: Arc<Vec<SortField>>,
    /// Whether the sort was chosen by the client (and may be dropped if FINRA refuses it).
    pub(crate) auto_sort: bool,
    pub(crate) start: u64,
    /// Row count of the segment's head request (the first page may be capped by the caller).
    pub(crate) head_limit: u64,
    total: Option<u64>,
    next_offset: u64,
    units_launched: usize,
}

impl Segment {
    pub(crate) fn new(
        query: Query,
        sort: Vec<SortField>,
        auto_sort: bool,
        start: u64,
        head_limit: u64,
    ) -> Self {
        Self {
            query: Arc::new(query),
            sort: Arc::new(sort),
            auto_sort,
            start,
            head_limit,
            total: None,
            next_offset: start,
            units_launched: 0,
        }
    }

    fn has_launchable_chunk(&self) -> bool {
        self.total.is_some_and(|total| self.next_offset < total)
    }
}

/// A finished unit.
#[derive(Debug)]
struct Unit {
    payload: Payload,
    n_rows: u64,
    /// The offset just past this unit's rows.
    end: u64,
    /// Set for head units: the segment's `Record-Total`, and whether its sort was dropped.
    head: Option<(u64, bool)>,
}

/// The ordered, windowed fetcher.
pub(crate) struct Pager {
    client: FinraClient,
    shape: Shape,
    page_size: Arc<AtomicU64>,
    window: usize,
    segments: Vec<Segment>,
    heads_launched: usize,
    in_flight: FuturesUnordered<BoxFuture<'static, (Key, Result<Unit, FinraError>)>>,
    ready: BTreeMap<Key, Unit>,
    cursor: Key,
    /// Units launched and not yet handed out (bounds memory to `window` pages).
    outstanding: usize,
    delivered_rows: u64,
    expected_rows: Option<u64>,
    progress: Progress,
    /// Whether a single segment's `Record-Total` is the download's (not for one step of many).
    reports_total: bool,
    finished: bool,
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("segments", &self.segments.len())
            .field("cursor", &self.cursor)
            .field("outstanding", &self.outstanding)
            .field("delivered_rows", &self.delivered_rows)
            .finish_non_exhaustive()
    }
}

impl Pager {
    pub(crate) fn new(
        client: FinraClient,
        shape: Shape,
        segments: Vec<Segment>,
        expected_rows: Option<u64>,
        progress: Progress,
    ) -> Self {
        let paging = client.inner.paging;
        Self {
            client,
            shape,
            page_size: Arc::new(AtomicU64::new(paging.page_size)),
            window: paging.concurrency,
            segments,
            heads_launched: 0,
            in_flight: FuturesUnordered::new(),
            ready: BTreeMap::new(),
            cursor: (0, 0),
            outstanding: 0,
            delivered_rows: 0,
            expected_rows,
            progress,
            reports_total: true,
            finished: false,
        }
    }

    /// For a pager that is one step of a larger download: its `Record-Total` is not the
    /// download's expected row count.
    pub(crate) fn one_step_of_many(mut self) -> Self {
        self.reports_total = false;
        self
    }

    /// Uses an already fetched page as the head of segment 0 (its query, sort and start).
    pub(crate) fn with_first_head(mut self, fetch: Fetch) -> Result<Self, FinraError> {
        let Some(segment) = self.segments.first() else {
            return Ok(self);
        };
        let unit = head_unit(segment.start, fetch, false)?;
        self.adapt(
            segment.head_limit,
            unit.n_rows,
            unit.head.map(|(total, _)| total),
            None,
        );
        self.apply_head(0, &unit);
        self.segments[0].units_launched = 1;
        self.heads_launched = 1;
        self.outstanding = 1;
        self.ready.insert((0, 0), unit);
        Ok(self)
    }

    /// The next page's content in order, `None` at the end.
    pub(crate) async fn next_payload(&mut self) -> Option<Result<Payload, FinraError>> {
        loop {
            if self.finished {
                return None;
            }
            if self.cursor.0 >= self.segments.len() {
                self.finished = true;
                return self.final_check().map(Err);
            }
            if let Some(unit) = self.ready.remove(&self.cursor) {
                self.outstanding -= 1;
                self.delivered_rows += unit.n_rows;
                let segment_total = self.segments[self.cursor.0].total.unwrap_or(0);
                self.cursor = if unit.end >= segment_total {
                    (self.cursor.0 + 1, 0)
                } else {
                    (self.cursor.0, self.cursor.1 + 1)
                };
                return Some(Ok(unit.payload));
            }
            self.launch();
            match self.in_flight.next().await {
                Some((key, Ok(unit))) => {
                    self.apply_head(key.0, &unit);
                    self.ready.insert(key, unit);
                }
                Some((_, Err(error))) => {
                    self.finished = true;
                    return Some(Err(error));
                }
                None => {
                    self.finished = true;
                    return Some(Err(FinraError::Inconsistent {
                        message: "paging stalled: no page left to fetch before the end".to_owned(),
                    }));
                }
            }
        }
    }

    fn final_check(&self) -> Option<FinraError> {
        row_count_check(self.expected_rows?, self.delivered_rows)
    }

    fn apply_head(&mut self, segment_idx: usize, unit: &Unit) {
        let single_segment = self.segments.len() == 1;
        if let (Some((total, sort_dropped)), Some(segment)) =
            (unit.head, self.segments.get_mut(segment_idx))
        {
            segment.total = Some(total.max(unit.end));
            segment.next_offset = unit.end;
            if self.expected_rows.is_none() && single_segment && self.reports_total {
                self.progress
                    .set_expected(total.max(unit.end).saturating_sub(segment.start));
            }
            if sort_dropped {
                segment.sort = Arc::new(Vec::new());
            }
        }
    }

    /// Launches units while the window has room: chunks of the earliest segment with work
    /// first, then the next segment's head.
    fn launch(&mut self) {
        while self.outstanding < self.window {
            let earliest = (self.cursor.0..self.segments.len())
                .find(|&idx| self.segments[idx].has_launchable_chunk());
            if let Some(idx) = earliest {
                self.launch_chunk(idx);
            } else if self.heads_launched < self.segments.len() {
                let idx = self.heads_launched;
                self.heads_launched += 1;
                self.launch_head(idx);
            } else {
                return;
            }
        }
    }

    fn launch_head(&mut self, idx: usize) {
        let segment = &mut self.segments[idx];
        let unit_idx = segment.units_launched;
        segment.units_launched += 1;
        self.outstanding += 1;
        self.progress.add_request();
        let page_size = self.page_size.load(Ordering::Relaxed);
        let limit = segment.head_limit.min(page_size).max(1);
        let job = Job {
            client: self.client.clone(),
            query: Arc::clone(&segment.query),
            sort: Arc::clone(&segment.sort),
            shape: self.shape,
            page_size: Arc::clone(&self.page_size),
        };
        let (start, auto_sort) = (segment.start, segment.auto_sort);
        self.in_flight.push(Box::pin(async move {
            ((idx, unit_idx), job.head(start, limit, auto_sort).await)
        }));
    }

    fn launch_chunk(&mut self, idx: usize) {
        let page_size = self.page_size.load(Ordering::Relaxed).max(1);
        let segment = &mut self.segments[idx];
        let Some(total) = segment.total else {
            return;
        };
        let start = segment.next_offset;
        let end = start.saturating_add(page_size).min(total);
        segment.next_offset = end;
        let unit_idx = segment.units_launched;
        segment.units_launched += 1;
        self.outstanding += 1;
        self.progress.add_request();
        let job = Job {
            client: self.client.clone(),
            query: Arc::clone(&segment.query),
            sort: Arc::clone(&segment.sort),
            shape: self.shape,
            page_size: Arc::clone(&self.page_size),
        };
        self.in_flight.push(Box::pin(async move {
            ((idx, unit_idx), job.chunk(start, end, total).await)
        }));
    }

    /// Learns a smaller page size from a page that came back short.
    fn adapt(&self, requested: u64, received: u64, total: Option<u64>, offset: Option<u64>) {
        adapt_page_size(&self.page_size, requested, received, total, offset);
    }
}

/// Shrinks the page size when a page held fewer rows than requested although more rows remained
/// (FINRA's 3 MB cap, or a limit clamped to `Record-Max-Limit`).
fn adapt_page_size(
    page_size: &AtomicU64,
    requested: u64,
    received: u64,
    total: Option<u64>,
    offset: Option<u64>,
) {
    let more_remained = match (total, offset) {
        (Some(total), Some(offset)) => offset.saturating_add(received) < total,
        (Some(total), None) => received < total,
        _ => false,
    };
    if received > 0 && received < requested && more_remained {
        let before = page_size.fetch_min(received, Ordering::Relaxed);
        if received < before {
            tracing::debug!(
                page_size = received,
                "FINRA cut a page short: using smaller pages"
            );
        }
    }
}

/// What a unit's future needs.
struct Job {
    client: FinraClient,
    query: Arc<Query>,
    sort: Arc<Vec<SortField>>,
    shape: Shape,
    page_size: Arc<AtomicU64>,
}

impl Job {
    /// The head page of a segment: learns its `Record-Total`. A sort the client chose itself
    /// is dropped if FINRA refuses it (datasets that cannot be sorted).
    async fn head(&self, start: u64, limit: u64, auto_sort: bool) -> Result<Unit, FinraError> {
        let offset = (start > 0).then_some(start);
        let first = fetch_page(
            &self.client,
            &self.query,
            &self.sort,
            offset,
            Some(limit),
            self.shape,
        )
        .await;
        let (fetch, sort_dropped) = match first {
            Err(FinraError::BadRequest {
                status: 400,
                message,
            }) if auto_sort && !self.sort.is_empty() => {
                tracing::warn!(%message, "FINRA refused the paging sort; paging this slice unsorted");
                let fetch = fetch_page(
                    &self.client,
                    &self.query,
                    &[],
                    offset,
                    Some(limit),
                    self.shape,
                )
                .await?;
                (fetch, true)
            }
            other => (other?, false),
        };
        adapt_page_size(
            &self.page_size,
            limit,
            fetch.n_rows,
            fetch.info.record_total,
            Some(start),
        );
        head_unit(start, fetch, sort_dropped)
    }

    /// Rows `start..end` of a segment whose `Record-Total` is `total`: as many requests as it
    /// takes.
    async fn chunk(&self, start: u64, end: u64, total: u64) -> Result<Unit, FinraError> {
        let mut payload = Payload::empty(self.shape);
        let mut offset = start;
        while offset < end {
            let limit = end - offset;
            let fetch = fetch_page(
                &self.client,
                &self.query,
                &self.sort,
                Some(offset),
                Some(limit),
                self.shape,
            )
            .await?;
            if fetch.info.record_total.is_some_and(|t| t != total) || fetch.info.status == 204 {
                return Err(FinraError::Inconsistent {
                    message: format!(
                        "Record-Total changed from {total} to {} while paging {}/{}",
                        fetch.info.record_total.unwrap_or(0),
                        self.query.group(),
                        self.query.name()
                    ),
                });
            }
            if fetch.n_rows == 0 || fetch.n_rows > limit {
                return Err(FinraError::Inconsistent {
                    message: format!(
                        "asked for {limit} rows at offset {offset} of {total}, got {}",
                        fetch.n_rows
                    ),
                });
            }
            adapt_page_size(
                &self.page_size,
                limit,
                fetch.n_rows,
                Some(total),
                Some(offset),
            );
            offset += fetch.n_rows;
            payload.append(fetch.payload);
        }
        Ok(Unit {
            payload,
            n_rows: end - start,
            end,
            head: None,
        })
    }
}

/// A head page as a unit: a 204 ends the segment where it starts.
fn head_unit(start: u64, fetch: Fetch, sort_dropped: bool) -> Result<Unit, FinraError> {
    let end = start.saturating_add(fetch.n_rows);
    let total = if fetch.info.status == 204 {
        end
    } else {
        fetch.info.record_total.ok_or_else(|| FinraError::Decode {
            what: "the data response (no Record-Total header)".to_owned(),
            excerpt: String::new(),
        })?
    };
    if fetch.n_rows == 0 && total > start {
        return Err(FinraError::Inconsistent {
            message: format!("an empty page at offset {start} although Record-Total is {total}"),
        });
    }
    Ok(Unit {
        payload: fetch.payload,
        n_rows: fetch.n_rows,
        end,
        head: Some((total, sort_dropped)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_shrinks_only_for_pages_cut_short_before_the_end() {
        let size = AtomicU64::new(5_000);
        adapt_page_size(&size, 5_000, 5_000, Some(20_000), Some(0));
        assert_eq!(size.load(Ordering::Relaxed), 5_000);
        adapt_page_size(&size, 5_000, 1_200, Some(1_200), Some(0));
        assert_eq!(
            size.load(Ordering::Relaxed),
            5_000,
            "the last page is short by nature"
        );
        adapt_page_size(&size, 5_000, 4_100, Some(20_000), Some(5_000));
        assert_eq!(size.load(Ordering::Relaxed), 4_100);
        adapt_page_size(&size, 4_100, 4_300, Some(20_000), Some(0));
        assert_eq!(size.load(Ordering::Relaxed), 4_100, "never grows");
    }
}
