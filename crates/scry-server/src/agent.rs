//! The server's side of host agents (`scry agent`):
//!
//! - enrollment tokens (made by `scry agent-token create`, stored hashed) exchanged once at
//!   `POST /scry/v1/agents/enroll` for the host's own `agent` access key, bound to the host's
//!   resource id (an enrolled key may push only its own host);
//! - ordering of pushes: a push carries a sequence number and is ignored unless it is above
//!   the last one applied for the resource, so a re-sent or late inventory never rolls the
//!   resource back;
//! - the host's context: its listening sockets give NETWORK_REACHABILITY findings (one per
//!   port bound to all interfaces) and the Inspector-style score's network context (a host
//!   with nothing listening on a non-loopback address has AV:N vulnerabilities scored down);
//! - coverage: a host that misses `--agent-missed-intervals` reports becomes INACTIVE with
//!   reason `STALE_INVENTORY`; a host whose agent could not read its software (an unreadable
//!   package database, an unsupported OS: `HostDetails::problems`) becomes INACTIVE with
//!   `NO_INVENTORY` or `UNSUPPORTED_OS`, and its stored inventory and findings stay as they
//!   were, since an incomplete inventory must not close findings as if packages were removed.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Response, StatusCode};
use scry_scan::report::finding_id;
use scry_store::{FindingFacts, NewFinding, ResourceInfo, ScanWrite, Scope, TokenRefusal};
use scry_vulndb::ScoreContext;
use scry_wire::native::{EnrollRequest, EnrollResult, HostDetails, ListeningSocket, ProblemKind};
use scry_wire::ApiError;
use sha2::{Digest, Sha256};

use crate::api::Caller;
use crate::http::App;
use crate::service::{now_ms, resource_arn, Service, ServiceError};

/// The finding type of open ports.
pub const NETWORK_REACHABILITY: &str = "NETWORK_REACHABILITY";
/// Coverage reason of a host that stopped reporting (Inspector's word for it).
pub const MISSED_REASON: &str = "STALE_INVENTORY";
/// Largest enrollment request accepted.
const MAX_ENROLL_BODY: usize = 16 << 10;
/// Most listening sockets one push may report.
const MAX_SOCKETS: usize = 4096;
/// Most collection problems one push may report.
const MAX_PROBLEMS: usize = 64;

/// A new enrollment token: `(token_id, secret, token as given to agents)`.
pub fn new_token() -> Result<(String, String, String), getrandom::Error> {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 24];
    getrandom::getrandom(&mut id)?;
    getrandom::getrandom(&mut secret)?;
    let (id, secret) = (hex::encode(id), hex::encode(secret));
    let token = format!("scryet-{id}-{secret}");
    Ok((id, secret, token))
}

/// The stored form of a token's secret half.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("scry-enroll\0{secret}").as_bytes()))
}

fn split_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.trim().strip_prefix("scryet-")?;
    let (id, secret) = rest.split_once('-')?;
    (id.len() == 16 && secret.len() == 48).then_some((id, secret))
}

