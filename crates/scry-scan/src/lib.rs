//! `scry scan`'s logic: match an [`Inventory`] against the advisory database, apply an ignore
//! file and filters, and render the result as a table, Inspector-shaped JSON or SARIF.
//!
//! Architecture invariant: no collection and no SQL here — inventories come from
//! `scry-collect`, matches from `scry-vulndb`; this crate decides what a finding *is* and how
//! it is shown.

#![forbid(unsafe_code)]

pub mod ignore;
pub mod report;
pub mod sarif;
pub mod table;

use std::sync::Arc;

use scry_collect::Catalog;
use scry_inventory::{is_os_cataloger, Diagnostic, Inventory, Package};
use scry_match::Query;
use scry_vulndb::{Finding, Loaded, ScoreContext, VulnDb};
use serde::Serialize;

/// Every cataloger Scry has: OS package databases, language lockfiles and manifests,
/// binaries and archives.
pub fn standard_catalog() -> Catalog {
    let mut catalogers = scry_pkgdb::catalogers();
    catalogers.extend(scry_lockfile::catalogers());
    catalogers.extend(scry_binary::catalogers());
    Catalog {
        catalogers,
        release_files: scry_pkgdb::RELEASE_FILES,
        detect_distro: scry_pkgdb::detect_distro,
        os_ecosystem: scry_pkgdb::os_package_ecosystem,
    }
}

/// One vulnerability on one package at one location.
#[derive(Debug, Clone, Serialize)]
pub struct PackageFinding {
    /// Shared by the package's findings.
    pub package: Arc<Package>,
    /// Shared with the assessment cache and every other resource with this package version.
    pub finding: Arc<Finding>,
    /// Set when an ignore rule matched (the finding is then not reported as active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<ignore::Applied>,
}

/// The result of matching one inventory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Assessment {
    pub findings: Vec<PackageFinding>,
    /// Packages that could not be matched (unparseable version, OS without advisory namespace).
    pub diagnostics: Vec<Diagnostic>,
    pub packages_matched: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("matching {package}: {source}")]
    Db {
        package: String,
        #[source]
        source: scry_vulndb::DbError,
    },
}

/// The ecosystem a package is matched in: its OS release for OS packages, else its own.
pub fn query_ecosystem<'a>(inv: &'a Inventory, p: &'a Package) -> Option<&'a str> {
    if is_os_cataloger(&p.found_by) {
        inv.distro.as_ref().and_then(|d| d.ecosystem.as_deref())
    } else {
        Some(p.ecosystem.as_str())
    }
}

/// The advisory database's `ecosystem\tname` keys a package is matched under (its name, and
/// for an OS package its source name too) — the keys its change log names (`changes_since`).
pub fn component_keys(inv: &Inventory, p: &Package, out: &mut std::collections::BTreeSet<String>) {
    let Some(eco) = query_ecosystem(inv, p) else {
        return;
    };
    out.insert(component(eco, &p.name));
    if is_os_cataloger(&p.found_by) {
        if let Some(src) = &p.source_name {
            out.insert(component(eco, src));
        }
    }
}

/// The one component key a package's findings are stored under: for an OS package, its source
/// package's (see [`component_keys`] for every key it is matched under).
pub fn component_key(inv: &Inventory, p: &Package) -> String {
    let eco = query_ecosystem(inv, p).unwrap_or(&p.ecosystem);
    let name = if is_os_cataloger(&p.found_by) {
        p.source_name.as_deref().unwrap_or(&p.name)
    } else {
        &p.name
    };
    component(eco, name)
}

/// `ecosystem\tname` as the advisory database keys packages: the ecosystem's base, the name
/// normalized under its rules.
fn component(ecosystem: &str, name: &str) -> String {
    let base = scry_advisory::Ecosystem::parse(ecosystem).base;
    format!("{base}\t{}", scry_advisory::normalize_name(&base, name))
}

/// An assessment and the component keys of the query it answers.
type Cached = (Arc<scry_vulndb::Assessment>, Arc<[String]>);

/// Assessments already made, by (ecosystem, name, version, source name, source version):
/// a service matching thousands of inventories that share packages looks each one up once per
/// advisory database load. Bounded: cleared when it reaches [`AssessCache::LIMIT`] entries.
#[derive(Debug, Default)]
pub struct AssessCache {
    /// Each assessment with the component keys its query is matched under.
    map: std::sync::Mutex<std::collections::HashMap<u128, Cached>>,
    /// Two independent hashers: a key is 128 bits of the query (no copies of its strings).
    hashers: (std::hash::RandomState, std::hash::RandomState),
}

impl AssessCache {
    pub const LIMIT: usize = 200_000;

