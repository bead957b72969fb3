//! The service's domain operations, below HTTP: ingesting inventories (match, then the
//! finding lifecycle in the store), following the advisory database (reload when it changes,
//! re-match only what the change touches), enabling and disabling scan types.
//!
//! Everything here is synchronous and blocking (SQLite, matching); the HTTP layer calls it
//! from `spawn_blocking`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use scry_inventory::{is_os_cataloger, Inventory};
use scry_scan::report::{finding_id, to_wire, ResourceRef};
use scry_scan::PackageFinding;
use scry_store::{
    FindingFacts, InventoryRecord, MasterKey, NewFinding, ResourceInfo, ScanSummary, ScanWrite,
    Scope, SharedPart, Store,
};
use scry_vulndb::{Loaded, ScoreContext, VulnDb};

/// The region Scry reports in ARNs and findings unless configured.
pub const DEFAULT_REGION: &str = "sc-local-1";

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] scry_store::StoreError),
    #[error(transparent)]
    Db(#[from] scry_vulndb::DbError),
    #[error(transparent)]
    Scan(#[from] scry_scan::ScanError),
    #[error("{0}")]
    Invalid(String),
}

/// The advisory database as currently loaded.
pub struct Intel {
    pub db: VulnDb,
    pub loaded: Loaded,
    /// Per-package assessments made with this load (inventories share most packages).
    pub cache: scry_scan::AssessCache,
    /// Per (package version, vulnerability) findings as the store takes them, less what is
    /// each finding's own (see [`new_finding`]).
    pub templates: Templates,
    /// Which file was loaded (see [`file_identity`]).
    pub file: Option<String>,
}

/// Which file a path names (device and inode on Unix): a database rebuilt from scratch and
/// moved into place is another file, whose change numbers start over.
fn file_identity(path: &std::path::Path) -> Option<String> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(format!("{}:{}", m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        m.created().ok().map(|t| format!("{t:?}"))
    }
}

/// What every finding of one vulnerability on one package version carries alike: the store
/// columns, the shared part (serialized and hashed once), the vulnerable-package entry and
/// the component key.
#[derive(Debug, PartialEq)]
pub struct Template {
    facts: Arc<FindingFacts>,
    shared: SharedPart,
    vulnerable: scry_wire::VulnerablePackage,
    /// The package's component key (see [`scry_scan::component_key`]).
    component: String,
    /// Every component key the package is matched under (see
    /// [`scry_scan::component_keys`]).
    keys: Vec<String>,
}

/// Templates made with one advisory load and the default score context, by 128 bits of
/// (ecosystem matched in, name, version, source name, source version, cataloger, arch,
/// vulnerability) — everything of a package finding a [`Template`] depends on. Bounded:
/// cleared when it reaches [`Templates::LIMIT`] entries.
#[derive(Debug, Default)]
pub struct Templates {
    map: Mutex<std::collections::HashMap<u128, Arc<Template>>>,
    hashers: (std::hash::RandomState, std::hash::RandomState),
    /// Whether the template under a key differs from the previous load's (see
    /// [`Templates::changed`]).
    verdicts: Mutex<std::collections::HashMap<u128, bool>>,
}

impl Templates {
    pub const LIMIT: usize = 200_000;

    fn key(&self, inv: &Inventory, pf: &PackageFinding) -> u128 {
        use std::hash::BuildHasher;
        let p = &pf.package;
        let parts = (
            scry_scan::query_ecosystem(inv, p).unwrap_or(&p.ecosystem),
            &p.name,
            &p.version,
            &p.source_name,
            &p.source_version,
            &p.found_by,
            &p.arch,
            &pf.finding.vulnerability_id,
        );
        (u128::from(self.hashers.0.hash_one(parts)) << 64)
            | u128::from(self.hashers.1.hash_one(parts))
    }

    /// Templates for the load after this one, keyed alike so that the two compare, holding
    /// this one's templates of every package none of whose component keys is in `changed`
    /// (the keys the change log names between the two loads): those come out the same.
    fn carried_over(&self, changed: &std::collections::HashSet<&str>) -> Templates {
        let map = self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, t)| !t.keys.iter().any(|k| changed.contains(k.as_str())))
            .map(|(k, t)| (*k, t.clone()))
            .collect();
        Templates {
            map: Mutex::new(map),
            hashers: self.hashers.clone(),
            verdicts: Default::default(),
        }
    }

    /// Whether findings made from `new`, this load's template under `key`, can differ from
    /// those the previous load made (`prev`, keyed alike: see [`Templates::carried_over`]). A
    /// key `prev` holds no template for counts as changed. Decided once per key.
    fn changed(&self, prev: &Templates, key: u128, new: &Template) -> bool {
        if let Some(v) = self
            .verdicts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *v;
        }
        let old = prev
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let changed = old.is_none_or(|old| *old != *new);
        let mut v = self.verdicts.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() >= Self::LIMIT {
            v.clear();
        }
        v.insert(key, changed);
        changed
    }

    fn get_or_make(&self, key: u128, make: impl FnOnce() -> Template) -> Arc<Template> {
        if let Some(t) = self.map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return t.clone();
        }
        let t = Arc::new(make());
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= Self::LIMIT {
            m.clear();
        }
        m.insert(key, t.clone());
        t
    }
}

