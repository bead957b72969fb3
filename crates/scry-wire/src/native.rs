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
    /// Host agents: the host's details and listening sockets (network reachability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostDetails>,
    /// Host agents: increases with every inventory the agent collects. The server ignores a
    /// push whose sequence is not above the last one it stored for the resource, so a
    /// re-sent or late inventory never rolls the resource back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// When the agent collected it (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<f64>,
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
    /// Set when the push was not applied because the server already holds a newer inventory
    /// of the resource (its sequence was not above the stored one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// What a host agent reports about its host besides packages (`PushInventory::host`).
/// Every field is optional on the wire so older and newer agents interoperate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The running kernel (`/proc/sys/kernel/osrelease`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// The OS release's pretty name (`PRETTY_NAME` of os-release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_release: Option<String>,
    /// Non-loopback interface addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Listening TCP sockets and bound UDP sockets. `None`: the agent did not look (an older
    /// agent, or sockets could not be read), which is not the same as "nothing listens".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listening: Option<Vec<ListeningSocket>>,
    /// How often the agent reports, in seconds (the server's missed-interval coverage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// What kept the agent from reading the host's software: a package database that exists
    /// but cannot be read, or an operating system it does not recognise. The inventory of
    /// such a push is incomplete, so the server keeps the host's findings as they were and
    /// shows the reason in coverage instead of applying it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<CollectionProblem>,
}

/// Why a host's inventory could not be collected in full (see [`HostDetails::problems`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionProblem {
    pub kind: ProblemKind,
    /// The file concerned, relative to the root (`var/lib/dpkg/status`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// What went wrong, for people (the parser's or the system's error).
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProblemKind {
    /// An OS package database exists but cannot be read, or is not in a shape its package
    /// manager would accept (the server's coverage reason: `NO_INVENTORY`).
    UnreadablePackageDatabase,
    /// No release file says which operating system this is, or it names one Scry has no
    /// advisories for (`UNSUPPORTED_OS`).
    UnsupportedOs,
}

impl ProblemKind {
    /// The Inspector coverage reason (`ScanStatusReason`) a host with this problem shows.
    pub fn scan_status_reason(self) -> &'static str {
        match self {
            ProblemKind::UnreadablePackageDatabase => "NO_INVENTORY",
            ProblemKind::UnsupportedOs => "UNSUPPORTED_OS",
        }
    }
}

/// One listening socket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListeningSocket {
    /// `TCP` or `UDP` (Inspector's NetworkProtocol).
    pub protocol: String,
    /// The bound address as text: `0.0.0.0`, `::`, `127.0.0.1`, `10.0.0.5`, ...
    pub address: String,
    pub port: u16,
    /// Processes holding the socket (empty when they could not be seen).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<SocketProcess>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocketProcess {
    pub pid: u32,
    pub name: String,
}

impl ListeningSocket {
    /// Bound to every interface (`0.0.0.0` or `::`).
    pub fn all_interfaces(&self) -> bool {
        matches!(self.address.as_str(), "0.0.0.0" | "::" | "*")
    }

    /// Bound to a loopback address only (`127.0.0.0/8`, `::1`).
    pub fn loopback(&self) -> bool {
        self.address.starts_with("127.") || self.address == "::1"
    }
}

/// `POST /scry/v1/agents/enroll`: a one-time (or N-use) enrollment token exchanged for the
/// host's own access key. Not signed: the token is the credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollRequest {
    pub token: String,
    /// The resource id the agent derived from its machine id (`i-` and 17 hex digits).
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollResult {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    pub resource_id: String,
    pub resource_arn: String,
}
