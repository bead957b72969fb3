//! Importing feeds into the database: incremental by `modified`, idempotent by content.

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use scry_advisory::{normalize_name, Advisory, Ecosystem, RangeKind};
use scry_feeds::{Diagnostic, Record};

use crate::{ts, DbError, SqlContext, VulnDb};

/// What one import did, per source.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceCounts {
    /// Records read from the feed.
    pub read: u64,
    /// New records stored.
    pub inserted: u64,
    /// Stored records replaced by a newer or different version.
    pub updated: u64,
    /// Records identical to the stored ones.
    pub unchanged: u64,
    /// Records older than the stored ones, skipped.
    pub stale: u64,
}

/// What one import did.
#[derive(Debug, Default, serde::Serialize)]
pub struct ImportReport {
    pub sources: BTreeMap<String, SourceCounts>,
    /// Records that could not be read (file, id, reason); the rest imported.
    #[serde(serialize_with = "ser_diagnostics")]
    pub diagnostics: Vec<Diagnostic>,
    /// Distinct (ecosystem, package) pairs named by advisories that changed, or by advisories
    /// whose CVE's enrichment (KEV, EPSS, NVD) changed.
    pub changed_packages: usize,
}

fn ser_diagnostics<S: serde::Serializer>(d: &[Diagnostic], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(d.len()))?;
    for x in d {
        seq.serialize_element(&serde_json::json!({
            "location": x.location, "id": x.id, "reason": x.reason,
        }))?;
    }
    seq.end()
}

impl ImportReport {
    pub fn total(&self) -> SourceCounts {
        let mut t = SourceCounts::default();
        for c in self.sources.values() {
            t.read += c.read;
            t.inserted += c.inserted;
            t.updated += c.updated;
            t.unchanged += c.unchanged;
            t.stale += c.stale;
        }
        t
    }
}

enum Outcome {
    Inserted,
    Updated,
    Unchanged,
    Stale,
}

impl VulnDb {
    /// Import every path (files, directory trees, zips) in one transaction: either all of it is
    /// stored or, on an error that stops the import, none of it. Records that cannot be read are
    /// reported in [`ImportReport::diagnostics`] and skipped. `on_record` is called once per
    /// record read, with its source label (for progress display).
    pub fn import(
        &mut self,
        paths: &[PathBuf],
        now: DateTime<Utc>,
        on_record: &mut dyn FnMut(&str),
    ) -> Result<ImportReport, DbError> {
        let now_s = ts(&now);
        let conn = self.conn.get_mut().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction().doing("starting the import")?;
        let mut report = ImportReport::default();
        let mut changed: std::collections::HashSet<(String, String)> = Default::default();
        let mut failure: Option<DbError> = None;
        for path in paths {
            let mut sink = |source: &str, record: Record| {
                if failure.is_some() {
                    return;
                }
                on_record(source);
                let counts = report.sources.entry(source.to_string()).or_default();
                counts.read += 1;
                let result = match record {
                    Record::Advisory(a) => upsert_advisory(&tx, source, &a, &now_s, &mut changed),
                    // Enrichment of a CVE changes the findings of every package an advisory
                    // naming that CVE affects: they are logged as changed too.
                    Record::Kev(k) => upsert_json(&tx, "kev", &k.cve, &k)
                        .and_then(|o| log_cve_change(&tx, &k.cve, o, &now_s, &mut changed)),
                    Record::Epss(e) => upsert_epss(&tx, &e)
                        .and_then(|o| log_cve_change(&tx, &e.cve, o, &now_s, &mut changed)),
                    Record::Nvd(n) => upsert_nvd(&tx, &n)
                        .and_then(|o| log_cve_change(&tx, &n.id, o, &now_s, &mut changed)),
                };
                match result {
                    Ok(Outcome::Inserted) => counts.inserted += 1,
                    Ok(Outcome::Updated) => counts.updated += 1,
                    Ok(Outcome::Unchanged) => counts.unchanged += 1,
                    Ok(Outcome::Stale) => counts.stale += 1,
                    Err(e) => failure = Some(e),
                }
            };
            let feed =
                scry_feeds::import_path(path, &mut sink).map_err(|source| DbError::Feed {
                    path: path.clone(),
                    source,
                })?;
            if let Some(e) = failure.take() {
                return Err(e);
            }
            report.diagnostics.extend(feed.diagnostics);
        }
        for source in report.sources.keys() {
            tx.execute(
                "INSERT OR REPLACE INTO source (name, imported_at) VALUES (?1, ?2)",
                params![source, now_s],
            )
            .doing("recording the import time")?;
        }
        let t = report.total();
        if t.inserted + t.updated > 0 {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('generation', '1')
                 ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                [],
            )
            .doing("bumping the generation")?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('built_at', ?1)",
            [&now_s],
        )
        .doing("recording the build time")?;
        tx.commit().doing("committing the import")?;
        report.changed_packages = changed.len();
        Ok(report)
    }
}

