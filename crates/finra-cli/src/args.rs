//! Arguments shared by `query` and `async`: the `GROUP/NAME` dataset and the filter, field and
//! sort flags, parsed by clap (a malformed one is a usage error, exit 2) and turned into a
//! [`Query`].

use std::fmt;
use std::str::FromStr;

use finra_client::{CompareOp, Direction, Query};

/// The arguments of a command that shows one thing about a dataset (`metadata`, `partitions`).
#[derive(Debug, clap::Args)]
pub(crate) struct DatasetView {
    /// The dataset, GROUP/NAME (e.g. otcMarket/weeklySummary)
    pub(crate) dataset: DatasetName,
    /// Print JSON (FINRA's field names) instead of a table
    #[arg(long)]
    pub(crate) json: bool,
}

/// A dataset, `GROUP/NAME` (e.g. `otcMarket/weeklySummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DatasetName {
    pub(crate) group: String,
    pub(crate) name: String,
}

impl FromStr for DatasetName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.trim().split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(group), Some(name), None) if !group.is_empty() && !name.is_empty() => Ok(Self {
                group: group.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err("expected GROUP/NAME, e.g. otcMarket/weeklySummary".to_owned()),
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.group, self.name)
    }
}

/// `--filter 'FIELD OP VALUE'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompareArg {
    pub(crate) field: String,
    pub(crate) op: CompareOp,
    pub(crate) value: String,
}

/// The operators, longest first so that `>=` is not read as `>`.
const OPERATORS: [(&str, CompareOp); 7] = [
    (">=", CompareOp::Gte),
    ("<=", CompareOp::Lte),
    ("!=", CompareOp::NotEqual),
    ("==", CompareOp::Equal),
    ("=", CompareOp::Equal),
    (">", CompareOp::Greater),
    ("<", CompareOp::Lesser),
];

impl FromStr for CompareArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const USAGE: &str = "expected 'FIELD OP VALUE' with OP one of = != > < >= <=";
        let text = text.trim();
        let field_end = text
            .find(|c: char| c.is_whitespace() || "=!<>".contains(c))
            .ok_or_else(|| USAGE.to_owned())?;
        let field = &text[..field_end];
        let rest = text[field_end..].trim_start();
        let (op_text, op) = OPERATORS
            .iter()
            .find(|(op, _)| rest.starts_with(op))
            .ok_or_else(|| format!("{USAGE}; found {rest:?} after the field"))?;
        let value = unquote(rest[op_text.len()..].trim());
        if field.is_empty() {
            return Err(format!("{USAGE}: the field is missing"));
        }
        if value.is_empty() {
            return Err(format!("{USAGE}: the value is missing"));
        }
        Ok(Self {
            field: field.to_owned(),
            op: *op,
            value: value.to_owned(),
        })
    }
}

/// A value without one pair of matching surrounding quotes.
fn unquote(value: &str) -> &str {
    for quote in ['\'', '"'] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// `--date-range 'FIELD:START:END'` (both ends included; dates may carry a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateRangeArg {
    pub(crate) field: String,
    pub(crate) start: String,
    pub(crate) end: String,
}

impl FromStr for DateRangeArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const USAGE: &str = "expected 'FIELD:START:END', e.g. weekStartDate:2026-01-05:2026-02-02";
        let (field, range) = text.trim().split_once(':').ok_or(USAGE)?;
        // Times hold colons too ("2026-01-05 10:00:00.000"): END starts where a date starts.
        let split = range
            .match_indices(':')
            .map(|(at, _)| at)
            .find(|&at| starts_with_date(&range[at + 1..]))
            .or_else(|| {
                (range.matches(':').count() == 1)
                    .then(|| range.find(':'))
                    .flatten()
            })
            .ok_or(USAGE)?;
        let (start, end) = (range[..split].trim(), range[split + 1..].trim());
        if field.trim().is_empty() || start.is_empty() || end.is_empty() {
            return Err(USAGE.to_owned());
        }
        Ok(Self {
            field: field.trim().to_owned(),
            start: start.to_owned(),
            end: end.to_owned(),
        })
    }
}

