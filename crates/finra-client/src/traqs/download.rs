//! A TRAQS file as it arrives: the header row read and checked first (pipe-delimited column
//! names, a UTF-8 byte-order mark dropped), then the rest streamed chunk by chunk.

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::FinraError;

/// Longest header row accepted.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// A file being downloaded.
#[derive(Debug)]
pub struct TraqsDownload {
    columns: Vec<String>,
    /// The header line as sent (without the BOM), line end included.
    header: Bytes,
    /// What arrived after the header line before the download was handed out.
    rest: Option<Bytes>,
    response: reqwest::Response,
}

impl TraqsDownload {
    pub(super) async fn start(mut response: reqwest::Response) -> Result<Self, FinraError> {
        let mut buffer: Vec<u8> = Vec::new();
        let newline = loop {
            if let Some(at) = buffer.iter().position(|b| *b == b'\n') {
                break at;
            }
            if buffer.len() > MAX_HEADER_BYTES {
                return Err(bad_header("no line end in the first 64 KiB"));
            }
            match response
                .chunk()
                .await
                .map_err(|e| FinraError::from_reqwest(e, "the TRAQS download"))?
            {
                Some(chunk) => buffer.extend_from_slice(&chunk),
                None if buffer.is_empty() => return Err(bad_header("the file is empty")),
                None => break buffer.len(),
            }
        };
        let start = if buffer.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let end = (newline + 1).min(buffer.len());
        let line = std::str::from_utf8(&buffer[start..newline.min(buffer.len())])
            .map_err(|_| bad_header("the header row is not UTF-8"))?
            .trim_end_matches('\r');
        let columns: Vec<String> = line.split('|').map(str::to_owned).collect();
        if columns.iter().any(|column| {
            column.is_empty()
                || !column
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        }) {
            return Err(bad_header(
                "the first line is not a header row of column names",
            ));
        }
        let rest = (end < buffer.len()).then(|| Bytes::copy_from_slice(&buffer[end..]));
        Ok(Self {
            columns,
            header: Bytes::copy_from_slice(&buffer[start..end]),
            rest,
            response,
        })
    }

    /// The header row's column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Refuses the file unless every one of `required` is among its columns.
    pub fn require_columns(&self, required: &[&str]) -> Result<(), FinraError> {
        match required
            .iter()
            .find(|name| !self.columns.iter().any(|column| column == *name))
        {
            Some(missing) => Err(bad_header(&format!("the column {missing} is missing"))),
            None => Ok(()),
        }
    }

    /// The next chunk of data after the header row; `None` at the end. A download that breaks
    /// off is an error, never a short file.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, FinraError> {
        if let Some(rest) = self.rest.take() {
            return Ok(Some(rest));
        }
        self.response
            .chunk()
            .await
            .map_err(|e| FinraError::from_reqwest(e, "the TRAQS download"))
    }

    /// The whole file (header row included) as a stream of chunks, for passing it on as it
    /// arrives (a proxy's response body); a download that breaks off ends in an error.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<Bytes, FinraError>> {
        let header = self.header.clone();
        futures_util::stream::once(async move { Ok(header) }).chain(
            futures_util::stream::try_unfold(self, |mut download| async move {
                Ok(download.chunk().await?.map(|chunk| (chunk, download)))
            }),
        )
    }

    /// Writes the whole file (header row included) to `out`; returns the data rows written.
    pub async fn copy_to<W: AsyncWrite + Unpin>(self, out: &mut W) -> Result<u64, FinraError> {
        self.copy_to_observed(out, |_| {}).await
    }

    /// [`Self::copy_to`], telling `written` the bytes of each piece as it is written (a
    /// progress display).
    pub async fn copy_to_observed<W: AsyncWrite + Unpin>(
        mut self,
        out: &mut W,
        mut written: impl FnMut(usize),
    ) -> Result<u64, FinraError> {
        let io = |e: std::io::Error| FinraError::Config(format!("cannot write the file: {e}"));
        out.write_all(&self.header).await.map_err(io)?;
        written(self.header.len());
        let mut rows = 0_u64;
        let mut last = b'\n';
        while let Some(chunk) = self.chunk().await? {
            rows += u64::try_from(chunk.iter().filter(|b| **b == b'\n').count()).unwrap_or(0);
            if let Some(byte) = chunk.last() {
                last = *byte;
            }
            out.write_all(&chunk).await.map_err(io)?;
            written(chunk.len());
        }
        if last != b'\n' {
            rows += 1;
        }
        out.flush().await.map_err(io)?;
        Ok(rows)
    }
}

fn bad_header(why: &str) -> FinraError {
    FinraError::Decode {
        what: format!("a TRAQS file: {why}"),
        excerpt: String::new(),
    }
}
