//! A data request as the caller sent it: the POST `DataRequest` JSON body or GET query parameters,
//! parsed into one shape with every malformed input turned into FINRA's 400 message.

use serde::Deserialize;
use serde_json::Value;

/// A compare filter as sent (`{fieldName, fieldValue, compareType}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawCompareFilter {
    pub(crate) field_name: String,
    #[serde(default)]
    pub(crate) field_value: Value,
    pub(crate) compare_type: String,
}

/// A date-range filter as sent (`{fieldName, startDate, endDate}`), both ends inclusive.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawDateRangeFilter {
    pub(crate) field_name: String,
    #[serde(default)]
    pub(crate) start_date: Option<String>,
    #[serde(default)]
    pub(crate) end_date: Option<String>,
}

/// A domain filter as sent (`{fieldName, values}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawDomainFilter {
    pub(crate) field_name: String,
    pub(crate) values: Vec<Value>,
}

/// One member of `orFilters`: its filters are ANDed; members are ORed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawOrFilter {
    #[serde(default)]
    pub(crate) compare_filters: Vec<RawCompareFilter>,
    #[serde(default)]
    pub(crate) domain_filters: Vec<RawDomainFilter>,
}

/// FINRA's `DataRequest` body. Unknown keys are ignored, as FINRA ignores them (OpenBB sends a
/// `description` key inside filters).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DataRequest {
    #[serde(default)]
    pub(crate) fields: Vec<String>,
    #[serde(default)]
    pub(crate) compare_filters: Vec<RawCompareFilter>,
    #[serde(default)]
    pub(crate) date_range_filters: Vec<RawDateRangeFilter>,
    #[serde(default)]
    pub(crate) domain_filters: Vec<RawDomainFilter>,
    #[serde(default)]
    pub(crate) or_filters: Vec<RawOrFilter>,
    #[serde(default)]
    pub(crate) sort_fields: Vec<String>,
    #[serde(default)]
    pub(crate) limit: Option<Value>,
    #[serde(default)]
    pub(crate) offset: Option<Value>,
    #[serde(default)]
    pub(crate) delimiter: Option<String>,
    #[serde(default)]
    pub(crate) quote_values: Option<bool>,
    #[serde(default, rename = "async")]
    pub(crate) is_async: bool,
}

impl DataRequest {
    /// Parses a POST body. An empty body is an empty request (`{}`).
    pub(crate) fn from_json(body: &[u8]) -> Result<Self, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| "Request body must be a validly formatted JSON object".to_owned())?;
        if !value.is_object() {
            return Err("Request body must be a validly formatted JSON object".to_owned());
        }
        serde_json::from_value(value).map_err(|e| format!("Invalid request body: {e}"))
    }

    /// Parses GET query parameters: `fields`, `sortFields` (comma-joined or repeated), `limit`,
    /// `offset`, `delimiter`, `quoteValues`, `async`. Other parameters are ignored.
    pub(crate) fn from_query(query: Option<&str>) -> Result<Self, String> {
        let mut request = Self::default();
        let Some(query) = query else {
            return Ok(request);
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let list = || {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            };
            match &*key {
                "fields" => request.fields.extend(list()),
                "sortFields" => request.sort_fields.extend(list()),
                "limit" => request.limit = Some(Value::String(value.into_owned())),
                "offset" => request.offset = Some(Value::String(value.into_owned())),
                "delimiter" => request.delimiter = Some(value.into_owned()),
                "quoteValues" => request.quote_values = Some(parse_bool("quoteValues", &value)?),
                "async" => request.is_async = parse_bool("async", &value)?,
                _ => {}
            }
        }
        Ok(request)
    }

    /// The echo of this request that FINRA puts in 400 bodies (`dataRequest`).
    pub(crate) fn echo(&self, method: &str, group: &str, name: &str) -> Value {
        let filters = |items: Vec<Value>| Value::Array(items);
        serde_json::json!({
            "action": method,
            "datasetGroup": group,
            "datasetName": name,
            "fields": self.fields,
            "compareFilters": filters(self.compare_filters.iter().map(|f| serde_json::json!({
                "fieldName": f.field_name, "fieldValue": f.field_value, "compareType": f.compare_type,
            })).collect()),
            "dateRangeFilters": filters(self.date_range_filters.iter().map(|f| serde_json::json!({
                "fieldName": f.field_name, "startDate": f.start_date, "endDate": f.end_date,
            })).collect()),
            "domainFilters": filters(self.domain_filters.iter().map(|f| serde_json::json!({
                "fieldName": f.field_name, "values": f.values,
            })).collect()),
            "sortFields": self.sort_fields,
            "limit": self.limit,
            "offset": self.offset,
        })
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!(
            "Invalid value for {name}: {value:?}. Must be true or false"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_body_is_an_empty_request_and_non_objects_are_rejected() {
        assert!(DataRequest::from_json(b"").is_ok());
        assert!(DataRequest::from_json(b"  \n").is_ok());
        assert!(DataRequest::from_json(b"[]").is_err());
        assert!(DataRequest::from_json(b"{\"limit\":").is_err());
        assert!(DataRequest::from_json(b"{\"fields\":\"notalist\"}").is_err());
    }

    #[test]
    fn query_lists_may_be_comma_joined_or_repeated() {
        let request = DataRequest::from_query(Some(
            "fields=a,b&fields=c&sortFields=-a&limit=10&async=true",
        ))
        .expect("valid");
        assert_eq!(request.fields, ["a", "b", "c"]);
        assert_eq!(request.sort_fields, ["-a"]);
        assert!(request.is_async);
        assert!(DataRequest::from_query(Some("quoteValues=maybe")).is_err());
    }
}
