//! Entry point for the fuzz targets (feature `fuzzing`): one of FINRA's answers — status, headers
//! and body — through every parser the client has for it: paging headers, JSON and raw-JSON
//! pages, CSV pages, the token response, and error bodies. None may panic.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::FinraError;
use crate::page::{PageInfo, RawRow, Row};

/// `data`: two bytes of status (big-endian, taken modulo 600), then header lines
/// (`name: value`) up to an empty line, then the body.
pub fn response(data: &[u8]) {
    let Some((status, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status =
        StatusCode::from_u16(100 + u16::from_be_bytes(*status) % 500).unwrap_or(StatusCode::OK);
    let (headers, body) = head_and_body(rest);
    let _ = PageInfo::from_headers(status, &headers);
    let _ = FinraError::from_status(status, &headers, body);
    let _ = serde_json::from_slice::<Vec<Row>>(body);
    let _ = serde_json::from_slice::<Vec<RawRow>>(body);
    let (_, records) = crate::csvtext::split_header(&bytes::Bytes::copy_from_slice(body));
    let _ = crate::csvtext::count_records(&records);
    crate::token::parse_token_for_fuzzing(status, body);
}

/// `data` read as header lines (`name: value`; lines that are not valid headers are skipped)
/// up to the first empty line, and the body after it. The fuzz targets' framing of an HTTP
/// message, shared with the hub's.
pub fn head_and_body(data: &[u8]) -> (HeaderMap, &[u8]) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    (parse_headers(head), body)
}

fn parse_headers(head: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    headers
}
