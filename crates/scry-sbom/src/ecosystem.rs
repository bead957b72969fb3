//! Package URL type ⇄ advisory ecosystem, and the OS release namespaces.

use scry_inventory::purl::Purl;
use scry_inventory::Distro;

/// The advisory ecosystem (OSV base name) a package URL belongs to, or None for purl types that
/// have no advisory database (`generic`, `github`, `docker`, `oci`, ...).
///
/// Rules:
/// - `deb`: namespace `ubuntu` → `Ubuntu`, anything else (`debian`, derivatives) → `Debian`.
/// - `apk`: namespace `wolfi` → `Wolfi`, `chainguard` → `Chainguard`, else `Alpine`.
/// - `rpm`: by namespace: `redhat`/`rhel` → `Red Hat`, `almalinux` → `AlmaLinux`,
///   `rocky`/`rockylinux` → `Rocky Linux`, `opensuse`/`suse`/`sles` → `SUSE`,
///   `mariner`/`azurelinux` → `Mariner`, `openeuler` → `openEuler`; any other namespace (or
///   none) → `Red Hat`, the rpm family name the inventory model uses when the distribution is
///   not known.
/// - `pypi` → `PyPI`, `npm` → `npm`, `cargo` → `crates.io`, `golang` → `Go`, `maven` → `Maven`,
///   `gem` → `RubyGems`, `composer` → `Packagist`, `nuget` → `NuGet`, `conan` → `ConanCenter`,
///   `hex` → `Hex`, `pub` → `Pub`.
pub fn ecosystem_for_purl(purl: &Purl) -> Option<String> {
    let ns = purl.namespace.as_deref().unwrap_or("").to_ascii_lowercase();
    let e = match purl.ty.as_str() {
        "deb" => match ns.as_str() {
            "ubuntu" => "Ubuntu",
            _ => "Debian",
        },
        "apk" => match ns.as_str() {
            "wolfi" => "Wolfi",
            "chainguard" => "Chainguard",
            _ => "Alpine",
        },
        "rpm" => match ns.as_str() {
            "almalinux" => "AlmaLinux",
            "rocky" | "rockylinux" => "Rocky Linux",
            "opensuse" | "suse" | "sles" | "opensuse-leap" | "opensuse-tumbleweed" => "SUSE",
            "mariner" | "azurelinux" => "Mariner",
            "openeuler" => "openEuler",
            _ => "Red Hat",
        },
        "pypi" => "PyPI",
        "npm" => "npm",
        "cargo" => "crates.io",
        "golang" => "Go",
        "maven" => "Maven",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        "nuget" => "NuGet",
        "conan" => "ConanCenter",
        "hex" => "Hex",
        "pub" => "Pub",
        _ => return None,
    };
    Some(e.to_string())
}

/// The purl type for an advisory ecosystem (base name; a `:release` suffix is ignored), or
/// `generic` when there is none.
pub fn purl_type_for_ecosystem(ecosystem: &str) -> &'static str {
    let base = ecosystem.split(':').next().unwrap_or("");
    match base {
        "Debian" | "Ubuntu" => "deb",
        "Alpine" | "Wolfi" | "Chainguard" => "apk",
        "Red Hat" | "AlmaLinux" | "Rocky Linux" | "SUSE" | "openSUSE" | "Mariner" | "openEuler" => {
            "rpm"
        }
        "PyPI" => "pypi",
        "npm" => "npm",
        "crates.io" => "cargo",
        "Go" => "golang",
        "Maven" => "maven",
        "RubyGems" => "gem",
        "Packagist" => "composer",
        "NuGet" => "nuget",
        "ConanCenter" => "conan",
        "Hex" => "hex",
        "Pub" => "pub",
        _ => "generic",
    }
}

/// The package name as the ecosystem writes it, from a purl: Maven `group:artifact`, npm
/// `@scope/name`, Go and Packagist `namespace/name`; otherwise the purl name.
pub(crate) fn package_name_from_purl(purl: &Purl) -> String {
    match (purl.ty.as_str(), purl.namespace.as_deref()) {
        ("maven", Some(ns)) => format!("{ns}:{}", purl.name),
        ("npm" | "golang" | "composer", Some(ns)) => format!("{ns}/{}", purl.name),
        _ => purl.name.clone(),
    }
}

