//! [`Query`]: a typed data request (fields, compare / date-range / domain filters, `orFilters`,
//! sort, limit, offset, JSON or CSV), serialised to FINRA's POST `DataRequest` JSON, and the
//! client-side checks FINRA would otherwise answer with a 400 (sorting needs an EQUAL filter on
//! every partition field).

use std::fmt;

use serde::Serialize;

use crate::error::FinraError;

/// A `compareType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompareOp {
    /// `EQUAL`.
    Equal,
    /// `NOT_EQUAL`.
    NotEqual,
    /// `GREATER`.
    Greater,
    /// `LESSER`.
    Lesser,
    /// `GTE` (greater than or equal).
    Gte,
    /// `LTE` (less than or equal).
    Lte,
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending (`field`).
    #[default]
    Ascending,
    /// Descending (`-field`).
    Descending,
}

/// The response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A JSON array of objects (`Accept: application/json`).
    #[default]
    Json,
    /// Comma-delimited text with a header row and quoted values (`Accept: text/plain`).
    Csv,
}

impl Format {
    /// The `Accept` header for this format.
    pub(crate) fn accept(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/plain",
        }
    }
}

/// `{fieldName, fieldValue, compareType}`; the value is sent as a string, as FINRA's schema says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompareFilter {
    /// The field.
    pub field_name: String,
    /// The value, as text (numbers too).
    pub field_value: String,
    /// The operator.
    pub compare_type: CompareOp,
}

/// `{fieldName, startDate, endDate}`, both ends inclusive (`yyyy-MM-dd` or
/// `yyyy-MM-dd HH:mm:ss.SSS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DateRangeFilter {
    /// The date field.
    pub field_name: String,
    /// First date included.
    pub start_date: String,
    /// Last date included.
    pub end_date: String,
}

/// `{fieldName, values}`: the field is one of the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainFilter {
    /// The field.
    pub field_name: String,
    /// The accepted values, as text.
    pub values: Vec<String>,
}

/// One member of `orFilters`: its filters are ANDed; a row must satisfy at least one member.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrFilter {
    /// Compare filters of this alternative.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compare_filters: Vec<CompareFilter>,
    /// Domain filters of this alternative.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain_filters: Vec<DomainFilter>,
}

impl OrFilter {
    /// An empty alternative.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a compare filter to this alternative.
    pub fn compare(
        mut self,
        field: impl Into<String>,
        op: CompareOp,
        value: impl fmt::Display,
    ) -> Self {
        self.compare_filters.push(CompareFilter {
            field_name: field.into(),
            field_value: value.to_string(),
            compare_type: op,
        });
        self
    }

    /// Adds a domain filter to this alternative.
    pub fn domain<V: fmt::Display>(
        mut self,
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.domain_filters.push(DomainFilter {
            field_name: field.into(),
            values: values.into_iter().map(|v| v.to_string()).collect(),
        });
        self
    }
}

/// A sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortField {
    /// The field.
    pub field: String,
    /// The direction.
    pub direction: Direction,
}

impl SortField {
    /// FINRA's spelling: `field` or `-field`.
    pub(crate) fn spec(&self) -> String {
        match self.direction {
            Direction::Ascending => self.field.clone(),
            Direction::Descending => format!("-{}", self.field),
        }
    }
}

/// A request for the rows of one dataset.
///
/// ```
/// use finra_client::{CompareOp, Direction, Query};
///
/// let query = Query::new("otcMarket", "weeklySummary")
///     .fields(["issueSymbolIdentifier", "totalWeeklyShareQuantity"])
///     .compare("tierIdentifier", CompareOp::Equal, "T1")
///     .compare("weekStartDate", CompareOp::Equal, "2026-01-05")
///     .sort("totalWeeklyShareQuantity", Direction::Descending)
///     .limit(10);
/// let body = query.request_body();
/// assert_eq!(body["compareFilters"][0]["compareType"], "EQUAL");
/// assert_eq!(body["sortFields"][0], "-totalWeeklyShareQuantity");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    group: String,
    name: String,
    fields: Vec<String>,
    compare_filters: Vec<CompareFilter>,
    date_range_filters: Vec<DateRangeFilter>,
    domain_filters: Vec<DomainFilter>,
    or_filters: Vec<OrFilter>,
    sort: Vec<SortField>,
    limit: Option<u64>,
    offset: Option<u64>,
}

/// The POST body, in FINRA's key names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DataRequest<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fields: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    compare_filters: &'a [CompareFilter],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    date_range_filters: &'a [DateRangeFilter],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    domain_filters: &'a [DomainFilter],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    or_filters: &'a [OrFilter],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sort_fields: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    #[serde(rename = "async", skip_serializing_if = "std::ops::Not::not")]
    is_async: bool,
}

