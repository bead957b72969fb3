//! Resources, inventories and findings: writing scans (with the lifecycle of
//! [`crate::reconcile`] and suppression rules), and reading findings back.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::criteria::{self, Criteria, Over, Param, Sql};
use crate::reconcile::{self, Step, Stored};
use crate::{SqlContext, Store, StoreError};

/// What is known of a resource besides its findings. Typed attributes are the ones criteria
/// filter on; `details` is the API's resource details object, kept as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResourceInfo {
    pub account_id: String,
    /// `AWS_EC2_INSTANCE`, `AWS_ECR_CONTAINER_IMAGE`, `AWS_LAMBDA_FUNCTION`, `CODE_REPOSITORY`.
    pub resource_type: String,
    pub resource_id: String,
    pub arn: String,
    pub details: Option<String>,
    pub ec2_image_id: Option<String>,
    pub platform: Option<String>,
    pub ecr_registry: Option<String>,
    pub ecr_repository: Option<String>,
    pub ecr_image_hash: Option<String>,
    pub ecr_image_tags: Vec<String>,
    pub ecr_architecture: Option<String>,
    pub ecr_pushed_at: Option<i64>,
    pub lambda_name: Option<String>,
    pub lambda_runtime: Option<String>,
    pub lambda_layers: Vec<String>,
    pub lambda_modified_at: Option<i64>,
    /// `None` keeps the stored tags; `Some` replaces them.
    pub tags: Option<BTreeMap<String, String>>,
}

/// A finding as a scan produced it. `body` is the API's finding object (JSON), stored as
/// given and returned with the lifecycle fields the store owns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewFinding {
    /// The identity: hash of (account, resource, vulnerability, package, path).
    pub key: String,
    pub arn: String,
    pub finding_type: String,
    pub vulnerability_id: String,
    pub related: Vec<String>,
    pub vulnerability_source: String,
    pub severity: String,
    pub severity_rank: i64,
    /// -1 when none.
    pub inspector_score: f64,
    /// -1 when none.
    pub epss: f64,
    pub vendor_severity: Option<String>,
    pub fix_available: String,
    pub exploit_available: String,
    pub title: String,
    pub pkg_name: String,
    pub pkg_version: String,
    pub pkg_epoch: Option<i64>,
    pub pkg_release: Option<String>,
    pub pkg_arch: Option<String>,
    pub pkg_path: String,
    pub layer_hash: Option<String>,
    /// The advisory database's `ecosystem\tname` key of the package matched.
    pub component_key: String,
    pub body: Vec<u8>,
}

impl NewFinding {
    fn content_hash(&self) -> String {
        hex::encode(&Sha256::digest(&self.body)[..16])
    }
}

/// The current inventory of a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryRecord {
    pub collected_at: i64,
    /// JSON of the inventory (compressed by the store).
    pub body: Vec<u8>,
    /// Every `ecosystem\tname` key the inventory's packages are matched under.
    pub component_keys: Vec<String>,
    pub packages: usize,
}

/// Which findings of the resource a scan speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A full scan: findings not in it close.
    All,
    /// A re-evaluation of some packages: only findings on these component keys are touched.
    Components(Vec<String>),
}

/// One scan of one resource to write.
#[derive(Debug, Clone)]
pub struct ScanWrite {
    pub resource: ResourceInfo,
    /// A new inventory (full scans), or `None` (re-evaluation of the stored one).
    pub inventory: Option<InventoryRecord>,
    pub findings: Vec<NewFinding>,
    pub scope: Scope,
    /// `push`, `upload`, `reevaluate`, `enable`.
    pub trigger: String,
    /// Coverage status after this scan: (`ACTIVE`/`INACTIVE`, reason).
    pub status: (String, String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanSummary {
    pub resource_pk: i64,
    pub opened: usize,
    pub reopened: usize,
    pub closed: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub suppressed: usize,
}

/// A stored resource (coverage).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceRow {
    pub pk: i64,
    pub info: ResourceInfo,
    pub tags: BTreeMap<String, String>,
    pub first_seen_at: i64,
    pub last_scanned_at: Option<i64>,
    pub scan_status: String,
    pub scan_reason: String,
    pub packages: i64,
}

/// A finding read back: the body as stored and the fields the store owns.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    pub id: i64,
    pub arn: String,
    pub status: String,
    pub first_observed_at: i64,
    pub last_observed_at: i64,
    pub updated_at: i64,
    pub resource_pk: i64,
    pub body: Vec<u8>,
}

