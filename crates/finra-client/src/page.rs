//! One synchronous page: [`FinraClient::query_page`] and [`FinraClient::query_page_csv`], FINRA's
//! paging headers ([`PageInfo`]), and the page fetch every download is built from (204 = no
//! rows; the maximum offset is checked before sending).

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::client::{ApiCall, FinraClient};
use crate::error::FinraError;
use crate::query::{Query, SortField};

/// A row of any dataset: field name → JSON value.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// Largest page body read (FINRA caps synchronous pages at 3 MB).
const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// FINRA's paging headers of one page (all absent on a 204).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PageInfo {
    /// The HTTP status: 200, or 204 when no row matched.
    pub status: u16,
    /// `Record-Total`: rows matching the query, all pages together.
    pub record_total: Option<u64>,
    /// `Record-Offset`: the offset of this page.
    pub record_offset: Option<u64>,
    /// `Record-Limit`: the page size FINRA applied.
    pub record_limit: Option<u64>,
    /// `Record-Max-Limit`: the largest page size FINRA allows.
    pub record_max_limit: Option<u64>,
    /// `Total-Records-On-Page`: rows in this page (fewer than the limit when the 3 MB cap bit).
    pub records_on_page: Option<u64>,
    /// `FINRA-api-request-id`, to quote to FINRA support.
    pub request_id: Option<String>,
}

impl PageInfo {
    pub(crate) fn from_headers(status: StatusCode, headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Self {
            status: status.as_u16(),
            record_total: number("record-total"),
            record_offset: number("record-offset"),
            record_limit: number("record-limit"),
            record_max_limit: number("record-max-limit"),
            records_on_page: number("total-records-on-page"),
            request_id: headers
                .get("finra-api-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }
}

/// One page of JSON rows.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page {
    /// The rows (empty on a 204).
    pub rows: Vec<Row>,
    /// The paging headers.
    pub info: PageInfo,
}

/// One page of delimited text, header row included (empty on a 204).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CsvPage {
    /// The text as FINRA sent it.
    pub csv: Bytes,
    /// The paging headers.
    pub info: PageInfo,
}

/// A row of any dataset exactly as FINRA wrote it: checked to be valid JSON, not decoded.
pub type RawRow = Box<serde_json::value::RawValue>;

/// What a download asks for and how it decodes pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// JSON, decoded into [`Row`]s.
    Rows,
    /// JSON, split into [`RawRow`]s.
    RawRows,
    /// Delimited text.
    Csv,
}

impl Shape {
    fn accept(self) -> &'static str {
        match self {
            Self::Rows | Self::RawRows => "application/json",
            Self::Csv => "text/plain",
        }
    }
}

/// A page's content inside a download.
#[derive(Debug)]
pub(crate) enum Payload {
    Rows(Vec<Row>),
    RawRows(Vec<RawRow>),
    Csv { header: Bytes, records: Bytes },
}

impl Payload {
    pub(crate) fn empty(shape: Shape) -> Self {
        match shape {
            Shape::Rows => Self::Rows(Vec::new()),
            Shape::RawRows => Self::RawRows(Vec::new()),
            Shape::Csv => Self::Csv {
                header: Bytes::new(),
                records: Bytes::new(),
            },
        }
    }

    /// How many rows or records it holds.
    pub(crate) fn n_rows(&self) -> u64 {
        match self {
            Self::Rows(rows) => rows.len() as u64,
            Self::RawRows(rows) => rows.len() as u64,
            Self::Csv { records, .. } => crate::csvtext::count_records(records),
        }
    }

    /// Appends the records of a later request for the same range.
    pub(crate) fn append(&mut self, more: Self) {
        match (self, more) {
            (Self::Rows(rows), Self::Rows(more)) => rows.extend(more),
            (Self::RawRows(rows), Self::RawRows(more)) => rows.extend(more),
            (
                Self::Csv { header, records },
                Self::Csv {
                    header: h2,
                    records: r2,
                },
            ) => {
                if header.is_empty() {
                    *header = h2;
                }
                let mut joined = Vec::with_capacity(records.len() + r2.len());
                joined.extend_from_slice(records);
                joined.extend_from_slice(&r2);
                *records = Bytes::from(joined);
            }
            // A download never mixes shapes.
            (Self::Rows(_) | Self::RawRows(_) | Self::Csv { .. }, _) => {}
        }
    }
}

/// A fetched page inside a download.
#[derive(Debug)]
pub(crate) struct Fetch {
    pub(crate) payload: Payload,
    pub(crate) n_rows: u64,
    pub(crate) info: PageInfo,
}

