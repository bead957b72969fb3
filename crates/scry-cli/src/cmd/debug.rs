//! `scry debug ...`

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use scry_version::{vectors, Scheme};

use crate::args::DebugCommand;

pub fn run(cmd: DebugCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DebugCommand::CompareVersions { ecosystem } => {
            let scheme = Scheme::for_ecosystem(&ecosystem).ok_or_else(|| {
                anyhow::anyhow!(
                    "no version ordering for ecosystem {ecosystem:?} — use a name as the advisory database spells it: Debian, Ubuntu, Alpine, Red Hat, PyPI, npm, crates.io, Go, Maven, NuGet, RubyGems, Packagist, Hex, Pub, Hackage, CRAN"
                )
            })?;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("failed to read vector lines from stdin")?;
            let failures = vectors::check(scheme, &text);
            for f in &failures {
                let got = match &f.got {
                    Ok(o) => format!("got {}", op(*o)),
                    Err(e) => format!("error: {e}"),
                };
                println!("line {}: {}  ({got})", f.line_no, f.line);
            }
            Ok(if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn op(o: std::cmp::Ordering) -> &'static str {
    match o {
        std::cmp::Ordering::Less => "<",
        std::cmp::Ordering::Equal => "=",
        std::cmp::Ordering::Greater => ">",
    }
}