/// Resource ids the agent derives: `i-` and 17 lowercase hex digits, as EC2's.
pub fn valid_host_id(id: &str) -> bool {
    id.len() == 19
        && id.starts_with("i-")
        && id[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Exchanges an enrollment token for an access key.
pub fn enroll(svc: &Service, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let req: EnrollRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::validation(
            scry_wire::ValidationReason::CannotParse,
            format!("the enrollment request is not valid JSON of the expected shape: {e}"),
            Vec::new(),
        )
    })?;
    if !valid_host_id(&req.resource_id) {
        return Err(ApiError::invalid(
            "resourceId must be i- followed by 17 lowercase hex digits (the agent derives it from the machine id)",
        ));
    }
    for (what, v) in [("machineId", &req.machine_id), ("hostname", &req.hostname)] {
        if v.as_ref()
            .is_some_and(|v| v.len() > 255 || v.chars().any(char::is_control))
        {
            return Err(ApiError::invalid(format!(
                "{what} must be at most 255 printable characters"
            )));
        }
    }
    let Some((id, secret)) = split_token(&req.token) else {
        return Err(ApiError::access_denied(
            "the enrollment token is malformed: it looks like scryet-<16 hex>-<48 hex>, as `scry agent-token create` prints it",
        ));
    };
    let now = now_ms();
    let internal = |e: scry_store::StoreError| {
        tracing::error!(error = %e, "enrolling a host");
        ApiError::internal("Scry could not enroll the host; the server log has the cause")
    };
    let account = match svc
        .store
        .redeem_agent_token(id, &hash_secret(secret), now)
        .map_err(internal)?
    {
        Ok(a) => a,
        Err(why) => {
            let text = match why {
                TokenRefusal::Unknown => "the enrollment token is not known to this server",
                TokenRefusal::Revoked => "the enrollment token was revoked",
                TokenRefusal::Expired => "the enrollment token has expired",
                TokenRefusal::UsedUp => "the enrollment token has been used up",
            };
            tracing::warn!(token_id = id, resource_id = %req.resource_id, reason = text, "enrollment refused");
            return Err(ApiError::access_denied(format!(
                "{text}; create a new one with `scry agent-token create --account ID`"
            )));
        }
    };
    let key_id = scry_sigv4::generate_access_key_id()
        .map_err(|e| ApiError::internal(format!("generating a key id: {e}")))?;
    let secret_key = scry_sigv4::generate_secret()
        .map_err(|e| ApiError::internal(format!("generating a secret: {e}")))?;
    svc.store
        .create_key(&svc.master, &key_id, &secret_key, &account, "agent", now)
        .map_err(internal)?;
    let before = svc
        .store
        .enroll_agent_host(
            &account,
            &req.resource_id,
            &key_id,
            req.machine_id.as_deref(),
            req.hostname.as_deref(),
            now,
        )
        .map_err(internal)?;
    if let Some(old) = before.filter(|k| *k != key_id) {
        // The host enrolled again (its state was lost): its old key stops working.
        svc.store.disable_key(&old).map_err(internal)?;
    }
    tracing::info!(account = %account, resource_id = %req.resource_id, access_key_id = %key_id, "host enrolled");
    let out = EnrollResult {
        access_key_id: key_id,
        secret_access_key: secret_key,
        resource_arn: resource_arn(&svc.region, &account, "AWS_EC2_INSTANCE", &req.resource_id),
        account_id: account,
        resource_id: req.resource_id,
    };
    serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()))
}

/// `POST /scry/v1/agents/enroll` (not signed: the token is the credential).
pub async fn enroll_handler(State(app): State<App>, body: Bytes) -> Response<Body> {
    let started = std::time::Instant::now();
    let result = if body.len() > MAX_ENROLL_BODY {
        Err(ApiError::invalid(format!(
            "an enrollment request is at most {MAX_ENROLL_BODY} bytes"
        )))
    } else {
        let svc = app.svc.clone();
        tokio::task::spawn_blocking(move || enroll(&svc, &body))
            .await
            .unwrap_or_else(|_| Err(ApiError::internal("enrollment failed")))
    };
    let (status, body) = match result {
        Ok(b) => (200, b),
        Err(e) => (e.status(), e.to_body().into_bytes()),
    };
    app.metrics
        .observe("/scry/v1/agents/enroll", status, started);
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Body::from(body))
        .unwrap_or_default()
}

/// Pushes of one resource are applied one at a time (sequence check, ingest, record).
static LOCKS: [Mutex<()>; 64] = [const { Mutex::new(()) }; 64];

fn lock_for(account: &str, resource_id: &str) -> MutexGuard<'static, ()> {
    let h = Sha256::digest(format!("{account}\0{resource_id}").as_bytes());
    LOCKS[h[0] as usize % LOCKS.len()]
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// An agent push in progress: holds the resource's lock until the push is recorded.
pub struct AgentPush {
    _guard: Option<MutexGuard<'static, ()>>,
    account: String,
    resource_id: String,
    sequence: Option<i64>,
    record: bool,
}

/// What [`before_ingest`] decided.
pub enum Decision {
    /// Go on and ingest; call [`AgentPush::after_ingest`] when stored.
    Apply(AgentPush),
    /// Not applied: the server holds a newer inventory (the reason says which).
    Ignore(String),
}

