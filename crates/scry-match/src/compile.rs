//! Compiling OSV affected entries into intervals that are cheap to test.

use std::cmp::Ordering;

use scry_advisory::{Affected, Event, RangeKind};
use scry_version::{compare, Scheme};

use crate::state::says_wont_fix;

/// The upper end of an affected interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upper {
    /// Affected from the lower end on, with no end.
    Open,
    /// Affected below this version; this version fixes it.
    Fixed(Box<str>),
    /// Affected up to and including this version.
    LastAffected(Box<str>),
    /// Not evaluated at or above this version (OSV `limit`).
    Limit(Box<str>),
}

/// One affected interval `[lower, upper)` (or `[lower, upper]` for `last_affected`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub scheme: Scheme,
    /// None when the interval starts at the first version (`introduced: "0"`).
    pub lower: Option<Box<str>>,
    pub upper: Upper,
}

/// One affected entry of one advisory, ready to be tested against installed versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledAffected {
    pub advisory: u32,
    /// The distribution release this entry is for, in the form [`release_key`] gives; None for
    /// ecosystems without releases (and distribution entries that name none).
    pub release: Option<Box<str>>,
    pub intervals: Vec<Interval>,
    /// Explicitly listed affected versions.
    pub versions: Vec<Box<str>>,
    /// Every fixed version named by the entry's ranges, with the scheme to order them.
    pub fixes: Vec<(Scheme, Box<str>)>,
    pub wont_fix: bool,
}

impl CompiledAffected {
    /// Compile `affected` (of the advisory at position `advisory`) for the ecosystem whose
    /// version scheme is `scheme` (None when Scry has no ordering for that ecosystem: then only
    /// SEMVER ranges and explicit versions can match).
    pub fn compile(
        advisory: u32,
        affected: &Affected,
        scheme: Option<Scheme>,
        release: Option<Box<str>>,
    ) -> CompiledAffected {
        let mut intervals = Vec::new();
        let mut fixes = Vec::new();
        for range in &affected.ranges {
            let range_scheme = match range.kind {
                RangeKind::Git => continue,
                RangeKind::Semver if scheme == Some(Scheme::Go) => Scheme::Go,
                RangeKind::Semver => Scheme::SemVer,
                RangeKind::Ecosystem => match scheme {
                    Some(s) => s,
                    None => continue,
                },
            };
            let events = sorted_events(range_scheme, &range.events);
            intervals_of(range_scheme, &events, &mut intervals);
            for e in &range.events {
                if let Event::Fixed(v) = e {
                    fixes.push((range_scheme, v.as_str().into()));
                }
            }
        }
        CompiledAffected {
            advisory,
            release,
            intervals,
            versions: affected
                .versions
                .iter()
                .map(|v| v.as_str().into())
                .collect(),
            fixes,
            wont_fix: says_wont_fix(affected.ecosystem_specific.as_ref())
                || says_wont_fix(affected.database_specific.as_ref()),
        }
    }

    /// Whether `version` is affected. Comparison errors (a version the scheme cannot read) are
    /// reported through `error` and that interval is skipped.
    pub fn affects(&self, version: &str, error: &mut Option<String>) -> bool {
        if self.versions.iter().any(|v| &**v == version) {
            return true;
        }
        self.intervals.iter().any(|iv| match iv.contains(version) {
            Ok(hit) => hit,
            Err(e) => {
                error.get_or_insert(e);
                false
            }
        })
    }

    /// The smallest fixed version above `version`, if the entry names one.
    pub fn fix_above(&self, version: &str) -> Option<&str> {
        let mut best: Option<(Scheme, &str)> = None;
        for (scheme, fixed) in &self.fixes {
            if compare(*scheme, fixed, version) != Ok(Ordering::Greater) {
                continue;
            }
            best = match best {
                Some((s, b)) if compare(s, b, fixed) != Ok(Ordering::Greater) => Some((s, b)),
                _ => Some((*scheme, &**fixed)),
            };
        }
        best.map(|(_, v)| v)
    }
}

impl Interval {
    fn contains(&self, version: &str) -> Result<bool, String> {
        let cmp = |other: &str| compare(self.scheme, version, other).map_err(|e| e.to_string());
        if let Some(lower) = &self.lower {
            if cmp(lower)? == Ordering::Less {
                return Ok(false);
            }
        }
        Ok(match &self.upper {
            Upper::Open => true,
            Upper::Fixed(v) | Upper::Limit(v) => cmp(v)? == Ordering::Less,
            Upper::LastAffected(v) => cmp(v)? != Ordering::Greater,
        })
    }
}

fn is_zero(v: &str) -> bool {
    v == "0"
}

/// Events in version order, as the OSV evaluation requires; `introduced: "0"` first. When a
/// version cannot be ordered the feed's own order is kept (feeds list events in order).
fn sorted_events(scheme: Scheme, events: &[Event]) -> Vec<&Event> {
    let mut out: Vec<&Event> = events.iter().collect();
    let orderable = events
        .iter()
        .all(|e| is_zero(e.version()) || scry_version::validate(scheme, e.version()).is_ok());
    if orderable {
        out.sort_by(|a, b| match (is_zero(a.version()), is_zero(b.version())) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => compare(scheme, a.version(), b.version()).unwrap_or(Ordering::Equal),
        });
    }
    out
}

/// Walk sorted events into intervals, per the OSV evaluation algorithm.
fn intervals_of(scheme: Scheme, events: &[&Event], out: &mut Vec<Interval>) {
    let mut open: Option<Option<Box<str>>> = None;
    for e in events {
        match e {
            Event::Introduced(v) => {
                if open.is_none() {
                    open = Some((!is_zero(v)).then(|| v.as_str().into()));
                }
            }
            Event::Fixed(v) | Event::Limit(v) | Event::LastAffected(v) => {
                if let Some(lower) = open.take() {
                    let v: Box<str> = v.as_str().into();
                    let upper = match e {
                        Event::Fixed(_) => Upper::Fixed(v),
                        Event::Limit(_) => Upper::Limit(v),
                        _ => Upper::LastAffected(v),
                    };
                    out.push(Interval {
                        scheme,
                        lower,
                        upper,
                    });
                }
            }
        }
    }
    if let Some(lower) = open {
        out.push(Interval {
            scheme,
            lower,
            upper: Upper::Open,
        });
    }
}

/// The form in which releases are compared: case-insensitive, Alpine's leading `v` dropped,
/// Ubuntu's `:LTS` suffix dropped (`Ubuntu:22.04:LTS` and a host's `22.04` are the same release).
pub fn release_key(base: &str, release: &str) -> Box<str> {
    let mut r = release.trim().to_ascii_lowercase();
    if base == "Alpine" || base == "Wolfi" || base == "Chainguard" {
        if let Some(rest) = r.strip_prefix('v') {
            r = rest.to_string();
        }
        // A host reports `3.19.1`; advisories name the branch `v3.19`.
        if let Some((major, rest)) = r.split_once('.') {
            let minor = rest.split('.').next().unwrap_or(rest);
            r = format!("{major}.{minor}");
        }
    }
    if base == "Ubuntu" {
        if let Some(rest) = r.strip_suffix(":lts") {
            r = rest.to_string();
        }
    }
    r.into()
}
