//! The emulator's datasets: definitions, synthetic rows and the catalogue that finds them by name.

pub mod catalogue;
mod generators;
pub mod table;

pub use catalogue::{Catalogue, Dataset};
pub use table::{Cell, FieldDef, FieldType, Partition, StrId, Table, TableBuilder};

/// Which credential tier may read a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entitlement {
    /// Readable anonymously and with any credential (otcMarket, fixedIncomeMarket).
    Public,
    /// Needs a `firm` credential: 401 without a valid token, 403 with a `public` one.
    Firm,
}

/// Query rules beyond the platform-wide ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryRules {
    /// Every filter kind; sorting with EQUAL filters on every partition field.
    Standard,
    /// weeklySummaryHistoric: only an EQUAL compare filter on exactly one of `weekStartDate`,
    /// `historicalWeek`, `historicalMonth`, optionally plus `tierIdentifier`; no sorting.
    HistoricEqualOnly,
}

/// The static description of one dataset.
#[derive(Debug)]
pub struct DatasetDef {
    /// Group, in FINRA's documented spelling (`otcMarket`).
    pub group: &'static str,
    /// Name, in FINRA's documented spelling (`weeklySummary`).
    pub name: &'static str,
    /// One-line description for `/datasets` and `/metadata`.
    pub description: &'static str,
    /// Who may read it.
    pub entitlement: Entitlement,
    /// The schema.
    pub fields: &'static [FieldDef],
    /// Partition fields, most significant first.
    pub partition_fields: &'static [&'static str],
    /// The field `/id/{id}` looks up, where the dataset supports it.
    pub primary_id_field: Option<&'static str>,
    /// Extra query rules.
    pub rules: QueryRules,
    /// Whether the catalogue also serves a `…Mock` twin with the same rows.
    pub has_mock: bool,
}

/// How much synthetic data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// A few thousand rows per dataset: starts instantly; the default.
    #[default]
    Small,
    /// Production-like volume: weeklySummary has over 1 000 000 rows (no tier above 500 000).
    Full,
}
