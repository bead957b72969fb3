//! Collection: from a target (directory, image archive, registry image, zip, SBOM, one file)
//! to an [`Inventory`] — every package with the file it was found in and, for images, the layer
//! that introduced it — plus the detected OS.
//!
//! Nothing is unpacked to disk: image layers are streamed once, in order, and only the parsed
//! packages of wanted files (and small release files) are kept while reading (see `tree`).
//! Hostile input (path traversal, links out of the root, decompression bombs, truncated or
//! corrupt data) yields diagnostics, never a panic, and the rest of the target is still read.
//!
//! Architecture invariant: no matching, no advisory database; catalogers are given in a
//! [`Catalog`], so this crate knows how to *walk*, not how to *parse* package databases.

#![forbid(unsafe_code)]

mod catalog;
mod dir;
mod image;
mod layer;
mod layer_cache;
pub mod path;
mod paths;
mod target;
mod tree;
mod zipfs;

use std::fs::File;
use std::io::BufReader;

use scry_inventory::purl::Purl;
use scry_inventory::{Diagnostic, FileInfo, Inventory};
use serde::Serialize;

pub use catalog::{Catalog, Limits, ReadFn};
pub use image::{host_platform, ImageInfo};
pub use paths::{collect_paths, OS_PACKAGE_DATABASES};
pub use target::{Target, PREFIXES};

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("registry: {0}")]
    Registry(String),
}

impl CollectError {
    pub(crate) fn io(path: &str, source: std::io::Error) -> CollectError {
        CollectError::Io {
            path: path.to_string(),
            source,
        }
    }
}

/// Progress of a collection, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// Layer `done` of `total` is being read.
    Layers { done: usize, total: usize },
}

/// How to reach registries and which image of an index to pick.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `os/arch[/variant]`; the host's platform when None.
    pub platform: Option<String>,
    pub limits: Limits,
    /// Explicit registry credentials (else the Docker config file, else anonymous).
    pub username: Option<String>,
    pub password: Option<String>,
    /// Registries reached over plain HTTP (localhost ones are tried that way anyway).
    pub insecure_registries: Vec<String>,
    /// A directory where what each registry layer yielded is kept by layer digest, so that
    /// layers shared between images are downloaded and read once (see `layer_cache`).
    pub layer_cache: Option<std::path::PathBuf>,
}

/// What a collection found.
#[derive(Debug, Clone, Serialize)]
pub struct Collected {
    pub target: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
    pub inventory: Inventory,
}

/// Collects the inventory of a target.
pub fn collect(
    target: &Target,
    catalog: &Catalog,
    opts: &Options,
    progress: &dyn Fn(Progress),
) -> Result<Collected, CollectError> {
    let mut tree = tree::Tree::default();
    let mut image = None;
    let layer_progress = |done, total| progress(Progress::Layers { done, total });
    let platform = opts.platform.as_deref();
    match target {
        Target::Dir(p) => {
            if !p.is_dir() {
                return Err(CollectError::Invalid(format!(
                    "{} is not a directory",
                    p.display()
                )));
            }
            dir::collect_dir(p, catalog, &mut tree);
        }
        Target::DockerArchive(p) | Target::OciArchive(p) => {
            let layout = image::TarLayout::open(p)?;
            image = Some(image::collect_layout(
                &layout,
                platform,
                catalog,
                &opts.limits,
                &mut tree,
                &layer_progress,
            )?);
        }
        Target::OciDir(p) => {
            let layout = image::DirLayout(p.clone());
            image = Some(image::collect_layout(
                &layout,
                platform,
                catalog,
                &opts.limits,
                &mut tree,
                &layer_progress,
            )?);
        }
        Target::Tarball(p) => {
            let f = File::open(p).map_err(|e| CollectError::io(&p.display().to_string(), e))?;
            layer::apply_layer(
                BufReader::new(f),
                &p.display().to_string(),
                None,
                catalog,
                &opts.limits,
                &mut tree,
            );
        }
        Target::Zip(p) => {
            let f = File::open(p).map_err(|e| CollectError::io(&p.display().to_string(), e))?;
            zipfs::collect_zip(BufReader::new(f), "", 0, catalog, &opts.limits, &mut tree);
        }
        Target::Registry(r) => {
            image = Some(registry::collect(
                r,
                catalog,
                opts,
                &mut tree,
                &layer_progress,
            )?);
        }
        Target::Sbom(p) => {
            let bytes = read_capped(p, 256 << 20)?;
            let inventory = scry_sbom::read_sbom(&bytes, &p.display().to_string())
                .map_err(|e| CollectError::Invalid(format!("{}: {e}", p.display())))?;
            return Ok(Collected {
                target: target.name(),
                kind: target.kind(),
                image: None,
                inventory,
            });
        }
        Target::File(p) => collect_file(p, catalog, &mut tree)?,
    }
    let inventory = finish(tree, catalog);
    Ok(Collected {
        target: target.name(),
        kind: target.kind(),
        image,
        inventory,
    })
}

