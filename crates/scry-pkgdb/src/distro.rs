//! Operating-system detection from release files, and the OSV ecosystem an OS's packages are
//! matched in.
//!
//! Rules used:
//! - `etc/os-release`, else `usr/lib/os-release` (shell-style `KEY=value`, quotes and
//!   backslash escapes honoured): `ID` (lowercased), `VERSION_ID`, `PRETTY_NAME`. A file
//!   without `ID` is ignored. Debian testing/unstable has no `VERSION_ID`: the codename
//!   (`VERSION_CODENAME`, else `etc/debian_version` such as `trixie/sid`) gives the release.
//! - Without os-release, the older files, in this order: `etc/lsb-release` (`DISTRIB_ID`,
//!   `DISTRIB_RELEASE`), `etc/alpine-release`, `etc/mariner-release` (`CBL-Mariner 2.0.…`),
//!   `etc/SuSE-release` (`VERSION`/`PATCHLEVEL`), `etc/centos-release`, `etc/almalinux-release`,
//!   `etc/rocky-release`, `etc/fedora-release`, `etc/redhat-release`, `etc/system-release`
//!   (`<name> release <version> (<codename>)`), and last `etc/debian_version` (distroless
//!   Debian images have only that one; Ubuntu has it too, hence last).
//! - At most 64 KiB of each file is read.
//!
//! Ecosystems (`Distro::ecosystem`), OSV spelling:
//!
//! | OS (`ID`)                          | ecosystem                                   |
//! |------------------------------------|---------------------------------------------|
//! | debian `12`, `12.5`, `bookworm`    | `Debian:12`                                 |
//! | ubuntu `22.04` / `23.10`           | `Ubuntu:22.04:LTS` (even year, `.04`) / `Ubuntu:23.10` |
//! | alpine `3.19.1`                    | `Alpine:v3.19`                              |
//! | almalinux / rocky `9.3`            | `AlmaLinux:9` / `Rocky Linux:9`             |
//! | rhel `9.3`                         | `Red Hat:enterprise_linux:9` (see below)    |
//! | sles / sles_sap / sled `15.5`      | `SUSE:Linux Enterprise Server 15 SP5` (… for SAP Applications …, … Desktop …) |
//! | sle-micro `5.5`                    | `SUSE:Linux Enterprise Micro 5.5`           |
//! | opensuse-leap `15.5`, -micro, tumbleweed | `openSUSE:Leap 15.5`, `openSUSE:Leap Micro 5.5`, `openSUSE:Tumbleweed` |
//! | mariner `2.0` / azurelinux `3.0`   | `Mariner:2.0` / `Azure Linux:3.0`           |
//! | wolfi / chainguard                 | `Wolfi` / `Chainguard`                      |
//! | photon `5.0`, mageia `9`, openeuler `22.03 (LTS-SP1)` | `Photon OS:5.0`, `Mageia:9`, `openEuler:22.03-LTS-SP1` |
//! | centos, fedora, amzn, ol, others   | None (OSV has no namespace for them)        |
//!
//! OSV's Red Hat ecosystem is per product stream (`Red Hat:enterprise_linux:9::appstream`,
//! `…::baseos`), which an installed system does not record per package: the release given here
//! is the common prefix `enterprise_linux:<major>`, which a matcher has to compare as a prefix.

use scry_inventory::Distro;

/// Every path [`detect_distro`] may read.
pub const RELEASE_FILES: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/lsb-release",
    "etc/alpine-release",
    "etc/mariner-release",
    "etc/SuSE-release",
    "etc/centos-release",
    "etc/almalinux-release",
    "etc/rocky-release",
    "etc/fedora-release",
    "etc/redhat-release",
    "etc/system-release",
    "etc/debian_version",
];

const MAX_READ: usize = 64 << 10;

