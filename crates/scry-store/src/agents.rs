//! Host agents: enrollment tokens, enrolled hosts (which key each signs with, the last
//! sequence number applied, the reporting interval, the last host details), and the
//! missed-interval coverage sweep.
//!
//! Tokens are stored as a hash of their secret half only; redeeming one is a single
//! conditional `UPDATE`, so two hosts racing for the last use cannot both win.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::{SqlContext, Store, StoreError};

/// An enrollment token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentToken {
    pub token_id: String,
    pub account_id: String,
    pub uses_left: i64,
    pub expires_at: i64,
    pub created_at: i64,
    pub revoked: bool,
    pub description: Option<String>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Unknown,
    Revoked,
    Expired,
    UsedUp,
}

/// An enrolled host as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentHost {
    pub account_id: String,
    pub resource_id: String,
    pub access_key_id: Option<String>,
    pub machine_id: Option<String>,
    pub hostname: Option<String>,
    pub enrolled_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub sequence: i64,
    pub interval_ms: Option<i64>,
    /// The last host details (JSON, opaque here).
    pub host: Option<String>,
    pub network_reachable: Option<bool>,
}

const HOST_COLUMNS: &str = "account_id, resource_id, access_key_id, machine_id, hostname, enrolled_at, last_seen_at, sequence, interval_ms, host, network_reachable";

fn host_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AgentHost> {
    Ok(AgentHost {
        account_id: r.get(0)?,
        resource_id: r.get(1)?,
        access_key_id: r.get(2)?,
        machine_id: r.get(3)?,
        hostname: r.get(4)?,
        enrolled_at: r.get(5)?,
        last_seen_at: r.get(6)?,
        sequence: r.get(7)?,
        interval_ms: r.get(8)?,
        host: r.get(9)?,
        network_reachable: r.get::<_, Option<i64>>(10)?.map(|v| v != 0),
    })
}

impl Store {
    /// Stores a new enrollment token (its account is created when new).
    #[allow(clippy::too_many_arguments)]
    pub fn create_agent_token(
        &self,
        token_id: &str,
        account_id: &str,
        secret_hash: &str,
        uses: i64,
        expires_at: i64,
        description: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.ensure_account(account_id, now)?;
        self.write()
            .execute(
                "INSERT INTO agent_tokens (token_id, account_id, secret_hash, uses_left, expires_at, created_at, description)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![token_id, account_id, secret_hash, uses, expires_at, now, description],
            )
            .doing("storing an enrollment token")?;
        Ok(())
    }