/// Checks an inventory push against the host agent rules and records the host's details.
/// Keys issued by enrollment may push only their own host; a push with a sequence number
/// not above the stored one is ignored.
pub fn before_ingest(
    svc: &Service,
    caller: &Caller,
    resource_type: &str,
    resource_id: &str,
    host: Option<&HostDetails>,
    sequence: Option<u64>,
) -> Result<Decision, ApiError> {
    let internal = |e: scry_store::StoreError| {
        tracing::error!(error = %e, "checking an agent push");
        ApiError::internal("Scry could not store the inventory; the server log has the cause")
    };
    if let Some(bound) = svc
        .store
        .agent_host_by_key(&caller.access_key_id)
        .map_err(internal)?
    {
        if resource_type != "AWS_EC2_INSTANCE" || bound.resource_id != resource_id {
            return Err(ApiError::access_denied(format!(
                "access key {} was enrolled for host {}; it may push only that host's inventory",
                caller.access_key_id, bound.resource_id
            )));
        }
    }
    if host.is_none() && sequence.is_none() {
        return Ok(Decision::Apply(AgentPush {
            _guard: None,
            account: caller.account_id.clone(),
            resource_id: resource_id.into(),
            sequence: None,
            record: false,
        }));
    }
    if resource_type != "AWS_EC2_INSTANCE" {
        return Err(ApiError::invalid(
            "host details and sequence numbers are for resourceType AWS_EC2_INSTANCE",
        ));
    }
    let sequence = match sequence {
        Some(s) if s > i64::MAX as u64 => {
            return Err(ApiError::invalid("sequence is larger than 2^63-1"))
        }
        s => s.map(|s| s as i64),
    };
    if let Some(h) = host {
        check_host(h)?;
    }
    let guard = lock_for(&caller.account_id, resource_id);
    let stored = svc
        .store
        .agent_host(&caller.account_id, resource_id)
        .map_err(internal)?;
    if let (Some(seq), Some(st)) = (sequence, &stored) {
        if seq <= st.sequence {
            return Ok(Decision::Ignore(format!(
                "sequence {seq} is not above {} (already applied): the stored inventory is as new or newer",
                st.sequence
            )));
        }
    }
    if let Some(h) = host {
        let reachable = h
            .listening
            .as_ref()
            .map(|l| l.iter().any(|s| !s.loopback()));
        let json = serde_json::to_string(h).map_err(|e| ApiError::internal(e.to_string()))?;
        svc.store
            .set_agent_host_details(
                &caller.account_id,
                resource_id,
                &json,
                reachable,
                h.interval_seconds
                    .map(|s| (s.min(365 * 24 * 3600) * 1000) as i64),
            )
            .map_err(internal)?;
    }
    Ok(Decision::Apply(AgentPush {
        _guard: Some(guard),
        account: caller.account_id.clone(),
        resource_id: resource_id.into(),
        sequence,
        record: true,
    }))
}

fn check_host(h: &HostDetails) -> Result<(), ApiError> {
    let texts = [
        ("host.machineId", &h.machine_id),
        ("host.hostname", &h.hostname),
        ("host.kernel", &h.kernel),
        ("host.osRelease", &h.os_release),
        ("host.agentVersion", &h.agent_version),
    ];
    for (what, v) in texts {
        if v.as_ref().is_some_and(|v| v.len() > 1024) {
            return Err(ApiError::invalid(format!(
                "{what} is longer than 1024 characters"
            )));
        }
    }
    if h.addresses.len() > 1024 || h.addresses.iter().any(|a| a.len() > 64) {
        return Err(ApiError::invalid(
            "host.addresses holds at most 1024 addresses of at most 64 characters",
        ));
    }
    if h.problems.len() > MAX_PROBLEMS
        || h.problems
            .iter()
            .any(|p| p.message.len() > 4096 || p.location.as_ref().is_some_and(|l| l.len() > 1024))
    {
        return Err(ApiError::invalid(format!(
            "host.problems holds at most {MAX_PROBLEMS} problems, each message at most 4096 characters and location at most 1024"
        )));
    }
    if let Some(l) = &h.listening {
        if l.len() > MAX_SOCKETS {
            return Err(ApiError::invalid(format!(
                "host.listening holds at most {MAX_SOCKETS} sockets"
            )));
        }
        for s in l {
            if !matches!(s.protocol.as_str(), "TCP" | "UDP") {
                return Err(ApiError::invalid(format!(
                    "host.listening protocol {:?} is not TCP or UDP",
                    s.protocol
                )));
            }
            if s.address.len() > 64 || s.processes.len() > 64 {
                return Err(ApiError::invalid(
                    "host.listening: an address is at most 64 characters, a socket has at most 64 processes",
                ));
            }
            if s.processes.iter().any(|p| p.name.len() > 256) {
                return Err(ApiError::invalid(
                    "host.listening: a process name is at most 256 characters",
                ));
            }
        }
    }
    Ok(())
}

