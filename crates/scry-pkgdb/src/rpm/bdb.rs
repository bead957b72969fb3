//! Berkeley DB hash files (rpm's `Packages` before rpm 4.16), read-only.
//!
//! Rules used:
//! - Page 0 is the hash metadata page: magic `0x061561` at byte 12 (its byte order gives the
//!   file's byte order), version at 16, page size at 20 (a power of two from 512 to 65536; it
//!   is read, never assumed), encryption algorithm at 24 (must be 0), page type 8 at 25, last
//!   page number at 32.
//! - Every page has a 26-byte header: page number at 8, previous/next page at 12/16, entry
//!   count at 20, `hf_offset` at 22, level at 24, type at 25.
//! - Hash pages (types 2 and 13) are read in file order. Their entry offsets (u16) follow the
//!   header; entries alternate key, value. An item's length is the distance to the previous
//!   item's offset (the page end for the first). An item starts with its kind: 1 = inline
//!   data, 3 = off-page (`pgno` at +4, total length at +8), 2/4 = duplicates (rpm never
//!   writes them: reported).
//! - An off-page value is the concatenation of the overflow pages (type 7) chained by the
//!   next-page field, each holding `hf_offset` bytes after its header. The chain is bounded by
//!   the page count (cycles are reported) and must add up to the declared length.
//! - The entry with key 0 is rpm's bookkeeping record, not a package, and is skipped.

const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;

