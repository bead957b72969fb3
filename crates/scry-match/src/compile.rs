//! Compiling OSV affected entries into intervals that are cheap to test.

use std::cmp::Ordering;

use scry_advisory::{Affected, Event, RangeKind};
use scry_version::{compare, Scheme};

use crate::ladder::{cmp_at, Ladder, Pos, QueryPos, UNRANKED};
use crate::state::says_wont_fix;

/// One version named by a range event, with its place on the package's ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub text: Box<str>,
    pub(crate) pos: Pos,
}

impl Bound {
    fn new(text: &str) -> Bound {
        Bound {
            text: text.into(),
            pos: UNRANKED,
        }
    }
}

/// The upper end of an affected interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upper {
    /// Affected from the lower end on, with no end.
    Open,
    /// Affected below this version; this version fixes it.
    Fixed(Bound),
    /// Affected up to and including this version.
    LastAffected(Bound),
    /// Not evaluated at or above this version (OSV `limit`).
    Limit(Bound),
}

/// One affected interval `[lower, upper)` (or `[lower, upper]` for `last_affected`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub scheme: Scheme,
    /// None when the interval starts at the first version (`introduced: "0"`).
    pub lower: Option<Bound>,
    pub upper: Upper,
}

/// A fixed version named by an entry's ranges, with the scheme that orders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedVersion {
    pub scheme: Scheme,
    pub version: Box<str>,
    pub(crate) pos: Pos,
    /// The ladder `pos` is on (index-wide number).
    pub(crate) ladder: u32,
}

/// One affected entry of one advisory, ready to be tested against installed versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledAffected {
    pub advisory: u32,
    /// The distribution release this entry is for, in the form [`release_key`] gives; None for
    /// ecosystems without releases (and distribution entries that name none).
    pub release: Option<Box<str>>,
    /// `release` interned per ecosystem ([`NO_RELEASE`] for None).
    pub(crate) release_id: u32,
    pub intervals: Vec<Interval>,
    /// Explicitly listed affected versions (kept by the package, see `Package::listed`).
    pub(crate) versions: Vec<Box<str>>,
    /// Every fixed version named by the entry's ranges, with the scheme to order them.
    pub fixes: Vec<FixedVersion>,
    pub wont_fix: bool,
}

/// `release_id` of an entry without a release.
pub(crate) const NO_RELEASE: u32 = u32::MAX;

/// Where the query version stands on each ladder of the package being matched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed<'q> {
    pub(crate) version: &'q str,
    /// (scheme, position, ladder number), one per ladder of the package.
    pub(crate) at: [(Scheme, QueryPos, u32); 2],
    pub(crate) len: usize,
    /// Ladders beyond the first two (a package ranged under three schemes): placed on demand.
    pub(crate) more: &'q [Ladder],
    pub(crate) more_base: u32,
}

impl Placed<'_> {
    fn find(&self, scheme: Scheme) -> (QueryPos, u32) {
        for &(s, q, l) in &self.at[..self.len] {
            if s == scheme {
                return (q, l);
            }
        }
        for (i, l) in self.more.iter().enumerate() {
            if l.scheme == scheme {
                return (l.place(self.version), self.more_base + i as u32);
            }
        }
        (QueryPos::Unranked, u32::MAX)
    }
}

/// An entry in integer form, when every bound and fix is ranked on the package's first ladder:
/// `[lo, hi)` position spans and (position, index in `fixes`) pairs, in the package's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flat {
    pub(crate) spans: (u32, u32),
    pub(crate) fixes: (u32, u32),
}

