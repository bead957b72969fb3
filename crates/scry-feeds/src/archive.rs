//! Zip archives (OSV's `all.zip`) and gzip, with caps on what they may expand to.

use std::io::{Read, Seek};

use crate::{detect, Ctx, FeedError};

/// Largest decompressed member or gzip stream read.
const MAX_MEMBER: u64 = 4 << 30;
/// Largest tolerated decompressed:compressed ratio for members over 16 MiB.
const MAX_RATIO: u64 = 1000;

pub fn gunzip(bytes: &[u8], location: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut d = flate2::read::MultiGzDecoder::new(bytes).take(MAX_MEMBER + 1);
    d.read_to_end(&mut out)
        .map_err(|e| format!("cannot decompress {location}: {e} (truncated or not gzip?)"))?;
    if out.len() as u64 > MAX_MEMBER {
        return Err(format!(
            "{location} expands beyond {MAX_MEMBER} bytes; not read"
        ));
    }
    if out.len() as u64 > 16 << 20 && out.len() as u64 / (bytes.len() as u64).max(1) > MAX_RATIO {
        return Err(format!(
            "{location} expands more than {MAX_RATIO}:1 (decompression bomb?); not read"
        ));
    }
    Ok(out)
}

pub fn read_zip<R: Read + Seek>(
    reader: R,
    location: &str,
    ctx: &mut Ctx<'_, '_>,
) -> Result<(), FeedError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| FeedError::Zip {
        path: location.to_string(),
        reason: e.to_string(),
    })?;
    let mut names: Vec<(String, usize)> = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i).map(|n| (n.to_string(), i)))
        .collect();
    names.sort();
    for (name, i) in names {
        let member_loc = format!("{location}!{name}");
        let base = name.rsplit('/').next().unwrap_or(&name).to_string();
        if name.ends_with('/') || base.starts_with('.') || detect::skipped(&base) {
            continue;
        }
        let mut member = match zip.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                ctx.diag(&member_loc, None, format!("unreadable zip member: {e}"));
                continue;
            }
        };
        let size = member.size();
        if size > MAX_MEMBER
            || (size > 16 << 20 && size / member.compressed_size().max(1) > MAX_RATIO)
        {
            ctx.diag(
                &member_loc,
                None,
                format!("member expands to {size} bytes (over the limit); not read"),
            );
            continue;
        }
        let mut bytes = Vec::with_capacity(size.min(64 << 20) as usize);
        if let Err(e) = (&mut member).take(MAX_MEMBER).read_to_end(&mut bytes) {
            ctx.diag(&member_loc, None, format!("cannot decompress member: {e}"));
            continue;
        }
        detect::dispatch(&member_loc, &bytes, ctx);
    }
    Ok(())
}
