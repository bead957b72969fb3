//! SBOMs for an [`Inventory`]: writes CycloneDX 1.6 JSON, SPDX 2.3 JSON and Scry's native
//! JSON, and reads CycloneDX (1.2–1.6) JSON, SPDX (2.2, 2.3) JSON and native JSON back into an
//! inventory.
//!
//! Writing ([`to_cyclonedx`], [`to_spdx`], [`to_native_json`]) is deterministic: the same
//! inventory, subject, tool version, time (and seed) give the same document, byte for byte;
//! identifiers that must be unique per document (CycloneDX `serialNumber`, SPDX
//! `documentNamespace`) are derived from a SHA-256 of the content. Rules per format are in
//! the docs of the functions.
//!
//! Reading ([`read_sbom`]) detects the format from the top-level fields (`bomFormat`,
//! `spdxVersion`, `schema`). Every component or package with a package URL of a type that has
//! an advisory ecosystem ([`ecosystem_for_purl`]) becomes a [`Package`] with `found_by`
//! `sbom-cyclonedx` or `sbom-spdx` and `location` the location given by the caller. What
//! cannot be read becomes a [`Diagnostic`]; only a document that is not an SBOM at all (not
//! JSON, unknown format or version, wrong type of the top-level fields, too large) is an
//! error. Limits: input of at most [`MAX_INPUT`] bytes, at most [`MAX_COMPONENTS`] components,
//! CycloneDX component nesting at most [`MAX_DEPTH`] levels (serde_json also stops at 128 levels
//! of JSON nesting).

#![forbid(unsafe_code)]

mod cyclonedx;
mod ecosystem;
mod license;
mod read;
mod spdx;

pub use ecosystem::{distro_ecosystem, ecosystem_for_purl, purl_type_for_ecosystem};

use scry_inventory::{Diagnostic, Distro, Inventory, Package};
use serde::Deserialize;
use serde_json::Value;

/// Largest SBOM [`read_sbom`] accepts, in bytes.
pub const MAX_INPUT: usize = 256 << 20;
/// Most components (CycloneDX) or packages (SPDX, native) read from one document; the rest are
/// reported in one diagnostic.
pub const MAX_COMPONENTS: usize = 1_000_000;
/// Deepest CycloneDX `components` nesting read; deeper components are reported.
pub const MAX_DEPTH: usize = 32;

/// The `schema` value of Scry's native JSON.
pub const NATIVE_SCHEMA: &str = "scry-inventory/1";

/// What was scanned: the document's main component (CycloneDX `metadata.component`, the SPDX
/// package the document describes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Path, image reference or file name as the user gave it.
    pub name: String,
    pub kind: SubjectKind,
    /// Content digest, `sha256:<hex>` (image manifest digest, archive or file hash), if known.
    pub digest: Option<String>,
}

/// The kind of thing scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Directory,
    Image,
    File,
    Archive,
}

