//! Request time: `X-Amz-Date` (ISO 8601 basic) and the HTTP `Date` header.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// `strftime` format of `X-Amz-Date`: `20240309T150405Z`.
pub const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Formats a time as `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
pub fn format_amz_date(t: DateTime<Utc>) -> String {
    t.format(AMZ_DATE_FORMAT).to_string()
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Parses a credential-scope date `YYYYMMDD`.
pub fn parse_scope_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let y = digits(&b[0..4])?;
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, digits(&b[4..6])?, digits(&b[6..8])?)
}

/// Parses `X-Amz-Date` strictly: exactly `YYYYMMDDTHHMMSSZ`.
pub fn parse_amz_date(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let date = parse_scope_date(s.get(0..8)?)?;
    let time =
        NaiveTime::from_hms_opt(digits(&b[9..11])?, digits(&b[11..13])?, digits(&b[13..15])?)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

/// Parses an HTTP `Date` header (RFC 7231 IMF-fixdate such as
/// `Sat, 09 Mar 2024 15:04:05 GMT`, or the RFC 2822 form botocore writes,
/// `Sat, 09 Mar 2024 15:04:05 -0000`).
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    if s.len() > 64 {
        return None;
    }
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_strict() {
        let t = parse_amz_date("20240309T150405Z").unwrap();
        assert_eq!(format_amz_date(t), "20240309T150405Z");
        for bad in [
            "",
            "20240309T150405",
            "20240309 150405Z",
            "20241309T150405Z",
            "20240230T150405Z",
            "20240309T250405Z",
            "+0240309T150405Z",
            "20240309T15040５Z",
            "20240309T150405ZZ",
        ] {
            assert!(parse_amz_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn http_dates() {
        let want = parse_amz_date("20240309T150405Z");
        assert_eq!(parse_http_date("Sat, 09 Mar 2024 15:04:05 GMT"), want);
        assert_eq!(parse_http_date("Sat, 09 Mar 2024 15:04:05 -0000"), want);
        assert_eq!(parse_http_date("Sat, 09 Mar 2024 16:04:05 +0100"), want);
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
