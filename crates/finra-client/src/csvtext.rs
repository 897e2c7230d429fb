//! Record boundaries in FINRA's delimited text: a record ends at a line break outside double
//! quotes (quoted values may hold line breaks; `""` is an escaped quote). Used to strip the
//! header row of every page but the first, and to count, skip and cut records.

use bytes::Bytes;

/// Byte offsets just past the end of each of the first `n` records of `text` (fewer when the
/// text holds fewer). A last record without a line break counts.
fn record_ends(text: &[u8], n: u64) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut in_quotes = false;
    let mut record_has_bytes = false;
    for (idx, &byte) in text.iter().enumerate() {
        if ends.len() as u64 >= n {
            return ends;
        }
        match byte {
            b'"' => {
                in_quotes = !in_quotes;
                record_has_bytes = true;
            }
            b'\n' if !in_quotes => {
                ends.push(idx + 1);
                record_has_bytes = false;
            }
            _ => record_has_bytes = true,
        }
    }
    if record_has_bytes && (ends.len() as u64) < n {
        ends.push(text.len());
    }
    ends
}

/// The records of `text`, each with its line break.
pub(crate) fn records(text: &Bytes) -> impl Iterator<Item = Bytes> + '_ {
    let ends = record_ends(text, u64::MAX);
    let starts = std::iter::once(0).chain(ends.clone());
    starts.zip(ends).map(|(start, end)| text.slice(start..end))
}

/// Splits a page into its header row (with its line break) and the records after it.
pub(crate) fn split_header(page: &Bytes) -> (Bytes, Bytes) {
    match record_ends(page, 1).first() {
        Some(&end) => (page.slice(..end), page.slice(end..)),
        None => (page.clone(), Bytes::new()),
    }
}

/// How many records `text` holds.
pub(crate) fn count_records(text: &[u8]) -> u64 {
    record_ends(text, u64::MAX).len() as u64
}

/// The first `n` records of `text`, and how many that is.
pub(crate) fn take_records(text: &Bytes, n: u64) -> (Bytes, u64) {
    let ends = record_ends(text, n);
    let end = ends.last().copied().unwrap_or(0);
    (text.slice(..end), ends.len() as u64)
}

/// `text` without its first `n` records, and how many were dropped.
pub(crate) fn skip_records(text: &Bytes, n: u64) -> (Bytes, u64) {
    if n == 0 {
        return (text.clone(), 0);
    }
    let ends = record_ends(text, n);
    let end = ends.last().copied().unwrap_or(0);
    (text.slice(end..), ends.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_line_breaks_do_not_end_records() {
        let page = Bytes::from_static(
            b"\"a\",\"b\"\n\"1\",\"x\ny\"\n\"2\",\"say \"\"hi\"\"\"\n\"3\",\"z\"",
        );
        let (header, records) = split_header(&page);
        assert_eq!(&header[..], b"\"a\",\"b\"\n");
        assert_eq!(count_records(&records), 3);
        let (first_two, n) = take_records(&records, 2);
        assert_eq!(n, 2);
        assert!(first_two.ends_with(b"\"\"\"\n"));
        let (rest, dropped) = skip_records(&records, 2);
        assert_eq!((dropped, &rest[..]), (2, &b"\"3\",\"z\""[..]));
        assert_eq!(count_records(b""), 0);
    }
}
