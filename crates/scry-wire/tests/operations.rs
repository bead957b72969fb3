//! The operation table against the model: `tests/fixtures/operations.json` ({name: [method,
//! requestUri]}, written by `gen/gen.py`) and, when botocore is installed here, the model itself
//! (found via `python3`, skipped otherwise).

use std::collections::BTreeMap;

use scry_wire::Operation;

fn table() -> BTreeMap<String, (String, String)> {
    Operation::all()
        .map(|o| {
            (
                o.name().to_string(),
                (o.method().to_string(), o.uri().to_string()),
            )
        })
        .collect()
}

#[test]
fn table_matches_committed_model_fixture() {
    let fx: BTreeMap<String, (String, String)> =
        serde_json::from_str(include_str!("fixtures/operations.json")).unwrap();
    assert_eq!(fx.len(), 85);
    assert_eq!(table(), fx);
}

#[test]
fn every_operation_routes_to_itself_with_sample_labels() {
    for op in Operation::all() {
        let path = op.uri().replace("{resourceArn}", "arn%3Aaws%3Ax%2Fy");
        let (got, params) = Operation::route(op.method(), &path).unwrap();
        assert_eq!(got, op);
        if op.uri().contains('{') {
            assert_eq!(params.get("resourceArn"), Some("arn:aws:x/y"));
        }
    }
}

#[test]
fn table_matches_installed_botocore_if_any() {
    let script = r#"
import botocore, os, json, gzip
d = os.path.join(os.path.dirname(botocore.__file__), 'data')
out = {}
for svc, ver in (('inspector2', '2020-06-08'), ('inspector-scan', '2023-08-08')):
    p = os.path.join(d, svc, ver, 'service-2.json')
    m = json.load(open(p)) if os.path.exists(p) else json.load(gzip.open(p + '.gz'))
    for n, o in m['operations'].items():
        out[n] = [o['http']['method'], o['http']['requestUri']]
print(json.dumps(out))
"#;
    let Ok(out) = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
    else {
        eprintln!("python3 not found: skipped");
        return;
    };
    if !out.status.success() {
        eprintln!("botocore not importable: skipped");
        return;
    }
    let model: BTreeMap<String, (String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    let ours = table();
    // An older botocore may lack newer operations; whatever it has must agree with us.
    for (name, binding) in &model {
        assert_eq!(ours.get(name), Some(binding), "{name}");
    }
}
