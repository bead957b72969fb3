//! Platforms (`os/architecture[/variant]`) and choosing one from an image index.
//!
//! Rules:
//! - Parsing lower-cases and maps common aliases to Go's names: `x86_64`/`x86-64`
//!   → `amd64`, `aarch64` → `arm64`, `i386`..`i686` → `386`, `armhf` → `arm/v7`,
//!   `armel` → `arm/v6`; a bare numeric variant `8` becomes `v8`.
//! - Matching: OS and architecture must be equal. A wanted variant must equal the
//!   candidate's, where a missing variant counts as the architecture's default
//!   (`arm64` → `v8`, `amd64` → `v1`, `arm` → `v7`). Without a wanted variant any
//!   variant matches, the default one (or none) preferred.
//! - Index entries whose platform is `unknown/unknown` (BuildKit attestations) are
//!   never chosen.

use std::fmt;

use crate::RegistryError;

/// A target platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`, e.g. `linux/arm64/v8`.
    pub fn parse(input: &str) -> Result<Platform, RegistryError> {
        let err = |reason: &str| RegistryError::InvalidPlatform {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let lower = input.trim().to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return Err(err("it needs two or three '/'-separated parts"));
        }
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        if !parts.iter().all(|p| valid(p)) {
            return Err(err(
                "each part must be non-empty letters, digits, '_', '-' or '.'",
            ));
        }
        Ok(Platform::normalized(
            parts[0],
            parts[1],
            parts.get(2).copied(),
        ))
    }

    /// Builds a platform, mapping aliases as [`Platform::parse`] does.
    pub fn normalized(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        let os = os.to_ascii_lowercase();
        let arch = arch.to_ascii_lowercase();
        let mut variant = variant
            .filter(|v| !v.is_empty())
            .map(|v| v.to_ascii_lowercase());
        let arch = match arch.as_str() {
            "x86_64" | "x86-64" => "amd64".to_string(),
            "aarch64" => "arm64".to_string(),
            "i386" | "i486" | "i586" | "i686" => "386".to_string(),
            "armhf" => {
                variant.get_or_insert_with(|| "v7".into());
                "arm".to_string()
            }
            "armel" => {
                variant.get_or_insert_with(|| "v6".into());
                "arm".to_string()
            }
            _ => arch,
        };
        if let Some(v) = &variant {
            if v.bytes().all(|b| b.is_ascii_digit()) {
                variant = Some(format!("v{v}"));
            }
        }
        Platform {
            os,
            architecture: arch,
            variant,
        }
    }

    /// `linux` on the architecture this program was built for (Go names).
    pub fn host() -> Platform {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
            "powerpc64" => "ppc64",
            "mips64" if cfg!(target_endian = "little") => "mips64le",
            "mips" if cfg!(target_endian = "little") => "mipsle",
            "loongarch64" => "loong64",
            other => other, // s390x, riscv64, mips64, mips are Go's names too
        };
        Platform {
            os: "linux".into(),
            architecture: arch.into(),
            variant: None,
        }
    }

    /// How well `candidate` fits this wanted platform: `None` when it does not,
    /// otherwise a rank where higher is better.
    pub fn match_rank(&self, candidate: &Platform) -> Option<u8> {
        if candidate.os == "unknown" || candidate.architecture == "unknown" {
            return None;
        }
        if candidate.os != self.os || candidate.architecture != self.architecture {
            return None;
        }
        let cand_variant = effective_variant(&candidate.architecture, &candidate.variant);
        match &self.variant {
            Some(_) => {
                (effective_variant(&self.architecture, &self.variant) == cand_variant).then_some(2)
            }
            None => {
                let default = effective_variant(&self.architecture, &None);
                Some(if cand_variant == default { 2 } else { 1 })
            }
        }
    }
}

