//! `scry agent`: the host agent. It enrolls once with `scry server` (an enrollment token for
//! the host's own access key), then keeps the host's inventory current there: OS packages,
//! language packages under configured paths, the running kernel, OS release, machine id,
//! hostname, addresses and listening sockets with their processes.
//!
//! A cycle collects, numbers the inventory (sequence numbers only grow, so the server can
//! ignore a late or re-sent one), spools it (replacing any older undelivered one: findings
//! are state, not events) and delivers it. Cycles run at start, every `interval`, and soon
//! after a package database changes (debounced). Delivery failures retry with exponential
//! backoff and jitter; the spool survives restarts of the agent and outages of the server.
//!
//! - [`host`]: identity and facts from `/proc` and `/etc`;
//! - [`state`]: credentials and the spool in the state directory;
//! - [`client`]: enrollment and signed pushes;
//! - [`watch`]: the package database watch;
//! - [`problems`]: an unreadable package database or an unrecognised OS, reported with the
//!   push so the server keeps the host's findings and shows the reason in coverage.
//!
//! Architecture invariant: no matching, no storage of findings — the agent collects and
//! delivers; the server decides.

#![forbid(unsafe_code)]

pub mod client;
pub mod host;
pub mod problems;
pub mod state;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use scry_wire::native::{EnrollRequest, HostDetails, PushInventory};

use crate::client::{Client, SendError};
use crate::state::{State, StateDir};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Identity(String),
    #[error("{what} at {path}")]
    State {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Corrupt(String),
    #[error("enrollment failed: {0}")]
    Enroll(String),
    #[error("the inventory was not delivered: {0}")]
    Undelivered(String),
}

/// Everything the agent needs (flags, then the config file, then defaults: see `scry-cli`).
#[derive(Debug, Clone)]
pub struct Config {
    /// The `scry server` base URL.
    pub server: String,
    /// The enrollment token (needed only until the host is enrolled).
    pub token: Option<String>,
    pub state_dir: PathBuf,
    /// Seconds between scheduled cycles.
    pub interval: Duration,
    /// Directories (relative to `root`) walked for language packages and binaries.
    pub paths: Vec<String>,
    /// The root file system whose packages are reported (`/`; another root for tests and for
    /// hosts whose root is mounted elsewhere). Sockets, kernel and addresses always come from
    /// this machine's `/proc`.
    pub root: PathBuf,
    /// Quiet time after a package database change before the cycle runs.
    pub debounce: Duration,
    /// First retry delay and the largest one.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub max_spool_bytes: u64,
    /// Run one cycle, deliver (or spool) and exit.
    pub once: bool,
}

impl Config {
    pub fn new(server: &str, state_dir: &Path) -> Config {
        Config {
            server: server.into(),
            token: None,
            state_dir: state_dir.into(),
            interval: Duration::from_secs(3600),
            paths: Vec::new(),
            root: "/".into(),
            debounce: Duration::from_secs(5),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            max_spool_bytes: 64 << 20,
            once: false,
        }
    }
}

/// What one cycle cost, from the kernel's accounting of this process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    pub cpu_ms: u64,
    pub peak_rss_kib: u64,
}

