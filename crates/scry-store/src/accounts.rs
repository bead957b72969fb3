//! Accounts, their enabled scan types and configuration, and access keys.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::{MasterKey, SqlContext, Store, StoreError};

/// The scan types an account can enable, as Inspector names them.
pub const SCAN_TYPES: &[&str] = &["EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY"];

/// Scan types a new account starts with: everything Scry scans. (Pushing an inventory is
/// already an opt-in; `Disable` turns a type off.)
pub const DEFAULT_ENABLED: &[&str] = &["EC2", "ECR", "LAMBDA"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub account_id: String,
    pub created_at: i64,
    /// (scan type, `ENABLED`/`DISABLED`, changed at).
    pub scan_types: Vec<(String, String, i64)>,
    pub config: String,
}

impl Account {
    pub fn enabled(&self, scan_type: &str) -> bool {
        self.scan_types
            .iter()
            .any(|(t, s, _)| t == scan_type && s == "ENABLED")
    }
}

/// A key as listed: (access key id, account, role, created at, disabled).
pub type KeyListing = (String, String, String, i64, bool);

/// An access key as stored, with its secret unsealed.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub account_id: String,
    pub role: String,
    pub secret: String,
    pub created_at: i64,
    pub disabled: bool,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("role", &self.role)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Store {
    /// Creates the account when it does not exist (with [`DEFAULT_ENABLED`] scan types).
    pub fn ensure_account(&self, account_id: &str, now: i64) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("creating an account")?;
        let created = tx
            .execute(
                "INSERT INTO accounts (account_id, created_at) VALUES (?1, ?2) ON CONFLICT (account_id) DO NOTHING",
                rusqlite::params![account_id, now],
            )
            .doing("creating an account")?;
        if created > 0 {
            for t in DEFAULT_ENABLED {
                tx.execute(
                    "INSERT INTO account_scan_types (account_id, scan_type, status, updated_at) VALUES (?1, ?2, 'ENABLED', ?3)",
                    rusqlite::params![account_id, t, now],
                )
                .doing("creating an account")?;
            }
        }
        tx.commit().doing("creating an account")
    }

    pub fn account(&self, account_id: &str) -> Result<Option<Account>, StoreError> {
        let conn = self.read();
        let row: Option<(i64, String)> = conn
            .query_row(
                "SELECT created_at, config FROM accounts WHERE account_id = ?1",
                [account_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .doing("reading an account")?;
        let Some((created_at, config)) = row else {
            return Ok(None);
        };
        let mut st = conn
            .prepare_cached(
                "SELECT scan_type, status, updated_at FROM account_scan_types WHERE account_id = ?1 ORDER BY scan_type",
            )
            .doing("reading an account")?;
        let scan_types = st
            .query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .doing("reading an account")?
            .collect::<Result<Vec<_>, _>>()
            .doing("reading an account")?;
        Ok(Some(Account {
            account_id: account_id.into(),
            created_at,
            scan_types,
            config,
        }))
    }

    /// Sets scan types ENABLED or DISABLED. Disabling deletes the findings of the resources
    /// that type covers ("you lose access to any findings the scan type produced"); the
    /// inventories stay, so enabling again re-evaluates them without re-collection.
    pub fn set_scan_types(
        &self,
        account_id: &str,
        types: &[&str],
        enabled: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("changing scan types")?;
        let status = if enabled { "ENABLED" } else { "DISABLED" };
        for t in types {
            tx.execute(
                "INSERT INTO account_scan_types (account_id, scan_type, status, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id, scan_type) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                rusqlite::params![account_id, t, status, now],
            )
            .doing("changing scan types")?;
            if !enabled {
                if let Some(rt) = resource_type_of_scan_type(t) {
                    tx.execute(
                        "DELETE FROM findings WHERE account_id = ?1 AND resource_type = ?2",
                        [account_id, rt],
                    )
                    .doing("removing findings of a disabled scan type")?;
                }
            }
        }
        tx.commit().doing("changing scan types")
    }

    pub fn set_account_config(&self, account_id: &str, config: &str) -> Result<(), StoreError> {
        self.write()
            .execute(
                "UPDATE accounts SET config = ?2 WHERE account_id = ?1",
                [account_id, config],
            )
            .doing("writing an account's configuration")?;
        Ok(())
    }

    pub fn accounts(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached("SELECT account_id FROM accounts ORDER BY account_id")
            .doing("listing accounts")?;
        let out = st
            .query_map([], |r| r.get(0))
            .doing("listing accounts")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing accounts")?;
        Ok(out)
    }

    /// Stores a new access key (creating its account when needed).
    pub fn create_key(
        &self,
        master: &MasterKey,
        access_key_id: &str,
        secret: &str,
        account_id: &str,
        role: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.ensure_account(account_id, now)?;
        let sealed = master.seal(secret.as_bytes());
        self.write()
            .execute(
                "INSERT INTO access_keys (access_key_id, account_id, role, secret_sealed, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![access_key_id, account_id, role, sealed, now],
            )
            .doing("storing an access key")?;
        Ok(())
    }

    /// Looks a key up and unseals its secret.
    pub fn key(
        &self,
        master: &MasterKey,
        access_key_id: &str,
    ) -> Result<Option<AccessKey>, StoreError> {
        let row: Option<(String, String, Vec<u8>, i64, bool)> = self
            .read()
            .query_row(
                "SELECT account_id, role, secret_sealed, created_at, disabled FROM access_keys WHERE access_key_id = ?1",
                [access_key_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .doing("reading an access key")?;
        let Some((account_id, role, sealed, created_at, disabled)) = row else {
            return Ok(None);
        };
        let secret =
            String::from_utf8(master.unseal(&sealed)?).map_err(|_| StoreError::Corrupt {
                what: "access key",
                reason: "secret is not UTF-8".into(),
            })?;
        Ok(Some(AccessKey {
            access_key_id: access_key_id.into(),
            account_id,
            role,
            secret,
            created_at,
            disabled,
        }))
    }

    /// Keys of an account (or all), without secrets: (id, account, role, created, disabled).
    pub fn list_keys(&self, account_id: Option<&str>) -> Result<Vec<KeyListing>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(
                "SELECT access_key_id, account_id, role, created_at, disabled FROM access_keys
                 WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, created_at",
            )
            .doing("listing access keys")?;
        let out = st
            .query_map([account_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .doing("listing access keys")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing access keys")?;
        Ok(out)
    }

    /// Disables a key; true when it existed.
    pub fn disable_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        let n = self
            .write()
            .execute(
                "UPDATE access_keys SET disabled = 1 WHERE access_key_id = ?1",
                [access_key_id],
            )
            .doing("disabling an access key")?;
        Ok(n > 0)
    }
}

/// The resource type a scan type covers.
pub fn resource_type_of_scan_type(scan_type: &str) -> Option<&'static str> {
    match scan_type {
        "EC2" => Some("AWS_EC2_INSTANCE"),
        "ECR" => Some("AWS_ECR_CONTAINER_IMAGE"),
        "LAMBDA" => Some("AWS_LAMBDA_FUNCTION"),
        "CODE_REPOSITORY" => Some("CODE_REPOSITORY"),
        _ => None,
    }
}

/// The scan type that covers a resource type.
pub fn scan_type_of_resource_type(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "AWS_EC2_INSTANCE" => Some("EC2"),
        "AWS_ECR_CONTAINER_IMAGE" => Some("ECR"),
        "AWS_LAMBDA_FUNCTION" => Some("LAMBDA"),
        "CODE_REPOSITORY" => Some("CODE_REPOSITORY"),
        _ => None,
    }
}
