//! Long-running jobs (findings reports, SBOM exports): their request and status.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::{SqlContext, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: String,
    pub account_id: String,
    /// `findings-report`, `sbom-export`.
    pub kind: String,
    /// `IN_PROGRESS`, `SUCCEEDED`, `FAILED`, `CANCELLED`.
    pub status: String,
    /// The request as the API layer keeps it (opaque JSON).
    pub request: String,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, account_id, kind, status, request, error_code, error, created_at, updated_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        account_id: r.get(1)?,
        kind: r.get(2)?,
        status: r.get(3)?,
        request: r.get(4)?,
        error_code: r.get(5)?,
        error: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

impl Store {
    pub fn create_job(&self, j: &Job) -> Result<(), StoreError> {
        self.write()
            .execute(
                &format!(
                    "INSERT INTO jobs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                rusqlite::params![
                    j.id,
                    j.account_id,
                    j.kind,
                    j.status,
                    j.request,
                    j.error_code,
                    j.error,
                    j.created_at,
                    j.updated_at
                ],
            )
            .doing("creating a job")?;
        Ok(())
    }

    /// Moves a job from IN_PROGRESS to a final status; false when it was no longer in
    /// progress (cancelled meanwhile).
    pub fn finish_job(
        &self,
        id: &str,
        status: &str,
        error: Option<(&str, &str)>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = self
            .write()
            .execute(
                "UPDATE jobs SET status = ?2, error_code = ?3, error = ?4, updated_at = ?5 WHERE id = ?1 AND status = 'IN_PROGRESS'",
                rusqlite::params![id, status, error.map(|e| e.0), error.map(|e| e.1), now],
            )
            .doing("finishing a job")?;
        Ok(n > 0)
    }

    pub fn job(&self, account_id: &str, id: &str) -> Result<Option<Job>, StoreError> {
        self.read()
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1 AND account_id = ?2"),
                [id, account_id],
                row,
            )
            .optional()
            .doing("reading a job")
    }

    /// The newest job of a kind (GetFindingsReportStatus without an id).
    pub fn latest_job(&self, account_id: &str, kind: &str) -> Result<Option<Job>, StoreError> {
        self.read()
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE account_id = ?1 AND kind = ?2 ORDER BY created_at DESC, id DESC LIMIT 1"),
                [account_id, kind],
                row,
            )
            .optional()
            .doing("reading a job")
    }

    /// Jobs left IN_PROGRESS by a previous process (they are failed on start).
    pub fn fail_interrupted_jobs(&self, now: i64) -> Result<usize, StoreError> {
        self.write()
            .execute(
                "UPDATE jobs SET status = 'FAILED', error_code = 'INTERNAL_ERROR', error = 'the server stopped while the job ran', updated_at = ?1 WHERE status = 'IN_PROGRESS'",
                [now],
            )
            .doing("failing interrupted jobs")
    }
}
