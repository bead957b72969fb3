//! Status and search.

use rusqlite::OptionalExtension;
use scry_advisory::{normalize_name, Advisory, EpssScore, NvdCve};
use serde::Serialize;

use crate::{DbError, SqlContext, VulnDb, SCHEMA_VERSION};

/// One source's state in the database.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub name: String,
    pub records: u64,
    /// Newest `modified` among its records (advisory and NVD sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_at: Option<String>,
}

/// What `scry db status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub path: String,
    pub schema_version: i64,
    pub built_at: Option<String>,
    pub generation: i64,
    pub size_bytes: u64,
    pub advisories: u64,
    pub withdrawn: u64,
    pub sources: Vec<SourceStatus>,
}

/// One advisory as search lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AdvisorySummary {
    pub id: String,
    pub aliases: Vec<String>,
    pub source: String,
    pub modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// (ecosystem, package name) pairs the advisory affects.
    pub packages: Vec<(String, String)>,
}

impl VulnDb {
    pub fn status(&self) -> Result<Status, DbError> {
        let count = |sql: &str| -> Result<u64, DbError> {
            self.conn()
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .doing("counting records")
        };
        let imported_at = |name: &str| -> Result<Option<String>, DbError> {
            self.conn()
                .query_row(
                    "SELECT imported_at FROM source WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()
                .doing("reading import times")
        };
        let mut sources = Vec::new();
        let rows: Vec<(String, i64, Option<String>)> = {
            let conn = self.conn();
            let mut st = conn
                .prepare("SELECT source, count(*), max(modified) FROM advisory GROUP BY source ORDER BY source")
                .doing("summarising sources")?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })
                .doing("summarising sources")?;
            rows.collect::<Result<_, _>>()
                .doing("summarising sources")?
        };
        for (name, records, newest) in rows {
            let imported_at = imported_at(&name)?;
            sources.push(SourceStatus {
                name,
                records: records as u64,
                newest_modified: newest,
                imported_at,
            });
        }
        for (name, sql, newest) in [
            ("kev", "SELECT count(*) FROM kev", None),
            ("epss", "SELECT count(*) FROM epss", None),
            (
                "nvd",
                "SELECT count(*) FROM nvd",
                Some("SELECT max(modified) FROM nvd"),
            ),
        ] {
            let records = count(sql)?;
            if records == 0 {
                continue;
            }
            let newest_modified = match newest {
                Some(q) => self
                    .conn()
                    .query_row(q, [], |r| r.get(0))
                    .doing("summarising sources")?,
                None => None,
            };
            sources.push(SourceStatus {
                name: name.into(),
                records,
                newest_modified,
                imported_at: imported_at(name)?,
            });
        }
        Ok(Status {
            path: self.path.display().to_string(),
            schema_version: SCHEMA_VERSION,
            built_at: self.meta("built_at")?,
            generation: self.generation()?,
            size_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            advisories: count("SELECT count(*) FROM advisory")?,
            withdrawn: count("SELECT count(*) FROM advisory WHERE withdrawn IS NOT NULL")?,
            sources,
        })
    }

    /// Advisories whose id or alias is `term`, or, failing that, that affect a package named
    /// `term` (in any ecosystem, or in `ecosystem` when given), compared by each ecosystem's
    /// name rules.
    pub fn search(
        &self,
        term: &str,
        ecosystem: Option<&str>,
    ) -> Result<Vec<AdvisorySummary>, DbError> {
        let term = term.trim();
        let mut ids: Vec<String> = Vec::new();
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT advisory FROM advisory_id WHERE alias = ?1 COLLATE NOCASE ORDER BY advisory")
            .doing("searching identifiers")?;
        for row in st
            .query_map([term], |r| r.get(0))
            .doing("searching identifiers")?
        {
            ids.push(row.doing("searching identifiers")?);
        }
        drop(st);
        if ids.is_empty() {
            let ecosystems: Vec<String> = match ecosystem {
                Some(e) => vec![scry_advisory::Ecosystem::parse(e).base],
                None => {
                    let mut st = conn
                        .prepare_cached("SELECT DISTINCT ecosystem FROM affected")
                        .doing("listing ecosystems")?;
                    let rows = st.query_map([], |r| r.get(0)).doing("listing ecosystems")?;
                    rows.collect::<Result<_, _>>().doing("listing ecosystems")?
                }
            };
            let mut st = conn
                .prepare_cached("SELECT advisory FROM affected WHERE ecosystem = ?1 AND name = ?2 ORDER BY advisory")
                .doing("searching packages")?;
            for eco in &ecosystems {
                let name = normalize_name(eco, term);
                for row in st
                    .query_map([eco, &name], |r| r.get(0))
                    .doing("searching packages")?
                {
                    ids.push(row.doing("searching packages")?);
                }
            }
        }
        drop(conn);
        ids.dedup();
        ids.iter().map(|id| self.summary(id)).collect()
    }

    fn summary(&self, id: &str) -> Result<AdvisorySummary, DbError> {
        let (source, modified, withdrawn, summary): (
            String,
            String,
            Option<String>,
            Option<String>,
        ) = self
            .conn()
            .query_row(
                "SELECT source, modified, withdrawn, summary FROM advisory WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .doing("reading an advisory")?;
        let mut aliases = Vec::new();
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT alias FROM advisory_id WHERE advisory = ?1 AND alias != ?1 ORDER BY alias",
            )
            .doing("reading aliases")?;
        for row in st.query_map([id], |r| r.get(0)).doing("reading aliases")? {
            aliases.push(row.doing("reading aliases")?);
        }
        let mut packages = Vec::new();
        let mut st = conn
            .prepare_cached(
                "SELECT ecosystem, name FROM affected WHERE advisory = ?1 ORDER BY ecosystem, name",
            )
            .doing("reading packages")?;
        for row in st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("reading packages")?
        {
            packages.push(row.doing("reading packages")?);
        }
        Ok(AdvisorySummary {
            id: id.to_string(),
            aliases,
            source,
            modified,
            withdrawn,
            summary,
            packages,
        })
    }

    /// The full stored record of an advisory, by its own id.
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>, DbError> {
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT json FROM advisory WHERE id = ?1")
            .and_then(|mut st| st.query_row([id], |r| r.get(0)).optional())
            .doing("reading an advisory")?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|source| DbError::Corrupt {
                id: id.to_string(),
                source,
            })
        })
        .transpose()
    }

    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>, DbError> {
        self.conn()
            .prepare_cached("SELECT epss, percentile, date FROM epss WHERE cve = ?1")
            .and_then(|mut st| {
                st.query_row([cve], |r| {
                    Ok(EpssScore {
                        cve: cve.to_string(),
                        epss: r.get(0)?,
                        percentile: r.get(1)?,
                        date: r.get::<_, Option<String>>(2)?.and_then(|d| d.parse().ok()),
                    })
                })
                .optional()
            })
            .doing("reading an EPSS score")
    }

    pub fn nvd(&self, cve: &str) -> Result<Option<NvdCve>, DbError> {
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT json FROM nvd WHERE cve = ?1")
            .and_then(|mut st| st.query_row([cve], |r| r.get(0)).optional())
            .doing("reading an NVD record")?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|source| DbError::Corrupt {
                id: cve.to_string(),
                source,
            })
        })
        .transpose()
    }

    /// Packages named by advisories that changed after change number `since`, and the newest
    /// change number (pass it back next time).
    pub fn changes_since(&self, since: i64) -> Result<(Vec<(String, String)>, i64), DbError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT DISTINCT ecosystem, name FROM change WHERE seq > ?1 ORDER BY ecosystem, name")
            .doing("reading changes")?;
        let rows = st
            .query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))
            .doing("reading changes")?;
        let pkgs = rows
            .collect::<Result<Vec<_>, _>>()
            .doing("reading changes")?;
        let last: i64 = conn
            .query_row("SELECT coalesce(max(seq), 0) FROM change", [], |r| r.get(0))
            .doing("reading changes")?;
        Ok((pkgs, last.max(since)))
    }
}
