//! RustSec's native advisories: a ```toml front matter block, then Markdown.
//!
//! Converted to OSV the way RustSec's own OSV export does: ecosystem `crates.io`; the
//! affected versions are the complement of `patched` ∪ `unaffected` (semver requirements),
//! written as SEMVER range events; `informational` goes to `database_specific`, `affected`
//! functions/os/arch to `ecosystem_specific`. The front matter has no modification time, so
//! `modified` is the advisory `date` (the database also replaces a record whose content
//! changed at equal `modified`).

use std::cmp::Ordering;

use chrono::{NaiveDate, TimeZone, Utc};
use scry_advisory::{
    Advisory, Affected, Event, Package, Range, RangeKind, Reference, Severity, SeverityKind,
};
use semver::{Comparator, Op, Version, VersionReq};
use serde::Deserialize;

use crate::{Ctx, Record};

#[derive(Deserialize)]
struct Front {
    advisory: AdvisoryMeta,
    #[serde(default)]
    versions: Versions,
    #[serde(default)]
    affected: Option<toml::Value>,
}

#[derive(Deserialize)]
struct AdvisoryMeta {
    id: String,
    package: String,
    date: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

fn day(s: &str) -> Option<chrono::DateTime<Utc>> {
    let d: NaiveDate = s.trim().get(..10)?.parse().ok()?;
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?).into()
}

pub fn read(location: &str, bytes: &[u8], ctx: &mut Ctx<'_, '_>) {
    let text = String::from_utf8_lossy(bytes);
    let Some(rest) = text.strip_prefix("```toml") else {
        return ctx.diag(location, None, "no ```toml front matter");
    };
    let Some(end) = rest.find("\n```") else {
        return ctx.diag(location, None, "the ```toml front matter is not closed");
    };
    let (toml_text, markdown) = (&rest[..end], &rest[end + 4..]);
    let front: Front = match toml::from_str(toml_text) {
        Ok(f) => f,
        Err(e) => return ctx.diag(location, None, format!("invalid front matter: {e}")),
    };
    let id = front.advisory.id.clone();
    let Some(date) = day(&front.advisory.date) else {
        return ctx.diag(
            location,
            Some(&id),
            format!("date {:?} is not a date", front.advisory.date),
        );
    };
    let mut safe = Vec::new();
    for req in front
        .versions
        .patched
        .iter()
        .chain(&front.versions.unaffected)
    {
        match VersionReq::parse(req) {
            Ok(r) => safe.push(r),
            Err(e) => {
                return ctx.diag(
                    location,
                    Some(&id),
                    format!("version requirement {req:?}: {e}"),
                )
            }
        }
    }
    let events = safe_to_affected_events(&safe);
    let markdown = markdown.trim();
    let (summary, details) = match markdown.strip_prefix("# ") {
        Some(body) => match body.split_once('\n') {
            Some((title, rest)) => (
                Some(title.trim().to_string()),
                Some(rest.trim().to_string()),
            ),
            None => (Some(body.trim().to_string()), None),
        },
        None => (None, Some(markdown.to_string())),
    };
    let mut references: Vec<Reference> = vec![Reference {
        kind: "PACKAGE".into(),
        url: format!("https://crates.io/crates/{}", front.advisory.package),
    }];
    if let Some(u) = &front.advisory.url {
        references.push(Reference {
            kind: "ADVISORY".into(),
            url: u.clone(),
        });
    }
    references.extend(front.advisory.references.iter().map(|u| Reference {
        kind: "WEB".into(),
        url: u.clone(),
    }));
    let severity = front
        .advisory
        .cvss
        .iter()
        .map(|v| Severity {
            kind: if v.starts_with("CVSS:4") {
                SeverityKind::CvssV4
            } else {
                SeverityKind::CvssV3
            },
            score: v.clone(),
        })
        .collect();
    let affected_meta = front
        .affected
        .map(|a| serde_json::to_value(a).unwrap_or_default());
    let advisory = Advisory {
        id: id.clone(),
        modified: date,
        published: Some(date),
        withdrawn: front.advisory.withdrawn.as_deref().and_then(day),
        aliases: front.advisory.aliases,
        related: front.advisory.related,
        upstream: Vec::new(),
        summary,
        details,
        severity,
        affected: vec![Affected {
            package: Package {
                ecosystem: "crates.io".into(),
                name: front.advisory.package.clone(),
                purl: Some(format!("pkg:cargo/{}", front.advisory.package)),
            },
            severity: Vec::new(),
            ranges: vec![Range {
                kind: RangeKind::Semver,
                repo: None,
                events,
                database_specific: None,
            }],
            versions: Vec::new(),
            ecosystem_specific: Some(serde_json::json!({ "affected": affected_meta }))
                .filter(|_| affected_meta.is_some()),
            database_specific: Some(serde_json::json!({
                "categories": front.advisory.categories,
                "informational": front.advisory.informational,
                "source": front.advisory.source,
            })),
        }],
        references,
        credits: Vec::new(),
        database_specific: Some(serde_json::json!({
            "keywords": front.advisory.keywords,
            "informational": front.advisory.informational,
        })),
        schema_version: None,
    };
    ctx.emit("rustsec", Record::Advisory(Box::new(advisory)));
}

