//! Saved filters and suppression rules.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::criteria::Criteria;
use crate::{SqlContext, Store, StoreError};

/// At most this many filters per account ("500 saved suppression rules per account per
/// Region, not adjustable").
pub const MAX_FILTERS: i64 = 500;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterRecord {
    pub arn: String,
    pub account_id: String,
    pub name: String,
    /// `NONE` or `SUPPRESS`.
    pub action: String,
    pub description: Option<String>,
    pub reason: Option<String>,
    pub criteria: Criteria,
    /// The criteria as the caller sent them (returned as given).
    pub wire: String,
    /// JSON object of tags.
    pub tags: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilterError {
    #[error("a filter named {0:?} already exists")]
    NameTaken(String),
    #[error("the account already has {MAX_FILTERS} filters")]
    Quota,
    #[error("no filter {0}")]
    NotFound(String),
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(FilterRecord, String)> {
    Ok((
        FilterRecord {
            arn: r.get(0)?,
            account_id: r.get(1)?,
            name: r.get(2)?,
            action: r.get(3)?,
            description: r.get(4)?,
            reason: r.get(5)?,
            criteria: Criteria::default(),
            wire: r.get(7)?,
            tags: r.get(8)?,
            created_at: r.get(9)?,
            updated_at: r.get(10)?,
        },
        r.get(6)?,
    ))
}

fn parse(rows: Vec<(FilterRecord, String)>) -> Result<Vec<FilterRecord>, StoreError> {
    rows.into_iter()
        .map(|(mut f, c)| {
            f.criteria = serde_json::from_str(&c).map_err(|e| StoreError::Corrupt {
                what: "filter",
                reason: e.to_string(),
            })?;
            Ok(f)
        })
        .collect()
}

const COLUMNS: &str = "arn, account_id, name, action, description, reason, criteria, wire, tags, created_at, updated_at";

impl Store {
    /// Creates a filter; a SUPPRESS rule applies at once to existing findings.
    pub fn create_filter(
        &self,
        f: &FilterRecord,
    ) -> Result<Result<usize, FilterError>, StoreError> {
        {
            let mut conn = self.write();
            let tx = conn.transaction().doing("creating a filter")?;
            let count: i64 = tx
                .query_row(
                    "SELECT count(*) FROM filters WHERE account_id = ?1",
                    [&f.account_id],
                    |r| r.get(0),
                )
                .doing("creating a filter")?;
            if count >= MAX_FILTERS {
                return Ok(Err(FilterError::Quota));
            }
            let taken: bool = tx
                .query_row(
                    "SELECT count(*) > 0 FROM filters WHERE account_id = ?1 AND name = ?2",
                    [&f.account_id, &f.name],
                    |r| r.get(0),
                )
                .doing("creating a filter")?;
            if taken {
                return Ok(Err(FilterError::NameTaken(f.name.clone())));
            }
            let criteria = serde_json::to_string(&f.criteria).unwrap_or_default();
            tx.execute(
                &format!("INSERT INTO filters ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
                rusqlite::params![
                    f.arn,
                    f.account_id,
                    f.name,
                    f.action,
                    f.description,
                    f.reason,
                    criteria,
                    f.wire,
                    f.tags,
                    f.created_at,
                    f.updated_at
                ],
            )
            .doing("creating a filter")?;
            tx.commit().doing("creating a filter")?;
        }
        Ok(Ok(self.reapply_suppression(&f.account_id, f.updated_at)?))
    }

    /// Replaces a filter (matched by ARN within the account) and re-applies suppression.
    pub fn update_filter(
        &self,
        f: &FilterRecord,
    ) -> Result<Result<usize, FilterError>, StoreError> {
        {
            let conn = self.write();
            let taken: bool = conn
                .query_row(
                    "SELECT count(*) > 0 FROM filters WHERE account_id = ?1 AND name = ?2 AND arn <> ?3",
                    [&f.account_id, &f.name, &f.arn],
                    |r| r.get(0),
                )
                .doing("updating a filter")?;
            if taken {
                return Ok(Err(FilterError::NameTaken(f.name.clone())));
            }
            let criteria = serde_json::to_string(&f.criteria).unwrap_or_default();
            let n = conn
                .execute(
                    "UPDATE filters SET name = ?3, action = ?4, description = ?5, reason = ?6, criteria = ?7, wire = ?8, updated_at = ?9
                     WHERE arn = ?1 AND account_id = ?2",
                    rusqlite::params![
                        f.arn,
                        f.account_id,
                        f.name,
                        f.action,
                        f.description,
                        f.reason,
                        criteria,
                        f.wire,
                        f.updated_at
                    ],
                )
                .doing("updating a filter")?;
            if n == 0 {
                return Ok(Err(FilterError::NotFound(f.arn.clone())));
            }
        }
        Ok(Ok(self.reapply_suppression(&f.account_id, f.updated_at)?))
    }

    /// Deletes a filter; the findings it alone suppressed become ACTIVE again.
    pub fn delete_filter(
        &self,
        account_id: &str,
        arn: &str,
        now: i64,
    ) -> Result<Result<usize, FilterError>, StoreError> {
        let n = self
            .write()
            .execute(
                "DELETE FROM filters WHERE arn = ?1 AND account_id = ?2",
                [arn, account_id],
            )
            .doing("deleting a filter")?;
        if n == 0 {
            return Ok(Err(FilterError::NotFound(arn.into())));
        }
        Ok(Ok(self.reapply_suppression(account_id, now)?))
    }

    pub fn filter(&self, account_id: &str, arn: &str) -> Result<Option<FilterRecord>, StoreError> {
        let r = self
            .read()
            .query_row(
                &format!("SELECT {COLUMNS} FROM filters WHERE arn = ?1 AND account_id = ?2"),
                [arn, account_id],
                row,
            )
            .optional()
            .doing("reading a filter")?;
        Ok(parse(r.into_iter().collect())?.pop())
    }

    /// Filters of an account, by ARN, optionally only one action.
    pub fn list_filters(
        &self,
        account_id: &str,
        action: Option<&str>,
    ) -> Result<Vec<FilterRecord>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM filters WHERE account_id = ?1 AND (?2 IS NULL OR action = ?2) ORDER BY created_at, arn"
            ))
            .doing("listing filters")?;
        let rows = st
            .query_map(rusqlite::params![account_id, action], row)
            .doing("listing filters")?
            .collect::<Result<Vec<_>, _>>()
            .doing("listing filters")?;
        parse(rows)
    }

    /// Replaces a filter's tags (TagResource / UntagResource on a filter ARN).
    pub fn set_filter_tags(
        &self,
        account_id: &str,
        arn: &str,
        tags: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .write()
            .execute(
                "UPDATE filters SET tags = ?3 WHERE arn = ?1 AND account_id = ?2",
                [arn, account_id, tags],
            )
            .doing("tagging a filter")?;
        Ok(n > 0)
    }
}
