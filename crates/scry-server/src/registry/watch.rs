//! The registry watcher: records what notifications and polls report, collects queued
//! digests, keeps tags current on resources, and applies the rescan window.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use scry_collect::{Options, Target};
use scry_store::{
    RegistryImage, RegistryRow, ResourceInfo, ScanWrite, Scope, Sighting, StoreError,
};

use super::events::{self, glob_match};
use super::window::{Window, EXPIRED_REASON};
use crate::service::{now_ms, resource_arn, Service};

const RESOURCE_TYPE: &str = "AWS_ECR_CONTAINER_IMAGE";
/// Collection attempts before an image is FAILED (then only a new push queues it again).
const MAX_ATTEMPTS: i64 = 4;
/// Bounds on one poll of one registry.
const MAX_REPOSITORIES: usize = 10_000;
const MAX_TAGS: usize = 10_000;
/// How often the poller wakes (each registry is polled on its own interval) and the rescan
/// window is applied.
const TICK: Duration = Duration::from_secs(2);
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Why a notification was refused.
#[derive(Debug)]
pub enum Refusal {
    Unauthorized,
    Invalid(String),
    Internal,
}

pub struct Watcher {
    svc: Arc<Service>,
    layer_cache: PathBuf,
    /// Set when work was queued; the worker waits on it.
    kick: (Mutex<bool>, Condvar),
    stop: AtomicBool,
}

impl Watcher {
    pub fn new(svc: Arc<Service>, layer_cache: PathBuf) -> Arc<Watcher> {
        Arc::new(Watcher {
            svc,
            layer_cache,
            kick: (Mutex::new(false), Condvar::new()),
            stop: AtomicBool::new(false),
        })
    }