    /// Uses a token once: its account when the token exists, matches, is not revoked, not
    /// expired and has a use left; else why not.
    pub fn redeem_agent_token(
        &self,
        token_id: &str,
        secret_hash: &str,
        now: i64,
    ) -> Result<Result<String, TokenRefusal>, StoreError> {
        let conn = self.write();
        let n = conn
            .execute(
                "UPDATE agent_tokens SET uses_left = uses_left - 1
                 WHERE token_id = ?1 AND secret_hash = ?2 AND revoked = 0 AND expires_at > ?3 AND uses_left > 0",
                rusqlite::params![token_id, secret_hash, now],
            )
            .doing("redeeming an enrollment token")?;
        let row: Option<(String, String, i64, i64, bool)> = conn
            .query_row(
                "SELECT account_id, secret_hash, uses_left, expires_at, revoked FROM agent_tokens WHERE token_id = ?1",
                [token_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .doing("redeeming an enrollment token")?;
        Ok(match row {
            Some((account, _, _, _, _)) if n == 1 => Ok(account),
            Some((_, hash, _, _, _)) if hash != secret_hash => Err(TokenRefusal::Unknown),
            Some((_, _, _, _, true)) => Err(TokenRefusal::Revoked),
            Some((_, _, _, exp, _)) if exp <= now => Err(TokenRefusal::Expired),
            Some(_) => Err(TokenRefusal::UsedUp),
            None => Err(TokenRefusal::Unknown),
        })
    }

    pub fn list_agent_tokens(
        &self,
        account_id: Option<&str>,
    ) -> Result<Vec<AgentToken>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(
                "SELECT token_id, account_id, uses_left, expires_at, created_at, revoked, description
                 FROM agent_tokens WHERE ?1 IS NULL OR account_id = ?1 ORDER BY created_at",
            )
            .doing("listing enrollment tokens")?;
        let out = st
            .query_map([account_id], |r| {
                Ok(AgentToken {
                    token_id: r.get(0)?,
                    account_id: r.get(1)?,
                    uses_left: r.get(2)?,
                    expires_at: r.get(3)?,
                    created_at: r.get(4)?,
                    revoked: r.get(5)?,
                    description: r.get(6)?,
                })
            })
            .doing("listing enrollment tokens")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing enrollment tokens")?;
        Ok(out)
    }

    /// Revokes a token; true when it existed.
    pub fn revoke_agent_token(&self, token_id: &str) -> Result<bool, StoreError> {
        let n = self
            .write()
            .execute(
                "UPDATE agent_tokens SET revoked = 1 WHERE token_id = ?1",
                [token_id],
            )
            .doing("revoking an enrollment token")?;
        Ok(n > 0)
    }

    /// Binds a host to its new access key. Returns the key it had before (to disable), if any.
    pub fn enroll_agent_host(
        &self,
        account_id: &str,
        resource_id: &str,
        access_key_id: &str,
        machine_id: Option<&str>,
        hostname: Option<&str>,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().doing("enrolling a host")?;
        let before: Option<Option<String>> = tx
            .query_row(
                "SELECT access_key_id FROM agent_hosts WHERE account_id = ?1 AND resource_id = ?2",
                [account_id, resource_id],
                |r| r.get(0),
            )
            .optional()
            .doing("enrolling a host")?;
        tx.execute(
            "INSERT INTO agent_hosts (account_id, resource_id, access_key_id, machine_id, hostname, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account_id, resource_id) DO UPDATE SET access_key_id = excluded.access_key_id,
                 machine_id = excluded.machine_id, hostname = excluded.hostname, enrolled_at = excluded.enrolled_at",
            rusqlite::params![account_id, resource_id, access_key_id, machine_id, hostname, now],
        )
        .doing("enrolling a host")?;
        tx.commit().doing("enrolling a host")?;
        Ok(before.flatten())
    }

    /// The host an access key was issued to by enrollment, if it was.
    pub fn agent_host_by_key(&self, access_key_id: &str) -> Result<Option<AgentHost>, StoreError> {
        let sql = format!("SELECT {HOST_COLUMNS} FROM agent_hosts WHERE access_key_id = ?1");
        self.read()
            .prepare_cached(&sql)
            .doing("reading an enrolled host")?
            .query_row([access_key_id], host_row)
            .optional()
            .doing("reading an enrolled host")
    }

    pub fn agent_host(
        &self,
        account_id: &str,
        resource_id: &str,
    ) -> Result<Option<AgentHost>, StoreError> {
        let sql = format!(
            "SELECT {HOST_COLUMNS} FROM agent_hosts WHERE account_id = ?1 AND resource_id = ?2"
        );
        self.read()
            .prepare_cached(&sql)
            .doing("reading an enrolled host")?
            .query_row([account_id, resource_id], host_row)
            .optional()
            .doing("reading an enrolled host")
    }

    pub fn agent_hosts(&self, account_id: &str) -> Result<Vec<AgentHost>, StoreError> {
        let sql = format!(
            "SELECT {HOST_COLUMNS} FROM agent_hosts WHERE account_id = ?1 ORDER BY resource_id"
        );
        let conn = self.read();
        let mut st = conn.prepare_cached(&sql).doing("listing enrolled hosts")?;
        let out = st
            .query_map([account_id], host_row)
            .doing("listing enrolled hosts")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing enrolled hosts")?;
        Ok(out)
    }

    /// Records a host's reported details (before its inventory is matched, so that its score
    /// context and network findings are current). Creates the row for hosts pushed with a
    /// plain agent key.
    pub fn set_agent_host_details(
        &self,
        account_id: &str,
        resource_id: &str,
        host: &str,
        network_reachable: Option<bool>,
        interval_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        self.write()
            .execute(
                "INSERT INTO agent_hosts (account_id, resource_id, host, network_reachable, interval_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, resource_id) DO UPDATE SET host = excluded.host,
                     network_reachable = excluded.network_reachable, interval_ms = excluded.interval_ms",
                rusqlite::params![account_id, resource_id, host, network_reachable.map(i64::from), interval_ms],
            )
            .doing("recording host details")?;
        Ok(())
    }

    /// Records that the push with `sequence` was applied (after its inventory was stored).
    pub fn set_agent_host_seen(
        &self,
        account_id: &str,
        resource_id: &str,
        sequence: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write()
            .execute(
                "INSERT INTO agent_hosts (account_id, resource_id, sequence, last_seen_at) VALUES (?1, ?2, COALESCE(?3, 0), ?4)
                 ON CONFLICT (account_id, resource_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,
                     sequence = MAX(agent_hosts.sequence, COALESCE(?3, agent_hosts.sequence))",
                rusqlite::params![account_id, resource_id, sequence, now],
            )
            .doing("recording a host's push")?;
        Ok(())
    }

    /// Hosts that reported an interval and have not pushed for `missed` intervals become
    /// INACTIVE with `reason` (coverage). Returns how many changed.
    pub fn mark_missed_agents(
        &self,
        now: i64,
        missed: i64,
        reason: &str,
    ) -> Result<usize, StoreError> {
        self.write()
            .execute(
                "UPDATE resources SET scan_status = 'INACTIVE', scan_reason = ?3
                 WHERE resource_type = 'AWS_EC2_INSTANCE' AND scan_status = 'ACTIVE' AND EXISTS (
                     SELECT 1 FROM agent_hosts h WHERE h.account_id = resources.account_id
                       AND h.resource_id = resources.resource_id AND h.interval_ms IS NOT NULL
                       AND h.last_seen_at IS NOT NULL AND h.last_seen_at + h.interval_ms * ?2 < ?1)",
                rusqlite::params![now, missed, reason],
            )
            .doing("marking hosts that missed their reports")
    }
}