/// Sortable finding fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    AccountId,
    FindingType,
    Severity,
    FirstObservedAt,
    LastObservedAt,
    FindingStatus,
    ResourceType,
    EcrImagePushedAt,
    EcrImageRepositoryName,
    EcrImageRegistry,
    NetworkProtocol,
    ComponentType,
    VulnerabilityId,
    VulnerabilitySource,
    InspectorScore,
    VendorSeverity,
    EpssScore,
}

impl SortField {
    fn expr(self) -> &'static str {
        match self {
            SortField::AccountId => "f.account_id",
            SortField::FindingType | SortField::ComponentType => "f.finding_type",
            SortField::Severity => "f.severity_rank",
            SortField::FirstObservedAt => "f.first_observed_at",
            SortField::LastObservedAt => "f.last_observed_at",
            SortField::FindingStatus => "f.status",
            SortField::ResourceType => "f.resource_type",
            SortField::EcrImagePushedAt => "coalesce(r.ecr_pushed_at, 0)",
            SortField::EcrImageRepositoryName => "coalesce(r.ecr_repository, '')",
            SortField::EcrImageRegistry => "coalesce(r.ecr_registry, '')",
            SortField::NetworkProtocol => "''",
            SortField::VulnerabilityId => "f.vulnerability_id",
            SortField::VulnerabilitySource => "f.vulnerability_source",
            SortField::InspectorScore => "f.inspector_score",
            SortField::VendorSeverity => "coalesce(f.vendor_severity, '')",
            SortField::EpssScore => "f.epss",
        }
    }
}

/// Where a page starts: after the row with this sort value and id.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Cursor {
    pub value: serde_json::Value,
    pub id: i64,
}

#[derive(Debug, Clone)]
pub struct FindingQuery<'a> {
    pub account_id: &'a str,
    pub criteria: &'a Criteria,
    pub sort: SortField,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub limit: usize,
}

/// One page of findings and the cursor of the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingPage {
    pub findings: Vec<FindingRow>,
    pub next: Option<Cursor>,
}

fn value_param(v: &serde_json::Value) -> Param {
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Param::Int)
            .unwrap_or_else(|| Param::Real(n.as_f64().unwrap_or(0.0))),
        serde_json::Value::String(s) => Param::Text(s.clone()),
        other => Param::Text(other.to_string()),
    }
}

fn compress(body: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(body, 1).unwrap_or_else(|_| body.to_vec())
}

/// Bodies over this size after decompression are refused as damaged.
const MAX_BODY: usize = 64 << 20;

