//! Typed records of the popular `otcMarket` datasets, and decoding of untyped
//! [`Row`]s into them or any other `serde` type.
//!
//! Every field is an `Option` (FINRA sends `null` freely), numbers are `f64` (FINRA writes the
//! same field as `3` in one row and `3.53` in the next, and quantities can be fractional; numeric
//! strings are accepted too), and dates are [`time::Date`] read from `yyyy-MM-dd` (a date-time's
//! date part is accepted). Unknown fields are ignored, so new FINRA fields do not break decoding.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use time::Date;

use crate::error::FinraError;
use crate::page::Row;
use crate::query::Query;

/// A typed record of one dataset.
pub trait Record: DeserializeOwned {
    /// The dataset's group, as FINRA documents it.
    const GROUP: &'static str;
    /// The dataset's name.
    const NAME: &'static str;

    /// A query for all rows of this dataset.
    fn query() -> Query {
        Query::new(Self::GROUP, Self::NAME)
    }
}

/// Decodes one row into `T`.
pub fn row_as<T: DeserializeOwned>(row: Row) -> Result<T, FinraError> {
    let value = serde_json::Value::Object(row);
    T::deserialize(&value).map_err(|e| {
        let text = value.to_string();
        FinraError::decode(
            format!("a row as {} ({e})", std::any::type_name::<T>()),
            text.as_bytes(),
        )
    })
}

/// Decodes rows into `T`, failing on the first row that does not decode.
pub fn rows_as<T: DeserializeOwned>(
    rows: impl IntoIterator<Item = Row>,
) -> Result<Vec<T>, FinraError> {
    rows.into_iter().map(row_as).collect()
}

/// `otcMarket/weeklySummary`: OTC and ATS weekly volume per security and venue.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct WeeklySummary {
    /// Monday of the week (partition field).
    #[serde(deserialize_with = "date")]
    pub week_start_date: Option<Date>,
    /// `T1`, `T2`, `OTCE` (partition field).
    pub tier_identifier: Option<String>,
    /// `NMS Tier 1`, `NMS Tier 2`, `OTCE`.
    pub tier_description: Option<String>,
    /// Symbol (null on volume-statistics rows).
    pub issue_symbol_identifier: Option<String>,
    /// Security name.
    pub issue_name: Option<String>,
    /// The venue's CRD number.
    #[serde(rename = "firmCRDNumber", deserialize_with = "number")]
    pub firm_crd_number: Option<f64>,
    /// The venue's MPID.
    #[serde(rename = "MPID")]
    pub mpid: Option<String>,
    /// The venue's name.
    pub market_participant_name: Option<String>,
    /// First day summarised.
    #[serde(deserialize_with = "date")]
    pub summary_start_date: Option<Date>,
    /// Trades in the week.
    #[serde(deserialize_with = "number")]
    pub total_weekly_trade_count: Option<f64>,
    /// Shares in the week.
    #[serde(deserialize_with = "number")]
    pub total_weekly_share_quantity: Option<f64>,
    /// Notional value (production only).
    #[serde(deserialize_with = "number")]
    pub total_notional_sum: Option<f64>,
    /// Product type, e.g. `UTP`.
    pub product_type_code: Option<String>,
    /// `ATS_W_SMBL_FIRM`, `OTC_W_SMBL`, …
    pub summary_type_code: Option<String>,
    /// Last update.
    #[serde(deserialize_with = "date")]
    pub last_update_date: Option<Date>,
    /// First publication.
    #[serde(deserialize_with = "date")]
    pub initial_published_date: Option<Date>,
    /// Last reported day.
    #[serde(deserialize_with = "date")]
    pub last_reported_date: Option<Date>,
}

impl Record for WeeklySummary {
    const GROUP: &'static str = "otcMarket";
    const NAME: &'static str = "weeklySummary";
}

