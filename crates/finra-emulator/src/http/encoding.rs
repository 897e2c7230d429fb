//! Response compression as FINRA's edge applies it: a data page goes out gzip-compressed when the
//! request's `Accept-Encoding` allows gzip, and identity otherwise; either way the answer says
//! that it varies with `Accept-Encoding`.

use std::io::Write as _;

use axum::http::{HeaderMap, header};
use flate2::Compression;
use flate2::write::GzEncoder;

/// Whether the request's `Accept-Encoding` allows gzip: `gzip` (or `x-gzip`) named with a
/// quality above zero, or `*` above zero without gzip named. An absent header, a quality of zero
/// or one that does not parse means identity.
pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut named, mut any) = (None, None);
    let values = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok());
    for item in values.flat_map(|value| value.split(',')) {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let acceptable = quality(parts).is_some_and(|q| q > 0.0);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            named = Some(acceptable);
        } else if coding == "*" {
            any = Some(acceptable);
        }
    }
    named.or(any).unwrap_or(false)
}

/// The `q` parameter among a coding's parameters: 1 when there is none, `None` when it does not
/// parse as a quality (0 to 1).
fn quality<'a>(mut parameters: impl Iterator<Item = &'a str>) -> Option<f32> {
    let Some(parameter) = parameters.find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("q")
            .then_some(value.trim())
    }) else {
        return Some(1.0);
    };
    parameter
        .parse::<f32>()
        .ok()
        .filter(|q| (0.0..=1.0).contains(q))
}

/// `body` gzip-compressed at the fastest level (a page is compressed once per request, and the
/// emulator shares its machine with whatever it serves).
pub(super) fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use axum::http::HeaderValue;

    use super::*;

    fn accepts(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("a header value"),
        );
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_sent_only_where_accept_encoding_allows_it() {
        for allowed in [
            "gzip",
            "GZIP",
            "x-gzip",
            "gzip, deflate, br",
            "br;q=1.0, gzip;q=0.5",
            "*",
            "identity, *;q=0.1",
            "gzip; q=1",
            "gzip;Q=0.001",
        ] {
            assert!(accepts(allowed), "{allowed}");
        }
        for refused in [
            "",
            "identity",
            "br, deflate",
            "gzip;q=0",
            "gzip;q=0.000",
            "*, gzip;q=0",
            "*;q=0",
            "gzip;q=abc",
            "gzip;q=2",
            "gzipx",
        ] {
            assert!(!accepts(refused), "{refused}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_compressed_body_inflates_to_the_original() {
        let body = br#"[{"a":1,"b":"x"},{"a":2,"b":"y"}]"#.repeat(100);
        let compressed = gzip(&body).expect("gzip into memory");
        assert!(compressed.len() < body.len() / 10, "{}", compressed.len());
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut inflated)
            .expect("inflate");
        assert_eq!(inflated, body);
    }
}