fn read_capped(p: &std::path::Path, cap: u64) -> Result<Vec<u8>, CollectError> {
    use std::io::Read;
    let f = File::open(p).map_err(|e| CollectError::io(&p.display().to_string(), e))?;
    let mut bytes = Vec::new();
    f.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CollectError::io(&p.display().to_string(), e))?;
    if bytes.len() as u64 > cap {
        return Err(CollectError::Invalid(format!(
            "{} is larger than {cap} bytes",
            p.display()
        )));
    }
    Ok(bytes)
}

/// One file: the catalogers are asked by its name as written.
fn collect_file(
    p: &std::path::Path,
    catalog: &Catalog,
    tree: &mut tree::Tree,
) -> Result<(), CollectError> {
    let meta = std::fs::metadata(p).map_err(|e| CollectError::io(&p.display().to_string(), e))?;
    if !meta.is_file() {
        return Err(CollectError::Invalid(format!(
            "{} is not a file",
            p.display()
        )));
    }
    let shown = p
        .to_string_lossy()
        .trim_start_matches("./")
        .trim_start_matches('/')
        .to_string();
    #[cfg(unix)]
    let executable = {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    };
    #[cfg(not(unix))]
    let executable = false;
    let info = FileInfo {
        path: &shown,
        size: meta.len(),
        executable,
    };
    // A lone binary may lack its execute bit (downloaded, copied): ask as if it had it.
    let wanted = catalog.wanted(&info).or_else(|| {
        catalog.wanted(&FileInfo {
            executable: true,
            ..info
        })
    });
    let Some(wanted) = wanted else {
        let names: Vec<&str> = catalog.catalogers.iter().map(|c| c.name()).collect();
        return Err(CollectError::Invalid(format!(
            "no cataloger reads {} (recognised by file name; known: {})",
            p.display(),
            names.join(", ")
        )));
    };
    let info = FileInfo {
        executable: true,
        ..info
    };
    let mut f = File::open(p).map_err(|e| CollectError::io(&p.display().to_string(), e))?;
    let (packages, bytes) = catalog.handle(&info, &wanted, &mut f, None, &mut tree.diagnostics);
    tree.nodes
        .insert(shown, tree::Node::File { packages, bytes });
    Ok(())
}

/// Detects the OS, puts OS packages into its namespace, and orders the result.
fn finish(tree: tree::Tree, catalog: &Catalog) -> Inventory {
    let distro = (catalog.detect_distro)(&|p: &str| tree.read(p));
    let mut packages = tree.packages();
    if let Some(d) = &distro {
        for p in packages
            .iter_mut()
            .filter(|p| scry_inventory::is_os_cataloger(&p.found_by))
        {
            p.ecosystem = (catalog.os_ecosystem)(d, &p.found_by);
            if let Ok(mut purl) = Purl::parse(&p.purl) {
                if matches!(purl.ty.as_str(), "deb" | "rpm" | "apk") {
                    purl.namespace = Some(match d.id.as_str() {
                        "rhel" => "redhat".to_string(),
                        id => id.to_string(),
                    });
                    purl.qualifiers.retain(|(k, _)| k != "distro");
                    purl.qualifiers
                        .push(("distro".into(), format!("{}-{}", d.id, d.version_id)));
                    p.purl = purl.to_string();
                }
            }
        }
    }
    packages.sort_by(|a, b| {
        (&a.ecosystem, &a.name, &a.version, &a.location).cmp(&(
            &b.ecosystem,
            &b.name,
            &b.version,
            &b.location,
        ))
    });
    packages.dedup_by(|a, b| {
        a.name == b.name
            && a.version == b.version
            && a.location == b.location
            && a.found_by == b.found_by
    });
    let mut diagnostics = tree.diagnostics;
    diagnostics.dedup();
    Inventory {
        distro,
        packages,
        diagnostics,
    }
}

