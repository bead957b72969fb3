//! Responses: every typed response struct reads `tests/fixtures/responses.json` (a maximal
//! response per operation, from `gen/sample_responses.py`) and writes it back unchanged, so the
//! fixture is what scry-wire serialises (exactly: `responses.scry.json`); `gen/check_responses.py` parses that
//! with botocore's RestJSONParser (run by hand; see gen/README.md).

mod common;

use scry_wire::Operation;
use serde_json::Value;

#[test]
fn typed_responses_write_back_the_botocore_checked_fixture() {
    let fx: serde_json::Map<String, Value> =
        serde_json::from_str(include_str!("fixtures/responses.json")).unwrap();
    assert_eq!(fx.len(), 27);
    let mut ours = serde_json::Map::new();
    for (name, json) in &fx {
        let op = Operation::from_name(name).unwrap();
        let out = common::roundtrip_response(op, json)
            .expect("typed")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            common::normalize(out.clone()),
            common::normalize(json.clone()),
            "{name}"
        );
        ours.insert(name.clone(), out);
    }
    // The exact bytes' JSON we write (ints vs floats included) is what botocore was checked on.
    let ours = Value::Object(ours);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/responses.scry.json"
    );
    if std::env::var_os("SCRY_WRITE_FIXTURES").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&ours).unwrap() + "\n").unwrap();
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        ours, committed,
        "re-run with SCRY_WRITE_FIXTURES=1 and gen/check_responses.py"
    );
}
