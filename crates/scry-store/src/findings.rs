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
/// given and returned with the lifecycle fields the store owns. When a caller splits the
/// object, `body` holds what is this finding's own and `shared` what many findings carry
/// alike (an advisory's text, scores and references): `shared` is stored once per distinct
/// content, and a reader gets both parts back to join.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewFinding {
    /// The identity: hash of (account, resource, vulnerability, package, path).
    pub key: String,
    pub arn: String,
    /// The columns every finding of one vulnerability on one package version carries alike
    /// (shared, not copied, between the findings of many resources).
    pub facts: std::sync::Arc<FindingFacts>,
    pub pkg_path: String,
    pub layer_hash: Option<String>,
    /// The advisory database's `ecosystem\tname` key of the package matched.
    pub component_key: String,
    /// The API's finding object (JSON), or its own part when `shared` is given.
    pub body: Vec<u8>,
    /// The part of the object many findings share, kept once per distinct content.
    pub shared: Option<SharedPart>,
    /// The bodies hashed and compressed ahead of the write (see [`ScanWrite::seal`]).
    pub sealed: Option<Sealed>,
}

/// A finding's columns that depend only on the vulnerability and the package version found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingFacts {
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
}

/// The part of a finding's object that many findings share (JSON), hashed once however many
/// findings carry it (cloning it shares the bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPart {
    hash: [u8; 16],
    json: std::sync::Arc<Vec<u8>>,
}

impl SharedPart {
    pub fn new(json: Vec<u8>) -> SharedPart {
        let mut hash = [0u8; 16];
        hash.copy_from_slice(&Sha256::digest(&json)[..16]);
        SharedPart {
            hash,
            json: std::sync::Arc::new(json),
        }
    }
}

/// Bodies as the store keeps them: the content hash, the own body as stored, and the shared
/// part with its hash. Made by [`ScanWrite::seal`] on the caller's thread, so that the one
/// writer only writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    hash: String,
    /// The bytes to store, or (`compressed` false) the body they are compressed from when it
    /// is written.
    bytes: Vec<u8>,
    compressed: bool,
    /// Compressed by the writer only when that content is not stored yet.
    shared: Option<SharedPart>,
}

impl Sealed {
    /// A finding's bodies: the content hash is the first 16 bytes of SHA-256 over both. The
    /// own body is compressed now when `compress`, else by the writer if it writes it.
    fn of(body: Vec<u8>, shared: Option<SharedPart>, compress: bool) -> Sealed {
        let mut content = Sha256::new();
        content.update(&body);
        if let Some(s) = &shared {
            content.update([0xff]);
            content.update(s.hash);
        }
        Sealed {
            hash: hex::encode(&content.finalize()[..16]),
            bytes: if compress {
                compress_small(&body)
            } else {
                body
            },
            compressed: compress,
            shared,
        }
    }

    /// An inventory's body: the hash is its whole SHA-256 digest.
    fn of_inventory(body: &[u8]) -> Sealed {
        Sealed {
            hash: hex::encode(Sha256::digest(body)),
            bytes: compress_framed(body),
            compressed: true,
            shared: None,
        }
    }

    /// The own body's bytes as stored.
    fn stored(&self) -> std::borrow::Cow<'_, [u8]> {
        if self.compressed {
            std::borrow::Cow::Borrowed(&self.bytes)
        } else {
            std::borrow::Cow::Owned(compress_small(&self.bytes))
        }
    }
}

impl NewFinding {
    /// The bodies' hashes and stored bytes, sealed now unless they were before.
    fn sealed(&self) -> std::borrow::Cow<'_, Sealed> {
        match &self.sealed {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => {
                std::borrow::Cow::Owned(Sealed::of(self.body.clone(), self.shared.clone(), true))
            }
        }
    }
}

/// The current inventory of a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryRecord {
    pub collected_at: i64,
    /// JSON of the inventory (compressed by the store).
    pub body: Vec<u8>,
    /// `body` digested and compressed ahead of the write (see [`ScanWrite::seal`]).
    pub sealed: Option<Sealed>,
    /// Every `ecosystem\tname` key the inventory's packages are matched under.
    pub component_keys: Vec<String>,
    pub packages: usize,
    /// Parts of `body` a re-evaluation can read alone (byte ranges): part 0 is what every
    /// read needs (the caller decides: Scry's service puts the distro there), the others are
    /// packages. `part_keys` says which part each key of `component_keys` names (index into
    /// `component_keys`, index into `parts`), so that a re-evaluation reads only the parts a
    /// changed advisory names. Both empty when the caller does not know them.
    pub parts: Vec<std::ops::Range<u32>>,
    pub part_keys: Vec<(u32, u32)>,
}

/// Which findings of the resource a scan speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A full scan: findings not in it close.
    All,
    /// A re-evaluation of some packages: only findings on these component keys are touched.
    Components(Vec<String>),
    /// A re-evaluation of some findings: only stored findings with these identity keys are
    /// touched (the scan's findings must be among them; those stored and not in the scan
    /// close).
    Findings(Vec<String>),
}