impl Query {
    /// All rows of dataset `group`/`name` (matched case-insensitively by FINRA).
    pub fn new(group: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            name: name.into(),
            fields: Vec::new(),
            compare_filters: Vec::new(),
            date_range_filters: Vec::new(),
            domain_filters: Vec::new(),
            or_filters: Vec::new(),
            sort: Vec::new(),
            limit: None,
            offset: None,
        }
    }

    /// Only these fields (FINRA returns them in its own order).
    pub fn fields<F: Into<String>>(mut self, fields: impl IntoIterator<Item = F>) -> Self {
        self.fields.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Rows whose `field` compares to `value` with `op`.
    pub fn compare(
        mut self,
        field: impl Into<String>,
        op: CompareOp,
        value: impl fmt::Display,
    ) -> Self {
        self.compare_filters.push(CompareFilter {
            field_name: field.into(),
            field_value: value.to_string(),
            compare_type: op,
        });
        self
    }

    /// Rows whose date `field` lies in `start..=end`.
    pub fn date_range(
        mut self,
        field: impl Into<String>,
        start: impl fmt::Display,
        end: impl fmt::Display,
    ) -> Self {
        self.date_range_filters.push(DateRangeFilter {
            field_name: field.into(),
            start_date: start.to_string(),
            end_date: end.to_string(),
        });
        self
    }

    /// Rows whose `field` is one of `values`.
    pub fn domain<V: fmt::Display>(
        mut self,
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.domain_filters.push(DomainFilter {
            field_name: field.into(),
            values: values.into_iter().map(|v| v.to_string()).collect(),
        });
        self
    }

    /// Adds an `orFilters` member: rows must satisfy at least one member (and every other
    /// filter).
    pub fn or_filter(mut self, alternative: OrFilter) -> Self {
        self.or_filters.push(alternative);
        self
    }

    /// Sorts by `field` (after any earlier sort keys). FINRA requires an EQUAL compare filter on
    /// every partition field of the dataset; the client checks that before sending.
    pub fn sort(mut self, field: impl Into<String>, direction: Direction) -> Self {
        self.sort.push(SortField {
            field: field.into(),
            direction,
        });
        self
    }

    /// For one page ([`FinraClient::query_page`](crate::FinraClient::query_page)): the page size.
    /// For streams: the most rows to return in all.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// For one page: the rows to skip. For streams: the rows of the result to skip.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// The dataset group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The dataset name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sort keys.
    pub fn sort_fields(&self) -> &[SortField] {
        &self.sort
    }

    /// The compare filters.
    pub fn compare_filters(&self) -> &[CompareFilter] {
        &self.compare_filters
    }

    /// The limit, if set.
    pub fn get_limit(&self) -> Option<u64> {
        self.limit
    }

    /// The offset, if set.
    pub fn get_offset(&self) -> Option<u64> {
        self.offset
    }

    /// The POST `DataRequest` body this query sends as one page.
    pub fn request_body(&self) -> serde_json::Value {
        self.body(&self.sort, self.limit, self.offset, false)
    }

    /// The body with an explicit sort, page and async flag.
    pub(crate) fn body(
        &self,
        sort: &[SortField],
        limit: Option<u64>,
        offset: Option<u64>,
        is_async: bool,
    ) -> serde_json::Value {
        let request = DataRequest {
            fields: &self.fields,
            compare_filters: &self.compare_filters,
            date_range_filters: &self.date_range_filters,
            domain_filters: &self.domain_filters,
            or_filters: &self.or_filters,
            sort_fields: sort.iter().map(SortField::spec).collect(),
            limit,
            offset,
            is_async,
        };
        serde_json::to_value(request).unwrap_or_default()
    }

    /// This query without its limit and offset (a download pages by itself).
    pub(crate) fn without_window(mut self) -> Self {
        self.limit = None;
        self.offset = None;
        self
    }

    /// Whether a top-level EQUAL compare filter names `field`.
    fn has_equal_filter(&self, field: &str) -> bool {
        self.compare_filters
            .iter()
            .any(|f| f.field_name == field && f.compare_type == CompareOp::Equal)
    }

    /// Whether the rows returned carry all of `fields` (no projection, or one that names them).
    pub(crate) fn projects(&self, fields: &[String]) -> bool {
        self.fields.is_empty()
            || fields
                .iter()
                .all(|field| self.fields.iter().any(|f| f.eq_ignore_ascii_case(field)))
    }

    /// Whether every partition field has an EQUAL filter (so FINRA allows sorting).
    pub(crate) fn pins_partitions(&self, partition_fields: &[String]) -> bool {
        partition_fields
            .iter()
            .all(|field| self.has_equal_filter(field))
    }

    /// FINRA's sorting rule, checked before sending.
    pub(crate) fn check_sort(&self, partition_fields: &[String]) -> Result<(), FinraError> {
        if self.sort.is_empty() {
            return Ok(());
        }
        let missing: Vec<&str> = partition_fields
            .iter()
            .filter(|field| !self.has_equal_filter(field))
            .map(String::as_str)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(FinraError::InvalidQuery {
            message: format!(
                "sorting {}/{} needs an EQUAL compare filter on every partition field; missing: {}",
                self.group,
                self.name,
                missing.join(", ")
            ),
        })
    }

    /// This query restricted to one partition: an EQUAL filter per partition field (the user's
    /// own filters stay and are ANDed).
    pub(crate) fn in_partition(&self, fields: &[String], values: &[String]) -> Self {
        let mut slice = self.clone();
        for (field, value) in fields.iter().zip(values) {
            if !slice.compare_filters.iter().any(|f| {
                &f.field_name == field
                    && f.compare_type == CompareOp::Equal
                    && &f.field_value == value
            }) {
                slice = slice.compare(field.clone(), CompareOp::Equal, value);
            }
        }
        slice
    }

    /// Whether rows of the partition with these values could match this query's filters. Only
    /// filters whose outcome is certain prune: anything uncertain keeps the partition.
    pub(crate) fn may_match_partition(&self, fields: &[String], values: &[String]) -> bool {
        fields.iter().zip(values).all(|(field, value)| {
            let compares = self
                .compare_filters
                .iter()
                .filter(|f| &f.field_name == field)
                .all(|f| crate::slicing::compare_may_match(value, f.compare_type, &f.field_value));
            let domains = self
                .domain_filters
                .iter()
                .filter(|f| &f.field_name == field)
                .all(|f| f.values.iter().any(|v| crate::slicing::may_equal(value, v)));
            let ranges = self
                .date_range_filters
                .iter()
                .filter(|f| &f.field_name == field)
                .all(|f| crate::slicing::date_in_range(value, &f.start_date, &f.end_date));
            compares && domains && ranges
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_uses_finra_key_names_and_string_values() {
        let query = Query::new("otcMarket", "weeklySummary")
            .compare("totalWeeklyShareQuantity", CompareOp::Gte, 1000)
            .date_range("weekStartDate", "2026-01-05", "2026-02-02")
            .domain("tierIdentifier", ["T1", "T2"])
            .or_filter(OrFilter::new().compare("MPID", CompareOp::Equal, "JPBX"))
            .limit(10)
            .offset(20);
        let body = query.request_body();
        assert_eq!(
            body,
            serde_json::json!({
                "compareFilters": [{"fieldName": "totalWeeklyShareQuantity", "fieldValue": "1000", "compareType": "GTE"}],
                "dateRangeFilters": [{"fieldName": "weekStartDate", "startDate": "2026-01-05", "endDate": "2026-02-02"}],
                "domainFilters": [{"fieldName": "tierIdentifier", "values": ["T1", "T2"]}],
                "orFilters": [{"compareFilters": [{"fieldName": "MPID", "fieldValue": "JPBX", "compareType": "EQUAL"}]}],
                "limit": 10,
                "offset": 20,
            })
        );
        assert_eq!(query.body(&[], None, None, true)["async"], true);
    }

    #[test]
    fn sorting_needs_equal_filters_on_every_partition_field() {
        let partitions = ["weekStartDate".to_owned(), "tierIdentifier".to_owned()];
        let sorted = Query::new("otcMarket", "weeklySummary").sort("MPID", Direction::Ascending);
        let error = sorted.check_sort(&partitions).expect_err("no filters");
        assert!(
            error.to_string().contains("weekStartDate, tierIdentifier"),
            "{error}"
        );
        let half = sorted
            .clone()
            .compare("tierIdentifier", CompareOp::Equal, "T1");
        assert!(half.check_sort(&partitions).is_err());
        let ranged = half
            .clone()
            .compare("weekStartDate", CompareOp::Gte, "2026-01-05");
        assert!(ranged.check_sort(&partitions).is_err(), "GTE is not EQUAL");
        let full = half.compare("weekStartDate", CompareOp::Equal, "2026-01-05");
        assert!(full.check_sort(&partitions).is_ok());
        assert!(full.pins_partitions(&partitions));
    }

    #[test]
    fn partition_pruning_keeps_anything_uncertain() {
        let fields = ["weekStartDate".to_owned(), "tierIdentifier".to_owned()];
        let at = |week: &str, tier: &str| [week.to_owned(), tier.to_owned()];
        let query = Query::new("g", "n")
            .date_range("weekStartDate", "2026-01-05", "2026-01-12")
            .domain("tierIdentifier", ["T1", "OTCE"]);
        assert!(query.may_match_partition(&fields, &at("2026-01-05", "T1")));
        assert!(query.may_match_partition(&fields, &at("2026-01-12", "OTCE")));
        assert!(!query.may_match_partition(&fields, &at("2026-01-19", "T1")));
        assert!(!query.may_match_partition(&fields, &at("2026-01-05", "T2")));
        let exact = Query::new("g", "n").compare("tierIdentifier", CompareOp::Equal, "T2");
        assert!(!exact.may_match_partition(&fields, &at("2026-01-05", "T1")));
        let slice = exact.in_partition(&fields, &at("2026-01-05", "T2"));
        assert_eq!(
            slice.compare_filters().len(),
            2,
            "the user's identical EQUAL filter is reused"
        );
    }
}