/// `otcMarket/regShoDaily`: daily short-sale volume per symbol and reporting facility.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RegShoDaily {
    /// Trade date (partition field).
    #[serde(deserialize_with = "date")]
    pub trade_report_date: Option<Date>,
    /// Symbol.
    pub securities_information_processor_symbol_identifier: Option<String>,
    /// Short volume (short + short exempt).
    #[serde(deserialize_with = "number")]
    pub short_par_quantity: Option<f64>,
    /// Short exempt volume.
    #[serde(deserialize_with = "number")]
    pub short_exempt_par_quantity: Option<f64>,
    /// Total volume.
    #[serde(deserialize_with = "number")]
    pub total_par_quantity: Option<f64>,
    /// `N`, `Q`, `B`, `D`.
    pub market_code: Option<String>,
    /// `NYTRF`, `NQTRF`, `NCTRF`, `ADF`.
    pub reporting_facility_code: Option<String>,
}

impl Record for RegShoDaily {
    const GROUP: &'static str = "otcMarket";
    const NAME: &'static str = "regShoDaily";
}

/// `otcMarket/consolidatedShortInterest`: twice-monthly short interest.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ConsolidatedShortInterest {
    /// Settlement date (partition field).
    #[serde(deserialize_with = "date")]
    pub settlement_date: Option<Date>,
    /// `yyyyMMdd`.
    #[serde(deserialize_with = "number")]
    pub accounting_year_month_number: Option<f64>,
    /// Symbol.
    pub symbol_code: Option<String>,
    /// Security name.
    pub issue_name: Option<String>,
    /// Issuer services group exchange code.
    pub issuer_services_group_exchange_code: Option<String>,
    /// `NNM`, `NYSE`, `OTC`, …
    pub market_class_code: Option<String>,
    /// Short position now.
    #[serde(deserialize_with = "number")]
    pub current_short_position_quantity: Option<f64>,
    /// Short position at the previous settlement.
    #[serde(deserialize_with = "number")]
    pub previous_short_position_quantity: Option<f64>,
    /// `S` after a split.
    pub stock_split_flag: Option<String>,
    /// Average daily volume.
    #[serde(deserialize_with = "number")]
    pub average_daily_volume_quantity: Option<f64>,
    /// Days to cover (capped at 999.99).
    #[serde(deserialize_with = "number")]
    pub days_to_cover_quantity: Option<f64>,
    /// `R` when revised.
    pub revision_flag: Option<String>,
    /// Change in percent (100 without a previous position).
    #[serde(deserialize_with = "number")]
    pub change_percent: Option<f64>,
    /// Change in shares.
    #[serde(deserialize_with = "number")]
    pub change_previous_number: Option<f64>,
}

impl Record for ConsolidatedShortInterest {
    const GROUP: &'static str = "otcMarket";
    const NAME: &'static str = "consolidatedShortInterest";
}

/// `otcMarket/thresholdList`: Reg SHO and Rule 4320 threshold securities.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ThresholdList {
    /// Trade date (partition field).
    #[serde(deserialize_with = "date")]
    pub trade_date: Option<Date>,
    /// Symbol.
    pub issue_symbol_identifier: Option<String>,
    /// Security name.
    pub issue_name: Option<String>,
    /// Market class.
    pub market_class_code: Option<String>,
    /// `R` (Reg SHO) or `NR` (Rule 4320).
    pub threshold_list_flag: Option<String>,
    /// Market category.
    pub market_category_description: Option<String>,
    /// `Y` / `N`.
    pub reg_sho_threshold_flag: Option<String>,
    /// `Y` / `N`.
    pub rule4320_flag: Option<String>,
}

impl Record for ThresholdList {
    const GROUP: &'static str = "otcMarket";
    const NAME: &'static str = "thresholdList";
}