/// The OSV ecosystem with release for a distribution, when this crate knows the advisory
/// database's spelling: `Debian:<major>`, `Ubuntu:<YY.MM>` (`:LTS` appended for even-year
/// `.04` releases), `Alpine:v<major>.<minor>`, `AlmaLinux:<major>`, `Rocky Linux:<major>`.
/// Other distributions get None (the caller may carry an explicit ecosystem instead).
pub fn distro_ecosystem(id: &str, version_id: &str) -> Option<String> {
    let v = version_id.trim();
    let mut parts = v.split('.');
    let major = parts.next().filter(|m| is_digits(m))?;
    let minor = parts.next().filter(|m| is_digits(m));
    match id.to_ascii_lowercase().as_str() {
        "debian" => Some(format!("Debian:{major}")),
        "ubuntu" => {
            let minor = minor?;
            let lts = minor == "04" && major.parse::<u32>().ok()? % 2 == 0;
            Some(format!(
                "Ubuntu:{major}.{minor}{}",
                if lts { ":LTS" } else { "" }
            ))
        }
        "alpine" => Some(format!("Alpine:v{major}.{}", minor?)),
        "almalinux" => Some(format!("AlmaLinux:{major}")),
        "rocky" => Some(format!("Rocky Linux:{major}")),
        _ => None,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A distro from a purl `distro` qualifier: `debian-12`, `alpine-3.19.1`, `ubuntu-22.04`,
/// `rhel-9.1` (id and version split at the last `-`), or a bare version (`3.19.1`, as some
/// tools write) with the id taken from the purl namespace.
pub(crate) fn distro_from_qualifier(purl: &Purl) -> Option<Distro> {
    let q = purl
        .qualifiers
        .iter()
        .find(|(k, _)| k == "distro")
        .map(|(_, v)| v.trim())?;
    let (id, version) = match q.rsplit_once('-') {
        Some((id, v)) if v.starts_with(|c: char| c.is_ascii_digit()) && !id.is_empty() => {
            (id.to_ascii_lowercase(), v.to_string())
        }
        _ if q.starts_with(|c: char| c.is_ascii_digit()) => (
            purl.namespace.as_deref()?.to_ascii_lowercase(),
            q.to_string(),
        ),
        _ => return None,
    };
    let ecosystem = distro_ecosystem(&id, &version);
    Some(Distro {
        id,
        version_id: version,
        pretty_name: None,
        ecosystem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eco(s: &str) -> Option<String> {
        ecosystem_for_purl(&Purl::parse(s).unwrap())
    }

    #[test]
    fn purl_types_map_to_osv_ecosystems() {
        let cases = [
            ("pkg:deb/debian/curl@7.88.1-10", "Debian"),
            ("pkg:deb/ubuntu/curl@7.81.0-1", "Ubuntu"),
            ("pkg:apk/alpine/musl@1.2.4-r2", "Alpine"),
            ("pkg:apk/wolfi/glibc@2.38-r1", "Wolfi"),
            ("pkg:rpm/redhat/openssl@1:1.1.1k-7.el8", "Red Hat"),
            ("pkg:rpm/almalinux/bash@5.1-6.el9", "AlmaLinux"),
            ("pkg:rpm/rocky/bash@5.1-6.el9", "Rocky Linux"),
            ("pkg:rpm/opensuse/bash@5.1-6", "SUSE"),
            ("pkg:rpm/suse/bash@5.1-6", "SUSE"),
            ("pkg:rpm/mariner/bash@5.1-6", "Mariner"),
            ("pkg:rpm/centos/bash@4.2-1", "Red Hat"),
            ("pkg:pypi/django@4.2", "PyPI"),
            ("pkg:npm/%40babel/core@7.0.0", "npm"),
            ("pkg:cargo/serde@1.0.0", "crates.io"),
            ("pkg:golang/github.com/gorilla/mux@v1.8.0", "Go"),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                "Maven",
            ),
            ("pkg:gem/rails@7.0.0", "RubyGems"),
            ("pkg:composer/laravel/framework@10.0.0", "Packagist"),
            ("pkg:nuget/Newtonsoft.Json@13.0.1", "NuGet"),
            ("pkg:conan/zlib@1.2.13", "ConanCenter"),
            ("pkg:hex/phoenix@1.7.0", "Hex"),
            ("pkg:pub/http@1.1.0", "Pub"),
        ];
        for (p, e) in cases {
            assert_eq!(eco(p).as_deref(), Some(e), "{p}");
            assert_eq!(
                purl_type_for_ecosystem(e),
                Purl::parse(p).unwrap().ty,
                "{e}"
            );
        }
        assert_eq!(eco("pkg:generic/openssl@3.0.0"), None);
        assert_eq!(eco("pkg:github/actions/checkout@v4"), None);
        assert_eq!(purl_type_for_ecosystem("Debian:12"), "deb");
        assert_eq!(purl_type_for_ecosystem("Ubuntu:22.04:LTS"), "deb");
        assert_eq!(purl_type_for_ecosystem("Nonsense"), "generic");
    }

    #[test]
    fn names_follow_the_ecosystem() {
        let n = |s: &str| package_name_from_purl(&Purl::parse(s).unwrap());
        assert_eq!(
            n("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            "org.apache.logging.log4j:log4j-core"
        );
        assert_eq!(n("pkg:npm/%40babel/core@7.0.0"), "@babel/core");
        assert_eq!(n("pkg:npm/lodash@4.17.21"), "lodash");
        assert_eq!(
            n("pkg:golang/github.com/gorilla/mux@v1.8.0"),
            "github.com/gorilla/mux"
        );
        assert_eq!(
            n("pkg:composer/laravel/framework@10.0.0"),
            "laravel/framework"
        );
        assert_eq!(n("pkg:deb/debian/curl@7.88.1-10"), "curl");
    }

    #[test]
    fn distro_ecosystems() {
        assert_eq!(
            distro_ecosystem("debian", "12").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            distro_ecosystem("debian", "12.4").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            distro_ecosystem("ubuntu", "22.04").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(
            distro_ecosystem("ubuntu", "23.10").as_deref(),
            Some("Ubuntu:23.10")
        );
        assert_eq!(
            distro_ecosystem("ubuntu", "21.04").as_deref(),
            Some("Ubuntu:21.04")
        );
        assert_eq!(
            distro_ecosystem("alpine", "3.19.1").as_deref(),
            Some("Alpine:v3.19")
        );
        assert_eq!(distro_ecosystem("alpine", "edge"), None);
        assert_eq!(
            distro_ecosystem("almalinux", "9.3").as_deref(),
            Some("AlmaLinux:9")
        );
        assert_eq!(distro_ecosystem("rhel", "9.3"), None);
        assert_eq!(distro_ecosystem("debian", ""), None);
    }

    #[test]
    fn distro_qualifiers() {
        let d = |s: &str| distro_from_qualifier(&Purl::parse(s).unwrap());
        let x = d("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1").unwrap();
        assert_eq!((x.id.as_str(), x.version_id.as_str()), ("alpine", "3.19.1"));
        assert_eq!(x.ecosystem.as_deref(), Some("Alpine:v3.19"));
        let x = d("pkg:apk/alpine/musl@1.2.4-r2?distro=3.19.1").unwrap();
        assert_eq!(x.id, "alpine");
        let x = d("pkg:rpm/opensuse/bash@5?distro=opensuse-leap-15.5").unwrap();
        assert_eq!(
            (x.id.as_str(), x.version_id.as_str()),
            ("opensuse-leap", "15.5")
        );
        assert_eq!(x.ecosystem, None);
        assert!(d("pkg:deb/debian/curl@1").is_none());
        assert!(d("pkg:deb/debian/curl@1?distro=bookworm").is_none());
    }
}