/// One scan of one resource to write.
#[derive(Debug, Clone)]
pub struct ScanWrite {
    pub resource: ResourceInfo,
    /// A new inventory (full scans: the findings seen get a new `lastObservedAt`), or `None`
    /// (re-evaluation of the stored one: only changed findings are written).
    pub inventory: Option<InventoryRecord>,
    pub findings: Vec<NewFinding>,
    pub scope: Scope,
    /// `push`, `upload`, `reevaluate`, `enable`.
    pub trigger: String,
    /// Coverage status after this scan: (`ACTIVE`/`INACTIVE`, reason).
    pub status: (String, String),
}

impl ScanWrite {
    /// Hashes and compresses the bodies now, on the calling thread: [`Store::write_scans`]
    /// runs on the single writer, which should spend its time writing. The JSON bodies move
    /// into the sealed ones. A re-evaluation's findings are hashed only: most come out as
    /// they are stored, and the writer compresses the few it writes.
    pub fn seal(&mut self) {
        let compress = matches!(self.scope, Scope::All);
        for f in &mut self.findings {
            if f.sealed.is_none() {
                f.sealed = Some(Sealed::of(
                    std::mem::take(&mut f.body),
                    f.shared.take(),
                    compress,
                ));
            }
        }
        if let Some(inv) = &mut self.inventory {
            if inv.sealed.is_none() {
                inv.sealed = Some(Sealed::of_inventory(&inv.body));
                inv.body = Vec::new();
            }
        }
    }
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

/// A finding read back: the body as stored (and its shared part, when it was split) and the
/// fields the store owns.
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
    pub shared: Option<Vec<u8>>,
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

thread_local! {
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Compressor::new(1).ok());
    /// Creating a decompression context costs about as much as decompressing a finding.
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
}

/// Bodies smaller than this are kept as they are: zstd gains little on them and costs a
/// table build per call. [`decompress`] tells the two apart by zstd's magic number (a JSON
/// body starts with `{`).
const COMPRESS_FROM: usize = 512;

fn compress_small(body: &[u8]) -> Vec<u8> {
    if body.len() < COMPRESS_FROM {
        body.to_vec()
    } else {
        compress(body)
    }
}

/// zstd level 1, with the content size recorded (see [`decompress`]); one compression
/// context per thread.
fn compress(body: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|c| {
        c.borrow_mut()
            .as_mut()
            .and_then(|c| c.compress(body).ok())
            .unwrap_or_else(|| zstd::bulk::compress(body, 1).unwrap_or_default())
    })
}

/// Bodies over this size after decompression are refused as damaged.
const MAX_BODY: usize = 64 << 20;

/// Decompresses a stored body (a finding's own part or shared text) into a buffer of exactly
/// its recorded size (every body is written by [`compress`], which records it), refusing
/// sizes over [`MAX_BODY`]; a body stored as it was (see `compress_small`) comes back as is.
fn decompress(what: &'static str, body: &[u8]) -> Result<Vec<u8>, StoreError> {
    if !body.starts_with(&zstd::zstd_safe::MAGICNUMBER.to_le_bytes()) {
        return Ok(body.to_vec());
    }
    Ok(decompress_frames(what, body, |_| None)?.0)
}

/// Byte ranges of a decompressed inventory.
type Spans = Vec<std::ops::Range<usize>>;

/// Inventories are compressed in frames of this many bytes, so that a re-evaluation
/// decompresses only the frames holding the packages it reads (see
/// [`decompress_frames`]). Concatenated zstd frames are one valid zstd stream.
const INVENTORY_FRAME: usize = 8 << 10;

fn compress_framed(body: &[u8]) -> Vec<u8> {
    if body.is_empty() {
        return compress(body);
    }
    let mut out = Vec::with_capacity(body.len() / 4 + 64);
    for chunk in body.chunks(INVENTORY_FRAME) {
        out.extend_from_slice(&compress(chunk));
    }
    out
}

