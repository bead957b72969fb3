//! Container images on disk: `docker save` archives and OCI image layouts (a directory or a
//! tar of one). Each layer is streamed once, in order, straight from the archive.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::catalog::{Catalog, Limits};
use crate::layer::apply_layer;
use crate::path;
use crate::tree::Tree;
use crate::CollectError;

/// What is known of a collected image.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImageInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    pub repo_tags: Vec<String>,
    pub os: String,
    pub architecture: String,
    /// Layer digests, bottom first.
    pub layers: Vec<String>,
    /// How many layers came from the layer cache instead of being read (`Options::layer_cache`).
    #[serde(skip_serializing_if = "is_zero")]
    pub layers_cached: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

const SMALL: u64 = 16 << 20;

/// Somewhere image blobs and metadata files are read from.
pub(crate) trait Layout {
    fn has(&self, p: &str) -> bool;
    fn open(&self, p: &str) -> Result<Box<dyn Read + '_>, CollectError>;
    fn read_small(&self, p: &str) -> Result<Vec<u8>, CollectError> {
        let mut buf = Vec::new();
        self.open(p)?
            .take(SMALL + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CollectError::io(p, e))?;
        if buf.len() as u64 > SMALL {
            return Err(CollectError::Invalid(format!(
                "{p} is larger than {SMALL} bytes"
            )));
        }
        Ok(buf)
    }
    fn json(&self, p: &str) -> Result<Value, CollectError> {
        serde_json::from_slice(&self.read_small(p)?)
            .map_err(|e| CollectError::Invalid(format!("{p} is not valid JSON: {e}")))
    }
}

/// A tar file (docker save, OCI archive) indexed by member path; members are read by seeking.
pub(crate) struct TarLayout {
    file: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

impl TarLayout {
    pub fn open(file: &Path) -> Result<TarLayout, CollectError> {
        let f = File::open(file).map_err(|e| CollectError::io(&file.display().to_string(), e))?;
        let mut archive = tar::Archive::new(f);
        let mut members = HashMap::new();
        let entries = archive
            .entries_with_seek()
            .map_err(|e| CollectError::io(&file.display().to_string(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                CollectError::Invalid(format!("{} is not a readable tar: {e}", file.display()))
            })?;
            if !matches!(
                entry.header().entry_type(),
                tar::EntryType::Regular | tar::EntryType::Continuous
            ) {
                continue;
            }
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if let Ok(p) = path::normalize(&raw) {
                members.insert(p, (entry.raw_file_position(), entry.size()));
            }
        }
        Ok(TarLayout {
            file: file.to_path_buf(),
            members,
        })
    }
}

impl Layout for TarLayout {
    fn has(&self, p: &str) -> bool {
        self.members.contains_key(p)
    }
    fn open(&self, p: &str) -> Result<Box<dyn Read + '_>, CollectError> {
        let &(offset, size) = self.members.get(p).ok_or_else(|| {
            CollectError::Invalid(format!("{} has no member {p}", self.file.display()))
        })?;
        let mut f = File::open(&self.file)
            .map_err(|e| CollectError::io(&self.file.display().to_string(), e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| CollectError::io(p, e))?;
        Ok(Box::new(f.take(size)))
    }
}

/// An OCI image layout directory.
pub(crate) struct DirLayout(pub PathBuf);

impl DirLayout {
    fn path(&self, p: &str) -> Result<PathBuf, CollectError> {
        let rel = path::normalize(p).map_err(CollectError::Invalid)?;
        Ok(self.0.join(rel))
    }
}

impl Layout for DirLayout {
    fn has(&self, p: &str) -> bool {
        self.path(p).is_ok_and(|p| p.is_file())
    }
    fn open(&self, p: &str) -> Result<Box<dyn Read + '_>, CollectError> {
        let full = self.path(p)?;
        let f = File::open(&full).map_err(|e| CollectError::io(&full.display().to_string(), e))?;
        Ok(Box::new(f))
    }
}

/// Where each layer is in the layout, and its digest.
struct Plan {
    info: ImageInfo,
    layer_paths: Vec<String>,
}