fn read_text(read: &dyn Fn(&str) -> Option<Vec<u8>>, path: &str) -> Option<String> {
    let b = read(path)?;
    let b = &b[..b.len().min(MAX_READ)];
    let s = String::from_utf8_lossy(b).into_owned();
    (!s.trim().is_empty()).then_some(s)
}

/// Parses shell-style `KEY=value` lines (os-release, lsb-release).
fn key_values(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        out.push((k.to_string(), unquote(v.trim())));
    }
    out
}

fn unquote(v: &str) -> String {
    let mut chars = v.chars();
    match chars.next() {
        Some('"') => {
            let mut out = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some(e @ ('"' | '\\' | '$' | '`')) => out.push(e),
                        Some(e) => {
                            out.push('\\');
                            out.push(e);
                        }
                        None => break,
                    },
                    c => out.push(c),
                }
            }
            out
        }
        Some('\'') => chars.take_while(|c| *c != '\'').collect(),
        _ => v.split('#').next().unwrap_or("").trim().to_string(),
    }
}

fn get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Detects the OS of a file system. `read("etc/os-release")` returns a file's bytes (paths
/// without a leading `/`); only [`RELEASE_FILES`] are asked for.
pub fn detect_distro(read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Option<Distro> {
    let os_release = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .filter_map(|p| read_text(read, p))
        .map(|t| key_values(&t))
        .find(|kv| get(kv, "ID").is_some());
    if let Some(kv) = os_release {
        let id = get(&kv, "ID").unwrap_or_default().to_ascii_lowercase();
        let mut version_id = get(&kv, "VERSION_ID").unwrap_or_default().to_string();
        if version_id.is_empty() && id == "debian" {
            version_id = get(&kv, "VERSION_CODENAME")
                .map(str::to_string)
                .or_else(|| read_text(read, "etc/debian_version").map(|t| t.trim().to_string()))
                .unwrap_or_default();
        }
        let pretty_name = get(&kv, "PRETTY_NAME")
            .map(str::to_string)
            .or_else(|| get(&kv, "NAME").map(str::to_string));
        let ecosystem = ecosystem_for(&id, &version_id, get(&kv, "VERSION"));
        return Some(Distro {
            id,
            version_id,
            pretty_name,
            ecosystem,
        });
    }
    legacy(read)
}

/// Detection from the release files that predate os-release.
fn legacy(read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Option<Distro> {
    let make = |id: &str, version: &str, pretty: Option<String>| {
        Some(Distro {
            id: id.to_string(),
            version_id: version.to_string(),
            ecosystem: ecosystem_for(id, version, None),
            pretty_name: pretty,
        })
    };
    if let Some(t) = read_text(read, "etc/lsb-release") {
        let kv = key_values(&t);
        if let Some(id) = get(&kv, "DISTRIB_ID") {
            let id = id.to_ascii_lowercase();
            let version = get(&kv, "DISTRIB_RELEASE").unwrap_or_default();
            return make(
                &id,
                version,
                get(&kv, "DISTRIB_DESCRIPTION").map(str::to_string),
            );
        }
    }
    if let Some(t) = read_text(read, "etc/alpine-release") {
        let v = t.trim();
        return make("alpine", v, Some(format!("Alpine Linux v{v}")));
    }
    if let Some(t) = read_text(read, "etc/mariner-release") {
        let first = t.lines().next().unwrap_or("").trim();
        if let Some(rest) = first.strip_prefix("CBL-Mariner") {
            let full = rest.split_whitespace().next().unwrap_or("");
            let v: Vec<&str> = full.split('.').take(2).collect();
            return make("mariner", &v.join("."), Some(first.to_string()));
        }
    }
    if let Some(t) = read_text(read, "etc/SuSE-release") {
        if let Some(d) = suse_release(&t) {
            return Some(d);
        }
    }
    for path in [
        "etc/centos-release",
        "etc/almalinux-release",
        "etc/rocky-release",
        "etc/fedora-release",
        "etc/redhat-release",
        "etc/system-release",
    ] {
        if let Some(t) = read_text(read, path) {
            let line = t.lines().next().unwrap_or("").trim();
            if let Some((id, version)) = redhat_style(line) {
                return make(id, &version, Some(line.to_string()));
            }
        }
    }
    if let Some(t) = read_text(read, "etc/debian_version") {
        let v = t.lines().next().unwrap_or("").trim();
        if !v.is_empty() {
            return make("debian", v, None);
        }
    }
    None
}

/// `<name> release <version> (<codename>)` → (os-release ID, version).
fn redhat_style(line: &str) -> Option<(&'static str, String)> {
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    const NAMES: &[(&str, &str)] = &[
        ("Red Hat Enterprise Linux", "rhel"),
        ("CentOS", "centos"),
        ("AlmaLinux", "almalinux"),
        ("Rocky Linux", "rocky"),
        ("Fedora", "fedora"),
        ("Amazon Linux", "amzn"),
        ("Oracle Linux", "ol"),
    ];
    let id = NAMES.iter().find(|(n, _)| name.starts_with(n))?.1;
    Some((id, version))
}

fn suse_release(text: &str) -> Option<Distro> {
    let first = text.lines().next()?.trim();
    let kv: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let version = get(&kv, "VERSION")?;
    let (id, version_id) = if first.starts_with("SUSE Linux Enterprise Server") {
        let v = match get(&kv, "PATCHLEVEL").filter(|p| *p != "0") {
            Some(p) => format!("{version}.{p}"),
            None => version.to_string(),
        };
        ("sles", v)
    } else if first.starts_with("SUSE Linux Enterprise Desktop") {
        let v = match get(&kv, "PATCHLEVEL").filter(|p| *p != "0") {
            Some(p) => format!("{version}.{p}"),
            None => version.to_string(),
        };
        ("sled", v)
    } else if first.starts_with("openSUSE Leap") {
        ("opensuse-leap", version.to_string())
    } else if first.starts_with("openSUSE") {
        ("opensuse", version.to_string())
    } else {
        return None;
    };
    Some(Distro {
        id: id.to_string(),
        ecosystem: ecosystem_for(id, &version_id, None),
        version_id,
        pretty_name: Some(first.to_string()),
    })
}

fn major(v: &str) -> Option<&str> {
    let m = v.split('.').next()?;
    (!m.is_empty() && m.bytes().all(|b| b.is_ascii_digit())).then_some(m)
}

fn major_minor(v: &str) -> Option<(&str, &str)> {
    let mut it = v.split('.');
    let (ma, mi) = (it.next()?, it.next()?);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(ma) && digits(mi)).then_some((ma, mi))
}

fn debian_release(v: &str) -> Option<String> {
    if let Some(m) = major(v) {
        return Some(m.to_string());
    }
    let codename = v.split('/').next()?.trim();
    let n = match codename {
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        _ => return None,
    };
    Some(n.to_string())
}

/// `15.5` → `15 SP5`; `15` or `15.0` → `15`.
fn service_pack(v: &str) -> Option<String> {
    match major_minor(v) {
        Some((ma, "0")) => Some(ma.to_string()),
        Some((ma, mi)) => Some(format!("{ma} SP{mi}")),
        None => major(v).map(str::to_string),
    }
}

/// The OSV ecosystem, with release, for an OS.
fn ecosystem_for(id: &str, version_id: &str, version: Option<&str>) -> Option<String> {
    let v = version_id.trim();
    match id {
        "debian" => debian_release(v).map(|r| format!("Debian:{r}")),
        "ubuntu" => {
            let (ma, mi) = major_minor(v)?;
            let lts = mi == "04" && ma.parse::<u32>().is_ok_and(|y| y % 2 == 0);
            Some(format!("Ubuntu:{ma}.{mi}{}", if lts { ":LTS" } else { "" }))
        }
        "alpine" => {
            let (ma, mi) = major_minor(v.split(['_', '-']).next()?)?;
            Some(format!("Alpine:v{ma}.{mi}"))
        }
        "almalinux" => major(v).map(|m| format!("AlmaLinux:{m}")),
        "rocky" => major(v).map(|m| format!("Rocky Linux:{m}")),
        "rhel" => major(v).map(|m| format!("Red Hat:enterprise_linux:{m}")),
        "sles" => service_pack(v).map(|r| format!("SUSE:Linux Enterprise Server {r}")),
        "sles_sap" => service_pack(v)
            .map(|r| format!("SUSE:Linux Enterprise Server for SAP Applications {r}")),
        "sled" => service_pack(v).map(|r| format!("SUSE:Linux Enterprise Desktop {r}")),
        "sle-micro" => major_minor(v).map(|(a, b)| format!("SUSE:Linux Enterprise Micro {a}.{b}")),
        "opensuse-leap" => major_minor(v).map(|(a, b)| format!("openSUSE:Leap {a}.{b}")),
        "opensuse-leap-micro" => {
            major_minor(v).map(|(a, b)| format!("openSUSE:Leap Micro {a}.{b}"))
        }
        "opensuse-tumbleweed" => Some("openSUSE:Tumbleweed".to_string()),
        "mariner" => major_minor(v).map(|(a, b)| format!("Mariner:{a}.{b}")),
        "azurelinux" => major_minor(v).map(|(a, b)| format!("Azure Linux:{a}.{b}")),
        "wolfi" => Some("Wolfi".to_string()),
        "chainguard" => Some("Chainguard".to_string()),
        "photon" => major_minor(v).map(|(a, b)| format!("Photon OS:{a}.{b}")),
        "mageia" => major(v).map(|m| format!("Mageia:{m}")),
        "openeuler" => {
            major_minor(v)?;
            // VERSION="22.03 (LTS-SP1)" → 22.03-LTS-SP1
            let suffix = version
                .and_then(|s| s.split_once('('))
                .map(|(_, r)| r.trim_end_matches(')').trim())
                .filter(|s| !s.is_empty());
            Some(match suffix {
                Some(s) => format!("openEuler:{v}-{s}"),
                None => format!("openEuler:{v}"),
            })
        }
        _ => None,
    }
}

/// Which ecosystem bases a package manager's packages can belong to.
fn family(found_by: &str) -> (&'static str, &'static [&'static str]) {
    match found_by {
        "dpkg" => ("Debian", &["Debian", "Ubuntu"]),
        "apk" => ("Alpine", &["Alpine", "Wolfi", "Chainguard", "MinimOS"]),
        "opkg" => ("OpenWrt", &[]),
        f if f.starts_with("rpm") => (
            "Red Hat",
            &[
                "Red Hat",
                "AlmaLinux",
                "Rocky Linux",
                "SUSE",
                "openSUSE",
                "Mariner",
                "Azure Linux",
                "Photon OS",
                "Mageia",
                "openEuler",
            ],
        ),
        _ => ("", &[]),
    }
}

/// The base ecosystem (no release) of a package found by `found_by` (`dpkg`, `apk`, `opkg`,
/// `rpm-*`) on `distro`: the base of the distribution's ecosystem when the package manager is
/// the distribution's (`Ubuntu` for dpkg on ubuntu, `Wolfi` for apk on wolfi), else the package
/// manager's family (`Debian`, `Alpine`, `Red Hat`, `OpenWrt`), e.g. for rpm on Fedora or
/// Amazon Linux, which have no OSV namespace.
pub fn os_package_ecosystem(distro: &Distro, found_by: &str) -> String {
    let (default, bases) = family(found_by);
    let base = distro
        .ecosystem
        .as_deref()
        .map(|e| e.split(':').next().unwrap_or(e));
    match base {
        Some(b) if bases.contains(&b) => b.to_string(),
        _ => default.to_string(),
    }
}