fn decompress(what: &'static str, body: &[u8]) -> Result<Vec<u8>, StoreError> {
    zstd::bulk::decompress(body, MAX_BODY).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

const FINDING_COLUMNS: &str = "f.id, f.arn, f.status, f.first_observed_at, f.last_observed_at, f.updated_at, f.resource_pk, f.body";

fn finding_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FindingRow> {
    Ok(FindingRow {
        id: r.get(0)?,
        arn: r.get(1)?,
        status: r.get(2)?,
        first_observed_at: r.get(3)?,
        last_observed_at: r.get(4)?,
        updated_at: r.get(5)?,
        resource_pk: r.get(6)?,
        body: r.get(7)?,
    })
}

fn decode_rows(rows: Vec<FindingRow>) -> Result<Vec<FindingRow>, StoreError> {
    rows.into_iter()
        .map(|mut f| {
            f.body = decompress("finding", &f.body)?;
            Ok(f)
        })
        .collect()
}

impl Store {
    /// Writes scans in one transaction: resources, inventories, findings through their
    /// lifecycle, then the accounts' suppression rules on the findings touched.
    pub fn write_scans(
        &self,
        scans: &[ScanWrite],
        now: i64,
    ) -> Result<Vec<ScanSummary>, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("starting a scan write")?;
        let mut out = Vec::with_capacity(scans.len());
        let mut rules: HashMap<String, Vec<Criteria>> = HashMap::new();
        for scan in scans {
            let pk = upsert_resource(&tx, &scan.resource, now, Some(&scan.status))?;
            if let Some(inv) = &scan.inventory {
                write_inventory(&tx, pk, inv)?;
            }
            let mut summary = reconcile_findings(&tx, pk, scan, now)?;
            let account = &scan.resource.account_id;
            if !rules.contains_key(account) {
                rules.insert(account.clone(), suppression_rules(&tx, account)?);
            }
            summary.suppressed = apply_suppression(&tx, account, Some(pk), &rules[account], now)?;
            tx.execute(
                "INSERT INTO scans (resource_pk, at, trigger, packages, opened, reopened, closed, updated, unchanged)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![
                    pk,
                    now,
                    scan.trigger,
                    scan.inventory.as_ref().map_or(-1, |i| i.packages as i64),
                    summary.opened as i64,
                    summary.reopened as i64,
                    summary.closed as i64,
                    summary.updated as i64,
                    summary.unchanged as i64
                ],
            )
            .doing("recording a scan")?;
            out.push(summary);
        }
        tx.commit().doing("committing a scan write")?;
        Ok(out)
    }

    /// Resources whose inventory holds any of these component keys: (pk, account, type).
    pub fn resources_with_components(
        &self,
        keys: &[String],
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached("SELECT resource_pk FROM resource_packages WHERE component_key = ?1")
            .doing("finding inventories to re-evaluate")?;
        let mut pks: HashSet<i64> = HashSet::new();
        for k in keys {
            let rows = st
                .query_map([k], |r| r.get::<_, i64>(0))
                .doing("finding inventories to re-evaluate")?;
            for pk in rows {
                pks.insert(pk.doing("finding inventories to re-evaluate")?);
            }
        }
        let mut st = conn
            .prepare_cached("SELECT account_id, resource_type FROM resources WHERE pk = ?1")
            .doing("finding inventories to re-evaluate")?;
        let mut out = Vec::with_capacity(pks.len());
        let mut pks: Vec<i64> = pks.into_iter().collect();
        pks.sort_unstable();
        for pk in pks {
            let (a, t): (String, String) = st
                .query_row([pk], |r| Ok((r.get(0)?, r.get(1)?)))
                .doing("finding inventories to re-evaluate")?;
            out.push((pk, a, t));
        }
        Ok(out)
    }

    /// Resources of an account (optionally of one type) that have an inventory.
    pub fn resources_with_inventory(
        &self,
        account_id: &str,
        resource_type: Option<&str>,
    ) -> Result<Vec<i64>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(
                "SELECT r.pk FROM resources r JOIN inventories i ON i.resource_pk = r.pk
                 WHERE r.account_id = ?1 AND (?2 IS NULL OR r.resource_type = ?2) ORDER BY r.pk",
            )
            .doing("listing inventories")?;
        let out = st
            .query_map(rusqlite::params![account_id, resource_type], |r| r.get(0))
            .doing("listing inventories")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing inventories")?;
        Ok(out)
    }

    /// A resource's stored inventory JSON and the resource itself.
    pub fn inventory(&self, pk: i64) -> Result<Option<(ResourceRow, Vec<u8>)>, StoreError> {
        let body: Option<Vec<u8>> = self
            .read()
            .query_row(
                "SELECT body FROM inventories WHERE resource_pk = ?1",
                [pk],
                |r| r.get(0),
            )
            .optional()
            .doing("reading an inventory")?;
        let Some(body) = body else { return Ok(None) };
        let Some(res) = self.resource_by_pk(pk)? else {
            return Ok(None);
        };
        Ok(Some((res, decompress("inventory", &body)?)))
    }

    pub fn resource_by_pk(&self, pk: i64) -> Result<Option<ResourceRow>, StoreError> {
        let conn = self.read();
        let sql = format!("SELECT {RESOURCE_COLUMNS} FROM resources r WHERE r.pk = ?1");
        let row = conn
            .query_row(&sql, [pk], resource_row)
            .optional()
            .doing("reading a resource")?;
        match row {
            Some(mut r) => {
                r.tags = tags_of(&conn, r.pk)?;
                Ok(Some(r))
            }
            None => Ok(None),
        }
    }

    pub fn resource(
        &self,
        account_id: &str,
        resource_type: &str,
        resource_id: &str,
    ) -> Result<Option<ResourceRow>, StoreError> {
        let pk: Option<i64> = self
            .read()
            .query_row(
                "SELECT pk FROM resources WHERE account_id = ?1 AND resource_type = ?2 AND resource_id = ?3",
                [account_id, resource_type, resource_id],
                |r| r.get(0),
            )
            .optional()
            .doing("reading a resource")?;
        match pk {
            Some(pk) => self.resource_by_pk(pk),
            None => Ok(None),
        }
    }

    /// One page of findings.
    pub fn list_findings(&self, q: &FindingQuery<'_>) -> Result<FindingPage, StoreError> {
        let expr = q.sort.expr();
        let mut sql = Sql::default();
        sql.text = format!(
            "SELECT {FINDING_COLUMNS}, {expr} FROM findings f JOIN resources r ON r.pk = f.resource_pk WHERE f.account_id = ?"
        );
        sql.params.push(Param::Text(q.account_id.into()));
        criteria::compile(q.criteria, Over::Findings, &mut sql);
        let (cmp, order) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some(c) = &q.after {
            let v = value_param(&c.value);
            sql.text
                .push_str(&format!(" AND ({expr} {cmp} ? OR ({expr} = ? AND f.id > ?))"));
            sql.params.push(v.clone());
            sql.params.push(v);
            sql.params.push(Param::Int(c.id));
        }
        sql.text.push_str(&format!(
            " ORDER BY {expr} {order}, f.id ASC LIMIT {}",
            q.limit + 1
        ));
        let conn = self.read();
        let mut st = conn.prepare_cached(&sql.text).doing("listing findings")?;
        let mut rows: Vec<(FindingRow, serde_json::Value)> = st
            .query_map(rusqlite::params_from_iter(sql.params.iter()), |r| {
                let v: rusqlite::types::Value = r.get(8)?;
                let v = match v {
                    rusqlite::types::Value::Integer(i) => serde_json::Value::from(i),
                    rusqlite::types::Value::Real(f) => serde_json::Value::from(f),
                    rusqlite::types::Value::Text(s) => serde_json::Value::from(s),
                    _ => serde_json::Value::Null,
                };
                Ok((finding_row(r)?, v))
            })
            .doing("listing findings")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing findings")?;
        let next = if rows.len() > q.limit {
            rows.truncate(q.limit);
            rows.last().map(|(f, v)| Cursor {
                value: v.clone(),
                id: f.id,
            })
        } else {
            None
        };
        Ok(FindingPage {
            findings: decode_rows(rows.into_iter().map(|(f, _)| f).collect())?,
            next,
        })
    }

    /// Counts the findings matching criteria.
    pub fn count_findings(&self, account_id: &str, c: &Criteria) -> Result<i64, StoreError> {
        let mut sql = Sql::default();
        sql.text = "SELECT count(*) FROM findings f JOIN resources r ON r.pk = f.resource_pk WHERE f.account_id = ?".into();
        sql.params.push(Param::Text(account_id.into()));
        criteria::compile(c, Over::Findings, &mut sql);
        let conn = self.read();
        let mut st = conn.prepare_cached(&sql.text).doing("counting findings")?;
        st.query_row(rusqlite::params_from_iter(sql.params.iter()), |r| r.get(0))
            .doing("counting findings")
    }

    /// Findings by ARN (within an account), in the order asked; missing ones are left out.
    pub fn findings_by_arn(
        &self,
        account_id: &str,
        arns: &[String],
    ) -> Result<Vec<FindingRow>, StoreError> {
        let conn = self.read();
        let sql = format!(
            "SELECT {FINDING_COLUMNS} FROM findings f WHERE f.arn = ?1 AND f.account_id = ?2"
        );
        let mut st = conn.prepare_cached(&sql).doing("reading findings")?;
        let mut out = Vec::new();
        for arn in arns {
            if let Some(row) = st
                .query_row([arn, account_id], finding_row)
                .optional()
                .doing("reading findings")?
            {
                out.push(row);
            }
        }
        decode_rows(out)
    }

    /// Every finding matching criteria, in id order, in batches (for reports).
    pub fn for_each_finding(
        &self,
        account_id: &str,
        c: &Criteria,
        f: &mut dyn FnMut(FindingRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut after = None;
        loop {
            let page = self.list_findings(&FindingQuery {
                account_id,
                criteria: c,
                sort: SortField::FirstObservedAt,
                descending: false,
                after,
                limit: 1000,
            })?;
            for row in page.findings {
                f(row)?;
            }
            match page.next {
                Some(n) => after = Some(n),
                None => return Ok(()),
            }
        }
    }

    /// Re-applies an account's suppression rules to all its open findings (after a rule
    /// changed). Returns how many findings changed status.
    pub fn reapply_suppression(&self, account_id: &str, now: i64) -> Result<usize, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("re-applying suppression rules")?;
        let rules = suppression_rules(&tx, account_id)?;
        let n = apply_suppression(&tx, account_id, None, &rules, now)?;
        tx.commit().doing("re-applying suppression rules")?;
        Ok(n)
    }

    /// Replaces a resource's tags.
    pub fn set_resource_tags(
        &self,
        pk: i64,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("writing tags")?;
        write_tags(&tx, pk, tags)?;
        tx.commit().doing("writing tags")
    }

    /// Marks resources whose last scan is older than `before` as stale (coverage).
    pub fn mark_stale(
        &self,
        resource_type: &str,
        before: i64,
        reason: &str,
    ) -> Result<usize, StoreError> {
        self.write()
            .execute(
                "UPDATE resources SET scan_status = 'INACTIVE', scan_reason = ?3
                 WHERE resource_type = ?1 AND last_scanned_at < ?2 AND scan_status = 'ACTIVE'",
                rusqlite::params![resource_type, before, reason],
            )
            .doing("marking stale inventories")
    }
}

