//! Go build information embedded in executables (`go-binary`, ecosystem `Go`).
//!
//! Rules:
//! - Only files starting with ELF, Mach-O (thin or fat) or PE magic are opened; other files,
//!   and executables without Go build information, give nothing and no diagnostic.
//! - The build information block starts with the 14-byte magic `\xff Go buildinf:`, followed
//!   by the pointer size and a flags byte, at a 16-byte aligned offset. It is looked for in the
//!   section meant for it (`.go.buildinfo` in ELF, `__go_buildinfo` in Mach-O), else in the
//!   writable data sections and segments (PE keeps it at the start of `.data`; stripped ELF
//!   has no section table), and when the headers cannot be parsed at all, in the whole file.
//! - Flag bit `0x2` (Go 1.18 and later): the toolchain version and the module information
//!   follow the 32-byte header inline, each as a uvarint length and the bytes.
//!   Otherwise (Go 1.13 to 1.17): two pointers (of the given size, big-endian when flag bit
//!   `0x1` is set) at offset 16 point to Go string headers (data pointer, length); these
//!   virtual addresses are resolved through the file's sections, else its segments.
//! - The module information is framed by 16-byte sentinels, removed when present. Its lines
//!   are tab-separated: `mod path version sum` (the main module), `dep path version sum`,
//!   and `=> path version sum` replacing the module on the line before it: the replacement's
//!   path and version win. A module replaced by a local directory (no version) is not
//!   reported, nor is one at version `(devel)` (built from a source tree: the main module
//!   of a local build, or a workspace or vendored module, as kubectl's `k8s.io/api`).
//! - The toolchain version becomes the package `stdlib` (OSV's name for the Go standard
//!   library) with the version in the Go vulnerability database's form: `go1.20.3` gives
//!   `1.20.3`, `go1.20` gives `1.20.0`, `go1.21rc2` gives `1.21.0-rc.2`; text after a space
//!   (`X:boringcrypto`) and a `-`/`+` suffix of custom toolchains are dropped. A development
//!   toolchain (`devel ...`) gives no `stdlib` and a diagnostic.
//! - Module versions are kept as Go writes them (`v1.2.3`); purls are
//!   `pkg:golang/<module path>@<version>`, the module path split into namespace and name at
//!   its last `/`.

use object::{Object, ObjectSection, ObjectSegment, SectionKind};
use scry_inventory::purl::Purl;
use scry_inventory::{Cataloger, Diagnostic, FileInfo, Package, Parsed};

use crate::exe::{has_executable_magic, images, wants_executable, MAX_EXECUTABLE};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
const ALIGN: usize = 16;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
/// Largest toolchain version or module information string accepted.
const MAX_STRING: u64 = 16 << 20;
/// Most magic occurrences examined in one region before giving up.
const MAX_CANDIDATES: usize = 64;

/// Reads Go build information from executables; `found_by` `go-binary`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoBinaryCataloger;

impl Cataloger for GoBinaryCataloger {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        wants_executable(file)
    }

    fn max_size(&self) -> u64 {
        MAX_EXECUTABLE
    }

    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
        let mut parsed = Parsed::default();
        if !has_executable_magic(bytes) {
            return parsed;
        }
        let diag = |reason: String| Diagnostic {
            location: file.path.to_string(),
            reason,
        };
        let imgs = match images(bytes) {
            Ok(i) => i,
            Err(e) => {
                parsed.diagnostics.push(diag(e));
                return parsed;
            }
        };
        for img in imgs {
            match build_info(img) {
                Ok(None) => {}
                Ok(Some(info)) => {
                    let mut reasons = Vec::new();
                    for p in packages(&info, file.path, &mut reasons) {
                        if !parsed.packages.contains(&p) {
                            parsed.packages.push(p);
                        }
                    }
                    for r in reasons {
                        let d = diag(r);
                        if !parsed.diagnostics.contains(&d) {
                            parsed.diagnostics.push(d);
                        }
                    }
                }
                Err(e) => parsed
                    .diagnostics
                    .push(diag(format!("Go build information: {e}"))),
            }
        }
        parsed
    }
}

