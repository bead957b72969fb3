//! Secrets at rest. SigV4 needs the secret access key itself on the server (the signature is
//! an HMAC keyed by it), so it cannot be stored as a hash; it is sealed with
//! ChaCha20-Poly1305 under a master key kept in the data directory (`master.key`, mode 0600)
//! or given in `SCRY_MASTER_KEY` (64 hex digits).

use std::path::Path;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("master key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("a stored secret could not be unsealed: the master key does not match the one it was sealed with")]
    Unseal,
}

/// The data directory's master key.
#[derive(Clone)]
pub struct MasterKey(Key);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// From 64 hex digits.
    pub fn from_hex(hex_key: &str, origin: &str) -> Result<MasterKey, SealError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|e| SealError::Key {
            path: origin.into(),
            reason: format!("not hex: {e}"),
        })?;
        if bytes.len() != 32 {
            return Err(SealError::Key {
                path: origin.into(),
                reason: format!("{} bytes, expected 32 (64 hex digits)", bytes.len()),
            });
        }
        Ok(MasterKey(*Key::from_slice(&bytes)))
    }

    /// Reads `path`, or creates it with a new random key (mode 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, SealError> {
        let err = |reason: String| SealError::Key {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => MasterKey::from_hex(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = ChaCha20Poly1305::generate_key(&mut OsRng);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path).map_err(|e| err(e.to_string()))?;
                use std::io::Write;
                f.write_all(hex::encode(key).as_bytes())
                    .map_err(|e| err(e.to_string()))?;
                Ok(MasterKey(key))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    pub fn seal(&self, secret: &[u8]) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new(&self.0);
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and nonce cannot fail for in-memory buffers.
        out.extend(cipher.encrypt(&nonce, secret).unwrap_or_default());
        out
    }

    pub fn unseal(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 12 + 16 {
            return Err(SealError::Unseal);
        }
        let (nonce, body) = sealed.split_at(12);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| SealError::Unseal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_detects_the_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let k = MasterKey::load_or_create(&path).unwrap();
        let again = MasterKey::load_or_create(&path).unwrap();
        let sealed = k.seal(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert!(
            !sealed.windows(8).any(|w| w == b"wJalrXUt"),
            "the secret must not appear in clear"
        );
        assert_eq!(
            again.unseal(&sealed).unwrap(),
            b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        );
        let other = MasterKey::from_hex(&"ab".repeat(32), "test").unwrap();
        assert!(matches!(other.unseal(&sealed), Err(SealError::Unseal)));
        assert!(MasterKey::from_hex("abcd", "x").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
