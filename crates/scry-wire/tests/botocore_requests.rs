//! Requests exactly as botocore serialises them (recorded by `gen/capture_requests.py` into
//! `tests/fixtures/requests.json`) route to the right operation, parse, validate, and
//! re-serialise to the same JSON.

mod common;

use std::collections::BTreeSet;

use scry_wire::Operation;
use serde_json::Value;

#[derive(serde::Deserialize)]
struct Rec {
    case: String,
    operation: String,
    method: String,
    path: String,
    body: String,
}

#[test]
fn every_recorded_botocore_request_routes_parses_validates_and_roundtrips() {
    let recs: Vec<Rec> = serde_json::from_str(include_str!("fixtures/requests.json")).unwrap();
    assert!(recs.len() >= 60, "{}", recs.len());
    let mut seen = BTreeSet::new();
    for r in &recs {
        let (op, params) = Operation::route(&r.method, &r.path)
            .unwrap_or_else(|| panic!("{}: no route for {} {}", r.case, r.method, r.path));
        assert_eq!(op.name(), r.operation, "{}", r.case);
        assert!(op.has_typed_shapes(), "{}", r.case);
        let query = r.path.split_once('?').map_or("", |(_, q)| q);
        let out = common::parse(op, r.body.as_bytes(), &params, query)
            .expect("typed")
            .unwrap_or_else(|e| panic!("{}: {} {}", r.case, e, e.to_body()));
        let sent: Value = if r.body.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&r.body).unwrap()
        };
        assert_eq!(
            common::normalize(out),
            common::normalize(sent),
            "{}",
            r.case
        );
        seen.insert(op);
    }
    let typed: BTreeSet<Operation> = Operation::all().filter(|o| o.has_typed_shapes()).collect();
    assert_eq!(seen, typed);
    assert_eq!(typed.len(), 27);
}
