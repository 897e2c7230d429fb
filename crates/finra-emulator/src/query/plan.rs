//! Validation of a data request against a dataset, producing the plan the engine runs: which
//! fields, which filters, which sort, which page and which output format.

use serde_json::Value;

use super::filter::{CompareOp, Operand, Predicate, Test};
use super::request::{DataRequest, RawCompareFilter, RawDomainFilter};
use crate::data::{Dataset, FieldType, QueryRules};

/// Rows per synchronous page when no limit is given.
pub(crate) const DEFAULT_LIMIT: u64 = 1_000;
/// Most rows per synchronous page (`Record-Max-Limit`).
pub(crate) const MAX_LIMIT: u64 = 5_000;
/// Most rows per asynchronous request (also its default).
pub(crate) const MAX_ASYNC_LIMIT: u64 = 100_000;

/// A sort key: field position and direction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortKey {
    pub(crate) field_idx: usize,
    pub(crate) descending: bool,
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv { delimiter: u8, quote_values: bool },
}

/// A validated request, ready to run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Schema positions of the output fields, in schema order.
    pub(crate) projection: Vec<usize>,
    /// ANDed predicates.
    pub(crate) filters: Vec<Predicate>,
    /// Alternatives of ANDed predicates; when present, a row must satisfy at least one.
    pub(crate) or_groups: Vec<Vec<Predicate>>,
    pub(crate) sort: Vec<SortKey>,
    pub(crate) offset: u64,
    /// The effective limit (already clamped).
    pub(crate) limit: u64,
    pub(crate) format: Format,
    pub(crate) is_async: bool,
}

/// Validates `request` for `dataset`; the error is FINRA's 400 message.
pub(crate) fn plan(
    dataset: &Dataset,
    request: &DataRequest,
    wants_json: bool,
    max_offset: u64,
) -> Result<Plan, String> {
    let table = &dataset.table;
    check_known_fields(dataset, request)?;
    let field_idx = |name: &str| {
        table
            .field_idx(name)
            .expect("field names were checked against the schema")
    };

    let projection = if request.fields.is_empty() {
        (0..table.fields().len()).collect()
    } else {
        let mut idx: Vec<usize> = request.fields.iter().map(|f| field_idx(f)).collect();
        idx.sort_unstable();
        idx.dedup();
        idx
    };

    let mut filters = Vec::new();
    for filter in &request.compare_filters {
        filters.push(compare_predicate(dataset, filter)?);
    }
    for filter in &request.date_range_filters {
        let idx = field_idx(&filter.field_name);
        if table.fields()[idx].ty != FieldType::Date {
            return Err(format!("Field {} is not a date field", filter.field_name));
        }
        if filter.start_date.is_none() && filter.end_date.is_none() {
            return Err(format!(
                "Date range filter on {} needs a startDate or an endDate",
                filter.field_name
            ));
        }
        for (bound, op) in [
            (&filter.start_date, CompareOp::Gte),
            (&filter.end_date, CompareOp::Lte),
        ] {
            if let Some(bound) = bound {
                let operand = Operand::parse(
                    FieldType::Date,
                    &filter.field_name,
                    &Value::String(bound.clone()),
                )?;
                filters.push(Predicate {
                    field_idx: idx,
                    test: Test::Compare(op, operand),
                });
            }
        }
    }
    for filter in &request.domain_filters {
        filters.push(domain_predicate(dataset, filter)?);
    }
    // orFilters: each member is one alternative whose filters are ANDed; a row must satisfy at
    // least one member (and every top-level filter).
    let mut or_groups = Vec::new();
    for member in &request.or_filters {
        let group = member
            .compare_filters
            .iter()
            .map(|f| compare_predicate(dataset, f))
            .chain(
                member
                    .domain_filters
                    .iter()
                    .map(|f| domain_predicate(dataset, f)),
            )
            .collect::<Result<Vec<_>, _>>()?;
        if !group.is_empty() {
            or_groups.push(group);
        }
    }

    let sort = sort_keys(dataset, request)?;
    if dataset.def.rules == QueryRules::HistoricEqualOnly {
        check_historic_rules(request)?;
    }

    let offset = match &request.offset {
        None => 0,
        Some(value) => parse_count("offset", value)?,
    };
    if offset > max_offset {
        return Err(format!("Offset must be less than or equal to {max_offset}"));
    }
    let max_limit = if request.is_async {
        MAX_ASYNC_LIMIT
    } else {
        MAX_LIMIT
    };
    let limit = match &request.limit {
        None if request.is_async => MAX_ASYNC_LIMIT,
        None => DEFAULT_LIMIT,
        Some(value) => {
            let limit = parse_count("limit", value)?;
            if limit == 0 {
                return Err("limit must be greater than 0".to_owned());
            }
            limit.min(max_limit)
        }
    };

    let format = if wants_json {
        Format::Json
    } else {
        Format::Csv {
            delimiter: parse_delimiter(request.delimiter.as_deref())?,
            quote_values: request.quote_values.unwrap_or(true),
        }
    };

    Ok(Plan {
        projection,
        filters,
        or_groups,
        sort,
        offset,
        limit,
        format,
        is_async: request.is_async,
    })
}

