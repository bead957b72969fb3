//! `scry agent` and `scry agent-token`: settings resolution and printing; the agent itself is
//! `scry-agent`, tokens are `scry-server::agent` and `scry-store`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::args::{AgentArgs, AgentTokenCommand, KeysFormat};

/// The agent's configuration file: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    server: Option<String>,
    token: Option<String>,
    state_dir: Option<PathBuf>,
    interval_seconds: Option<u64>,
    paths: Option<Vec<String>>,
    root: Option<PathBuf>,
    debounce_seconds: Option<f64>,
    max_spool_mib: Option<u64>,
    retry_max_seconds: Option<f64>,
}

fn settings(a: &AgentArgs) -> anyhow::Result<scry_agent::Config> {
    let file: FileConfig = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the agent configuration file {}", p.display()))?;
            toml::from_str(&text).with_context(|| {
                format!("{} is not a valid scry agent configuration", p.display())
            })?
        }
        None => FileConfig::default(),
    };
    let server = a.server.clone().or(file.server).unwrap_or_default();
    let state_dir = a
        .state_dir
        .clone()
        .or(file.state_dir)
        .unwrap_or_else(|| "/var/lib/scry-agent".into());
    let mut cfg = scry_agent::Config::new(&server, &state_dir);
    cfg.token = a.token.clone().or(file.token).filter(|t| !t.is_empty());
    cfg.interval = Duration::from_secs(a.interval.or(file.interval_seconds).unwrap_or(3600).max(1));
    cfg.paths = if a.paths.is_empty() {
        file.paths.unwrap_or_default()
    } else {
        a.paths.clone()
    };
    cfg.root = a.root.clone().or(file.root).unwrap_or_else(|| "/".into());
    let debounce = a.debounce.or(file.debounce_seconds).unwrap_or(5.0);
    if !(0.0..=3600.0).contains(&debounce) {
        bail!("--debounce must be between 0 and 3600 seconds");
    }
    cfg.debounce = Duration::from_secs_f64(debounce);
    let retry_max = a.retry_max.or(file.retry_max_seconds).unwrap_or(300.0);
    if !(0.1..=86400.0).contains(&retry_max) {
        bail!("--retry-max must be between 0.1 and 86400 seconds");
    }
    cfg.retry_cap =
        Duration::from_secs_f64(retry_max).min(cfg.interval.max(Duration::from_secs(2)));
    cfg.retry_base = cfg.retry_base.min(cfg.retry_cap);
    if let Some(m) = file.max_spool_mib {
        cfg.max_spool_bytes = m << 20;
    }
    cfg.once = a.once;
    Ok(cfg)
}

pub fn run(a: AgentArgs) -> anyhow::Result<ExitCode> {
    scry_agent::keep_footprint_small();
    let cfg = settings(&a)?;
    if a.print {
        let (mid, rid) = scry_agent::identity(&cfg.root)?;
        let t = scry_agent::cpu_ms();
        let push = scry_agent::collect(&cfg, &mid, &rid);
        println!("{}", serde_json::to_string(&push)?);
        eprintln!(
            "collected {} packages: {} ms CPU, peak RSS {} KiB",
            push.inventory.packages.len(),
            scry_agent::cpu_ms().saturating_sub(t),
            scry_agent::peak_rss_kib()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if cfg.server.is_empty() {
        bail!("no server: pass --server URL (or server = \"...\" in --config FILE)");
    }
    let once = cfg.once;
    let root = cfg.root.clone();
    let mut agent = scry_agent::Agent::start(cfg)?;
    eprintln!(
        "scry agent reporting {} to {} (state in {})",
        agent.state().resource_id,
        agent.state().server,
        a.state_dir
            .as_deref()
            .map_or("/var/lib/scry-agent".into(), |p| p.display().to_string())
    );
    if once {
        agent.run(None)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let _watch = match scry_agent::watch::watch(&root, tx) {
        Ok(w) => {
            tracing::info!(dirs = ?w.watched, "watching package databases");
            Some(w)
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch package databases; changes are reported at the next scheduled inventory");
            None
        }
    };
    agent.run(Some(&rx))?;
    Ok(ExitCode::SUCCESS)
}

/// `30m`, `24h`, `7d`, `90s` or plain seconds.
fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .with_context(|| format!("{s:?} is not a duration like 30m, 24h or 7d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => bail!("{s:?} is not a duration like 30m, 24h or 7d"),
    };
    if secs == 0 {
        bail!("--expires-in must be more than zero");
    }
    Ok(Duration::from_secs(secs))
}

pub fn token(c: AgentTokenCommand) -> anyhow::Result<ExitCode> {
    let open = |d: &std::path::Path| {
        scry_server::open_data_dir(d, std::env::var("SCRY_MASTER_KEY").ok().as_deref())
    };
    match c {
        AgentTokenCommand::Create {
            data_dir,
            account,
            uses,
            expires_in,
            description,
            format,
        } => {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                bail!("--account must be 12 digits, as AWS account ids are (e.g. 111122223333)");
            }
            if uses == 0 {
                bail!("--uses must be at least 1");
            }
            let ttl = parse_duration(&expires_in)?;
            let (store, _) = open(&data_dir)?;
            let (id, secret, token) = scry_server::agent::new_token()
                .map_err(|e| anyhow::anyhow!("generating a token: {e}"))?;
            let now = chrono::Utc::now().timestamp_millis();
            let expires = now + ttl.as_millis() as i64;
            store.create_agent_token(
                &id,
                &account,
                &scry_server::agent::hash_secret(&secret),
                i64::from(uses),
                expires,
                description.as_deref(),
                now,
            )?;
            let expires_at = chrono::DateTime::from_timestamp_millis(expires)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            match format {
                KeysFormat::Json => println!(
                    "{}",
                    serde_json::json!({"token": token, "tokenId": id, "accountId": account, "uses": uses, "expiresAt": expires as f64 / 1000.0})
                ),
                KeysFormat::Text => {
                    println!("{token}");
                    eprintln!("Token {id} for account {account}: enrolls {uses} host(s) until {expires_at}. It is shown once.\nOn each host:  SCRY_AGENT_TOKEN={token} scry agent --server URL");
                }
            }
        }
        AgentTokenCommand::List {
            data_dir,
            account,
            format,
        } => {
            let (store, _) = open(&data_dir)?;
            let tokens = store.list_agent_tokens(account.as_deref())?;
            match format {
                KeysFormat::Json => println!("{}", serde_json::to_string(&tokens)?),
                KeysFormat::Text => {
                    let now = chrono::Utc::now().timestamp_millis();
                    println!(
                        "{:<16}  {:<12}  {:>9}  {:<25}  STATUS",
                        "TOKEN ID", "ACCOUNT", "USES LEFT", "EXPIRES"
                    );
                    for t in tokens {
                        let status = if t.revoked {
                            "revoked"
                        } else if t.expires_at <= now {
                            "expired"
                        } else if t.uses_left <= 0 {
                            "used up"
                        } else {
                            "usable"
                        };
                        let exp = chrono::DateTime::from_timestamp_millis(t.expires_at)
                            .map(|d| d.to_rfc3339())
                            .unwrap_or_default();
                        println!(
                            "{:<16}  {:<12}  {:>9}  {exp:<25}  {status}",
                            t.token_id, t.account_id, t.uses_left
                        );
                    }
                }
            }
        }
        AgentTokenCommand::Revoke { data_dir, token_id } => {
            let (store, _) = open(&data_dir)?;
            if !store.revoke_agent_token(&token_id)? {
                bail!("no enrollment token {token_id} in {}", data_dir.display());
            }
            eprintln!("revoked {token_id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
