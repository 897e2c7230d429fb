//! Downloading every row of a query: [`FinraClient::stream_rows`] (JSON rows),
//! [`FinraClient::stream_csv`] (delimited text, header once) and
//! [`FinraClient::stream_records`] (typed records), which never lose or repeat a row.
//!
//! # Strategy
//!
//! FINRA pages by offset, answers at most 5 000 rows or 3 MB per page, refuses offsets past
//! 500 000, and does not promise the same row order on two unsorted requests. Sorting is only
//! allowed with an EQUAL filter on every partition field. So:
//!
//! 1. **Plan.** The dataset's metadata (cached) gives its fields and partition fields.
//!    - The caller sorted (checked: EQUAL filters on every partition field): one segment with the
//!      caller's sort, plus every other field as a tie-breaker so the order is total.
//!    - The dataset has no partition fields, or the caller's EQUAL filters pin every one: one
//!      segment sorted by all fields (partition fields excluded, they are constant).
//!    - Otherwise a *probe* fetches the first page unsorted. If it holds the whole answer, that
//!      is the answer (one request). If not, the query is **split by partition**: `/partitions`
//!      lists the partition values; those that the caller's filters certainly exclude are pruned
//!      (equality, domains, date ranges and number/date comparisons; anything uncertain is kept);
//!      each remaining partition becomes a segment with an EQUAL filter per partition field,
//!      sorted by all other fields. This also keeps every request under the maximum offset
//!      unless one partition alone is bigger (then [`FinraError::InvalidQuery`]: use filters or an
//!      async request). If `/partitions` is unavailable, the probe's query is paged unsorted
//!      (correct only where FINRA's order is stable; a warning is logged).
//!
//!    Sorting by every field makes the order total: rows that tie on every field are identical,
//!    so whichever copy comes first, the rows delivered are the same multiset.
//!
//!    One slice rarely holds a whole number of pages (a slice of 8 190 rows takes two requests
//!    for 4 095 rows each), so when the rows carry their partition values and the caller skips
//!    none, slices are first fetched in **groups** (`slicing::group_slices`: slices
//!    that differ in one partition field, about 20 pages' worth each) by one unsorted pass per
//!    group, every page full. Each pass is checked for repeated rows (module `repeats`): none
//!    means every row of the group came exactly once; the first repeat (a reordering, or rows
//!    that are simply identical), or a group bigger than estimated, switches to the group's
//!    slices sorted, skipping one occurrence of each row already delivered.
//! 2. **Page.** Each segment is paged to its `Record-Total` (not until a short page). Page
//!    size starts at [`PagingConfig::page_size`] and shrinks to what FINRA actually returned when
//!    a page comes back short (the 3 MB cap, or a limit clamped to `Record-Max-Limit`); the rows
//!    of a short page are followed by a request from where they end, so no offset is skipped.
//! 3. **Concurrency.** Up to [`PagingConfig::concurrency`] pages are in flight or waiting to be
//!    handed out; output is always in order (segment by segment, page by page). Every request
//!    waits on the client's [`Pacer`](crate::Pacer), so concurrency never exceeds FINRA's rate.
//! 4. **Check.** Every page of a segment must report the same `Record-Total`, and the download
//!    must deliver exactly the rows the first answer announced; otherwise the stream ends with
//!    [`FinraError::Inconsistent`] rather than silently losing or repeating rows.
//!
//! A 204 is a page without rows. In streams, [`Query::limit`] caps the rows returned and
//! [`Query::offset`] skips rows of the result.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::client::FinraClient;
use crate::error::FinraError;
use crate::page::{Payload, RawRow, Row, Shape};
use crate::pager::Pager;
use crate::plan::{Planned, Step, plan};
use crate::query::Query;
use crate::records::row_as;
use crate::repeats::{Checked, Unrepeated};

/// FINRA's largest accepted offset.
pub const FINRA_MAX_OFFSET: u64 = 500_000;
/// FINRA's largest synchronous page.
pub const FINRA_MAX_PAGE_SIZE: u64 = 5_000;

/// Paging limits and concurrency of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagingConfig {
    /// Largest offset sent (FINRA: 500 000). Tests lower it with the emulator's.
    pub max_offset: u64,
    /// Rows asked per page at first (FINRA's maximum, 5 000); shrinks when FINRA cuts pages.
    pub page_size: u64,
    /// Pages in flight or waiting to be handed out at once (default 4).
    pub concurrency: usize,
}

impl Default for PagingConfig {
    fn default() -> Self {
        Self {
            max_offset: FINRA_MAX_OFFSET,
            page_size: FINRA_MAX_PAGE_SIZE,
            concurrency: 4,
        }
    }
}

/// Live counts of a download, for progress displays. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    inner: Arc<ProgressInner>,
}

#[derive(Debug, Default)]
struct ProgressInner {
    /// Rows the download will deliver, once known (`u64::MAX` before).
    expected_rows: AtomicU64,
    rows: AtomicU64,
    requests: AtomicU64,
}

impl Progress {
    fn new() -> Self {
        let progress = Self::default();
        progress
            .inner
            .expected_rows
            .store(u64::MAX, Ordering::Relaxed);
        progress
    }