/// Decompresses zstd frames (an inventory's, or one body's): every frame, or with `wanted`,
/// only the frames that
/// overlap the byte ranges it gives for the decompressed length — then the body returned
/// holds those frames alone, one after the other, and the ranges returned are where the
/// asked ranges lie in it. An inventory written as one frame (before frames) is one frame
/// here. Frames are checked as they are walked: each must be zstd, record its size, and the
/// total stay within [`MAX_BODY`].
fn decompress_frames(
    what: &'static str,
    blob: &[u8],
    wanted: impl FnOnce(usize) -> Option<Spans>,
) -> Result<(Vec<u8>, Option<Spans>), StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt { what, reason };
    let mut frames = Vec::new();
    let (mut c, mut len) = (0usize, 0usize);
    while c < blob.len() {
        let rest = &blob[c..];
        if !rest.starts_with(&zstd::zstd_safe::MAGICNUMBER.to_le_bytes()) {
            return Err(corrupt(format!("no zstd frame at byte {c}")));
        }
        let size = zstd::zstd_safe::get_frame_content_size(rest)
            .map_err(|_| corrupt(format!("a damaged zstd frame at byte {c}")))?
            .ok_or_else(|| corrupt(format!("a zstd frame without a content size at byte {c}")))?;
        let clen = zstd::zstd_safe::find_frame_compressed_size(rest)
            .map_err(|_| corrupt(format!("a truncated zstd frame at byte {c}")))?;
        let end = usize::try_from(size)
            .ok()
            .and_then(|s| len.checked_add(s))
            .filter(|e| *e <= MAX_BODY)
            .ok_or_else(|| corrupt(format!("more than {MAX_BODY} bytes when decompressed")))?;
        frames.push((c..c + clen, len..end));
        c += clen;
        len = end;
    }
    let ranges = wanted(len);
    // The frames to decompress, each with where it starts in the inventory and in `body`.
    let mut starts = Vec::new();
    let mut size = 0;
    let needed: Vec<_> = frames
        .into_iter()
        .filter(|(_, plain)| {
            ranges.as_ref().is_none_or(|rs| {
                rs.iter()
                    .any(|r| r.start < plain.end && plain.start < r.end)
            })
        })
        .inspect(|(_, plain)| {
            starts.push((plain.start, size));
            size += plain.len();
        })
        .collect();
    let mut body = vec![0u8; size];
    DECOMPRESSOR.with(|d| -> Result<(), StoreError> {
        let mut d = d.borrow_mut();
        let mut fresh = None;
        let d = match d.as_mut() {
            Some(d) => d,
            None => {
                fresh.insert(zstd::bulk::Decompressor::new().map_err(|e| corrupt(e.to_string()))?)
            }
        };
        for ((compressed, plain), (_, at)) in needed.into_iter().zip(&starts) {
            let n = d
                .decompress_to_buffer(&blob[compressed], &mut body[*at..*at + plain.len()])
                .map_err(|e| corrupt(e.to_string()))?;
            if n != plain.len() {
                return Err(corrupt(format!(
                    "a frame gave {n} bytes where it recorded {}",
                    plain.len()
                )));
            }
        }
        Ok(())
    })?;
    // A range lies in consecutive frames, all decompressed (each overlaps it) and so
    // consecutive in `body` too: the frame it starts in says how far it moves.
    let ranges = ranges.map(|rs| {
        rs.into_iter()
            .map(|r| {
                if r.is_empty() {
                    return 0..0;
                }
                let (plain, at) = starts[starts
                    .partition_point(|(p, _)| *p <= r.start)
                    .saturating_sub(1)];
                r.start - plain + at..r.end - plain + at
            })
            .collect()
    });
    Ok((body, ranges))
}

/// Tags of many resources at once.
pub(crate) fn tags_of_many(
    conn: &rusqlite::Connection,
    pks: &[i64],
) -> Result<HashMap<i64, BTreeMap<String, String>>, StoreError> {
    let mut out: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
    let mut st = conn
        .prepare_cached("SELECT key, value FROM resource_tags WHERE resource_pk = ?1")
        .doing("reading tags")?;
    for pk in pks {
        let rows = st
            .query_map([pk], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .doing("reading tags")?;
        let entry = out.entry(*pk).or_default();
        for row in rows {
            let (k, v) = row.doing("reading tags")?;
            entry.insert(k, v);
        }
    }
    Ok(out)
}

const FINDING_COLUMNS: &str = "f.id, f.arn, f.status, f.first_observed_at, f.last_observed_at, f.updated_at, f.resource_pk, f.body, t.body";
/// Joins each finding to its shared part.
const JOIN_TEXTS: &str = "LEFT JOIN finding_texts t ON t.hash = f.text_hash";

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
        shared: r.get(8)?,
    })
}

