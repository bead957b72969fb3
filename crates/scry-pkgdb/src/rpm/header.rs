//! RPM header blobs as the package databases store them (no lead, no header magic).
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! il: u32            number of index entries
//! dl: u32            size of the data store
//! il × { tag: u32, type: u32, offset: i32, count: u32 }
//! dl bytes of data store
//! ```
//!
//! Rules used: `il` must be below 65536 and `8 + 16·il + dl` must fit in the blob (trailing
//! bytes are ignored). Every entry's offset is checked against the data store; a string is read
//! up to its NUL, which must lie inside the data store. Only the tags below are read; an entry
//! of one of them with an unexpected type or a bad offset is an error naming the tag. When a
//! tag appears twice (a region entry and a later "dribble" entry) the later one wins, as in rpm.

/// The fields of an installed package's header that Scry uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    /// `EPOCH`; None when the tag is absent.
    pub epoch: Option<i32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    /// `SOURCERPM`, e.g. `util-linux-2.32.1-42.el8_8.src.rpm`.
    pub sourcerpm: Option<String>,
    pub vendor: Option<String>,
    pub license: Option<String>,
}

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

const MAX_ENTRIES: u32 = 0xffff;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn tag_name(tag: u32) -> &'static str {
    match tag {
        TAG_NAME => "NAME",
        TAG_VERSION => "VERSION",
        TAG_RELEASE => "RELEASE",
        TAG_EPOCH => "EPOCH",
        TAG_VENDOR => "VENDOR",
        TAG_LICENSE => "LICENSE",
        TAG_ARCH => "ARCH",
        TAG_SOURCERPM => "SOURCERPM",
        _ => "?",
    }
}