pub(crate) const RESOURCE_COLUMNS: &str = "r.pk, r.account_id, r.resource_type, r.resource_id, r.arn, r.details, r.ec2_image_id, r.platform, r.ecr_registry, r.ecr_repository, r.ecr_image_hash, r.ecr_image_tags, r.ecr_architecture, r.ecr_pushed_at, r.lambda_name, r.lambda_runtime, r.lambda_layers, r.lambda_modified_at, r.first_seen_at, r.last_scanned_at, r.scan_status, r.scan_reason, r.packages";

fn split_multi(v: Option<String>) -> Vec<String> {
    v.map(|s| {
        s.split('|')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

pub(crate) fn resource_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ResourceRow> {
    Ok(ResourceRow {
        pk: r.get(0)?,
        info: ResourceInfo {
            account_id: r.get(1)?,
            resource_type: r.get(2)?,
            resource_id: r.get(3)?,
            arn: r.get(4)?,
            details: r.get(5)?,
            ec2_image_id: r.get(6)?,
            platform: r.get(7)?,
            ecr_registry: r.get(8)?,
            ecr_repository: r.get(9)?,
            ecr_image_hash: r.get(10)?,
            ecr_image_tags: split_multi(r.get(11)?),
            ecr_architecture: r.get(12)?,
            ecr_pushed_at: r.get(13)?,
            lambda_name: r.get(14)?,
            lambda_runtime: r.get(15)?,
            lambda_layers: split_multi(r.get(16)?),
            lambda_modified_at: r.get(17)?,
            tags: None,
        },
        tags: BTreeMap::new(),
        first_seen_at: r.get(18)?,
        last_scanned_at: r.get(19)?,
        scan_status: r.get(20)?,
        scan_reason: r.get(21)?,
        packages: r.get(22)?,
    })
}

pub(crate) fn tags_of(
    conn: &rusqlite::Connection,
    pk: i64,
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut st = conn
        .prepare_cached("SELECT key, value FROM resource_tags WHERE resource_pk = ?1")
        .doing("reading tags")?;
    let out = st
        .query_map([pk], |r| Ok((r.get(0)?, r.get(1)?)))
        .doing("reading tags")?
        .collect::<Result<BTreeMap<_, _>, _>>()
        .doing("reading tags")?;
    Ok(out)
}

fn write_tags(
    tx: &Transaction<'_>,
    pk: i64,
    tags: &BTreeMap<String, String>,
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM resource_tags WHERE resource_pk = ?1", [pk])
        .doing("writing tags")?;
    let mut st = tx
        .prepare_cached("INSERT INTO resource_tags (resource_pk, key, value) VALUES (?1, ?2, ?3)")
        .doing("writing tags")?;
    for (k, v) in tags {
        st.execute(rusqlite::params![pk, k, v])
            .doing("writing tags")?;
    }
    Ok(())
}

fn upsert_resource(
    tx: &Transaction<'_>,
    r: &ResourceInfo,
    now: i64,
    status: Option<&(String, String)>,
) -> Result<i64, StoreError> {
    let (code, reason) = status
        .map(|(c, r)| (c.as_str(), r.as_str()))
        .unwrap_or(("ACTIVE", "PENDING_INITIAL_SCAN"));
    let mut st = tx
        .prepare_cached(
            "INSERT INTO resources (account_id, resource_type, resource_id, arn, details, ec2_image_id, platform,
                ecr_registry, ecr_repository, ecr_image_hash, ecr_image_tags, ecr_architecture, ecr_pushed_at,
                lambda_name, lambda_runtime, lambda_layers, lambda_modified_at, first_seen_at, last_scanned_at,
                scan_status, scan_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?19, ?20)
             ON CONFLICT (account_id, resource_type, resource_id) DO UPDATE SET
                arn = excluded.arn,
                details = coalesce(excluded.details, resources.details),
                ec2_image_id = coalesce(excluded.ec2_image_id, resources.ec2_image_id),
                platform = coalesce(excluded.platform, resources.platform),
                ecr_registry = coalesce(excluded.ecr_registry, resources.ecr_registry),
                ecr_repository = coalesce(excluded.ecr_repository, resources.ecr_repository),
                ecr_image_hash = coalesce(excluded.ecr_image_hash, resources.ecr_image_hash),
                ecr_image_tags = coalesce(excluded.ecr_image_tags, resources.ecr_image_tags),
                ecr_architecture = coalesce(excluded.ecr_architecture, resources.ecr_architecture),
                ecr_pushed_at = coalesce(excluded.ecr_pushed_at, resources.ecr_pushed_at),
                lambda_name = coalesce(excluded.lambda_name, resources.lambda_name),
                lambda_runtime = coalesce(excluded.lambda_runtime, resources.lambda_runtime),
                lambda_layers = coalesce(excluded.lambda_layers, resources.lambda_layers),
                lambda_modified_at = coalesce(excluded.lambda_modified_at, resources.lambda_modified_at),
                last_scanned_at = excluded.last_scanned_at,
                scan_status = excluded.scan_status,
                scan_reason = excluded.scan_reason
             RETURNING pk",
        )
        .doing("writing a resource")?;
    let pk: i64 = st
        .query_row(
            rusqlite::params![
                r.account_id,
                r.resource_type,
                r.resource_id,
                r.arn,
                r.details,
                r.ec2_image_id,
                r.platform,
                r.ecr_registry,
                r.ecr_repository,
                r.ecr_image_hash,
                criteria::multi(&r.ecr_image_tags),
                r.ecr_architecture,
                r.ecr_pushed_at,
                r.lambda_name,
                r.lambda_runtime,
                criteria::multi(&r.lambda_layers),
                r.lambda_modified_at,
                now,
                code,
                reason
            ],
            |row| row.get(0),
        )
        .doing("writing a resource")?;
    if let Some(tags) = &r.tags {
        write_tags(tx, pk, tags)?;
    }
    Ok(pk)
}

fn write_inventory(
    tx: &Transaction<'_>,
    pk: i64,
    inv: &InventoryRecord,
) -> Result<(), StoreError> {
    let digest = hex::encode(Sha256::digest(&inv.body));
    tx.execute(
        "INSERT INTO inventories (resource_pk, collected_at, digest, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (resource_pk) DO UPDATE SET collected_at = excluded.collected_at, digest = excluded.digest, body = excluded.body",
        rusqlite::params![pk, inv.collected_at, digest, compress(&inv.body)],
    )
    .doing("writing an inventory")?;
    tx.execute(
        "UPDATE resources SET packages = ?2 WHERE pk = ?1",
        rusqlite::params![pk, inv.packages as i64],
    )
    .doing("writing an inventory")?;
    // Replace the component keys, touching only what changed.
    let mut old: HashSet<String> = {
        let mut st = tx
            .prepare_cached("SELECT component_key FROM resource_packages WHERE resource_pk = ?1")
            .doing("writing an inventory")?;
        let rows = st
            .query_map([pk], |r| r.get(0))
            .doing("writing an inventory")?
            .collect::<Result<HashSet<String>, _>>()
            .doing("writing an inventory")?;
        rows
    };
    let mut ins = tx
        .prepare_cached(
            "INSERT INTO resource_packages (component_key, resource_pk) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )
        .doing("writing an inventory")?;
    for k in &inv.component_keys {
        if !old.remove(k) {
            ins.execute(rusqlite::params![k, pk])
                .doing("writing an inventory")?;
        }
    }
    let mut del = tx
        .prepare_cached("DELETE FROM resource_packages WHERE component_key = ?1 AND resource_pk = ?2")
        .doing("writing an inventory")?;
    for k in old {
        del.execute(rusqlite::params![k, pk])
            .doing("writing an inventory")?;
    }
    Ok(())
}

fn reconcile_findings(
    tx: &Transaction<'_>,
    pk: i64,
    scan: &ScanWrite,
    now: i64,
) -> Result<ScanSummary, StoreError> {
    let mut stored: Vec<Stored> = Vec::new();
    {
        let mut st = tx
            .prepare_cached(
                "SELECT id, finding_key, status, updated_at, content_hash, component_key FROM findings WHERE resource_pk = ?1",
            )
            .doing("reading stored findings")?;
        let scope: Option<HashSet<&str>> = match &scan.scope {
            Scope::All => None,
            Scope::Components(keys) => Some(keys.iter().map(String::as_str).collect()),
        };
        let rows = st
            .query_map([pk], |r| {
                Ok((
                    Stored {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        closed: r.get::<_, String>(2)? == "CLOSED",
                        updated_at: r.get(3)?,
                        content_hash: r.get(4)?,
                    },
                    r.get::<_, String>(5)?,
                ))
            })
            .doing("reading stored findings")?;
        for row in rows {
            let (s, component) = row.doing("reading stored findings")?;
            if scope.as_ref().is_none_or(|k| k.contains(component.as_str())) {
                stored.push(s);
            }
        }
    }
    let hashes: Vec<String> = scan.findings.iter().map(NewFinding::content_hash).collect();
    let new: Vec<(&str, &str)> = scan
        .findings
        .iter()
        .zip(&hashes)
        .map(|(f, h)| (f.key.as_str(), h.as_str()))
        .collect();
    let mut summary = ScanSummary {
        resource_pk: pk,
        ..Default::default()
    };
    let res = &scan.resource;
    for step in reconcile::plan(&stored, &new, now) {
        match step {
            Step::Open { new } => {
                let f = &scan.findings[new];
                let mut st = tx
                    .prepare_cached(
                        "INSERT INTO findings (account_id, resource_pk, finding_key, arn, resource_type, resource_id,
                            finding_type, vulnerability_id, related, vulnerability_source, severity, severity_rank,
                            inspector_score, epss, vendor_severity, fix_available, exploit_available, title,
                            pkg_name, pkg_version, pkg_epoch, pkg_release, pkg_arch, pkg_path, layer_hash,
                            component_key, status, first_observed_at, last_observed_at, updated_at, content_hash, body)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, 'ACTIVE', ?27, ?27, ?27, ?28, ?29)",
                    )
                    .doing("opening a finding")?;
                st.execute(rusqlite::params![
                    res.account_id,
                    pk,
                    f.key,
                    f.arn,
                    res.resource_type,
                    res.resource_id,
                    f.finding_type,
                    f.vulnerability_id,
                    criteria::multi(&f.related).unwrap_or_default(),
                    f.vulnerability_source,
                    f.severity,
                    f.severity_rank,
                    f.inspector_score,
                    f.epss,
                    f.vendor_severity,
                    f.fix_available,
                    f.exploit_available,
                    f.title,
                    f.pkg_name,
                    f.pkg_version,
                    f.pkg_epoch,
                    f.pkg_release,
                    f.pkg_arch,
                    f.pkg_path,
                    f.layer_hash,
                    f.component_key,
                    now,
                    hashes[new],
                    compress(&f.body)
                ])
                .doing("opening a finding")?;
                summary.opened += 1;
            }
            Step::Reopen { id, new, fresh } => {
                update_content(tx, id, &scan.findings[new], &hashes[new], now)?;
                tx.execute(
                    "UPDATE findings SET status = 'ACTIVE', last_observed_at = ?2,
                        first_observed_at = CASE WHEN ?3 THEN ?2 ELSE first_observed_at END
                     WHERE id = ?1",
                    rusqlite::params![id, now, fresh],
                )
                .doing("reopening a finding")?;
                summary.reopened += 1;
            }
            Step::Refresh { id, new, changed } => {
                if changed {
                    update_content(tx, id, &scan.findings[new], &hashes[new], now)?;
                    summary.updated += 1;
                } else {
                    summary.unchanged += 1;
                }
                tx.prepare_cached("UPDATE findings SET last_observed_at = ?2 WHERE id = ?1")
                    .doing("refreshing a finding")?
                    .execute(rusqlite::params![id, now])
                    .doing("refreshing a finding")?;
            }
            Step::Close { id } => {
                tx.prepare_cached(
                    "UPDATE findings SET status = 'CLOSED', updated_at = ?2 WHERE id = ?1",
                )
                .doing("closing a finding")?
                .execute(rusqlite::params![id, now])
                .doing("closing a finding")?;
                summary.closed += 1;
            }
        }
    }
    Ok(summary)
}

fn update_content(
    tx: &Transaction<'_>,
    id: i64,
    f: &NewFinding,
    hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE findings SET arn = ?2, related = ?3, vulnerability_source = ?4, severity = ?5, severity_rank = ?6,
            inspector_score = ?7, epss = ?8, vendor_severity = ?9, fix_available = ?10, exploit_available = ?11,
            title = ?12, pkg_version = ?13, pkg_epoch = ?14, pkg_release = ?15, pkg_arch = ?16, layer_hash = ?17,
            component_key = ?18, content_hash = ?19, body = ?20, updated_at = ?21
         WHERE id = ?1",
    )
    .doing("updating a finding")?
    .execute(rusqlite::params![
        id,
        f.arn,
        criteria::multi(&f.related).unwrap_or_default(),
        f.vulnerability_source,
        f.severity,
        f.severity_rank,
        f.inspector_score,
        f.epss,
        f.vendor_severity,
        f.fix_available,
        f.exploit_available,
        f.title,
        f.pkg_version,
        f.pkg_epoch,
        f.pkg_release,
        f.pkg_arch,
        f.layer_hash,
        f.component_key,
        hash,
        compress(&f.body),
        now
    ])
    .doing("updating a finding")?;
    Ok(())
}

