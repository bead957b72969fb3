//! One module per command family. Each returns the process exit code.

mod agent;
mod bench;
mod db;
mod debug;
mod function;
mod keys;
mod push;
pub mod registry;
mod scan;
mod server;
mod upload;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::args::{Cli, Command, DbPath};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(a) => scan::scan(a),
        Command::Sbom(a) => scan::sbom(a),
        Command::Db(c) => db::run(c),
        Command::Server(a) => server::run(a),
        Command::Keys(c) => keys::run(c),
        Command::Function(c) => function::run(c),
        Command::Registry(c) => registry::run(c),
        Command::Agent(a) => agent::run(a),
        Command::AgentToken(c) => agent::token(c),
        Command::Bench(c) => bench::run(c),
        Command::Debug(c) => debug::run(c),
    }
}

/// The advisory database path: `--db`, else `SCRY_DB` (clap reads both), else the per-user data
/// directory.
pub fn db_path(p: &DbPath) -> anyhow::Result<PathBuf> {
    if let Some(path) = &p.db {
        return Ok(path.clone());
    }
    let dirs = directories::ProjectDirs::from("", "", "scry").ok_or_else(|| {
        anyhow::anyhow!("cannot find a home directory for the advisory database — pass --db PATH or set SCRY_DB")
    })?;
    Ok(dirs.data_dir().join("advisories.db"))
}