/// The coverage reason of a push whose agent could not read the host's software, with the
/// agent's words for it; `None` when the inventory is complete. An unsupported OS comes
/// before an unreadable database (nothing could be matched on such a host anyway).
pub fn problem_reason(h: &HostDetails) -> Option<(&'static str, String)> {
    let kind = [
        ProblemKind::UnsupportedOs,
        ProblemKind::UnreadablePackageDatabase,
    ]
    .into_iter()
    .find(|k| h.problems.iter().any(|p| p.kind == *k))?;
    let why: Vec<String> = h
        .problems
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| match &p.location {
            Some(l) => format!("{l}: {}", p.message),
            None => p.message.clone(),
        })
        .collect();
    Some((kind.scan_status_reason(), why.join("; ")))
}

/// Applies a push whose inventory is incomplete: the resource (created if new) becomes
/// INACTIVE with `reason` in coverage; its stored inventory and findings are not touched (no
/// finding closes). Returns the note for the push's answer.
pub fn hold(
    svc: &Service,
    resource: ResourceInfo,
    reason: &str,
    why: &str,
) -> Result<String, ApiError> {
    let internal = |e: scry_store::StoreError| {
        tracing::error!(error = %e, "recording a host's coverage");
        ApiError::internal(
            "Scry could not record the host's coverage; the server log has the cause",
        )
    };
    let now = now_ms();
    svc.store
        .ensure_account(&resource.account_id, now)
        .map_err(internal)?;
    let enabled = match svc.store.account(&resource.account_id).map_err(internal)? {
        Some(a) => scry_store::scan_type_of_resource_type(&resource.resource_type)
            .is_some_and(|t| a.enabled(t)),
        None => false,
    };
    // With scanning deactivated the account's coverage says that, as `ingest` would.
    let reason = if enabled { reason } else { "PENDING_DISABLE" };
    tracing::warn!(
        account = %resource.account_id, resource_id = %resource.resource_id, reason, why,
        "the agent could not read the host's software; its findings are kept as they were"
    );
    let id = resource.resource_id.clone();
    svc.store
        .write_scans(
            &[ScanWrite {
                resource,
                inventory: None,
                findings: Vec::new(),
                // Speaks for no component: no finding is opened, changed or closed.
                scope: Scope::Components(Vec::new()),
                trigger: "push".into(),
                status: ("INACTIVE".into(), reason.into()),
            }],
            now,
        )
        .map_err(internal)?;
    Ok(format!(
        "not applied: the agent could not read the software of {id} ({why}); coverage shows INACTIVE with reason {reason} and the host's findings are kept as they were until a complete inventory arrives"
    ))
}

impl AgentPush {
    /// Records that the push was applied (its sequence becomes the resource's).
    pub fn after_ingest(self, svc: &Service) -> Result<(), ApiError> {
        if !self.record {
            return Ok(());
        }
        svc.store
            .set_agent_host_seen(&self.account, &self.resource_id, self.sequence, now_ms())
            .map_err(|e| {
                tracing::error!(error = %e, "recording an agent push");
                ApiError::internal("Scry could not record the push; the server log has the cause")
            })
    }
}

