//! Plain text tables for people: columns padded to their widest cell, long cells cut short.

use std::io::{self, Write};

/// Widest a cell is shown (longer text ends with `…`).
const MAX_CELL_CHARS: usize = 72;

/// A table: a header row and data rows.
#[derive(Debug)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column titles.
    pub(crate) fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are blank, extra ones dropped).
    pub(crate) fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut cells: Vec<String> = cells.into_iter().map(|c| clip(&c.into())).collect();
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
    }

    /// Writes the table.
    pub(crate) fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let last = widths.len().saturating_sub(1);
        let mut line = |cells: &[String]| -> io::Result<()> {
            let mut text = String::new();
            for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
                text.push_str(cell);
                if i < last {
                    let pad = width - cell.chars().count() + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(&self.header)?;
        let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
        line(&rule)?;
        for row in &self.rows {
            line(row)?;
        }
        Ok(())
    }
}

/// One line of at most [`MAX_CELL_CHARS`] characters.
fn clip(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(MAX_CELL_CHARS - 1) {
        Some((end, _)) => format!("{}…", &flat[..end]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_long_cells_are_cut() {
        let mut table = Table::new(["GROUP", "NAME"]);
        table.row(["otcMarket", "weeklySummary"]);
        table.row(["x".to_owned(), "y\nz".repeat(50)]);
        let mut out = Vec::new();
        table.write(&mut out).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "GROUP      NAME");
        assert!(lines[2].starts_with("otcMarket  weeklySummary"), "{text}");
        assert!(lines[3].ends_with('…'), "{text}");
        assert_eq!(lines[3].chars().count(), 11 + MAX_CELL_CHARS);
    }
}
