//! rpm's native "ndb" package store (`Packages.db`, SUSE), read-only.
//!
//! Rules used (all integers little-endian):
//! - The file starts with a 32-byte header: magic `RpmP`, version (0), generation, the number
//!   of 4096-byte slot pages, the next package index.
//! - The slot pages hold 16-byte slots after the header: magic `Slot`, package index, block
//!   offset and block count (blocks are 16 bytes). A slot with package index 0 (or all zero)
//!   is free; one without the magic is counted and reported.
//! - A slot's blob lies at `block offset × 16`, past the slot pages, inside the file and inside
//!   its `block count × 16` bytes: magic `BlbS`, package index (must equal the slot's),
//!   generation, blob length, the blob (an rpm header), padding, and in the last 12 bytes of
//!   the blocks a tail (checksum, length, magic `BlbE`) whose length and magic are checked. The checksum is not verified.

const BLOCK: usize = 16;
const SLOT_PAGE: usize = 4096;
const HEADER: usize = 32;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The package blobs of an ndb file, each with its package index (or what was wrong), and
/// problems with the file as a whole that did not stop the reading.
#[derive(Debug)]
pub(crate) struct Blobs<'a> {
    pub blobs: Vec<Result<(u32, &'a [u8]), String>>,
    pub warnings: Vec<String>,
}

/// Reads every package blob. Errors when the file is not an ndb package store.
pub(crate) fn read(bytes: &[u8]) -> Result<Blobs<'_>, String> {
    if bytes.len() < HEADER {
        return Err(format!(
            "file of {} bytes is too short for an ndb header",
            bytes.len()
        ));
    }
    if &bytes[0..4] != b"RpmP" {
        return Err(format!(
            "not an rpm ndb file (magic {:02x?}, expected \"RpmP\")",
            &bytes[0..4]
        ));
    }
    let version = le32(bytes, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(format!("unsupported ndb version {version}"));
    }
    let mut warnings = Vec::new();
    let slot_pages = le32(bytes, 12).unwrap_or(0) as usize;
    if slot_pages == 0 {
        return Err("header declares no slot pages".into());
    }
    let slot_end = match slot_pages.checked_mul(SLOT_PAGE) {
        Some(e) if e <= bytes.len() => e,
        _ => {
            warnings.push(format!(
                "file is truncated: {slot_pages} slot pages declared, the file has {} bytes",
                bytes.len()
            ));
            bytes.len() - bytes.len() % BLOCK
        }
    };
    let mut blobs = Vec::new();
    let mut bad_magic = 0usize;
    for (n, at) in (HEADER..slot_end).step_by(BLOCK).enumerate() {
        let slot = &bytes[at..at + BLOCK];
        if slot.iter().all(|&b| b == 0) {
            continue;
        }
        if &slot[0..4] != b"Slot" {
            bad_magic += 1;
            continue;
        }
        let pkgidx = le32(slot, 4).unwrap_or(0);
        if pkgidx == 0 {
            continue;
        }
        let blkoff = le32(slot, 8).unwrap_or(0) as usize;
        let blkcnt = le32(slot, 12).unwrap_or(0) as usize;
        blobs.push(
            blob(bytes, slot_end, pkgidx, blkoff, blkcnt)
                .map(|b| (pkgidx, b))
                .map_err(|e| format!("slot {n} (package {pkgidx}): {e}")),
        );
    }
    if bad_magic > 0 {
        warnings.push(format!(
            "{bad_magic} slot(s) lack the \"Slot\" magic; skipped"
        ));
    }
    Ok(Blobs { blobs, warnings })
}