impl Service {
    /// The Inspector-style score's context for a resource: for a host whose agent reported
    /// its listening sockets, whether anything listens on a non-loopback address.
    pub fn score_context(&self, res: &ResourceInfo) -> ScoreContext {
        if res.resource_type != "AWS_EC2_INSTANCE" {
            return ScoreContext::default();
        }
        match self.store.agent_host(&res.account_id, &res.resource_id) {
            Ok(Some(h)) => ScoreContext {
                network_reachable: h.network_reachable,
                ..ScoreContext::default()
            },
            Ok(None) => ScoreContext::default(),
            Err(e) => {
                tracing::error!(error = %e, "reading a host's network context");
                ScoreContext::default()
            }
        }
    }

    /// The NETWORK_REACHABILITY findings of a host: one per (protocol, port) bound to all
    /// interfaces, from the host details its agent last reported. Full scans add these to
    /// the package findings so that the lifecycle (open, close when the port closes) is the
    /// same.
    pub fn host_findings(&self, res: &ResourceInfo) -> Result<Vec<NewFinding>, ServiceError> {
        if res.resource_type != "AWS_EC2_INSTANCE" {
            return Ok(Vec::new());
        }
        let Some(h) = self.store.agent_host(&res.account_id, &res.resource_id)? else {
            return Ok(Vec::new());
        };
        let Some(details) = h
            .host
            .as_deref()
            .and_then(|j| serde_json::from_str::<HostDetails>(j).ok())
        else {
            return Ok(Vec::new());
        };
        Ok(network_findings(
            &self.region,
            res,
            details.listening.as_deref().unwrap_or_default(),
        ))
    }

    /// Hosts that missed `missed` reports become INACTIVE (`STALE_INVENTORY`).
    pub fn sweep_missed_agents(&self, missed: u32) -> Result<usize, ServiceError> {
        Ok(self
            .store
            .mark_missed_agents(now_ms(), i64::from(missed.max(1)), MISSED_REASON)?)
    }
}

/// The addresses and processes of one (protocol, port) bound to all interfaces.
type Bound<'a> = (Vec<&'a str>, Vec<String>);

/// Builds the NETWORK_REACHABILITY findings of a host's sockets.
pub fn network_findings(
    region: &str,
    res: &ResourceInfo,
    sockets: &[ListeningSocket],
) -> Vec<NewFinding> {
    // (protocol, port) -> (addresses, processes)
    let mut open: BTreeMap<(&str, u16), Bound<'_>> = BTreeMap::new();
    for s in sockets.iter().filter(|s| s.all_interfaces()) {
        let e = open.entry((s.protocol.as_str(), s.port)).or_default();
        e.0.push(&s.address);
        for p in &s.processes {
            e.1.push(format!("{} (pid {})", p.name, p.pid));
        }
    }
    let details: Option<serde_json::Value> = res
        .details
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    let epoch = 0.0;
    open.into_iter()
        .map(|((proto, port), (mut addrs, mut procs))| {
            addrs.sort_unstable();
            addrs.dedup();
            procs.sort();
            procs.dedup();
            let key = finding_id(
                &res.account_id,
                &res.resource_id,
                NETWORK_REACHABILITY,
                proto,
                &port.to_string(),
            );
            let who = if procs.is_empty() {
                "a process the agent could not see".to_string()
            } else {
                procs.join(", ")
            };
            let names: Vec<&str> = procs
                .iter()
                .map(|p| p.split(" (pid").next().unwrap_or(p))
                .collect();
            let title = format!("Port {port} is open on all interfaces - {proto}");
            let description = format!(
                "On the instance {}, the port range {port}-{port} ({proto}) is bound to all interfaces ({}) by {who}, so it is reachable from every network the host is attached to.",
                res.resource_id,
                addrs.join(", ")
            );
            let mut steps = vec![serde_json::json!({
                "componentId": res.resource_id,
                "componentType": "AWS::EC2::Instance",
                "componentArn": res.arn,
            })];
            for p in &procs {
                steps.push(serde_json::json!({"componentId": p, "componentType": "Process"}));
            }
            steps.truncate(30);
            let w = scry_wire::Finding {
                finding_arn: scry_wire::finding_arn(region, &res.account_id, &key),
                aws_account_id: res.account_id.clone(),
                ty: NETWORK_REACHABILITY.into(),
                description,
                title: Some(title.clone()),
                remediation: scry_wire::Remediation {
                    recommendation: Some(scry_wire::Recommendation {
                        text: Some(format!(
                            "If {} need not be reachable from other hosts, bind it to a loopback or private address, or restrict port {port}/{proto} with a host firewall or the security groups and ACLs in the network path.",
                            if names.is_empty() { "the service".to_string() } else { names.join(", ") }
                        )),
                        url: None,
                    }),
                },
                severity: "MEDIUM".into(),
                first_observed_at: epoch,
                last_observed_at: epoch,
                updated_at: None,
                status: "ACTIVE".into(),
                resources: vec![scry_wire::Resource {
                    ty: res.resource_type.clone(),
                    id: res.resource_id.clone(),
                    partition: Some("aws".into()),
                    region: Some(region.into()),
                    tags: Default::default(),
                    details: details.clone(),
                }],
                inspector_score: None,
                inspector_score_details: None,
                network_reachability_details: Some(serde_json::json!({
                    "openPortRange": {"begin": port, "end": port},
                    "protocol": proto,
                    "networkPath": {"steps": steps},
                })),
                package_vulnerability_details: None,
                fix_available: None,
                exploit_available: None,
                exploitability_details: None,
                epss: None,
            };
            NewFinding {
                key,
                arn: w.finding_arn.clone(),
                facts: std::sync::Arc::new(FindingFacts {
                    finding_type: NETWORK_REACHABILITY.into(),
                    severity: "MEDIUM".into(),
                    severity_rank: scry_store::criteria::severity_rank("MEDIUM").unwrap_or(0),
                    inspector_score: -1.0,
                    epss: -1.0,
                    fix_available: "NO".into(),
                    exploit_available: "NO".into(),
                    title,
                    pkg_name: names.first().map_or_else(String::new, |n| n.to_string()),
                    ..Default::default()
                }),
                component_key: format!("network\t{proto}/{port}"),
                body: serde_json::to_vec(&w).unwrap_or_default(),
                ..Default::default()
            }
        })
        .collect()
}

