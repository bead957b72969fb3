//! What kept a cycle from reading the host's software, reported with the push so that the
//! server shows it in coverage rather than taking an incomplete inventory for the truth.
//!
//! Two kinds (see [`ProblemKind`]):
//! - a package database that exists but cannot be read (an I/O error, too large) or that its
//!   parser had to skip parts of — dpkg, rpm and apk refuse such a database themselves, and an
//!   inventory read from it lacks packages that are installed;
//! - an operating system the agent cannot name: no release file, or one naming a system or
//!   release Scry has no advisory namespace for.
//!
//! A package database that does not exist is not a problem (that package manager is not
//! used on this host).

use scry_inventory::Inventory;
use scry_wire::native::{CollectionProblem, ProblemKind};

/// Most problems one push reports (one per database file, plus the OS).
pub const MAX_PROBLEMS: usize = 16;

/// The problems of one collected inventory.
pub fn problems(inventory: &Inventory) -> Vec<CollectionProblem> {
    let mut out: Vec<CollectionProblem> = Vec::new();
    match &inventory.distro {
        None => out.push(CollectionProblem {
            kind: ProblemKind::UnsupportedOs,
            location: None,
            message: "no release file (etc/os-release, usr/lib/os-release, etc/lsb-release, ...) says which operating system this is".into(),
        }),
        Some(d) if d.ecosystem.is_none() => out.push(CollectionProblem {
            kind: ProblemKind::UnsupportedOs,
            location: None,
            message: format!(
                "{} (ID={:?}, VERSION_ID={:?}) is not an operating system release Scry has advisories for",
                d.pretty_name.as_deref().unwrap_or(&d.id),
                d.id,
                d.version_id
            ),
        }),
        Some(_) => {}
    }
    for diag in &inventory.diagnostics {
        if !crate::watch::is_database(&diag.location) {
            continue;
        }
        // The first diagnostic of each database file says what is wrong with it.
        if out
            .iter()
            .any(|p| p.location.as_deref() == Some(diag.location.as_str()))
        {
            continue;
        }
        if out.len() >= MAX_PROBLEMS {
            break;
        }
        out.push(CollectionProblem {
            kind: ProblemKind::UnreadablePackageDatabase,
            location: Some(diag.location.clone()),
            message: diag.reason.chars().take(1000).collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use scry_inventory::{Diagnostic, Distro};

    fn debian() -> Option<Distro> {
        Some(Distro {
            id: "debian".into(),
            version_id: "12".into(),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            ecosystem: Some("Debian:12".into()),
        })
    }

    #[test]
    fn a_readable_host_has_none() {
        let inv = Inventory {
            distro: debian(),
            packages: Vec::new(),
            // A language lockfile's trouble is not the package database's.
            diagnostics: vec![Diagnostic {
                location: "srv/app/package-lock.json".into(),
                reason: "not JSON".into(),
            }],
        };
        assert!(problems(&inv).is_empty());
    }

    #[test]
    fn database_diagnostics_and_unknown_systems_are_problems() {
        let inv = Inventory {
            distro: Some(Distro {
                id: "plan9".into(),
                version_id: "4".into(),
                pretty_name: None,
                ecosystem: None,
            }),
            packages: Vec::new(),
            diagnostics: vec![
                Diagnostic {
                    location: "var/lib/dpkg/status".into(),
                    reason: "3 line(s) are neither a field nor a continuation".into(),
                },
                Diagnostic {
                    location: "var/lib/dpkg/status".into(),
                    reason: "paragraph at line 9: no Package name; skipped".into(),
                },
                Diagnostic {
                    location: "var/lib/dpkg/status.d/base".into(),
                    reason: "cannot open: Permission denied (os error 13)".into(),
                },
            ],
        };
        let p = problems(&inv);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[0].kind, ProblemKind::UnsupportedOs);
        assert!(p[0].message.contains("plan9"), "{}", p[0].message);
        assert_eq!(p[1].kind, ProblemKind::UnreadablePackageDatabase);
        assert_eq!(p[1].location.as_deref(), Some("var/lib/dpkg/status"));
        assert!(p[1].message.contains("neither a field"));
        assert_eq!(p[2].location.as_deref(), Some("var/lib/dpkg/status.d/base"));

        let none = Inventory {
            distro: None,
            ..Inventory::default()
        };
        assert_eq!(problems(&none)[0].kind, ProblemKind::UnsupportedOs);
    }
}
