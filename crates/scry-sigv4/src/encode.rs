//! URI encoding and the canonical URI, query string and header rules.

/// How the canonical URI is derived from the raw request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// Every service but S3: the raw path (already percent-encoded once on the wire)
    /// has its dot segments and empty segments removed, then is URI-encoded once more,
    /// so `/tags/arn%3Aaws` becomes `/tags/arn%253Aaws` (what botocore computes).
    Double,
    /// S3: the raw path is used exactly as sent, no normalization.
    Single,
}

impl UriEncoding {
    /// `Single` for `s3` and `s3express`, `Double` for every other service.
    pub fn for_service(service: &str) -> Self {
        if service == "s3" || service == "s3express" {
            UriEncoding::Single
        } else {
            UriEncoding::Double
        }
    }
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// SigV4 unreserved characters: `A-Z a-z 0-9 - _ . ~`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes every byte but the unreserved ones (and `/` when `keep_slash`),
/// with uppercase hex, appending to `out`.
pub fn uri_encode_into(input: &[u8], keep_slash: bool, out: &mut String) {
    for &b in input {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// [`uri_encode_into`] returning a new string.
pub fn uri_encode(input: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    uri_encode_into(input, keep_slash, &mut out);
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XY` escapes; a `%` not followed by two hex digits is kept literally.
/// `+` is not treated as a space.
pub fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                input.get(i + 1).copied().and_then(hex_val),
                input.get(i + 2).copied().and_then(hex_val),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// RFC 3986 section 5.2.4 dot-segment removal, also dropping empty segments
/// (`//`), keeping a leading and a trailing `/` — the rules botocore applies.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = String::with_capacity(path.len());
    if path.starts_with('/') {
        s.push('/');
    }
    s.push_str(&out.join("/"));
    if path.ends_with('/') && !out.is_empty() {
        s.push('/');
    }
    s
}

/// The canonical URI for a raw request path (without the query string).
pub fn canonical_uri(raw_path: &str, encoding: UriEncoding) -> String {
    match encoding {
        UriEncoding::Single if raw_path.is_empty() => "/".to_owned(),
        UriEncoding::Single => raw_path.to_owned(),
        UriEncoding::Double => uri_encode(normalize_path(raw_path).as_bytes(), true),
    }
}

/// Re-encodes a raw query component: decode `%XY`, then encode canonically.
fn reencode(raw: &str) -> String {
    uri_encode(&percent_decode(raw.as_bytes()), false)
}

/// The canonical query string for a raw query string (without `?`).
///
/// Each `&`-separated parameter is split at its first `=`, its name and value are
/// percent-decoded and re-encoded with the SigV4 rules (so `%7E`, `~` and `%7e` all
/// become `~`, a space becomes `%20`, a literal `+` becomes `%2B`), parameters are
/// sorted by encoded name then encoded value, and a parameter without `=` gets an
/// empty value (`name=`). Empty parameters (`a=1&&b=2`) are skipped.
/// `exclude` names one (encoded) parameter to leave out: `X-Amz-Signature` for
/// presigned URLs.
pub fn canonical_query(raw_query: &str, exclude: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (reencode(k), reencode(v))
        })
        .filter(|(k, _)| Some(k.as_str()) != exclude)
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Appends a header value with leading/trailing whitespace removed and inner runs of
/// whitespace collapsed to one space (SigV4 "Trimall", as botocore's `' '.join(v.split())`).
pub fn trim_all_into(value: &[u8], out: &mut Vec<u8>) {
    let mut first = true;
    for word in value
        .split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .filter(|w| !w.is_empty())
    {
        if !first {
            out.push(b' ');
        }
        out.extend_from_slice(word);
        first = false;
    }
}

/// True for an HTTP token (RFC 9110 `tchar`), the characters allowed in header names.
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_spec() {
        assert_eq!(uri_encode(b"a b~c/d:e", false), "a%20b~c%2Fd%3Ae");
        assert_eq!(uri_encode(b"a b~c/d:e", true), "a%20b~c/d%3Ae");
        assert_eq!(uri_encode("ሴ".as_bytes(), true), "%E1%88%B4");
        assert_eq!(uri_encode(&[0xff, 0x00], true), "%FF%00");
    }

    #[test]
    fn decodes_leniently() {
        assert_eq!(percent_decode(b"%41%7e%7E+%zz%4"), b"A~~+%zz%4");
        assert_eq!(percent_decode(b"%"), b"%");
    }

    #[test]
    fn normalizes_paths_like_botocore() {
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("/a/./b/../c//d/", "/a/c/d/"),
            ("/a/..", "/"),
            ("/a/../", "/"),
            ("/../../x", "/x"),
            ("//", "/"),
            ("/a//", "/a/"),
        ] {
            assert_eq!(normalize_path(raw), want, "{raw}");
        }
    }

    #[test]
    fn canonical_uri_double_and_single() {
        let raw = "/tags/arn%3Aaws%3Ainspector2%3Aus-east-1%3A1%3Afinding%2Fx";
        assert_eq!(
            canonical_uri(raw, UriEncoding::Double),
            "/tags/arn%253Aaws%253Ainspector2%253Aus-east-1%253A1%253Afinding%252Fx"
        );
        assert_eq!(canonical_uri(raw, UriEncoding::Single), raw);
        assert_eq!(canonical_uri("", UriEncoding::Single), "/");
        assert_eq!(canonical_uri("/a/./b", UriEncoding::Single), "/a/./b");
    }

    #[test]
    fn canonical_query_rules() {
        assert_eq!(canonical_query("", None), "");
        assert_eq!(canonical_query("b=2&a=1&a=0", None), "a=0&a=1&b=2");
        assert_eq!(canonical_query("flag&x=%7e+", None), "flag=&x=~%2B");
        assert_eq!(canonical_query("a=1&&b", None), "a=1&b=");
        assert_eq!(canonical_query("a=b=c", None), "a=b%3Dc");
        assert_eq!(
            canonical_query("X-Amz-Signature=ab&X-Amz-Date=1", Some("X-Amz-Signature")),
            "X-Amz-Date=1"
        );
        // sorted by encoded name: "%2B" < "%40" < "A" < "a"
        assert_eq!(
            canonical_query("a=1&A=1&%40=1&%2B=1", None),
            "%2B=1&%40=1&A=1&a=1"
        );
    }

    #[test]
    fn trim_all() {
        let mut out = Vec::new();
        trim_all_into(b"  a \t  b\r\n c  ", &mut out);
        assert_eq!(out, b"a b c");
        out.clear();
        trim_all_into(b"   ", &mut out);
        assert!(out.is_empty());
    }
}