/// The findings a re-evaluation makes, and the identity keys it speaks for (see
/// [`Service::changed_findings`]).
type ChangedFindings = (Vec<NewFinding>, Vec<String>);

/// The most finding keys one narrowed re-evaluation of a resource speaks for.
const MAX_FINDING_KEYS: usize = 2000;

/// What a reload found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Reevaluation {
    pub generation: i64,
    pub changed_packages: usize,
    pub resources: usize,
    /// Of `resources`, those whose re-evaluation made and reconciled only the findings whose
    /// content changed, appeared or went, the previous load being at hand to tell (see
    /// [`Service::changed_findings`]); the others had every finding on the changed packages
    /// made again.
    pub narrowed: usize,
    pub opened: usize,
    pub closed: usize,
    pub updated: usize,
    pub seconds: f64,
}

/// A scan waiting for the group commit, and where its summary goes.
type Waiting = (
    ScanWrite,
    std::sync::mpsc::Sender<Result<ScanSummary, String>>,
);

pub struct Service {
    pub store: Store,
    pub master: MasterKey,
    pub region: String,
    db_path: PathBuf,
    intel: RwLock<Option<Arc<Intel>>>,
    /// Serializes reloads.
    reload: Mutex<()>,
    /// Group commit: scans waiting to be written, and the lock the writing caller holds.
    pending: Mutex<Vec<Waiting>>,
    leader: Mutex<()>,
    pub started: Instant,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The ARN Scry gives a resource: `arn:aws:<service>:<region>:<account>:<kind>/<id>`, the
/// shape Inspector's resources have, under Scry's own kinds.
pub fn resource_arn(region: &str, account: &str, resource_type: &str, id: &str) -> String {
    let kind = match resource_type {
        "AWS_EC2_INSTANCE" => "ec2:{r}:{a}:instance",
        "AWS_ECR_CONTAINER_IMAGE" => "ecr:{r}:{a}:repository-image",
        "AWS_LAMBDA_FUNCTION" => "lambda:{r}:{a}:function",
        _ => "scry:{r}:{a}:code-repository",
    };
    format!(
        "arn:aws:{}/{id}",
        kind.replace("{r}", region).replace("{a}", account)
    )
}

impl Service {
    pub fn new(store: Store, master: MasterKey, db_path: PathBuf, region: String) -> Service {
        Service {
            store,
            master,
            region,
            db_path,
            intel: RwLock::new(None),
            reload: Mutex::new(()),
            pending: Mutex::new(Vec::new()),
            leader: Mutex::new(()),
            started: Instant::now(),
        }
    }

    pub fn db_path(&self) -> &std::path::Path {
        &self.db_path
    }