/// Every field named anywhere in the request must exist, else FINRA's exact message.
fn check_known_fields(dataset: &Dataset, request: &DataRequest) -> Result<(), String> {
    let table = &dataset.table;
    let sort_names = request
        .sort_fields
        .iter()
        .map(|s| s.trim_start_matches(['-', '+']));
    let or_names = request.or_filters.iter().flat_map(|member| {
        member
            .compare_filters
            .iter()
            .map(|f| f.field_name.as_str())
            .chain(member.domain_filters.iter().map(|f| f.field_name.as_str()))
    });
    let mut unknown: Vec<&str> = Vec::new();
    let names = request
        .fields
        .iter()
        .map(String::as_str)
        .chain(
            request
                .compare_filters
                .iter()
                .map(|f| f.field_name.as_str()),
        )
        .chain(
            request
                .date_range_filters
                .iter()
                .map(|f| f.field_name.as_str()),
        )
        .chain(request.domain_filters.iter().map(|f| f.field_name.as_str()))
        .chain(or_names)
        .chain(sort_names);
    for name in names {
        if table.field_idx(name).is_none() && !unknown.contains(&name) {
            unknown.push(name);
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "The following fields are not available in this dataset: [{}]",
            unknown.join(", ")
        ))
    }
}

fn compare_predicate(dataset: &Dataset, filter: &RawCompareFilter) -> Result<Predicate, String> {
    let idx = dataset
        .table
        .field_idx(&filter.field_name)
        .expect("field names were checked against the schema");
    let op = CompareOp::parse(&filter.compare_type)?;
    let ty = dataset.table.fields()[idx].ty;
    let operand = Operand::parse(ty, &filter.field_name, &filter.field_value)?;
    Ok(Predicate {
        field_idx: idx,
        test: Test::Compare(op, operand),
    })
}

