//! Scry's native API shapes for uploaded artifacts (not Inspector's): images and function
//! packages the server collects itself (`POST /scry/v1/artifacts`), and function layers
//! (`POST /scry/v1/layers`, `GET /scry/v1/layers/sha256:HEX`).

use scry_inventory::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::native::PushResult;

/// The answer to an artifact upload: the push result of the inventory the server collected,
/// and what it collected from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactResult {
    #[serde(flatten)]
    pub push: PushResult,
    /// `AWS_ECR_CONTAINER_IMAGE` or `AWS_LAMBDA_FUNCTION`.
    pub resource_type: String,
    pub resource_id: String,
    /// `docker-archive`, `oci-archive` or `zip`.
    pub format: String,
    /// Size of the upload.
    pub bytes: u64,
    /// `sha256:HEX` of the upload.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<UploadedImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<UploadedFunction>,
    /// What could not be read (at most 100; `diagnosticsTotal` counts them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
    #[serde(default)]
    pub diagnostics_total: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedImage {
    pub repository: String,
    /// The manifest digest (OCI archives), else the config digest (docker archives).
    pub digest: String,
    pub tags: Vec<String>,
    pub os: String,
    pub architecture: String,
    /// Layer digests, bottom first.
    pub layers: Vec<String>,
    /// The distribution found in the image, if any (`Debian GNU/Linux 12 (bookworm)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFunction {
    pub name: String,
    pub version: String,
    pub runtime: String,
    /// False when this exact version had been pushed before with the same code and layers.
    pub new_version: bool,
    /// `sha256:HEX` of the code zip.
    pub code_sha256: String,
    pub layers: Vec<LayerResult>,
}

/// A function layer as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerResult {
    /// `sha256:HEX` of the layer zip.
    pub digest: String,
    pub bytes: u64,
    pub packages: usize,
    /// True when the server already had this layer's inventory and did not collect it again.
    pub cached: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}