fn blob(
    bytes: &[u8],
    slot_end: usize,
    pkgidx: u32,
    blkoff: usize,
    blkcnt: usize,
) -> Result<&[u8], String> {
    let start = blkoff
        .checked_mul(BLOCK)
        .filter(|s| *s >= slot_end)
        .ok_or_else(|| format!("blob offset {blkoff} lies in the slot pages"))?;
    let end = blkcnt
        .checked_mul(BLOCK)
        .and_then(|n| start.checked_add(n))
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| {
            format!(
                "blob at block {blkoff} with {blkcnt} blocks runs past the end of the file ({} bytes)",
                bytes.len()
            )
        })?;
    let area = &bytes[start..end];
    if area.len() < 28 || &area[0..4] != b"BlbS" {
        return Err(format!("no blob (\"BlbS\") at block {blkoff}"));
    }
    let owner = le32(area, 4).unwrap_or(0);
    if owner != pkgidx {
        return Err(format!("blob at block {blkoff} belongs to package {owner}"));
    }
    let len = le32(area, 12).unwrap_or(0) as usize;
    let data_end = 16usize
        .checked_add(len)
        .filter(|e| e.checked_add(12).is_some_and(|t| t <= area.len()))
        .ok_or_else(|| format!("blob length {len} does not fit in its {} bytes", area.len()))?;
    let tail = &area[area.len() - 12..];
    if le32(tail, 4) != Some(len as u32) || &tail[8..12] != b"BlbE" {
        return Err(format!("blob at block {blkoff} has a damaged tail"));
    }
    Ok(&area[16..data_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(blobs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut f = vec![0u8; SLOT_PAGE];
        f[0..4].copy_from_slice(b"RpmP");
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        for (i, (idx, data)) in blobs.iter().enumerate() {
            let blkoff = f.len() / BLOCK;
            let mut b = Vec::new();
            b.extend_from_slice(b"BlbS");
            b.extend_from_slice(&idx.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(data);
            while (b.len() + 12) % BLOCK != 0 {
                b.push(0);
            }
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(b"BlbE");
            let s = HEADER + i * BLOCK;
            f[s..s + 4].copy_from_slice(b"Slot");
            f[s + 4..s + 8].copy_from_slice(&idx.to_le_bytes());
            f[s + 8..s + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
            f[s + 12..s + 16].copy_from_slice(&((b.len() / BLOCK) as u32).to_le_bytes());
            f.extend(b);
        }
        f
    }

    #[test]
    fn reads_slots_and_blobs() {
        let f = file(&[(1, b"first"), (7, b"second blob")]);
        let r = read(&f).unwrap();
        let got: Vec<_> = r.blobs.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, vec![(1, &b"first"[..]), (7, &b"second blob"[..])]);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn damaged_files() {
        let f = file(&[(1, b"first"), (2, b"second")]);
        // Cut inside the second blob.
        let r = read(&f[..f.len() - 8]).unwrap();
        assert!(r.blobs[0].is_ok());
        assert!(r.blobs[1]
            .as_ref()
            .unwrap_err()
            .contains("runs past the end"));
        // Slot pointing into the slot pages.
        let mut g = f.clone();
        g[HEADER + 8..HEADER + 12].copy_from_slice(&1u32.to_le_bytes());
        assert!(read(&g).unwrap().blobs[0]
            .as_ref()
            .unwrap_err()
            .contains("slot pages"));
        // Blob of another package.
        let mut g = f.clone();
        g[SLOT_PAGE + 4] = 9;
        assert!(read(&g).unwrap().blobs[0]
            .as_ref()
            .unwrap_err()
            .contains("belongs to package 9"));
        // Huge declared blob length.
        let mut g = f.clone();
        g[SLOT_PAGE + 12..SLOT_PAGE + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&g).unwrap().blobs[0]
            .as_ref()
            .unwrap_err()
            .contains("does not fit"));
        // Huge slot page count: read what is there.
        let mut g = f.clone();
        g[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let r = read(&g).unwrap();
        assert!(r.warnings[0].contains("truncated"));
        assert!(read(b"RpmQ\0\0\0\0................................")
            .unwrap_err()
            .contains("magic"));
        for n in 0..f.len() {
            let _ = read(&f[..n]);
        }
    }
}