/// A bound of an interval of versions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bound {
    v: Version,
    inclusive: bool,
}

/// An interval; `None` is unbounded.
#[derive(Debug, Clone)]
struct Interval {
    lo: Option<Bound>,
    hi: Option<Bound>,
}

fn v(major: u64, minor: u64, patch: u64) -> Version {
    Version::new(major, minor, patch)
}

fn comparator_interval(c: &Comparator) -> Interval {
    let (maj, min, pat) = (c.major, c.minor, c.patch);
    let exact = || {
        let mut x = v(maj, min.unwrap_or(0), pat.unwrap_or(0));
        x.pre = c.pre.clone();
        x
    };
    let incl = |x: Version| {
        Some(Bound {
            v: x,
            inclusive: true,
        })
    };
    let excl = |x: Version| {
        Some(Bound {
            v: x,
            inclusive: false,
        })
    };
    // The next version after a partial one: 1 -> 2.0.0, 1.2 -> 1.3.0.
    let partial_next = || match (min, pat) {
        (None, _) => v(maj + 1, 0, 0),
        (Some(m), None) => v(maj, m + 1, 0),
        (Some(m), Some(p)) => v(maj, m, p + 1),
    };
    match c.op {
        Op::Exact | Op::Wildcard => match (min, pat) {
            (Some(_), Some(_)) => Interval {
                lo: incl(exact()),
                hi: incl(exact()),
            },
            _ => Interval {
                lo: incl(exact()),
                hi: excl(partial_next()),
            },
        },
        Op::Greater => match (min, pat) {
            (Some(_), Some(_)) => Interval {
                lo: excl(exact()),
                hi: None,
            },
            _ => Interval {
                lo: incl(partial_next()),
                hi: None,
            },
        },
        Op::GreaterEq => Interval {
            lo: incl(exact()),
            hi: None,
        },
        Op::Less => Interval {
            lo: None,
            hi: excl(exact()),
        },
        Op::LessEq => match (min, pat) {
            (Some(_), Some(_)) => Interval {
                lo: None,
                hi: incl(exact()),
            },
            _ => Interval {
                lo: None,
                hi: excl(partial_next()),
            },
        },
        Op::Tilde => {
            let hi = match min {
                None => v(maj + 1, 0, 0),
                Some(m) => v(maj, m + 1, 0),
            };
            Interval {
                lo: incl(exact()),
                hi: excl(hi),
            }
        }
        // Caret (and bare requirements): the left-most non-zero component may not change.
        _ => {
            let hi = if maj > 0 || min.is_none() {
                v(maj + 1, 0, 0)
            } else if min.unwrap_or(0) > 0 || pat.is_none() {
                v(0, min.unwrap_or(0) + 1, 0)
            } else {
                v(0, 0, pat.unwrap_or(0) + 1)
            };
            Interval {
                lo: incl(exact()),
                hi: excl(hi),
            }
        }
    }
}

fn cmp_lo(a: &Option<Bound>, b: &Option<Bound>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(x), Some(y)) => x.v.cmp(&y.v).then((!x.inclusive).cmp(&!y.inclusive)),
    }
}

fn cmp_hi(a: &Option<Bound>, b: &Option<Bound>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Greater,
        (_, None) => Ordering::Less,
        (Some(x), Some(y)) => x.v.cmp(&y.v).then(x.inclusive.cmp(&y.inclusive)),
    }
}

fn intersect(a: Interval, b: Interval) -> Interval {
    let lo = if cmp_lo(&a.lo, &b.lo) == Ordering::Greater {
        a.lo
    } else {
        b.lo
    };
    let hi = if cmp_hi(&a.hi, &b.hi) == Ordering::Less {
        a.hi
    } else {
        b.hi
    };
    Interval { lo, hi }
}

fn is_empty(i: &Interval) -> bool {
    match (&i.lo, &i.hi) {
        (Some(l), Some(h)) => match l.v.cmp(&h.v) {
            Ordering::Greater => true,
            Ordering::Equal => !(l.inclusive && h.inclusive),
            Ordering::Less => false,
        },
        _ => false,
    }
}