/// CPU time (user + system, all threads) of this process so far, in milliseconds.
pub fn cpu_ms() -> u64 {
    // Fields 14 and 15 of /proc/self/stat, in clock ticks (USER_HZ, 100 on Linux).
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    let Some(rest) = s.rsplit_once(')').map(|(_, r)| r) else {
        return 0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After the ")" the fields start at number 3 (state), so utime (14) is index 11.
    (t(11) + t(12)) * 10
}

/// Peak resident set size of this process (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The host's identity: (machine id, resource id).
pub fn identity(root: &Path) -> Result<(String, String), AgentError> {
    let mid = host::machine_id(root)?;
    let rid = host::resource_id(&mid);
    Ok((mid, rid))
}

/// Collects the host's inventory and details into a push (without a sequence number).
pub fn collect(cfg: &Config, machine_id: &str, resource_id: &str) -> PushInventory {
    let catalog = scry_scan::standard_catalog();
    let inventory = scry_collect::collect_paths(&cfg.root, &cfg.paths, &catalog);
    let os_release = inventory
        .distro
        .as_ref()
        .and_then(|d| d.pretty_name.clone());
    let host = HostDetails {
        machine_id: Some(machine_id.into()),
        hostname: host::hostname(),
        kernel: host::kernel(),
        os_release: os_release.clone(),
        addresses: host::addresses(),
        listening: host::listening_sockets(Path::new("/proc")),
        interval_seconds: Some(cfg.interval.as_secs().max(1)),
        agent_version: Some(env!("CARGO_PKG_VERSION").into()),
        problems: problems::problems(&inventory),
    };
    let mut ec2 = serde_json::Map::new();
    if let Some(p) = &os_release {
        ec2.insert("platform".into(), p.clone().into());
    }
    let (v6, v4): (Vec<&String>, Vec<&String>) =
        host.addresses.iter().partition(|a| a.contains(':'));
    ec2.insert("ipV4Addresses".into(), serde_json::json!(v4));
    ec2.insert("ipV6Addresses".into(), serde_json::json!(v6));
    let details = serde_json::json!({ "awsEc2Instance": ec2 });
    PushInventory {
        resource_type: "AWS_EC2_INSTANCE".into(),
        resource_id: resource_id.into(),
        details: Some(details),
        // Tags stay the server's (an agent push never replaces them).
        tags: None,
        metadata: None,
        inventory,
        host: Some(host),
        sequence: None,
        collected_at: Some(chrono::Utc::now().timestamp_millis() as f64 / 1000.0),
    }
}

/// The agent: enrollment state, spool, client.
pub struct Agent {
    cfg: Config,
    dir: StateDir,
    state: State,
    client: Client,
    machine_id: String,
    /// An inventory too large for the spool, sent from memory.
    pending_unspooled: Option<PushInventory>,
}

/// Keeps the agent's resident memory small: no transparent huge pages for this process. The
/// `scry` binary's allocator (mimalloc, chosen for the server) asks for huge pages on its
/// arenas, so a few small allocations would each bring 2 MiB into memory: with them the agent
/// peaked at 34 MiB resident, without them at about 14. Call it first thing.
pub fn keep_footprint_small() {
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!(error = %e, "could not turn transparent huge pages off");
    }
}

