//! Alpine's secdb (`secfixes` per package and release), in YAML or JSON.
//!
//! One advisory per (release, repository, vulnerability id): id
//! `ALPINE-<release>-<repo>-<vuln>` (e.g. `ALPINE-v3.10-main-CVE-2019-1234`), aliased to the
//! vulnerability id, affecting the origin packages it names in ecosystem `Alpine:<release>`
//! with `introduced: 0, fixed: <version>`. A fix version of `0` means the package was never
//! affected: no range is emitted for it. secdb has no dates, so `modified` is the Unix epoch;
//! the database replaces a record whose content changed at equal `modified`, so updates still
//! land. The repository is part of the id because `main` and `community` of one release can
//! name the same CVE for different packages.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use scry_advisory::{Advisory, Affected, Event, Package, Range, RangeKind};

use crate::{Ctx, Record};

fn key_string(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Vulnerability ids in a secfixes entry (`CVE-2018-1234`, `CVE-2018-1 CVE-2018-2`,
/// `XSA-123`, `CVE-2020-1234 (some note)`).
fn ids(entry: &str) -> Vec<String> {
    entry
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|t| t.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
        .filter(|t| {
            let mut parts = t.splitn(2, '-');
            let (p, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            !p.is_empty()
                && p.bytes().all(|c| c.is_ascii_uppercase())
                && rest.starts_with(|c: char| c.is_ascii_digit())
        })
        .map(String::from)
        .collect()
}

pub fn read_yaml(location: &str, bytes: &[u8], ctx: &mut Ctx<'_, '_>) {
    match serde_yaml::from_slice::<serde_yaml::Value>(bytes) {
        Ok(v) => read_value(location, &v, ctx),
        Err(e) => ctx.diag(location, None, format!("not valid YAML: {e}")),
    }
}

pub fn read_json(location: &str, value: serde_json::Value, ctx: &mut Ctx<'_, '_>) {
    match serde_yaml::to_value(value) {
        Ok(v) => read_value(location, &v, ctx),
        Err(e) => ctx.diag(location, None, e.to_string()),
    }
}

fn read_value(location: &str, doc: &serde_yaml::Value, ctx: &mut Ctx<'_, '_>) {
    let Some(release) = doc.get("distroversion").and_then(key_string) else {
        return ctx.diag(location, None, "secdb without distroversion");
    };
    let repo = doc
        .get("reponame")
        .and_then(key_string)
        .unwrap_or_else(|| "main".into());
    let ecosystem = format!("Alpine:{release}");
    // vulnerability id -> (package -> fixed versions)
    let mut by_vuln: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let packages = doc
        .get("packages")
        .and_then(|p| p.as_sequence())
        .cloned()
        .unwrap_or_default();
    for (i, p) in packages.iter().enumerate() {
        let pkg = p.get("pkg").unwrap_or(p);
        let Some(name) = pkg.get("name").and_then(key_string) else {
            ctx.diag(
                &format!("{location}: packages[{i}]"),
                None,
                "package without a name",
            );
            continue;
        };
        let Some(fixes) = pkg.get("secfixes").and_then(|s| s.as_mapping()) else {
            continue;
        };
        for (version, entries) in fixes {
            let Some(version) = key_string(version) else {
                ctx.diag(
                    &format!("{location}: {name}"),
                    None,
                    "secfixes key is not a version",
                );
                continue;
            };
            for entry in entries.as_sequence().into_iter().flatten() {
                let Some(text) = key_string(entry) else {
                    continue;
                };
                for id in ids(&text) {
                    by_vuln
                        .entry(id)
                        .or_default()
                        .entry(name.clone())
                        .or_default()
                        .push(version.clone());
                }
            }
        }
    }
    for (vuln, pkgs) in by_vuln {
        let affected: Vec<Affected> = pkgs
            .into_iter()
            .filter_map(|(name, versions)| {
                let versions: Vec<String> = versions.into_iter().filter(|v| v != "0").collect();
                if versions.is_empty() {
                    return None;
                }
                let mut events = vec![Event::Introduced("0".into())];
                // Several fix versions for one CVE: the smallest fixes the range; the others
                // are recorded for the matcher's fix lookup.
                events.extend(versions.into_iter().map(Event::Fixed));
                Some(Affected {
                    package: Package {
                        ecosystem: ecosystem.clone(),
                        name,
                        purl: None,
                    },
                    severity: Vec::new(),
                    ranges: vec![Range {
                        kind: RangeKind::Ecosystem,
                        repo: None,
                        events,
                        database_specific: None,
                    }],
                    versions: Vec::new(),
                    ecosystem_specific: None,
                    database_specific: None,
                })
            })
            .collect();
        if affected.is_empty() {
            // Every package it names was never affected (fix version "0").
            continue;
        }
        let advisory = Advisory {
            id: format!("ALPINE-{release}-{repo}-{vuln}"),
            modified: DateTime::<Utc>::UNIX_EPOCH,
            published: None,
            withdrawn: None,
            aliases: vec![vuln.clone()],
            related: Vec::new(),
            upstream: Vec::new(),
            summary: None,
            details: Some(format!(
                "{vuln} is fixed in Alpine {release} ({repo}) by the versions listed."
            )),
            severity: Vec::new(),
            affected,
            references: Vec::new(),
            credits: Vec::new(),
            database_specific: Some(serde_json::json!({"source": "alpine-secdb", "repo": repo})),
            schema_version: None,
        };
        ctx.emit("alpine-secdb", Record::Advisory(Box::new(advisory)));
    }
}
