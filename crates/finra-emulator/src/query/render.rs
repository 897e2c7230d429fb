//! Rendering selected rows as FINRA's JSON array or delimited text, within a payload cap.

use std::fmt::Write;

use super::plan::Format;
use crate::data::{Cell, Table};

/// FINRA's synchronous payload cap (`Response-Payload-Max-Size: 3mb`).
pub(crate) const MAX_PAYLOAD_BYTES: usize = 3 * 1024 * 1024;

/// A rendered body and how many rows it holds.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub(crate) body: Vec<u8>,
    pub(crate) n_rows: usize,
}

/// Renders `rows` (projected to `projection`), stopping before the row that would take the body
/// past `max_bytes`. At least one row is always rendered when there is one.
pub(crate) fn render(
    table: &Table,
    projection: &[usize],
    rows: &[usize],
    format: Format,
    max_bytes: usize,
) -> Rendered {
    match format {
        Format::Json => render_json(table, projection, rows, max_bytes),
        Format::Csv {
            delimiter,
            quote_values,
        } => render_csv(table, projection, rows, delimiter, quote_values, max_bytes),
    }
}

fn render_json(table: &Table, projection: &[usize], rows: &[usize], max_bytes: usize) -> Rendered {
    let fields = table.fields();
    let keys: Vec<String> = projection
        .iter()
        .map(|&idx| format!("\"{}\":", fields[idx].name))
        .collect();
    let mut body = Vec::with_capacity(rows.len().min(8_192) * 96 * projection.len().max(1) / 4);
    body.push(b'[');
    let mut n_rows = 0;
    for &row_idx in rows {
        let row_start = body.len();
        if n_rows > 0 {
            body.push(b',');
        }
        body.push(b'{');
        let row = table.row(row_idx);
        for (pos, &idx) in projection.iter().enumerate() {
            if pos > 0 {
                body.push(b',');
            }
            body.extend_from_slice(keys[pos].as_bytes());
            write_json_cell(&mut body, table, row[idx]);
        }
        body.push(b'}');
        if n_rows > 0 && body.len() + 1 > max_bytes {
            body.truncate(row_start);
            break;
        }
        n_rows += 1;
    }
    body.push(b']');
    Rendered { body, n_rows }
}

fn write_json_cell(out: &mut Vec<u8>, table: &Table, cell: Cell) {
    match cell {
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Cell::Float(n) => out.extend_from_slice(ryu::Buffer::new().format(n).as_bytes()),
        Cell::Str(id) => {
            let text = table.str(id);
            if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
                out.push(b'"');
                out.extend_from_slice(text.as_bytes());
                out.push(b'"');
            } else {
                serde_json::to_writer(&mut *out, text).expect("writing to a Vec cannot fail");
            }
        }
        Cell::Date(date) => write_json_date(out, date),
    }
}

fn write_json_date(out: &mut Vec<u8>, date: time::Date) {
    let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
    std::io::Write::write_fmt(out, format_args!("\"{year:04}-{month:02}-{day:02}\""))
        .expect("writing to a Vec cannot fail");
}

fn render_csv(
    table: &Table,
    projection: &[usize],
    rows: &[usize],
    delimiter: u8,
    quote_values: bool,
    max_bytes: usize,
) -> Rendered {
    let fields = table.fields();
    let mut body = Vec::new();
    let mut text = String::new();
    let write_record = |body: &mut Vec<u8>, values: &mut dyn Iterator<Item = Option<&str>>| {
        for (pos, value) in values.enumerate() {
            if pos > 0 {
                body.push(delimiter);
            }
            write_csv_field(body, value, delimiter, quote_values);
        }
        body.push(b'\n');
    };
    write_record(
        &mut body,
        &mut projection.iter().map(|&idx| Some(fields[idx].name)),
    );
    let mut n_rows = 0;
    for &row_idx in rows {
        let row_start = body.len();
        let row = table.row(row_idx);
        let values: Vec<Option<String>> = projection
            .iter()
            .map(|&idx| {
                text.clear();
                cell_text(&mut text, table, row[idx]).then(|| text.clone())
            })
            .collect();
        write_record(&mut body, &mut values.iter().map(Option::as_deref));
        if n_rows > 0 && body.len() > max_bytes {
            body.truncate(row_start);
            break;
        }
        n_rows += 1;
    }
    Rendered { body, n_rows }
}

/// Writes a cell's text into `out` as the Query API shows it; false for null.
pub(crate) fn cell_text(out: &mut String, table: &Table, cell: Cell) -> bool {
    match cell {
        Cell::Null => return false,
        Cell::Int(n) => out.push_str(itoa::Buffer::new().format(n)),
        Cell::Float(n) => out.push_str(ryu::Buffer::new().format(n)),
        Cell::Str(id) => out.push_str(table.str(id)),
        Cell::Date(date) => {
            let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
            write!(out, "{year:04}-{month:02}-{day:02}").expect("writing to a String cannot fail");
        }
    }
    true
}

/// One delimited field: quoted always when `quote_values`, otherwise only when it must be
/// (it holds the delimiter, a quote or a line break). Nulls are empty and unquoted.
fn write_csv_field(out: &mut Vec<u8>, value: Option<&str>, delimiter: u8, quote_values: bool) {
    let Some(value) = value else {
        return;
    };
    let must_quote = value
        .bytes()
        .any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r');
    if quote_values || must_quote {
        out.push(b'"');
        for b in value.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}