fn content_hash(json: &str) -> i64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(json.as_bytes());
    h.finish() as i64
}

/// The part of an advisory the matcher needs: no prose, no GIT ranges, only status-like keys of
/// the ecosystem/database-specific data.
fn match_form(a: &Advisory) -> Advisory {
    let keep = |v: &Option<serde_json::Value>| -> Option<serde_json::Value> {
        let serde_json::Value::Object(m) = v.as_ref()? else {
            return None;
        };
        let kept: serde_json::Map<_, _> = m
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "status" | "fix_status" | "fix_state" | "state" | "resolution"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!kept.is_empty()).then_some(serde_json::Value::Object(kept))
    };
    Advisory {
        id: a.id.clone(),
        modified: a.modified,
        published: None,
        withdrawn: a.withdrawn,
        aliases: a.aliases.clone(),
        related: Vec::new(),
        upstream: Vec::new(),
        summary: None,
        details: None,
        severity: Vec::new(),
        affected: a
            .affected
            .iter()
            .map(|af| scry_advisory::Affected {
                package: af.package.clone(),
                severity: Vec::new(),
                ranges: af
                    .ranges
                    .iter()
                    .filter(|r| r.kind != RangeKind::Git)
                    .cloned()
                    .collect(),
                versions: af.versions.clone(),
                ecosystem_specific: keep(&af.ecosystem_specific),
                database_specific: keep(&af.database_specific),
            })
            .collect(),
        references: Vec::new(),
        credits: Vec::new(),
        database_specific: None,
        schema_version: None,
    }
}

