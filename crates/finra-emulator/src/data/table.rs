//! The in-memory form of one dataset's rows: a schema, a string pool, a flat cell array and the
//! partition index.
//!
//! Rows are stored row-major in one `Vec<Cell>` (16 bytes a cell), strings are interned once per
//! table, and rows of one partition are contiguous, so a filter on partition fields narrows the
//! scan to whole ranges before any row is looked at. At `--scale full` weeklySummary holds over a
//! million rows in well under 1 GiB this way.

use std::collections::HashMap;
use std::ops::Range;

use time::Date;

/// The type of a field, as `/metadata` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    String,
    /// A number (FINRA mixes integer and decimal encodings within one field).
    Number,
    /// A calendar date, `yyyy-MM-dd`.
    Date,
}

impl FieldType {
    /// The name `/metadata` uses for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::Number => "Number",
            Self::Date => "Date",
        }
    }
}

/// One field of a dataset's schema.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// The field name, exactly as FINRA spells it (e.g. `MPID`, `weekStartDate`).
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// The description `/metadata` shows.
    pub description: &'static str,
}

impl FieldDef {
    /// A field definition (a `const fn`, so schemas can be `static` tables).
    pub const fn new(name: &'static str, ty: FieldType, description: &'static str) -> Self {
        Self {
            name,
            ty,
            description,
        }
    }
}

/// An interned string of one [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StrId(u32);

/// One value of one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// JSON `null` / an empty CSV field.
    Null,
    /// An integral number (rendered without a decimal point, as FINRA does).
    Int(i64),
    /// A number with a fractional part.
    Float(f64),
    /// An interned string; resolve it with [`Table::str`].
    Str(StrId),
    /// A date.
    Date(Date),
}

/// A contiguous run of rows sharing the same partition-field values.
#[derive(Debug, Clone)]
pub struct Partition {
    /// The partition-field values, in the order of the dataset's partition fields.
    pub values: Vec<Cell>,
    /// The rows of this partition.
    pub rows: Range<usize>,
}

/// All rows of a dataset.
#[derive(Debug)]
pub struct Table {
    fields: &'static [FieldDef],
    partition_field_idx: Vec<usize>,
    strings: Vec<Box<str>>,
    cells: Vec<Cell>,
    partitions: Vec<Partition>,
}

impl Table {
    /// The schema.
    pub fn fields(&self) -> &'static [FieldDef] {
        self.fields
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.cells.len() / self.fields.len().max(1)
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The cells of row `idx`, in schema order.
    pub fn row(&self, idx: usize) -> &[Cell] {
        let width = self.fields.len();
        &self.cells[idx * width..(idx + 1) * width]
    }

    /// The text of an interned string.
    pub fn str(&self, id: StrId) -> &str {
        &self.strings[id.0 as usize]
    }

    /// The partitions, in the order `/partitions` lists them (newest first).
    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    /// Schema positions of the partition fields.
    pub fn partition_field_idx(&self) -> &[usize] {
        &self.partition_field_idx
    }

    /// Schema position of a field, matched exactly (FINRA field names are case-sensitive).
    pub fn field_idx(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// Looks up an already interned string without interning it.
    pub fn find_str(&self, text: &str) -> Option<StrId> {
        self.strings
            .iter()
            .position(|s| &**s == text)
            .map(|idx| StrId(idx as u32))
    }
}

/// Builds a [`Table`] row by row.
///
/// Contract for generators: push the rows of one partition contiguously, partitions in the
/// order `/partitions` should list them (newest first). Debug builds check it.
#[derive(Debug)]
pub struct TableBuilder {
    fields: &'static [FieldDef],
    partition_field_idx: Vec<usize>,
    strings: Vec<Box<str>>,
    string_ids: HashMap<Box<str>, StrId>,
    cells: Vec<Cell>,
    partitions: Vec<Partition>,
}

impl TableBuilder {
    /// A builder for a table with this schema and these partition fields (names from `fields`).
    ///
    /// # Panics
    /// If a partition field is not in the schema (a programming error in a dataset definition).
    pub fn new(fields: &'static [FieldDef], partition_fields: &[&str]) -> Self {
        let partition_field_idx = partition_fields
            .iter()
            .map(|name| {
                fields
                    .iter()
                    .position(|f| f.name == *name)
                    .unwrap_or_else(|| panic!("partition field {name} is not in the schema"))
            })
            .collect();
        Self {
            fields,
            partition_field_idx,
            strings: Vec::new(),
            string_ids: HashMap::new(),
            cells: Vec::new(),
            partitions: Vec::new(),
        }
    }

