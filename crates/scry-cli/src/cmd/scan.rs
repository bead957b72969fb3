//! `scry scan` and `scry sbom`.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use scry_collect::{Collected, Options, Progress, Target};
use scry_scan::ignore::IgnoreFile;
use scry_scan::report::{self, ResourceRef, LOCAL_ACCOUNT, LOCAL_REGION};
use scry_vulndb::{ScoreContext, VulnDb};

use crate::args::{SbomArgs, SbomFormat, ScanArgs, ScanFormat, TargetArgs};

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} layers ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> "),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Collects the target with a progress bar on a terminal; diagnostics go to the log.
fn collect(t: &TargetArgs) -> anyhow::Result<Collected> {
    let target = Target::parse(&t.target)?;
    let mut opts = Options {
        platform: t.platform.clone(),
        insecure_registries: t.insecure_registries.clone(),
        ..Options::default()
    };
    if t.password_stdin {
        let mut pass = String::new();
        std::io::stdin()
            .read_to_string(&mut pass)
            .context("reading the registry password from standard input")?;
        opts.username = t.username.clone();
        opts.password = Some(pass.trim_end_matches(['\n', '\r']).to_string());
    }
    let catalog = scry_scan::standard_catalog();
    let pb = progress_bar();
    pb.set_message(format!("collecting {}", target.name()));
    let collected = scry_collect::collect(&target, &catalog, &opts, &|p| match p {
        Progress::Layers { done, total } => {
            pb.set_length(total as u64);
            pb.set_position(done as u64);
        }
    })
    .with_context(|| format!("collecting {}", t.target))?;
    pb.finish_and_clear();
    for d in &collected.inventory.diagnostics {
        tracing::warn!(location = %d.location, "{}", d.reason);
    }
    tracing::info!(
        packages = collected.inventory.packages.len(),
        "collected {}",
        collected.target
    );
    Ok(collected)
}

/// The resource a local scan's findings are on, in Inspector's terms.
fn resource(c: &Collected) -> ResourceRef {
    let (ty, details) = match (&c.image, c.kind) {
        (Some(img), _) => {
            let (registry, repo) = match c.target.split_once('/') {
                Some((r, rest))
                    if c.kind == "registry"
                        && (r.contains('.') || r.contains(':') || r == "localhost") =>
                {
                    (
                        r.to_string(),
                        rest.split(['@', ':']).next().unwrap_or(rest).to_string(),
                    )
                }
                _ => ("local".to_string(), c.target.clone()),
            };
            let hash = img
                .manifest_digest
                .clone()
                .unwrap_or_else(|| img.config_digest.clone());
            (
                "AWS_ECR_CONTAINER_IMAGE",
                Some(serde_json::json!({"awsEcrContainerImage": {
                    "repositoryName": repo,
                    "imageTags": img.repo_tags,
                    "imageHash": hash,
                    "registry": registry,
                    "architecture": img.architecture,
                    "platform": c.inventory.distro.as_ref().and_then(|d| d.pretty_name.clone()).unwrap_or_else(|| img.os.clone()),
                }})),
            )
        }
        (None, "zip") => ("AWS_LAMBDA_FUNCTION", None),
        (None, "dir") if c.inventory.distro.is_some() => ("AWS_EC2_INSTANCE", None),
        _ => ("CODE_REPOSITORY", None),
    };
    ResourceRef {
        ty: ty.into(),
        id: c.target.clone(),
        account: LOCAL_ACCOUNT.into(),
        region: LOCAL_REGION.into(),
        details,
    }
}

