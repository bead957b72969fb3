//! Uploaded artifacts' own records: the cache of function layer inventories (a layer shared
//! between functions is collected once) and the versions of uploaded functions (each push is a
//! new, immutable version).

use rusqlite::OptionalExtension;

use crate::{SqlContext, Store, StoreError};

/// Layer inventories over this size after decompression are refused as damaged.
const MAX_LAYER_INVENTORY: usize = 64 << 20;

/// A function layer's collected inventory, as kept in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedLayer {
    /// `sha256:HEX` of the layer zip as uploaded.
    pub digest: String,
    /// Size of the layer zip.
    pub bytes: u64,
    pub packages: usize,
    /// The inventory JSON (opaque here).
    pub inventory: Vec<u8>,
    pub created_at: i64,
}

/// A function version as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionVersion {
    pub name: String,
    pub version: String,
    pub code_sha256: String,
    pub runtime: String,
    /// Layer digests, in the order the function lists them.
    pub layers: Vec<String>,
    pub created_at: i64,
}

/// Why a function version could not be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRefusal {
    /// The version exists with other code, runtime or layers (versions are immutable).
    Taken(FunctionVersion),
}

impl Store {
    /// The cached inventory of a layer the account uploaded, if any.
    pub fn function_layer(
        &self,
        account_id: &str,
        digest: &str,
    ) -> Result<Option<CachedLayer>, StoreError> {
        let row = self
            .read()
            .query_row(
                "SELECT bytes, packages, inventory, created_at FROM function_layers WHERE account_id = ?1 AND digest = ?2",
                rusqlite::params![account_id, digest],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()
            .doing("reading a function layer")?;
        let Some((bytes, packages, body, created_at)) = row else {
            return Ok(None);
        };
        Ok(Some(CachedLayer {
            digest: digest.to_string(),
            bytes: bytes.max(0) as u64,
            packages: packages.max(0) as usize,
            inventory: decompress(&body)?,
            created_at,
        }))
    }

    /// Keeps a layer's inventory. When the account already has this digest the stored one is
    /// kept (same bytes, same inventory) and `false` is returned.
    pub fn put_function_layer(
        &self,
        account_id: &str,
        layer: &CachedLayer,
    ) -> Result<bool, StoreError> {
        let body = zstd::bulk::compress(&layer.inventory, 3).map_err(|e| StoreError::Corrupt {
            what: "function layer inventory",
            reason: e.to_string(),
        })?;
        let n = self
            .write()
            .execute(
                "INSERT INTO function_layers (account_id, digest, bytes, packages, inventory, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account_id, digest) DO NOTHING",
                rusqlite::params![
                    account_id,
                    layer.digest,
                    layer.bytes as i64,
                    layer.packages as i64,
                    body,
                    layer.created_at
                ],
            )
            .doing("storing a function layer")?;
        Ok(n > 0)
    }

    /// Records a function version. `version: None` takes the next number (one more than the
    /// largest numeric version of that function, from 1). An explicit version that exists
    /// with the same code, runtime and layers is accepted again (a retried push); with
    /// anything else it is refused. Returns the version and whether it is new.
    pub fn record_function_version(
        &self,
        account_id: &str,
        v: &FunctionVersion,
        explicit: bool,
    ) -> Result<Result<(String, bool), VersionRefusal>, StoreError> {
        let layers = serde_json::to_string(&v.layers).unwrap_or_else(|_| "[]".into());
        let mut conn = self.write();
        let tx = conn.transaction().doing("recording a function version")?;
        let version = if explicit {
            let existing = tx
                .query_row(
                    "SELECT code_sha256, runtime, layers, created_at FROM function_versions WHERE account_id = ?1 AND name = ?2 AND version = ?3",
                    rusqlite::params![account_id, v.name, v.version],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    },
                )
                .optional()
                .doing("recording a function version")?;
            if let Some((code, runtime, stored_layers, created_at)) = existing {
                if code == v.code_sha256 && runtime == v.runtime && stored_layers == layers {
                    return Ok(Ok((v.version.clone(), false)));
                }
                return Ok(Err(VersionRefusal::Taken(FunctionVersion {
                    name: v.name.clone(),
                    version: v.version.clone(),
                    code_sha256: code,
                    runtime,
                    layers: serde_json::from_str(&stored_layers).unwrap_or_default(),
                    created_at,
                })));
            }
            v.version.clone()
        } else {
            let versions: Vec<String> = {
                let mut st = tx
                    .prepare(
                        "SELECT version FROM function_versions WHERE account_id = ?1 AND name = ?2",
                    )
                    .doing("numbering a function version")?;
                let rows = st
                    .query_map(rusqlite::params![account_id, v.name], |r| r.get(0))
                    .doing("numbering a function version")?;
                rows.collect::<Result<_, _>>()
                    .doing("numbering a function version")?
            };
            let top = versions
                .iter()
                .filter_map(|s| s.parse::<u64>().ok())
                .max()
                .unwrap_or(0);
            (top + 1).to_string()
        };
        tx.execute(
            "INSERT INTO function_versions (account_id, name, version, code_sha256, runtime, layers, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![account_id, v.name, version, v.code_sha256, v.runtime, layers, v.created_at],
        )
        .doing("recording a function version")?;
        tx.commit().doing("recording a function version")?;
        Ok(Ok((version, true)))
    }

