//! What the binary catalogers share: which files they look at, the cheap magic-byte check,
//! and splitting fat Mach-O files into their per-architecture images.

use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
use object::FileKind;
use scry_inventory::FileInfo;

/// Largest executable read (Go and Rust binaries of a few hundred MiB exist; more is not one).
pub(crate) const MAX_EXECUTABLE: u64 = 256 << 20;

/// Most architectures taken from one fat Mach-O file.
const MAX_FAT_ARCHES: usize = 16;

/// Whether a file may be an executable worth opening: it has an execute bit, or it has no
/// extension and lies under a `bin`/`sbin` directory (file systems that lost their modes, such
/// as zips), or it is named `*.exe`. At most [`MAX_EXECUTABLE`] bytes.
pub(crate) fn wants_executable(file: &FileInfo<'_>) -> bool {
    if file.size > MAX_EXECUTABLE {
        return false;
    }
    if file.executable {
        return true;
    }
    let mut parts = file.path.rsplit('/');
    let name = parts.next().unwrap_or("");
    let b = name.as_bytes();
    if b.len() > 4 && b[b.len() - 4..].eq_ignore_ascii_case(b".exe") {
        return true;
    }
    !name.is_empty() && !name.contains('.') && parts.any(|d| d == "bin" || d == "sbin")
}

/// Whether the bytes start like an ELF, Mach-O (thin or fat) or PE file. Anything else is
/// rejected before any parsing.
pub(crate) fn has_executable_magic(bytes: &[u8]) -> bool {
    let Some(head) = bytes.get(..4) else {
        return false;
    };
    if head == [0xca, 0xfe, 0xba, 0xbe] || head == [0xca, 0xfe, 0xba, 0xbf] {
        // Fat Mach-O shares its magic with Java class files; a class file's major version
        // (45 and up) stands where the fat header's architecture count does.
        return bytes
            .get(4..8)
            .is_some_and(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) < 45);
    }
    head == b"\x7fELF"
        || head.starts_with(b"MZ")
        || matches!(
            head,
            [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
        )
}

/// The executable images in a file: the file itself, or for a fat Mach-O file each
/// architecture's slice. Errors name what could not be read.
pub(crate) fn images(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    match FileKind::parse(bytes) {
        Ok(FileKind::MachOFat32) => {
            let fat = MachOFatFile32::parse(bytes)
                .map_err(|e| format!("malformed fat Mach-O header: {e}"))?;
            fat_slices(fat.arches(), bytes)
        }
        Ok(FileKind::MachOFat64) => {
            let fat = MachOFatFile64::parse(bytes)
                .map_err(|e| format!("malformed fat Mach-O header: {e}"))?;
            fat_slices(fat.arches(), bytes)
        }
        _ => Ok(vec![bytes]),
    }
}

fn fat_slices<'a, A: FatArch>(arches: &[A], bytes: &'a [u8]) -> Result<Vec<&'a [u8]>, String> {
    let mut out = Vec::new();
    for arch in arches.iter().take(MAX_FAT_ARCHES) {
        let data = arch
            .data(bytes)
            .map_err(|e| format!("fat Mach-O architecture slice out of the file: {e}"))?;
        out.push(data);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: &str, executable: bool) -> FileInfo<'_> {
        FileInfo {
            path,
            size: 1000,
            executable,
        }
    }

    #[test]
    fn wants_executables_and_bin_files() {
        assert!(wants_executable(&info("app/server", true)));
        assert!(wants_executable(&info("usr/local/bin/kubectl", false)));
        assert!(wants_executable(&info("opt/x/sbin/daemon", false)));
        assert!(wants_executable(&info("app/tool.EXE", false)));
        assert!(!wants_executable(&info("usr/local/bin/script.sh", false)));
        assert!(!wants_executable(&info("app/server", false)));
        assert!(!wants_executable(&info("bin", false)));
        assert!(!wants_executable(&info("app/x\u{e9}\u{e9}", false)));
        assert!(wants_executable(&info("app/\u{e9}\u{e9}.exe", false)));
        let big = FileInfo {
            path: "usr/bin/x",
            size: MAX_EXECUTABLE + 1,
            executable: true,
        };
        assert!(!wants_executable(&big));
    }

    #[test]
    fn magic_check() {
        assert!(has_executable_magic(b"\x7fELF\x02\x01"));
        assert!(has_executable_magic(b"MZ\x90\x00"));
        assert!(has_executable_magic(&[0xcf, 0xfa, 0xed, 0xfe, 7]));
        assert!(has_executable_magic(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]));
        // A Java class file (major version 52), not a fat Mach-O.
        assert!(!has_executable_magic(&[
            0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52
        ]));
        assert!(!has_executable_magic(b"#!/bin/sh\n"));
        assert!(!has_executable_magic(b"\x7fEL"));
        assert!(!has_executable_magic(b""));
    }

    #[test]
    fn fat_header_pointing_outside_is_an_error() {
        // A fat header with one arch whose slice lies beyond the file.
        let mut b = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 1];
        b.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 3]); // cputype, cpusubtype
        b.extend_from_slice(&[0, 0, 0x10, 0, 0, 0x10, 0, 0]); // offset, size
        b.extend_from_slice(&[0, 0, 0, 12]); // align
        let err = images(&b).unwrap_err();
        assert!(err.contains("fat Mach-O"), "{err}");
    }
}