impl FinraClient {
    /// One page of `query` as JSON rows, exactly as asked (its limit and offset; FINRA's default
    /// page size is 1 000, its maximum 5 000). A 204 is a page without rows, not an error.
    /// Sorting is checked against the dataset's partition fields before anything is sent.
    pub async fn query_page(&self, query: &Query) -> Result<Page, FinraError> {
        self.check_sort(query).await?;
        let fetch = fetch_page(
            self,
            query,
            query.sort_fields(),
            query.get_offset(),
            query.get_limit(),
            Shape::Rows,
        )
        .await?;
        match fetch.payload {
            Payload::Rows(rows) => Ok(Page {
                rows,
                info: fetch.info,
            }),
            Payload::RawRows(_) | Payload::Csv { .. } => {
                Err(FinraError::decode("a JSON page", b""))
            }
        }
    }

    /// One page of `query` as delimited text (`Accept: text/plain`), header row included.
    pub async fn query_page_csv(&self, query: &Query) -> Result<CsvPage, FinraError> {
        self.check_sort(query).await?;
        let fetch = fetch_page(
            self,
            query,
            query.sort_fields(),
            query.get_offset(),
            query.get_limit(),
            Shape::Csv,
        )
        .await?;
        match fetch.payload {
            Payload::Csv { header, records } => {
                let mut csv = Vec::with_capacity(header.len() + records.len());
                csv.extend_from_slice(&header);
                csv.extend_from_slice(&records);
                Ok(CsvPage {
                    csv: Bytes::from(csv),
                    info: fetch.info,
                })
            }
            Payload::Rows(_) | Payload::RawRows(_) => Err(FinraError::decode("a CSV page", b"")),
        }
    }

    /// FINRA's sorting rule, from the dataset's (cached) metadata.
    pub(crate) async fn check_sort(&self, query: &Query) -> Result<(), FinraError> {
        if query.sort_fields().is_empty() {
            return Ok(());
        }
        let metadata = self.cached_metadata(query.group(), query.name()).await?;
        query.check_sort(&metadata.partition_fields)
    }
}

/// Fetches one page of `query` with this sort and page, in this shape.
pub(crate) async fn fetch_page(
    client: &FinraClient,
    query: &Query,
    sort: &[SortField],
    offset: Option<u64>,
    limit: Option<u64>,
    shape: Shape,
) -> Result<Fetch, FinraError> {
    let max_offset = client.inner.paging.max_offset;
    if let Some(offset) = offset.filter(|&o| o > max_offset) {
        return Err(FinraError::InvalidQuery {
            message: format!(
                "offset {offset} is past FINRA's maximum offset {max_offset}: narrow the query with filters \
                 (streams split by partition automatically) or use an asynchronous request"
            ),
        });
    }
    let body = serde_json::to_vec(&query.body(sort, limit, offset, false))
        .map_err(|e| FinraError::Config(format!("cannot serialise the query: {e}")))?;
    let call = ApiCall {
        method: Method::POST,
        url: client.endpoint(&["data", "group", query.group(), "name", query.name()])?,
        accept: shape.accept(),
        body: Some(Bytes::from(body)),
        what: "the data request",
    };
    let fetched = client
        .fetch(&call, client.inner.retry, MAX_PAGE_BYTES)
        .await?;
    let info = PageInfo::from_headers(fetched.status, &fetched.headers);
    if fetched.status == StatusCode::NO_CONTENT {
        return Ok(Fetch {
            payload: Payload::empty(shape),
            n_rows: 0,
            info,
        });
    }
    if fetched.status != StatusCode::OK {
        return Err(FinraError::decode(
            format!("the data response (unexpected status {})", fetched.status),
            &fetched.body,
        ));
    }
    match shape {
        Shape::RawRows => {
            let rows: Vec<RawRow> = serde_json::from_slice(&fetched.body).map_err(|e| {
                FinraError::decode(
                    format!("the rows of {}/{} ({e})", query.group(), query.name()),
                    &fetched.body,
                )
            })?;
            Ok(Fetch {
                n_rows: rows.len() as u64,
                payload: Payload::RawRows(rows),
                info,
            })
        }
        Shape::Rows => {
            let rows: Vec<Row> = serde_json::from_slice(&fetched.body).map_err(|e| {
                FinraError::decode(
                    format!("the rows of {}/{} ({e})", query.group(), query.name()),
                    &fetched.body,
                )
            })?;
            Ok(Fetch {
                n_rows: rows.len() as u64,
                payload: Payload::Rows(rows),
                info,
            })
        }
        Shape::Csv => {
            let (header, records) = crate::csvtext::split_header(&fetched.body);
            // Counted, not read from `Total-Records-On-Page`: only rows that arrived count.
            let n_rows = crate::csvtext::count_records(&records);
            Ok(Fetch {
                payload: Payload::Csv { header, records },
                n_rows,
                info,
            })
        }
    }
}