fn packages_of(a: &Advisory) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = a
        .affected
        .iter()
        .map(|af| {
            let base = Ecosystem::parse(&af.package.ecosystem).base;
            let name = normalize_name(&base, &af.package.name);
            (base, name)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn upsert_advisory(
    tx: &Transaction<'_>,
    source: &str,
    a: &Advisory,
    now: &str,
    changed: &mut std::collections::HashSet<(String, String)>,
) -> Result<Outcome, DbError> {
    let json = serde_json::to_string(a).map_err(|source| DbError::Corrupt {
        id: a.id.clone(),
        source,
    })?;
    let hash = content_hash(&json);
    let modified = ts(&a.modified);
    let existing: Option<(String, i64)> = tx
        .prepare_cached("SELECT modified, hash FROM advisory WHERE id = ?1")
        .and_then(|mut st| {
            st.query_row([&a.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .doing("looking up a stored advisory")?;
    let outcome = match &existing {
        Some((m, _)) if *m > modified => return Ok(Outcome::Stale),
        Some((m, h)) if *m == modified && *h == hash => return Ok(Outcome::Unchanged),
        Some(_) => Outcome::Updated,
        None => Outcome::Inserted,
    };
    let match_json = serde_json::to_string(&match_form(a)).map_err(|source| DbError::Corrupt {
        id: a.id.clone(),
        source,
    })?;
    let mut touched: Vec<(String, String)> = Vec::new();
    if existing.is_some() {
        let mut st = tx
            .prepare_cached("SELECT ecosystem, name FROM affected WHERE advisory = ?1")
            .doing("reading an advisory's packages")?;
        let rows = st
            .query_map([&a.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("reading an advisory's packages")?;
        for row in rows {
            touched.push(row.doing("reading an advisory's packages")?);
        }
        tx.prepare_cached("DELETE FROM affected WHERE advisory = ?1")
            .and_then(|mut st| st.execute([&a.id]))
            .doing("replacing an advisory's packages")?;
        tx.prepare_cached("DELETE FROM advisory_id WHERE advisory = ?1")
            .and_then(|mut st| st.execute([&a.id]))
            .doing("replacing an advisory's identifiers")?;
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO advisory (id, source, modified, published, withdrawn, hash, summary, match_json, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut st| {
        st.execute(params![
            a.id,
            source,
            modified,
            a.published.as_ref().map(ts),
            a.withdrawn.as_ref().map(ts),
            hash,
            a.summary,
            match_json,
            json
        ])
    })
    .doing("storing an advisory")?;
    {
        let mut st = tx
            .prepare_cached("INSERT OR IGNORE INTO advisory_id (alias, advisory) VALUES (?1, ?2)")
            .doing("storing identifiers")?;
        for id in a.ids() {
            st.execute([id, &a.id]).doing("storing identifiers")?;
        }
    }
    let packages = packages_of(a);
    {
        let mut st = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO affected (ecosystem, name, advisory) VALUES (?1, ?2, ?3)",
            )
            .doing("storing affected packages")?;
        for (eco, name) in &packages {
            st.execute([eco, name, &a.id])
                .doing("storing affected packages")?;
        }
    }
    touched.extend(packages);
    touched.sort();
    touched.dedup();
    let mut st = tx
        .prepare_cached(
            "INSERT INTO change (advisory, ecosystem, name, at) VALUES (?1, ?2, ?3, ?4)",
        )
        .doing("logging changes")?;
    for (eco, name) in touched {
        st.execute([&a.id, &eco, &name, now])
            .doing("logging changes")?;
        changed.insert((eco, name));
    }
    Ok(outcome)
}

fn upsert_json<T: serde::Serialize>(
    tx: &Transaction<'_>,
    table: &'static str,
    key: &str,
    value: &T,
) -> Result<Outcome, DbError> {
    let json = serde_json::to_string(value).map_err(|source| DbError::Corrupt {
        id: key.to_string(),
        source,
    })?;
    let sql = format!("SELECT json FROM {table} WHERE cve = ?1");
    let old: Option<String> = tx
        .prepare_cached(&sql)
        .and_then(|mut st| st.query_row([key], |r| r.get(0)).optional())
        .doing("looking up an enrichment record")?;
    if old.as_deref() == Some(json.as_str()) {
        return Ok(Outcome::Unchanged);
    }
    let sql = format!("INSERT OR REPLACE INTO {table} (cve, json) VALUES (?1, ?2)");
    tx.prepare_cached(&sql)
        .and_then(|mut st| st.execute([key, &json]))
        .doing("storing an enrichment record")?;
    Ok(if old.is_some() {
        Outcome::Updated
    } else {
        Outcome::Inserted
    })
}

/// Stores an EPSS score unless the same one is stored.
fn upsert_epss(tx: &Transaction<'_>, e: &scry_advisory::EpssScore) -> Result<Outcome, DbError> {
    let date = e.date.map(|d| d.to_string());
    let old: Option<(f64, f64, Option<String>)> = tx
        .prepare_cached("SELECT epss, percentile, date FROM epss WHERE cve = ?1")
        .and_then(|mut st| {
            st.query_row([&e.cve], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .doing("looking up an EPSS score")?;
    let outcome = match old {
        Some(o) if o == (e.epss, e.percentile, date.clone()) => return Ok(Outcome::Unchanged),
        Some(_) => Outcome::Updated,
        None => Outcome::Inserted,
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO epss (cve, epss, percentile, date) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut st| st.execute(params![e.cve, e.epss, e.percentile, date]))
    .doing("storing an EPSS score")?;
    Ok(outcome)
}

/// When enrichment of `cve` was inserted or updated, logs a change for every package that an
/// advisory naming `cve` (as its id or an alias) affects, so that stored inventories holding
/// them are matched again (their findings carry the score, the exploit, the CVSS).
fn log_cve_change(
    tx: &Transaction<'_>,
    cve: &str,
    outcome: Outcome,
    now: &str,
    changed: &mut std::collections::HashSet<(String, String)>,
) -> Result<Outcome, DbError> {
    if !matches!(outcome, Outcome::Inserted | Outcome::Updated) {
        return Ok(outcome);
    }
    let rows: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT af.advisory, af.ecosystem, af.name FROM advisory_id ai
             JOIN affected af ON af.advisory = ai.advisory WHERE ai.alias = ?1",
        )
        .and_then(|mut st| {
            st.query_map([cve], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .doing("finding the packages a CVE affects")?;
    let mut st = tx
        .prepare_cached(
            "INSERT INTO change (advisory, ecosystem, name, at) VALUES (?1, ?2, ?3, ?4)",
        )
        .doing("logging changes")?;
    for (advisory, eco, name) in rows {
        st.execute([&advisory, &eco, &name, now])
            .doing("logging changes")?;
        changed.insert((eco, name));
    }
    Ok(outcome)
}

fn upsert_nvd(tx: &Transaction<'_>, n: &scry_advisory::NvdCve) -> Result<Outcome, DbError> {
    let json = serde_json::to_string(n).map_err(|source| DbError::Corrupt {
        id: n.id.clone(),
        source,
    })?;
    let modified = ts(&n.modified);
    let old: Option<(String, String)> = tx
        .prepare_cached("SELECT modified, json FROM nvd WHERE cve = ?1")
        .and_then(|mut st| {
            st.query_row([&n.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .doing("looking up an NVD record")?;
    let outcome = match &old {
        Some((m, _)) if *m > modified => return Ok(Outcome::Stale),
        Some((_, j)) if *j == json => return Ok(Outcome::Unchanged),
        Some(_) => Outcome::Updated,
        None => Outcome::Inserted,
    };
    tx.prepare_cached("INSERT OR REPLACE INTO nvd (cve, modified, json) VALUES (?1, ?2, ?3)")
        .and_then(|mut st| st.execute([&n.id, &modified, &json]))
        .doing("storing an NVD record")?;
    Ok(outcome)
}
