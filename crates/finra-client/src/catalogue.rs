//! The catalogue calls: `/datasets`, `/metadata/group/{g}/name/{n}` and
//! `/partitions/group/{g}/name/{n}`, typed after FINRA's documented JSON shapes and
//! lenient about missing fields. Metadata is cached per dataset for the client's lifetime.

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Deserializer};

use crate::client::{ApiCall, FinraClient};
use crate::error::FinraError;

/// Largest catalogue answer read.
const MAX_CATALOGUE_BYTES: usize = 16 * 1024 * 1024;

/// One dataset of `/datasets`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DatasetInfo {
    /// Group, as FINRA lists it (upper case, e.g. `OTCMARKET`).
    pub group: String,
    /// Name, as FINRA lists it (e.g. `WEEKLYSUMMARY`).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `PUBLIC`, `CONF`, `RCI` or `PCI`.
    #[serde(default)]
    pub security_level: Option<String>,
    /// `CSV`, `JSON`.
    #[serde(default)]
    pub supported_formats: Vec<String>,
    /// `GET`, `POST`.
    #[serde(default)]
    pub supported_methods: Vec<String>,
    /// Whether `/data/…/id/{id}` works.
    #[serde(default)]
    pub supports_get_by_id: Option<bool>,
}

/// One field of a dataset's schema.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FieldInfo {
    /// The field name, exactly as queries must spell it.
    pub name: String,
    /// `String`, `Number` or `Date`.
    #[serde(rename = "type", default)]
    pub field_type: Option<String>,
    /// The format (`yyyy-MM-dd` for dates).
    #[serde(default)]
    pub format: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `/metadata` of one dataset.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DatasetMetadata {
    /// Group (FINRA answers upper case; some datasets omit it).
    #[serde(default)]
    pub dataset_group: Option<String>,
    /// Name.
    #[serde(default)]
    pub dataset_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Partition fields, most significant first; sorting needs an EQUAL filter on each.
    #[serde(default)]
    pub partition_fields: Vec<String>,
    /// The field `/id/{id}` looks up.
    #[serde(default)]
    pub primary_id_field: Option<String>,
    /// The schema.
    #[serde(default)]
    pub fields: Vec<FieldInfo>,
}

impl DatasetMetadata {
    /// The field names, in schema order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }
}

/// One available partition: the values of the partition fields, in their order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Partition {
    /// Values, positionally matching [`Partitions::partition_fields`].
    #[serde(deserialize_with = "strings")]
    pub partitions: Vec<String>,
}

/// `/partitions` of one dataset: newest first. Datasets without partitions give an empty list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Partitions {
    /// The partition fields.
    #[serde(default)]
    pub partition_fields: Vec<String>,
    /// The available partitions.
    #[serde(default)]
    pub available_partitions: Vec<Partition>,
}

/// The partitions endpoint's answer when there are none, or when it fails inside a 200.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody {
    status_code: Option<u16>,
    message: Option<String>,
}

impl FinraClient {
    /// The datasets the client's credential can see.
    pub async fn datasets(&self) -> Result<Vec<DatasetInfo>, FinraError> {
        #[derive(Deserialize)]
        struct Catalogue {
            #[serde(default)]
            datasets: Vec<DatasetInfo>,
        }
        let body = self.get_json(&["datasets"], "the datasets request").await?;
        let catalogue: Catalogue = serde_json::from_slice(&body)
            .map_err(|e| FinraError::decode(format!("the datasets list ({e})"), &body))?;
        Ok(catalogue.datasets)
    }

    /// The metadata of a dataset (fields and partition fields). Cached per dataset.
    pub async fn metadata(&self, group: &str, name: &str) -> Result<DatasetMetadata, FinraError> {
        Ok(DatasetMetadata::clone(
            &*self.cached_metadata(group, name).await?,
        ))
    }

    /// The available partitions of a dataset, newest first. The "No partitions found" answer of
    /// datasets without partitions is an empty list.
    pub async fn partitions(&self, group: &str, name: &str) -> Result<Partitions, FinraError> {
        let body = self
            .get_json(
                &["partitions", "group", group, "name", name],
                "the partitions request",
            )
            .await?;
        let status: Option<StatusBody> = serde_json::from_slice(&body).ok();
        if let Some(StatusBody {
            status_code: Some(code @ 400..),
            message,
        }) = status
        {
            return Err(FinraError::Server {
                status: code,
                message: message.unwrap_or_else(|| "partitions unavailable".to_owned()),
            });
        }
        serde_json::from_slice(&body).map_err(|e| {
            FinraError::decode(format!("the partitions of {group}/{name} ({e})"), &body)
        })
    }

    pub(crate) async fn cached_metadata(
        &self,
        group: &str,
        name: &str,
    ) -> Result<Arc<DatasetMetadata>, FinraError> {
        let key = (group.to_ascii_lowercase(), name.to_ascii_lowercase());
        if let Some(found) = self.lock_metadata().get(&key) {
            return Ok(Arc::clone(found));
        }
        let body = self
            .get_json(
                &["metadata", "group", group, "name", name],
                "the metadata request",
            )
            .await?;
        let metadata: DatasetMetadata = serde_json::from_slice(&body).map_err(|e| {
            FinraError::decode(format!("the metadata of {group}/{name} ({e})"), &body)
        })?;
        let metadata = Arc::new(metadata);
        self.lock_metadata().insert(key, Arc::clone(&metadata));
        Ok(metadata)
    }

    fn lock_metadata(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(String, String), Arc<DatasetMetadata>>>
    {
        self.inner
            .metadata
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn get_json(
        &self,
        segments: &[&str],
        what: &'static str,
    ) -> Result<bytes::Bytes, FinraError> {
        let call = ApiCall {
            method: Method::GET,
            url: self.endpoint(segments)?,
            accept: "application/json",
            body: None,
            what,
        };
        let fetched = self
            .fetch(&call, self.inner.retry, MAX_CATALOGUE_BYTES)
            .await?;
        Ok(fetched.body)
    }
}

/// Partition values as strings, whatever JSON type FINRA used.
fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let values = Vec::<serde_json::Value>::deserialize(deserializer)?;
    Ok(values
        .into_iter()
        .map(|value| match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_multi_field_values_and_no_partitions() {
        let body = br#"{"datasetGroup":"otcMarket","datasetName":"weeklySummary",
            "partitionFields":["weekStartDate","tierIdentifier"],
            "availablePartitions":[{"partitions":["2026-01-05","T1"]},{"partitions":["2026-01-05",2]}]}"#;
        let partitions: Partitions = serde_json::from_slice(body).expect("parses");
        assert_eq!(
            partitions.available_partitions[1].partitions,
            ["2026-01-05", "2"]
        );
        let none = br#"{"statusCode":200,"statusDescription":"ok","requestId":"x",
            "message":"No partitions found for specified dataset.",
            "partitionAvailabilityRequest":{"action":"GET","group":"firm","name":"x","getDetails":false}}"#;
        let partitions: Partitions = serde_json::from_slice(none).expect("parses");
        assert!(partitions.available_partitions.is_empty());
        assert!(partitions.partition_fields.is_empty());
    }
}
