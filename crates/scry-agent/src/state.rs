//! The agent's state directory: its credentials (`state.json`, mode 0600, in a 0700
//! directory) and its spool (`spool.json`: the newest inventory not yet delivered).
//!
//! The spool holds one inventory: findings are state, not events, so an inventory replaced by
//! a newer one before it was delivered is dropped rather than queued. Every write is atomic
//! (temporary file, then rename), so a crash leaves the old file or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

use scry_wire::native::PushInventory;
use serde::{Deserialize, Serialize};

use crate::AgentError;

/// What enrollment gave this host, and the last sequence number used.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub server: String,
    pub account_id: String,
    pub resource_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub last_sequence: u64,
    #[serde(default)]
    pub enrolled_at: f64,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("server", &self.server)
            .field("account_id", &self.account_id)
            .field("resource_id", &self.resource_id)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("last_sequence", &self.last_sequence)
            .finish()
    }
}

/// A spooled inventory and its sequence number (read back without parsing the inventory
/// twice).
#[derive(Debug, Serialize, Deserialize)]
pub struct Spooled {
    pub sequence: u64,
    pub push: PushInventory,
}

pub struct StateDir {
    dir: PathBuf,
    /// Largest spooled inventory kept on disk.
    pub max_spool_bytes: u64,
}

fn io(path: &Path, what: &'static str, source: std::io::Error) -> AgentError {
    AgentError::State {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// Writes `bytes` to `path` atomically with mode 0600.
fn write_private(path: &Path, bytes: &[u8], what: &'static str) -> Result<(), AgentError> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| io(&tmp, what, e))?;
    f.write_all(bytes).map_err(|e| io(&tmp, what, e))?;
    f.sync_all().map_err(|e| io(&tmp, what, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io(path, what, e))
}

impl StateDir {
    /// Opens (creating, mode 0700) the state directory.
    pub fn open(dir: &Path) -> Result<StateDir, AgentError> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)
            .map_err(|e| io(dir, "creating the state directory", e))?;
        Ok(StateDir {
            dir: dir.to_path_buf(),
            max_spool_bytes: 64 << 20,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    pub fn spool_path(&self) -> PathBuf {
        self.dir.join("spool.json")
    }

    pub fn load(&self) -> Result<Option<State>, AgentError> {
        let p = self.state_path();
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
                AgentError::Corrupt(format!(
                    "{} is not an agent state file ({e}); remove it and enroll again with a new token",
                    p.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p, "reading the agent state", e)),
        }
    }

    pub fn save(&self, s: &State) -> Result<(), AgentError> {
        let b = serde_json::to_vec_pretty(s).map_err(|e| AgentError::Corrupt(e.to_string()))?;
        write_private(&self.state_path(), &b, "writing the agent state")
    }

    /// Replaces the spooled inventory with this newer one. Returns false (and keeps nothing)
    /// when it is larger than the spool may hold.
    pub fn spool(&self, sequence: u64, push: &PushInventory) -> Result<bool, AgentError> {
        let s = SpooledRef { sequence, push };
        let b = serde_json::to_vec(&s).map_err(|e| AgentError::Corrupt(e.to_string()))?;
        if b.len() as u64 > self.max_spool_bytes {
            self.clear_spool(None)?;
            return Ok(false);
        }
        write_private(&self.spool_path(), &b, "spooling the inventory")?;
        Ok(true)
    }

    /// The spooled inventory, if any. A spool file that cannot be read is removed (the next
    /// collection makes a new one).
    pub fn spooled(&self) -> Option<Spooled> {
        let p = self.spool_path();
        let b = std::fs::read(&p).ok()?;
        match serde_json::from_slice(&b) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "dropping an unreadable spool file");
                let _ = std::fs::remove_file(&p);
                None
            }
        }
    }

    /// The spooled sequence number, without reading the inventory.
    pub fn spooled_sequence(&self) -> Option<u64> {
        #[derive(Deserialize)]
        struct Head {
            sequence: u64,
        }
        let b = std::fs::read(self.spool_path()).ok()?;
        serde_json::from_slice::<Head>(&b).ok().map(|h| h.sequence)
    }

    /// Removes the spool once delivered — only if it still holds `sequence` (a newer one
    /// spooled meanwhile stays).
    pub fn clear_spool(&self, sequence: Option<u64>) -> Result<(), AgentError> {
        if let Some(seq) = sequence {
            if self.spooled_sequence().is_some_and(|s| s != seq) {
                return Ok(());
            }
        }
        match std::fs::remove_file(self.spool_path()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&self.spool_path(), "removing the delivered spool", e)),
        }
    }
}

#[derive(Serialize)]
struct SpooledRef<'a> {
    sequence: u64,
    push: &'a PushInventory,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(n: usize) -> PushInventory {
        PushInventory {
            resource_type: "AWS_EC2_INSTANCE".into(),
            resource_id: format!("i-{n:017x}"),
            details: None,
            tags: None,
            metadata: None,
            inventory: Default::default(),
            host: None,
            sequence: Some(n as u64),
            collected_at: None,
        }
    }

    #[test]
    fn newest_wins_and_delivery_clears_only_its_own() {
        let d = tempfile::tempdir().unwrap();
        let s = StateDir::open(&d.path().join("state")).unwrap();
        assert!(s.spooled().is_none());
        assert!(s.spool(1, &push(1)).unwrap());
        assert!(s.spool(2, &push(2)).unwrap());
        assert_eq!(s.spooled().unwrap().sequence, 2);
        // Delivering 1 (sent before 2 was spooled) leaves 2.
        s.clear_spool(Some(1)).unwrap();
        assert_eq!(s.spooled_sequence(), Some(2));
        s.clear_spool(Some(2)).unwrap();
        assert!(s.spooled().is_none());
    }

    #[test]
    fn spool_is_bounded() {
        let d = tempfile::tempdir().unwrap();
        let mut s = StateDir::open(d.path()).unwrap();
        s.max_spool_bytes = 64;
        assert!(!s.spool(1, &push(1)).unwrap());
        assert!(s.spooled().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn credentials_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let s = StateDir::open(&d.path().join("st")).unwrap();
        s.save(&State {
            server: "http://x".into(),
            account_id: "111122223333".into(),
            resource_id: "i-00000000000000000".into(),
            access_key_id: "AKIA".into(),
            secret_access_key: "secret".into(),
            last_sequence: 0,
            enrolled_at: 0.0,
        })
        .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d.path().join("st/state.json")), 0o600);
        assert_eq!(mode(&d.path().join("st")), 0o700);
        assert!(!format!("{:?}", s.load().unwrap().unwrap()).contains("secret\""));
    }
}