/// The smallest version above `x`: `1.2.3` -> `1.2.4-0`.
fn next_after(x: &Version) -> Version {
    if x.pre.is_empty() {
        let mut n = v(x.major, x.minor, x.patch + 1);
        n.pre = semver::Prerelease::new("0").unwrap_or(semver::Prerelease::EMPTY);
        n
    } else {
        let mut n = x.clone();
        n.pre = semver::Prerelease::new(&format!("{}.0", x.pre)).unwrap_or(x.pre.clone());
        n
    }
}

/// OSV events for the versions that are not in any of the `safe` requirements.
pub fn safe_to_affected_events(safe: &[VersionReq]) -> Vec<Event> {
    let mut intervals: Vec<Interval> = safe
        .iter()
        .map(|r| {
            r.comparators
                .iter()
                .fold(Interval { lo: None, hi: None }, |acc, c| {
                    intersect(acc, comparator_interval(c))
                })
        })
        .filter(|i| !is_empty(i))
        .collect();
    intervals.sort_by(|a, b| cmp_lo(&a.lo, &b.lo));
    let mut events = Vec::new();
    // `cursor`: where the next affected stretch starts; None = from the very first version.
    let mut cursor: Option<Option<Bound>> = Some(None);
    for s in intervals {
        let Some(start) = cursor.clone() else { break };
        // Is there an affected stretch between `start` and `s.lo`?
        let gap = match (&start, &s.lo) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(st), Some(lo)) => match st.v.cmp(&lo.v) {
                Ordering::Less => true,
                Ordering::Equal => st.inclusive && !lo.inclusive,
                Ordering::Greater => false,
            },
        };
        if gap {
            events.push(Event::Introduced(match &start {
                None => "0".into(),
                Some(b) if b.inclusive => b.v.to_string(),
                Some(b) => next_after(&b.v).to_string(),
            }));
            let lo = s.lo.clone().expect("gap implies a lower bound");
            events.push(if lo.inclusive {
                Event::Fixed(lo.v.to_string())
            } else {
                Event::LastAffected(lo.v.to_string())
            });
        }
        // Advance the cursor past this safe interval (if it reaches further).
        let after = s.hi.map(|h| Bound {
            v: h.v,
            inclusive: !h.inclusive,
        });
        cursor = match (&start, after) {
            (_, None) => None,
            (None, Some(a)) => Some(Some(a)),
            (Some(st), Some(a)) => Some(Some(
                if cmp_lo(&Some(a.clone()), &Some(st.clone())) == Ordering::Greater {
                    a
                } else {
                    st.clone()
                },
            )),
        };
    }
    if let Some(start) = cursor {
        events.push(Event::Introduced(match start {
            None => "0".into(),
            Some(b) if b.inclusive => b.v.to_string(),
            Some(b) => next_after(&b.v).to_string(),
        }));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(safe: &[&str], expected: &[&str]) {
        let reqs: Vec<VersionReq> = safe.iter().map(|r| VersionReq::parse(r).unwrap()).collect();
        let got: Vec<String> = safe_to_affected_events(&reqs)
            .into_iter()
            .map(|e| match e {
                Event::Introduced(v) => format!("i:{v}"),
                Event::Fixed(v) => format!("f:{v}"),
                Event::LastAffected(v) => format!("l:{v}"),
                Event::Limit(v) => format!("x:{v}"),
            })
            .collect();
        assert_eq!(got, expected, "{safe:?}");
    }

    #[test]
    fn requirement_sets_to_events() {
        check(&[], &["i:0"]);
        check(&[">= 1.5.5"], &["i:0", "f:1.5.5"]);
        check(
            &[">= 0.4.5", "^0.3.9"],
            &["i:0", "f:0.3.9", "i:0.4.0", "f:0.4.5"],
        );
        check(&[">= 2.0.0", "^1.2.3", "< 0.5"], &["i:0.5.0", "f:1.2.3"]);
        check(&["< 0.2.0"], &["i:0.2.0"]);
        check(&["<= 1.0.0"], &["i:1.0.1-0"]);
        check(&["> 1.0.0"], &["i:0", "l:1.0.0"]);
        check(&["= 1.0.0"], &["i:0", "f:1.0.0", "i:1.0.1-0"]);
        check(
            &[">= 1.0, < 1.5", ">= 2.0"],
            &["i:0", "f:1.0.0", "i:1.5.0", "f:2.0.0"],
        );
        check(&["~1.2.3"], &["i:0", "f:1.2.3", "i:1.3.0"]);
        check(&["^0.0.3"], &["i:0", "f:0.0.3", "i:0.0.4"]);
        check(&["*"], &[]);
    }
}