fn decode_rows(rows: Vec<FindingRow>) -> Result<Vec<FindingRow>, StoreError> {
    rows.into_iter()
        .map(|mut f| {
            f.body = decompress("finding", &f.body)?;
            if let Some(s) = &f.shared {
                f.shared = Some(decompress("finding text", s)?);
            }
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
        let mut known = self.components.lock().unwrap_or_else(|e| e.into_inner());
        let mut added: Vec<String> = Vec::new();
        let result = write_scans_in(&tx, scans, now, &mut known, &mut added).and_then(|out| {
            tx.commit().doing("committing a scan write")?;
            Ok(out)
        });
        if result.is_err() {
            // Ids numbered in the rolled-back transaction do not exist.
            for k in added {
                known.remove(&k);
            }
        }
        result
    }

    /// Resources whose inventory holds any of these component keys: (pk, account, type).
    pub fn resources_with_components(
        &self,
        keys: &[String],
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let wanted = self.component_ids(keys)?;
        let conn = self.read();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut st = conn
            .prepare_cached(
                "SELECT i.resource_pk, i.components, r.account_id, r.resource_type FROM inventories i JOIN resources r ON r.pk = i.resource_pk ORDER BY i.resource_pk",
            )
            .doing("finding inventories to re-evaluate")?;
        let mut rows = st.query([]).doing("finding inventories to re-evaluate")?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().doing("finding inventories to re-evaluate")? {
            let blob = row.get_ref(1).doing("finding inventories to re-evaluate")?;
            let blob = blob.as_blob().unwrap_or_default();
            let holds = blob.chunks_exact(4).any(|c| {
                let id = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                wanted.binary_search(&id).is_ok()
            });
            if holds {
                out.push((
                    row.get(0).doing("finding inventories to re-evaluate")?,
                    row.get(2).doing("finding inventories to re-evaluate")?,
                    row.get(3).doing("finding inventories to re-evaluate")?,
                ));
            }
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
        Ok(Some((
            res,
            decompress_frames("inventory", &body, |_| None)?.0,
        )))
    }

    /// A stored inventory for re-evaluation: its resource (without tags), its decompressed
    /// body, and the byte ranges of part 0 and of the parts that name any of `keys` (see
    /// [`InventoryRecord::parts`]) — `None` when the inventory was stored without parts,
    /// and the whole body must be read. With ranges, only the compressed frames holding
    /// them are decompressed, and the body holds those frames alone (the ranges point into
    /// it).
    #[allow(clippy::type_complexity)]
    pub fn inventory_parts(
        &self,
        pk: i64,
        keys: &[u32],
    ) -> Result<Option<(ResourceRow, Vec<u8>, Option<Vec<std::ops::Range<usize>>>)>, StoreError>
    {
        let row: Option<(Vec<u8>, Option<Vec<u8>>)> = self
            .read()
            .query_row(
                "SELECT body, parts FROM inventories WHERE resource_pk = ?1",
                [pk],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .doing("reading an inventory")?;
        let Some((body, parts)) = row else {
            return Ok(None);
        };
        // Without its tags: a re-evaluation keeps them as they are.
        let sql = format!("SELECT {RESOURCE_COLUMNS} FROM resources r WHERE r.pk = ?1");
        let Some(res) = self
            .read()
            .prepare_cached(&sql)
            .doing("reading a resource")?
            .query_row([pk], resource_row)
            .optional()
            .doing("reading a resource")?
        else {
            return Ok(None);
        };
        let (body, ranges) = decompress_frames("inventory", &body, |len| {
            parts.and_then(|p| wanted_parts(&p, keys, len))
        })?;
        Ok(Some((res, body, ranges)))
    }

    /// The ids of component keys (those never stored are left out), sorted.
    pub fn component_ids(&self, keys: &[String]) -> Result<Vec<u32>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached("SELECT id FROM components WHERE key = ?1")
            .doing("reading component ids")?;
        let mut out = Vec::new();
        for k in keys {
            if let Some(id) = st
                .query_row([k], |r| r.get::<_, i64>(0))
                .optional()
                .doing("reading component ids")?
            {
                out.push(id as u32);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Tags of resources, by pk (resources without tags map to an empty set).
    pub fn tags(&self, pks: &[i64]) -> Result<HashMap<i64, BTreeMap<String, String>>, StoreError> {
        tags_of_many(&self.read(), pks)
    }

    pub fn resource_by_pk(&self, pk: i64) -> Result<Option<ResourceRow>, StoreError> {
        let conn = self.read();
        let sql = format!("SELECT {RESOURCE_COLUMNS} FROM resources r WHERE r.pk = ?1");
        let row = conn
            .prepare_cached(&sql)
            .doing("reading a resource")?
            .query_row([pk], resource_row)
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
        let mut sql = Sql::new(
            format!(
            "SELECT {FINDING_COLUMNS}, {expr} FROM findings f JOIN resources r ON r.pk = f.resource_pk {JOIN_TEXTS} WHERE f.account_id = ?"
        ),
            vec![Param::Text(q.account_id.into())],
        );
        criteria::compile(q.criteria, Over::Findings, &mut sql);
        let (cmp, order) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some(c) = &q.after {
            let v = value_param(&c.value);
            sql.text.push_str(&format!(
                " AND ({expr} {cmp} ? OR ({expr} = ? AND f.id > ?))"
            ));
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
                let v: rusqlite::types::Value = r.get(9)?;
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
        let mut sql = Sql::new(
            "SELECT count(*) FROM findings f JOIN resources r ON r.pk = f.resource_pk WHERE f.account_id = ?",
            vec![Param::Text(account_id.into())],
        );
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
            "SELECT {FINDING_COLUMNS} FROM findings f {JOIN_TEXTS} WHERE f.id = ?1 AND f.account_id = ?2 AND f.arn = ?3"
        );
        let mut st = conn.prepare_cached(&sql).doing("reading findings")?;
        let mut out = Vec::new();
        for arn in arns {
            let Some(id) = finding_id_of_arn(arn) else {
                continue;
            };
            if let Some(row) = st
                .query_row(rusqlite::params![id, account_id, arn], finding_row)
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

fn write_scans_in(
    tx: &Transaction<'_>,
    scans: &[ScanWrite],
    now: i64,
    known: &mut HashMap<String, u32>,
    added: &mut Vec<String>,
) -> Result<Vec<ScanSummary>, StoreError> {
    let mut out = Vec::with_capacity(scans.len());
    let mut rules: HashMap<String, Vec<Criteria>> = HashMap::new();
    // Shared parts known to be stored (many findings of a batch carry the same ones).
    let mut texts: HashSet<[u8; 16]> = HashSet::new();
    // Findings opened here are numbered here (the ARN carries the number; see `numbered_arn`).
    let mut next_id: i64 = tx
        .query_row("SELECT coalesce(max(id), 0) + 1 FROM findings", [], |r| {
            r.get(0)
        })
        .doing("numbering findings")?;
    for scan in scans {
        let pk = upsert_resource(tx, &scan.resource, now, Some(&scan.status))?;
        if let Some(inv) = &scan.inventory {
            write_inventory(tx, pk, inv, known, added)?;
        }
        let mut summary = reconcile_findings(tx, pk, scan, now, &mut next_id, &mut texts)?;
        let account = &scan.resource.account_id;
        if !rules.contains_key(account) {
            rules.insert(account.clone(), suppression_rules(tx, account)?);
        }
        if !rules[account].is_empty() {
            summary.suppressed = apply_suppression(tx, account, Some(pk), &rules[account], now)?;
        }
        tx.prepare_cached(
            "INSERT INTO scans (resource_pk, at, trigger, packages, opened, reopened, closed, updated, unchanged)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .doing("recording a scan")?
        .execute(rusqlite::params![
            pk,
            now,
            scan.trigger,
            scan.inventory.as_ref().map_or(-1, |i| i.packages as i64),
            summary.opened as i64,
            summary.reopened as i64,
            summary.closed as i64,
            summary.updated as i64,
            summary.unchanged as i64
        ])
        .doing("recording a scan")?;
        out.push(summary);
    }
    Ok(out)
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
    known: &mut HashMap<String, u32>,
    added: &mut Vec<String>,
) -> Result<(), StoreError> {
    let sealed = match &inv.sealed {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(Sealed::of_inventory(&inv.body)),
    };
    // The id of each key, in the order of `component_keys`.
    let mut ids: Vec<u32> = Vec::with_capacity(inv.component_keys.len());
    {
        let mut find = tx
            .prepare_cached("SELECT id FROM components WHERE key = ?1")
            .doing("numbering components")?;
        let mut add = tx
            .prepare_cached("INSERT INTO components (key) VALUES (?1) RETURNING id")
            .doing("numbering components")?;
        for k in &inv.component_keys {
            if let Some(id) = known.get(k) {
                ids.push(*id);
                continue;
            }
            let id: i64 = match find
                .query_row([k], |r| r.get(0))
                .optional()
                .doing("numbering components")?
            {
                Some(id) => id,
                None => {
                    added.push(k.clone());
                    add.query_row([k], |r| r.get(0))
                        .doing("numbering components")?
                }
            };
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            known.insert(k.clone(), id);
            ids.push(id);
        }
    }
    let parts = parts_index(inv, &ids);
    ids.sort_unstable();
    ids.dedup();
    let blob: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
    tx.prepare_cached(
        "INSERT INTO inventories (resource_pk, collected_at, digest, components, body, parts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (resource_pk) DO UPDATE SET collected_at = excluded.collected_at, digest = excluded.digest,
            components = excluded.components, body = excluded.body, parts = excluded.parts",
    )
    .doing("writing an inventory")?
    .execute(rusqlite::params![pk, inv.collected_at, sealed.hash, blob, sealed.bytes, parts])
    .doing("writing an inventory")?;
    tx.prepare_cached("UPDATE resources SET packages = ?2 WHERE pk = ?1")
        .doing("writing an inventory")?
        .execute(rusqlite::params![pk, inv.packages as i64])
        .doing("writing an inventory")?;
    Ok(())
}

/// The ARN the store gives finding number `id`: the caller's ARN with the 32 hex digits after
/// `finding/` replaced by the number (16) and the first 16 of the identity key, so that a
/// lookup by ARN reads the primary key rather than an index of random keys (which every
/// ingest would have to update page by page).
fn numbered_arn(arn: &str, id: i64, key: &str) -> String {
    let prefix = arn.rsplit_once('/').map_or(arn, |(p, _)| p);
    format!("{prefix}/{id:016x}{}", key.get(..16).unwrap_or(key))
}

/// The finding number an ARN of [`numbered_arn`]'s making carries.
pub fn finding_id_of_arn(arn: &str) -> Option<i64> {
    let tail = arn.rsplit_once("/")?.1;
    if tail.len() != 32 {
        return None;
    }
    i64::from_str_radix(tail.get(..16)?, 16).ok()
}

/// The `parts` column: little-endian u32s — the number of parts, each part's start and end,
/// then (component id, part) pairs sorted by id. `None` when the record has no parts.
fn parts_index(inv: &InventoryRecord, key_ids: &[u32]) -> Option<Vec<u8>> {
    if inv.parts.is_empty() {
        return None;
    }
    let mut pairs: Vec<(u32, u32)> = inv
        .part_keys
        .iter()
        .filter_map(|(k, p)| Some((*key_ids.get(*k as usize)?, *p)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = Vec::with_capacity(4 + inv.parts.len() * 8 + pairs.len() * 8);
    out.extend((inv.parts.len() as u32).to_le_bytes());
    for r in &inv.parts {
        out.extend(r.start.to_le_bytes());
        out.extend(r.end.to_le_bytes());
    }
    for (id, part) in pairs {
        out.extend(id.to_le_bytes());
        out.extend(part.to_le_bytes());
    }
    Some(out)
}

/// The byte ranges of part 0 and of the parts naming any of `wanted` (sorted component ids),
/// from a `parts` column; `None` when it is malformed or does not fit a body of `len` bytes.
fn wanted_parts(index: &[u8], wanted: &[u32], len: usize) -> Option<Spans> {
    let words: Vec<u32> = index
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let n = *words.first()? as usize;
    let spans = words.get(1..1 + 2 * n)?;
    let pairs = words.get(1 + 2 * n..)?;
    let span = |i: usize| -> Option<std::ops::Range<usize>> {
        let (s, e) = (*spans.get(2 * i)? as usize, *spans.get(2 * i + 1)? as usize);
        (s <= e && e <= len).then_some(s..e)
    };
    let mut parts: Vec<usize> = pairs
        .chunks_exact(2)
        .filter(|p| wanted.binary_search(&p[0]).is_ok())
        .map(|p| p[1] as usize)
        .filter(|p| *p > 0)
        .collect();
    parts.sort_unstable();
    parts.dedup();
    let mut out = vec![span(0)?];
    for p in parts {
        out.push(span(p)?);
    }
    Some(out)
}

fn reconcile_findings(
    tx: &Transaction<'_>,
    pk: i64,
    scan: &ScanWrite,
    now: i64,
    next_id: &mut i64,
    texts: &mut HashSet<[u8; 16]>,
) -> Result<ScanSummary, StoreError> {
    let mut stored: Vec<Stored> = Vec::new();
    // Severity ranks as stored: an update that leaves the rank alone must not touch the
    // severity index (SQLite rewrites an index entry whenever its column is assigned).
    let mut ranks: HashMap<i64, i64> = HashMap::new();
    {
        // A re-evaluation reads only the findings (on the components) it speaks for; the list
        // of keys is padded to a multiple of 8 so that few statement shapes are cached.
        let scoped = match &scan.scope {
            Scope::All => None,
            Scope::Components(keys) => Some(("component_key", keys)),
            Scope::Findings(keys) => Some(("finding_key", keys)),
        };
        let (sql, params): (String, Vec<&str>) = match scoped {
            None => (String::new(), Vec::new()),
            Some((_, keys)) if keys.is_empty() => (" AND 1 = 0".into(), Vec::new()),
            Some((column, keys)) => {
                let n = keys.len().div_ceil(8) * 8;
                let mut params: Vec<&str> = keys.iter().map(String::as_str).collect();
                params.resize(n, keys[0].as_str());
                let marks = vec!["?"; n].join(", ");
                (format!(" AND {column} IN ({marks})"), params)
            }
        };
        let mut st = tx
            .prepare_cached(&format!(
                "SELECT id, finding_key, status, updated_at, content_hash, severity_rank FROM findings WHERE resource_pk = ?{sql}"
            ))
            .doing("reading stored findings")?;
        let args = std::iter::once(&pk as &dyn rusqlite::ToSql)
            .chain(params.iter().map(|p| p as &dyn rusqlite::ToSql));
        let rows = st
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    Stored {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        closed: r.get::<_, String>(2)? == "CLOSED",
                        updated_at: r.get(3)?,
                        content_hash: r.get(4)?,
                    },
                    r.get::<_, i64>(5)?,
                ))
            })
            .doing("reading stored findings")?;
        for row in rows {
            let (s, rank) = row.doing("reading stored findings")?;
            ranks.insert(s.id, rank);
            stored.push(s);
        }
    }
    let sealed: Vec<_> = scan.findings.iter().map(NewFinding::sealed).collect();
    let new: Vec<(&str, &str)> = scan
        .findings
        .iter()
        .zip(&sealed)
        .map(|(f, s)| (f.key.as_str(), s.hash.as_str()))
        .collect();
    let mut summary = ScanSummary {
        resource_pk: pk,
        ..Default::default()
    };
    let res = &scan.resource;
    // A finding's content replaced by the scan's (new index `new`).
    let update = |id: i64, new: usize, texts: &mut HashSet<[u8; 16]>| {
        update_content(
            tx,
            id,
            &scan.findings[new],
            &sealed[new],
            now,
            texts,
            ranks.get(&id).copied(),
        )
    };
    for step in reconcile::plan(&stored, &new, now) {
        match step {
            Step::Open { new } => {
                let f = &scan.findings[new];
                let facts = &*f.facts;
                let mut st = tx
                    .prepare_cached(
                        "INSERT INTO findings (id, account_id, resource_pk, finding_key, arn, resource_type, resource_id,
                            finding_type, vulnerability_id, related, vulnerability_source, severity, severity_rank,
                            inspector_score, epss, vendor_severity, fix_available, exploit_available, title,
                            pkg_name, pkg_version, pkg_epoch, pkg_release, pkg_arch, pkg_path, layer_hash,
                            component_key, status, first_observed_at, last_observed_at, updated_at, content_hash, body,
                            text_hash)
                         VALUES (?31, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, 'ACTIVE', ?27, ?27, ?27, ?28, ?29, ?30)",
                    )
                    .doing("opening a finding")?;
                let id = *next_id;
                *next_id += 1;
                st.execute(rusqlite::params![
                    res.account_id,
                    pk,
                    f.key,
                    numbered_arn(&f.arn, id, &f.key),
                    res.resource_type,
                    res.resource_id,
                    facts.finding_type,
                    facts.vulnerability_id,
                    criteria::multi(&facts.related).unwrap_or_default(),
                    facts.vulnerability_source,
                    facts.severity,
                    facts.severity_rank,
                    facts.inspector_score,
                    facts.epss,
                    facts.vendor_severity,
                    facts.fix_available,
                    facts.exploit_available,
                    facts.title,
                    facts.pkg_name,
                    facts.pkg_version,
                    facts.pkg_epoch,
                    facts.pkg_release,
                    facts.pkg_arch,
                    f.pkg_path,
                    f.layer_hash,
                    f.component_key,
                    now,
                    sealed[new].hash,
                    sealed[new].stored(),
                    write_text(tx, &sealed[new], texts)?,
                    id
                ])
                .doing("opening a finding")?;
                summary.opened += 1;
            }
            Step::Reopen { id, new, fresh } => {
                update(id, new, texts)?;
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
                    update(id, new, texts)?;
                    summary.updated += 1;
                } else {
                    summary.unchanged += 1;
                }
                // Seen again only when the resource was scanned; a re-evaluation of the stored
                // inventory observes nothing new and leaves `lastObservedAt` alone.
                if scan.inventory.is_some() {
                    tx.prepare_cached("UPDATE findings SET last_observed_at = ?2 WHERE id = ?1")
                        .doing("refreshing a finding")?
                        .execute(rusqlite::params![id, now])
                        .doing("refreshing a finding")?;
                }
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
    sealed: &Sealed,
    now: i64,
    texts: &mut HashSet<[u8; 16]>,
    stored_rank: Option<i64>,
) -> Result<(), StoreError> {
    let facts = &*f.facts;
    if stored_rank != Some(facts.severity_rank) {
        tx.prepare_cached("UPDATE findings SET severity_rank = ?2 WHERE id = ?1")
            .doing("updating a finding")?
            .execute(rusqlite::params![id, facts.severity_rank])
            .doing("updating a finding")?;
    }
    tx.prepare_cached(
        "UPDATE findings SET related = ?2, vulnerability_source = ?3, severity = ?4,
            inspector_score = ?5, epss = ?6, vendor_severity = ?7, fix_available = ?8, exploit_available = ?9,
            title = ?10, pkg_version = ?11, pkg_epoch = ?12, pkg_release = ?13, pkg_arch = ?14, layer_hash = ?15,
            component_key = ?16, content_hash = ?17, body = ?18, updated_at = ?19, text_hash = ?20
         WHERE id = ?1",
    )
    .doing("updating a finding")?
    .execute(rusqlite::params![
        id,
        criteria::multi(&facts.related).unwrap_or_default(),
        facts.vulnerability_source,
        facts.severity,
        facts.inspector_score,
        facts.epss,
        facts.vendor_severity,
        facts.fix_available,
        facts.exploit_available,
        facts.title,
        facts.pkg_version,
        facts.pkg_epoch,
        facts.pkg_release,
        facts.pkg_arch,
        f.layer_hash,
        f.component_key,
        sealed.hash,
        sealed.stored(),
        now,
        write_text(tx, sealed, texts)?
    ])
    .doing("updating a finding")?;
    Ok(())
}

/// Stores a finding's shared part unless that content is stored already (`known`: hashes
/// this transaction has seen stored); its key.
fn write_text(
    tx: &Transaction<'_>,
    sealed: &Sealed,
    known: &mut HashSet<[u8; 16]>,
) -> Result<Option<[u8; 16]>, StoreError> {
    let Some(SharedPart { hash, json }) = &sealed.shared else {
        return Ok(None);
    };
    if !known.insert(*hash) {
        return Ok(Some(*hash));
    }
    let stored = tx
        .prepare_cached("SELECT 1 FROM finding_texts WHERE hash = ?1")
        .doing("reading finding texts")?
        .exists([&hash[..]])
        .doing("reading finding texts")?;
    if !stored {
        tx.prepare_cached("INSERT INTO finding_texts (hash, body) VALUES (?1, ?2)")
            .doing("writing a finding text")?
            .execute(rusqlite::params![
                &hash[..],
                compress_small(json.as_slice())
            ])
            .doing("writing a finding text")?;
    }
    Ok(Some(*hash))
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
    let mut matching = Sql::new(
        "SELECT f.id FROM findings f JOIN resources r ON r.pk = f.resource_pk WHERE f.account_id = ?",
        vec![Param::Text(account.into())],
    );
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
    for (from, to, op) in [
        ("ACTIVE", "SUPPRESSED", "IN"),
        ("SUPPRESSED", "ACTIVE", "NOT IN"),
    ] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_parts_round_trip_and_refuse_what_does_not_fit() {
        let body = br#"{"distro":null,"packages":[{"a":1},{"b":2},{"c":3}]}"#;
        let inv = InventoryRecord {
            collected_at: 0,
            body: body.to_vec(),
            component_keys: vec!["k0".into(), "k1".into(), "k2".into()],
            packages: 3,
            // Part 0 the distro, then the three packages.
            parts: vec![10..14, 27..34, 35..42, 43..50],
            part_keys: vec![(0, 1), (1, 2), (2, 2), (2, 3)],
            sealed: None,
        };
        // Keys numbered 30, 10, 20 in the store.
        let index = parts_index(&inv, &[30, 10, 20]).unwrap();
        let text = |rs: Vec<std::ops::Range<usize>>| -> Vec<String> {
            rs.into_iter()
                .map(|r| String::from_utf8(body[r].to_vec()).unwrap())
                .collect()
        };
        assert_eq!(
            text(wanted_parts(&index, &[20], body.len()).unwrap()),
            ["null", r#"{"b":2}"#, r#"{"c":3}"#]
        );
        assert_eq!(
            text(wanted_parts(&index, &[10, 30], body.len()).unwrap()),
            ["null", r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(
            text(wanted_parts(&index, &[99], body.len()).unwrap()),
            ["null"]
        );
        // A body shorter than the index says, or a cut index, is refused (whole read).
        assert!(wanted_parts(&index, &[20], 40).is_none());
        assert!(wanted_parts(&index[..10], &[20], body.len()).is_none());
        assert!(wanted_parts(&[], &[20], body.len()).is_none());
        assert!(parts_index(
            &InventoryRecord {
                parts: Vec::new(),
                ..inv
            },
            &[]
        )
        .is_none());
    }

    #[test]
    fn framed_inventories_decompress_whole_or_only_the_frames_asked_for() {
        // Three frames and a bit: frame k holds bytes of value k.
        let body: Vec<u8> = (0..3 * INVENTORY_FRAME + 100)
            .map(|i| (i / INVENTORY_FRAME) as u8 + b'a')
            .collect();
        let blob = compress_framed(&body);
        let (whole, ranges) = decompress_frames("inventory", &blob, |_| None).unwrap();
        assert_eq!((whole == body, ranges), (true, None));
        // Frames are a zstd stream: any zstd reader gets the whole body.
        assert_eq!(zstd::stream::decode_all(&blob[..]).unwrap(), body);

        // A range in frame 1 and one across frames 2 and 3: frame 0 is not decompressed.
        let f = INVENTORY_FRAME;
        let asked = vec![f + 5..f + 9, 3 * f - 2..3 * f + 2];
        let (part, ranges) = decompress_frames("inventory", &blob, |len| {
            assert_eq!(len, body.len());
            Some(asked.clone())
        })
        .unwrap();
        // Frames 1 to 3 alone, the ranges pointing into them.
        assert_eq!(part[..], body[f..]);
        let ranges = ranges.unwrap();
        assert_eq!(ranges.len(), 2);
        for (got, want) in ranges.into_iter().zip(&asked) {
            assert_eq!(part[got], body[want.clone()]);
        }

        // Any set of ranges reads the bytes it names, wherever frames begin and end.
        let n = body.len();
        let asked2 = vec![0..1, f - 1..f + 1, 2 * f..2 * f + 1, n - 1..n, 5..5];
        let (part, ranges) =
            decompress_frames("inventory", &blob, |_| Some(asked2.clone())).unwrap();
        for (got, want) in ranges.unwrap().into_iter().zip(&asked2) {
            assert_eq!(part[got], body[want.clone()]);
        }

        // Empty bodies, and one body through `decompress`, read back too.
        assert!(
            decompress_frames("inventory", &compress_framed(b""), |_| None)
                .unwrap()
                .0
                .is_empty()
        );
        assert_eq!(decompress("finding", &compress(&body)).unwrap(), body);
        assert_eq!(decompress("finding", b"{}").unwrap(), b"{}");

        // An inventory stored as one frame (before frames) reads the same.
        let (old, _) =
            decompress_frames("inventory", &compress(&body), |_| Some(asked.clone())).unwrap();
        assert_eq!(old, body);

        // Damage is named, never a panic or a short body.
        let corrupt = |blob: &[u8]| match decompress_frames("inventory", blob, |_| None) {
            Err(StoreError::Corrupt { what, reason }) => format!("{what}: {reason}"),
            other => panic!("{other:?}"),
        };
        assert!(corrupt(&blob[..blob.len() - 3]).contains("truncated"));
        let mut tail = blob.clone();
        tail.extend_from_slice(b"{\"packages\":[]}");
        assert!(corrupt(&tail).contains("no zstd frame at byte"));
        // A frame claiming more than any body may hold is refused before allocating: magic,
        // a header with an 8-byte content size and a single segment, then one empty last
        // raw block.
        let mut bomb = zstd::zstd_safe::MAGICNUMBER.to_le_bytes().to_vec();
        bomb.push(0b1110_0000);
        bomb.extend_from_slice(&(MAX_BODY as u64 + 1).to_le_bytes());
        bomb.extend_from_slice(&[1, 0, 0]);
        assert!(corrupt(&bomb).contains("more than"), "{}", corrupt(&bomb));
    }
}
