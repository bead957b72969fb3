//! Paths inside a scanned file system: always relative, `/`-separated, never escaping the root.

/// Normalizes an archive member or link path to a path inside the root without a leading `/`.
/// `.` components vanish and `..` pops a component; a path that would climb above the root is
/// an error (archive members are hostile: `../../etc/passwd`). An absolute path is taken as
/// relative to the root, as a container runtime would.
pub fn normalize(path: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("path {path:?} climbs above the root"));
                }
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Resolves a symlink target found at `link` (both inside the root) to a normalized path.
/// Relative targets are resolved against the link's directory; absolute ones against the root.
/// Unlike [`normalize`], climbing above the root clamps at the root, as the kernel does inside
/// a chroot: a link cannot point outside the scanned file system.
pub fn resolve_link(link: &str, target: &str) -> String {
    let base = if target.starts_with('/') {
        String::new()
    } else {
        match link.rfind('/') {
            Some(i) => link[..i].to_string(),
            None => String::new(),
        }
    };
    let mut parts: Vec<&str> = base.split('/').filter(|c| !c.is_empty()).collect();
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// The directory part of a normalized path (`""` for the root).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// The last component of a normalized path.
pub fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses_escapes() {
        assert_eq!(
            normalize("./var/lib/dpkg/status").unwrap(),
            "var/lib/dpkg/status"
        );
        assert_eq!(normalize("/etc//os-release").unwrap(), "etc/os-release");
        assert_eq!(normalize("a/b/../c").unwrap(), "a/c");
        assert!(normalize("../etc/passwd")
            .unwrap_err()
            .contains("above the root"));
        assert!(normalize("a/../../x").is_err());
    }

    #[test]
    fn links_stay_inside_the_root() {
        assert_eq!(
            resolve_link("etc/os-release", "../usr/lib/os-release"),
            "usr/lib/os-release"
        );
        assert_eq!(resolve_link("etc/x", "/../../../etc/shadow"), "etc/shadow");
        assert_eq!(resolve_link("a/b/c", "../../../../../../x"), "x");
        assert_eq!(resolve_link("top", "sub/file"), "sub/file");
    }
}