impl Agent {
    /// Loads the host's enrollment, or enrolls with the token.
    pub fn start(cfg: Config) -> Result<Agent, AgentError> {
        let (machine_id, resource_id) = identity(&cfg.root)?;
        let mut dir = StateDir::open(&cfg.state_dir)?;
        dir.max_spool_bytes = cfg.max_spool_bytes;
        let client = Client::new(&cfg.server)?;
        let server = cfg.server.trim_end_matches('/').to_string();
        let state = match dir.load()? {
            Some(s) if s.resource_id == resource_id && s.server == server => s,
            existing => {
                if let Some(s) = &existing {
                    tracing::warn!(
                        enrolled_for = %s.resource_id, server = %s.server,
                        "the state directory belongs to another host or server; enrolling again"
                    );
                }
                let Some(token) = cfg.token.clone() else {
                    return Err(AgentError::Enroll(format!(
                        "this host is not enrolled yet (no usable {}): pass --token (from `scry agent-token create` on the server)",
                        dir.path().join("state.json").display()
                    )));
                };
                let res = client
                    .enroll(&EnrollRequest {
                        token,
                        resource_id: resource_id.clone(),
                        machine_id: Some(machine_id.clone()),
                        hostname: host::hostname(),
                    })
                    .map_err(|e| AgentError::Enroll(e.to_string()))?;
                let s = State {
                    server,
                    account_id: res.account_id,
                    resource_id: res.resource_id,
                    access_key_id: res.access_key_id,
                    secret_access_key: res.secret_access_key,
                    last_sequence: existing.map_or(0, |e| e.last_sequence),
                    enrolled_at: chrono::Utc::now().timestamp_millis() as f64 / 1000.0,
                };
                dir.save(&s)?;
                tracing::info!(resource_id = %s.resource_id, account = %s.account_id, access_key_id = %s.access_key_id, "enrolled");
                eprintln!(
                    "enrolled {} as {} in account {}",
                    host::hostname().unwrap_or_default(),
                    s.resource_id,
                    s.account_id
                );
                s
            }
        };
        Ok(Agent {
            cfg,
            dir,
            state,
            client,
            machine_id,
            pending_unspooled: None,
        })
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Collects, numbers and spools an inventory. Returns its sequence and what it cost.
    pub fn cycle(&mut self) -> Result<(u64, usize, Cost), AgentError> {
        let cpu0 = cpu_ms();
        let mut push = collect(&self.cfg, &self.machine_id, &self.state.resource_id);
        // Sequence numbers grow even when the state file was restored from a backup: the
        // clock in milliseconds is a floor.
        let now = chrono::Utc::now().timestamp_millis().max(0) as u64;
        let seq = (self.state.last_sequence + 1).max(now);
        push.sequence = Some(seq);
        self.state.last_sequence = seq;
        self.dir.save(&self.state)?;
        let packages = push.inventory.packages.len();
        for p in push.host.iter().flat_map(|h| &h.problems) {
            tracing::warn!(
                kind = ?p.kind,
                location = p.location.as_deref().unwrap_or("-"),
                problem = %p.message,
                "this inventory is incomplete; the server keeps the host's findings as they were and shows the reason in coverage"
            );
        }
        if !self.dir.spool(seq, &push)? {
            tracing::warn!(
                max_bytes = self.dir.max_spool_bytes,
                "the inventory is larger than the spool may hold; it is sent but not kept"
            );
            self.pending_unspooled = Some(push);
        }
        let cost = Cost {
            cpu_ms: cpu_ms().saturating_sub(cpu0),
            peak_rss_kib: peak_rss_kib(),
        };
        Ok((seq, packages, cost))
    }

    /// Sends the spooled inventory, if any. `Ok(None)`: nothing to send.
    pub fn deliver(&mut self) -> Result<Option<(u64, scry_wire::native::PushResult)>, SendError> {
        let (seq, body) = match (self.pending_unspooled.take(), self.dir.spooled()) {
            (Some(p), _) => (p.sequence.unwrap_or(0), client::body(&p)),
            (None, Some(s)) => (s.sequence, client::body(&s.push)),
            (None, None) => return Ok(None),
        };
        let res = self.client.push(&self.state, body)?;
        if let Err(e) = self.dir.clear_spool(Some(seq)) {
            tracing::warn!(error = %e, "removing the delivered spool");
        }
        Ok(Some((seq, res)))
    }

    pub fn has_pending(&self) -> bool {
        self.pending_unspooled.is_some() || self.dir.spooled_sequence().is_some()
    }

    /// Runs until `stop` receives (or its sender is dropped) — or one cycle with `once`.
    /// `changes` receives package database changes (see [`watch`]).
    pub fn run(&mut self, changes: Option<&Receiver<()>>) -> Result<(), AgentError> {
        let mut next_cycle = Instant::now();
        let mut next_try: Option<Instant> = self.has_pending().then(Instant::now);
        let mut attempt: u32 = 0;
        let mut first_change: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now >= next_cycle {
                let (seq, packages, cost) = self.cycle()?;
                tracing::info!(
                    sequence = seq,
                    packages,
                    cpu_ms = cost.cpu_ms,
                    peak_rss_kib = cost.peak_rss_kib,
                    "inventory collected"
                );
                next_cycle = now + self.cfg.interval;
                first_change = None;
                next_try = Some(now);
                attempt = 0;
            }
            if next_try.is_some_and(|t| Instant::now() >= t) {
                match self.deliver() {
                    Ok(Some((seq, r))) => {
                        match &r.ignored {
                            Some(why) => {
                                tracing::info!(sequence = seq, why = %why, "the server did not apply the inventory")
                            }
                            None => tracing::info!(
                                sequence = seq,
                                opened = r.opened,
                                closed = r.closed,
                                "inventory delivered"
                            ),
                        }
                        next_try = None;
                        attempt = 0;
                    }
                    Ok(None) => next_try = None,
                    Err(e) => {
                        let wait =
                            client::backoff(attempt, self.cfg.retry_base, self.cfg.retry_cap);
                        attempt = attempt.saturating_add(1);
                        if self.cfg.once {
                            return Err(AgentError::Undelivered(format!(
                                "{e}; it is spooled in {} and sent by the next run",
                                self.dir.path().display()
                            )));
                        }
                        tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "delivery failed; the inventory stays spooled");
                        next_try = Some(Instant::now() + wait);
                    }
                }
            }
            if self.cfg.once && next_try.is_none() {
                return Ok(());
            }
            let wake = next_try.map_or(next_cycle, |t| t.min(next_cycle));
            let timeout = wake.saturating_duration_since(Instant::now());
            let got = match changes {
                Some(rx) => rx.recv_timeout(timeout),
                None => {
                    std::thread::sleep(timeout);
                    Err(RecvTimeoutError::Timeout)
                }
            };
            match got {
                Ok(()) => {
                    // Debounce: run `debounce` after the last change, but no later than
                    // ten debounce periods after the first.
                    let now = Instant::now();
                    let first = *first_change.get_or_insert(now);
                    let at = (now + self.cfg.debounce).min(first + self.cfg.debounce * 10);
                    if at < next_cycle {
                        tracing::debug!("package database changed");
                        next_cycle = at;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }
}