    /// Reserves room for `n_rows` more rows.
    pub fn reserve_rows(&mut self, n_rows: usize) {
        self.cells.reserve(n_rows * self.fields.len());
    }

    /// Interns `text` and returns it as a cell.
    pub fn str(&mut self, text: &str) -> Cell {
        if let Some(id) = self.string_ids.get(text) {
            return Cell::Str(*id);
        }
        let id = StrId(u32::try_from(self.strings.len()).expect("fewer than 2^32 strings"));
        self.strings.push(text.into());
        self.string_ids.insert(text.into(), id);
        Cell::Str(id)
    }

    /// `Cell::Str` for `Some`, `Cell::Null` for `None`.
    pub fn opt_str(&mut self, text: Option<&str>) -> Cell {
        text.map_or(Cell::Null, |t| self.str(t))
    }

    /// Appends one row; `row` holds one cell per schema field, in schema order.
    ///
    /// # Panics
    /// If the row has the wrong width.
    pub fn push_row(&mut self, row: &[Cell]) {
        assert_eq!(
            row.len(),
            self.fields.len(),
            "row width must match the schema"
        );
        let row_idx = self.cells.len() / self.fields.len();
        let key: Vec<Cell> = self.partition_field_idx.iter().map(|&i| row[i]).collect();
        match self.partitions.last_mut() {
            Some(last) if last.values == key => last.rows.end = row_idx + 1,
            _ => {
                debug_assert!(
                    !self.partitions.iter().any(|p| p.values == key),
                    "rows of one partition must be pushed contiguously"
                );
                self.partitions.push(Partition {
                    values: key,
                    rows: row_idx..row_idx + 1,
                });
            }
        }
        self.cells.extend_from_slice(row);
    }

    /// The finished table.
    pub fn finish(mut self) -> Table {
        self.cells.shrink_to_fit();
        Table {
            fields: self.fields,
            partition_field_idx: self.partition_field_idx,
            strings: self.strings,
            cells: self.cells,
            partitions: self.partitions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FIELDS: &[FieldDef] = &[
        FieldDef::new("day", FieldType::Date, "day"),
        FieldDef::new("symbol", FieldType::String, "symbol"),
        FieldDef::new("volume", FieldType::Number, "volume"),
    ];

    #[test]
    fn contiguous_rows_form_partitions_and_strings_are_interned() {
        let mut builder = TableBuilder::new(FIELDS, &["day"]);
        let d1 = Cell::Date(time::macros::date!(2026 - 01 - 06));
        let d0 = Cell::Date(time::macros::date!(2026 - 01 - 05));
        let aapl = builder.str("AAPL");
        builder.push_row(&[d1, aapl, Cell::Int(10)]);
        let msft = builder.str("MSFT");
        builder.push_row(&[d1, msft, Cell::Int(20)]);
        let aapl_again = builder.str("AAPL");
        builder.push_row(&[d0, aapl_again, Cell::Float(1.5)]);
        let table = builder.finish();

        assert_eq!(aapl, aapl_again);
        assert_eq!(table.len(), 3);
        assert_eq!(table.partitions().len(), 2);
        assert_eq!(table.partitions()[0].rows, 0..2);
        assert_eq!(table.partitions()[1].rows, 2..3);
        assert_eq!(table.row(1)[2], Cell::Int(20));
        let Cell::Str(id) = table.row(1)[1] else {
            panic!("expected a string")
        };
        assert_eq!(table.str(id), "MSFT");
    }
}
