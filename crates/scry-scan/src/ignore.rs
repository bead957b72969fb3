//! The ignore file (`--ignore-file`): vulnerabilities a team has decided to accept, each with a
//! reason and an expiry date, so that an accepted risk comes back when its time is up.
//!
//! ```yaml
//! ignore:
//!   - id: CVE-2021-44228          # or any alias: GHSA-..., PYSEC-..., GO-...
//!     reason: log4j lookups are disabled by LOG4J_FORMAT_MSG_NO_LOOKUPS
//!     expires: 2027-01-31         # required: the rule stops applying after this day
//!     package: log4j-core         # optional: only on this package
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::PackageFinding;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub reason: String,
    pub expires: NaiveDate,
    #[serde(default)]
    pub package: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreFile {
    #[serde(default)]
    pub ignore: Vec<Rule>,
}

/// Why a finding was ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub id: String,
    pub reason: String,
    pub expires: NaiveDate,
}

impl IgnoreFile {
    /// Parses an ignore file; errors name the file and what is wrong with it.
    pub fn parse(text: &str, file: &str) -> Result<IgnoreFile, String> {
        let f: IgnoreFile = serde_yaml::from_str(text).map_err(|e| {
            format!("{file}: {e} (expected `ignore:` with items `id`, `reason`, `expires: YYYY-MM-DD`, optional `package`)")
        })?;
        for (i, r) in f.ignore.iter().enumerate() {
            if r.id.trim().is_empty() || r.reason.trim().is_empty() {
                return Err(format!(
                    "{file}: rule #{} needs a non-empty id and reason",
                    i + 1
                ));
            }
        }
        Ok(f)
    }

    /// Marks the findings that an unexpired rule covers; returns the rules that have expired
    /// (to warn about).
    pub fn apply(&self, findings: &mut [PackageFinding], today: NaiveDate) -> Vec<&Rule> {
        let mut expired = Vec::new();
        for rule in &self.ignore {
            if rule.expires < today {
                expired.push(rule);
                continue;
            }
            for pf in findings.iter_mut() {
                let f = &pf.finding;
                let id_matches = f.vulnerability_id.eq_ignore_ascii_case(&rule.id)
                    || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(&rule.id))
                    || f.advisories
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(&rule.id));
                let pkg_matches = rule
                    .package
                    .as_ref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(&pf.package.name));
                if id_matches && pkg_matches && pf.ignored.is_none() {
                    pf.ignored = Some(Applied {
                        id: rule.id.clone(),
                        reason: rule.reason.clone(),
                        expires: rule.expires,
                    });
                }
            }
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_with_reasons() {
        let f = IgnoreFile::parse(
            "ignore:\n  - id: CVE-2021-44228\n    reason: not used\n    expires: 2027-01-31\n    package: log4j-core\n",
            "x.yaml",
        )
        .unwrap();
        assert_eq!(
            f.ignore[0].expires,
            NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()
        );
        let e = IgnoreFile::parse("ignore:\n  - id: CVE-1\n    reason: r\n", "x.yaml").unwrap_err();
        assert!(e.contains("expires"), "{e}");
        let e = IgnoreFile::parse(
            "ignore:\n  - id: CVE-1\n    reason: r\n    expires: tomorrow\n",
            "x.yaml",
        )
        .unwrap_err();
        assert!(e.starts_with("x.yaml"), "{e}");
        let e = IgnoreFile::parse(
            "ignore:\n  - id: ''\n    reason: r\n    expires: 2027-01-01\n",
            "x.yaml",
        )
        .unwrap_err();
        assert!(e.contains("non-empty"), "{e}");
    }
}