fn suppression_rules(tx: &Transaction<'_>, account: &str) -> Result<Vec<Criteria>, StoreError> {
    let mut st = tx
        .prepare_cached(
            "SELECT criteria FROM filters WHERE account_id = ?1 AND action = 'SUPPRESS' ORDER BY arn",
        )
        .doing("reading suppression rules")?;
    let rows = st
        .query_map([account], |r| r.get::<_, String>(0))
        .doing("reading suppression rules")?;
    let mut out = Vec::new();
    for row in rows {
        let text = row.doing("reading suppression rules")?;
        out.push(
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                what: "suppression rule",
                reason: e.to_string(),
            })?,
        );
    }
    Ok(out)
}

/// Sets open findings SUPPRESSED when a rule matches them and ACTIVE when none does; only
/// findings whose status changes are written (and get a new `updatedAt`).
fn apply_suppression(
    tx: &Transaction<'_>,
    account: &str,
    resource_pk: Option<i64>,
    rules: &[Criteria],
    now: i64,
) -> Result<usize, StoreError> {
    let mut matching = Sql::default();
    matching.text = "SELECT f.id FROM findings f JOIN resources r ON r.pk = f.resource_pk WHERE f.account_id = ?".into();
    matching.params.push(Param::Text(account.into()));
    if let Some(pk) = resource_pk {
        matching.text.push_str(" AND f.resource_pk = ?");
        matching.params.push(Param::Int(pk));
    }
    if rules.is_empty() {
        matching.text.push_str(" AND 1 = 0");
    } else {
        matching.text.push_str(" AND (0 = 1");
        for rule in rules {
            let mut one = Sql::default();
            criteria::compile(rule, Over::Findings, &mut one);
            matching.text.push_str(" OR (1 = 1");
            matching.text.push_str(&one.text);
            matching.text.push(')');
            matching.params.extend(one.params);
        }
        matching.text.push(')');
    }
    let scope = if resource_pk.is_some() {
        " AND resource_pk = ?"
    } else {
        ""
    };
    let mut changed = 0;
    for (from, to, op) in [("ACTIVE", "SUPPRESSED", "IN"), ("SUPPRESSED", "ACTIVE", "NOT IN")] {
        let text = format!(
            "UPDATE findings SET status = '{to}', updated_at = ? WHERE account_id = ?{scope} AND status = '{from}' AND id {op} ({})",
            matching.text
        );
        let mut params = vec![Param::Int(now), Param::Text(account.into())];
        if let Some(pk) = resource_pk {
            params.push(Param::Int(pk));
        }
        params.extend(matching.params.iter().cloned());
        changed += tx
            .prepare_cached(&text)
            .doing("applying suppression rules")?
            .execute(rusqlite::params_from_iter(params.iter()))
            .doing("applying suppression rules")?;
    }
    Ok(changed)
}