#[derive(Clone, Copy)]
struct Order(bool); // true: little-endian

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s = b.get(at..at + 2)?;
        let a = [s[0], s[1]];
        Some(if self.0 {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at + 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.0 {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
}

/// What a hash file holds: its values in file order (each a value or what was wrong with it),
/// and problems with the file as a whole that did not stop the reading.
#[derive(Debug)]
pub(crate) struct Values {
    pub values: Vec<Result<Vec<u8>, String>>,
    pub warnings: Vec<String>,
}

/// Reads every value of a Berkeley DB hash file. Errors when the file is not one.
pub(crate) fn read(bytes: &[u8]) -> Result<Values, String> {
    if bytes.len() < 512 {
        return Err(format!(
            "file of {} bytes is too short for a Berkeley DB metadata page",
            bytes.len()
        ));
    }
    let raw = [bytes[12], bytes[13], bytes[14], bytes[15]];
    let order = match (u32::from_le_bytes(raw), u32::from_be_bytes(raw)) {
        (HASH_MAGIC, _) => Order(true),
        (_, HASH_MAGIC) => Order(false),
        (BTREE_MAGIC, _) | (_, BTREE_MAGIC) => {
            return Err("Berkeley DB btree file, not a hash file".into())
        }
        (m, _) => return Err(format!("not a Berkeley DB hash file (magic {m:#010x})")),
    };
    let page_size = order.u32(bytes, 20).unwrap_or(0);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("invalid page size {page_size}"));
    }
    if bytes[24] != 0 {
        return Err(format!(
            "database is encrypted (algorithm {}); cannot be read",
            bytes[24]
        ));
    }
    if bytes[25] != P_HASHMETA {
        return Err(format!(
            "first page has type {} (expected hash metadata, 8)",
            bytes[25]
        ));
    }
    let ps = page_size as usize;
    let mut warnings = Vec::new();
    let last_pgno = order.u32(bytes, 32).unwrap_or(0) as u64;
    let in_file = (bytes.len() / ps) as u64;
    if bytes.len() % ps != 0 {
        warnings.push(format!(
            "file size {} is not a multiple of the page size {ps}; the partial page is ignored",
            bytes.len()
        ));
    }
    if last_pgno + 1 > in_file {
        warnings.push(format!(
            "file is truncated: metadata declares {} pages, the file holds {in_file}",
            last_pgno + 1
        ));
    }
    let npages = in_file.min(last_pgno + 1) as usize;
    let page = |n: usize| -> Option<&[u8]> {
        if n >= npages {
            return None;
        }
        bytes.get(n * ps..(n + 1) * ps)
    };
    let mut values = Vec::new();
    for pno in 1..npages {
        let Some(p) = page(pno) else { break };
        if !matches!(p[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = order.u16(p, 20).unwrap_or(0) as usize;
        if PAGE_HEADER + 2 * entries > ps {
            values.push(Err(format!(
                "page {pno}: {entries} entries do not fit in a {ps}-byte page"
            )));
            continue;
        }
        if entries % 2 != 0 {
            warnings.push(format!(
                "page {pno}: odd entry count {entries}; the last key has no value"
            ));
        }
        // Item boundaries, checked once for the whole page.
        let mut items: Vec<Option<&[u8]>> = Vec::with_capacity(entries);
        let mut prev = ps;
        for i in 0..entries {
            let off = order.u16(p, PAGE_HEADER + 2 * i).unwrap_or(0) as usize;
            if off < PAGE_HEADER + 2 * entries || off >= prev {
                items.push(None);
            } else {
                items.push(Some(&p[off..prev]));
                prev = off;
            }
        }
        for pair in 0..entries / 2 {
            let (k, v) = (items[2 * pair], items[2 * pair + 1]);
            let (Some(key), Some(val)) = (k, v) else {
                values.push(Err(format!(
                    "page {pno} entry {}: item offset outside the page or out of order",
                    2 * pair
                )));
                continue;
            };
            if key.first() == Some(&H_KEYDATA) && key.len() == 5 && key[1..] == [0, 0, 0, 0] {
                continue;
            }
            values.push(match val[0] {
                H_KEYDATA => Ok(val[1..].to_vec()),
                H_OFFPAGE => match (order.u32(val, 4), order.u32(val, 8)) {
                    (Some(pgno), Some(tlen)) => {
                        overflow(&page, npages, pgno as usize, tlen as usize, order)
                            .map_err(|e| format!("page {pno} entry {}: {e}", 2 * pair + 1))
                    }
                    _ => Err(format!(
                        "page {pno} entry {}: off-page item is truncated",
                        2 * pair + 1
                    )),
                },
                H_DUPLICATE | H_OFFDUP => Err(format!(
                    "page {pno} entry {}: duplicate-key items are not used by rpm",
                    2 * pair + 1
                )),
                t => Err(format!(
                    "page {pno} entry {}: unknown item kind {t}",
                    2 * pair + 1
                )),
            });
        }
    }
    Ok(Values { values, warnings })
}

/// Gathers an off-page value from its overflow pages.
fn overflow<'a>(
    page: &impl Fn(usize) -> Option<&'a [u8]>,
    npages: usize,
    first: usize,
    tlen: usize,
    order: Order,
) -> Result<Vec<u8>, String> {
    if tlen > npages.saturating_mul(page(0).map_or(0, <[u8]>::len)) {
        return Err(format!("value length {tlen} is larger than the file"));
    }
    let mut out = Vec::with_capacity(tlen);
    let mut pno = first;
    let mut visited = 0usize;
    while out.len() < tlen {
        if pno == 0 {
            return Err(format!(
                "overflow chain ends after {} of {tlen} bytes",
                out.len()
            ));
        }
        visited += 1;
        if visited > npages {
            return Err("overflow chain loops".into());
        }
        let p =
            page(pno).ok_or_else(|| format!("overflow page {pno} is past the end of the file"))?;
        if p[25] != P_OVERFLOW {
            return Err(format!(
                "page {pno} has type {} (expected overflow, 7)",
                p[25]
            ));
        }
        let used = order.u16(p, 22).unwrap_or(0) as usize;
        let chunk = p
            .get(PAGE_HEADER..PAGE_HEADER + used)
            .ok_or_else(|| format!("overflow page {pno} claims {used} bytes"))?;
        let want = (tlen - out.len()).min(chunk.len());
        out.extend_from_slice(&chunk[..want]);
        pno = order.u32(p, 16).unwrap_or(0) as usize;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: usize = 512;

    fn meta(last: u32) -> Vec<u8> {
        let mut p = vec![0u8; PS];
        p[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        p[16..20].copy_from_slice(&9u32.to_le_bytes());
        p[20..24].copy_from_slice(&(PS as u32).to_le_bytes());
        p[25] = P_HASHMETA;
        p[32..36].copy_from_slice(&last.to_le_bytes());
        p
    }

    fn hash_page(items: &[Vec<u8>]) -> Vec<u8> {
        let mut p = vec![0u8; PS];
        p[25] = P_HASH;
        p[20..22].copy_from_slice(&(items.len() as u16).to_le_bytes());
        let mut end = PS;
        for (i, it) in items.iter().enumerate() {
            let off = end - it.len();
            p[off..end].copy_from_slice(it);
            p[PAGE_HEADER + 2 * i..PAGE_HEADER + 2 * i + 2]
                .copy_from_slice(&(off as u16).to_le_bytes());
            end = off;
        }
        p
    }

    fn overflow_page(data: &[u8], next: u32) -> Vec<u8> {
        let mut p = vec![0u8; PS];
        p[25] = P_OVERFLOW;
        p[16..20].copy_from_slice(&next.to_le_bytes());
        p[22..24].copy_from_slice(&(data.len() as u16).to_le_bytes());
        p[PAGE_HEADER..PAGE_HEADER + data.len()].copy_from_slice(data);
        p
    }

    fn offpage(pgno: u32, tlen: u32) -> Vec<u8> {
        let mut v = vec![H_OFFPAGE, 0, 0, 0];
        v.extend_from_slice(&pgno.to_le_bytes());
        v.extend_from_slice(&tlen.to_le_bytes());
        v
    }

    fn key(n: u32) -> Vec<u8> {
        let mut v = vec![H_KEYDATA];
        v.extend_from_slice(&n.to_le_bytes());
        v
    }

    #[test]
    fn inline_and_overflow_values() {
        let long: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
        let mut f = meta(3);
        f.extend(hash_page(&[
            key(0),
            vec![H_KEYDATA, 9, 9, 9, 9],
            key(1),
            vec![H_KEYDATA, b'h', b'i'],
            key(2),
            offpage(2, 700),
        ]));
        f.extend(overflow_page(&long[..400], 3));
        f.extend(overflow_page(&long[400..], 0));
        let v = read(&f).unwrap();
        assert!(v.warnings.is_empty());
        assert_eq!(v.values.len(), 2);
        assert_eq!(v.values[0].as_deref().unwrap(), b"hi");
        assert_eq!(v.values[1].as_deref().unwrap(), &long[..]);
    }

    #[test]
    fn cycles_and_bad_chains_are_reported() {
        let mut f = meta(3);
        f.extend(hash_page(&[key(1), offpage(2, 5000)]));
        f.extend(overflow_page(&[1; 100], 3));
        f.extend(overflow_page(&[1; 100], 2));
        let v = read(&f).unwrap();
        assert!(v.values[0]
            .as_ref()
            .unwrap_err()
            .contains("larger than the file"));
        let mut f = meta(3);
        f.extend(hash_page(&[key(1), offpage(2, 1500)]));
        f.extend(overflow_page(&[1; 100], 3));
        f.extend(overflow_page(&[1; 100], 2));
        let v = read(&f).unwrap();
        assert_eq!(
            v.values[0].as_ref().unwrap_err(),
            "page 1 entry 1: overflow chain loops"
        );
        let mut f = meta(2);
        f.extend(hash_page(&[key(1), offpage(1, 10)]));
        f.extend(vec![0u8; PS]);
        let v = read(&f).unwrap();
        assert!(v.values[0]
            .as_ref()
            .unwrap_err()
            .contains("expected overflow"));
    }

    #[test]
    fn truncated_and_foreign_files() {
        let mut f = meta(5);
        f.extend(hash_page(&[key(1), vec![H_KEYDATA, 1]]));
        let v = read(&f).unwrap();
        assert_eq!(v.values.len(), 1);
        assert!(v.warnings[0].contains("declares 6 pages"));
        assert!(read(&f[..100]).unwrap_err().contains("too short"));
        let mut g = f.clone();
        g[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(read(&g).unwrap_err().contains("page size 1000"));
        let mut g = f.clone();
        g[12..16].copy_from_slice(&BTREE_MAGIC.to_le_bytes());
        assert!(read(&g).unwrap_err().contains("btree"));
        let mut g = f.clone();
        // Entry count larger than the page can hold.
        g[PS + 20..PS + 22].copy_from_slice(&60000u16.to_le_bytes());
        assert!(read(&g).unwrap().values[0]
            .as_ref()
            .unwrap_err()
            .contains("do not fit"));
        // Every prefix: never a panic.
        for n in 0..f.len() {
            let _ = read(&f[..n]);
        }
    }
}
