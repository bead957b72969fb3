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
    /// Run the findings service: the Inspector-compatible API (use the AWS CLI or boto3 with
    /// --endpoint-url), the push API for `scry scan --server`, and the workers that keep
    /// findings current as inventories and advisories change.
    Server(ServerArgs),
    /// Manage the access keys that sign requests to `scry server` (SigV4, as the AWS tools do).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Function packages (Inspector's Lambda scanning) on a `scry server`.
    #[command(subcommand)]
    Function(FunctionCommand),
    /// Watch OCI registries: `scry server` scans images on push (through the registry's
    /// notifications) and polls catalogs and tags as a fallback.
    #[command(subcommand)]
    Registry(crate::cmd::registry::RegistryCommand),
    /// Run the host agent: enroll once with an enrollment token, then keep this host's
    /// inventory (OS and language packages, kernel, addresses, listening sockets) current on
    /// a `scry server` — at start, every --interval, and soon after a package database changes.
    ///
    /// Undelivered inventories are spooled in the state directory (the newest one only) and
    /// retried with backoff, so the server may be down for a while.
    Agent(AgentArgs),
    /// Manage the enrollment tokens `scry agent --token` exchanges for a host's own key.
    #[command(subcommand, name = "agent-token")]
    AgentToken(AgentTokenCommand),
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
    /// The findings service at scale: ingest generated inventories of real vulnerable packages
    /// (10,000 x 500 packages, ~1,000,000 findings), time ListFindings pages and
    /// aggregations, then re-evaluation after 1,000 advisories change.
    Server {
        #[arg(long, default_value = "../shared/vulndata")]
        vulndata: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        #[arg(long, default_value_t = 500)]
        packages: usize,
        /// Ingest threads [default: the number of cores].
        #[arg(long)]
        threads: Option<usize>,
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
    #[command(flatten)]
    pub push: PushArgs,
}

/// Sending the inventory to a `scry server` instead of matching locally.
#[derive(Debug, Args, Clone)]
pub struct PushArgs {
    /// Send the inventory to this `scry server` (e.g. http://127.0.0.1:8080), which matches it,
    /// keeps it and its findings current, and serves them through its API.
    #[arg(long, env = "SCRY_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// What the target is to the server [default: host for dir: targets, image for images,
    /// function for zip archives].
    #[arg(long, value_enum, requires = "server")]
    pub resource_type: Option<ResourceKind>,
    /// The resource's id on the server [default: the host name for hosts, the image
    /// reference for images, the file name for functions].
    #[arg(long, requires = "server")]
    pub resource_id: Option<String>,
    /// Resource tags, KEY=VALUE (repeatable); they replace the stored tags.
    #[arg(long = "tag", value_name = "KEY=VALUE", requires = "server")]
    pub tags: Vec<String>,
    /// Access key id [env: SCRY_ACCESS_KEY_ID, then AWS_ACCESS_KEY_ID].
    #[arg(long, requires = "server")]
    pub access_key_id: Option<String>,
    /// Secret access key [env: SCRY_SECRET_ACCESS_KEY, then AWS_SECRET_ACCESS_KEY].
    #[arg(long, requires = "server")]
    pub secret_access_key: Option<String>,
    /// Send the artifact itself (docker-archive:, oci-archive: or zip: targets) for the server
    /// to collect, instead of collecting here and sending the inventory. Shows upload progress.
    #[arg(long, requires = "server")]
    pub upload: bool,
}

#[derive(Debug, Subcommand)]
pub enum FunctionCommand {
    /// Upload a function package (zip) and its layers for the server to scan. Each push is a
    /// new version of the function (resource NAME:VERSION, findings per version); layers the
    /// server already has are referred to by their SHA-256, and a layer shared between
    /// functions is collected once.
    #[command(disable_version_flag = true)]
    Push(FunctionPushArgs),
}

