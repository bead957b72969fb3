//! rpm's SQLite package store (`rpmdb.sqlite`, rpm ≥ 4.16), read-only through rusqlite.
//!
//! Rules used: the file must start with the SQLite magic; it is copied to a private temporary
//! file and opened read-only with `immutable=1` (no locks, no journal or WAL is consulted: a
//! `-wal` file beside the database is not read). Rows of `Packages(hnum, blob)` are read in
//! `hnum` order; a row whose `blob` is not a blob is reported.

use std::io::Write;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

const MAGIC: &[u8] = b"SQLite format 3\0";

/// Each package row's header blob with its `hnum` (or what was wrong with the row).
pub(crate) type Rows = Vec<Result<(i64, Vec<u8>), String>>;

/// Reads every row of the `Packages` table. Errors when the database cannot be opened or
/// queried.
pub(crate) fn read(bytes: &[u8]) -> Result<Rows, String> {
    if !bytes.starts_with(MAGIC) {
        return Err("not an SQLite database (no \"SQLite format 3\" magic)".into());
    }
    let mut tmp = tempfile::NamedTempFile::new()
        .map_err(|e| format!("cannot create a temporary copy: {e}"))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.flush())
        .map_err(|e| format!("cannot write a temporary copy: {e}"))?;
    let path = tmp.path().to_string_lossy().into_owned();
    let uri = format!("file:{}?immutable=1", encode_uri_path(&path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open the database: {e}"))?;
    check_table(&conn)?;
    // A row is stored in the file, so there cannot be more rows, or longer blobs, than bytes.
    let max_rows = bytes.len() / 8;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(|e| format!("cannot query the Packages table: {e}"))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| format!("cannot query the Packages table: {e}"))?;
    let mut out = Vec::new();
    loop {
        match rows.next() {
            Ok(Some(_)) if out.len() >= max_rows => {
                out.push(Err(format!(
                    "more rows than a {}-byte file can hold; reading stopped",
                    bytes.len()
                )));
                break;
            }
            Ok(Some(row)) => {
                let hnum = row
                    .get_ref(0)
                    .ok()
                    .and_then(|v| v.as_i64().ok())
                    .unwrap_or(-1);
                out.push(match row.get_ref(1) {
                    Ok(ValueRef::Blob(b)) if b.len() > bytes.len() => Err(format!(
                        "row hnum={hnum}: blob of {} bytes is larger than the file",
                        b.len()
                    )),
                    Ok(ValueRef::Blob(b)) => Ok((hnum, b.to_vec())),
                    Ok(v) => Err(format!(
                        "row hnum={hnum}: blob column holds {:?}, not a blob",
                        v.data_type()
                    )),
                    Err(e) => Err(format!("row hnum={hnum}: {e}")),
                });
            }
            Ok(None) => break,
            Err(e) => {
                // A corrupt page ends the scan; what was read is kept.
                out.push(Err(format!("reading the Packages table stopped: {e}")));
                break;
            }
        }
    }
    Ok(out)
}

/// `Packages` must be an ordinary table whose `hnum` and `blob` columns are stored: a view, a
/// virtual table or a generated column could make SQLite compute rows without end or values
/// of any size instead of reading them from the file.
fn check_table(conn: &Connection) -> Result<(), String> {
    let (ty, sql): (String, Option<String>) = conn
        .query_row(
            "SELECT type, sql FROM sqlite_master WHERE lower(name) = 'packages' AND type IN ('table', 'view')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => {
                "the database has no Packages table".to_string()
            }
            e => format!("cannot read the schema: {e}"),
        })?;
    let virtual_table = sql.as_deref().is_some_and(|s| {
        s.trim_start()
            .to_ascii_uppercase()
            .starts_with("CREATE VIRTUAL")
    });
    if ty != "table" || virtual_table {
        return Err(format!(
            "Packages is a {}, not an ordinary table; not read",
            if virtual_table { "virtual table" } else { &ty }
        ));
    }
    let mut stmt = conn
        .prepare("SELECT name, hidden FROM pragma_table_xinfo('Packages')")
        .map_err(|e| format!("cannot read the Packages columns: {e}"))?;
    let cols = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the Packages columns: {e}"))?;
    for (name, hidden) in cols {
        if hidden != 0 && matches!(name.to_ascii_lowercase().as_str(), "hnum" | "blob") {
            return Err(format!(
                "Packages column {name} is computed, not stored; not read"
            ));
        }
    }
    Ok(())
}

/// Percent-encodes the characters an SQLite URI path treats specially.
fn encode_uri_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        match c {
            '?' | '#' | '%' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