    pub fn intel(&self) -> Option<Arc<Intel>> {
        self.intel.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Loads the advisory database when it is new or changed, then re-evaluates the stored
    /// inventories the change touches. `None` when nothing changed (or there is no database
    /// yet: the server runs, and findings appear once one is imported).
    pub fn refresh_intel(&self) -> Result<Option<Reevaluation>, ServiceError> {
        let _guard = self.reload.lock().unwrap_or_else(|e| e.into_inner());
        let t = Instant::now();
        if !self.db_path.exists() {
            return Ok(None);
        }
        let file = file_identity(&self.db_path);
        let current = self.intel();
        let db = match &current {
            Some(i) if i.file == file => {
                if i.db.generation()? == i.loaded.generation {
                    return Ok(None);
                }
                VulnDb::open(&self.db_path)?
            }
            _ => VulnDb::open(&self.db_path)?,
        };
        let loaded = db.load()?;
        let generation = loaded.generation;
        let applied: i64 = self
            .store
            .setting("advisory_change_seq")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1);
        // Another file than the one the store was matched against (rebuilt from scratch):
        // its change numbers say nothing about what the store holds, so everything is matched
        // again.
        let known_file = self.store.setting("advisory_db_file")?;
        let replaced = known_file.is_some() && known_file != file;
        let (changed, last_seq) = db.changes_since(if replaced { 0 } else { applied.max(0) })?;
        // What the previous load assessed of packages no change names stays true: it is
        // carried over (and a re-evaluation compares against it), unless everything is
        // matched again.
        let rematch_all = applied < 0 || replaced;
        let keys: Vec<String> = changed
            .iter()
            .map(|(eco, name)| format!("{eco}\t{name}"))
            .collect();
        let keyset: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        let (cache, templates) = match &current {
            Some(c) if !rematch_all => (
                c.cache.carried_over(&keyset),
                c.templates.carried_over(&keyset),
            ),
            _ => Default::default(),
        };
        *self.intel.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(Intel {
            db,
            loaded,
            cache,
            templates,
            file: file.clone(),
        }));
        let mut re = Reevaluation {
            generation,
            ..Default::default()
        };
        if rematch_all {
            // First load of a store (everything stored was matched by nobody yet), or a new
            // database file.
            re.resources = self.reevaluate_all()?;
        } else if !keys.is_empty() {
            re.changed_packages = keys.len();
            let r = self.reevaluate_since(current.as_deref(), &keys)?;
            re.resources = r.0;
            re.narrowed = r.2;
            for s in r.1 {
                re.opened += s.opened + s.reopened;
                re.closed += s.closed;
                re.updated += s.updated;
            }
        }
        self.store
            .set_setting("advisory_change_seq", &last_seq.to_string())?;
        if let Some(f) = &file {
            self.store.set_setting("advisory_db_file", f)?;
        }
        re.seconds = t.elapsed().as_secs_f64();
        tracing::info!(
            generation,
            changed_packages = re.changed_packages,
            resources = re.resources,
            narrowed = re.narrowed,
            opened = re.opened,
            closed = re.closed,
            updated = re.updated,
            seconds = re.seconds,
            "advisory database loaded"
        );
        Ok(Some(re))
    }

    /// Re-matches, in every stored inventory holding one of `keys`, the packages under those
    /// keys, and reconciles only their findings.
    pub fn reevaluate(&self, keys: &[String]) -> Result<(usize, Vec<ScanSummary>), ServiceError> {
        let (n, summaries, _) = self.reevaluate_since(None, keys)?;
        Ok((n, summaries))
    }