    fn key(&self, q: &Query<'_>) -> u128 {
        use std::hash::BuildHasher;
        let parts = (
            q.ecosystem,
            q.name,
            q.version,
            q.source_name,
            q.source_version,
        );
        (u128::from(self.hashers.0.hash_one(parts)) << 64)
            | u128::from(self.hashers.1.hash_one(parts))
    }

    /// The assessment cached for `q`, if there is one (none is made).
    pub fn peek(&self, q: &Query<'_>) -> Option<Arc<scry_vulndb::Assessment>> {
        self.get(self.key(q))
    }

    fn get(&self, k: u128) -> Option<Arc<scry_vulndb::Assessment>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&k)
            .map(|(a, _)| a.clone())
    }

    fn put(&self, k: u128, a: Arc<scry_vulndb::Assessment>, components: Arc<[String]>) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= Self::LIMIT {
            m.clear();
        }
        m.insert(k, (a, components));
    }

    /// A cache for the next load of the advisory database, holding this one's assessments of
    /// every package none of whose component keys is in `changed` (the keys the database's
    /// change log names between the two loads): matching those gives the same again.
    pub fn carried_over(&self, changed: &std::collections::HashSet<&str>) -> AssessCache {
        let map = self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, (_, keys))| !keys.iter().any(|k| changed.contains(k.as_str())))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        AssessCache {
            map: std::sync::Mutex::new(map),
            hashers: self.hashers.clone(),
        }
    }
}

/// The query a package of `inv` is matched with; `None` for an OS package when the advisory
/// database has no namespace for the inventory's OS.
pub fn package_query<'a>(inv: &'a Inventory, p: &'a Package) -> Option<Query<'a>> {
    Some(Query {
        ecosystem: query_ecosystem(inv, p)?,
        name: &p.name,
        version: &p.version,
        source_name: p.source_name.as_deref(),
        source_version: p.source_version.as_deref(),
    })
}

/// Matches every package of an inventory.
pub fn assess(
    db: &VulnDb,
    loaded: &Loaded,
    inv: &Inventory,
    ctx: &ScoreContext,
) -> Result<Assessment, ScanError> {
    assess_cached(db, loaded, inv, ctx, None)
}

/// [`assess`], remembering per-package results in `cache` (which must be dropped when the
/// advisory database or the score context changes).
pub fn assess_cached(
    db: &VulnDb,
    loaded: &Loaded,
    inv: &Inventory,
    ctx: &ScoreContext,
    cache: Option<&AssessCache>,
) -> Result<Assessment, ScanError> {
    let mut out = Assessment::default();
    let mut os_unmatched = 0usize;
    for p in &inv.packages {
        let Some(q) = package_query(inv, p) else {
            os_unmatched += 1;
            continue;
        };
        let ecosystem = q.ecosystem;
        let key = cache.map(|c| c.key(&q));
        let cached = match (cache, key) {
            (Some(c), Some(k)) => c.get(k),
            _ => None,
        };
        let a = match cached {
            Some(a) => a,
            None => {
                let a = Arc::new(db.assess(loaded, &q, ctx).map_err(|source| ScanError::Db {
                    package: format!("{} {}", p.name, p.version),
                    source,
                })?);
                if let (Some(c), Some(k)) = (cache, key) {
                    let mut keys = std::collections::BTreeSet::new();
                    component_keys(inv, p, &mut keys);
                    c.put(k, a.clone(), keys.into_iter().collect());
                }
                a
            }
        };
        out.packages_matched += 1;
        if let Some(e) = &a.version_error {
            out.diagnostics.push(Diagnostic {
                location: p.location.clone(),
                reason: format!("{} {} ({ecosystem}): {e}", p.name, p.version),
            });
        }
        if !a.findings.is_empty() {
            let package = Arc::new(p.clone());
            for f in a.findings.iter().cloned() {
                out.findings.push(PackageFinding {
                    package: package.clone(),
                    finding: f,
                    ignored: None,
                });
            }
        }
    }
    if os_unmatched > 0 {
        let what = inv
            .distro
            .as_ref()
            .map_or("an unknown OS".to_string(), |d| {
                d.pretty_name
                    .clone()
                    .unwrap_or_else(|| format!("{} {}", d.id, d.version_id))
            });
        out.diagnostics.push(Diagnostic {
            location: String::new(),
            reason: format!("{os_unmatched} OS packages not matched: the advisory database has no namespace for {what}"),
        });
    }
    out.findings.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.finding.vulnerability_id.cmp(&b.finding.vulnerability_id))
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.location.cmp(&b.package.location))
    });
    Ok(out)
}
