//! The fix state of a vulnerability on a package.

use serde::{Deserialize, Serialize};

/// Whether and how a vulnerability is fixed for a package.
///
/// Ordering puts the most useful answer last so the merge of several advisories can keep the
/// maximum: a concrete fix beats "not fixed", which beats "will not fix".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "version", rename_all = "snake_case")]
pub enum FixState {
    /// The distribution or maintainer decided not to fix it.
    WontFix,
    /// Affected, and no fixed version is published yet.
    NotFixed,
    /// Fixed in this version (the smallest fixed version above the installed one).
    Fixed(String),
}

impl FixState {
    pub fn fixed_version(&self) -> Option<&str> {
        match self {
            FixState::Fixed(v) => Some(v),
            _ => None,
        }
    }
}

/// Words that distributions use in their advisory data for "will not be fixed".
const WONT_FIX: &[&str] = &[
    "will not fix",
    "wont-fix",
    "wontfix",
    "won't fix",
    "ignored",
    "no-dsa",
    "end-of-life",
    "out of support scope",
    "deferred",
];

/// True when an affected entry's `ecosystem_specific` / `database_specific` data says the
/// vulnerability will not be fixed. Distributions spell this differently; the keys consulted are
/// the status-like ones (`status`, `fix_status`, `fix_state`, `state`, `resolution`).
pub(crate) fn says_wont_fix(data: Option<&serde_json::Value>) -> bool {
    let Some(serde_json::Value::Object(map)) = data else {
        return false;
    };
    ["status", "fix_status", "fix_state", "state", "resolution"]
        .iter()
        .filter_map(|k| map.get(*k).and_then(|v| v.as_str()))
        .any(|v| {
            let v = v.to_ascii_lowercase();
            WONT_FIX.iter().any(|w| v == *w)
        })
}
