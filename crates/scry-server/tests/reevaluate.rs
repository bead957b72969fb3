//! Continuous re-evaluation on real advisories: stored inventories are re-matched when the
//! advisory database changes, without a new push. A withdrawn advisory closes its findings;
//! a changed one updates them in place; findings of untouched packages are left alone.

mod reports_common;

use std::path::Path;

use reports_common::*;
use scry_store::criteria::Criteria;
use scry_store::{FindingQuery, FindingRow, SortField};

/// Every finding of the account, with its vulnerability id and description.
fn findings(env: &Env) -> Vec<(FindingRow, scry_wire::Finding)> {
    let page = env
        .svc
        .store
        .list_findings(&FindingQuery {
            account_id: ACCOUNT,
            criteria: &Criteria::default(),
            sort: SortField::Severity,
            descending: true,
            after: None,
            limit: 100,
        })
        .unwrap();
    page.findings
        .into_iter()
        .map(|r| {
            let f = scry_wire::Finding::join(&r.body, r.shared.as_deref()).unwrap();
            (r, f)
        })
        .collect()
}

/// The name of the package a finding is on.
fn package(f: &scry_wire::Finding) -> &str {
    &f.package_vulnerability_details
        .as_ref()
        .unwrap()
        .vulnerable_packages[0]
        .name
}

/// The re-evaluation `refresh_intel` ran after an import, which must have noticed `what`.
fn noticed(env: &Env, what: &str) -> scry_server::service::Reevaluation {
    env.svc
        .refresh_intel()
        .unwrap()
        .unwrap_or_else(|| panic!("{what} is noticed"))
}

/// (resources, narrowed, opened, closed, updated) of a re-evaluation.
fn counts(re: &scry_server::service::Reevaluation) -> (usize, usize, usize, usize, usize) {
    (re.resources, re.narrowed, re.opened, re.closed, re.updated)
}

fn vuln(f: &scry_wire::Finding) -> &str {
    &f.package_vulnerability_details
        .as_ref()
        .unwrap()
        .vulnerability_id
}

/// Writes a copy of a shared OSV YAML record with `edit` applied to its text, for import.
fn changed(feed: &str, file: &str, out: &Path, edit: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(vulndata(feed).join(file)).unwrap();
    let text = edit(&text);
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(out.join(file), text).unwrap();
}

