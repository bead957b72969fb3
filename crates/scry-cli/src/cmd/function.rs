//! `scry function push`: upload a function package (zip) and its layers for the server to
//! collect. Each push is a new function version (the resource `NAME:VERSION`); layers are
//! uploaded once — a layer the server already holds (same SHA-256) is only referred to, and
//! a layer shared between functions is collected once.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use scry_wire::artifact::{ArtifactResult, LayerResult};

use super::upload::{refused, sha256_file, Client};
use crate::args::{Format, FunctionCommand, FunctionPushArgs};

pub fn run(c: FunctionCommand) -> anyhow::Result<ExitCode> {
    match c {
        FunctionCommand::Push(a) => push(a),
    }
}

/// A layer on the server: the known one for its digest, else uploaded now.
fn layer(client: &Client, arg: &str) -> anyhow::Result<LayerResult> {
    let path = Path::new(arg);
    let (digest, file) = if path.is_file() {
        (format!("sha256:{}", sha256_file(path)?), Some(path))
    } else if arg.starts_with("sha256:") {
        (arg.to_string(), None)
    } else {
        bail!("--layer {arg}: no such file, and not a digest like sha256:<64 hex digits> of a layer the server has");
    };
    let known = client.send("GET", &format!("/scry/v1/layers/{digest}"), &[], None, arg)?;
    let file = match (known, file) {
        (Ok(text), _) => {
            return serde_json::from_str(&text)
                .with_context(|| format!("the server's answer is not a layer: {text}"))
        }
        (Err(r), Some(f)) if r.status == 404 => f,
        (Err(r), None) if r.status == 404 => bail!(
            "layer {digest} is not on the server: pass the layer's zip file to --layer to upload it"
        ),
        (Err(r), _) => return Err(refused(&format!("layer {arg}"), r)),
    };
    let hex = digest.trim_start_matches("sha256:");
    let text = client
        .send("POST", "/scry/v1/layers", &[], Some((file, hex)), arg)?
        .map_err(|r| refused(&format!("layer {arg}"), r))?;
    serde_json::from_str(&text)
        .with_context(|| format!("the server's answer is not a layer: {text}"))
}

fn push(a: FunctionPushArgs) -> anyhow::Result<ExitCode> {
    if !a.zip.is_file() {
        bail!(
            "{} is not a file (the function package, a zip)",
            a.zip.display()
        );
    }
    let client = Client::new(&a.server, &a.access_key_id, &a.secret_access_key)?;
    let mut layers = Vec::new();
    for l in &a.layers {
        let r = layer(&client, l)?;
        if a.format == Format::Table {
            eprintln!(
                "layer {} ({}): {} packages{}",
                l,
                r.digest,
                r.packages,
                if r.cached {
                    ", already on the server"
                } else {
                    ", collected"
                }
            );
        }
        layers.push(r);
    }
    let sha = sha256_file(&a.zip)?;
    let mut query: Vec<(&str, &str)> = vec![
        ("resourceType", "function"),
        ("name", &a.name),
        ("runtime", &a.runtime),
    ];
    if let Some(v) = &a.version {
        query.push(("version", v));
    }
    for l in &layers {
        query.push(("layer", &l.digest));
    }
    for t in &a.tags {
        query.push(("tag", t));
    }
    let what = a.zip.display().to_string();
    let text = client
        .send(
            "POST",
            "/scry/v1/artifacts",
            &query,
            Some((&a.zip, &sha)),
            &what,
        )?
        .map_err(|r| refused(&what, r))?;
    let mut res: ArtifactResult = serde_json::from_str(&text)
        .with_context(|| format!("the server's answer is not an upload result: {text}"))?;
    // Say which layers this push collected (the function push itself only refers to them).
    if let Some(f) = res.function.as_mut() {
        for (mine, theirs) in f.layers.iter_mut().zip(&layers) {
            mine.cached = theirs.cached;
            mine.diagnostics = theirs.diagnostics.clone();
        }
    }
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&res)?),
        Format::Table => {
            if let Some(f) = &res.function {
                eprintln!(
                    "function {} version {}{}",
                    f.name,
                    f.version,
                    if f.new_version {
                        ""
                    } else {
                        " (already pushed with this code; scanned again)"
                    }
                );
            }
            super::upload::print_result(&res);
        }
    }
    Ok(ExitCode::SUCCESS)
}