/// `otcMarket/monthlySummary`: OTC (non-ATS) monthly volume.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct MonthlySummary {
    /// First day of the month (partition field).
    #[serde(deserialize_with = "date")]
    pub month_start_date: Option<Date>,
    /// `NMS`, `OTCE` (partition field).
    pub tier_identifier: Option<String>,
    /// Symbol.
    pub issue_symbol_identifier: Option<String>,
    /// Security name.
    pub issue_name: Option<String>,
    /// The firm's CRD number.
    #[serde(rename = "firmCRDNumber", deserialize_with = "number")]
    pub firm_crd_number: Option<f64>,
    /// The firm's name.
    pub market_participant_name: Option<String>,
    /// First day summarised.
    #[serde(deserialize_with = "date")]
    pub summary_start_date: Option<Date>,
    /// Trades in the month.
    #[serde(deserialize_with = "number")]
    pub total_monthly_trade_count: Option<f64>,
    /// Shares in the month.
    #[serde(deserialize_with = "number")]
    pub total_monthly_share_quantity: Option<f64>,
    /// Notional value.
    #[serde(deserialize_with = "number")]
    pub total_notional_sum: Option<f64>,
    /// Product type.
    pub product_type_code: Option<String>,
    /// `OTC_M_FIRM`, `OTC_M_SMBL`, …
    pub summary_type_code: Option<String>,
    /// Last update.
    #[serde(deserialize_with = "date")]
    pub last_update_date: Option<Date>,
    /// First publication.
    #[serde(deserialize_with = "date")]
    pub initial_published_date: Option<Date>,
    /// Last reported day.
    #[serde(deserialize_with = "date")]
    pub last_reported_date: Option<Date>,
}

impl Record for MonthlySummary {
    const GROUP: &'static str = "otcMarket";
    const NAME: &'static str = "monthlySummary";
}

/// A number written as a JSON integer, float or numeric string; `null` or `""` is `None`.
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(deserializer)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => Ok(n.as_f64()),
        Some(serde_json::Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("not a number: {text:?}"))),
        Some(other) => Err(D::Error::custom(format!("not a number: {other}"))),
    }
}

/// A `yyyy-MM-dd` date (or the date part of `yyyy-MM-dd HH:mm:ss.SSS`); `null` or `""` is
/// `None`.
fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
    use serde::de::Error;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => text
            .get(..10)
            .and_then(|day| Date::parse(day, &format).ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("not a yyyy-MM-dd date: {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: serde_json::Value) -> Row {
        match value {
            serde_json::Value::Object(map) => map,
            _ => Row::new(),
        }
    }

    #[test]
    fn weekly_summary_decodes_finra_rows_with_nulls_and_mixed_numbers() {
        let record: WeeklySummary = row_as(row(serde_json::json!({
            "totalWeeklyShareQuantity": 6489206414_i64, "issueSymbolIdentifier": null,
            "lastUpdateDate": "2023-12-11", "tierIdentifier": "NMS", "weekStartDate": "2023-11-06",
            "MPID": "JPBX", "firmCRDNumber": null, "totalNotionalSum": 1257506.5,
            "summaryTypeCode": "ATS_W_VOL_STATS", "someNewField": 1
        })))
        .expect("decodes");
        assert_eq!(record.total_weekly_share_quantity, Some(6_489_206_414.0));
        assert_eq!(
            record.week_start_date,
            Some(time::macros::date!(2023 - 11 - 06))
        );
        assert_eq!(record.mpid.as_deref(), Some("JPBX"));
        assert_eq!(record.issue_symbol_identifier, None);
        assert_eq!(record.total_notional_sum, Some(1_257_506.5));
    }

    #[test]
    fn short_interest_survives_int_and_float_encodings() {
        let rows = [
            row(
                serde_json::json!({"symbolCode": "AAPL", "daysToCoverQuantity": 3, "settlementDate": "2026-08-31"}),
            ),
            row(
                serde_json::json!({"symbolCode": "AAPL", "daysToCoverQuantity": 3.53, "changePercent": "20.13"}),
            ),
        ];
        let records: Vec<ConsolidatedShortInterest> = rows_as(rows).expect("decodes");
        assert_eq!(records[0].days_to_cover_quantity, Some(3.0));
        assert_eq!(records[1].days_to_cover_quantity, Some(3.53));
        assert_eq!(records[1].change_percent, Some(20.13));
    }

    #[test]
    fn undecodable_rows_say_why_with_an_excerpt() {
        let error =
            row_as::<RegShoDaily>(row(serde_json::json!({"tradeReportDate": "05/01/2026"})))
                .expect_err("bad date");
        let text = error.to_string();
        assert!(
            text.contains("yyyy-MM-dd") && text.contains("05/01/2026"),
            "{text}"
        );
    }
}
