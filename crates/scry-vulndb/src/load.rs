//! Loading the match index from the database file.

use rustc_hash::FxHashMap;
use scry_advisory::{Advisory, KevEntry};
use scry_match::{Index, IndexBuilder};

use crate::{DbError, SqlContext, VulnDb};

/// What a matcher holds in memory: the index and the KEV catalog (small, consulted for every
/// match). EPSS and NVD are read on demand for matched CVEs only.
#[derive(Debug)]
pub struct Loaded {
    pub index: Index,
    pub kev: FxHashMap<String, KevEntry>,
    /// The database generation this was loaded at (see [`VulnDb::generation`]).
    pub generation: i64,
}

impl VulnDb {
    /// Read the compact match data of every advisory that is not withdrawn.
    pub fn load(&self) -> Result<Loaded, DbError> {
        let generation = self.generation()?;
        let mut builder = IndexBuilder::new();
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT id, match_json FROM advisory WHERE withdrawn IS NULL")
            .doing("loading advisories")?;
        let mut rows = st.query([]).doing("loading advisories")?;
        while let Some(row) = rows.next().doing("loading advisories")? {
            let json: String = row.get(1).doing("loading advisories")?;
            let adv: Advisory = serde_json::from_str(&json).map_err(|source| DbError::Corrupt {
                id: row.get(0).unwrap_or_default(),
                source,
            })?;
            builder.add(&adv);
        }
        let mut kev = FxHashMap::default();
        let mut st = conn
            .prepare("SELECT cve, json FROM kev")
            .doing("loading KEV")?;
        let mut rows = st.query([]).doing("loading KEV")?;
        while let Some(row) = rows.next().doing("loading KEV")? {
            let cve: String = row.get(0).doing("loading KEV")?;
            let json: String = row.get(1).doing("loading KEV")?;
            let entry: KevEntry =
                serde_json::from_str(&json).map_err(|source| DbError::Corrupt {
                    id: cve.clone(),
                    source,
                })?;
            kev.insert(cve, entry);
        }
        Ok(Loaded {
            index: builder.finish(),
            kev,
            generation,
        })
    }
}
