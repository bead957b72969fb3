//! The cataloger set: names, and which one reads which path.

use scry_inventory::{is_os_cataloger, FileInfo};

#[test]
fn one_cataloger_per_format() {
    let cs = scry_pkgdb::catalogers();
    let names: Vec<_> = cs.iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        ["dpkg", "opkg", "apk", "rpm-sqlite", "rpm-bdb", "rpm-ndb"]
    );
    assert!(names.iter().all(|n| is_os_cataloger(n)));
    for (path, want) in [
        ("var/lib/dpkg/status", Some("dpkg")),
        ("var/lib/dpkg/status.d/base-files", Some("dpkg")),
        ("var/lib/dpkg/status.d/base-files.md5sums", None),
        ("usr/lib/opkg/status", Some("opkg")),
        ("lib/apk/db/installed", Some("apk")),
        ("var/lib/rpm/rpmdb.sqlite", Some("rpm-sqlite")),
        ("var/lib/rpm/Packages", Some("rpm-bdb")),
        ("var/lib/rpm/Packages.db", Some("rpm-ndb")),
        ("usr/lib/sysimage/rpm/rpmdb.sqlite", Some("rpm-sqlite")),
        ("etc/os-release", None),
        ("lib/apk/db/installed.bak", None),
    ] {
        let info = FileInfo {
            path,
            size: 10,
            executable: false,
        };
        let got: Vec<_> = cs
            .iter()
            .filter(|c| c.wants(&info))
            .map(|c| c.name())
            .collect();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{path}");
    }
}