fn blob_path(digest: &str) -> Result<String, CollectError> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| CollectError::Invalid(format!("digest {digest:?} has no algorithm")))?;
    if alg.is_empty()
        || hex.is_empty()
        || !hex.chars().all(|c| c.is_ascii_alphanumeric())
        || !alg.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(CollectError::Invalid(format!(
            "digest {digest:?} is malformed"
        )));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn plan(layout: &dyn Layout, platform: Option<&str>) -> Result<Plan, CollectError> {
    if layout.has("manifest.json") {
        let m = layout.json("manifest.json")?;
        let first = m
            .as_array()
            .and_then(|a| a.first())
            .ok_or_else(|| CollectError::Invalid("manifest.json lists no image".into()))?;
        let config_path = first["Config"]
            .as_str()
            .ok_or_else(|| CollectError::Invalid("manifest.json: image has no Config".into()))?;
        let config_path = path::normalize(config_path).map_err(CollectError::Invalid)?;
        let config_bytes = layout.read_small(&config_path)?;
        let config: Value = serde_json::from_slice(&config_bytes)
            .map_err(|e| CollectError::Invalid(format!("{config_path} is not valid JSON: {e}")))?;
        let diff_ids = strings(&config["rootfs"]["diff_ids"]);
        let mut layer_paths = Vec::new();
        let mut layers = Vec::new();
        for (i, l) in strings(&first["Layers"]).into_iter().enumerate() {
            let p = path::normalize(&l).map_err(CollectError::Invalid)?;
            let digest = match p.strip_prefix("blobs/sha256/") {
                Some(hex) => format!("sha256:{hex}"),
                None => diff_ids
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("layer:{p}")),
            };
            layers.push(digest);
            layer_paths.push(p);
        }
        let config_digest = format!(
            "sha256:{}",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&config_bytes))
        );
        return Ok(Plan {
            info: ImageInfo {
                manifest_digest: None,
                config_digest,
                repo_tags: strings(&first["RepoTags"]),
                os: config["os"].as_str().unwrap_or_default().to_string(),
                architecture: config["architecture"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                layers,
                layers_cached: 0,
            },
            layer_paths,
        });
    }
    if !layout.has("index.json") {
        return Err(CollectError::Invalid(
            "neither manifest.json (docker save) nor index.json (OCI layout) is present".into(),
        ));
    }
    let index = layout.json("index.json")?;
    let mut tags = Vec::new();
    let mut desc = choose(&index, platform, &mut tags)?;
    for _ in 0..4 {
        let digest = desc["digest"].as_str().unwrap_or_default().to_string();
        let doc = layout.json(&blob_path(&digest)?)?;
        let media = doc["mediaType"]
            .as_str()
            .or(desc["mediaType"].as_str())
            .unwrap_or_default();
        if media.contains("index")
            || media.contains("manifest.list")
            || doc.get("manifests").is_some()
        {
            desc = choose(&doc, platform, &mut tags)?;
            continue;
        }
        let config_digest = doc["config"]["digest"]
            .as_str()
            .ok_or_else(|| CollectError::Invalid(format!("manifest {digest} has no config")))?
            .to_string();
        let config = layout.json(&blob_path(&config_digest)?)?;
        let mut layer_paths = Vec::new();
        let mut layers = Vec::new();
        for l in doc["layers"].as_array().into_iter().flatten() {
            let d = l["digest"].as_str().ok_or_else(|| {
                CollectError::Invalid(format!("manifest {digest}: layer without digest"))
            })?;
            layer_paths.push(blob_path(d)?);
            layers.push(d.to_string());
        }
        return Ok(Plan {
            info: ImageInfo {
                manifest_digest: Some(digest),
                config_digest,
                repo_tags: tags,
                os: config["os"].as_str().unwrap_or_default().to_string(),
                architecture: config["architecture"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                layers,
                layers_cached: 0,
            },
            layer_paths,
        });
    }
    Err(CollectError::Invalid(
        "image indexes nest more than 4 deep".into(),
    ))
}

/// Picks the manifest for the platform (`os/arch[/variant]`) from an index; the only one when
/// there is one; otherwise the host's platform.
fn choose(
    index: &Value,
    platform: Option<&str>,
    tags: &mut Vec<String>,
) -> Result<Value, CollectError> {
    let list = index["manifests"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return Err(CollectError::Invalid(
            "image index lists no manifest".into(),
        ));
    }
    for m in &list {
        if let Some(t) = m["annotations"]["org.opencontainers.image.ref.name"].as_str() {
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
    }
    let real: Vec<&Value> = list
        .iter()
        .filter(|m| m["platform"]["architecture"].as_str() != Some("unknown"))
        .collect();
    if real.len() == 1 && platform.is_none() {
        return Ok(real[0].clone());
    }
    let want = platform.map(str::to_string).unwrap_or_else(host_platform);
    let mut parts = want.split('/');
    let (os, arch, variant) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next(),
    );
    let found = real.iter().find(|m| {
        let p = &m["platform"];
        p["os"].as_str() == Some(os)
            && p["architecture"].as_str() == Some(arch)
            && variant.is_none_or(|v| p["variant"].as_str() == Some(v))
    });
    match found {
        Some(m) => Ok((*m).clone()),
        None if real.len() == 1 && !real[0]["platform"].is_object() => Ok(real[0].clone()),
        None => {
            let have: Vec<String> = real
                .iter()
                .map(|m| {
                    let p = &m["platform"];
                    let mut s = format!(
                        "{}/{}",
                        p["os"].as_str().unwrap_or("?"),
                        p["architecture"].as_str().unwrap_or("?")
                    );
                    if let Some(v) = p["variant"].as_str() {
                        s.push('/');
                        s.push_str(v);
                    }
                    s
                })
                .collect();
            Err(CollectError::Invalid(format!(
                "the image has no manifest for platform {want}; it has: {} (choose one with --platform)",
                have.join(", ")
            )))
        }
    }
}

/// The host's platform in OCI terms (`linux/amd64`).
pub fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    format!("linux/{arch}")
}

/// Reads every layer of the image in the layout into the tree.
pub(crate) fn collect_layout(
    layout: &dyn Layout,
    platform: Option<&str>,
    catalog: &Catalog,
    limits: &Limits,
    tree: &mut Tree,
    progress: &dyn Fn(usize, usize),
) -> Result<ImageInfo, CollectError> {
    let plan = plan(layout, platform)?;
    let n = plan.layer_paths.len();
    for (i, (p, digest)) in plan.layer_paths.iter().zip(&plan.info.layers).enumerate() {
        progress(i, n);
        match layout.open(p) {
            Ok(r) => apply_layer(
                r,
                &format!("layer {digest}"),
                Some(digest),
                catalog,
                limits,
                tree,
            ),
            Err(e) => tree.diagnostics.push(scry_inventory::Diagnostic {
                location: format!("layer {digest}"),
                reason: format!("cannot open: {e}"),
            }),
        }
    }
    progress(n, n);
    Ok(plan.info)
}
