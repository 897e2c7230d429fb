//! Compressed answers: the client asks for gzip (FINRA's edge compresses its pages about tenfold)
//! and inflates what comes back as it arrives, never past the size it would have accepted
//! uncompressed, so a small body that inflates a thousandfold is refused, not held.

use std::io::Write as _;

use bytes::{Bytes, BytesMut};
use flate2::write::MultiGzDecoder;
use futures_util::{Stream, StreamExt};
use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::error::FinraError;

/// The `Accept-Encoding` the client sends when it asks for compressed answers.
pub(crate) fn accepted() -> HeaderValue {
    HeaderValue::from_static("gzip")
}

/// How an answer's body is encoded, from its `Content-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// No `Content-Encoding`, or `identity`.
    Identity,
    /// `gzip` (or its old name `x-gzip`).
    Gzip,
}

impl Coding {
    /// The coding `headers` announce, or the header's text when it is one the client never asks
    /// for (several codings, or another than gzip).
    pub(crate) fn of(headers: &HeaderMap) -> Result<Self, String> {
        let mut values = headers.get_all(header::CONTENT_ENCODING).iter();
        let Some(value) = values.next() else {
            return Ok(Self::Identity);
        };
        let text = value.to_str().unwrap_or("(not text)").trim();
        if values.next().is_some() {
            return Err(format!("{text}, …"));
        }
        if text.is_empty() || text.eq_ignore_ascii_case("identity") {
            Ok(Self::Identity)
        } else if text.eq_ignore_ascii_case("gzip") || text.eq_ignore_ascii_case("x-gzip") {
            Ok(Self::Gzip)
        } else {
            Err(text.to_owned())
        }
    }
}

/// Collects a body's chunks as `coding` says, refused when the body as read (inflated, for
/// gzip) would pass `max_bytes`.
pub(crate) async fn collect(
    coding: Coding,
    chunks: impl Stream<Item = Result<Bytes, FinraError>>,
    max_bytes: usize,
    what: &str,
) -> Result<Bytes, FinraError> {
    match coding {
        Coding::Identity => crate::client::collect_limited(chunks, max_bytes, what).await,
        Coding::Gzip => inflate(chunks, max_bytes, what).await,
    }
}

/// Inflates gzip chunks as they arrive into at most `max_bytes`.
async fn inflate(
    chunks: impl Stream<Item = Result<Bytes, FinraError>>,
    max_bytes: usize,
    what: &str,
) -> Result<Bytes, FinraError> {
    let mut chunks = std::pin::pin!(chunks);
    let mut decoder = MultiGzDecoder::new(Capped::new(max_bytes));
    let failed = |decoder: &MultiGzDecoder<Capped>, error: std::io::Error| {
        let inflated = decoder.get_ref();
        let what = if inflated.overflowed {
            format!("{what} (larger than {max_bytes} bytes once inflated)")
        } else {
            format!("{what} (its gzip data is broken: {error})")
        };
        FinraError::decode(what, &inflated.body)
    };
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if let Err(error) = decoder.write_all(&chunk) {
            return Err(failed(&decoder, error));
        }
    }
    if let Err(error) = decoder.try_finish() {
        return Err(failed(&decoder, error));
    }
    match decoder.finish() {
        Ok(inflated) => Ok(inflated.body.freeze()),
        Err(error) => Err(FinraError::decode(
            format!("{what} (its gzip data is broken: {error})"),
            b"",
        )),
    }
}

/// Inflated bytes, refused past a size (the decoder then stops with an error).
struct Capped {
    body: BytesMut,
    max_bytes: usize,
    overflowed: bool,
}

impl Capped {
    fn new(max_bytes: usize) -> Self {
        Self {
            body: BytesMut::new(),
            max_bytes,
            overflowed: false,
        }
    }
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.body.len() + data.len() > self.max_bytes {
            self.overflowed = true;
            return Err(std::io::Error::other("the inflated body is too large"));
        }
        self.body.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(body: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(body).expect("into memory");
        encoder.finish().expect("into memory")
    }