/// The record's `modified` moved to now (an import only takes newer records).
fn touch(text: &str) -> String {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    text.lines()
        .map(|l| {
            if l.starts_with("modified:") {
                format!("modified: '{now}'")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn import(env: &Env, dir: &Path) {
    scry_vulndb::VulnDb::create(env.svc.db_path())
        .unwrap()
        .import(&[dir.to_path_buf()], chrono::Utc::now(), &mut |_| {})
        .unwrap();
}

#[test]
fn changed_advisories_re_evaluate_stored_inventories() {
    let env = setup();
    let before = findings(&env);
    let flask: Vec<_> = before
        .iter()
        .filter(|(_, f)| vuln(f) == "CVE-2023-30861" || vuln(f) == "PYSEC-2023-62")
        .collect();
    assert_eq!(flask.len(), 1, "flask 1.0.3 on the instance: {before:?}");
    let py_before: Vec<_> = before.iter().filter(|(_, f)| package(f) == "py").collect();
    assert_eq!(
        py_before.len(),
        2,
        "py 1.11.0 on the instance and the image"
    );

    // 1. The flask advisory is withdrawn.
    let dir = env.dir.path().join("change-1");
    changed("osv-pypi/flask", "PYSEC-2023-62.yaml", &dir, |t| {
        format!("{}\nwithdrawn: '2026-11-01T00:00:00Z'\n", touch(t))
    });
    import(&env, &dir);
    let re = noticed(&env, "the change");
    assert_eq!(re.changed_packages, 1, "{re:?}");
    assert_eq!(re.resources, 1, "only the instance holds flask: {re:?}");
    assert_eq!(
        re.narrowed, 1,
        "the previous load tells what changed: {re:?}"
    );
    assert_eq!((re.opened, re.closed, re.updated), (0, 1, 0), "{re:?}");
    let after = findings(&env);
    let flask_after = after.iter().find(|(r, _)| r.id == flask[0].0.id).unwrap();
    assert_eq!(flask_after.0.status, "CLOSED");
    for (r, _) in &py_before {
        let now = after.iter().find(|(a, _)| a.id == r.id).unwrap();
        assert_eq!(now.0, *r, "the py findings are untouched");
    }
    // Nothing changed since: nothing to do.
    assert!(env.svc.refresh_intel().unwrap().is_none());

    // 2. The py advisory's text changes: its findings on both resources are updated in place.
    let dir = env.dir.path().join("change-2");
    changed("osv-pypi/py", "PYSEC-2022-42969.yaml", &dir, |t| {
        touch(t).replacen(
            "details: The py library",
            "details: REVISED The py library",
            1,
        )
    });
    import(&env, &dir);
    let re = noticed(&env, "the change");
    // The load before this one matched only flask (the re-evaluation above); what it knew
    // of py was carried over from the one before, since no change named py between them.
    assert_eq!(counts(&re), (2, 2, 0, 0, 2), "{re:?}");
    let after = findings(&env);
    for (r, _) in &py_before {
        let (now, f) = after.iter().find(|(a, _)| a.id == r.id).unwrap();
        assert_eq!(now.status, "ACTIVE");
        assert_eq!(now.first_observed_at, r.first_observed_at);
        assert_eq!(now.arn, r.arn, "the ARN stays");
        assert!(now.updated_at >= r.updated_at);
        assert!(f.description.starts_with("REVISED"), "{}", f.description);
        // Its own part is still its own: the resource it is on.
        assert_eq!(f.resources.len(), 1);
    }
    let ids: std::collections::BTreeSet<&str> = py_before
        .iter()
        .map(|(_, f)| f.resources[0].id.as_str())
        .collect();
    assert_eq!(ids, [ECR_ID, EC2_ID].into_iter().collect());
}

/// A package with two advisories of which one changes: the finding of the other stays exactly
/// as stored (its row unchanged), even though its package is re-matched.
#[test]
fn only_the_findings_of_changed_advisories_are_rewritten() {
    let env = setup();
    let before = findings(&env);
    let flask: Vec<_> = before
        .iter()
        .filter(|(_, f)| package(f) == "flask")
        .collect();
    assert_eq!(flask.len(), 1, "flask 1.0.3 has CVE-2023-30861: {before:?}");
    let kept = flask[0].0.clone();

    // PYSEC-2019-179 ("before 1.0") is widened to affect flask 1.0.3.
    let dir = env.dir.path().join("widen");
    changed("osv-pypi/flask", "PYSEC-2019-179.yaml", &dir, |t| {
        touch(t).replacen("- fixed: '1.0'", "- fixed: '1.1'", 1)
    });
    import(&env, &dir);
    let re = noticed(&env, "the widened range");
    assert_eq!(counts(&re), (1, 1, 1, 0, 0), "{re:?}");
    let after = findings(&env);
    let flask_after: Vec<_> = after
        .iter()
        .filter(|(_, f)| package(f) == "flask")
        .collect();
    assert_eq!(flask_after.len(), 2, "{flask_after:?}");
    let opened = flask_after
        .iter()
        .find(|(r, _)| r.id != kept.id)
        .expect("a new finding");
    assert_eq!(opened.0.status, "ACTIVE");
    assert!(
        vuln(&opened.1) == "PYSEC-2019-179" || opened.1.description.contains("memory usage"),
        "{:?}",
        opened.1
    );
    let same = flask_after.iter().find(|(r, _)| r.id == kept.id).unwrap();
    assert_eq!(
        same.0, kept,
        "the unchanged advisory's finding is untouched"
    );

    // Narrowed back: the new finding closes, the other is still untouched.
    let dir = env.dir.path().join("narrow");
    changed("osv-pypi/flask", "PYSEC-2019-179.yaml", &dir, touch);
    import(&env, &dir);
    let re = noticed(&env, "the range restored");
    assert_eq!(counts(&re), (1, 1, 0, 1, 0), "{re:?}");
    let after = findings(&env);
    let closed = after.iter().find(|(r, _)| r.id == opened.0.id).unwrap();
    assert_eq!(closed.0.status, "CLOSED");
    let same = after.iter().find(|(r, _)| r.id == kept.id).unwrap();
    assert_eq!(
        same.0, kept,
        "the unchanged advisory's finding is untouched"
    );

    // A server that restarts has no previous load: the same kind of change then makes every
    // finding of the package again, and reconciles them all, to the same result.
    let fresh = scry_server::service::Service::new(
        scry_store::Store::open(&env.dir.path().join("scry.db")).unwrap(),
        scry_store::MasterKey::from_hex(&"ab".repeat(32), "t").unwrap(),
        env.svc.db_path().to_path_buf(),
        "sc-local-1".into(),
    );
    assert!(fresh.refresh_intel().unwrap().is_some(), "loads on start");
    let dir = env.dir.path().join("widen-again");
    changed("osv-pypi/flask", "PYSEC-2019-179.yaml", &dir, |t| {
        touch(t).replacen("- fixed: '1.0'", "- fixed: '1.1'", 1)
    });
    import(&env, &dir);
    let re = fresh.refresh_intel().unwrap().expect("noticed");
    assert_eq!(
        (re.resources, re.narrowed, re.opened, re.closed),
        (1, 0, 1, 0),
        "{re:?}"
    );
}

#[test]
fn an_advisory_database_rebuilt_from_scratch_is_matched_again() {
    let env = setup();
    let before = findings(&env);
    let flask = before
        .iter()
        .find(|(_, f)| {
            f.package_vulnerability_details
                .as_ref()
                .unwrap()
                .vulnerable_packages[0]
                .name
                == "flask"
        })
        .expect("flask 1.0.3 has a finding")
        .0
        .id;
    // The file is replaced by one built anew without the flask advisories: its change
    // numbers start over, below the one the store last applied.
    let path = env.svc.db_path().to_path_buf();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    scry_vulndb::VulnDb::create(&path)
        .unwrap()
        .import(
            &[vulndata("osv-pypi/py"), vulndata("kev")],
            chrono::Utc::now(),
            &mut |_| {},
        )
        .unwrap();
    let re = noticed(&env, "the new file");
    assert_eq!(
        re.resources, 2,
        "every stored inventory is matched again: {re:?}"
    );
    let after = findings(&env);
    let (row, _) = after.iter().find(|(r, _)| r.id == flask).unwrap();
    assert_eq!(row.status, "CLOSED", "no advisory names flask any more");
    let py_active = after
        .iter()
        .filter(|(r, f)| {
            r.status == "ACTIVE"
                && f.package_vulnerability_details
                    .as_ref()
                    .unwrap()
                    .vulnerable_packages[0]
                    .name
                    == "py"
        })
        .count();
    assert_eq!(py_active, 2, "the py findings stay");
    // And it settles: nothing more to do.
    assert!(env.svc.refresh_intel().unwrap().is_none());
}

/// Enrichment is part of a finding: when a CVE joins CISA's KEV catalog, or gets a new EPSS
/// score, the findings of every package an advisory naming that CVE affects are updated in
/// place, with no new push, and nothing else is touched.
#[test]
fn a_cve_added_to_kev_or_rescored_by_epss_updates_its_findings() {
    let env = setup();
    let cve = "CVE-2022-42969";
    let py = |env: &Env| -> Vec<(FindingRow, scry_wire::Finding)> {
        findings(env)
            .into_iter()
            .filter(|(_, f)| package(f) == "py")
            .collect()
    };
    let before = py(&env);
    assert_eq!(before.len(), 2, "py 1.11.0 on the instance and the image");
    for (_, f) in &before {
        assert_eq!(vuln(f), cve);
        assert_eq!(f.exploit_available.as_deref(), Some("NO"), "{f:?}");
    }
    let others: Vec<_> = findings(&env)
        .into_iter()
        .filter(|(r, _)| before.iter().all(|(b, _)| b.id != r.id))
        .collect();
    assert!(!others.is_empty());

    // 1. The real KEV catalog, with the CVE added as CISA would add it.
    let kev = vulndata("kev").join("known_exploited_vulnerabilities.json");
    let mut catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(kev).unwrap()).unwrap();
    let list = catalog["vulnerabilities"].as_array_mut().unwrap();
    let mut entry = list[0].clone();
    entry["cveID"] = cve.into();
    entry["vendorProject"] = "pytest-dev".into();
    entry["product"] = "py".into();
    entry["dateAdded"] = "2026-11-20".into();
    list.push(entry);
    let dir = env.dir.path().join("kev-1");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("known_exploited_vulnerabilities.json"),
        serde_json::to_string(&catalog).unwrap(),
    )
    .unwrap();
    import(&env, &dir);
    let re = noticed(&env, "the KEV change");
    assert_eq!(counts(&re), (2, 2, 0, 0, 2), "{re:?}");
    let after = py(&env);
    for (r, _) in &before {
        let (now, f) = after.iter().find(|(a, _)| a.id == r.id).unwrap();
        assert_eq!(f.exploit_available.as_deref(), Some("YES"), "{f:?}");
        assert_eq!(
            (&now.arn, now.first_observed_at),
            (&r.arn, r.first_observed_at)
        );
        assert_eq!(now.status, "ACTIVE");
    }
    // The same catalog again changes nothing.
    import(&env, &dir);
    if let Some(re) = env.svc.refresh_intel().unwrap() {
        assert_eq!((re.changed_packages, re.updated), (0, 0), "{re:?}");
    }

    // 2. A new EPSS score for the CVE (the daily CSV as FIRST publishes it).
    let dir = env.dir.path().join("epss-1");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("epss_scores-2026-11-23.csv"),
        format!("#model_version:v2025.03.14,score_date:2026-11-23T12:55:00Z\ncve,epss,percentile\n{cve},0.41,0.97\n"),
    )
    .unwrap();
    import(&env, &dir);
    let re = noticed(&env, "the EPSS change");
    assert_eq!(counts(&re), (2, 2, 0, 0, 2), "{re:?}");
    for (r, _) in &before {
        let (_, f) = py(&env).into_iter().find(|(a, _)| a.id == r.id).unwrap();
        assert_eq!(f.epss.as_ref().map(|e| e.score), Some(0.41), "{f:?}");
        assert_eq!(f.exploit_available.as_deref(), Some("YES"));
    }
    // Findings of other packages were not touched by either change.
    let now = findings(&env);
    for (r, _) in &others {
        assert_eq!(now.iter().find(|(a, _)| a.id == r.id).unwrap().0, *r);
    }
}