    /// The rows the download will deliver, once the first answer told (before any cap or skip
    /// the caller asked for).
    pub fn expected_rows(&self) -> Option<u64> {
        match self.inner.expected_rows.load(Ordering::Relaxed) {
            u64::MAX => None,
            n => Some(n),
        }
    }

    /// Rows delivered so far.
    pub fn rows(&self) -> u64 {
        self.inner.rows.load(Ordering::Relaxed)
    }

    /// Data requests sent so far (retries not counted).
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn add_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn add_rows(&self, n: u64) {
        self.inner.rows.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn set_expected(&self, n: u64) {
        self.inner.expected_rows.store(n, Ordering::Relaxed);
    }
}

/// A stream of rows ([`Row`], or [`RawRow`] from
/// [`FinraClient::stream_raw_rows`]) with its [`Progress`].
pub struct RowStream<T = Row> {
    inner: BoxStream<'static, Result<T, FinraError>>,
    progress: Progress,
}

impl<T> RowStream<T> {
    /// The download's progress counters.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }
}

impl<T> std::fmt::Debug for RowStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl<T> Stream for RowStream<T> {
    type Item = Result<T, FinraError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// A kind of row a download can deliver.
trait Item: Sized + Send + 'static {
    const SHAPE: Shape;

    /// The rows of a page of this shape.
    fn rows(payload: Payload) -> Vec<Self>;
}

impl Item for Row {
    const SHAPE: Shape = Shape::Rows;

    fn rows(payload: Payload) -> Vec<Self> {
        match payload {
            Payload::Rows(rows) => rows,
            Payload::RawRows(_) | Payload::Csv { .. } => Vec::new(),
        }
    }
}

impl Item for RawRow {
    const SHAPE: Shape = Shape::RawRows;

    fn rows(payload: Payload) -> Vec<Self> {
        match payload {
            Payload::RawRows(rows) => rows,
            Payload::Rows(_) | Payload::Csv { .. } => Vec::new(),
        }
    }
}

/// A stream of delimited text: the header row once, then the records, page by page.
pub struct CsvStream {
    inner: BoxStream<'static, Result<Bytes, FinraError>>,
    progress: Progress,
}

impl CsvStream {
    /// The download's progress counters.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }
}

impl std::fmt::Debug for CsvStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvStream")
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl Stream for CsvStream {
    type Item = Result<Bytes, FinraError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl FinraClient {
    /// Every row of `query`, in order, without losing or repeating one (see the
    /// [module docs](crate::paging) for how). The stream ends after the first error.
    pub fn stream_rows(&self, query: Query) -> RowStream<Row> {
        self.stream_items(query)
    }

    /// Like [`stream_rows`](Self::stream_rows), with each row kept as the JSON text FINRA sent
    /// (validated, not decoded): the cheap way to write NDJSON.
    pub fn stream_raw_rows(&self, query: Query) -> RowStream<RawRow> {
        self.stream_items(query)
    }

    fn stream_items<T: Item>(&self, query: Query) -> RowStream<T> {
        let progress = Progress::new();
        let state = Items {
            start: Some((self.clone(), query, progress.clone())),
            source: None,
            buffer: VecDeque::new(),
            window: Window::default(),
            progress: progress.clone(),
        };
        let inner = stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        })
        .boxed();
        RowStream { inner, progress }
    }

    /// Every row of `query` decoded as `T` (e.g. [`WeeklySummary`](crate::records::WeeklySummary)).
    pub fn stream_records<T: DeserializeOwned + Send + 'static>(
        &self,
        query: Query,
    ) -> impl Stream<Item = Result<T, FinraError>> + Send + 'static {
        self.stream_rows(query).map(|row| row.and_then(row_as::<T>))
    }

    /// Every row of `query` as delimited text (`Accept: text/plain`): FINRA's header row once,
    /// then the records of every page in order. Empty when no row matches.
    pub fn stream_csv(&self, query: Query) -> CsvStream {
        let progress = Progress::new();
        let state = Csv {
            start: Some((self.clone(), query, progress.clone())),
            source: None,
            header_sent: false,
            window: Window::default(),
            progress: progress.clone(),
        };
        let inner = stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        })
        .boxed();
        CsvStream { inner, progress }
    }
}

/// The caller's offset and limit, applied to the delivered rows.
#[derive(Debug, Default)]
pub(crate) struct Window {
    pub(crate) skip: u64,
    pub(crate) remaining: Option<u64>,
}

impl Window {
    fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// Where a download's pages come from: its steps, one after the other, each an unsorted pass
/// checked for repeated rows (falling back to its slices sorted) or a plain pager.
struct Source {
    steps: VecDeque<Step>,
    current: Option<Current>,
    /// Rows handed out, checked against `checked_total` at the end.
    delivered: u64,
    checked_total: Option<u64>,
    finished: bool,
}

/// The step being paged.
struct Current {
    pager: Pager,
    check: Option<Unrepeated>,
    fallback: Option<Pager>,
}

impl Current {
    fn new(step: Step) -> Self {
        let check = step
            .fallback
            .is_some()
            .then(|| Unrepeated::new(step.rows_hint));
        Self {
            pager: step.pager,
            check,
            fallback: step.fallback,
        }
    }