    /// Forgets a version recorded by [`Store::record_function_version`] whose scan could not
    /// be stored, so that it can be pushed again.
    pub fn forget_function_version(
        &self,
        account_id: &str,
        name: &str,
        version: &str,
    ) -> Result<(), StoreError> {
        self.write()
            .execute(
                "DELETE FROM function_versions WHERE account_id = ?1 AND name = ?2 AND version = ?3",
                rusqlite::params![account_id, name, version],
            )
            .doing("forgetting a function version")?;
        Ok(())
    }

    /// The versions of a function, oldest first.
    pub fn function_versions(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Vec<FunctionVersion>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare(
                "SELECT version, code_sha256, runtime, layers, created_at FROM function_versions WHERE account_id = ?1 AND name = ?2 ORDER BY created_at, version",
            )
            .doing("listing function versions")?;
        let rows = st
            .query_map(rusqlite::params![account_id, name], |r| {
                Ok(FunctionVersion {
                    name: name.to_string(),
                    version: r.get(0)?,
                    code_sha256: r.get(1)?,
                    runtime: r.get(2)?,
                    layers: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                    created_at: r.get(4)?,
                })
            })
            .doing("listing function versions")?;
        rows.collect::<Result<_, _>>()
            .doing("listing function versions")
    }
}

fn decompress(body: &[u8]) -> Result<Vec<u8>, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "function layer inventory",
        reason,
    };
    let size = zstd::zstd_safe::get_frame_content_size(body)
        .map_err(|_| corrupt("not a zstd frame".into()))?
        .ok_or_else(|| corrupt("zstd frame without a content size".into()))?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s <= MAX_LAYER_INVENTORY)
        .ok_or_else(|| corrupt(format!("{size} bytes when decompressed, too large")))?;
    zstd::bulk::decompress(body, size.max(1)).map_err(|e| corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("s.db")).unwrap();
        (d, s)
    }

    fn version(v: &str, code: &str) -> FunctionVersion {
        FunctionVersion {
            name: "api".into(),
            version: v.into(),
            code_sha256: code.into(),
            runtime: "python3.12".into(),
            layers: vec!["sha256:aa".into()],
            created_at: 1,
        }
    }

    #[test]
    fn versions_are_numbered_and_immutable() {
        let (_d, s) = store();
        let a = "111122223333";
        let r = s
            .record_function_version(a, &version("", "c1"), false)
            .unwrap();
        assert_eq!(r, Ok(("1".into(), true)));
        let r = s
            .record_function_version(a, &version("", "c2"), false)
            .unwrap();
        assert_eq!(r, Ok(("2".into(), true)));
        // An explicit version: new, then the same push again, then other code.
        let r = s
            .record_function_version(a, &version("7", "c3"), true)
            .unwrap();
        assert_eq!(r, Ok(("7".into(), true)));
        let r = s
            .record_function_version(a, &version("7", "c3"), true)
            .unwrap();
        assert_eq!(r, Ok(("7".into(), false)));
        let r = s
            .record_function_version(a, &version("7", "c4"), true)
            .unwrap();
        assert!(matches!(r, Err(VersionRefusal::Taken(ref t)) if t.code_sha256 == "c3"));
        let r = s
            .record_function_version(a, &version("", "c5"), false)
            .unwrap();
        assert_eq!(r, Ok(("8".into(), true)));
        // Another account numbers its own.
        let r = s
            .record_function_version("444455556666", &version("", "c1"), false)
            .unwrap();
        assert_eq!(r, Ok(("1".into(), true)));
        s.forget_function_version(a, "api", "8").unwrap();
        let listed: Vec<String> = s
            .function_versions(a, "api")
            .unwrap()
            .into_iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(listed, ["1", "2", "7"]);
    }

    #[test]
    fn layers_are_kept_per_account() {
        let (_d, s) = store();
        let l = CachedLayer {
            digest: "sha256:ab".into(),
            bytes: 10,
            packages: 2,
            inventory: br#"{"packages":[]}"#.to_vec(),
            created_at: 5,
        };
        assert!(s.put_function_layer("111122223333", &l).unwrap());
        assert!(!s.put_function_layer("111122223333", &l).unwrap());
        assert_eq!(
            s.function_layer("111122223333", "sha256:ab").unwrap(),
            Some(l)
        );
        assert_eq!(s.function_layer("444455556666", "sha256:ab").unwrap(), None);
    }
}
