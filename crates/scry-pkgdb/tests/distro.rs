//! OS detection from release files written as the distributions ship them.

use std::collections::HashMap;

use scry_inventory::Distro;
use scry_pkgdb::{detect_distro, os_package_ecosystem, RELEASE_FILES};

fn detect(files: &[(&str, &str)]) -> Option<Distro> {
    let map: HashMap<String, Vec<u8>> = files
        .iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect();
    for p in map.keys() {
        assert!(
            RELEASE_FILES.contains(&p.as_str()),
            "{p} not in RELEASE_FILES"
        );
    }
    detect_distro(&|p: &str| map.get(p).cloned())
}

#[track_caller]
fn check(files: &[(&str, &str)], id: &str, version_id: &str, ecosystem: Option<&str>) -> Distro {
    let d = detect(files).expect("a distro");
    assert_eq!(
        (d.id.as_str(), d.version_id.as_str(), d.ecosystem.as_deref()),
        (id, version_id, ecosystem)
    );
    d
}

fn os(text: &str) -> [(&'static str, &str); 1] {
    [("etc/os-release", text)]
}

const DEBIAN_12: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

const UBUNTU_2204: &str = r#"PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
"#;

#[test]
fn debian_family() {
    let d = check(&os(DEBIAN_12), "debian", "12", Some("Debian:12"));
    assert_eq!(
        d.pretty_name.as_deref(),
        Some("Debian GNU/Linux 12 (bookworm)")
    );
    // Testing has no VERSION_ID: the codename gives the release.
    check(
        &os(r#"PRETTY_NAME="Debian GNU/Linux trixie/sid"
NAME="Debian GNU/Linux"
VERSION_CODENAME=trixie
ID=debian
HOME_URL="https://www.debian.org/"
"#),
        "debian",
        "trixie",
        Some("Debian:13"),
    );
    // Distroless: only debian_version (plus status.d, not a release file).
    check(
        &[("etc/debian_version", "12.5\n")],
        "debian",
        "12.5",
        Some("Debian:12"),
    );
    check(
        &[("etc/debian_version", "11.9\n")],
        "debian",
        "11.9",
        Some("Debian:11"),
    );
    // Distroless images that do ship an os-release.
    check(
        &os(r#"PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
"#),
        "debian",
        "12",
        Some("Debian:12"),
    );
    // Ubuntu ships debian_version too; os-release wins.
    let d = check(
        &[
            ("etc/os-release", UBUNTU_2204),
            ("etc/debian_version", "bookworm/sid\n"),
        ],
        "ubuntu",
        "22.04",
        Some("Ubuntu:22.04:LTS"),
    );
    assert_eq!(d.pretty_name.as_deref(), Some("Ubuntu 22.04.3 LTS"));
    check(
        &os(r#"PRETTY_NAME="Ubuntu 23.10"
NAME="Ubuntu"
VERSION_ID="23.10"
VERSION="23.10 (Mantic Minotaur)"
VERSION_CODENAME=mantic
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=mantic
LOGO=ubuntu-logo
"#),
        "ubuntu",
        "23.10",
        Some("Ubuntu:23.10"),
    );
    check(
        &os("PRETTY_NAME=\"Ubuntu 24.04 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n"),
        "ubuntu",
        "24.04",
        Some("Ubuntu:24.04:LTS"),
    );
    // An odd-year .04 is not LTS.
    check(
        &os("NAME=\"Ubuntu\"\nVERSION_ID=\"23.04\"\nID=ubuntu\n"),
        "ubuntu",
        "23.04",
        Some("Ubuntu:23.04"),
    );
    // Before os-release: lsb-release.
    let d = check(
        &[
            (
                "etc/lsb-release",
                "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION=\"Ubuntu 14.04.6 LTS\"\n",
            ),
            ("etc/debian_version", "jessie/sid\n"),
        ],
        "ubuntu",
        "14.04",
        Some("Ubuntu:14.04:LTS"),
    );
    assert_eq!(d.pretty_name.as_deref(), Some("Ubuntu 14.04.6 LTS"));
}

#[test]
fn alpine_family() {
    let d = check(
        &os(r#"NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
"#),
        "alpine",
        "3.19.1",
        Some("Alpine:v3.19"),
    );
    assert_eq!(d.pretty_name.as_deref(), Some("Alpine Linux v3.19"));
    // edge
    check(
        &os("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.0_alpha20240329\nPRETTY_NAME=\"Alpine Linux edge\"\n"),
        "alpine",
        "3.20.0_alpha20240329",
        Some("Alpine:v3.20"),
    );
    check(
        &[("etc/alpine-release", "3.18.6\n")],
        "alpine",
        "3.18.6",
        Some("Alpine:v3.18"),
    );
    check(
        &os(r#"ID=wolfi
NAME="Wolfi"
PRETTY_NAME="Wolfi"
VERSION_ID="20230201"
HOME_URL="https://wolfi.dev"
"#),
        "wolfi",
        "20230201",
        Some("Wolfi"),
    );
    check(
        &os(r#"ID=chainguard
NAME="Chainguard"
PRETTY_NAME="Chainguard"
VERSION_ID="20230214"
HOME_URL="https://chainguard.dev/"
"#),
        "chainguard",
        "20230214",
        Some("Chainguard"),
    );
}

#[test]
fn red_hat_family() {
    check(
        &os(r#"NAME="AlmaLinux"
VERSION="9.3 (Shamrock Pampas Cat)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.3 (Shamrock Pampas Cat)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"
"#),
        "almalinux",
        "9.3",
        Some("AlmaLinux:9"),
    );
    check(
        &os(r#"NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
"#),
        "rocky",
        "9.3",
        Some("Rocky Linux:9"),
    );
    check(
        &os(r#"NAME="Red Hat Enterprise Linux"
VERSION="9.3 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
"#),
        "rhel",
        "9.3",
        Some("Red Hat:enterprise_linux:9"),
    );
    check(
        &os(r#"NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
"#),
        "centos",
        "7",
        None,
    );
    check(
        &os(r#"NAME="Fedora Linux"
VERSION="39 (Container Image)"
ID=fedora
VERSION_ID=39
VERSION_CODENAME=""
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Container Image)"
"#),
        "fedora",
        "39",
        None,
    );
    check(
        &os(r#"NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"
PRETTY_NAME="Amazon Linux 2"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
"#),
        "amzn",
        "2",
        None,
    );
    let d = check(
        &os(r#"NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.3.20240131"
"#),
        "amzn",
        "2023",
        None,
    );
    assert_eq!(
        d.pretty_name.as_deref(),
        Some("Amazon Linux 2023.3.20240131")
    );
    // Before os-release.
    check(
        &[
            ("etc/centos-release", "CentOS release 6.10 (Final)\n"),
            ("etc/redhat-release", "CentOS release 6.10 (Final)\n"),
        ],
        "centos",
        "6.10",
        None,
    );
    check(
        &[(
            "etc/redhat-release",
            "Red Hat Enterprise Linux Server release 6.10 (Santiago)\n",
        )],
        "rhel",
        "6.10",
        Some("Red Hat:enterprise_linux:6"),
    );
    check(
        &[("etc/system-release", "Amazon Linux AMI release 2018.03\n")],
        "amzn",
        "2018.03",
        None,
    );
}

#[test]
fn suse_and_microsoft() {
    let d = check(
        &os(r#"NAME="SLES"
VERSION="15-SP5"
VERSION_ID="15.5"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"
ID="sles"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:sles:15:sp5"
DOCUMENTATION_URL="https://documentation.suse.com/"
"#),
        "sles",
        "15.5",
        Some("SUSE:Linux Enterprise Server 15 SP5"),
    );
    assert_eq!(
        d.pretty_name.as_deref(),
        Some("SUSE Linux Enterprise Server 15 SP5")
    );
    check(
        &os("NAME=\"SLES\"\nVERSION=\"15\"\nVERSION_ID=\"15\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15\"\nID=\"sles\"\n"),
        "sles",
        "15",
        Some("SUSE:Linux Enterprise Server 15"),
    );
    check(
        &os(r#"NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.5"
"#),
        "opensuse-leap",
        "15.5",
        Some("openSUSE:Leap 15.5"),
    );
    check(
        &os(r#"NAME="openSUSE Tumbleweed"
# VERSION="20240201"
ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
VERSION_ID="20240201"
PRETTY_NAME="openSUSE Tumbleweed"
"#),
        "opensuse-tumbleweed",
        "20240201",
        Some("openSUSE:Tumbleweed"),
    );
    check(
        &[(
            "etc/SuSE-release",
            "SUSE Linux Enterprise Server 12 (x86_64)\nVERSION = 12\nPATCHLEVEL = 3\n# This file is deprecated\n",
        )],
        "sles",
        "12.3",
        Some("SUSE:Linux Enterprise Server 12 SP3"),
    );
    check(
        &os(r#"NAME="Common Base Linux Mariner"
VERSION="2.0.20240123"
ID=mariner
VERSION_ID="2.0"
PRETTY_NAME="CBL-Mariner/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/cbl-mariner"
BUG_REPORT_URL="https://aka.ms/cbl-mariner"
SUPPORT_URL="https://aka.ms/cbl-mariner"
"#),
        "mariner",
        "2.0",
        Some("Mariner:2.0"),
    );
    check(
        &[(
            "etc/mariner-release",
            "CBL-Mariner 1.0.20220226\nMARINER_BUILD_NUMBER=a1b2c3d\n",
        )],
        "mariner",
        "1.0",
        Some("Mariner:1.0"),
    );
    check(
        &os(r#"NAME="Microsoft Azure Linux"
VERSION="3.0.20240727"
ID=azurelinux
VERSION_ID="3.0"
PRETTY_NAME="Microsoft Azure Linux 3.0"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/azurelinux"
"#),
        "azurelinux",
        "3.0",
        Some("Azure Linux:3.0"),
    );
}

#[test]
fn fallbacks_and_garbage() {
    // usr/lib/os-release when etc/os-release is absent or has no ID.
    check(
        &[("usr/lib/os-release", DEBIAN_12)],
        "debian",
        "12",
        Some("Debian:12"),
    );
    check(
        &[
            ("etc/os-release", "NAME=nothing\n"),
            ("usr/lib/os-release", DEBIAN_12),
        ],
        "debian",
        "12",
        Some("Debian:12"),
    );
    // Unknown distributions are kept with no ecosystem.
    let d = check(
        &os("NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n"),
        "arch",
        "",
        None,
    );
    assert_eq!(d.pretty_name.as_deref(), Some("Arch Linux"));
    assert_eq!(detect(&[]), None);
    assert_eq!(detect(&[("etc/os-release", "\u{0}\u{1}garbage")]), None);
    // Quoting and escapes.
    let d = check(
        &os("ID='debian'\nVERSION_ID=\"12\"  \nPRETTY_NAME=\"A \\\"quoted\\\" name\"\n"),
        "debian",
        "12",
        Some("Debian:12"),
    );
    assert_eq!(d.pretty_name.as_deref(), Some("A \"quoted\" name"));
    // A huge file is read only in part, and nothing panics.
    let big = format!("ID=debian\nVERSION_ID=12\n{}", "X=".repeat(10 << 20));
    check(
        &[("etc/os-release", &big)],
        "debian",
        "12",
        Some("Debian:12"),
    );
    check(
        &os("ID=ubuntu\nVERSION_ID=garbage\n"),
        "ubuntu",
        "garbage",
        None,
    );
}

#[test]
fn package_ecosystems() {
    let d = |eco: Option<&str>| Distro {
        id: "x".into(),
        version_id: "1".into(),
        pretty_name: None,
        ecosystem: eco.map(str::to_string),
    };
    assert_eq!(
        os_package_ecosystem(&d(Some("Ubuntu:22.04:LTS")), "dpkg"),
        "Ubuntu"
    );
    assert_eq!(
        os_package_ecosystem(&d(Some("Debian:12")), "dpkg"),
        "Debian"
    );
    assert_eq!(os_package_ecosystem(&d(Some("Wolfi")), "apk"), "Wolfi");
    assert_eq!(
        os_package_ecosystem(&d(Some("Alpine:v3.19")), "apk"),
        "Alpine"
    );
    assert_eq!(
        os_package_ecosystem(&d(Some("Rocky Linux:9")), "rpm-sqlite"),
        "Rocky Linux"
    );
    assert_eq!(
        os_package_ecosystem(&d(Some("SUSE:Linux Enterprise Server 15 SP5")), "rpm-ndb"),
        "SUSE"
    );
    assert_eq!(
        os_package_ecosystem(&d(Some("Mariner:2.0")), "rpm-sqlite"),
        "Mariner"
    );
    // No OSV namespace (Fedora, Amazon): the package manager's family.
    assert_eq!(os_package_ecosystem(&d(None), "rpm-bdb"), "Red Hat");
    assert_eq!(os_package_ecosystem(&d(None), "dpkg"), "Debian");
    // A package manager foreign to the distribution (rpm on Ubuntu): its family.
    assert_eq!(
        os_package_ecosystem(&d(Some("Ubuntu:22.04:LTS")), "rpm-bdb"),
        "Red Hat"
    );
    assert_eq!(os_package_ecosystem(&d(Some("Debian:12")), "apk"), "Alpine");
    assert_eq!(
        os_package_ecosystem(&d(Some("Debian:12")), "opkg"),
        "OpenWrt"
    );
}