    /// `body` cut into chunks of `size`, as a response stream.
    fn chunked(body: &[u8], size: usize) -> impl Stream<Item = Result<Bytes, FinraError>> {
        let chunks: Vec<_> = body
            .chunks(size)
            .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
            .collect();
        futures_util::stream::iter(chunks)
    }

    fn coding(value: Option<&str>) -> Result<Coding, String> {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        Coding::of(&headers)
    }

    #[test]
    fn the_coding_is_read_from_content_encoding() {
        assert_eq!(coding(None), Ok(Coding::Identity));
        assert_eq!(coding(Some("identity")), Ok(Coding::Identity));
        assert_eq!(coding(Some("gzip")), Ok(Coding::Gzip));
        assert_eq!(coding(Some(" GZIP ")), Ok(Coding::Gzip));
        assert_eq!(coding(Some("x-gzip")), Ok(Coding::Gzip));
        assert_eq!(coding(Some("br")), Err("br".to_owned()));
        assert_eq!(coding(Some("gzip, br")), Err("gzip, br".to_owned()));
        let mut twice = HeaderMap::new();
        twice.append(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        twice.append(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(Coding::of(&twice).is_err());
    }

    #[tokio::test]
    async fn gzip_inflates_across_chunk_boundaries() {
        let body = br#"[{"weekStartDate":"2024-01-01","totalWeeklyShareQuantity":12}]"#.repeat(500);
        let compressed = gzip(&body);
        for size in [1, 7, 1024, compressed.len()] {
            let inflated = collect(
                Coding::Gzip,
                chunked(&compressed, size),
                body.len(),
                "a page",
            )
            .await
            .expect("inflates");
            assert_eq!(inflated, body, "chunks of {size}");
        }
        // Two members, as a concatenating proxy might send them, inflate one after the other.
        let mut two = gzip(b"[1,");
        two.extend(gzip(b"2]"));
        let inflated = collect(Coding::Gzip, chunked(&two, 3), 100, "a page").await;
        assert_eq!(inflated.expect("inflates").as_ref(), b"[1,2]");
    }

    #[tokio::test]
    async fn a_body_inflating_past_the_limit_is_refused_without_being_held() {
        // 64 MiB of zeros compress to about 64 KiB: a body the size limit alone would let in.
        let bomb = gzip(&vec![0_u8; 64 * 1024 * 1024]);
        assert!(bomb.len() < 128 * 1024, "{}", bomb.len());
        let max = 1024 * 1024;
        let error = collect(Coding::Gzip, chunked(&bomb, 16 * 1024), max, "a page")
            .await
            .expect_err("refused");
        let text = error.to_string();
        assert!(
            text.contains("larger than 1048576 bytes once inflated"),
            "{text}"
        );
        // Exactly at the limit is fine.
        let exact = gzip(&vec![b'x'; max]);
        let inflated = collect(Coding::Gzip, chunked(&exact, 4096), max, "a page").await;
        assert_eq!(inflated.expect("at the limit").len(), max);
    }

    #[tokio::test]
    async fn broken_gzip_is_a_decode_error() {
        let mut compressed = gzip(&b"[1,2,3]".repeat(100));
        let truncated = &compressed[..compressed.len() / 2];
        let error = collect(Coding::Gzip, chunked(truncated, 8), 10_000, "a page")
            .await
            .expect_err("a truncated body");
        assert!(matches!(error, FinraError::Decode { .. }), "{error:?}");
        let middle = compressed.len() / 2;
        compressed[middle] ^= 0xff;
        compressed[middle + 1] ^= 0xff;
        let error = collect(Coding::Gzip, chunked(&compressed, 8), 10_000, "a page")
            .await
            .expect_err("a corrupted body");
        assert!(matches!(error, FinraError::Decode { .. }), "{error:?}");
        let error = collect(
            Coding::Gzip,
            chunked(b"not gzip at all", 4),
            10_000,
            "a page",
        )
        .await
        .expect_err("not gzip");
        assert!(error.to_string().contains("gzip data is broken"), "{error}");
    }
}