impl CompiledAffected {
    /// Append the integer form of the entry to `spans` and `fixes` if every bound and fix is
    /// ranked on the ladder of `scheme`.
    pub(crate) fn flatten(
        &self,
        scheme: Scheme,
        spans: &mut Vec<(u32, u32)>,
        fixes: &mut Vec<(u32, u32)>,
    ) -> Option<Flat> {
        let ranked = |b: &Bound| b.pos < UNRANKED;
        let ok = self.intervals.iter().all(|iv| {
            iv.scheme == scheme
                && iv.lower.as_ref().is_none_or(ranked)
                && match &iv.upper {
                    Upper::Open => true,
                    Upper::Fixed(b) | Upper::LastAffected(b) | Upper::Limit(b) => ranked(b),
                }
        }) && self
            .fixes
            .iter()
            .all(|f| f.scheme == scheme && f.pos < UNRANKED);
        if !ok {
            return None;
        }
        let s0 = spans.len() as u32;
        for iv in &self.intervals {
            let lo = iv.lower.as_ref().map_or(0, |b| b.pos);
            let hi = match &iv.upper {
                Upper::Open => u32::MAX,
                Upper::Fixed(b) | Upper::Limit(b) => b.pos,
                Upper::LastAffected(b) => b.pos + 1,
            };
            spans.push((lo, hi));
        }
        let f0 = fixes.len() as u32;
        fixes.extend(
            self.fixes
                .iter()
                .enumerate()
                .map(|(i, f)| (f.pos, i as u32)),
        );
        Some(Flat {
            spans: (s0, spans.len() as u32),
            fixes: (f0, fixes.len() as u32),
        })
    }

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
                    fixes.push(FixedVersion {
                        scheme: range_scheme,
                        version: v.as_str().into(),
                        pos: UNRANKED,
                        ladder: u32::MAX,
                    });
                }
            }
        }
        CompiledAffected {
            advisory,
            release,
            release_id: NO_RELEASE,
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

    /// Every bound and fixed version of the entry, with its scheme, in a fixed order.
    pub(crate) fn bounds_mut(&mut self, mut f: impl FnMut(Scheme, &mut Box<str>, &mut Pos)) {
        for iv in &mut self.intervals {
            if let Some(b) = &mut iv.lower {
                f(iv.scheme, &mut b.text, &mut b.pos);
            }
            if let Upper::Fixed(b) | Upper::LastAffected(b) | Upper::Limit(b) = &mut iv.upper {
                f(iv.scheme, &mut b.text, &mut b.pos);
            }
        }
        for fx in &mut self.fixes {
            f(fx.scheme, &mut fx.version, &mut fx.pos);
        }
    }

    /// Whether the placed version is in one of the entry's ranges (explicit version lists are
    /// the package's business). Comparison errors (a version the scheme cannot read) are
    /// reported through `error` and that interval is skipped.
    pub(crate) fn in_ranges(&self, q: &Placed<'_>, error: &mut Option<String>) -> bool {
        self.intervals.iter().any(|iv| {
            let (at, _) = if iv.lower.is_none() && iv.upper == Upper::Open {
                (QueryPos::Unranked, 0)
            } else {
                q.find(iv.scheme)
            };
            match iv.contains(q.version, at) {
                Ok(hit) => hit,
                Err(e) => {
                    error.get_or_insert(e);
                    false
                }
            }
        })
    }

    /// The smallest fixed version above the placed version, if the entry names one.
    pub(crate) fn fix_above(&self, q: &Placed<'_>) -> Option<&FixedVersion> {
        let mut best: Option<&FixedVersion> = None;
        for fixed in &self.fixes {
            let (at, _) = q.find(fixed.scheme);
            // compare(fixed, version) == Greater  <=>  compare(version, fixed) == Less
            let above = cmp_at(fixed.scheme, q.version, at, &fixed.version, fixed.pos)
                .is_ok_and(|o| o == Ordering::Less);
            if !above {
                continue;
            }
            best = match best {
                Some(b) if !fixed_greater(b, fixed) => Some(b),
                _ => Some(fixed),
            };
        }
        best
    }
}

/// `compare(a.scheme, a, b) == Ok(Greater)`, by ladder positions when both are on one ladder.
pub(crate) fn fixed_greater(a: &FixedVersion, b: &FixedVersion) -> bool {
    if a.ladder == b.ladder && a.scheme == b.scheme && a.pos < UNRANKED && b.pos < UNRANKED {
        return a.pos > b.pos;
    }
    compare(a.scheme, &a.version, &b.version) == Ok(Ordering::Greater)
}

impl Interval {
    fn contains(&self, version: &str, at: QueryPos) -> Result<bool, String> {
        let cmp = |b: &Bound| {
            cmp_at(self.scheme, version, at, &b.text, b.pos).map_err(|()| {
                match compare(self.scheme, version, &b.text) {
                    Err(e) => e.to_string(),
                    Ok(_) => String::from("inconsistent version order"),
                }
            })
        };
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
    let mut open: Option<Option<Bound>> = None;
    for e in events {
        match e {
            Event::Introduced(v) => {
                if open.is_none() {
                    open = Some((!is_zero(v)).then(|| Bound::new(v)));
                }
            }
            Event::Fixed(v) | Event::Limit(v) | Event::LastAffected(v) => {
                if let Some(lower) = open.take() {
                    let v = Bound::new(v);
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