/// Why an input is not a readable SBOM.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    #[error("SBOM is {size} bytes, more than the {max} bytes read")]
    TooLarge { size: usize, max: usize },
    #[error("SBOM is not JSON: {0}")]
    NotJson(String),
    #[error("SBOM is not a JSON object but {0}")]
    NotAnObject(&'static str),
    #[error("unknown SBOM format: {0}")]
    UnknownFormat(String),
    #[error("unsupported {format} version {version:?} (supported: {supported})")]
    UnsupportedVersion {
        format: &'static str,
        version: String,
        supported: &'static str,
    },
    #[error("{format} document has no {field:?} field")]
    MissingField {
        format: &'static str,
        field: &'static str,
    },
    #[error("{format} field {field:?} is {found}, expected {expected}")]
    WrongType {
        format: &'static str,
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
}

/// CycloneDX 1.6 JSON for an inventory.
///
/// - `serialNumber` is `urn:uuid:` with a version-4-shaped UUID made from a SHA-256 of the
///   document (so it is unique per content and deterministic); `version` is 1.
/// - `metadata`: `timestamp` is `now` as given (RFC 3339, e.g. `2024-05-01T12:00:00Z`);
///   `tools.components` names `scry` with `tool_version`; `component` is the subject (type
///   `container` for images, `file` otherwise; a `sha256:` digest becomes a SHA-256 hash).
/// - `components`: the OS as an `operating-system` component (name = os-release ID, version =
///   VERSION_ID, description = PRETTY_NAME, property `scry:distro_ecosystem`) when the
///   inventory has a distro, then every package as a `library` with a unique `bom-ref` (its
///   purl, made unique when two packages share one), `group`/`name` split for Maven
///   (`group:artifact`), npm scopes (`@scope/name`) and Packagist (`vendor/name`), `version`,
///   `purl`, `licenses` (an SPDX `id` when it is a known id, an `expression` when the only
///   license is a known compound expression, else a `name`), and `scry:` properties
///   (`found_by`, `location`, `layer`, `source_name`, `source_version`, `ecosystem`, `arch`).
/// - No `dependencies`: Scry does not record the dependency graph.
pub fn to_cyclonedx(inv: &Inventory, subject: &Subject, tool_version: &str, now: &str) -> Value {
    cyclonedx::write(inv, subject, tool_version, now)
}

/// SPDX 2.3 JSON for an inventory.
///
/// - `dataLicense` `CC0-1.0`, `SPDXID` `SPDXRef-DOCUMENT`, `name` the subject's name,
///   `documentNamespace` `https://spdx.org/spdxdocs/scry-<name>-<uuid>` with the UUID from a
///   SHA-256 of `namespace_seed` and the content (pass a fresh value, such as the time and
///   host, for documents that must differ; a fixed one for reproducible output).
/// - `creationInfo.created` is `now` with any fractional seconds removed (SPDX wants
///   `YYYY-MM-DDThh:mm:ssZ`); `creators` is `["Tool: scry-<tool_version>"]`.
/// - `packages`: the subject (`SPDXRef-Subject`, purpose `CONTAINER` for images, `ARCHIVE`
///   for archives, `FILE` otherwise, a `sha256:` digest as a SHA256 checksum), the OS (`SPDXRef-OperatingSystem`,
///   purpose `OPERATING-SYSTEM`) when known, and each package as `SPDXRef-Package-<n>-<name>`
///   (only `[A-Za-z0-9.-]`), purpose `LIBRARY`, `versionInfo`, `downloadLocation`,
///   `copyrightText` and `licenseConcluded` `NOASSERTION`, `filesAnalyzed` false,
///   `licenseDeclared` the licenses joined with `AND` when all are known SPDX expressions
///   (else `NOASSERTION`), a `PACKAGE-MANAGER` `purl` external reference, and `sourceInfo`
///   naming the location (and layer) it was found in.
/// - `relationships`: `SPDXRef-DOCUMENT DESCRIBES SPDXRef-Subject`, and the subject
///   `CONTAINS` the OS and each package.
pub fn to_spdx(
    inv: &Inventory,
    subject: &Subject,
    tool_version: &str,
    now: &str,
    namespace_seed: &str,
) -> Value {
    spdx::write(inv, subject, tool_version, now, namespace_seed)
}

/// Scry's native JSON: the inventory as serde writes it, with `"schema": "scry-inventory/1"`.
pub fn to_native_json(inv: &Inventory) -> Value {
    let mut v = serde_json::to_value(inv).unwrap_or_else(|_| Value::Object(Default::default()));
    if let Value::Object(m) = &mut v {
        m.insert("schema".into(), Value::String(NATIVE_SCHEMA.into()));
    }
    v
}

/// Reads a CycloneDX JSON, SPDX JSON or native JSON SBOM into an inventory.
///
/// `location` is the SBOM's path as the user gave it: it becomes every package's `location`
/// and every diagnostic's. A package's name, version, ecosystem and arch come from its purl
/// (the name as the ecosystem writes it: Maven `group:artifact`, npm `@scope/name`, Go and
/// Packagist `namespace/name`), the version from the component's own version field only when
/// the purl has none. See the crate docs for the rules; per format:
/// - CycloneDX: `components`, recursively through nested `components`; the first
///   `operating-system` component gives the distro (`name`, `version`, `description`,
///   property `scry:distro_ecosystem`). Components of type `operating-system` and `file`, and
///   `metadata.component`, are not packages. Source package: properties
///   `scry:source_name`/`scry:source_version`, or Trivy's `aquasecurity:trivy:SrcName`/
///   `SrcVersion`, or the purl `upstream` qualifier (`name`, `name@version` or an RPM
///   `name-version-release.src.rpm`). Layer: property `scry:layer` or
///   `syft:location:0:layerID`.
/// - All formats: an `rpm` purl's `epoch` qualifier (other than 0) is written into the version
///   (`1:5.1-6`), as the model wants it.
/// - SPDX: `packages` with a `PACKAGE-MANAGER` (or `PACKAGE_MANAGER`) `purl` external
///   reference; a package with purpose `OPERATING-SYSTEM` gives the distro; packages the
///   document `DESCRIBES` (the scanned subject) are skipped without a diagnostic. Licenses
///   from `licenseDeclared`, else `licenseConcluded` (unless `NOASSERTION`/`NONE`).
/// - Native: the inventory as written by [`to_native_json`]; packages keep their own
///   `found_by` and `location`; a package that does not deserialize becomes a diagnostic.
///
/// When no OS component/package is present, the distro comes from the first OS package's purl
/// `distro` qualifier (`debian-12`, `alpine-3.19.1`).
pub fn read_sbom(bytes: &[u8], location: &str) -> Result<Inventory, SbomError> {
    if bytes.len() > MAX_INPUT {
        return Err(SbomError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT,
        });
    }
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| SbomError::NotJson(e.to_string()))?;
    let obj = match &doc {
        Value::Object(m) => m,
        other => return Err(SbomError::NotAnObject(read::type_name(other))),
    };
    if let Some(f) = obj.get("bomFormat") {
        return match f.as_str() {
            Some("CycloneDX") => cyclonedx::read(obj, location),
            Some(other) => Err(SbomError::UnknownFormat(format!(
                "bomFormat {other:?} (expected \"CycloneDX\")"
            ))),
            None => Err(SbomError::WrongType {
                format: "CycloneDX",
                field: "bomFormat",
                expected: "a string",
                found: read::type_name(f),
            }),
        };
    }
    if obj.contains_key("spdxVersion") {
        return spdx::read(obj, location);
    }
    if let Some(s) = obj.get("schema") {
        return match s.as_str() {
            Some(NATIVE_SCHEMA) => read_native(obj, location),
            _ => Err(SbomError::UnknownFormat(format!(
                "schema {} (expected {NATIVE_SCHEMA:?})",
                read::short(s)
            ))),
        };
    }
    Err(SbomError::UnknownFormat(
        "no \"bomFormat\" (CycloneDX), \"spdxVersion\" (SPDX) or \"schema\" (Scry) field".into(),
    ))
}