/// Parses one header blob. The error names what was wrong.
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, String> {
    let il = be32(blob, 0).ok_or_else(|| format!("header of {} bytes is truncated", blob.len()))?;
    let dl = be32(blob, 4).ok_or_else(|| format!("header of {} bytes is truncated", blob.len()))?;
    if il == 0 || il > MAX_ENTRIES {
        return Err(format!(
            "header has {il} index entries (expected 1 to {MAX_ENTRIES})"
        ));
    }
    let index_end = 8 + 16 * il as usize;
    let total = index_end as u64 + u64::from(dl);
    if total > blob.len() as u64 {
        return Err(format!(
            "header declares {il} entries and {dl} data bytes ({total} bytes) but has {}",
            blob.len()
        ));
    }
    let data = &blob[index_end..index_end + dl as usize];
    let mut h = RpmHeader::default();
    let (mut name, mut version, mut release) = (None, None, None);
    for i in 0..il as usize {
        let e = 8 + 16 * i;
        let (Some(tag), Some(ty), Some(off), Some(count)) = (
            be32(blob, e),
            be32(blob, e + 4),
            be32(blob, e + 8),
            be32(blob, e + 12),
        ) else {
            return Err(format!("index entry {i} is truncated"));
        };
        if !matches!(
            tag,
            TAG_NAME
                | TAG_VERSION
                | TAG_RELEASE
                | TAG_EPOCH
                | TAG_VENDOR
                | TAG_LICENSE
                | TAG_ARCH
                | TAG_SOURCERPM
        ) {
            continue;
        }
        let what = tag_name(tag);
        // Offsets are signed in the format: a negative one is out of bounds too.
        let off = off as usize;
        if off >= data.len() {
            return Err(format!(
                "{what} entry's offset {off} is outside the {}-byte data store",
                data.len()
            ));
        }
        if tag == TAG_EPOCH {
            if ty != TYPE_INT32 || count == 0 {
                return Err(format!(
                    "EPOCH entry has type {ty} and count {count} (expected INT32)"
                ));
            }
            let v = be32(data, off)
                .ok_or_else(|| format!("EPOCH value at offset {off} runs past the data store"))?;
            h.epoch = Some(v as i32);
            continue;
        }
        if !matches!(ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) || count == 0 {
            return Err(format!(
                "{what} entry has type {ty} and count {count} (expected a string)"
            ));
        }
        let rest = &data[off..];
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("{what} string at offset {off} has no terminating NUL"))?;
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        match tag {
            TAG_NAME => name = Some(s),
            TAG_VERSION => version = Some(s),
            TAG_RELEASE => release = Some(s),
            TAG_VENDOR => h.vendor = Some(s),
            TAG_LICENSE => h.license = Some(s),
            TAG_ARCH => h.arch = Some(s),
            TAG_SOURCERPM => h.sourcerpm = Some(s),
            _ => {}
        }
    }
    h.name = name.filter(|n| !n.is_empty()).ok_or("header has no NAME")?;
    h.version = version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("package {:?} has no VERSION", h.name))?;
    h.release = release.unwrap_or_default();
    Ok(h)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, data) entries; strings get their NUL here.
    pub(crate) fn build(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, bytes) in entries {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            data.extend_from_slice(bytes);
            if *ty != TYPE_INT32 {
                data.push(0);
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub(crate) fn sample() -> Vec<u8> {
        build(&[
            (TAG_NAME, TYPE_STRING, b"openssl-libs".to_vec()),
            (TAG_VERSION, TYPE_STRING, b"3.0.7".to_vec()),
            (TAG_RELEASE, TYPE_STRING, b"27.el9".to_vec()),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec()),
            (TAG_ARCH, TYPE_STRING, b"x86_64".to_vec()),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                b"openssl-3.0.7-27.el9.src.rpm".to_vec(),
            ),
            (TAG_LICENSE, TYPE_STRING, b"ASL 2.0".to_vec()),
        ])
    }

    #[test]
    fn reads_built_header() {
        let h = parse_header(&sample()).unwrap();
        assert_eq!(h.name, "openssl-libs");
        assert_eq!(h.epoch, Some(1));
        assert_eq!(h.version, "3.0.7");
        assert_eq!(h.release, "27.el9");
        assert_eq!(h.sourcerpm.as_deref(), Some("openssl-3.0.7-27.el9.src.rpm"));
        assert_eq!(h.vendor, None);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let blob = sample();
        for n in 0..blob.len() {
            let err = parse_header(&blob[..n]).unwrap_err();
            assert!(!err.is_empty());
        }
    }

    #[test]
    fn bad_offsets_and_types_are_named() {
        let mut blob = sample();
        // NAME's offset (first entry) far outside the data store.
        blob[16..20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        assert!(parse_header(&blob)
            .unwrap_err()
            .contains("NAME entry's offset"));
        let mut blob = sample();
        // Negative offset.
        blob[16..20].copy_from_slice(&(-4i32).to_be_bytes());
        assert!(parse_header(&blob).unwrap_err().contains("outside"));
        let mut blob = sample();
        // VERSION typed as INT32.
        blob[8 + 16 + 4..8 + 16 + 8].copy_from_slice(&TYPE_INT32.to_be_bytes());
        assert!(parse_header(&blob)
            .unwrap_err()
            .contains("VERSION entry has type 4"));
        // Huge entry count.
        let mut blob = sample();
        blob[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_header(&blob).unwrap_err().contains("index entries"));
        // String without NUL: cut the data store just before the last NUL.
        let blob = build(&[(TAG_NAME, TYPE_STRING, b"x".to_vec())]);
        let mut cut = blob[..blob.len() - 1].to_vec();
        cut[4..8].copy_from_slice(&1u32.to_be_bytes());
        assert!(parse_header(&cut)
            .unwrap_err()
            .contains("no terminating NUL"));
        let blob = build(&[(TAG_VERSION, TYPE_STRING, b"1".to_vec())]);
        assert_eq!(parse_header(&blob).unwrap_err(), "header has no NAME");
    }
}
