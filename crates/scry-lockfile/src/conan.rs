//! C/C++: `conan.lock` (`conan-lock`). Ecosystem `ConanCenter`; purl
//! `pkg:conan/<name>@<version>`, with `user` and `channel` qualifiers when the reference has
//! them.
//!
//! Conan 1 lockfiles (`graph_lock.nodes`): every node's `ref`; nodes without one (the consumer
//! conanfile, node `"0"`) are skipped. Conan 2 lockfiles: the `requires` list (`build_requires`
//! and `python_requires` are build-time tools and are not read). A reference is
//! `name/version[@user/channel][#revision[%timestamp]]`.

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};
use serde_json::Value;

use crate::common::{cataloger, clip, file_name, jkind, json, jstr, Collector};

fn wants(path: &str) -> bool {
    file_name(path) == "conan.lock"
}

/// `name/version@user/channel#rrev%ts` → (name, version, user, channel).
fn parse_ref(r: &str) -> Option<(&str, &str, &str, &str)> {
    let r = r.trim();
    let r = r.split('#').next().unwrap_or(r);
    let (nv, uc) = r.split_once('@').unwrap_or((r, ""));
    let (name, version) = nv.split_once('/')?;
    let (user, channel) = uc.split_once('/').unwrap_or((uc, ""));
    let ok = !name.is_empty() && !version.is_empty() && !version.contains('/');
    ok.then_some((name, version, user, channel))
}

fn add_ref(c: &mut Collector<'_>, r: &str) {
    match parse_ref(r) {
        Some((name, version, user, channel)) => {
            let user = if user == "_" { "" } else { user };
            let channel = if channel == "_" { "" } else { channel };
            let purl = Purl::new("conan", None, name, Some(version))
                .with("user", user)
                .with("channel", channel)
                .to_string();
            c.add(name, version, purl);
        }
        None => c.diag(format_args!("reference {:?} is not name/version", clip(r))),
    }
}

fn parse(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "conan.lock", "conan-lock", "ConanCenter");
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    if let Some(graph) = doc.get("graph_lock") {
        let Some(nodes) = graph.get("nodes").and_then(Value::as_object) else {
            c.diag("`graph_lock` has no `nodes` object");
            return c.finish();
        };
        for node in nodes.values() {
            if let Some(r) = jstr(node, "ref") {
                add_ref(&mut c, r);
            }
        }
    } else if let Some(reqs) = doc.get("requires") {
        let Some(reqs) = reqs.as_array() else {
            c.diag(format_args!("`requires` is {}, not an array", jkind(reqs)));
            return c.finish();
        };
        for r in reqs {
            match r.as_str() {
                Some(r) => add_ref(&mut c, r),
                None => c.diag(format_args!("a `requires` entry is {}", jkind(r))),
            }
        }
    } else {
        c.diag("neither `graph_lock` (Conan 1) nor `requires` (Conan 2)");
    }
    c.finish()
}

cataloger!(
    /// `conan-lock`: `conan.lock` (Conan 1 and 2).
    ConanLock,
    "conan-lock",
    wants,
    parse
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{pairs, run};

    #[test]
    fn conan2_requires() {
        let text = r#"{"version":"0.5","requires":[
            "zlib/1.2.13#13c96f538b52e1600c40b88994de240f%1667396813.733",
            "poco/1.12.4@myuser/stable#abc",
            "bad",
            7],
            "build_requires":["cmake/3.27.0"]}"#;
        let p = run(&ConanLock, "conan.lock", text);
        assert_eq!(
            pairs(&p),
            [
                ("zlib".into(), "1.2.13".into()),
                ("poco".into(), "1.12.4".into())
            ]
        );
        assert_eq!(p.packages[0].purl, "pkg:conan/zlib@1.2.13");
        assert_eq!(
            p.packages[1].purl,
            "pkg:conan/poco@1.12.4?channel=stable&user=myuser"
        );
        assert_eq!(p.diagnostics.len(), 2);
        assert!(p.diagnostics[0].reason.contains("\"bad\""));
    }
}