/// Whether `text` starts with `yyyy-mm-dd`.
fn starts_with_date(text: &str) -> bool {
    let bytes = text.trim_start().as_bytes();
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
}

/// `--in 'FIELD=V1,V2,…'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DomainArg {
    pub(crate) field: String,
    pub(crate) values: Vec<String>,
}

impl FromStr for DomainArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const USAGE: &str = "expected 'FIELD=V1,V2,…', e.g. tierIdentifier=T1,T2";
        let (field, values) = text.split_once('=').ok_or(USAGE)?;
        let values: Vec<String> = values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        if field.trim().is_empty() || values.is_empty() {
            return Err(USAGE.to_owned());
        }
        Ok(Self {
            field: field.trim().to_owned(),
            values,
        })
    }
}

/// `--sort [-]FIELD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortArg {
    pub(crate) field: String,
    pub(crate) direction: Direction,
}

impl FromStr for SortArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (field, direction) = match text.strip_prefix('-') {
            Some(field) => (field, Direction::Descending),
            None => (text.strip_prefix('+').unwrap_or(text), Direction::Ascending),
        };
        if field.is_empty() || field.contains(|c: char| c.is_whitespace() || c == ',') {
            return Err("expected a field name, or -FIELD for descending".to_owned());
        }
        Ok(Self {
            field: field.to_owned(),
            direction,
        })
    }
}

/// The flags that shape a query: filters, fields and sort.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct QueryFilters {
    /// Keep rows where FIELD compares to VALUE; OP is one of = != > < >= <= (repeatable: all
    /// must hold)
    #[arg(long = "filter", value_name = "'FIELD OP VALUE'")]
    pub(crate) compare: Vec<CompareArg>,
    /// Keep rows whose date FIELD lies between START and END, both included (repeatable)
    #[arg(long = "date-range", value_name = "FIELD:START:END")]
    pub(crate) date_ranges: Vec<DateRangeArg>,
    /// Keep rows whose FIELD is one of the values (repeatable)
    #[arg(long = "in", value_name = "FIELD=V1,V2")]
    pub(crate) domains: Vec<DomainArg>,
    /// Only these fields
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub(crate) fields: Vec<String>,
    /// Sort by FIELD, -FIELD for descending (repeatable, most significant first); FINRA needs
    /// an EQUAL filter on every partition field to sort
    #[arg(long, allow_hyphen_values = true, value_name = "[-]FIELD")]
    pub(crate) sort: Vec<SortArg>,
}

