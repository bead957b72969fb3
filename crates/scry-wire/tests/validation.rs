//! Server-side validation: exact code, reason and field names.

use scry_wire::shapes::*;
use scry_wire::{
    parse_request, parse_request_parts, ApiError, ErrorCode, Operation, ValidationReason,
};

fn err<T: scry_wire::Request + std::fmt::Debug>(body: &str) -> ApiError {
    parse_request::<T>(body.as_bytes()).unwrap_err()
}

fn names(e: &ApiError) -> Vec<&str> {
    e.fields.iter().map(|f| f.name.as_str()).collect()
}

fn assert_field_failed(e: &ApiError, fields: &[&str]) {
    assert_eq!(e.code, ErrorCode::Validation, "{e}");
    assert_eq!(e.status(), 400);
    assert_eq!(
        e.reason,
        Some(ValidationReason::FieldValidationFailed),
        "{e}"
    );
    assert_eq!(names(e), fields, "{e}");
}

#[test]
fn bad_enum() {
    let e = err::<ListFindingsRequest>(
        r#"{"filterCriteria":{"severity":[{"comparison":"LIKE","value":"HIGH"}]}}"#,
    );
    assert_field_failed(&e, &["filterCriteria.severity[0].comparison"]);
    assert!(e.message.starts_with("1 validation error detected: Value 'LIKE' at 'filterCriteria.severity[0].comparison' failed to satisfy constraint: Member must satisfy enum value set: [EQUALS, PREFIX, NOT_EQUALS]"), "{}", e.message);
    let body: serde_json::Value = serde_json::from_str(&e.to_body()).unwrap();
    assert_eq!(body["reason"], "FIELD_VALIDATION_FAILED");
    assert_eq!(
        body["fields"][0]["name"],
        "filterCriteria.severity[0].comparison"
    );
    assert_eq!(
        e.headers()[0],
        ("x-amzn-ErrorType", "ValidationException".to_string())
    );

    let e = err::<ListFindingsRequest>(r#"{"sortCriteria":{"field":"NOPE","sortOrder":"UP"}}"#);
    assert_field_failed(&e, &["sortCriteria.field", "sortCriteria.sortOrder"]);
    assert!(e.message.starts_with("2 validation errors detected: "));
    let e = err::<EnableRequest>(r#"{"resourceTypes":["EC2","FOO"]}"#);
    assert_field_failed(&e, &["resourceTypes[1]"]);
}

#[test]
fn too_long_string_and_pattern() {
    let long = "x".repeat(1025);
    let e = err::<ListFindingsRequest>(&format!(
        r#"{{"filterCriteria":{{"title":[{{"comparison":"EQUALS","value":"{long}"}}]}}}}"#
    ));
    assert_field_failed(&e, &["filterCriteria.title[0].value"]);
    assert!(e.fields[0]
        .message
        .ends_with("Member must have length less than or equal to 1024"));
    let e = err::<ListFindingsRequest>(
        r#"{"filterCriteria":{"title":[{"comparison":"EQUALS","value":""}]}}"#,
    );
    assert_field_failed(&e, &["filterCriteria.title[0].value"]);
    let e = err::<BatchGetAccountStatusRequest>(r#"{"accountIds":["12345"]}"#);
    assert_field_failed(&e, &["accountIds[0]"]);
    let e = err::<BatchGetAccountStatusRequest>(r#"{"accountIds":["12345678901a"]}"#);
    assert_field_failed(&e, &["accountIds[0]"]);
    assert!(e.fields[0].message.contains("regular expression pattern"));
    let e = err::<SearchVulnerabilitiesRequest>(
        r#"{"filterCriteria":{"vulnerabilityIds":["GHSA-xxxx"]}}"#,
    );
    assert_field_failed(&e, &["filterCriteria.vulnerabilityIds[0]"]);
}

#[test]
fn too_many_list_items_and_number_ranges() {
    let many: Vec<String> = (0..11)
        .map(|i| format!(r#"{{"comparison":"EQUALS","value":"v{i}"}}"#))
        .collect();
    let e = err::<ListFindingsRequest>(&format!(
        r#"{{"filterCriteria":{{"title":[{}]}}}}"#,
        many.join(",")
    ));
    assert_field_failed(&e, &["filterCriteria.title"]);
    assert!(e.fields[0]
        .message
        .ends_with("Member must have length less than or equal to 10"));
    let e = err::<ListFindingsRequest>(r#"{"filterCriteria":{"title":[]}}"#);
    assert_field_failed(&e, &["filterCriteria.title"]);
    let e = err::<ListFindingsRequest>(r#"{"maxResults":101}"#);
    assert_field_failed(&e, &["maxResults"]);
    assert!(e.fields[0]
        .message
        .ends_with("Member must have value less than or equal to 100"));
    let e = err::<ListFindingsRequest>(r#"{"maxResults":0}"#);
    assert_field_failed(&e, &["maxResults"]);
    assert!(parse_request::<ListFindingsRequest>(br#"{"maxResults":100}"#).is_ok());
}

#[test]
fn missing_required() {
    let e = err::<CreateFilterRequest>(r#"{"action":"SUPPRESS","filterCriteria":{}}"#);
    assert_field_failed(&e, &["name"]);
    assert_eq!(
        e.fields[0].message,
        "Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let e =
        err::<ListFindingsRequest>(r#"{"filterCriteria":{"severity":[{"comparison":"EQUALS"}]}}"#);
    assert_field_failed(&e, &["filterCriteria.severity[0].value"]);
    let e = err::<EnableRequest>("");
    assert_field_failed(&e, &["resourceTypes"]);
    let e = err::<CreateFindingsReportRequest>(
        r#"{"reportFormat":"CSV","s3Destination":{"bucketName":"b"}}"#,
    );
    assert_field_failed(&e, &["s3Destination.kmsKeyArn"]);
    // Path and query members.
    let (op, params) = Operation::route("DELETE", "/tags/arn%3Aaws%3Ax").unwrap();
    assert_eq!(op, Operation::UntagResource);
    let e = parse_request_parts::<UntagResourceRequest>(b"", &params, "").unwrap_err();
    assert_field_failed(&e, &["tagKeys"]);
    let ok = parse_request_parts::<UntagResourceRequest>(b"", &params, "tagKeys=a&tagKeys=b%3Ac")
        .unwrap();
    assert_eq!(ok.resource_arn, "arn:aws:x");
    assert_eq!(ok.tag_keys, ["a", "b:c"]);
    let e = parse_request_parts::<UntagResourceRequest>(b"", &params, "tagKeys=aws%3Ateam")
        .unwrap_err();
    assert_field_failed(&e, &["tagKeys[0]"]);
    let e = parse_request::<TagResourceRequest>(br#"{"tags":{}}"#).unwrap_err();
    assert_field_failed(&e, &["resourceArn"]);
}

#[test]
fn wrong_type_and_not_json() {
    let e = err::<ListFindingsRequest>(r#"{"maxResults":"ten"}"#);
    assert_eq!(e.code, ErrorCode::Validation);
    assert_eq!(e.reason, Some(ValidationReason::CannotParse));
    assert_eq!(names(&e), ["maxResults"]);
    assert!(e.message.contains("'maxResults'"), "{}", e.message);
    let e = err::<ListFindingsRequest>(
        r#"{"filterCriteria":{"severity":[{"comparison":"EQUALS","value":7}]}}"#,
    );
    assert_eq!(e.reason, Some(ValidationReason::CannotParse));
    assert_eq!(names(&e), ["filterCriteria.severity[0].value"]);
    let e = err::<ListFindingsRequest>("{not json");
    assert_eq!(e.reason, Some(ValidationReason::CannotParse));
    assert!(e.fields.is_empty());
    let e = err::<ListFindingsRequest>("[]");
    assert_eq!(e.reason, Some(ValidationReason::CannotParse));
    let e = err::<ListFindingsRequest>("{} {}");
    assert_eq!(e.reason, Some(ValidationReason::CannotParse));
    assert_eq!(e.status(), 400);
}

#[test]
fn lenient_and_timestamps() {
    // Unknown members are ignored; ISO timestamps are accepted where numbers are expected.
    let r = parse_request::<ListFindingsRequest>(
        br#"{"future":1,"filterCriteria":{"firstObservedAt":[{"startInclusive":"2024-01-01T00:00:00Z","endInclusive":1704153600.5}]}}"#,
    )
    .unwrap();
    let d = &r.filter_criteria.unwrap().first_observed_at.unwrap()[0];
    assert_eq!(d.start_inclusive, Some(1_704_067_200.0));
    assert_eq!(d.end_inclusive, Some(1_704_153_600.5));
    let e = err::<ListFindingsRequest>(
        r#"{"filterCriteria":{"firstObservedAt":[{"startInclusive":"soon"}]}}"#,
    );
    assert_eq!(e.reason, Some(ValidationReason::CannotParse));
    assert_eq!(
        names(&e),
        ["filterCriteria.firstObservedAt[0].startInclusive"]
    );
    // Empty body is {}.
    assert!(parse_request::<ListCoverageRequest>(b"").is_ok());
    assert!(parse_request::<ListCoverageRequest>(b"  \n").is_ok());
}

#[test]
fn aggregation_union() {
    let r = parse_request::<ListFindingAggregationsRequest>(
        br#"{"aggregationType":"PACKAGE","aggregationRequest":{"packageAggregation":{"sortBy":"HIGH","packageNames":[{"comparison":"PREFIX","value":"open"}]}}}"#,
    )
    .unwrap();
    assert!(matches!(
        r.aggregation_request,
        Some(AggregationRequest::PackageAggregation(_))
    ));
    let e = err::<ListFindingAggregationsRequest>(
        r#"{"aggregationType":"PACKAGE","aggregationRequest":{"packageAggregation":{"sortBy":"BIGGEST"}}}"#,
    );
    assert_field_failed(&e, &["aggregationRequest.packageAggregation.sortBy"]);
    let e = err::<ListFindingAggregationsRequest>(r#"{"aggregationType":"COLOUR"}"#);
    assert_field_failed(&e, &["aggregationType"]);
}
