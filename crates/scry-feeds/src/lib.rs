//! Parsers that turn advisory feeds into Scry's model, tolerant of bad records.
//!
//! Formats: OSV JSON and YAML (one record per file, arrays, and OSV's per-ecosystem `all.zip`),
//! RustSec's native TOML + Markdown, Alpine secdb, the CISA KEV catalog, EPSS daily CSV (plain
//! or gzipped), and NVD CVE API 2.0 JSON (pages or yearly feeds, plain or gzipped). Each file is
//! recognised by its name and content. Records stream to a sink as they are read, so a feed of
//! any size is never held in memory; a record that cannot be read becomes a [`Diagnostic`]
//! (where, which id, why) and the rest of the feed continues.
//!
//! Architecture invariant: no network, never writes to disk; reads only what it is given.
//! Decompression is capped in size and ratio.

mod alpine;
mod archive;
mod detect;
mod epss;
mod kev;
mod nvd;
mod osv;
mod rustsec;

use std::collections::BTreeMap;
use std::path::Path;

use scry_advisory::{Advisory, EpssScore, KevEntry, NvdCve};

pub use rustsec::safe_to_affected_events;

/// One record read from a feed.
#[derive(Debug, Clone)]
pub enum Record {
    Advisory(Box<Advisory>),
    Kev(KevEntry),
    Epss(EpssScore),
    Nvd(Box<NvdCve>),
}

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, or `archive.zip!member.json`.
    pub location: String,
    pub id: Option<String>,
    pub reason: String,
}

/// What reading a path gave: records per source, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub counts: BTreeMap<String, u64>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Failures that stop reading a whole path.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a readable zip archive: {reason}")]
    Zip { path: String, reason: String },
}

/// Sink for records, with the source label they came from.
pub type Sink<'a> = dyn FnMut(&str, Record) + 'a;

pub(crate) struct Ctx<'s, 'a> {
    pub sink: &'s mut Sink<'a>,
    pub report: &'s mut Report,
}

impl Ctx<'_, '_> {
    pub fn emit(&mut self, source: &str, record: Record) {
        *self.report.counts.entry(source.to_string()).or_default() += 1;
        (self.sink)(source, record);
    }

    pub fn diag(&mut self, location: &str, id: Option<&str>, reason: impl Into<String>) {
        self.report.diagnostics.push(Diagnostic {
            location: location.to_string(),
            id: id.map(String::from),
            reason: reason.into(),
        });
    }
}

/// Read a file, a directory tree (files in sorted order; hidden files and licence, readme and
/// schema files skipped) or a zip archive, passing every record to `sink`.
pub fn import_path(path: &Path, sink: &mut Sink<'_>) -> Result<Report, FeedError> {
    let mut report = Report::default();
    let mut ctx = Ctx {
        sink,
        report: &mut report,
    };
    let meta = std::fs::metadata(path).map_err(|source| FeedError::Io {
        path: path.display().to_string(),
        source,
    })?;
    if meta.is_dir() {
        let mut files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if detect::skipped(&name) {
                continue;
            }
            read_file(&f, &mut ctx)?;
        }
    } else {
        read_file(path, &mut ctx)?;
    }
    Ok(report)
}

fn read_file(path: &Path, ctx: &mut Ctx<'_, '_>) -> Result<(), FeedError> {
    let location = path.display().to_string();
    let lower = location.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        let file = std::fs::File::open(path).map_err(|source| FeedError::Io {
            path: location.clone(),
            source,
        })?;
        return archive::read_zip(file, &location, ctx);
    }
    let bytes = std::fs::read(path).map_err(|source| FeedError::Io {
        path: location.clone(),
        source,
    })?;
    detect::dispatch(&location, &bytes, ctx);
    Ok(())
}

/// The same as [`import_path`] for one file's content already in memory.
pub fn import_bytes(name: &str, bytes: &[u8], sink: &mut Sink<'_>) -> Result<Report, FeedError> {
    let mut report = Report::default();
    let mut ctx = Ctx {
        sink,
        report: &mut report,
    };
    if name.to_ascii_lowercase().ends_with(".zip") {
        archive::read_zip(std::io::Cursor::new(bytes), name, &mut ctx)?;
    } else {
        detect::dispatch(name, bytes, &mut ctx);
    }
    Ok(report)
}
