//! The finding lifecycle, as a pure plan: given what is stored for a resource and what a new
//! scan found, which findings to open, reopen, refresh and close.
//!
//! Rules (Inspector's, `../shared/reference/inspector-semantics.md` §3):
//! - a finding not seen before opens ACTIVE (suppression rules are applied afterwards);
//! - a finding seen again keeps its status and `firstObservedAt`, moves `lastObservedAt`, and
//!   moves `updatedAt` only when its content (severity, fix, scores, ...) changed;
//! - a finding no longer present closes (the patch is verified): CLOSED, `updatedAt` moves,
//!   `lastObservedAt` stays where it was last seen;
//! - a CLOSED finding that comes back within [`REOPEN_WINDOW_MS`] reopens with its history;
//!   after that it is a new occurrence and starts again from `firstObservedAt = now`.

/// Seven days: "Amazon Inspector will reopen a remediated finding within seven days of closing
/// the finding."
pub const REOPEN_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// A stored finding, as much as the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub key: String,
    pub closed: bool,
    /// When it last changed (for a CLOSED finding: when it closed).
    pub updated_at: i64,
    pub content_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Insert new finding number `new`.
    Open {
        new: usize,
    },
    /// Stored `id` comes back as new finding `new`; `fresh` when outside the reopen window.
    Reopen {
        id: i64,
        new: usize,
        fresh: bool,
    },
    /// Stored `id` seen again as `new`; `changed` when its content differs.
    Refresh {
        id: i64,
        new: usize,
        changed: bool,
    },
    Close {
        id: i64,
    },
}

/// Plans the lifecycle steps. `new` are (key, content hash) of what the scan found; a key
/// found twice counts once (the first).
pub fn plan(stored: &[Stored], new: &[(&str, &str)], now: i64) -> Vec<Step> {
    let by_key: std::collections::HashMap<&str, &Stored> =
        stored.iter().map(|s| (s.key.as_str(), s)).collect();
    let mut seen: std::collections::HashSet<&str> = Default::default();
    let mut steps = Vec::with_capacity(new.len() + stored.len() / 8);
    for (i, (key, hash)) in new.iter().enumerate() {
        if !seen.insert(key) {
            continue;
        }
        match by_key.get(key) {
            None => steps.push(Step::Open { new: i }),
            Some(s) if s.closed => steps.push(Step::Reopen {
                id: s.id,
                new: i,
                fresh: now.saturating_sub(s.updated_at) > REOPEN_WINDOW_MS,
            }),
            Some(s) => steps.push(Step::Refresh {
                id: s.id,
                new: i,
                changed: s.content_hash != *hash,
            }),
        }
    }
    for s in stored {
        if !s.closed && !seen.contains(s.key.as_str()) {
            steps.push(Step::Close { id: s.id });
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64, key: &str, closed: bool, updated_at: i64, hash: &str) -> Stored {
        Stored {
            id,
            key: key.into(),
            closed,
            updated_at,
            content_hash: hash.into(),
        }
    }

    #[test]
    fn opens_refreshes_closes_and_reopens() {
        let day = 24 * 3600 * 1000;
        let now = 100 * day;
        let s = vec![
            stored(1, "same", false, 0, "h1"),
            stored(2, "changed", false, 0, "h1"),
            stored(3, "gone", false, 0, "h1"),
            stored(4, "back-soon", true, now - 2 * day, "h1"),
            stored(5, "back-late", true, now - 30 * day, "h1"),
            stored(6, "closed-stays", true, now - day, "h1"),
        ];
        let new = [
            ("same", "h1"),
            ("changed", "h2"),
            ("back-soon", "h1"),
            ("back-late", "h1"),
            ("brand-new", "h1"),
            ("brand-new", "h9"),
        ];
        let steps = plan(&s, &new, now);
        assert_eq!(
            steps,
            vec![
                Step::Refresh {
                    id: 1,
                    new: 0,
                    changed: false
                },
                Step::Refresh {
                    id: 2,
                    new: 1,
                    changed: true
                },
                Step::Reopen {
                    id: 4,
                    new: 2,
                    fresh: false
                },
                Step::Reopen {
                    id: 5,
                    new: 3,
                    fresh: true
                },
                Step::Open { new: 4 },
                Step::Close { id: 3 },
            ]
        );
    }

    #[test]
    fn an_empty_scan_closes_everything_open() {
        let s = vec![stored(1, "a", false, 0, "h"), stored(2, "b", true, 0, "h")];
        assert_eq!(plan(&s, &[], 10), vec![Step::Close { id: 1 }]);
    }
}