/// `GET /scry/v1/agents`: the caller's enrolled hosts.
pub fn list(svc: &Service, caller: &Caller) -> Result<Vec<u8>, ApiError> {
    if caller.role == "agent" {
        return Err(ApiError::access_denied(
            "agent keys may only push inventories; list hosts with an admin or reader key",
        ));
    }
    let hosts = svc.store.agent_hosts(&caller.account_id).map_err(|e| {
        tracing::error!(error = %e, "listing hosts");
        ApiError::internal("Scry could not list the hosts; the server log has the cause")
    })?;
    let mut items: Vec<serde_json::Value> = Vec::with_capacity(hosts.len());
    for h in hosts {
        let res = svc
            .store
            .resource(&caller.account_id, "AWS_EC2_INSTANCE", &h.resource_id)
            .map_err(|e| {
                tracing::error!(error = %e, "listing hosts");
                ApiError::internal("Scry could not list the hosts; the server log has the cause")
            })?;
        let details: Option<serde_json::Value> =
            h.host.as_deref().and_then(|j| serde_json::from_str(j).ok());
        items.push(serde_json::json!({
                "resourceId": h.resource_id,
                "accessKeyId": h.access_key_id,
                "machineId": h.machine_id,
                "hostname": h.hostname,
                "enrolledAt": h.enrolled_at.map(|t| t as f64 / 1000.0),
                "lastSeenAt": h.last_seen_at.map(|t| t as f64 / 1000.0),
                "sequence": h.sequence,
                "intervalSeconds": h.interval_ms.map(|i| i / 1000),
                "networkReachable": h.network_reachable,
                "host": details,
                "resourceArn": res.as_ref().map(|r| r.info.arn.clone()),
                "packages": res.as_ref().map(|r| r.packages),
                "scanStatus": res.as_ref().map(|r| serde_json::json!({"statusCode": r.scan_status, "reason": r.scan_reason})),
        }));
    }
    serde_json::to_vec(&serde_json::json!({ "hosts": items }))
        .map_err(|e| ApiError::internal(e.to_string()))
}