fn domain_predicate(dataset: &Dataset, filter: &RawDomainFilter) -> Result<Predicate, String> {
    let idx = dataset
        .table
        .field_idx(&filter.field_name)
        .expect("field names were checked against the schema");
    let ty = dataset.table.fields()[idx].ty;
    let operands = filter
        .values
        .iter()
        .map(|v| Operand::parse(ty, &filter.field_name, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Predicate {
        field_idx: idx,
        test: Test::OneOf(operands),
    })
}

/// Sorting needs an EQUAL compare filter on every partition field, as FINRA documents.
fn sort_keys(dataset: &Dataset, request: &DataRequest) -> Result<Vec<SortKey>, String> {
    if request.sort_fields.is_empty() {
        return Ok(Vec::new());
    }
    if dataset.def.rules == QueryRules::HistoricEqualOnly {
        return Err(format!(
            "Sorting is not supported for dataset {}",
            dataset.name
        ));
    }
    let partition_fields = dataset.def.partition_fields;
    let has_equal_filter = |field: &str| {
        request.compare_filters.iter().any(|f| {
            f.field_name == field && CompareOp::parse(&f.compare_type) == Ok(CompareOp::Equal)
        })
    };
    if !partition_fields.iter().all(|f| has_equal_filter(f)) {
        return Err(format!(
            "Sorting requires an EQUAL compareFilter on every partition field of the dataset: [{}]",
            partition_fields.join(", ")
        ));
    }
    Ok(request
        .sort_fields
        .iter()
        .map(|spec| {
            let descending = spec.starts_with('-');
            let name = spec.trim_start_matches(['-', '+']);
            SortKey {
                field_idx: dataset
                    .table
                    .field_idx(name)
                    .expect("field names were checked against the schema"),
                descending,
            }
        })
        .collect())
}

/// weeklySummaryHistoric: exactly one EQUAL filter on one of the three week/month fields,
/// optionally an EQUAL filter on `tierIdentifier`, and nothing else.
fn check_historic_rules(request: &DataRequest) -> Result<(), String> {
    const MESSAGE: &str = "This dataset requires exactly one EQUAL compareFilter on weekStartDate, \
        historicalWeek or historicalMonth, optionally with an EQUAL compareFilter on tierIdentifier; \
        no other filters are supported";
    let only_equal_compares = request.date_range_filters.is_empty()
        && request.domain_filters.is_empty()
        && request.or_filters.is_empty()
        && request
            .compare_filters
            .iter()
            .all(|f| CompareOp::parse(&f.compare_type) == Ok(CompareOp::Equal));
    let period_filters = request
        .compare_filters
        .iter()
        .filter(|f| {
            matches!(
                f.field_name.as_str(),
                "weekStartDate" | "historicalWeek" | "historicalMonth"
            )
        })
        .count();
    let tier_filters = request
        .compare_filters
        .iter()
        .filter(|f| f.field_name == "tierIdentifier")
        .count();
    let others = request.compare_filters.len() - period_filters - tier_filters;
    if only_equal_compares && period_filters == 1 && tier_filters <= 1 && others == 0 {
        Ok(())
    } else {
        Err(MESSAGE.to_owned())
    }
}

/// Reads a non-negative count (`limit`, `offset`) sent as a JSON number or a string. Integers too
/// large for 64 bits count as "huge" (and are then clamped or refused by the caller).
fn parse_count(name: &str, value: &Value) -> Result<u64, String> {
    let invalid = || format!("Invalid value for {name}: {value}. Must be a non-negative integer");
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => return Err(invalid()),
    };
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    let huge_integer = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let huge_float = text
        .parse::<f64>()
        .is_ok_and(|f| f.is_finite() && f >= u64::MAX as f64 && f.fract() == 0.0);
    if huge_integer || huge_float {
        Ok(u64::MAX)
    } else {
        Err(invalid())
    }
}

fn parse_delimiter(delimiter: Option<&str>) -> Result<u8, String> {
    match delimiter {
        None | Some(",") => Ok(b','),
        Some("|") => Ok(b'|'),
        Some("\t") => Ok(b'\t'),
        Some("\u{1}") => Ok(1),
        Some(other) => Err(format!(
            "Invalid delimiter {other:?}. Must be one of: comma, pipe, tab, Control-A"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_accept_numbers_and_strings_and_treat_huge_ones_as_huge() {
        assert_eq!(parse_count("limit", &json!(10)), Ok(10));
        assert_eq!(parse_count("limit", &json!("10")), Ok(10));
        assert_eq!(
            parse_count("limit", &json!("99999999999999999999999")),
            Ok(u64::MAX)
        );
        assert_eq!(parse_count("limit", &json!(1e30)), Ok(u64::MAX));
        assert!(parse_count("limit", &json!(-1)).is_err());
        assert!(parse_count("limit", &json!("-5")).is_err());
        assert!(parse_count("limit", &json!(2.5)).is_err());
        assert!(parse_count("limit", &json!("ten")).is_err());
        assert!(parse_count("limit", &json!(null)).is_err());
    }

    #[test]
    fn delimiters_are_limited_to_the_documented_four() {
        assert_eq!(parse_delimiter(None), Ok(b','));
        assert_eq!(parse_delimiter(Some("|")), Ok(b'|'));
        assert_eq!(parse_delimiter(Some("\u{1}")), Ok(1));
        assert!(parse_delimiter(Some(";")).is_err());
        assert!(parse_delimiter(Some(",,")).is_err());
    }
}
