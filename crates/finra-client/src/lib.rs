//! A client for FINRA's API platform (the Query API and the FIP token service) that gets
//! authentication right and downloads whole datasets without losing or repeating a row.
//!
//! - **Authentication** ([`Auth`], [`TokenManager`]): tokens are minted the way FINRA accepts
//!   (HTTP Basic, `grant_type=client_credentials` once in the query string, empty body), kept
//!   opaque in redacting secret types, refreshed before they expire, one mint at a time however
//!   many tasks wait, and re-minted once after a 401. Anonymous access works for public
//!   datasets, and a ready bearer token, or a [`BearerSource`] that keeps one fresh (a FinHub
//!   session through `finhub-client`), can be used instead.
//!   Credentials come from code, the environment or a `.env` file ([`Credentials::from_env`]).
//! - **Errors** ([`FinraError`]) say what the caller can do, with FINRA's own reasons and
//!   messages, and never contain a secret.
//! - **Queries** ([`Query`]) are typed and checked before sending; **downloads**
//!   ([`FinraClient::stream_rows`], [`FinraClient::stream_csv`]) page by `Record-Total`, adapt to
//!   FINRA's page limits, fetch pages concurrently within FINRA's 20 requests/s ([`Pacer`]),
//!   and split queries by partition when they pass the maximum offset or when FINRA's row order
//!   could change between pages (module [`paging`]). Pages travel gzip-compressed (about a
//!   tenth of the bytes) and are inflated as they arrive, never past the size an uncompressed
//!   page may have ([`FinraClientBuilder::compression`] turns it off).
//! - **Async requests** ([`FinraClient::run_async`]), the **catalogue**
//!   ([`FinraClient::datasets`], [`FinraClient::metadata`], [`FinraClient::partitions`]),
//!   **typed records** ([`records`]) and a pass-through for proxies ([`FinraClient::send_raw`]).
//!
//! # Example
//!
//! Against the offline emulator (any FINRA URL works the same way):
//!
//! ```
//! use finra_client::{Auth, CompareOp, Credentials, FinraClient, Query};
//! use finra_client::records::WeeklySummary;
//! use futures_util::TryStreamExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = finra_emulator::spawn(finra_emulator::EmulatorConfig::default()).await?;
//!
//! let client = FinraClient::builder()
//!     .api_base(emulator.base_url())
//!     .token_url(emulator.token_url())
//!     .auth(Auth::ClientCredentials(Credentials::new("demo-client", "demo-secret")))
//!     .build()?;
//!
//! // Which weeks and tiers exist?
//! let partitions = client.partitions("otcMarket", "weeklySummary").await?;
//! let newest = &partitions.available_partitions[0].partitions;
//!
//! // Every row of one week and tier, typed, however many pages that takes.
//! let query = Query::new("otcMarket", "weeklySummary")
//!     .compare("weekStartDate", CompareOp::Equal, &newest[0])
//!     .compare("tierIdentifier", CompareOp::Equal, &newest[1]);
//! let rows: Vec<WeeklySummary> = client.stream_records(query).try_collect().await?;
//! assert!(!rows.is_empty());
//! assert_eq!(emulator.counters().tokens_minted(), 1);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod asyncreq;
mod bearer_source;
mod builder;
pub mod catalogue;
mod client;
mod credentials;
mod csvtext;
mod encoding;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod on_mint;
mod pacer;
mod page;
mod pager;
pub mod paging;
mod path;
mod plan;
mod query;
mod raw;
pub mod records;
mod repeats;
mod retry;
mod shared_token;
mod slicing;
mod token;
pub mod traqs;

pub use asyncreq::{AsyncOptions, AsyncRequest, AsyncResult, AsyncStatus, ResultLink};
pub use bearer_source::BearerSource;
pub use builder::{Environment, FinraClientBuilder};
pub use catalogue::{DatasetInfo, DatasetMetadata, FieldInfo, Partition, Partitions};
pub use client::{FinraClient, RawRequest};
pub use credentials::{API_KEY_VAR, API_SECRET_VAR, Auth, CredentialSource, Credentials};
pub use error::FinraError;
pub use on_mint::OnMint;
pub use pacer::{FINRA_BURST_RESERVE, FINRA_REQUESTS_PER_SECOND, Pacer, SharedSchedule};
pub use page::{CsvPage, Page, PageInfo, RawRow, Row};
pub use paging::{CsvStream, PagingConfig, Progress, RowStream};
pub use path::{ApiPath, is_forwardable_query, resolve_link};
pub use query::{
    CompareFilter, CompareOp, DateRangeFilter, Direction, DomainFilter, Format, OrFilter, Query,
    SortField,
};
pub use raw::{RawBody, RawResponse};
pub use records::{Record, row_as, rows_as};
pub use retry::RetryPolicy;
pub use shared_token::{ShareError, SharedToken, SharedTokenLock, SharedTokens};
pub use token::{AccessToken, TokenManager, TokenManagerBuilder};

/// Re-exported so callers can build [`RawRequest`]s and read [`RawResponse`]s without naming
/// `reqwest` themselves.
pub use reqwest::{Method, StatusCode, header};
pub use secrecy::{ExposeSecret, SecretString};