impl QueryFilters {
    /// The query on `dataset` with these filters, fields and sort (no limit or offset).
    pub(crate) fn query(&self, dataset: &DatasetName) -> Query {
        let mut query = Query::new(&dataset.group, &dataset.name);
        if !self.fields.is_empty() {
            query = query.fields(
                self.fields
                    .iter()
                    .map(|f| f.trim())
                    .filter(|f| !f.is_empty()),
            );
        }
        for filter in &self.compare {
            query = query.compare(&filter.field, filter.op, &filter.value);
        }
        for range in &self.date_ranges {
            query = query.date_range(&range.field, &range.start, &range.end);
        }
        for domain in &self.domains {
            query = query.domain(&domain.field, &domain.values);
        }
        for sort in &self.sort {
            query = query.sort(&sort.field, sort.direction);
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(text: &str) -> Result<(String, CompareOp, String), String> {
        text.parse::<CompareArg>().map(|c| (c.field, c.op, c.value))
    }

    #[test]
    fn filters_parse_every_operator_with_or_without_spaces() {
        let cases = [
            ("tierIdentifier = T1", CompareOp::Equal),
            ("tierIdentifier==T1", CompareOp::Equal),
            ("tierIdentifier != T1", CompareOp::NotEqual),
            ("tierIdentifier>T1", CompareOp::Greater),
            ("tierIdentifier < T1", CompareOp::Lesser),
            ("tierIdentifier >= T1", CompareOp::Gte),
            ("tierIdentifier<=T1", CompareOp::Lte),
        ];
        for (text, op) in cases {
            assert_eq!(
                compare(text),
                Ok(("tierIdentifier".to_owned(), op, "T1".to_owned())),
                "{text}"
            );
        }
        assert_eq!(
            compare("issueName = 'Apple Inc. Common'").map(|c| c.2),
            Ok("Apple Inc. Common".to_owned())
        );
        assert_eq!(
            compare("a = b = c").map(|c| c.2),
            Ok("b = c".to_owned()),
            "the value is everything after the operator"
        );
        for bad in [
            "tierIdentifier ~ T1",
            "tierIdentifier =",
            "= T1",
            "tierIdentifier",
            "",
        ] {
            assert!(compare(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn date_ranges_split_between_the_dates_even_with_times() {
        let plain: DateRangeArg = "weekStartDate:2026-01-05:2026-02-02"
            .parse()
            .expect("valid");
        assert_eq!(
            (
                plain.field.as_str(),
                plain.start.as_str(),
                plain.end.as_str()
            ),
            ("weekStartDate", "2026-01-05", "2026-02-02")
        );
        let timed: DateRangeArg = "tradeDate:2026-01-05 10:00:00.000:2026-01-06 12:30:00.000"
            .parse()
            .expect("valid");
        assert_eq!(timed.start, "2026-01-05 10:00:00.000");
        assert_eq!(timed.end, "2026-01-06 12:30:00.000");
        for bad in [
            "weekStartDate",
            "weekStartDate:2026-01-05",
            ":2026-01-05:2026-01-06",
        ] {
            assert!(bad.parse::<DateRangeArg>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn domains_sorts_and_datasets_parse() {
        let domain: DomainArg = "tierIdentifier=T1, T2,,OTCE".parse().expect("valid");
        assert_eq!(domain.values, ["T1", "T2", "OTCE"]);
        assert!("tierIdentifier".parse::<DomainArg>().is_err());
        assert!("tierIdentifier=".parse::<DomainArg>().is_err());

        let down: SortArg = "-totalWeeklyShareQuantity".parse().expect("valid");
        assert_eq!(down.direction, Direction::Descending);
        let up: SortArg = "MPID".parse().expect("valid");
        assert_eq!(
            (up.field.as_str(), up.direction),
            ("MPID", Direction::Ascending)
        );
        assert!("-".parse::<SortArg>().is_err());

        let dataset: DatasetName = "otcMarket/weeklySummary".parse().expect("valid");
        assert_eq!(dataset.to_string(), "otcMarket/weeklySummary");
        for bad in ["otcMarket", "otcMarket/", "/x", "a/b/c"] {
            assert!(bad.parse::<DatasetName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flags_become_finra_filters() {
        let filters = QueryFilters {
            compare: vec!["totalWeeklyShareQuantity >= 1000".parse().expect("valid")],
            date_ranges: vec![
                "weekStartDate:2026-01-05:2026-02-02"
                    .parse()
                    .expect("valid"),
            ],
            domains: vec!["tierIdentifier=T1,T2".parse().expect("valid")],
            fields: vec!["MPID".to_owned(), "tierIdentifier".to_owned()],
            sort: vec!["-MPID".parse().expect("valid")],
        };
        let dataset: DatasetName = "otcMarket/weeklySummary".parse().expect("valid");
        let body = filters.query(&dataset).request_body();
        assert_eq!(
            body,
            serde_json::json!({
                "fields": ["MPID", "tierIdentifier"],
                "compareFilters": [{"fieldName": "totalWeeklyShareQuantity", "fieldValue": "1000", "compareType": "GTE"}],
                "dateRangeFilters": [{"fieldName": "weekStartDate", "startDate": "2026-01-05", "endDate": "2026-02-02"}],
                "domainFilters": [{"fieldName": "tierIdentifier", "values": ["T1", "T2"]}],
                "sortFields": ["-MPID"],
            })
        );
    }
}