/// The two strings of a Go build information block.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BuildInfo {
    /// The toolchain version, `go1.22.0`; None when it could not be read.
    go_version: Option<String>,
    /// The module information lines, sentinels removed (empty when the binary has none or it
    /// could not be read).
    mod_info: String,
    /// What could not be read.
    errors: Vec<String>,
}

/// Finds and decodes the build information of one executable image. `Ok(None)`: not a Go
/// binary (no valid build information header).
fn build_info(img: &[u8]) -> Result<Option<BuildInfo>, String> {
    let file = match object::File::parse(img) {
        Ok(f) => f,
        Err(_) => {
            // Headers unreadable (truncated?): only the inline format can still be decoded.
            return match find_header(img) {
                Some(at) => decode(&img[at..], None, img).map(Some),
                None => Ok(None),
            };
        }
    };
    for region in regions(&file, img) {
        if let Some(at) = find_header(region) {
            return decode(&region[at..], Some(&file), img).map(Some);
        }
    }
    Ok(None)
}

/// Where the build information may be, most likely first.
fn regions<'a>(file: &object::File<'a>, img: &'a [u8]) -> Vec<&'a [u8]> {
    let mut named = Vec::new();
    let mut data = Vec::new();
    for s in file.sections() {
        let Some(bytes) = file_bytes(img, s.file_range()) else {
            continue;
        };
        match s.name() {
            Ok(".go.buildinfo" | "__go_buildinfo") => named.push(bytes),
            _ if s.kind() == SectionKind::Data => data.push(bytes),
            _ => {}
        }
    }
    if !named.is_empty() {
        return named;
    }
    if data.is_empty() {
        // No usable section table: the writable loadable segments.
        for seg in file.segments() {
            let writable = match seg.flags() {
                object::SegmentFlags::Elf { p_flags } => p_flags & object::elf::PF_W != 0,
                object::SegmentFlags::MachO { initprot, .. } => {
                    initprot & object::macho::VM_PROT_WRITE != 0
                }
                object::SegmentFlags::Coff { characteristics } => {
                    characteristics & object::pe::IMAGE_SCN_MEM_WRITE != 0
                }
                _ => false,
            };
            if writable {
                if let Some(b) = file_bytes(img, Some(seg.file_range())) {
                    data.push(b);
                }
            }
        }
    }
    data
}

fn file_bytes(img: &[u8], range: Option<(u64, u64)>) -> Option<&[u8]> {
    let (off, len) = range?;
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    img.get(start..end)
}