mod registry {
    use super::*;
    use scry_registry::{Client, ClientOptions, Credentials, Platform, Reference};

    pub(super) fn collect(
        reference: &str,
        catalog: &Catalog,
        opts: &Options,
        tree: &mut tree::Tree,
        progress: &dyn Fn(usize, usize),
    ) -> Result<ImageInfo, CollectError> {
        let r = Reference::parse(reference).map_err(|e| CollectError::Registry(e.to_string()))?;
        let platform = match &opts.platform {
            Some(p) => Platform::parse(p).map_err(|e| CollectError::Registry(e.to_string()))?,
            None => Platform::host(),
        };
        let credentials = match (&opts.username, &opts.password) {
            (Some(u), Some(p)) => Credentials::Basic {
                user: u.clone(),
                pass: p.clone(),
            },
            _ => scry_registry::docker_config_credentials(&r.registry)
                .unwrap_or(Credentials::Anonymous),
        };
        let client = Client::new(ClientOptions {
            credentials,
            insecure_http_hosts: opts.insecure_registries.clone(),
            ..ClientOptions::default()
        })
        .map_err(|e| CollectError::Registry(e.to_string()))?;
        let image = client
            .resolve(&r, &platform)
            .map_err(|e| CollectError::Registry(e.to_string()))?;
        let n = image.layers.len();
        let mut layers = Vec::new();
        let cache = opts
            .layer_cache
            .as_deref()
            .map(|d| layer_cache::LayerCache::new(d, catalog, &opts.limits));
        let mut layers_cached = 0;
        for (i, l) in image.layers.iter().enumerate() {
            progress(i, n);
            layers.push(l.digest.clone());
            let what = format!("layer {}", l.digest);
            let Some(cache) = &cache else {
                match client.open_blob(&r, l) {
                    Ok(blob) => layer::apply_layer(
                        blob,
                        &what,
                        Some(&l.digest),
                        catalog,
                        &opts.limits,
                        tree,
                    ),
                    Err(e) => tree.diagnostics.push(Diagnostic {
                        location: what,
                        reason: e.to_string(),
                    }),
                }
                continue;
            };
            if let Some(log) = cache.get(&l.digest) {
                log.replay(tree);
                layers_cached += 1;
                continue;
            }
            let mut blob = match client.open_blob(&r, l) {
                Ok(b) => b,
                Err(e) => {
                    tree.diagnostics.push(Diagnostic {
                        location: what,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let mut log = layer::LayerLog::default();
            let complete = layer::apply_layer_recording(
                &mut blob,
                &what,
                Some(&l.digest),
                catalog,
                &opts.limits,
                tree,
                Some(&mut log),
            );
            // Only a layer read to its end, with its digest verified, is remembered.
            match blob.finish() {
                Ok(_) if complete => cache.put(&l.digest, &log),
                Ok(_) => {}
                Err(e) => tree.diagnostics.push(Diagnostic {
                    location: what,
                    reason: e.to_string(),
                }),
            }
        }
        progress(n, n);
        Ok(ImageInfo {
            manifest_digest: Some(image.manifest_digest.clone()),
            config_digest: image.config_digest.clone(),
            repo_tags: r
                .tag
                .iter()
                .map(|t| format!("{}:{t}", r.repository))
                .collect(),
            os: image.config["os"].as_str().unwrap_or_default().to_string(),
            architecture: image.config["architecture"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            layers,
            layers_cached,
        })
    }
}
