//! Shared test helpers: dispatching an operation to its typed request/response.
#![allow(dead_code)]

use scry_wire::shapes::*;
use scry_wire::{parse_request_parts, ApiError, Operation, PathParams, Request};
use serde::Serialize;
use serde_json::Value;

/// Numbers compared as f64 (botocore writes `10` for a double the caller gave as int).
pub fn normalize(v: Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        v => v,
    }
}

fn parse_as<T: Request + Serialize>(
    body: &[u8],
    params: &PathParams,
    query: &str,
) -> Result<Value, ApiError> {
    parse_request_parts::<T>(body, params, query).map(|r| serde_json::to_value(r).unwrap())
}

fn response_as<T: Request>(json: &Value) -> Result<Value, String>
where
    T::Response: Serialize,
{
    let r: T::Response = serde_json::from_value(json.clone()).map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(r).unwrap())
}

macro_rules! typed {
    ($($op:ident => $ty:ty),* $(,)?) => {
        /// Parses a request of a typed operation; returns it re-serialised (None: untyped op).
        pub fn parse(op: Operation, body: &[u8], params: &PathParams, query: &str) -> Option<Result<Value, ApiError>> {
            Some(match op {
                $(Operation::$op => parse_as::<$ty>(body, params, query),)*
                _ => return None,
            })
        }
        /// Reads a response JSON into the typed response and writes it back.
        pub fn roundtrip_response(op: Operation, json: &Value) -> Option<Result<Value, String>> {
            Some(match op {
                $(Operation::$op => response_as::<$ty>(json),)*
                _ => return None,
            })
        }
    };
}

typed! {
    Enable => EnableRequest,
    Disable => DisableRequest,
    BatchGetAccountStatus => BatchGetAccountStatusRequest,
    GetConfiguration => GetConfigurationRequest,
    UpdateConfiguration => UpdateConfigurationRequest,
    ListAccountPermissions => ListAccountPermissionsRequest,
    ListFindings => ListFindingsRequest,
    ListFindingAggregations => ListFindingAggregationsRequest,
    BatchGetFindingDetails => BatchGetFindingDetailsRequest,
    ListCoverage => ListCoverageRequest,
    ListCoverageStatistics => ListCoverageStatisticsRequest,
    CreateFilter => CreateFilterRequest,
    UpdateFilter => UpdateFilterRequest,
    DeleteFilter => DeleteFilterRequest,
    ListFilters => ListFiltersRequest,
    TagResource => TagResourceRequest,
    UntagResource => UntagResourceRequest,
    ListTagsForResource => ListTagsForResourceRequest,
    SearchVulnerabilities => SearchVulnerabilitiesRequest,
    ListUsageTotals => ListUsageTotalsRequest,
    CreateFindingsReport => CreateFindingsReportRequest,
    GetFindingsReportStatus => GetFindingsReportStatusRequest,
    CancelFindingsReport => CancelFindingsReportRequest,
    CreateSbomExport => CreateSbomExportRequest,
    GetSbomExport => GetSbomExportRequest,
    CancelSbomExport => CancelSbomExportRequest,
    ScanSbom => ScanSbomRequest,
}