#[derive(Debug, Args)]
pub struct FunctionPushArgs {
    /// The `scry server` (e.g. http://127.0.0.1:8080).
    #[arg(long, env = "SCRY_SERVER", value_name = "URL")]
    pub server: String,
    /// The function's name (letters, digits, - and _, at most 64).
    #[arg(long)]
    pub name: String,
    /// The function's runtime as Lambda names it: python3.12, nodejs20.x, java21, ...
    #[arg(long)]
    pub runtime: String,
    /// The version to record [default: the next number, from 1]. Versions are immutable:
    /// pushing an existing version with other code is refused.
    #[arg(long = "version", id = "function_version", value_name = "VERSION")]
    pub version: Option<String>,
    /// The function package: a zip of the code and its dependencies.
    pub zip: PathBuf,
    /// A layer: its zip file, or the sha256:HEX digest of a layer the server already has
    /// (repeatable, in order, at most 5).
    #[arg(long = "layer", value_name = "ZIP|DIGEST")]
    pub layers: Vec<String>,
    /// Resource tags, KEY=VALUE (repeatable); they replace the stored tags.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Access key id [env: SCRY_ACCESS_KEY_ID, then AWS_ACCESS_KEY_ID].
    #[arg(long)]
    pub access_key_id: Option<String>,
    /// Secret access key [env: SCRY_SECRET_ACCESS_KEY, then AWS_SECRET_ACCESS_KEY].
    #[arg(long)]
    pub secret_access_key: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResourceKind {
    Host,
    Image,
    Function,
    Repository,
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Where the findings store, the master key and reports live [default: ./scry-data].
    #[arg(long, env = "SCRY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbPath,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SCRY_LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
    /// Region in ARNs and findings [default: sc-local-1].
    #[arg(long, env = "SCRY_REGION")]
    pub region: Option<String>,
    /// Seconds between checks of the advisory database for imports and updates [default: 2].
    #[arg(long, env = "SCRY_POLL_SECONDS")]
    pub poll_seconds: Option<u64>,
    /// Largest request body accepted, in MiB [default: 64].
    #[arg(long, env = "SCRY_MAX_BODY_MIB")]
    pub max_body_mib: Option<usize>,
    /// Largest artifact upload (images, function packages and layers sent with `--upload` or
    /// `scry function push`), in MiB [default: 2048]. Uploads stream to DATA_DIR/uploads.
    #[arg(long, env = "SCRY_MAX_UPLOAD_MIB")]
    pub max_upload_mib: Option<u64>,
    /// A host whose `scry agent` misses this many of its reporting intervals becomes INACTIVE
    /// (coverage reason STALE_INVENTORY) [default: 3].
    #[arg(long, env = "SCRY_AGENT_MISSED_INTERVALS")]
    pub agent_missed_intervals: Option<u32>,
    /// A TOML file with any of: data_dir, db, listen, region, poll_seconds, max_body_mib,
    /// max_upload_mib, agent_missed_intervals. Flags and SCRY_* variables win over it.
    #[arg(long, env = "SCRY_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an access key for an account (the account is created when new). The secret is
    /// printed once; the server keeps it encrypted under DATA_DIR/master.key.
    Create {
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        /// The 12-digit account id the key acts for.
        #[arg(long)]
        account: String,
        /// admin: everything; reader: List/Get/Search only; agent: push inventories only.
        #[arg(long, value_parser = ["admin", "reader", "agent"], default_value = "admin")]
        role: String,
        #[arg(long, value_enum, default_value_t = KeysFormat::Text)]
        format: KeysFormat,
    },
    /// List access keys (never their secrets).
    List {
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_enum, default_value_t = KeysFormat::Text)]
        format: KeysFormat,
    },
    /// Disable an access key; requests signed with it are refused from then on.
    Disable {
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        access_key_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeysFormat {
    Text,
    Json,
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

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The `scry server` to report to, e.g. http://scry.example:8080.
    #[arg(long, env = "SCRY_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Enrollment token from `scry agent-token create` (needed only for the first run; prefer
    /// the environment variable or the config file, which other users cannot see in `ps`).
    #[arg(long, env = "SCRY_AGENT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A TOML file with any of: server, token, state_dir, interval_seconds, paths, root,
    /// debounce_seconds, max_spool_mib, retry_max_seconds. Flags and SCRY_* variables win over it.
    #[arg(long, env = "SCRY_AGENT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the agent keeps its key (mode 0600) and its spool [default:
    /// /var/lib/scry-agent].
    #[arg(long, env = "SCRY_AGENT_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Seconds between scheduled inventories [default: 3600].
    #[arg(long, value_name = "SECS")]
    pub interval: Option<u64>,
    /// Directories to search for language packages and binaries (repeatable), e.g. /opt /srv.
    /// OS packages are always reported.
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub paths: Vec<String>,
    /// The root file system to report on [default: /]. Sockets, kernel and addresses always
    /// come from this machine.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Seconds of quiet after a package database change before reporting [default: 5].
    #[arg(long, value_name = "SECS")]
    pub debounce: Option<f64>,
    /// Longest wait between delivery retries while the server is unreachable, in seconds
    /// [default: 300, at most the interval]. Retries back off exponentially with jitter.
    #[arg(long, value_name = "SECS")]
    pub retry_max: Option<f64>,
    /// Collect and deliver once, then exit (exit code 2 when undelivered; it stays spooled).
    #[arg(long)]
    pub once: bool,
    /// With --once: print the inventory push as JSON instead of sending it (no enrollment).
    #[arg(long, requires = "once")]
    pub print: bool,
}

#[derive(Debug, Subcommand)]
pub enum AgentTokenCommand {
    /// Create an enrollment token for an account. It is printed once; the server keeps only
    /// a hash of it.
    Create {
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        /// The 12-digit account the enrolled hosts belong to.
        #[arg(long)]
        account: String,
        /// How many hosts may enroll with it.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// How long it may be used: 30m, 24h, 7d, or seconds.
        #[arg(long, default_value = "24h")]
        expires_in: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_enum, default_value_t = KeysFormat::Text)]
        format: KeysFormat,
    },
    /// List enrollment tokens (never their secrets).
    List {
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_enum, default_value_t = KeysFormat::Text)]
        format: KeysFormat,
    },
    /// Revoke an enrollment token: no further host can enroll with it.
    Revoke {
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        /// The token id (the 16 hex digits after `scryet-`).
        token_id: String,
    },
}
