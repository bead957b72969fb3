//! `scry registry add|list|remove`: the registries `scry server` watches. (The grammar lives
//! here rather than in `args.rs` while several command families are being added at once.)

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;

use crate::args::KeysFormat;

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Watch a registry. Prints the bearer token its notifications must carry, once, and the
    /// `notifications:` block to paste into the registry's config.yml (CNCF Distribution,
    /// Debian's docker-registry); `scry server` then scans every image manifest pushed, and
    /// polls the catalog and tags on an interval for what notifications missed.
    Add {
        /// The registry: `http://host:port` (plain HTTP) or `https://host[:port]`.
        url: String,
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        /// The 12-digit account the images' findings belong to.
        #[arg(long, default_value = "111122223333")]
        account: String,
        /// User name for the registry (with --password-stdin).
        #[arg(long, requires = "password_stdin")]
        username: Option<String>,
        /// Read the registry password from standard input (stored encrypted under
        /// DATA_DIR/master.key).
        #[arg(long, requires = "username")]
        password_stdin: bool,
        /// Which repositories to watch: a glob (`*` any characters, `?` one), e.g. `team/*`.
        #[arg(long, default_value = "*")]
        repositories: String,
        /// Seconds between polls of the catalog and tags (0: notifications only).
        #[arg(long, default_value_t = 300)]
        poll_interval: u64,
        /// How the registry reaches `scry server` (for the printed config snippet).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server_url: String,
        #[arg(long, value_enum, default_value_t = KeysFormat::Text)]
        format: KeysFormat,
    },
    /// List watched registries and how many of their images are in each scan state.
    List {
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        #[arg(long, value_enum, default_value_t = KeysFormat::Text)]
        format: KeysFormat,
    },
    /// Stop watching a registry (by URL or host:port). Findings already made stay.
    Remove {
        registry: String,
        #[arg(long, env = "SCRY_DATA_DIR", default_value = "scry-data")]
        data_dir: PathBuf,
        #[arg(long)]
        account: Option<String>,
    },
}

/// `http://host:port` → (`host:port`, insecure).
fn parse_url(url: &str) -> anyhow::Result<(String, bool)> {
    let (insecure, rest) = if let Some(r) = url.strip_prefix("http://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (false, r)
    } else {
        bail!("{url:?}: give the registry as http://host:port or https://host[:port]");
    };
    let host = rest.trim_end_matches('/');
    if host.is_empty()
        || host.contains('/')
        || host.contains('@')
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        bail!("{url:?}: expected http(s)://host[:port] with no path or user part");
    }
    Ok((host.to_string(), insecure))
}

fn open(data_dir: &std::path::Path) -> anyhow::Result<(scry_store::Store, scry_store::MasterKey)> {
    scry_server::open_data_dir(data_dir, std::env::var("SCRY_MASTER_KEY").ok().as_deref())
}

pub fn run(c: RegistryCommand) -> anyhow::Result<ExitCode> {
    match c {
        RegistryCommand::Add {
            url,
            data_dir,
            account,
            username,
            password_stdin,
            repositories,
            poll_interval,
            server_url,
            format,
        } => {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                bail!("--account must be 12 digits, as AWS account ids are (e.g. 111122223333)");
            }
            if repositories.is_empty() || repositories.len() > 255 {
                bail!("--repositories must be a glob of 1 to 255 characters");
            }
            let (host, insecure) = parse_url(&url)?;
            let password = if password_stdin {
                let mut p = String::new();
                std::io::stdin()
                    .read_to_string(&mut p)
                    .context("reading the registry password from standard input")?;
                Some(p.trim_end_matches(['\n', '\r']).to_string())
            } else {
                None
            };
            let (store, master) = open(&data_dir)?;
            let token = scry_store::new_registry_token();
            let id = store.add_registry(
                &master,
                &scry_store::NewRegistry {
                    account_id: account.clone(),
                    url: url.trim_end_matches('/').to_string(),
                    host: host.clone(),
                    insecure,
                    username,
                    password,
                    repositories: repositories.clone(),
                    poll_seconds: poll_interval.min(i64::MAX as u64 / 1000) as i64,
                },
                &scry_store::token_hash(&token),
                chrono::Utc::now().timestamp_millis(),
            )?;
            let endpoint = format!(
                "{}/scry/v1/registry-events",
                server_url.trim_end_matches('/')
            );
            let snippet = format!(
                "notifications:\n  endpoints:\n    - name: scry\n      url: {endpoint}\n      headers:\n        Authorization: [\"Bearer {token}\"]\n      timeout: 5s\n      threshold: 5\n      backoff: 2s\n      ignoredmediatypes:\n        - application/octet-stream\n"
            );
            match format {
                KeysFormat::Json => println!(
                    "{}",
                    serde_json::json!({"id": id, "registry": host, "accountId": account, "token": token, "endpoint": endpoint, "notificationsConfig": snippet})
                ),
                KeysFormat::Text => {
                    println!(
                        "# scry watches {host} (account {account}, repositories {repositories})."
                    );
                    println!("# Add this to the registry's config.yml and restart it; the token is shown once.");
                    print!("{snippet}");
                }
            }
        }
        RegistryCommand::List { data_dir, format } => {
            let (store, _) = open(&data_dir)?;
            let regs = store.registries()?;
            let images = store.registry_images(None)?;
            let counts = |id: i64| {
                let mut m = std::collections::BTreeMap::<String, usize>::new();
                for i in images.iter().filter(|i| i.registry_id == id) {
                    *m.entry(i.state.clone()).or_default() += 1;
                }
                m
            };
            match format {
                KeysFormat::Json => {
                    let v: Vec<_> = regs
                        .iter()
                        .map(|r| {
                            let mut j = serde_json::to_value(r).unwrap_or_default();
                            j["images"] = serde_json::to_value(counts(r.id)).unwrap_or_default();
                            j
                        })
                        .collect();
                    println!("{}", serde_json::Value::Array(v));
                }
                KeysFormat::Text => {
                    println!(
                        "{:<28} {:<12} {:<14} {:>6}  IMAGES",
                        "REGISTRY", "ACCOUNT", "REPOSITORIES", "POLL"
                    );
                    for r in &regs {
                        let c: Vec<String> = counts(r.id)
                            .iter()
                            .map(|(s, n)| format!("{n} {s}"))
                            .collect();
                        println!(
                            "{:<28} {:<12} {:<14} {:>5}s  {}{}",
                            r.url,
                            r.account_id,
                            r.repositories,
                            r.poll_seconds,
                            if c.is_empty() {
                                "none yet".into()
                            } else {
                                c.join(", ")
                            },
                            r.last_error
                                .as_ref()
                                .map(|e| format!("  (last poll: {e})"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
        }
        RegistryCommand::Remove {
            registry,
            data_dir,
            account,
        } => {
            let (store, _) = open(&data_dir)?;
            let n = store.remove_registry(account.as_deref(), registry.trim_end_matches('/'))?;
            if n == 0 {
                bail!(
                    "no watched registry {registry} in {} — `scry registry list` shows them",
                    data_dir.display()
                );
            }
            eprintln!("stopped watching {registry}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:5000/").unwrap(),
            ("127.0.0.1:5000".into(), true)
        );
        assert_eq!(
            parse_url("https://r.example").unwrap(),
            ("r.example".into(), false)
        );
        for bad in [
            "127.0.0.1:5000",
            "ftp://x",
            "http://",
            "http://u:p@h",
            "http://h/path",
            "http://h x",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