fn read_native(
    obj: &serde_json::Map<String, Value>,
    location: &str,
) -> Result<Inventory, SbomError> {
    const F: &str = "Scry native";
    let pkgs = match obj.get("packages") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(SbomError::WrongType {
                format: F,
                field: "packages",
                expected: "an array",
                found: read::type_name(other),
            })
        }
        None => {
            return Err(SbomError::MissingField {
                format: F,
                field: "packages",
            })
        }
    };
    let mut inv = Inventory::default();
    let mut diags = read::Diags::new(location);
    match obj.get("distro") {
        None | Some(Value::Null) => {}
        Some(d) => match Distro::deserialize(d) {
            Ok(d) => inv.distro = Some(d),
            Err(e) => diags.push(format!("distro is not readable: {e}")),
        },
    }
    for (i, p) in pkgs.iter().enumerate() {
        if i >= MAX_COMPONENTS {
            diags.push(format!(
                "{} more packages not read (limit {MAX_COMPONENTS})",
                pkgs.len() - i
            ));
            break;
        }
        match Package::deserialize(p) {
            Ok(p) => inv.packages.push(p),
            Err(e) => diags.push(format!("packages[{i}] is not readable: {e}")),
        }
    }
    if let Some(Value::Array(ds)) = obj.get("diagnostics") {
        for d in ds.iter().take(MAX_COMPONENTS) {
            if let Ok(d) = Diagnostic::deserialize(d) {
                inv.diagnostics.push(d);
            }
        }
    }
    inv.diagnostics.extend(diags.finish());
    Ok(inv)
}
