//! Scry's native API shapes (not Inspector's): pushing an inventory.

use std::collections::BTreeMap;

use scry_inventory::Inventory;
use serde::{Deserialize, Serialize};

/// `POST /scry/v1/inventories`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushInventory {
    /// `AWS_EC2_INSTANCE` (hosts), `AWS_ECR_CONTAINER_IMAGE`, `AWS_LAMBDA_FUNCTION`,
    /// `CODE_REPOSITORY`.
    pub resource_type: String,
    pub resource_id: String,
    /// Inspector `ResourceDetails` to show on findings (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    /// Replaces the resource's tags when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ResourceMetadata>,
    pub inventory: Inventory,
}

/// What findings and coverage can be filtered by, besides the inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2_image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecr_image_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_pushed_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_function_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lambda_layers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_last_modified_at: Option<f64>,
}

/// The answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushResult {
    pub resource_arn: String,
    pub packages: usize,
    pub opened: usize,
    pub reopened: usize,
    pub closed: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub suppressed: usize,
}