    /// Starts the worker and the poller threads (scans interrupted by the last stop are
    /// queued again).
    pub fn start(self: &Arc<Self>) -> Result<(), StoreError> {
        let n = self.svc.store.requeue_interrupted_images()?;
        if n > 0 {
            tracing::info!(
                images = n,
                "image scans interrupted by the last stop queued again"
            );
        }
        let w = self.clone();
        std::thread::Builder::new()
            .name("registry-scan".into())
            .spawn(move || w.work())
            .map_err(|e| StoreError::Conflict(format!("starting the registry worker: {e}")))?;
        let w = self.clone();
        std::thread::Builder::new()
            .name("registry-poll".into())
            .spawn(move || w.poll_loop())
            .map_err(|e| StoreError::Conflict(format!("starting the registry poller: {e}")))?;
        Ok(())
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    fn wake(&self) {
        let (m, c) = &self.kick;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        c.notify_all();
    }

    /// Handles one notification envelope from the registry the token belongs to.
    pub fn receive(&self, token: &str, body: &[u8]) -> Result<serde_json::Value, Refusal> {
        let store = &self.svc.store;
        let reg = store
            .registry_by_token_hash(&scry_store::token_hash(token))
            .map_err(|e| {
                tracing::error!(error = %e, "looking up a registry token");
                Refusal::Internal
            })?
            .ok_or(Refusal::Unauthorized)?;
        let parsed = events::parse(body).map_err(Refusal::Invalid)?;
        if parsed.invalid > 0 {
            tracing::warn!(registry = %reg.host, invalid = parsed.invalid, reasons = ?parsed.reasons, "registry notification events refused");
        }
        let now = now_ms();
        let (mut queued, mut skipped) = (0, 0);
        for s in &parsed.sighted {
            if !glob_match(&reg.repositories, &s.repository) {
                skipped += 1;
                continue;
            }
            let r = store
                .record_image(
                    reg.id,
                    &s.repository,
                    &s.digest,
                    &s.media_type,
                    s.tag.as_deref(),
                    s.how.sighting(),
                    now,
                )
                .map_err(|e| {
                    tracing::error!(error = %e, "recording a pushed image");
                    Refusal::Internal
                })?;
            if r.queued {
                queued += 1;
                tracing::info!(registry = %reg.host, repository = %s.repository, digest = %s.digest, tag = ?s.tag, "image queued for scanning");
            }
            for img in &r.retagged {
                self.retag(&reg, img);
            }
        }
        if queued > 0 {
            self.wake();
        }
        Ok(serde_json::json!({
            "accepted": parsed.sighted.len() - skipped,
            "queued": queued,
            "ignored": parsed.ignored + skipped,
            "invalid": parsed.invalid,
            "reasons": parsed.reasons,
        }))
    }

    fn work(self: Arc<Self>) {
        let catalog = scry_scan::standard_catalog();
        while !self.stop.load(Ordering::SeqCst) {
            match self.svc.store.claim_image(now_ms()) {
                Ok(Some(img)) => self.scan(&catalog, &img),
                Ok(None) => {
                    let (m, c) = &self.kick;
                    let mut k = m.lock().unwrap_or_else(|e| e.into_inner());
                    if !*k {
                        k = c
                            .wait_timeout(k, Duration::from_secs(1))
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    }
                    *k = false;
                }
                Err(e) => {
                    tracing::error!(error = %e, "claiming an image to scan");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    fn collect_options(&self, reg: &RegistryRow) -> Result<Options, StoreError> {
        let password = self.svc.store.registry_password(&self.svc.master, reg.id)?;
        Ok(Options {
            insecure_registries: if reg.insecure {
                vec![reg.host.clone()]
            } else {
                Vec::new()
            },
            username: reg.username.clone().filter(|_| password.is_some()),
            password,
            layer_cache: Some(self.layer_cache.clone()),
            ..Options::default()
        })
    }

    /// Collects one image and ingests it.
    fn scan(&self, catalog: &scry_collect::Catalog, img: &RegistryImage) {
        let t = Instant::now();
        let store = &self.svc.store;
        let result = (|| -> Result<(i64, usize, usize), String> {
            let reg = store
                .registry(img.registry_id)
                .map_err(|e| e.to_string())?
                .ok_or("the registry is no longer watched")?;
            let opts = self.collect_options(&reg).map_err(|e| e.to_string())?;
            let id = format!("{}/{}@{}", reg.host, img.repository, img.digest);
            let c = scry_collect::collect(&Target::Registry(id.clone()), catalog, &opts, &|_| {})
                .map_err(|e| format!("collecting {id}: {e}"))?;
            let info = c.image.clone().unwrap_or_default();
            // Tags may have moved while the image was collected: read them now.
            let current = store
                .registry_images(Some(reg.id))
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|i| i.repository == img.repository && i.digest == img.digest)
                .unwrap_or_else(|| img.clone());
            let platform = c.inventory.distro.as_ref().map(|d| {
                d.pretty_name
                    .clone()
                    .unwrap_or_else(|| format!("{} {}", d.id, d.version_id))
            });
            let resource = ResourceInfo {
                account_id: reg.account_id.clone(),
                resource_type: RESOURCE_TYPE.into(),
                arn: resource_arn(&self.svc.region, &reg.account_id, RESOURCE_TYPE, &id),
                resource_id: id,
                details: Some(
                    details(&reg, &current, &info.architecture, platform.as_deref()).to_string(),
                ),
                platform: c
                    .inventory
                    .distro
                    .as_ref()
                    .map(|d| format!("{}_{}", d.id.to_uppercase(), d.version_id)),
                ecr_registry: Some(reg.host.clone()),
                ecr_repository: Some(img.repository.clone()),
                ecr_image_hash: Some(img.digest.clone()),
                ecr_image_tags: current.tags.clone(),
                ecr_architecture: Some(info.architecture.clone()).filter(|a| !a.is_empty()),
                ecr_pushed_at: Some(current.pushed_at),
                ..ResourceInfo::default()
            };
            let summary = self
                .svc
                .ingest(resource, &c.inventory, "registry")
                .map_err(|e| format!("storing the inventory: {e}"))?;
            Ok((summary.resource_pk, info.layers.len(), info.layers_cached))
        })();
        let now = now_ms();
        let outcome = match result {
            Ok((pk, layers, cached)) => {
                tracing::info!(
                    repository = %img.repository,
                    digest = %img.digest,
                    resource_pk = pk,
                    layers,
                    layers_cached = cached,
                    scan_ms = t.elapsed().as_millis() as u64,
                    since_queued_ms = now - img.queued_at,
                    "registry image scanned"
                );
                store.finish_image(img, Ok((pk, layers, cached)), None, now)
            }
            Err(e) => {
                let retry = (img.attempts < MAX_ATTEMPTS)
                    .then(|| now + 5_000 * (1 << img.attempts.clamp(0, 10)));
                tracing::warn!(repository = %img.repository, digest = %img.digest, attempts = img.attempts, retry = retry.is_some(), error = %e, "registry image scan failed");
                store.finish_image(img, Err(&e), retry, now)
            }
        };
        if let Err(e) = outcome {
            tracing::error!(error = %e, "recording an image scan");
        }
    }

    /// Writes an image's new tags on its resource and on the copies its findings carry.
    fn retag(&self, reg: &RegistryRow, img: &RegistryImage) {
        let Some(pk) = img.resource_pk else { return };
        if let Err(e) = self.retag_resource(reg, img, pk) {
            tracing::error!(error = %e, digest = %img.digest, "updating an image's tags");
        }
    }

    fn retag_resource(
        &self,
        reg: &RegistryRow,
        img: &RegistryImage,
        pk: i64,
    ) -> Result<(), crate::service::ServiceError> {
        let store = &self.svc.store;
        let Some(res) = store.resource_by_pk(pk)? else {
            return Ok(());
        };
        let old: serde_json::Value = res
            .info
            .details
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default();
        let arch = old["awsEcrContainerImage"]["architecture"]
            .as_str()
            .unwrap_or("");
        let platform = old["awsEcrContainerImage"]["platform"].as_str();
        let d = details(reg, img, arch, platform).to_string();
        store.set_image_resource_tags(pk, &img.tags, Some(&d))?;
        // Findings keep a copy of the resource details: rewrite the ones that changed.
        let enabled = store
            .account(&res.info.account_id)?
            .is_some_and(|a| a.enabled("ECR"));
        let (Some(intel), true) = (self.svc.intel(), enabled) else {
            return Ok(());
        };
        let Some((row, body)) = store.inventory(pk)? else {
            return Ok(());
        };
        let inv: scry_inventory::Inventory =
            serde_json::from_slice(&body).map_err(|e| StoreError::Corrupt {
                what: "inventory",
                reason: e.to_string(),
            })?;
        let findings = self.svc.findings_for(&intel, &row.info, &inv)?;
        store.write_scans(
            &[ScanWrite {
                resource: ResourceInfo {
                    tags: None,
                    ..row.info.clone()
                },
                inventory: None,
                findings,
                scope: Scope::All,
                trigger: "retag".into(),
                status: (row.scan_status.clone(), row.scan_reason.clone()),
            }],
            now_ms(),
        )?;
        Ok(())
    }

    fn poll_loop(self: Arc<Self>) {
        let mut last_sweep: Option<Instant> = None;
        while !self.stop.load(Ordering::SeqCst) {
            let now = now_ms();
            match self.svc.store.registries() {
                Ok(regs) => {
                    for reg in regs {
                        let due = reg
                            .polled_at
                            .is_none_or(|p| p + reg.poll_seconds * 1000 <= now);
                        if due && reg.poll_seconds > 0 {
                            let error = self.poll(&reg).err();
                            if let Some(e) = &error {
                                tracing::warn!(registry = %reg.host, error = %e, "polling the registry");
                            }
                            if let Err(e) = self.svc.store.set_registry_polled(
                                reg.id,
                                now_ms(),
                                error.as_deref(),
                            ) {
                                tracing::error!(error = %e, "recording a registry poll");
                            }
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "listing registries"),
            }
            if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                last_sweep = Some(Instant::now());
                if let Err(e) = self.sweep(now_ms()) {
                    tracing::error!(error = %e, "applying the rescan window");
                }
            }
            let (m, c) = &self.kick;
            let g = m.lock().unwrap_or_else(|e| e.into_inner());
            let _ = c.wait_timeout(g, TICK);
        }
    }

    /// Lists the registry's catalog and tags: digests not known yet are queued, tags are
    /// set to what the registry says.
    pub fn poll(&self, reg: &RegistryRow) -> Result<(), String> {
        let opts = self.collect_options(reg).map_err(|e| e.to_string())?;
        let credentials = match (&opts.username, &opts.password) {
            (Some(u), Some(p)) => scry_registry::Credentials::Basic {
                user: u.clone(),
                pass: p.clone(),
            },
            _ => scry_registry::Credentials::Anonymous,
        };
        let client = scry_registry::Client::new(scry_registry::ClientOptions {
            credentials,
            insecure_http_hosts: opts.insecure_registries.clone(),
            timeout: Duration::from_secs(30),
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
        let store = &self.svc.store;
        let repos = client
            .catalog(&reg.host, MAX_REPOSITORIES)
            .map_err(|e| e.to_string())?;
        let mut budget = MAX_TAGS;
        let mut queued = 0;
        for repo in repos
            .iter()
            .filter(|r| events::check_repository(r).is_ok() && glob_match(&reg.repositories, r))
        {
            let r = scry_registry::Reference {
                registry: reg.host.clone(),
                repository: repo.clone(),
                tag: None,
                digest: None,
            };
            let tags = client.tags(&r, budget).map_err(|e| e.to_string())?;
            budget = budget.saturating_sub(tags.len());
            let mut by_digest: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for tag in tags.iter().filter(|t| events::check_tag(t).is_ok()) {
                let tr = scry_registry::Reference {
                    tag: Some(tag.clone()),
                    ..r.clone()
                };
                let (digest, media) = match client.manifest_digest(&tr) {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!(repository = %repo, tag, error = %e, "reading a tag");
                        continue;
                    }
                };
                let media = media.split(';').next().unwrap_or("").trim().to_string();
                if media != scry_registry::OCI_MANIFEST && media != scry_registry::DOCKER_MANIFEST {
                    continue;
                }
                let rec = store
                    .record_image(
                        reg.id,
                        repo,
                        &digest,
                        &media,
                        Some(tag),
                        Sighting::Poll,
                        now_ms(),
                    )
                    .map_err(|e| e.to_string())?;
                if rec.queued {
                    queued += 1;
                    tracing::info!(registry = %reg.host, repository = %repo, digest = %digest, tag, "image found by polling; queued for scanning");
                }
                for img in &rec.retagged {
                    self.retag(reg, img);
                }
                by_digest.entry(digest).or_default().insert(tag.clone());
            }
            for img in store
                .set_repository_tags(reg.id, repo, &by_digest)
                .map_err(|e| e.to_string())?
            {
                self.retag(reg, &img);
            }
            if budget == 0 {
                break;
            }
        }
        if queued > 0 {
            self.wake();
        }
        Ok(())
    }

    /// Applies the rescan window at `now`: scanned images out of it become INACTIVE
    /// (`SCAN_ELIGIBILITY_EXPIRED`), their findings close and their inventory is no longer
    /// re-evaluated. Returns how many expired.
    pub fn sweep(&self, now: i64) -> Result<usize, crate::service::ServiceError> {
        let store = &self.svc.store;
        let regs: BTreeMap<i64, RegistryRow> =
            store.registries()?.into_iter().map(|r| (r.id, r)).collect();
        let mut windows: BTreeMap<String, Window> = BTreeMap::new();
        let mut n = 0;
        for img in store.registry_images(None)? {
            if img.state != "SCANNED" {
                continue;
            }
            let Some(reg) = regs.get(&img.registry_id) else {
                continue;
            };
            if !windows.contains_key(&reg.account_id) {
                let config = store
                    .account(&reg.account_id)?
                    .map(|a| a.config)
                    .unwrap_or_default();
                windows.insert(reg.account_id.clone(), Window::of_account_config(&config));
            }
            if windows[&reg.account_id].eligible(&img, now) {
                continue;
            }
            store.expire_image(&img)?;
            if let Some(res) = img
                .resource_pk
                .map(|pk| store.resource_by_pk(pk))
                .transpose()?
                .flatten()
            {
                store.write_scans(
                    &[ScanWrite {
                        resource: ResourceInfo {
                            tags: None,
                            ..res.info.clone()
                        },
                        inventory: None,
                        findings: Vec::new(),
                        scope: Scope::All,
                        trigger: "rescan-window".into(),
                        status: ("INACTIVE".into(), EXPIRED_REASON.into()),
                    }],
                    now,
                )?;
            }
            tracing::info!(repository = %img.repository, digest = %img.digest, "image left its rescan window: INACTIVE (SCAN_ELIGIBILITY_EXPIRED)");
            n += 1;
        }
        Ok(n)
    }
}

/// The resource details an image's findings carry (Inspector's `awsEcrContainerImage`).
fn details(
    reg: &RegistryRow,
    img: &RegistryImage,
    architecture: &str,
    platform: Option<&str>,
) -> serde_json::Value {
    let mut d = serde_json::json!({
        "registry": reg.host,
        "repositoryName": img.repository,
        "imageHash": img.digest,
        "imageTags": img.tags,
        "pushedAt": img.pushed_at as f64 / 1000.0,
    });
    if !architecture.is_empty() {
        d["architecture"] = architecture.into();
    }
    if let Some(p) = platform {
        d["platform"] = p.into();
    }
    serde_json::json!({ "awsEcrContainerImage": d })
}

#[cfg(test)]
mod tests {
    use super::*;
    use scry_store::{NewRegistry, Sighting};

    const DAY: i64 = 24 * 3600 * 1000;
    const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    /// A real store and a real advisory database (the shared OSV records for PyYAML), an image
    /// recorded and ingested as the worker does, then the window applied at later times.
    #[test]
    fn images_out_of_the_rescan_window_go_inactive_close_and_stay_closed() {
        let dir = tempfile::tempdir().unwrap();
        let dbp = dir.path().join("advisories.db");
        let feed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/vulndata/osv-pypi/pyyaml");
        let mut db = scry_vulndb::VulnDb::create(&dbp).unwrap();
        db.import(&[feed], chrono::Utc::now(), &mut |_| {}).unwrap();
        drop(db);
        let (store, master) = crate::open_data_dir(&dir.path().join("data"), None).unwrap();
        let svc = Arc::new(Service::new(store, master, dbp, "sc-local-1".into()));
        svc.refresh_intel().unwrap();
        let w = Watcher::new(svc.clone(), dir.path().join("layer-cache"));
        let store = &svc.store;
        let reg_id = store
            .add_registry(
                &svc.master,
                &NewRegistry {
                    account_id: "111122223333".into(),
                    url: "http://127.0.0.1:5000".into(),
                    host: "127.0.0.1:5000".into(),
                    insecure: true,
                    username: None,
                    password: None,
                    repositories: "*".into(),
                    poll_seconds: 0,
                },
                "hash",
                0,
            )
            .unwrap();
        let now = now_ms();
        store
            .record_image(
                reg_id,
                "app",
                DIGEST,
                scry_registry::OCI_MANIFEST,
                Some("1.0"),
                Sighting::Push,
                now,
            )
            .unwrap();
        let img = store.claim_image(now).unwrap().unwrap();
        let inv: scry_inventory::Inventory = serde_json::from_value(serde_json::json!({"packages": [{
            "name": "PyYAML", "version": "5.3.1", "ecosystem": "PyPI", "purl": "pkg:pypi/pyyaml@5.3.1",
            "found_by": "python-dist-info", "location": "usr/lib/python3/dist-packages/PyYAML-5.3.1.dist-info/METADATA"
        }]}))
        .unwrap();
        let id = format!("127.0.0.1:5000/app@{DIGEST}");
        let sum = svc
            .ingest(
                ResourceInfo {
                    account_id: "111122223333".into(),
                    resource_type: RESOURCE_TYPE.into(),
                    arn: resource_arn("sc-local-1", "111122223333", RESOURCE_TYPE, &id),
                    resource_id: id.clone(),
                    ecr_image_hash: Some(DIGEST.into()),
                    ..Default::default()
                },
                &inv,
                "registry",
            )
            .unwrap();
        assert!(sum.opened >= 1, "{sum:?}");
        store
            .finish_image(&img, Ok((sum.resource_pk, 1, 0)), None, now)
            .unwrap();

        // Default window (LIFETIME push): nothing expires, even a year on.
        assert_eq!(w.sweep(now + 365 * DAY).unwrap(), 0);
        // 14 days: inside it nothing changes; after it the image is INACTIVE with Inspector's
        // reason and its findings close.
        store
            .set_account_config(
                "111122223333",
                r#"{"rescanDuration":"DAYS_14","pullDateRescanDuration":"DAYS_30"}"#,
            )
            .unwrap();
        assert_eq!(w.sweep(now + 13 * DAY).unwrap(), 0);
        assert_eq!(w.sweep(now + 15 * DAY).unwrap(), 1);
        let res = store.resource_by_pk(sum.resource_pk).unwrap().unwrap();
        assert_eq!(
            (res.scan_status.as_str(), res.scan_reason.as_str()),
            ("INACTIVE", "SCAN_ELIGIBILITY_EXPIRED")
        );
        let open = |svc: &Service| {
            let mut n = 0;
            svc.store
                .for_each_finding("111122223333", &Default::default(), &mut |f| {
                    if f.status == "ACTIVE" {
                        n += 1;
                    }
                    Ok(())
                })
                .unwrap();
            n
        };
        assert_eq!(open(&svc), 0, "findings of an expired image close");
        // Advisory changes no longer re-evaluate it (its inventory is not kept).
        let (n, _) = svc.reevaluate(&["PyPI\tpyyaml".to_string()]).unwrap();
        assert_eq!(n, 0);
        assert_eq!(open(&svc), 0);
        assert_eq!(w.sweep(now + 16 * DAY).unwrap(), 0, "expired once");
        let imgs = store.registry_images(Some(reg_id)).unwrap();
        assert_eq!(imgs[0].state, "EXPIRED");
        // A pull brings it back: queued for a new scan.
        let r = store
            .record_image(
                reg_id,
                "app",
                DIGEST,
                scry_registry::OCI_MANIFEST,
                None,
                Sighting::Pull,
                now + 17 * DAY,
            )
            .unwrap();
        assert!(r.queued);
    }
}
