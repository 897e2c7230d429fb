//! `GET /metadata/…`, `GET /partitions/…` and `GET /datasets`: the catalogue endpoints, in
//! FINRA's documented JSON shapes.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::RequestId;
use super::data::{authorize, caller, find_dataset};
use super::error::{ApiError, Rejection};
use super::path::FinraPath;
use crate::config::Tier;
use crate::data::{Dataset, Entitlement, FieldType};
use crate::query::render::cell_text;
use crate::state::Emulator;
use crate::tokens::Caller;

/// `GET /metadata/group/{group}/name/{name}`.
pub(super) async fn get_metadata(
    State(emulator): State<Emulator>,
    Extension(request_id): Extension<RequestId>,
    FinraPath((group, name)): FinraPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Rejection> {
    let dataset = authorized_dataset(&emulator, &headers, &group, &name)
        .map_err(|error| Rejection { error, request_id })?;
    let fields: Vec<Value> = dataset
        .table
        .fields()
        .iter()
        .map(|field| {
            let mut entry = json!({
                "name": field.name,
                "type": field.ty.as_str(),
                "description": field.description,
            });
            if field.ty == FieldType::Date {
                entry["format"] = json!("yyyy-MM-dd");
            }
            entry
        })
        .collect();
    Ok(axum::Json(json!({
        "datasetGroup": dataset.def.group.to_ascii_uppercase(),
        "datasetName": dataset.name.to_ascii_uppercase(),
        "description": dataset.def.description,
        "partitionFields": dataset.def.partition_fields,
        "primaryIdField": dataset.def.primary_id_field,
        "nativeFormat": "JSON",
        "fields": fields,
    }))
    .into_response())
}

/// `GET /partitions/group/{group}/name/{name}[?getDetails=true]`: newest first.
pub(super) async fn get_partitions(
    State(emulator): State<Emulator>,
    Extension(request_id): Extension<RequestId>,
    FinraPath((group, name)): FinraPath<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Rejection> {
    let dataset =
        authorized_dataset(&emulator, &headers, &group, &name).map_err(|error| Rejection {
            error,
            request_id: request_id.clone(),
        })?;
    let get_details = params
        .get("getDetails")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if dataset.def.partition_fields.is_empty() {
        return Ok(axum::Json(json!({
            "statusCode": 200,
            "statusDescription": "ok",
            "requestId": request_id.as_str(),
            "message": "No partitions found for specified dataset.",
            "partitionAvailabilityRequest": {
                "action": "GET", "group": group, "name": name, "getDetails": get_details,
            },
        }))
        .into_response());
    }
    let table = &dataset.table;
    let available: Vec<Value> = table
        .partitions()
        .iter()
        .map(|partition| {
            let values: Vec<String> = partition
                .values
                .iter()
                .map(|cell| {
                    let mut text = String::new();
                    cell_text(&mut text, table, *cell);
                    text
                })
                .collect();
            if get_details {
                json!({"partitions": values, "dataVersion": 1, "formatVersion": 1})
            } else {
                json!({"partitions": values})
            }
        })
        .collect();
    Ok(axum::Json(json!({
        "datasetGroup": group,
        "datasetName": name,
        "partitionFields": dataset.def.partition_fields,
        "availablePartitions": available,
    }))
    .into_response())
}

/// `GET /datasets`: the datasets the caller's credential can see.
pub(super) async fn list_datasets(
    State(emulator): State<Emulator>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
) -> Result<Response, Rejection> {
    let caller = caller(&emulator, &headers);
    let sees_entitled = match &caller {
        Caller::Expired => {
            return Err(Rejection {
                error: ApiError::unauthorized(),
                request_id,
            });
        }
        Caller::Account { tier, .. } => *tier == Tier::Firm,
        Caller::Anonymous | Caller::Unrecognised => false,
    };
    let datasets: Vec<Value> = emulator
        .inner
        .catalogue
        .iter()
        .filter(|d| sees_entitled || d.def.entitlement == Entitlement::Public)
        .map(|d| {
            json!({
                "group": d.def.group.to_ascii_uppercase(),
                "name": d.name.to_ascii_uppercase(),
                "description": d.def.description,
                "securityLevel": match d.def.entitlement {
                    Entitlement::Public => "PUBLIC",
                    Entitlement::Firm => "CONF",
                },
                "nativeFormat": "JSON",
                "supportedFormats": ["CSV", "JSON"],
                "supportedMethods": ["GET", "POST"],
                "supportsGetById": d.def.primary_id_field.is_some(),
                "supportsQuery": true,
                "supportsRecordLimit": true,
                "supportsRecordOffset": true,
                "usage": "EXTERNAL",
            })
        })
        .collect();
    Ok(axum::Json(json!({ "datasets": datasets })).into_response())
}

fn authorized_dataset(
    emulator: &Emulator,
    headers: &HeaderMap,
    group: &str,
    name: &str,
) -> Result<Dataset, ApiError> {
    let dataset = find_dataset(emulator, group, name)?;
    authorize(&caller(emulator, headers), &dataset)?;
    Ok(dataset)
}