/// The offset of the first 16-byte aligned magic followed by a plausible header.
fn find_header(region: &[u8]) -> Option<usize> {
    let mut from = 0;
    for _ in 0..MAX_CANDIDATES {
        let at = from + find(region.get(from..)?, MAGIC)?;
        if at % ALIGN == 0 {
            let hdr = region.get(at..at + HEADER_LEN)?;
            if matches!(hdr[14], 4 | 8) || hdr[15] & FLAG_INLINE != 0 {
                return Some(at);
            }
        }
        from = at + 1;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        let p = hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        let at = i + p;
        if &hay[at..at + needle.len()] == needle {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Decodes the block starting at the magic. Errors: the header itself is unusable; a string
/// that cannot be read is left out with its reason in [`BuildInfo::errors`].
fn decode(block: &[u8], file: Option<&object::File<'_>>, img: &[u8]) -> Result<BuildInfo, String> {
    let hdr = block
        .get(..HEADER_LEN)
        .ok_or("header truncated before its 32 bytes")?;
    let (ptr_size, flags) = (hdr[14], hdr[15]);
    let mut errors = Vec::new();
    let (version, module) = if flags & FLAG_INLINE != 0 {
        let mut rest = &block[HEADER_LEN..];
        match varint_string(&mut rest) {
            Ok(v) => {
                let m = varint_string(&mut rest)
                    .map_err(|e| errors.push(format!("module information: {e}")))
                    .ok();
                (Some(v), m)
            }
            Err(e) => {
                errors.push(format!(
                    "toolchain version: {e}; module information not read"
                ));
                (None, None)
            }
        }
    } else {
        let ptr = Ptr::new(ptr_size, flags & FLAG_BIG_ENDIAN != 0)?;
        let file = file.ok_or(
            "pointer-based (Go < 1.18) build information, but the executable's headers \
             cannot be read to resolve its addresses",
        )?;
        let vaddr = ptr.read(&hdr[16..]).ok_or("header truncated")?;
        let maddr = ptr.read(&hdr[16 + ptr.size..]).ok_or("header truncated")?;
        let v = go_string(file, img, ptr, vaddr)
            .map_err(|e| errors.push(format!("toolchain version: {e}")))
            .ok();
        let m = go_string(file, img, ptr, maddr)
            .map_err(|e| errors.push(format!("module information: {e}")))
            .ok();
        (v, m)
    };
    Ok(BuildInfo {
        go_version: version.map(|v| String::from_utf8_lossy(v).into_owned()),
        mod_info: module
            .map(|m| String::from_utf8_lossy(strip_sentinels(m)).into_owned())
            .unwrap_or_default(),
        errors,
    })
}

fn varint_string<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let mut len: u64 = 0;
    let mut i = 0;
    loop {
        let b = *rest.get(i).ok_or("length truncated")?;
        if i == 9 && b > 1 {
            return Err("length varint overflows 64 bits".into());
        }
        len |= u64::from(b & 0x7f) << (7 * i);
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    if len > MAX_STRING {
        return Err(format!(
            "length {len} is more than the {MAX_STRING} accepted"
        ));
    }
    let s = rest
        .get(i..i + len as usize)
        .ok_or_else(|| format!("{len} bytes announced, {} left", rest.len() - i))?;
    *rest = &rest[i + len as usize..];
    Ok(s)
}

#[derive(Debug, Clone, Copy)]
struct Ptr {
    size: usize,
    big: bool,
}

impl Ptr {
    fn new(size: u8, big: bool) -> Result<Ptr, String> {
        match size {
            4 | 8 => Ok(Ptr {
                size: size as usize,
                big,
            }),
            n => Err(format!("pointer size {n} is neither 4 nor 8")),
        }
    }

    fn read(self, b: &[u8]) -> Option<u64> {
        let b = b.get(..self.size)?;
        Some(match (self.size, self.big) {
            (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
            (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
            (_, false) => u64::from_le_bytes(b.try_into().ok()?),
            (_, true) => u64::from_be_bytes(b.try_into().ok()?),
        })
    }
}

/// Reads a Go string header (data pointer, length) at a virtual address, then its data.
fn go_string<'a>(
    file: &object::File<'a>,
    img: &'a [u8],
    ptr: Ptr,
    addr: u64,
) -> Result<&'a [u8], String> {
    let hdr = at_address(file, img, addr, 2 * ptr.size as u64)
        .ok_or_else(|| format!("string header address {addr:#x} is not in the file"))?;
    let data = ptr.read(hdr).ok_or("string header truncated")?;
    let len = ptr
        .read(&hdr[ptr.size..])
        .ok_or("string header truncated")?;
    if len > MAX_STRING {
        return Err(format!(
            "length {len} is more than the {MAX_STRING} accepted"
        ));
    }
    at_address(file, img, data, len)
        .ok_or_else(|| format!("{len} bytes at address {data:#x} are not in the file"))
}

/// The file bytes backing `len` bytes at virtual address `addr`, through the sections, else
/// the segments.
fn at_address<'a>(file: &object::File<'a>, img: &'a [u8], addr: u64, len: u64) -> Option<&'a [u8]> {
    let ranges = file
        .sections()
        .filter_map(|s| Some((s.address(), s.file_range()?)))
        .chain(file.segments().map(|s| (s.address(), s.file_range())));
    for (base, (off, size)) in ranges {
        let Some(delta) = addr.checked_sub(base) else {
            continue;
        };
        if delta.checked_add(len).is_some_and(|end| end <= size) {
            let start = off.checked_add(delta)?;
            let start = usize::try_from(start).ok()?;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            if let Some(b) = img.get(start..end) {
                return Some(b);
            }
        }
    }
    None
}

/// Removes the 16-byte sentinels framing the module information (Go's own rule: present when
/// the text is at least 33 bytes and has a newline 17 bytes from its end).
fn strip_sentinels(b: &[u8]) -> &[u8] {
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        &b[16..b.len() - 16]
    } else {
        b
    }
}

/// One module line, with its replacement applied.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Module {
    path: String,
    version: String,
    main: bool,
    /// Replaced by a local directory: not reported.
    local: bool,
}

/// The packages of one build information block; what cannot be used goes to `reasons`.
fn packages(info: &BuildInfo, location: &str, reasons: &mut Vec<String>) -> Vec<Package> {
    let mut out = Vec::new();
    reasons.extend(
        info.errors
            .iter()
            .map(|e| format!("Go build information: {e}")),
    );
    if let Some(go) = &info.go_version {
        match stdlib_version(go) {
            Some(v) => out.push(package("stdlib", &v, location)),
            None => reasons.push(format!(
                "Go toolchain version {go:?} is not a release; stdlib not reported"
            )),
        }
    }
    for m in modules(&info.mod_info, reasons) {
        if m.local || m.version == "(devel)" {
            continue;
        }
        out.push(package(&m.path, &m.version, location));
    }
    out
}

fn modules(text: &str, reasons: &mut Vec<String>) -> Vec<Module> {
    let mut out: Vec<Module> = Vec::new();
    // Whether the last module line can take a replacement.
    let mut replaceable = false;
    for (n, line) in text.lines().enumerate() {
        let mut f = line.split('\t');
        let word = f.next().unwrap_or("");
        let path = f.next().unwrap_or("").trim();
        let version = f.next().unwrap_or("").trim();
        match word {
            "mod" | "dep" => {
                replaceable = false;
                if path.is_empty() || version.is_empty() {
                    reasons.push(format!(
                        "module information line {}: {word} line without path and version",
                        n + 1
                    ));
                    continue;
                }
                out.push(Module {
                    path: path.to_string(),
                    version: version.to_string(),
                    main: word == "mod",
                    local: false,
                });
                replaceable = true;
            }
            "=>" => {
                if !replaceable {
                    reasons.push(format!(
                        "module information line {}: replacement without a module before it",
                        n + 1
                    ));
                    continue;
                }
                replaceable = false;
                let Some(m) = out.last_mut() else { continue };
                if path.is_empty() {
                    reasons.push(format!(
                        "module information line {}: replacement without a path",
                        n + 1
                    ));
                } else if version.is_empty() || version == "(devel)" {
                    m.local = true;
                } else {
                    m.path = path.to_string();
                    m.version = version.to_string();
                }
            }
            _ => replaceable = false,
        }
    }
    out
}

/// `go1.20.3` → `1.20.3`, `go1.20` → `1.20.0`, `go1.21rc2` → `1.21.0-rc.2`; None for
/// development toolchains and anything else unrecognised.
pub fn stdlib_version(go: &str) -> Option<String> {
    let tok = go.split_whitespace().next()?;
    let rest = tok.strip_prefix("go")?;
    let cut = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(cut);
    let parts: Vec<&str> = num.split('.').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut v = parts.join(".");
    for _ in parts.len()..3 {
        v.push_str(".0");
    }
    if suffix.is_empty() || suffix.starts_with(['-', '+']) {
        return Some(v);
    }
    for pre in ["rc", "beta", "alpha"] {
        if let Some(n) = suffix.strip_prefix(pre) {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                return Some(format!("{v}-{pre}.{n}"));
            }
        }
    }
    None
}

