//! The readable table printed on a terminal.

use std::fmt::Write;

use crate::PackageFinding;

/// Renders findings as aligned columns: severity, vulnerability, package, installed, fixed in,
/// where. Long cells are cut with `…` so lines stay readable.
pub fn render(findings: &[PackageFinding]) -> String {
    let header = [
        "SEVERITY",
        "VULNERABILITY",
        "PACKAGE",
        "INSTALLED",
        "FIXED IN",
        "WHERE",
    ];
    let limits = [13, 24, 40, 28, 28, 80];
    let rows: Vec<[String; 6]> = findings
        .iter()
        .filter(|f| f.ignored.is_none())
        .map(|pf| {
            let f = &pf.finding;
            let mut sev = f.severity.as_str().to_string();
            if f.exploit.is_some() {
                sev.push_str(" (KEV)");
            }
            let fixed = match &f.fix {
                scry_match::FixState::Fixed(v) => v.clone(),
                scry_match::FixState::NotFixed => "(no fix yet)".into(),
                scry_match::FixState::WontFix => "(won't fix)".into(),
            };
            let mut place = pf.package.location.clone();
            if let Some(l) = &pf.package.layer {
                let short: String = l.trim_start_matches("sha256:").chars().take(12).collect();
                let _ = write!(place, " (layer {short})");
            }
            [
                sev,
                f.vulnerability_id.clone(),
                pf.package.name.clone(),
                pf.package.version.clone(),
                fixed,
                place,
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count().min(limits[i]));
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let cut = cut(c, limits[i]);
            if i + 1 == cells.len() {
                l.push_str(&cut);
            } else {
                let _ = write!(l, "{:<w$}  ", cut, w = widths[i]);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header.map(String::from));
    for r in &rows {
        line(r);
    }
    out
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
