//! Ordering rules the shared vector files do not cover, through the public API.

use std::cmp::Ordering::{self, Equal as Eq, Greater as Gt, Less as Lt};

use scry_version::{compare, validate, Scheme};

#[track_caller]
fn check(scheme: Scheme, a: &str, op: Ordering, b: &str) {
    assert_eq!(compare(scheme, a, b), Ok(op), "{scheme:?}: {a} vs {b}");
    assert_eq!(
        compare(scheme, b, a),
        Ok(op.reverse()),
        "{scheme:?}: {b} vs {a}"
    );
}

#[test]
fn go_pseudo_versions_and_incompatible() {
    use Scheme::Go;
    // vX.0.0-yyyymmddhhmmss-hash: before any release of that major.
    check(Go, "v0.0.0-20191109021931-daa7c04131f5", Lt, "v0.1.0");
    check(
        Go,
        "v0.0.0-20191109021931-daa7c04131f5",
        Lt,
        "v0.0.0-20191110000000-0123456789ab",
    );
    // vX.Y.(Z+1)-0.yyyymmddhhmmss-hash: after vX.Y.Z, before vX.Y.(Z+1) and its prereleases.
    check(Go, "v1.2.4-0.20191109021931-daa7c04131f5", Gt, "v1.2.3");
    check(
        Go,
        "v1.2.4-0.20191109021931-daa7c04131f5",
        Lt,
        "v1.2.4-alpha",
    );
    // vX.Y.Z-pre.0.yyyymmddhhmmss-hash: after vX.Y.Z-pre.
    check(
        Go,
        "v1.2.4-rc.1.0.20191109021931-daa7c04131f5",
        Gt,
        "v1.2.4-rc.1",
    );
    check(Go, "v2.0.0+incompatible", Eq, "v2.0.0");
    check(Go, "v2.1.0+incompatible", Gt, "v2.0.9");
    check(Go, "1.2.3", Eq, "v1.2.3");
    check(Go, "v1.2", Eq, "v1.2.0");
    assert!(compare(Go, "v1.2.3.4", "v1").is_err());
    assert!(validate(Go, "v1.02.3").is_err());
}

#[test]
fn npm_prereleases() {
    use Scheme::SemVer;
    check(SemVer, "1.0.0-alpha.1", Lt, "1.0.0-alpha.beta");
    check(SemVer, "1.0.0-2", Lt, "1.0.0-11");
    check(SemVer, "1.0.0-a2", Gt, "1.0.0-a11");
    check(SemVer, "1.0.0-rc.1", Lt, "1.0.0");
    check(SemVer, "1.0.0-rc.1+build.5", Eq, "1.0.0-rc.1");
    check(SemVer, "2.0.0-0", Gt, "1.999.999");
    assert!(validate(SemVer, "1.0.0-rc.1+build.5").is_ok());
    assert!(validate(SemVer, "1.0").is_err());
}

#[test]
fn dpkg_tilde() {
    use Scheme::Dpkg;
    check(Dpkg, "1.0~beta1", Lt, "1.0");
    check(Dpkg, "1.0~~a", Lt, "1.0~a");
    check(Dpkg, "1.0", Lt, "1.0+nmu1");
    check(Dpkg, "1.0-1~bpo12+1", Lt, "1.0-1");
    check(Dpkg, "1:1.0~rc1", Gt, "2.0");
}

#[test]
fn rpm_caret_and_tilde() {
    use Scheme::Rpm;
    check(Rpm, "1.0^20230101git1", Gt, "1.0");
    check(Rpm, "1.0^20230101git1", Lt, "1.0.1");
    check(Rpm, "1.0~rc1", Lt, "1.0");
    check(Rpm, "1.0~rc1^post", Lt, "1.0");
    check(Rpm, "1:1.0-1.el9", Gt, "2.0-1.el9");
}

#[test]
fn maven_qualifiers() {
    use Scheme::Maven;
    let order = [
        "1.0-alpha-1",
        "1.0-a2",
        "1.0-beta",
        "1.0-M1",
        "1.0-RC1",
        "1.0-CR2",
        "1.0-SNAPSHOT",
        "1.0",
        "1.0-sp1",
        "1.0-foo",
        "1.0-1",
        "1.0.1",
    ];
    for w in order.windows(2) {
        check(Maven, w[0], Lt, w[1]);
    }
    check(Maven, "1.0.Final", Eq, "1.0");
    check(Maven, "1.0.RELEASE", Eq, "1.0-ga");
    check(Maven, "1.0.0.0", Eq, "1");
    check(Maven, "1-1.0", Eq, "1-1");
}

#[test]
fn pep440_local_dev_post() {
    use Scheme::Pep440;
    let order = [
        "1.0.dev0",
        "1.0a1.dev0",
        "1.0a1",
        "1.0b2.post1",
        "1.0rc1",
        "1.0",
        "1.0+local.1",
        "1.0.post1.dev0",
        "1.0.post1",
    ];
    for w in order.windows(2) {
        check(Pep440, w[0], Lt, w[1]);
    }
    check(Pep440, "1.0+abc.1", Lt, "1.0+abc.2");
    check(Pep440, "1.0+abc", Lt, "1.0+1");
    check(Pep440, "1.0.POST1", Eq, "1.0-1");
    check(Pep440, "1.0-dev2", Eq, "1.0.dev2");
    assert!(validate(Pep440, "1.0+local..1").is_err());
}

#[test]
fn errors_name_scheme_text_and_reason() {
    let err = validate(Scheme::Pep440, "1.0.0.x").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid PEP 440 version "1.0.0.x": unexpected ".x""#
    );
    let err = compare(Scheme::Dpkg, "1.0", "a:1").unwrap_err();
    assert_eq!(err.scheme(), Scheme::Dpkg);
    assert_eq!(err.version(), "a:1");
    assert_eq!(err.reason(), "epoch in version is not number");
}