fn package(path: &str, version: &str, location: &str) -> Package {
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    Package {
        name: path.to_string(),
        version: version.to_string(),
        ecosystem: "Go".to_string(),
        purl: Purl::new("golang", ns, name, Some(version)).to_string(),
        found_by: "go-binary".to_string(),
        source_name: None,
        source_version: None,
        arch: None,
        licenses: Vec::new(),
        location: location.to_string(),
        layer: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.20.3").as_deref(), Some("1.20.3"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.18beta1").as_deref(),
            Some("1.18.0-beta.1")
        );
        assert_eq!(
            stdlib_version("go1.22.0 X:boringcrypto").as_deref(),
            Some("1.22.0")
        );
        assert_eq!(stdlib_version("go1.21.0-corp").as_deref(), Some("1.21.0"));
        assert_eq!(stdlib_version("devel go1.23-abcdef Mon"), None);
        assert_eq!(stdlib_version("go1..2"), None);
        assert_eq!(stdlib_version("go1.2.3.4"), None);
        assert_eq!(stdlib_version("go1.21xyz"), None);
        assert_eq!(stdlib_version(""), None);
    }

    #[test]
    fn replacement_rules() {
        let text = "path\tx\nmod\tx\t(devel)\t\n\
                    dep\ta.com/one\tv1.0.0\th1:x\n=>\tb.com/two\tv2.0.0\th1:y\n\
                    dep\tk8s.io/api\t(devel)\t\n\
                    dep\tc.com/local\tv1.1.0\th1:z\n=>\t../local\t\n\
                    =>\td.com/orphan\tv1.0.0\t\n\
                    dep\te.com/bad\n\
                    build\t-compiler=gc\n";
        let mut reasons = Vec::new();
        let info = BuildInfo {
            go_version: Some("go1.22.0".into()),
            mod_info: text.into(),
            errors: Vec::new(),
        };
        let pkgs = packages(&info, "bin/x", &mut reasons);
        let got: Vec<_> = pkgs.iter().map(|p| (&*p.name, &*p.version)).collect();
        assert_eq!(got, [("stdlib", "1.22.0"), ("b.com/two", "v2.0.0")]);
        assert_eq!(pkgs[1].purl, "pkg:golang/b.com/two@v2.0.0");
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("line 8: replacement without a module"));
        assert!(reasons[1].contains("line 9: dep line without path and version"));
    }

    #[test]
    fn released_main_module_is_reported() {
        let info = BuildInfo {
            go_version: Some("devel go1.23-4f1d2c1 Tue".into()),
            mod_info: "path\tgithub.com/x/tool/cmd/t\nmod\tgithub.com/x/tool\tv1.4.0\th1:s\n"
                .into(),
            errors: Vec::new(),
        };
        let mut reasons = Vec::new();
        let pkgs = packages(&info, "usr/bin/t", &mut reasons);
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| (&*p.name, &*p.version, &*p.purl))
            .collect();
        assert_eq!(
            got,
            [(
                "github.com/x/tool",
                "v1.4.0",
                "pkg:golang/github.com/x/tool@v1.4.0"
            )]
        );
        assert_eq!(reasons.len(), 1);
        assert!(reasons[0].contains("is not a release; stdlib not reported"));
    }

    #[test]
    fn sentinels() {
        let inner = b"path\tx\nmod\tx\t(devel)\t\n";
        let mut framed = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
        framed.extend_from_slice(inner);
        framed.extend_from_slice(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
        assert_eq!(strip_sentinels(&framed), inner);
        assert_eq!(strip_sentinels(b"short"), b"short");
    }

    #[test]
    fn varints() {
        let mut b: &[u8] = &[3, b'a', b'b', b'c', 0x80, 0x01];
        assert_eq!(varint_string(&mut b).unwrap(), b"abc");
        assert!(varint_string(&mut b)
            .unwrap_err()
            .contains("128 bytes announced, 0 left"));
        let mut over: &[u8] = &[0xff; 11];
        assert!(varint_string(&mut over).unwrap_err().contains("overflows"));
        let mut huge: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(varint_string(&mut huge).unwrap_err().contains("more than"));
        let mut cut: &[u8] = &[0x80];
        assert!(varint_string(&mut cut).unwrap_err().contains("truncated"));
    }

    #[test]
    fn finds_only_aligned_plausible_headers() {
        let mut region = vec![0u8; 64];
        region.extend_from_slice(MAGIC);
        region.extend_from_slice(&[7, 0]); // pointer size 7, old format: implausible
        region.resize(96, 0);
        region.extend_from_slice(MAGIC);
        region.extend_from_slice(&[8, 2]);
        region.resize(160, 0);
        assert_eq!(find_header(&region), Some(96));
        assert_eq!(find_header(&region[1..]), None); // misaligned
    }
}