    /// Goes on with the sorted slices; whether there were any to go on with.
    fn fall_back(&mut self) -> bool {
        match (self.fallback.take(), &mut self.check) {
            (Some(fallback), Some(check)) => {
                tracing::debug!("an unsorted pass cannot finish: going on with sorted slices");
                check.fall_back();
                self.pager = fallback;
                true
            }
            _ => false,
        }
    }

    /// The rows of `payload` to hand out.
    fn checked(&mut self, payload: Payload) -> Payload {
        let Some(check) = &mut self.check else {
            return payload;
        };
        match check.check(payload) {
            Checked::Rows(payload) => payload,
            Checked::Repeated(payload) => {
                self.fall_back();
                payload
            }
        }
    }
}

impl Source {
    fn new(planned: Planned) -> Self {
        Self {
            steps: planned.steps.into(),
            current: None,
            delivered: 0,
            checked_total: planned.checked_total,
            finished: false,
        }
    }

    /// The next page's rows to deliver, `None` at the end.
    async fn next_payload(&mut self) -> Option<Result<Payload, FinraError>> {
        loop {
            if self.finished {
                return None;
            }
            let Some(current) = &mut self.current else {
                if let Some(step) = self.steps.pop_front() {
                    self.current = Some(Current::new(step));
                    continue;
                }
                self.finished = true;
                return self.final_check().map(Err);
            };
            let payload = match current.pager.next_payload().await {
                None => {
                    self.current = None;
                    continue;
                }
                Some(Ok(payload)) => payload,
                // A group bigger than estimated, past the maximum offset: its slices sorted
                // deliver the rest.
                Some(Err(FinraError::InvalidQuery { .. })) if current.fall_back() => continue,
                Some(Err(error)) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            };
            let payload = current.checked(payload);
            self.delivered += payload.n_rows();
            return Some(Ok(payload));
        }
    }

    fn final_check(&self) -> Option<FinraError> {
        crate::pager::row_count_check(self.checked_total?, self.delivered)
    }
}

struct Items<T> {
    start: Option<(FinraClient, Query, Progress)>,
    source: Option<Source>,
    buffer: VecDeque<T>,
    window: Window,
    progress: Progress,
}

impl<T: Item> Items<T> {
    async fn next(&mut self) -> Option<Result<T, FinraError>> {
        if let Some((client, query, progress)) = self.start.take() {
            match plan(client, query, T::SHAPE, progress).await {
                Ok(mut planned) => {
                    self.window = std::mem::take(&mut planned.window);
                    self.source = Some(Source::new(planned));
                }
                Err(error) => return Some(Err(error)),
            }
        }
        loop {
            if self.window.exhausted() {
                return None;
            }
            if let Some(row) = self.buffer.pop_front() {
                if self.window.skip > 0 {
                    self.window.skip -= 1;
                    continue;
                }
                if let Some(remaining) = &mut self.window.remaining {
                    *remaining -= 1;
                }
                self.progress.add_rows(1);
                return Some(Ok(row));
            }
            match self.source.as_mut()?.next_payload().await? {
                Ok(payload) => self.buffer.extend(T::rows(payload)),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

struct Csv {
    start: Option<(FinraClient, Query, Progress)>,
    source: Option<Source>,
    header_sent: bool,
    window: Window,
    progress: Progress,
}

impl Csv {
    async fn next(&mut self) -> Option<Result<Bytes, FinraError>> {
        if let Some((client, query, progress)) = self.start.take() {
            match plan(client, query, Shape::Csv, progress).await {
                Ok(mut planned) => {
                    self.window = std::mem::take(&mut planned.window);
                    self.source = Some(Source::new(planned));
                }
                Err(error) => return Some(Err(error)),
            }
        }
        loop {
            if self.window.exhausted() {
                return None;
            }
            let (header, records) = match self.source.as_mut()?.next_payload().await? {
                Ok(Payload::Csv { header, records }) => (header, records),
                Ok(Payload::Rows(_) | Payload::RawRows(_)) => continue,
                Err(error) => return Some(Err(error)),
            };
            let (records, skipped) = crate::csvtext::skip_records(&records, self.window.skip);
            self.window.skip -= skipped;
            let skipped_all = records.is_empty();
            let (records, n_records) = match self.window.remaining {
                Some(remaining) => crate::csvtext::take_records(&records, remaining),
                None => {
                    let n = crate::csvtext::count_records(&records);
                    (records, n)
                }
            };
            if let Some(remaining) = &mut self.window.remaining {
                *remaining -= n_records.min(*remaining);
            }
            self.progress.add_rows(n_records);
            let mut out = Vec::with_capacity(header.len() + records.len());
            if !self.header_sent && !header.is_empty() {
                out.extend_from_slice(&header);
                self.header_sent = true;
            }
            out.extend_from_slice(&records);
            if out.is_empty() && skipped_all {
                continue;
            }
            return Some(Ok(Bytes::from(out)));
        }
    }
}
