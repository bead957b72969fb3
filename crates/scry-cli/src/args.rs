//! The command-line grammar. Doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Scry: continuous vulnerability management you run yourself.
#[derive(Debug, Parser)]
#[command(name = "scry", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Log more (or set SCRY_LOG / RUST_LOG, e.g. SCRY_LOG=scry_vulndb=debug).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the vulnerabilities in a host's file system, an image, a function package, an SBOM
    /// or a lockfile.
    ///
    /// Collects the packages (OS packages, language packages, binaries, archives), matches them
    /// against the local advisory database (build it with `scry db import` or `scry db update`)
    /// and prints the findings. Exit codes: 0 done, 1 --fail-on threshold reached, 2 error.
    Scan(ScanArgs),
    /// Write the software bill of materials of a target (CycloneDX 1.6, SPDX 2.3 or Scry's
    /// inventory JSON).
    Sbom(SbomArgs),
    /// Build, update and query the local advisory database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Measure Scry's own performance on the shared real data.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Tools for checking Scry's building blocks.
    #[command(subcommand)]
    Debug(DebugCommand),
}

/// Where the advisory database file is.
#[derive(Debug, Args, Clone)]
pub struct DbPath {
    /// The advisory database file [default: the per-user data directory, e.g.
    /// ~/.local/share/scry/advisories.db].
    #[arg(long, env = "SCRY_DB", global = true)]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text for people.
    Table,
    /// JSON for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import advisory feeds from files, directories or zips (OSV JSON/YAML, OSV all.zip,
    /// RustSec, Alpine secdb, CISA KEV, EPSS CSV, NVD CVE API 2.0 JSON). Incremental: importing
    /// the same data again changes nothing.
    Import {
        /// Files, directories or zip archives to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        db: DbPath,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Download the public feeds (OSV per ecosystem, CISA KEV, EPSS, NVD) and import them.
    Update {
        #[command(flatten)]
        db: DbPath,
        /// Where downloads are kept between runs [default: beside the database].
        #[arg(long, env = "SCRY_FEED_CACHE")]
        cache_dir: Option<PathBuf>,
        /// OSV ecosystems to fetch (repeatable) [default: the common language and distribution
        /// ecosystems].
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
        /// Skip the NVD (slow without an API key).
        #[arg(long)]
        no_nvd: bool,
        /// NVD API key, for faster NVD paging.
        #[arg(long, env = "SCRY_NVD_API_KEY", hide_env_values = true)]
        nvd_api_key: Option<String>,
        /// Base URL of an OSV mirror (serving ECOSYSTEM/all.zip).
        #[arg(long, env = "SCRY_OSV_MIRROR")]
        osv_mirror: Option<String>,
        /// URL of the CISA KEV catalog (JSON), for a mirror.
        #[arg(long, env = "SCRY_KEV_URL")]
        kev_url: Option<String>,
        /// URL of the EPSS daily scores (CSV, optionally gzipped), for a mirror.
        #[arg(long, env = "SCRY_EPSS_URL")]
        epss_url: Option<String>,
        /// URL of the NVD CVE API 2.0, for a mirror.
        #[arg(long, env = "SCRY_NVD_URL")]
        nvd_url: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show what the advisory database holds: sources, record counts, newest change, build time.
    Status {
        #[command(flatten)]
        db: DbPath,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Find advisories by id or alias (CVE-2021-44228, GHSA-..., PYSEC-...) or by package name.
    Search {
        /// An advisory id or alias, or a package name.
        term: String,
        /// Only packages of this ecosystem (PyPI, npm, Debian, ...).
        #[arg(long)]
        ecosystem: Option<String>,
        #[command(flatten)]
        db: DbPath,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show the vulnerabilities that affect one installed package version.
    Match(MatchArgs),
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The ecosystem as the advisory database spells it, with the release for OS packages:
    /// PyPI, npm, Go, crates.io, Maven, Debian:12, Alpine:v3.19, Ubuntu:22.04:LTS.
    #[arg(long)]
    pub ecosystem: String,
    /// Package name (Maven: group:artifact).
    pub name: String,
    /// Installed version.
    #[arg(value_name = "VERSION", id = "installed_version")]
    pub version: String,
    /// For OS packages: the source package it was built from.
    #[arg(long)]
    pub source_name: Option<String>,
    /// For OS packages: the source package version.
    #[arg(long)]
    pub source_version: Option<String>,
    /// Whether anything on the resource is reachable from the network; `false` lowers the
    /// Inspector score of network-exploitable vulnerabilities.
    #[arg(long)]
    pub network_reachable: Option<bool>,
    #[command(flatten)]
    pub db: DbPath,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import all shared feeds, load the database, and match 100,000 package queries; prints
    /// records/s, load time and memory, and matches/s.
    Core {
        /// The shared real advisory data.
        #[arg(long, default_value = "../shared/vulndata")]
        vulndata: PathBuf,
        /// Number of package queries to match.
        #[arg(long, default_value_t = 100_000)]
        queries: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Check version-ordering vectors read on stdin: lines `a OP b` with OP one of <, =, >.
    /// Blank lines and lines starting with # or // are skipped. Prints every line that does not
    /// hold; exits 1 if any did not.
    CompareVersions {
        /// The ecosystem as the advisory database spells it: Debian, Alpine, PyPI, Maven, npm, ...
        #[arg(long)]
        ecosystem: String,
    },
}

/// What to collect from, and how to reach it.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// dir:PATH, docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, tar:PATH, registry:REF,
    /// zip:PATH, sbom:PATH or file:PATH; without a prefix, recognised by what it is.
    pub target: String,
    /// Platform to pick from a multi-platform image (os/arch[/variant]) [default: this host's].
    #[arg(long)]
    pub platform: Option<String>,
    /// Registry user name (else the Docker config file's credentials, else anonymous).
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Reach this registry (host[:port]) over plain HTTP (repeatable; localhost is tried that
    /// way anyway).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registries: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Aligned columns for people.
    Table,
    /// `{"findings": [...]}`, each item shaped like Amazon Inspector's Finding.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub db: DbPath,
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Exit with code 1 when a finding of this severity or above is reported (CI gates):
    /// low, medium, high, critical.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// YAML file of accepted vulnerabilities: `ignore: [{id, reason, expires: YYYY-MM-DD,
    /// package?}]`. Expired entries stop applying (and are warned about).
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Report only vulnerabilities that have a fixed version.
    #[arg(long)]
    pub only_fixed: bool,
    /// Nothing on the resource is reachable from the network: score AV:N vulnerabilities
    /// lower (the Inspector-style score shows the adjustment).
    #[arg(long)]
    pub not_network_reachable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    CyclonedxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// Scry's inventory JSON (packages with locations and layers, the OS, diagnostics).
    Json,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, value_enum, default_value_t = SbomFormat::CyclonedxJson)]
    pub format: SbomFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}