fn effective_variant(arch: &str, variant: &Option<String>) -> Option<String> {
    match variant {
        Some(v) => Some(v.clone()),
        None => match arch {
            "arm64" => Some("v8".into()),
            "amd64" => Some("v1".into()),
            "arm" => Some("v7".into()),
            _ => None,
        },
    }
}

/// Chooses the index entry for `wanted` among `candidates`: the best-ranked match,
/// the first one on a tie. `None` when nothing matches.
pub fn select_platform(wanted: &Platform, candidates: &[Platform]) -> Option<usize> {
    let mut best: Option<(usize, u8)> = None;
    for (i, c) in candidates.iter().enumerate() {
        if let Some(rank) = wanted.match_rank(c) {
            if best.is_none_or(|(_, r)| rank > r) {
                best = Some((i, rank));
            }
        }
    }
    best.map(|(i, _)| i)
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Platform {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        Platform::parse(s).unwrap()
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(
            p("linux/arm64/v8"),
            Platform {
                os: "linux".into(),
                architecture: "arm64".into(),
                variant: Some("v8".into())
            }
        );
        assert_eq!(p("linux/amd64").variant, None);
        assert_eq!(p("Linux/X86_64").to_string(), "linux/amd64");
        assert_eq!(p("linux/aarch64/8").to_string(), "linux/arm64/v8");
        assert_eq!(p("linux/armhf").to_string(), "linux/arm/v7");
        assert_eq!(p("linux/i686").to_string(), "linux/386");
        for bad in [
            "linux",
            "",
            "linux/",
            "/amd64",
            "a/b/c/d",
            "linux/am d64",
            "linux//v7",
        ] {
            let e = Platform::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid platform"), "{bad}: {e}");
        }
    }

    #[test]
    fn host_is_linux_with_go_arch() {
        let h = Platform::host();
        assert_eq!(h.os, "linux");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(h.architecture, "amd64");
        #[cfg(target_arch = "aarch64")]
        assert_eq!(h.architecture, "arm64");
    }

    #[test]
    fn selection() {
        let index = vec![
            Platform::normalized("linux", "amd64", None),
            Platform::normalized("linux", "arm", Some("v6")),
            Platform::normalized("linux", "arm", Some("v7")),
            Platform::normalized("linux", "arm64", Some("v8")),
            Platform::normalized("windows", "amd64", None),
            Platform::normalized("unknown", "unknown", None),
            Platform::normalized("linux", "s390x", None),
        ];
        assert_eq!(select_platform(&p("linux/amd64"), &index), Some(0));
        assert_eq!(select_platform(&p("linux/amd64/v1"), &index), Some(0));
        assert_eq!(select_platform(&p("linux/amd64/v3"), &index), None);
        assert_eq!(select_platform(&p("linux/arm64"), &index), Some(3));
        assert_eq!(select_platform(&p("linux/arm64/v8"), &index), Some(3));
        assert_eq!(
            select_platform(&p("linux/arm"), &index),
            Some(2),
            "default v7 preferred"
        );
        assert_eq!(select_platform(&p("linux/arm/v6"), &index), Some(1));
        assert_eq!(select_platform(&p("linux/arm/v5"), &index), None);
        assert_eq!(select_platform(&p("windows/amd64"), &index), Some(4));
        assert_eq!(select_platform(&p("linux/s390x"), &index), Some(6));
        assert_eq!(select_platform(&p("linux/ppc64le"), &index), None);
        assert_eq!(select_platform(&p("unknown/unknown"), &index), None);
        // arm64 without a variant in the index matches a wanted v8.
        let plain = vec![Platform::normalized("linux", "arm64", None)];
        assert_eq!(select_platform(&p("linux/arm64/v8"), &plain), Some(0));
        // Only a non-default arm variant: still chosen without a wanted variant.
        let only_v6 = vec![Platform::normalized("linux", "arm", Some("v6"))];
        assert_eq!(select_platform(&p("linux/arm"), &only_v6), Some(0));
        assert_eq!(select_platform(&p("linux/amd64"), &[]), None);
    }
}