    /// [`Service::reevaluate`] after the advisory load `prev` (what the store holds was matched
    /// with it): where `prev` can tell, only the findings whose content changed, appeared or
    /// went are made and reconciled (see [`Service::changed_findings`]). Also says how many
    /// resources that was.
    fn reevaluate_since(
        &self,
        prev: Option<&Intel>,
        keys: &[String],
    ) -> Result<(usize, Vec<ScanSummary>, usize), ServiceError> {
        let Some(intel) = self.intel() else {
            return Ok((0, Vec::new(), 0));
        };
        let narrowed = std::sync::atomic::AtomicUsize::new(0);
        let resources = self.store.resources_with_components(keys)?;
        let keyset: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
        let ids = self.store.component_ids(keys)?;
        // Which (account, resource type) pairs are enabled, asked once each.
        let mut enabled: std::collections::HashMap<(String, String), bool> = Default::default();
        for (_, account, ty) in &resources {
            if let std::collections::hash_map::Entry::Vacant(e) =
                enabled.entry((account.clone(), ty.clone()))
            {
                let on = self.store.account(account)?.is_some_and(|a| {
                    scry_store::scan_type_of_resource_type(ty).is_some_and(|t| a.enabled(t))
                });
                e.insert(on);
            }
        }
        let todo: Vec<i64> = resources
            .iter()
            .filter(|(_, a, t)| enabled[&(a.clone(), t.clone())])
            .map(|(pk, _, _)| *pk)
            .collect();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let now = now_ms();
        // A pipeline: chunks are matched in parallel (read-only) while the writer stores the
        // chunk before, each in one transaction.
        let summaries = std::thread::scope(|s| -> Result<Vec<ScanSummary>, ServiceError> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ScanWrite>>(1);
            // Written chunks come back to be freed here, off the one writer.
            let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<ScanWrite>>();
            let writer = s.spawn(move || -> Result<Vec<ScanSummary>, ServiceError> {
                let mut out = Vec::new();
                for writes in rx {
                    let t = Instant::now();
                    out.extend(self.store.write_scans(&writes, now)?);
                    tracing::debug!(
                        resources = writes.len(),
                        ms = t.elapsed().as_secs_f64() * 1e3,
                        "re-evaluation: chunk written"
                    );
                    let _ = done_tx.send(writes);
                }
                Ok(out)
            });
            let matched = (|| -> Result<(), ServiceError> {
                for chunk in todo.chunks(256) {
                    let writes =
                        self.reevaluate_chunk(&intel, prev, chunk, &keyset, &ids, threads)?;
                    let n = writes
                        .iter()
                        .filter(|w| matches!(w.scope, Scope::Findings(_)))
                        .count();
                    narrowed.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    if tx.send(writes).is_err() {
                        break; // the writer failed; its error is returned below
                    }
                    done_rx.try_iter().for_each(drop);
                }
                Ok(())
            })();
            drop(tx);
            let written = writer.join().unwrap_or_else(|_| {
                Err(ServiceError::Invalid(
                    "the re-evaluation writer panicked".into(),
                ))
            });
            matched?;
            written
        })?;
        Ok((resources.len(), summaries, narrowed.into_inner()))
    }

    /// Re-matches the stored inventories `pks` on `threads` threads.
    fn reevaluate_chunk(
        &self,
        intel: &Intel,
        prev: Option<&Intel>,
        pks: &[i64],
        keys: &BTreeSet<&str>,
        ids: &[u32],
        threads: usize,
    ) -> Result<Vec<ScanWrite>, ServiceError> {
        let parts: Vec<Result<Vec<ScanWrite>, ServiceError>> = std::thread::scope(|s| {
            let handles: Vec<_> = pks
                .chunks(pks.len().div_ceil(threads).max(1))
                .map(|part| {
                    s.spawn(move || {
                        let mut out = Vec::with_capacity(part.len());
                        for pk in part {
                            if let Some(w) = self.reevaluation_of(intel, prev, *pk, keys, ids)? {
                                out.push(w);
                            }
                        }
                        Ok(out)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(ServiceError::Invalid(
                            "a re-evaluation thread panicked".into(),
                        ))
                    })
                })
                .collect()
        });
        let mut writes = Vec::with_capacity(pks.len());
        for p in parts {
            writes.extend(p?);
        }
        Ok(writes)
    }

    /// The scan that re-matches, in one stored inventory, the packages under `keys` (whose
    /// component ids are `ids`).
    fn reevaluation_of(
        &self,
        intel: &Intel,
        prev: Option<&Intel>,
        pk: i64,
        keys: &BTreeSet<&str>,
        ids: &[u32],
    ) -> Result<Option<ScanWrite>, ServiceError> {
        let Some((res, body, parts)) = self.store.inventory_parts(pk, ids)? else {
            return Ok(None);
        };
        let corrupt = |e: serde_json::Error| scry_store::StoreError::Corrupt {
            what: "inventory",
            reason: e.to_string(),
        };
        // Only the packages the keys name, when the store knows where they lie.
        let inv: Inventory = match parts {
            Some(parts) => Inventory {
                distro: serde_json::from_slice(&body[parts[0].clone()]).map_err(corrupt)?,
                packages: parts[1..]
                    .iter()
                    .map(|r| serde_json::from_slice(&body[r.clone()]))
                    .collect::<Result<_, _>>()
                    .map_err(corrupt)?,
                diagnostics: Vec::new(),
            },
            None => serde_json::from_slice(&body).map_err(corrupt)?,
        };
        let mut ks = BTreeSet::new();
        let mut subset = Inventory {
            distro: inv.distro,
            diagnostics: Vec::new(),
            packages: Vec::new(),
        };
        for p in inv.packages {
            ks.clear();
            scry_scan::component_keys(&subset, &p, &mut ks);
            if ks.iter().any(|k| keys.contains(k.as_str())) {
                subset.packages.push(p);
            }
        }
        let changed = match prev {
            Some(prev) => self.changed_findings(intel, prev, &res.info, &subset)?,
            None => None,
        };
        let (findings, scope) = match changed {
            Some((findings, keys)) => (findings, Scope::Findings(keys)),
            None => {
                let touched: BTreeSet<String> = subset
                    .packages
                    .iter()
                    .map(|p| scry_scan::component_key(&subset, p))
                    .collect();
                (
                    self.findings_for(intel, &res.info, &subset)?,
                    Scope::Components(touched.into_iter().collect()),
                )
            }
        };
        let mut write = ScanWrite {
            resource: ResourceInfo {
                tags: None,
                ..res.info.clone()
            },
            inventory: None,
            findings,
            scope,
            trigger: "reevaluate".into(),
            status: (res.scan_status.clone(), res.scan_reason.clone()),
        };
        write.seal();
        Ok(Some(write))
    }

    /// Re-matches every stored inventory (first load, or a scan type enabled again).
    pub fn reevaluate_all(&self) -> Result<usize, ServiceError> {
        let mut n = 0;
        for account in self.store.accounts()? {
            n += self.reevaluate_account(&account, None)?;
        }
        Ok(n)
    }

    pub fn reevaluate_account(
        &self,
        account: &str,
        resource_type: Option<&str>,
    ) -> Result<usize, ServiceError> {
        let Some(intel) = self.intel() else {
            return Ok(0);
        };
        let pks = self
            .store
            .resources_with_inventory(account, resource_type)?;
        let now = now_ms();
        for chunk in pks.chunks(64) {
            let mut writes = Vec::new();
            for pk in chunk {
                if !self.scan_type_enabled_for(account, *pk)? {
                    continue;
                }
                let Some((res, body)) = self.store.inventory(*pk)? else {
                    continue;
                };
                let inv: Inventory =
                    serde_json::from_slice(&body).map_err(|e| scry_store::StoreError::Corrupt {
                        what: "inventory",
                        reason: e.to_string(),
                    })?;
                let mut findings = self.findings_for(&intel, &res.info, &inv)?;
                findings.extend(self.host_findings(&res.info)?);
                writes.push(ScanWrite {
                    resource: ResourceInfo {
                        tags: None,
                        ..res.info.clone()
                    },
                    inventory: None,
                    findings,
                    scope: Scope::All,
                    trigger: "reevaluate".into(),
                    status: ("ACTIVE".into(), "SUCCESSFUL".into()),
                });
            }
            self.store.write_scans(&writes, now)?;
        }
        Ok(pks.len())
    }

    fn scan_type_enabled_for(&self, account: &str, pk: i64) -> Result<bool, ServiceError> {
        let Some(res) = self.store.resource_by_pk(pk)? else {
            return Ok(false);
        };
        let Some(acc) = self.store.account(account)? else {
            return Ok(false);
        };
        Ok(
            scry_store::scan_type_of_resource_type(&res.info.resource_type)
                .is_some_and(|t| acc.enabled(t)),
        )
    }

    /// Matches an inventory and builds the findings to store.
    pub fn findings_for(
        &self,
        intel: &Intel,
        res: &ResourceInfo,
        inv: &Inventory,
    ) -> Result<Vec<NewFinding>, ServiceError> {
        // The host's network context (agents); the cache holds default-context scores only.
        let ctx = self.score_context(res);
        let default_ctx = ctx == ScoreContext::default();
        let a = scry_scan::assess_cached(
            &intel.db,
            &intel.loaded,
            inv,
            &ctx,
            default_ctx.then_some(&intel.cache),
        )?;
        let rref = self.resource_ref(res);
        let templates = default_ctx.then_some(&intel.templates);
        // The resource entry is the same in each of its findings.
        let wire = [rref.to_wire()];
        let mut out = Vec::with_capacity(a.findings.len());
        for pf in &a.findings {
            out.push(new_finding(inv, pf, &rref, &wire, templates));
        }
        Ok(out)
    }

    fn resource_ref(&self, res: &ResourceInfo) -> ResourceRef {
        ResourceRef {
            ty: res.resource_type.clone(),
            id: res.resource_id.clone(),
            account: res.account_id.clone(),
            region: self.region.clone(),
            details: res
                .details
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
        }
    }

    /// What a re-evaluation of `inv` must write when the previous advisory load `prev` is at
    /// hand: the findings whose template changed (new ones among them), and the identity keys
    /// of those and of the findings `prev` gave that are gone — everything else `inv`'s
    /// packages carry is as `prev` made it, and is left alone. `None` when `prev` cannot tell:
    /// a package it never assessed, or a resource scored in a context of its own; then every
    /// finding is made and reconciled.
    fn changed_findings(
        &self,
        intel: &Intel,
        prev: &Intel,
        res: &ResourceInfo,
        inv: &Inventory,
    ) -> Result<Option<ChangedFindings>, ServiceError> {
        if self.score_context(res) != ScoreContext::default() {
            return Ok(None);
        }
        let mut before = Vec::with_capacity(inv.packages.len());
        for p in &inv.packages {
            match scry_scan::package_query(inv, p) {
                None => before.push(None),
                Some(q) => match prev.cache.peek(&q) {
                    Some(a) => before.push(Some(a)),
                    None => return Ok(None),
                },
            }
        }
        let a = scry_scan::assess_cached(
            &intel.db,
            &intel.loaded,
            inv,
            &ScoreContext::default(),
            Some(&intel.cache),
        )?;
        let rref = self.resource_ref(res);
        let wire = [rref.to_wire()];
        let mut findings = Vec::new();
        let mut keys = Vec::new();
        // (path, name, vulnerability) of every finding made now.
        let mut now: std::collections::HashSet<(&str, &str, &str)> = Default::default();
        for pf in &a.findings {
            now.insert((
                &pf.package.location,
                &pf.package.name,
                &pf.finding.vulnerability_id,
            ));
            let k = intel.templates.key(inv, pf);
            let t = intel.templates.get_or_make(k, || template(inv, pf, &rref));
            if intel.templates.changed(&prev.templates, k, &t) {
                let f = finding_from(&t, pf, &rref, &wire);
                keys.push(f.key.clone());
                findings.push(f);
            }
        }
        for (p, a) in inv.packages.iter().zip(&before) {
            for f in a.iter().flat_map(|a| a.findings.iter()) {
                if !now.contains(&(
                    p.location.as_str(),
                    p.name.as_str(),
                    f.vulnerability_id.as_str(),
                )) {
                    keys.push(finding_id(
                        &res.account_id,
                        &res.resource_id,
                        &f.vulnerability_id,
                        &p.name,
                        &p.location,
                    ));
                }
            }
        }
        // One statement names every key (SQLite takes at most 32,766 parameters); past a few
        // thousand, reconciling the changed components instead costs no more.
        if keys.len() > MAX_FINDING_KEYS {
            return Ok(None);
        }
        Ok(Some((findings, keys)))
    }

    /// Stores a resource's new inventory and reconciles its findings. Without a loaded
    /// advisory database the inventory is kept and matched once one is loaded.
    pub fn ingest(
        &self,
        resource: ResourceInfo,
        inventory: &Inventory,
        trigger: &str,
    ) -> Result<ScanSummary, ServiceError> {
        let now = now_ms();
        let account = match self.store.account(&resource.account_id)? {
            Some(a) => a,
            None => {
                self.store.ensure_account(&resource.account_id, now)?;
                self.store
                    .account(&resource.account_id)?
                    .ok_or_else(|| ServiceError::Invalid("account vanished".into()))?
            }
        };
        let enabled = scry_store::scan_type_of_resource_type(&resource.resource_type)
            .is_some_and(|t| account.enabled(t));
        let intel = self.intel();
        let (findings, status) = match (&intel, enabled) {
            (_, false) => (Vec::new(), ("INACTIVE", "PENDING_DISABLE")),
            (None, true) => (Vec::new(), ("ACTIVE", "PENDING_INITIAL_SCAN")),
            (Some(i), true) => {
                let status = if inventory.packages.is_empty() {
                    ("INACTIVE", "NO_INVENTORY")
                } else if inventory.distro.is_none()
                    && resource.resource_type == "AWS_EC2_INSTANCE"
                    && inventory
                        .packages
                        .iter()
                        .all(|p| is_os_cataloger(&p.found_by))
                {
                    ("INACTIVE", "UNSUPPORTED_OS")
                } else {
                    ("ACTIVE", "SUCCESSFUL")
                };
                let t = Instant::now();
                let mut f = self.findings_for(i, &resource, inventory)?;
                f.extend(self.host_findings(&resource)?);
                tracing::debug!(
                    ms = t.elapsed().as_secs_f64() * 1e3,
                    findings = f.len(),
                    "matched"
                );
                (f, status)
            }
        };
        let write = ScanWrite {
            inventory: Some(inventory_record(inventory, now)?),
            findings,
            scope: if enabled {
                Scope::All
            } else {
                Scope::Components(Vec::new())
            },
            trigger: trigger.into(),
            status: (status.0.into(), status.1.into()),
            resource,
        };
        self.commit(write, now)
    }

    /// Writes one scan, together with whatever other scans are waiting (group commit: one
    /// transaction for many concurrent pushes). The caller that finds the writer free writes
    /// every waiting scan and hands each caller its summary.
    fn commit(&self, mut write: ScanWrite, now: i64) -> Result<ScanSummary, ServiceError> {
        write.seal();
        let (tx, rx) = std::sync::mpsc::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((write, tx));
        loop {
            if let Ok(r) = rx.try_recv() {
                return r.map_err(ServiceError::Invalid);
            }
            let _leader = self.leader.lock().unwrap_or_else(|e| e.into_inner());
            if let Ok(r) = rx.try_recv() {
                return r.map_err(ServiceError::Invalid);
            }
            let batch =
                std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
            if batch.is_empty() {
                continue;
            }
            let (writes, senders): (Vec<ScanWrite>, Vec<_>) = batch.into_iter().unzip();
            let t = Instant::now();
            match self.store.write_scans(&writes, now) {
                Ok(sums) => {
                    for (s, tx) in sums.into_iter().zip(senders) {
                        let _ = tx.send(Ok(s));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, scans = writes.len(), "writing scans");
                    let msg = format!("storing the scan failed: {e}");
                    for tx in senders {
                        let _ = tx.send(Err(msg.clone()));
                    }
                }
            }
            tracing::debug!(
                ms = t.elapsed().as_secs_f64() * 1e3,
                scans = writes.len(),
                "stored"
            );
        }
    }

    /// Enables or disables scan types; enabling re-evaluates the stored inventories of those
    /// types.
    pub fn set_scan_types(
        &self,
        account: &str,
        types: &[&str],
        enabled: bool,
    ) -> Result<(), ServiceError> {
        let now = now_ms();
        self.store.ensure_account(account, now)?;
        let before = self.store.account(account)?;
        self.store.set_scan_types(account, types, enabled, now)?;
        if enabled {
            for t in types {
                let was = before.as_ref().is_some_and(|a| a.enabled(t));
                if !was {
                    if let Some(rt) = scry_store::resource_type_of_scan_type(t) {
                        self.reevaluate_account(account, Some(rt))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// An inventory as the store keeps it: its JSON written part by part (the distro, then each
/// package), with where each part lies and which component keys each package is matched
/// under, so that re-evaluation reads only the packages a changed advisory names.
fn inventory_record(inv: &Inventory, now: i64) -> Result<InventoryRecord, ServiceError> {
    let json =
        |body: &mut Vec<u8>, v: &dyn erased::Json| -> Result<std::ops::Range<u32>, ServiceError> {
            let start = body.len();
            v.write(body)
                .map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let end = u32::try_from(body.len())
                .map_err(|_| ServiceError::Invalid("the inventory is over 4 GiB as JSON".into()))?;
            Ok(start as u32..end)
        };
    let mut body = Vec::with_capacity(256 * inv.packages.len() + 256);
    let mut parts = Vec::with_capacity(inv.packages.len() + 1);
    body.extend_from_slice(b"{\"distro\":");
    parts.push(json(&mut body, &inv.distro)?);
    body.extend_from_slice(b",\"packages\":[");
    let mut by_key: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut ks = BTreeSet::new();
    for (i, p) in inv.packages.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        parts.push(json(&mut body, p)?);
        ks.clear();
        scry_scan::component_keys(inv, p, &mut ks);
        for k in &ks {
            by_key.entry(k.clone()).or_default().push(i as u32 + 1);
        }
    }
    body.push(b']');
    if !inv.diagnostics.is_empty() {
        body.extend_from_slice(b",\"diagnostics\":");
        json(&mut body, &inv.diagnostics)?;
    }
    body.push(b'}');
    let mut part_keys = Vec::new();
    for (k, (_, ps)) in by_key.iter().enumerate() {
        part_keys.extend(ps.iter().map(|p| (k as u32, *p)));
    }
    Ok(InventoryRecord {
        collected_at: now,
        body,
        component_keys: by_key.into_keys().collect(),
        packages: inv.packages.len(),
        parts,
        part_keys,
        sealed: None,
    })
}

/// Serializing values of different types through one closure.
mod erased {
    pub trait Json {
        fn write(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
    }
    impl<T: serde::Serialize> Json for T {
        fn write(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
            serde_json::to_writer(out, self)
        }
    }
}

/// A package finding as the store takes it: the template of its (package version,
/// vulnerability) — from `templates` when given, so that what many resources share is built,
/// serialized and hashed once per advisory load — plus what is its own (identity, ARN, path,
/// layer, the resource it is on).
fn new_finding(
    inv: &Inventory,
    pf: &PackageFinding,
    res: &ResourceRef,
    wire: &[scry_wire::Resource],
    templates: Option<&Templates>,
) -> NewFinding {
    let t = match templates {
        Some(c) => c.get_or_make(c.key(inv, pf), || template(inv, pf, res)),
        None => Arc::new(template(inv, pf, res)),
    };
    finding_from(&t, pf, res, wire)
}

/// A package finding made from its template: what is its own (identity, ARN, path, layer,
/// the resource it is on) added to what the template shares.
fn finding_from(
    t: &Template,
    pf: &PackageFinding,
    res: &ResourceRef,
    wire: &[scry_wire::Resource],
) -> NewFinding {
    let p = &pf.package;
    let key = finding_id(
        &res.account,
        &res.id,
        &pf.finding.vulnerability_id,
        &p.name,
        &p.location,
    );
    let arn = scry_wire::finding_arn(&res.region, &res.account, &key);
    let mut vulnerable = t.vulnerable.clone();
    vulnerable.file_path = Some(p.location.clone());
    vulnerable.source_layer_hash = scry_scan::report::source_layer_hash(p);
    let body = scry_wire::own_part_json(&arn, &res.account, wire, &[vulnerable], None);
    NewFinding {
        key,
        arn,
        facts: t.facts.clone(),
        pkg_path: p.location.clone(),
        layer_hash: p.layer.clone(),
        component_key: t.component.clone(),
        body,
        shared: Some(t.shared.clone()),
        sealed: None,
    }
}

/// The part of a package finding that does not depend on which resource or path it is on.
fn template(inv: &Inventory, pf: &PackageFinding, res: &ResourceRef) -> Template {
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let mut w = to_wire(pf, res, epoch, epoch);
    let f = &pf.finding;
    let p = &pf.package;
    let vulnerable = w
        .package_vulnerability_details
        .as_mut()
        .and_then(|d| d.vulnerable_packages.pop())
        .unwrap_or_else(|| scry_wire::VulnerablePackage {
            name: p.name.clone(),
            version: p.version.clone(),
            source_layer_hash: None,
            epoch: None,
            release: None,
            arch: p.arch.clone(),
            package_manager: None,
            file_path: None,
            fixed_in_version: None,
            remediation: None,
        });
    let source = w
        .package_vulnerability_details
        .as_ref()
        .map(|d| d.source.clone())
        .unwrap_or_default();
    let facts = FindingFacts {
        finding_type: w.ty.clone(),
        vulnerability_id: f.vulnerability_id.clone(),
        related: f.aliases.clone(),
        vulnerability_source: source,
        severity: w.severity.clone(),
        severity_rank: scry_store::criteria::severity_rank(f.severity.as_str()).unwrap_or(0),
        inspector_score: w.inspector_score.unwrap_or(-1.0),
        epss: w.epss.as_ref().map_or(-1.0, |e| e.score),
        vendor_severity: f.vendor_severity.clone(),
        fix_available: w.fix_available.clone().unwrap_or_else(|| "NO".into()),
        exploit_available: w.exploit_available.clone().unwrap_or_else(|| "NO".into()),
        title: w.title.clone().unwrap_or_default(),
        pkg_name: p.name.clone(),
        pkg_version: vulnerable.version.clone(),
        pkg_epoch: vulnerable.epoch,
        pkg_release: vulnerable.release.clone(),
        pkg_arch: p.arch.clone(),
    };
    Template {
        facts: Arc::new(facts),
        // Stored split: what many findings share is kept once.
        shared: SharedPart::new(w.split().1),
        vulnerable,
        component: scry_scan::component_key(inv, p),
        keys: {
            let mut keys = BTreeSet::new();
            scry_scan::component_keys(inv, p, &mut keys);
            keys.into_iter().collect()
        },
    }
}

/// Tags given as `key=value` strings.
pub fn parse_tags(tags: &[String]) -> Result<BTreeMap<String, String>, String> {
    tags.iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("tag {t:?} is not KEY=VALUE")),
        })
        .collect()
}