pub fn scan(a: ScanArgs) -> anyhow::Result<ExitCode> {
    let fail_on = match &a.fail_on {
        Some(s) => Some(scry_cvss::Severity::parse(s).with_context(|| {
            format!("--fail-on {s:?}: expected one of low, medium, high, critical")
        })?),
        None => None,
    };
    let ignore = match &a.ignore_file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the ignore file {}", p.display()))?;
            Some(IgnoreFile::parse(&text, &p.display().to_string()).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    if let Some(server) = a.push.server.clone() {
        if a.push.upload {
            return super::upload::scan_upload(&a, &server);
        }
        let collected = collect(&a.target)?;
        return super::push::run(&a, &collected, &server);
    }
    let db_path = super::db_path(&a.db)?;
    if !db_path.exists() {
        bail!(
            "no advisory database at {} — build one first with `scry db import PATH...` (offline) or `scry db update`",
            db_path.display()
        );
    }
    let db = VulnDb::open(&db_path)?;
    let loaded = db.load()?;
    let collected = collect(&a.target)?;
    let ctx = ScoreContext {
        network_reachable: a.not_network_reachable.then_some(false),
        ..ScoreContext::default()
    };
    let mut assessment = scry_scan::assess(&db, &loaded, &collected.inventory, &ctx)?;
    for d in &assessment.diagnostics {
        tracing::warn!(location = %d.location, "{}", d.reason);
    }
    if a.only_fixed {
        assessment
            .findings
            .retain(|f| f.finding.fix.fixed_version().is_some());
    }
    if let Some(ig) = &ignore {
        for r in ig.apply(&mut assessment.findings, chrono::Utc::now().date_naive()) {
            tracing::warn!(
                "ignore rule for {} expired on {}; it no longer applies",
                r.id,
                r.expires
            );
        }
    }
    let now = chrono::Utc::now();
    let mut out = std::io::stdout().lock();
    match a.format {
        ScanFormat::Table => {
            let active = assessment
                .findings
                .iter()
                .filter(|f| f.ignored.is_none())
                .count();
            if active == 0 {
                writeln!(
                    out,
                    "No vulnerabilities found in {} packages of {}.",
                    collected.inventory.packages.len(),
                    collected.target
                )?;
            } else {
                write!(out, "{}", scry_scan::table::render(&assessment.findings))?;
            }
            let ignored = assessment.findings.len() - active;
            let os = collected
                .inventory
                .distro
                .as_ref()
                .and_then(|d| d.pretty_name.clone())
                .unwrap_or_else(|| "no OS detected".into());
            eprintln!(
                "{} packages ({os}), {active} findings{}",
                collected.inventory.packages.len(),
                if ignored > 0 {
                    format!(", {ignored} ignored")
                } else {
                    String::new()
                }
            );
        }
        ScanFormat::Json => {
            let res = resource(&collected);
            let findings: Vec<_> = assessment
                .findings
                .iter()
                .map(|f| report::to_wire(f, &res, now, now))
                .collect();
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "findings": findings }))?;
            writeln!(out)?;
        }
        ScanFormat::Sarif => {
            let doc = scry_scan::sarif::to_sarif(
                &assessment.findings,
                &collected.target,
                env!("CARGO_PKG_VERSION"),
            );
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if let Some(min) = fail_on {
        if assessment.findings.iter().any(|f| report::at_least(f, min)) {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sbom(a: SbomArgs) -> anyhow::Result<ExitCode> {
    let collected = collect(&a.target)?;
    let subject = scry_sbom::Subject {
        name: collected.target.clone(),
        kind: match collected.kind {
            "dir" => scry_sbom::SubjectKind::Directory,
            "zip" | "tar" => scry_sbom::SubjectKind::Archive,
            k if collected.image.is_some() || k == "registry" => scry_sbom::SubjectKind::Image,
            _ => scry_sbom::SubjectKind::File,
        },
        digest: collected.image.as_ref().map(|i| {
            i.manifest_digest
                .clone()
                .unwrap_or_else(|| i.config_digest.clone())
        }),
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let version = env!("CARGO_PKG_VERSION");
    let doc = match a.format {
        SbomFormat::CyclonedxJson => {
            scry_sbom::to_cyclonedx(&collected.inventory, &subject, version, &now)
        }
        SbomFormat::SpdxJson => scry_sbom::to_spdx(
            &collected.inventory,
            &subject,
            version,
            &now,
            &format!("{}{now}", collected.target),
        ),
        SbomFormat::Json => scry_sbom::to_native_json(&collected.inventory),
    };
    let text = serde_json::to_string_pretty(&doc)?;
    match &a.output {
        Some(p) => {
            std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?
        }
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
