//! The `scry` command: parses arguments, sets up logging, and hands off to the libraries.

mod args;
mod cmd;
mod output;

use clap::Parser;

/// mimalloc rather than the system allocator: the server allocates from many threads at
/// once (matching, JSON, SQLite), where glibc's malloc spent about a fifth of ingest CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCRY_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(if cli.verbose { "debug" } else { "warn" })
        });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::from(2)
        }
    }
}
