//! Query-side text handling without allocation: package names already in normal form and
//! release keys of ordinary length are used as borrowed or stack text.

use std::borrow::Cow;

use scry_advisory::normalize_name;

use crate::compile::release_key;

/// `normalize_name(ecosystem_base, name)`, borrowed when `name` is already in normal form.
pub(crate) fn normalized<'a>(ecosystem_base: &str, name: &'a str) -> Cow<'a, str> {
    if is_normal(ecosystem_base, name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(normalize_name(ecosystem_base, name))
    }
}

/// A cheap, conservative test: true only when `normalize_name(ecosystem_base, name) == name`
/// (false may still be normal; then the caller normalizes).
fn is_normal(ecosystem_base: &str, name: &str) -> bool {
    if name.trim().len() != name.len() {
        return false;
    }
    let b = name.as_bytes();
    match ecosystem_base {
        "PyPI" => {
            b.is_ascii()
                && !b
                    .iter()
                    .any(|&c| c.is_ascii_uppercase() || c == b'_' || c == b'.')
                && !b.windows(2).any(|w| w == b"--")
        }
        "crates.io" => !b.iter().any(|&c| c.is_ascii_uppercase() || c == b'_'),
        "NuGet" | "Packagist" | "Hex" | "Pub" => {
            b.is_ascii() && !b.iter().any(u8::is_ascii_uppercase)
        }
        "Maven" => match name.split_once(':') {
            Some((g, a)) => g.trim().len() == g.len() && a.trim().len() == a.len(),
            None => true,
        },
        _ => true,
    }
}

/// The longest release text keyed without allocating.
const RELEASE_BUF: usize = 64;

/// A release key computed on the stack (see [`release_key`]); heap only for very long text.
pub(crate) enum ReleaseKey {
    Stack([u8; RELEASE_BUF], usize, usize),
    Heap(Box<str>),
}

impl ReleaseKey {
    /// The same text as `release_key(base, release)`.
    pub(crate) fn new(base: &str, release: &str) -> ReleaseKey {
        let r = release.trim();
        if r.len() > RELEASE_BUF {
            return ReleaseKey::Heap(release_key(base, release));
        }
        let mut buf = [0u8; RELEASE_BUF];
        buf[..r.len()].copy_from_slice(r.as_bytes());
        buf[..r.len()].make_ascii_lowercase();
        let (mut start, mut end) = (0, r.len());
        if base == "Alpine" || base == "Wolfi" || base == "Chainguard" {
            if buf[start..end].first() == Some(&b'v') {
                start += 1;
            }
            // `major.minor`: everything before the second dot, when there is a first one.
            let s = &buf[start..end];
            if let Some(d1) = s.iter().position(|&c| c == b'.') {
                if let Some(d2) = s[d1 + 1..].iter().position(|&c| c == b'.') {
                    end = start + d1 + 1 + d2;
                }
            }
        }
        if base == "Ubuntu" && buf[start..end].ends_with(b":lts") {
            end -= 4;
        }
        ReleaseKey::Stack(buf, start, end)
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Lower-casing ASCII bytes and cutting at ASCII bytes keeps UTF-8 valid.
            ReleaseKey::Stack(buf, s, e) => std::str::from_utf8(&buf[*s..*e]).unwrap_or(""),
            ReleaseKey::Heap(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECOSYSTEMS: &[&str] = &[
        "PyPI",
        "crates.io",
        "NuGet",
        "Packagist",
        "Hex",
        "Pub",
        "Maven",
        "Go",
        "npm",
        "Debian",
        "Alpine",
    ];

    const NAMES: &[&str] = &[
        "django",
        "Django",
        "zope.interface",
        "zope-interface",
        "foo--bar",
        "foo-_bar",
        "foo_bar",
        " foo",
        "foo ",
        "serde-json",
        "Serde_JSON",
        "newtonsoft.json",
        "Newtonsoft.Json",
        "symfony/http-kernel",
        "org.apache:log4j-core",
        "org.apache : log4j-core",
        "org.apache:log4j-core ",
        "github.com/BurntSushi/toml",
        "@babel/core",
        "straße",
        "STRASSE",
        "ǅemal",
        "",
        "-",
        "a.",
        "requests-not-vulnerable-7",
    ];

    #[test]
    fn borrowed_normalization_agrees_with_normalize_name() {
        for eco in ECOSYSTEMS {
            for name in NAMES {
                assert_eq!(
                    normalized(eco, name),
                    normalize_name(eco, name),
                    "{eco} {name:?}"
                );
                if is_normal(eco, name) {
                    assert_eq!(normalize_name(eco, name), *name, "{eco} {name:?}");
                }
            }
        }
        assert!(matches!(
            normalized("PyPI", "requests"),
            Cow::Borrowed("requests")
        ));
    }

    #[test]
    fn stack_release_keys_agree_with_release_key() {
        let releases = [
            "v3.19",
            "V3.19",
            "3.19.1",
            "v3.19.1.2",
            "edge",
            "v",
            "3",
            ".",
            "3.",
            "22.04:LTS",
            "22.04:lts",
            "Pro:18.04:LTS",
            " 12 ",
            "12",
            "bookworm",
            "É.1",
            "",
            &"x".repeat(100),
        ];
        for base in [
            "Alpine",
            "Wolfi",
            "Chainguard",
            "Ubuntu",
            "Debian",
            "Red Hat",
        ] {
            for r in releases {
                assert_eq!(
                    ReleaseKey::new(base, r).as_str(),
                    &*release_key(base, r),
                    "{base} {r:?}"
                );
            }
        }
    }
}
