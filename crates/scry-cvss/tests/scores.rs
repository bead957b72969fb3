//! Scores against the specifications' published examples.

use scry_cvss::inspector::{inspector_score, Context};
use scry_cvss::{Cvss, CvssVersion, Severity};

#[track_caller]
fn check(vector: &str, expected: f64) {
    let c = Cvss::parse(vector).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.base_score(), expected, "{vector}");
}

/// CVSS v3.1 specification examples (FIRST, "CVSS v3.1 Examples") and NVD scores.
#[test]
fn v3_1() {
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0); // CVE-2021-44228
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8);
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5); // CVE-2022-24713
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1); // reflected XSS
    check("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8);
    check("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9); // CVE-2014-0160 Heartbleed
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5);
    check("CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:L", 4.8); // CVE-2024-29069 (Inspector's example)
    check("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6);
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0);
    check("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8);
}

#[test]
fn v3_0() {
    check("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8);
    check("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4); // CVE-2013-1937 (v3.0 examples)
    assert_eq!(
        Cvss::parse("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .unwrap()
            .version(),
        CvssVersion::V3_0
    );
}

/// CVSS v2 guide examples.
#[test]
fn v2() {
    check("AV:N/AC:L/Au:N/C:N/I:N/A:C", 7.8); // CVE-2002-0392
    check("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0); // CVE-2003-0818
    check("AV:L/AC:H/Au:N/C:C/I:C/A:C", 6.2); // CVE-2003-0062
    check("(AV:N/AC:M/Au:N/C:C/I:C/A:C)", 9.3); // CVE-2021-44228 as NVD scored it in v2
    check("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5);
}

/// CVSS v4.0: FIRST's specification and calculator examples.
#[test]
fn v4_0() {
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        9.3,
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        10.0,
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
        6.9,
    );
    check(
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        8.5,
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
        5.1,
    );
    check(
        "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        7.0,
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
        0.0,
    );
    assert_eq!(
        Cvss::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .unwrap()
            .version(),
        CvssVersion::V4_0
    );
}

#[test]
fn bad_vectors_are_errors() {
    for bad in [
        "",
        "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:9.9/AV:N",
        "XVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:4.0/AV:N",
        "garbage",
        "💥/💥",
    ] {
        assert!(Cvss::parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn bands() {
    for (s, sev) in [
        (0.0, Severity::Untriaged),
        (0.1, Severity::Low),
        (3.9, Severity::Low),
        (4.0, Severity::Medium),
        (6.9, Severity::Medium),
        (7.0, Severity::High),
        (8.9, Severity::High),
        (9.0, Severity::Critical),
        (10.0, Severity::Critical),
    ] {
        assert_eq!(Severity::from_score(s), sev, "{s}");
    }
    assert_eq!(Severity::parse("high"), Some(Severity::High));
    assert_eq!(Severity::from_vendor("Moderate"), Some(Severity::Medium));
    assert_eq!(Severity::from_vendor("unimportant"), Some(Severity::Low));
    assert_eq!(Severity::from_vendor("not yet assigned"), None);
}

#[test]
fn inspector_score_adjusts_network_vulnerabilities_on_unreachable_resources() {
    let c = Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
    let same = inspector_score(&c, &Context::default()).unwrap();
    assert_eq!(same.score, 9.8);
    assert!(same.adjustments.is_empty());
    let local = inspector_score(
        &c,
        &Context {
            network_reachable: Some(false),
            ..Context::default()
        },
    )
    .unwrap();
    // AV:L with everything else equal: 8.4 (the 3.1 calculator's environmental score).
    assert_eq!(local.score, 8.4);
    assert_eq!(local.adjustments[0].metric, "MAV");
    assert_eq!(
        (
            local.adjustments[0].from.as_str(),
            local.adjustments[0].to.as_str()
        ),
        ("N", "L")
    );
    assert!(local.vector.ends_with("/MAV:L"));
    let private = inspector_score(
        &c,
        &Context {
            network_reachable: Some(true),
            internet_reachable: Some(false),
        },
    )
    .unwrap();
    assert_eq!(private.score, 8.8);
    // Already local: nothing to adjust.
    let l = Cvss::parse("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H").unwrap();
    assert!(inspector_score(
        &l,
        &Context {
            network_reachable: Some(false),
            ..Context::default()
        }
    )
    .unwrap()
    .adjustments
    .is_empty());
    assert!(inspector_score(
        &Cvss::parse("AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap(),
        &Context::default()
    )
    .is_err());
}
