//! Compiled filters: typed operands and the predicates that test a row (or a whole partition).

use std::cmp::Ordering;

use serde_json::Value;
use time::{Date, PrimitiveDateTime, Time};

use crate::data::{Cell, FieldType, Table};

/// The message FINRA gives for any badly formatted date.
pub(crate) const DATE_FORMAT_MESSAGE: &str =
    "Invalid date field format. Must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.SSS";

/// A comparison operator of `compareFilters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Equal,
    NotEqual,
    Greater,
    Lesser,
    Gte,
    Lte,
}

impl CompareOp {
    /// Parses FINRA's `compareType` (`EQUAL`, `NOT_EQUAL`, `GREATER`, `LESSER`, `GTE`, `LTE`;
    /// the docs' prose spelling `EQUALS` is accepted too). Case-insensitive.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_uppercase().as_str() {
            "EQUAL" | "EQUALS" => Ok(Self::Equal),
            "NOT_EQUAL" | "NOT_EQUALS" => Ok(Self::NotEqual),
            "GREATER" => Ok(Self::Greater),
            "LESSER" => Ok(Self::Lesser),
            "GTE" => Ok(Self::Gte),
            "LTE" => Ok(Self::Lte),
            _ => Err(format!(
                "Invalid compareType: {text}. Must be one of EQUAL, NOT_EQUAL, GREATER, LESSER, GTE, LTE"
            )),
        }
    }

    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Self::Equal => ordering == Ordering::Equal,
            Self::NotEqual => ordering != Ordering::Equal,
            Self::Greater => ordering == Ordering::Greater,
            Self::Lesser => ordering == Ordering::Less,
            Self::Gte => ordering != Ordering::Less,
            Self::Lte => ordering != Ordering::Greater,
        }
    }
}

/// A filter value, typed by the field it is compared with.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Number(f64),
    DateTime(PrimitiveDateTime),
    Text(String),
}

impl Operand {
    /// Reads a JSON filter value for a field of type `ty`. Numbers may be sent as JSON numbers or
    /// strings; dates must use FINRA's strict formats.
    pub(crate) fn parse(ty: FieldType, field: &str, value: &Value) -> Result<Self, String> {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null | Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "Invalid value for field {field}: expected a string or a number"
                ));
            }
        };
        match ty {
            FieldType::String => Ok(Self::Text(text)),
            FieldType::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Self::Number)
                .ok_or_else(|| format!("Invalid value {text:?} for numeric field {field}")),
            FieldType::Date => parse_finra_date(&text).map(Self::DateTime),
        }
    }
}

/// Parses `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss.SSS`, nothing else.
pub(crate) fn parse_finra_date(text: &str) -> Result<PrimitiveDateTime, String> {
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    let datetime_format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"
    );
    let strict_digits = |s: &str| s.len() >= 10 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    if !strict_digits(text) {
        return Err(DATE_FORMAT_MESSAGE.to_owned());
    }
    if text.len() == 10 {
        return Date::parse(text, &date_format)
            .map(|d| PrimitiveDateTime::new(d, Time::MIDNIGHT))
            .map_err(|_| DATE_FORMAT_MESSAGE.to_owned());
    }
    PrimitiveDateTime::parse(text, &datetime_format).map_err(|_| DATE_FORMAT_MESSAGE.to_owned())
}

/// One test on one field.
#[derive(Debug, Clone)]
pub(crate) struct Predicate {
    pub(crate) field_idx: usize,
    pub(crate) test: Test,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    Compare(CompareOp, Operand),
    OneOf(Vec<Operand>),
}

impl Predicate {
    /// Whether `cell` (a value of this predicate's field) passes. Nulls pass only `NOT_EQUAL`.
    pub(crate) fn matches(&self, table: &Table, cell: Cell) -> bool {
        match &self.test {
            Test::Compare(op, operand) => match compare(table, cell, operand) {
                Some(ordering) => op.accepts(ordering),
                None => *op == CompareOp::NotEqual,
            },
            Test::OneOf(operands) => operands
                .iter()
                .any(|operand| compare(table, cell, operand) == Some(Ordering::Equal)),
        }
    }
}

/// Orders a cell against an operand; `None` when they cannot be compared (null, wrong type).
fn compare(table: &Table, cell: Cell, operand: &Operand) -> Option<Ordering> {
    match (cell, operand) {
        (Cell::Int(n), Operand::Number(x)) => (n as f64).partial_cmp(x),
        (Cell::Float(n), Operand::Number(x)) => n.partial_cmp(x),
        (Cell::Date(d), Operand::DateTime(x)) => {
            Some(PrimitiveDateTime::new(d, Time::MIDNIGHT).cmp(x))
        }
        (Cell::Str(id), Operand::Text(x)) => Some(table.str(id).cmp(x.as_str())),
        _ => None,
    }
}

/// Orders two cells of the same field for `sortFields`; nulls sort first.
pub(crate) fn order_cells(table: &Table, a: Cell, b: Cell) -> Ordering {
    match (a, b) {
        (Cell::Null, Cell::Null) => Ordering::Equal,
        (Cell::Null, _) => Ordering::Less,
        (_, Cell::Null) => Ordering::Greater,
        (Cell::Str(x), Cell::Str(y)) => table.str(x).cmp(table.str(y)),
        (Cell::Date(x), Cell::Date(y)) => x.cmp(&y),
        (x, y) => as_number(x).total_cmp(&as_number(y)),
    }
}

fn as_number(cell: Cell) -> f64 {
    match cell {
        Cell::Int(n) => n as f64,
        Cell::Float(n) => n,
        Cell::Null | Cell::Str(_) | Cell::Date(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_dates_accept_only_the_two_documented_formats() {
        assert!(parse_finra_date("2024-01-05").is_ok());
        assert!(parse_finra_date("2024-01-05 13:45:00.123").is_ok());
        for bad in [
            "2024-13-45",
            "2024-02-30",
            "2024-1-5",
            "05/01/2024",
            "2024-01-05T13:45:00",
            "2024-01-05 13:45:00",
            "",
            "2024-01-05x",
        ] {
            assert_eq!(
                parse_finra_date(bad),
                Err(DATE_FORMAT_MESSAGE.to_owned()),
                "{bad}"
            );
        }
    }

    #[test]
    fn operators_parse_case_insensitively_and_reject_unknown_ones() {
        assert_eq!(CompareOp::parse("gte"), Ok(CompareOp::Gte));
        assert_eq!(CompareOp::parse("EQUALS"), Ok(CompareOp::Equal));
        assert!(CompareOp::parse("LIKE").is_err());
    }

    #[test]
    fn numeric_operands_accept_numbers_and_numeric_strings_only() {
        let parse = |v: Value| Operand::parse(FieldType::Number, "n", &v);
        assert!(matches!(parse(serde_json::json!(5)), Ok(Operand::Number(x)) if x == 5.0));
        assert!(matches!(parse(serde_json::json!("5.5")), Ok(Operand::Number(x)) if x == 5.5));
        assert!(parse(serde_json::json!("five")).is_err());
        assert!(parse(serde_json::json!({"a": 1})).is_err());
        assert!(parse(serde_json::json!("NaN")).is_err());
    }
}
